"""The plans hacked-mailbox, whatsapp-takeover and buyer-fraud: they load, their steps are in
order of urgency, and the steps that depend on a fact appear only for the right answer."""

from pathlib import Path

import pytest

from bot.playbook import load_playbook, load_playbooks
from bot.playbook.models import Playbook

PLAYBOOKS = Path(__file__).parent.parent / "playbooks"
PLANS = ("hacked-mailbox", "whatsapp-takeover", "buyer-fraud")


@pytest.fixture(scope="module")
def plans() -> dict[str, Playbook]:
    return load_playbooks(PLAYBOOKS)


def visible(plan: Playbook, answers: dict[str, str | None]) -> list[str]:
    return [s.id for s in plan.steps if s.when is None or s.when.holds(answers)]


@pytest.mark.parametrize("plan_id", PLANS)
def test_plan_loads_with_its_id(plans: dict[str, Playbook], plan_id: str) -> None:
    assert load_playbook(PLAYBOOKS / f"{plan_id}.yaml").id == plan_id
    assert plan_id in plans


@pytest.mark.parametrize("plan_id", PLANS)
def test_steps_are_most_urgent_first(plans: dict[str, Playbook], plan_id: str) -> None:
    dues = [step.due for step in plans[plan_id].steps]
    assert dues == sorted(dues)


def test_hacked_mailbox_reuses_the_breach_assessment(plans: dict[str, Playbook]) -> None:
    ours = next(s for s in plans["hacked-mailbox"].steps if s.breach_assessment)
    theirs = next(s for s in plans["paid-fraudster"].steps if s.breach_assessment)
    assert ours.record == theirs.record
    assert str(ours.due) == str(theirs.due)
    steps = [s.id for s in plans["hacked-mailbox"].steps]
    assert steps.index("preserve-evidence") < steps.index("it-lockout")
    assert "notify-recipients" not in visible(
        plans["hacked-mailbox"], {"mail_sent_by_attacker": "no"}
    )
    assert "notify-recipients" in visible(plans["hacked-mailbox"], {"mail_sent_by_attacker": None})


def test_whatsapp_bank_step_only_when_contacts_paid(plans: dict[str, Playbook]) -> None:
    plan = plans["whatsapp-takeover"]
    assert "contacts-call-bank" in visible(plan, {"contacts_paid": "yes"})
    assert "contacts-call-bank" not in visible(plan, {"contacts_paid": "no"})
    warn = next(s for s in plan.steps if s.id == "warn-contacts")
    [text_id] = warn.texts  # the warning to copy is a text ready to send, with the number
    warning = plan.texts[text_id].body
    assert "{phone_number}" in warning.nl and "overgenomen" in warning.nl
    assert "{phone_number}" in warning.en and "taken over" in warning.en


def test_buyer_fraud_before_and_after_shipping(plans: dict[str, Playbook]) -> None:
    plan = plans["buyer-fraud"]
    before = visible(plan, {"shipped": "no"})
    after = visible(plan, {"shipped": "yes"})
    assert before[0] == "hold-shipment" and "stop-carrier" not in before
    assert after[0] == "stop-carrier" and "hold-shipment" not in after
    assert {"police-report", "inform-insurer"} <= set(after) - set(before)
