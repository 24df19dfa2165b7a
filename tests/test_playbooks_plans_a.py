"""Plans A (ceo-fraud-request, iban-change-request, deepfake-call): each loads, asks few
facts, lists its steps most urgent first, and gates its steps on the facts the seeds say."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.playbook import FactCondition, FactType, Playbook, load_playbook
from bot.playbook.models import MoveKind

PLAYBOOKS = Path(__file__).resolve().parents[1] / "playbooks"
PLANS = ("ceo-fraud-request", "iban-change-request", "deepfake-call")


@pytest.fixture(scope="module")
def plans() -> dict[str, Playbook]:
    return {pid: load_playbook(PLAYBOOKS / f"{pid}.yaml") for pid in PLANS}


@pytest.mark.parametrize("pid", PLANS)
def test_loads_with_its_id_and_few_facts(plans: dict[str, Playbook], pid: str) -> None:
    plan = plans[pid]
    assert plan.id == pid
    # People are in a panic: a handful of questions at most.
    assert 1 <= len(plan.facts) <= 3


@pytest.mark.parametrize("pid", PLANS)
def test_steps_most_urgent_first(plans: dict[str, Playbook], pid: str) -> None:
    dues = [step.due for step in plans[pid].steps]
    assert dues == sorted(dues)


@pytest.mark.parametrize("pid", PLANS)
def test_already_paid_switches_to_the_paid_plan_bank_first(
    plans: dict[str, Playbook], pid: str
) -> None:
    move = next(m for m in plans[pid].moves if m.kind is MoveKind.SWITCH)
    assert move.target == "paid-fraudster"
    assert isinstance(move.when, FactCondition)
    assert (move.when.fact, move.when.equals) == ("already_paid", "yes")
    paid = load_playbook(PLAYBOOKS / "paid-fraudster.yaml")
    assert paid.steps[0].urgent and "bank" in paid.steps[0].contacts


def test_iban_change_asks_both_ibans_typed(plans: dict[str, Playbook]) -> None:
    types = {fact.id: fact.type for fact in plans["iban-change-request"].facts}
    assert types["old_iban"] is FactType.IBAN
    assert types["new_iban"] is FactType.IBAN


def test_ceo_fraud_adds_the_hacked_mailbox_plan_only_when_mailbox_compromised(
    plans: dict[str, Playbook],
) -> None:
    move = next(m for m in plans["ceo-fraud-request"].moves if m.kind is MoveKind.ADD)
    assert move.target == "hacked-mailbox"
    assert move.when.decide({"mailbox_compromised": "yes"}) is True
    assert move.when.decide({"mailbox_compromised": "no"}) is False
    assert move.when.decide({}) is None  # unanswered: no move yet
