"""Free text to a plan: the dev-set targets, typos, determinism, plans without examples.

The recognizer is trained once per module from playbooks/examples/ (the plan ids come from
the example files, so these tests do not depend on the playbook YAML being written in
parallel). The dev set, tests/data/intents_dev.yaml, is never trained on.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from bench.intents import (
    EXAMPLES,
    NONE_LABEL,
    example_plan_ids,
    load_dev_set,
    run_dev,
    training_set,
)
from bot.recognition import (
    ORDINARY,
    Band,
    ExamplesError,
    Recognition,
    Recognizer,
    TrainingSet,
    band,
    load_training_set,
    prepare,
)

PLAN_IDS = (
    "paid-fraudster",
    "ceo-fraud-request",
    "iban-change-request",
    "hacked-mailbox",
    "whatsapp-takeover",
    "deepfake-call",
    "buyer-fraud",
)


@pytest.fixture(scope="module")
def training() -> TrainingSet:
    return training_set()


@pytest.fixture(scope="module")
def recognizer(training: TrainingSet) -> Recognizer:
    return Recognizer.train(training)


def offered(result: Recognition) -> list[str]:
    return [c.playbook_id for c in result.candidates]


def confidently(result: Recognition, playbook_id: str) -> bool:
    return result.band is Band.CONFIDENT and offered(result) == [playbook_id]


# The data itself --------------------------------------------------------------------------


def test_every_plan_has_enough_examples_in_both_languages(training: TrainingSet) -> None:
    assert sorted(example_plan_ids()) == sorted(PLAN_IDS)
    for playbook_id in PLAN_IDS:
        by_lang = [e.lang for e in training.plans[playbook_id]]
        assert by_lang.count("nl") >= 40, playbook_id
        assert by_lang.count("en") >= 40, playbook_id
    assert len(training.ordinary) >= 80


def test_dev_set_is_big_varied_and_never_trained_on(training: TrainingSet) -> None:
    dev = load_dev_set()
    assert len(dev) >= 400
    assert {item.label for item in dev} == {*PLAN_IDS, NONE_LABEL}
    assert sum(item.label == NONE_LABEL for item in dev) >= 80
    trained = {prepare(e.text) for e in training.ordinary}
    trained |= {prepare(e.text) for examples in training.plans.values() for e in examples}
    leaked = [item.text for item in dev if prepare(item.text) in trained]
    assert leaked == []


# The targets ------------------------------------------------------------------------------


def test_dev_set_targets(recognizer: Recognizer) -> None:
    """>= 97% right plan proposed or offered, no plan offered on ordinary chat, no wrong plan
    proposed with confidence (python -m bench.intents prints the details)."""
    report = run_dev(recognizer, load_dev_set())
    assert report.right_share >= 0.97
    assert [item.text for item, _ in report.false_starts] == []
    assert [item.text for item, _ in report.confident_wrong] == []
    for playbook_id in PLAN_IDS:
        assert report.right[playbook_id] / report.total[playbook_id] >= 0.9, playbook_id


@pytest.mark.parametrize(
    "text",
    [
        "we hebben zojuist 8.000 euro naar een oplichter overgeboekt",
        "de rekening die we betaalden bleek van criminelen",
        "our bookkeeper sent money to a fraudulent account this morning",
        "someone pretending to be our owner made us pay them",
    ],
)
def test_the_wordings_issue_9_saw_fail_now_reach_paid_fraudster(
    recognizer: Recognizer, text: str
) -> None:
    result = recognizer.recognise(text)
    assert result.band is not Band.NONE
    assert "paid-fraudster" in offered(result)


@pytest.mark.parametrize(
    "text",
    [
        "the supplier says their bank details changed, we have not paid anything",
        "supplier says bank details changed, we have not paid anything",
        "onze leverancier heeft een nieuw rekeningnummer doorgegeven, klopt dat?",
        "leverancier meldt gewijzigde bankgegevens, er is nog niets betaald",
        "the director asks for an urgent payment, I haven't paid",
        "video call with the CFO asking for money, nothing paid",
        "new bank details from the supplier",
        "nieuw rekeningnummer",
    ],
)
def test_nothing_paid_is_never_confidently_paid_fraudster(
    recognizer: Recognizer, text: str
) -> None:
    result = recognizer.recognise(text)
    assert not confidently(result, "paid-fraudster")
    assert result.band is not Band.NONE


@pytest.mark.parametrize(
    "text",
    [
        "de schilder is betaald",
        "koffie om 10?",
        "can you send me the invoice",
        "ik heb mijn wachtwoord vergeten",
        "the bank called back about the overdraft",
        "",
        "   ",
        "!!!",
    ],
)
def test_ordinary_chat_is_offered_no_plan(recognizer: Recognizer, text: str) -> None:
    result = recognizer.recognise(text)
    assert result.band is Band.NONE
    assert result.candidates == ()


@pytest.mark.xfail(
    strict=True,
    reason="known limit: a short ordinary message whose only content word is a plan's topic "
    "(directeur, whatsapp) goes to the chooser; the safe side, but a false start",
)
@pytest.mark.parametrize("text", ["de directeur is er vandaag niet", "stuur het maar via whatsapp"])
def test_short_ordinary_messages_on_a_plans_topic(recognizer: Recognizer, text: str) -> None:
    assert recognizer.recognise(text).band is Band.NONE


def test_band_shapes(recognizer: Recognizer) -> None:
    """Confident: exactly one plan; unsure: two to four, best first."""
    seen: set[Band] = set()
    for item in load_dev_set():
        result = recognizer.recognise(item.text)
        seen.add(result.band)
        scores = [c.score for c in result.candidates]
        assert scores == sorted(scores, reverse=True)
        if result.band is Band.CONFIDENT:
            assert len(result.candidates) == 1
        elif result.band is Band.UNSURE:
            assert 2 <= len(result.candidates) <= 4
        assert ORDINARY not in offered(result)
    assert seen == set(Band)


def test_paid_and_not_paid_plans_that_both_fit_go_to_the_chooser() -> None:
    pair = frozenset({"paid-fraudster", "iban-change-request"})
    scores = {"paid-fraudster": 0.9, "iban-change-request": 0.06, ORDINARY: 0.04}
    assert band(scores).band is Band.CONFIDENT
    result = band(scores, ask_between={pair})
    assert result.band is Band.UNSURE
    assert offered(result) == ["paid-fraudster", "iban-change-request"]


# Robustness -------------------------------------------------------------------------------


def _typo(text: str, rng: random.Random) -> str:
    """One typo in each of up to two words of four letters or more: a swapped pair, a
    dropped or a doubled letter, as thumbs on a phone make them."""
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in rng.sample(long_words, min(2, len(long_words))):
        w = words[i]
        j = rng.randrange(1, len(w) - 1)
        kind = rng.randrange(3)
        if kind == 0:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif kind == 1:
            w = w[:j] + w[j + 1 :]
        else:
            w = w[:j] + w[j] + w[j:]
        words[i] = w
    return " ".join(words)


def test_typos_do_not_lose_the_plan_nor_propose_a_wrong_one(recognizer: Recognizer) -> None:
    rng = random.Random(9)
    plans = [item for item in load_dev_set() if item.label != NONE_LABEL]
    right = 0
    wrong: list[str] = []
    for item in plans:
        text = _typo(item.text, rng)
        result = recognizer.recognise(text)
        right += item.label in offered(result)
        if result.band is Band.CONFIDENT and offered(result) != [item.label]:
            wrong.append(text)
    assert right / len(plans) >= 0.95
    assert wrong == []


def test_training_is_deterministic(recognizer: Recognizer, training: TrainingSet) -> None:
    again = Recognizer.train(training)
    for item in load_dev_set()[::7]:
        assert again.scores(item.text) == recognizer.scores(item.text)


# Plans as data ----------------------------------------------------------------------------


def test_a_plan_with_only_triggers_is_recognised(tmp_path: Path) -> None:
    """Adding a plan is adding YAML: with no examples file, its triggers train it."""
    for path in EXAMPLES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    triggers = {pid: {} for pid in PLAN_IDS} | {
        "parcel-scam": {
            "nl": ["nep bezorgbericht", "pakketbezorger sms met betaallink", "pakketfraude"],
            "en": ["fake delivery text", "parcel delivery scam", "courier sms payment link"],
        }
    }
    training = load_training_set(tmp_path, triggers)
    assert len(training.plans["parcel-scam"]) == 6
    recognizer = Recognizer.train(training)
    for text in ("ik kreeg een nep bezorgbericht", "got a fake delivery text with a link"):
        result = recognizer.recognise(text)
        assert result.band is not Band.NONE
        assert "parcel-scam" in offered(result)


def test_examples_of_plans_that_are_not_loaded_are_ignored() -> None:
    training = load_training_set(EXAMPLES, {"paid-fraudster": {"nl": ["x"], "en": ["y"]}})
    assert set(training.plans) == {"paid-fraudster"}
    assert training.ask_between == frozenset()
    assert training.plans["paid-fraudster"][:2][0].text == "x"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nl: [unclosed", "cannot be read"),
        ("- just a list", "expected a mapping"),
        ("nl: [a]\nen: [b]\nexamples: [c]", "unknown keys"),
        ("nl: a text, not a list\nen: []", "nl must be a list"),
        ("nl: []\nen: []\nask_when_also: paid-fraudster", "ask_when_also must be a list"),
    ],
)
def test_a_broken_examples_file_is_named_with_what_is_wrong(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "some-plan.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ExamplesError) as caught:
        load_training_set(tmp_path, {"some-plan": {"nl": ["a"], "en": ["b"]}})
    assert "some-plan.yaml" in str(caught.value)
    assert message in str(caught.value)


def test_without_ordinary_chat_there_is_nothing_to_learn(tmp_path: Path) -> None:
    training = load_training_set(tmp_path, {"some-plan": {"nl": ["a"], "en": ["b"]}})
    with pytest.raises(ExamplesError, match="ordinary chat"):
        Recognizer.train(training)
