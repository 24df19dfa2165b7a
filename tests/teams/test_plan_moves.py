"""Moving between plans in Teams (issue 11), end to end with real Bot Framework activities
on a real port and a fake Bot Connector over loopback: an attempt that turns out paid
continues as the paid plan in the same incident, bank step first; a hacked mailbox adds
its plan, and the cards name both plans, the main one first."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.ports import PlanRole
from tests.harness import RunningApp
from tests.teams.chat import events_of, incident_in
from tests.teams.fakes import People, actions, cards, texts


async def incident_plans(bot: RunningApp, incident_id: str) -> list[tuple[str, PlanRole]]:
    async with bot.runtime.require_store().transaction() as tx:
        incident = await tx.get_incident(incident_id)
    assert incident is not None
    return [(p.playbook_id, p.role) for p in incident.plan_list()]


async def test_an_attempt_that_was_already_paid_continues_as_the_paid_plan(
    bot: RunningApp, person: People, clock: ManualClock
) -> None:
    jan = person("Jan")
    await jan.say("ceo fraude")
    opened = await jan.press("Ja, start")
    incident_id = incident_in(opened)
    assert "Is er al iets betaald?" in texts(opened)

    clock.advance(timedelta(minutes=7))
    switched = await jan.press("Ja")  # it was already paid
    said = texts(switched)
    assert incident_in(switched) == incident_id, "the same incident number"
    assert (
        f"Er is toch al betaald: incident {incident_id} gaat nu verder met het plan "
        "*We hebben mogelijk een oplichter betaald*"
    ) in said
    assert "termijnen vanaf nu (10:07)" in said
    step_cards = [
        sent
        for sent in switched
        if any(a["title"] == "Gedaan" for c in cards([sent.body]) for a in actions(c))
    ]
    assert len(step_cards) == 1, "one step card: the bank call comes first"
    bank = texts(step_cards)
    assert "Rabobank fraudelijn" in bank, "with the bank's number from the organisation"
    assert "Bel je bank en laat de betaling stoppen" in bank
    assert "10:22" in bank and "geteld vanaf 10:07" in bank, "counted from the switch"
    assert await incident_plans(bot, incident_id) == [
        ("ceo-fraud-request", PlanRole.SWITCHED_FROM),
        ("paid-fraudster", PlanRole.MAIN),
    ]

    status = await jan.say("status")
    checklist = texts(status)
    assert f"Overzicht {incident_id}: We hebben mogelijk een oplichter betaald" in checklist
    assert "gevolgd tot 10:07, toen overgestapt" in checklist
    events = await events_of(bot, incident_id)
    switch = next(e for e in events if e.kind == "plan_switched")
    assert (switch.data["from"], switch.data["plan"]) == ("ceo-fraud-request", "paid-fraudster")


async def test_a_hacked_mailbox_is_layered_and_the_cards_name_both_plans(
    bot: RunningApp, person: People
) -> None:
    ann = person("Ann", locale="en-US")
    await ann.say("ceo fraud")
    incident_id = incident_in(await ann.press("Yes, start"))
    await ann.press("No")  # nothing paid
    await ann.press("E-mail")
    added = await ann.press("Yes")  # it came from one of our own addresses
    assert (
        "The mailbox itself may be hacked: I added the plan *Someone else is in a mailbox*"
    ) in texts(added)
    assert incident_in(added) == incident_id
    assert await incident_plans(bot, incident_id) == [
        ("ceo-fraud-request", PlanRole.MAIN),
        ("hacked-mailbox", PlanRole.ADDED),
    ]

    status = await ann.say("status")
    shown = texts(status)
    assert (
        f"Checklist {incident_id}: A 'director' asks for an urgent payment + "
        "Someone else is in a mailbox"
    ) in shown, "the card's header names both plans, the main one first"
    listed = texts(await ann.say("list"))
    assert (
        f"{incident_id}* A 'director' asks for an urgent payment + Someone else is in a mailbox"
        in (listed)
    )
