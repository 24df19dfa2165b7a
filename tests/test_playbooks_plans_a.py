"""Plans A (ceo-fraud-request, iban-change-request, deepfake-call): each loads, asks few
facts, lists its steps most urgent first, and gates its steps on the facts the seeds say."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.playbook import FactType, Playbook, load_playbook

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
def test_already_paid_points_to_the_bank_first(plans: dict[str, Playbook], pid: str) -> None:
    first = plans[pid].steps[0]
    assert first.when is not None and first.when.fact == "already_paid"
    assert first.when.equals == "yes"
    assert "bank" in first.contacts


def test_iban_change_asks_both_ibans_typed(plans: dict[str, Playbook]) -> None:
    types = {fact.id: fact.type for fact in plans["iban-change-request"].facts}
    assert types["old_iban"] is FactType.IBAN
    assert types["new_iban"] is FactType.IBAN


def test_ceo_fraud_hacked_mailbox_step_only_when_mailbox_compromised(
    plans: dict[str, Playbook],
) -> None:
    step = next(s for s in plans["ceo-fraud-request"].steps if s.id == "hacked-mailbox")
    assert step.when is not None and step.when.fact == "mailbox_compromised"
