"""Moves between plans are data, checked when the plans are loaded together: the plan a
move names exists, what it carries fits the other plan's fact, and a fact id two plans
share takes the same answers in both. Each refusal names the file and the line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.playbook import PlaybookError, load_playbooks, validate_paths

PLAYBOOKS = Path(__file__).resolve().parents[1] / "playbooks"


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    for name in ("ceo-fraud-request", "paid-fraudster", "hacked-mailbox"):
        shutil.copy(PLAYBOOKS / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


def edit(directory: Path, name: str, old: str, new: str) -> Path:
    path = directory / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def refused(directory: Path) -> PlaybookError:
    with pytest.raises(PlaybookError) as info:
        load_playbooks(directory)
    first = validate_paths([directory])[0]  # app.py validate says the same
    assert str(first) == str(info.value)
    return info.value


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_shipped_plans_load_together() -> None:
    plans = load_playbooks(PLAYBOOKS)
    targets = {(pid, m.target) for pid, p in plans.items() for m in p.moves}
    assert ("ceo-fraud-request", "hacked-mailbox") in targets
    assert {("ceo-fraud-request", "paid-fraudster"), ("iban-change-request", "paid-fraudster"),
            ("deepfake-call", "paid-fraudster")} <= targets  # fmt: skip


def test_a_move_to_a_plan_that_does_not_exist(plans: Path) -> None:
    path = edit(plans, "ceo-fraud-request", "switch_to: paid-fraudster", "switch_to: paid-fraud")
    error = refused(plans)
    assert error.path == path and error.line == line_of(path, "switch_to: paid-fraud")
    assert 'moves[1].switch_to: there is no plan "paid-fraud"; use one of: ' in error.message
    assert "hacked-mailbox, paid-fraudster" in error.message


def test_an_added_plan_that_is_not_installed(plans: Path) -> None:
    (plans / "hacked-mailbox.yaml").unlink()
    error = refused(plans)
    assert 'moves[2].add: there is no plan "hacked-mailbox"' in error.message


def test_carry_to_a_fact_the_other_plan_does_not_ask(plans: Path) -> None:
    path = edit(plans, "ceo-fraud-request", "to: request_channel", "to: channel")
    error = refused(plans)
    assert error.line == line_of(path, "to: channel")
    assert '"to" names fact "channel", which plan "paid-fraudster" does not ask' in error.message


def test_carry_of_an_answer_the_other_fact_does_not_have(plans: Path) -> None:
    edit(plans, "ceo-fraud-request", "mail: director_mail", "mail: boss_mail")
    error = refused(plans)
    assert '"boss_mail" is not an answer of fact "request_channel" of plan "paid-fraudster"' in (
        error.message
    )


def test_carry_between_facts_with_other_answers_needs_values(plans: Path) -> None:
    edit(
        plans,
        "ceo-fraud-request",
        "        values: {mail: director_mail, phone: phone_or_video, whatsapp: other}\n",
        "",
    )
    error = refused(plans)
    assert 'do not take the same answers; map them with "values' in error.message


def test_a_shared_fact_id_must_take_the_same_answers(plans: Path) -> None:
    path = edit(plans, "ceo-fraud-request", "- id: request_via", "- id: request_channel")
    edit(plans, "ceo-fraud-request", "from: request_via", "from: request_channel")
    error = refused(plans)
    assert error.path == path and error.line == line_of(path, "- id: request_channel")
    assert 'fact "request_channel" is also in plan "paid-fraudster" with other answers' in (
        error.message
    )
    other = validate_paths([plans])[1]  # and the other file is told too
    assert other.path == plans / "paid-fraudster.yaml"
    assert 'is also in plan "ceo-fraud-request"' in other.message


def test_a_shared_follow_up_id_must_be_the_same_follow_up(plans: Path) -> None:
    """An incident running both plans proposes a shared id once: it must mean one thing."""
    path = edit(plans, "hacked-mailbox", "  - id: mfa", "  - id: code-word")
    error = refused(plans)  # ceo-fraud-request's code-word differs from this one
    ceo = plans / "ceo-fraud-request.yaml"
    assert error.path == ceo and error.line == line_of(ceo, "  - id: code-word")
    assert 'follow-up "code-word" is also in plan "hacked-mailbox", worded or timed ' in (
        error.message
    )
    other = validate_paths([plans])[1]  # and the other file is told too
    assert other.path == path and other.line == line_of(path, "  - id: code-word")
    assert 'is also in plan "ceo-fraud-request"' in other.message
