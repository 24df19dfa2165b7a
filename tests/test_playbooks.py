"""Playbooks: the shipped ones load, broken ones are refused with the right line and words.

Each file in ``playbooks_broken/`` is wrong in one way and says so in its first two lines:
``# expect: <part of the message>`` and ``# line: <line number or none>``.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.intents import match_playbook
from bot.playbook import (
    ORG_CONTACT_IDS,
    AllOf,
    AnyOf,
    ApState,
    BreachQuestion,
    FactCondition,
    FactSpec,
    FactType,
    LocalText,
    NotOf,
    Owner,
    Playbook,
    PlaybookError,
    StepSpec,
    load_playbook,
    load_playbooks,
    playbook_files,
    playbook_json_schema,
    validate_paths,
)
from bot.playbook.duration import format_duration, parse_duration
from bot.playbook.schema import render_json_schema

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOKS = ROOT / "playbooks"
PAID_FRAUDSTER = PLAYBOOKS / "paid-fraudster.yaml"
BROKEN = Path(__file__).resolve().parent / "playbooks_broken"
BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))


def expectation(path: Path) -> tuple[str, int | None]:
    """The ``# expect:`` and ``# line:`` header of a broken file (read as bytes: one of
    them is deliberately not UTF-8 further down)."""
    first, second, _ = path.read_bytes().split(b"\n", 2)
    expect = first.decode().removeprefix("# expect: ")
    line = second.decode().removeprefix("# line: ")
    return expect, None if line == "none" else int(line)


def refusal(path: Path) -> PlaybookError:
    with pytest.raises(PlaybookError) as info:
        load_playbook(path)
    return info.value


def yes_no(fact_id: str = "hacked") -> FactSpec:
    return FactSpec.model_validate(
        {"id": fact_id, "type": "yes_no", "ask": {"nl": "Gehackt?", "en": "Hacked?"}}
    )


def step(**overrides: object) -> StepSpec:
    text = {"nl": "Tekst", "en": "Text"}
    return StepSpec.model_validate(
        {"id": "call-bank", "title": text, "do": text, "why": text, "due": "15m", **overrides}
    )


# --- the broken corpus ---------------------------------------------------------------


def test_corpus_covers_enough_mistakes() -> None:
    assert len(BROKEN_FILES) >= 24


@pytest.mark.parametrize("path", BROKEN_FILES, ids=[path.stem for path in BROKEN_FILES])
def test_broken_playbook_is_refused_with_file_line_and_reason(path: Path) -> None:
    expect, line = expectation(path)
    error = refusal(path)
    assert expect in error.message
    assert error.path == path
    assert error.line == line
    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(error) == prefix + error.message


def test_broken_playbook_messages_are_all_different() -> None:
    messages = [refusal(path).message for path in BROKEN_FILES]
    assert len(set(messages)) == len(messages)


def test_error_message_names_the_step_and_the_accepted_form() -> None:
    error = refusal(BROKEN / "bad-duration.yaml")
    assert str(error) == (
        f"{BROKEN / 'bad-duration.yaml'}:16: steps[1] (call-bank).due: "
        '"1 uur" is not a duration; use e.g. 15m, 1h, 1h30m, 72h or 2d'
    )


def test_unreadable_file_is_a_playbook_error(tmp_path: Path) -> None:
    error = refusal(tmp_path / "missing.yaml")
    assert error.message.startswith("cannot read the file")
    assert error.line is None


# --- the shipped playbooks -----------------------------------------------------------


def test_shipped_playbooks_load() -> None:
    playbooks = load_playbooks(PLAYBOOKS)
    assert "paid-fraudster" in playbooks
    assert validate_paths([PLAYBOOKS]) == []


def test_paid_fraudster_has_the_agreed_facts_and_steps() -> None:
    playbook = load_playbook(PAID_FRAUDSTER)
    assert [(fact.id, fact.type) for fact in playbook.facts] == [
        ("amount", FactType.MONEY),
        ("paid_at", FactType.DATETIME),
        ("beneficiary_iban", FactType.IBAN),
        ("beneficiary_name", FactType.TEXT),
        ("request_channel", FactType.CHOICE),
        ("mailbox_compromised", FactType.YES_NO),
        ("from_account", FactType.IBAN),
    ]
    assert playbook.fact("request_channel").option_ids() == (
        "director_mail",
        "changed_invoice",
        "supplier_new_bank",
        "phone_or_video",
        "other",
    )
    minutes = timedelta(minutes=1)
    assert [(s.id, s.due, s.owner, s.contacts) for s in playbook.steps] == [
        ("call-bank", 15 * minutes, Owner.REPORTER, ("bank",)),
        ("preserve-evidence", 30 * minutes, Owner.REPORTER, ()),
        ("police-report", 60 * minutes, Owner.REPORTER, ("police",)),
        ("alert-it", 60 * minutes, Owner.REPORTER, ("it_provider",)),
        ("reset-passwords", 60 * minutes, Owner.REPORTER, ()),
        ("notify-recipients", 60 * minutes, Owner.REPORTER, ()),
        ("ap-assessment", timedelta(hours=72), Owner.LEAD, ("ap",)),
    ]
    records = {s.id: [(r.id, r.required) for r in s.record] for s in playbook.steps}
    assert records["call-bank"] == [("bank_case_number", True)]
    assert records["police-report"] == [("police_report_number", True)]
    assert [r[0] for r in records["alert-it"]] == ["it_ticket_number"]
    assert records["ap-assessment"][0] == ("personal_data", True)
    assert playbook.step("reset-passwords").after == ("preserve-evidence",)
    assert playbook.step("notify-recipients").when == FactCondition(
        fact="mailbox_compromised", equals="yes"
    )
    assert set(playbook.contacts) == {"police", "fraudehelpdesk", "ncsc", "ap"}
    assert playbook.contacts["police"].phone == "0900-8844"
    assert playbook.contacts["ncsc"].email == "cert@ncsc.nl"
    assert playbook.further_reporting == ("fraudehelpdesk", "ncsc")
    assert playbook.closing is not None


def test_paid_fraudster_triggers_include_the_common_phrasings() -> None:
    triggers = load_playbook(PAID_FRAUDSTER).triggers
    nl = {"oplichter betaald", "nepfactuur betaald", "we zijn opgelicht"}
    en = {"paid a fraudster", "paid a fake invoice", "wired money to a scammer"}
    assert nl <= set(triggers["nl"])
    assert en <= set(triggers["en"])


@pytest.mark.parametrize(
    ("message", "plan"),
    [
        ("ik denk dat we een oplichter hebben betaald", "paid-fraudster"),
        ("I think we paid a fraudster", "paid-fraudster"),
        (
            "the supplier says their bank details changed, we have not paid anything",
            "iban-change-request",
        ),
        (
            "onze leverancier heeft een nieuw rekeningnummer doorgegeven, klopt dat?",
            "iban-change-request",
        ),
        ("CEO-fraude", "ceo-fraud-request"),
    ],
)
def test_a_request_that_was_not_paid_is_not_offered_the_recall_plan(
    message: str, plan: str
) -> None:
    """An attempt must never be offered paid-fraudster, whose first step recalls a payment."""
    playbooks = load_playbooks(PLAYBOOKS)
    triggers = {
        p.id: {str(lang): phrases for lang, phrases in p.triggers.items()}
        for p in playbooks.values()
    }
    found = match_playbook(message, triggers)
    assert found is not None and found.playbook_id == plan


def test_a_dumped_playbook_validates_again() -> None:
    playbook = load_playbook(PAID_FRAUDSTER)
    dumped = playbook.model_dump(mode="json", by_alias=True)
    assert dumped["steps"][0]["due"] == "15m"
    assert Playbook.model_validate(dumped) == playbook


# --- the schema ----------------------------------------------------------------------


def test_committed_schema_is_up_to_date() -> None:
    committed = (PLAYBOOKS / "schema.json").read_text(encoding="utf-8")
    assert committed == render_json_schema(), (
        "playbooks/schema.json is stale: run python -m bot.playbook > playbooks/schema.json"
    )


def test_schema_describes_the_yaml_form() -> None:
    schema = playbook_json_schema()
    step_schema = schema["definitions"]["StepSpec"]["properties"]
    assert step_schema["due"]["type"] == "string"
    assert "in" in schema["definitions"]["FactCondition"]["properties"]
    assert "in_" not in schema["definitions"]["FactCondition"]["properties"]


def test_shipped_playbooks_match_the_schema() -> None:
    """With jsonschema installed the committed schema itself is checked; without it the
    models it is generated from check the same file."""
    schema = json.loads((PLAYBOOKS / "schema.json").read_text(encoding="utf-8"))
    files = [yaml.safe_load(path.read_bytes()) for path in playbook_files([PLAYBOOKS])]
    try:
        import jsonschema
    except ImportError:
        for data in files:
            Playbook.model_validate(data)
        return
    jsonschema.Draft7Validator.check_schema(schema)
    for data in files:
        jsonschema.Draft7Validator(schema).validate(data)


@pytest.mark.parametrize(
    "name",
    [
        "bad-duration",
        "unknown-step-key",
        "missing-nl",
        "condition-both",
        "condition-all-empty",
        "condition-two-forms",
        "condition-nested-typo",
        "choice-without-options",
        "options-on-text",
        "triggers-missing-en",
    ],
)
def test_schema_rejects_what_an_editor_can_see(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(playbook_json_schema())
    data = yaml.safe_load((BROKEN / f"{name}.yaml").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(data))


# --- durations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        ("72h", timedelta(hours=72)),
        ("2d", timedelta(days=2)),
        ("1d12h", timedelta(hours=36)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "1 uur", "90s", "1.5h", "m", "15", "-1h", "30m1h", "1H"])
def test_parse_duration_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration; use e"):
        parse_duration(text)


def test_due_must_be_positive_and_at_most_thirty_days() -> None:
    assert step(due="30d").due == timedelta(days=30)
    assert step(due=timedelta(minutes=5)).due == timedelta(minutes=5)
    for bad in ("30d1m", "0m", 15):
        with pytest.raises(ValidationError):
            step(due=bad)


# --- model behaviour -----------------------------------------------------------------


def test_condition_holds_when_the_answer_is_unknown_or_matches() -> None:
    equals = FactCondition(fact="hacked", equals="yes")
    assert equals.holds({})
    assert equals.holds({"hacked": None})
    assert equals.holds({"hacked": "yes", "other": "no"})
    assert not equals.holds({"hacked": "no"})
    within = FactCondition.model_validate({"fact": "channel", "in": ["mail", "phone"]})
    assert within.in_ == ("mail", "phone")
    assert within.holds({"channel": "phone"})
    assert not within.holds({"channel": "other"})
    assert FactCondition(fact="channel", in_=("mail",)).values == ("mail",)


def test_condition_needs_exactly_one_test() -> None:
    with pytest.raises(ValidationError, match="not both"):
        FactCondition.model_validate({"fact": "x", "equals": "a", "in": ["b"]})
    with pytest.raises(ValidationError, match="one answer"):
        FactCondition(fact="x")


def test_combined_conditions_hide_a_step_only_when_the_known_answers_rule_it_out() -> None:
    when = step(
        when={
            "all": [
                {"fact": "hacked", "equals": "yes"},
                {
                    "any": [
                        {"fact": "channel", "equals": "mail"},
                        {"not": {"fact": "paid", "equals": "no"}},
                    ]
                },
            ]
        }
    ).when
    assert isinstance(when, AllOf)
    assert isinstance(when.all_[1], AnyOf) and isinstance(when.all_[1].any_[1], NotOf)
    assert when.holds({})  # nothing known yet: shown
    assert when.holds({"hacked": "yes"})  # the "any" is still open
    assert not when.holds({"hacked": "no"})  # one "all" part is false: hidden at once
    assert when.holds({"hacked": "yes", "channel": "mail", "paid": "no"})
    assert when.holds({"hacked": "yes", "channel": "phone", "paid": "yes"})
    assert not when.holds({"hacked": "yes", "channel": "phone", "paid": "no"})
    assert when.holds({"hacked": "yes", "channel": "phone"})  # "not" of unknown: shown
    negated = step(when={"not": {"fact": "paid", "in": ["no"]}}).when
    assert negated is not None
    assert [negated.holds(a) for a in ({}, {"paid": "no"}, {"paid": "yes"})] == [True, False, True]


def test_a_playbook_built_in_python_is_held_to_the_condition_rules() -> None:
    text = {"nl": "Tekst", "en": "Text"}
    data = {
        "id": "x",
        "title": text,
        "summary": text,
        "triggers": {"nl": ["x"], "en": ["x"]},
        "facts": [yes_no().model_dump(by_alias=True, exclude_none=True)],
        "steps": [
            step(
                when={
                    "any": [
                        {"fact": "hacked", "equals": "yes"},
                        {"not": {"fact": "nope", "equals": "a"}},
                    ]
                }
            ).model_dump(by_alias=True, exclude_none=True, mode="json")
        ],
    }
    with pytest.raises(ValidationError, match='names fact "nope"'):
        Playbook.model_validate(data)


def test_option_ids_by_fact_type() -> None:
    assert yes_no().option_ids() == ("yes", "no")
    text = FactSpec(id="name", type=FactType.TEXT, ask=LocalText(nl="Naam?", en="Name?"))
    assert text.option_ids() == ()


def test_local_text_falls_back_to_dutch() -> None:
    text = LocalText(nl="  Bel de bank\n", en="Call the bank")
    assert text.nl == "Bel de bank"
    assert text.get("en") == text.get("en-GB") == "Call the bank"
    assert text.get("nl") == text.get("de") == "Bel de bank"


def test_lookup_by_id_and_frozen_models() -> None:
    playbook = load_playbook(PAID_FRAUDSTER)
    assert playbook.step("call-bank").contacts[0] in ORG_CONTACT_IDS
    assert playbook.fact("amount").type is FactType.MONEY
    with pytest.raises(KeyError):
        playbook.step("nope")
    with pytest.raises(KeyError):
        playbook.fact("nope")
    with pytest.raises(ValidationError):
        playbook.steps[0].due = timedelta(hours=2)  # type: ignore[misc]


def test_playbook_error_text_leaves_out_what_is_unknown() -> None:
    assert str(PlaybookError("broken", path=Path("a.yaml"), line=3)) == "a.yaml:3: broken"
    assert str(PlaybookError("broken", path=Path("a.yaml"))) == "a.yaml: broken"
    assert str(PlaybookError("broken")) == "broken"


# --- directories ---------------------------------------------------------------------


def test_validate_paths_reports_every_broken_file(tmp_path: Path) -> None:
    shutil.copy(PAID_FRAUDSTER, tmp_path)
    for name in ("bad-duration", "cycle-two"):
        shutil.copy(BROKEN / f"{name}.yaml", tmp_path)
    (tmp_path / "notes.txt").write_text("not a playbook")
    missing = tmp_path / "missing.yaml"

    errors = validate_paths([tmp_path, missing])

    assert [error.path for error in errors] == [
        tmp_path / "bad-duration.yaml",
        tmp_path / "cycle-two.yaml",
        missing,
    ]
    assert errors[-1].message == "no such file or directory"
    assert playbook_files([tmp_path, missing]) == [
        tmp_path / "bad-duration.yaml",
        tmp_path / "cycle-two.yaml",
        tmp_path / "paid-fraudster.yaml",
    ]
    with pytest.raises(PlaybookError, match="not a duration"):
        load_playbooks(tmp_path)


def test_validate_paths_accepts_single_files() -> None:
    assert validate_paths([PAID_FRAUDSTER]) == []
    [error] = validate_paths([BROKEN / "cycle-three.yaml"])
    assert "circle" in error.message


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="no playbooks"):
        load_playbooks(tmp_path)
    [error] = validate_paths([tmp_path])
    assert error.path == tmp_path


def test_one_id_in_two_files_is_an_error(tmp_path: Path) -> None:
    shutil.copy(PAID_FRAUDSTER, tmp_path / "paid-fraudster.yaml")
    shutil.copy(PAID_FRAUDSTER, tmp_path / "paid-fraudster.yml")
    with pytest.raises(PlaybookError, match="already used by another file") as info:
        load_playbooks(tmp_path)
    assert info.value.path == tmp_path / "paid-fraudster.yml"
    assert info.value.line is not None
    [error] = validate_paths([tmp_path])
    assert error.path == tmp_path / "paid-fraudster.yml"


# --- what the evidence needs -----------------------------------------------------------


def test_a_fact_without_evidence_keys_is_on_the_first_page_under_its_question() -> None:
    fact = yes_no()
    assert fact.first_page is True and fact.breach_register is None
    assert fact.label("nl") == "Gehackt?" and fact.label("en-GB") == "Hacked?"
    short = FactSpec.model_validate(
        {**fact.model_dump(), "short": {"nl": "Gehackt", "en": "Hacked"}, "first_page": False}
    )
    assert short.label("en") == "Hacked" and not short.first_page


def test_a_breach_assessment_maps_its_records_to_the_register_questions() -> None:
    records = [
        {"id": "seen", "type": "yes_no", "label": {"nl": "Gezien?", "en": "Seen?"}},
        {
            "id": "report",
            "type": "choice",
            "label": {"nl": "Melden?", "en": "Report?"},
            "options": [
                {"id": state.value, "label": {"nl": state.value, "en": state.value}}
                for state in ApState
            ],
        },
    ]
    assessed = step(
        breach_assessment=True,
        breach_register={"personal": "seen", "decision": "report"},
        record=records,
    )
    assert assessed.breach_register == {
        BreachQuestion.PERSONAL: "seen",
        BreachQuestion.DECISION: "report",
    }
    playbook = load_playbooks(PLAYBOOKS)["paid-fraudster"]
    assessment = playbook.breach_step()
    assert assessment is not None and set(assessment.breach_register) == set(BreachQuestion)
    with pytest.raises(ValidationError, match='which record answers "personal"'):
        Playbook.model_validate(
            {
                **playbook.model_dump(mode="json", by_alias=True),
                "steps": [step(breach_assessment=True, record=records).model_dump(mode="json")],
            }
        )


def test_the_code_names_no_fact_or_record_of_a_shipped_playbook() -> None:
    """Plans are data (issue 10): the evidence reads what a playbook declares, so no id of
    a shipped plan's facts or records appears in ``bot/`` or ``storage/``. Ids that are
    plain words ("risk", "people") are left out: they are also ordinary names in code."""
    ids = {
        item.id
        for playbook in load_playbooks(PLAYBOOKS).values()
        for item in (*playbook.facts, *(r for s in playbook.steps for r in s.record))
        if "_" in item.id
    }
    root = ROOT
    found = [
        f"{path.relative_to(root)}:{number}: {name}"
        for folder in ("bot", "storage")
        for path in sorted((root / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for name in ids
        if re.search(rf"\b{re.escape(name)}\b", line)
    ]
    assert not found, found


@pytest.mark.parametrize(
    "path",
    sorted(PLAYBOOKS.glob("*.yaml")) + BROKEN_FILES,
    ids=lambda path: path.stem,
)
def test_libyaml_reads_a_file_as_pyyaml_does(path: Path) -> None:
    """The start parses with libyaml; the lines of errors come from the same node marks."""
    from bot.playbook import source

    assert source._FAST_LOADER is not None, "PyYAML without libyaml: starts are slow"
    text = path.read_bytes().decode("utf-8-sig", errors="replace")

    def read(loader: type[source.Loader]) -> tuple[object, object] | str:
        try:
            parsed = source._read(loader(text), path)
        except (yaml.YAMLError, PlaybookError, RecursionError) as exc:
            return type(exc).__name__
        return parsed.data, parsed.lines

    assert read(source._FAST_LOADER) == read(yaml.SafeLoader)
