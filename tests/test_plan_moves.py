"""Moving between plans inside one incident (issue 11), end to end through the web chat's
real HTTP interface on SQLite and PostgreSQL: an attempt that turns out paid switches to
the paid plan (bank call first, deadlines from the switch, answers carried over), a hacked
mailbox adds its plan alongside, each step knows its plan, and the timeline says it all."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp

from bot.clock import ManualClock
from bot.evidence.jsonexport import render_json
from bot.evidence.model import StepState
from bot.evidence.source import read_evidence
from bot.ports import Incident, PlanRole, Step, StepStatus
from tests.harness import FRIDAY_MORNING, RunningApp
from tests.test_flow import assert_chain_intact, events_of, incident_id_in
from tests.webclient import WebUser, texts


async def stored(bot: RunningApp, incident_id: str) -> tuple[Incident, list[Step]]:
    async with bot.runtime.require_store().transaction() as tx:
        incident = await tx.get_incident(incident_id)
        assert incident is not None
        return incident, await tx.get_steps(incident_id)


async def test_attempt_that_turns_out_paid_switches_to_the_paid_plan_bank_first(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    await jan.say("ceo fraude")
    opened = await jan.press("Ja, start")
    incident_id = incident_id_in(opened)
    assert "Is er al iets betaald?" in texts(opened)
    piet = WebUser(http, bot.url, "Piet")
    await piet.say(f"doe mee {incident_id}")
    await jan.inbox()

    clock.advance(timedelta(minutes=7))
    switched = await jan.press("Ja")  # already paid: yes
    said = texts(switched)
    assert (
        f"Er is toch al betaald: incident {incident_id} gaat nu verder met het plan "
        "*We hebben mogelijk een oplichter betaald*"
    ) in said
    assert "termijnen vanaf nu (10:07)" in said
    cards = [m for m in switched if m["kind"] == "step"]
    assert len(cards) == 1 and "bank" in cards[0]["title"].lower(), "the bank call comes first"
    deadline = next(f["value"] for f in cards[0]["fields"] if f["label"] == "Deadline")
    assert deadline.startswith("10:22") and "geteld vanaf 10:07" in deadline
    assert switched[-1]["kind"] == "question" and "bedrag" in switched[-1]["text"].lower()
    told = texts(await piet.inbox())
    assert f"Jan: Er is toch al betaald. Incident {incident_id} gaat nu verder" in told

    incident, steps = await stored(bot, incident_id)
    assert incident.playbook_id == "paid-fraudster"
    assert [(p.playbook_id, p.role) for p in incident.plan_list()] == [
        ("ceo-fraud-request", PlanRole.SWITCHED_FROM),
        ("paid-fraudster", PlanRole.MAIN),
    ]
    assert incident.plan_list()[1].since == FRIDAY_MORNING + timedelta(minutes=7)
    old = [s for s in steps if s.plan == "ceo-fraud-request"]
    new = [s for s in steps if s.plan == "paid-fraudster"]
    assert old and all(s.status is StepStatus.NOT_APPLICABLE for s in old)
    assert new[0].step_id == "call-bank" and new[0].position == len(old)
    assert new[0].due_at == FRIDAY_MORNING + timedelta(minutes=7 + 15), "counted from the switch"
    events = await events_of(bot, incident_id)
    assert_chain_intact(events)
    switch = next(e for e in events if e.kind == "plan_switched")
    assert (switch.actor_name, switch.data["from"], switch.data["plan"]) == (
        "Jan", "ceo-fraud-request", "paid-fraudster",
    )  # fmt: skip
    assert switch.data["because"] == "Er is toch al betaald"
    assert sorted(switch.data["closed_steps"]) == sorted(s.step_id for s in old)
    assert [s["step"] for s in switch.data["steps"]] == [s.step_id for s in new]

    checklist = next(m for m in await jan.say("status") if m["kind"] == "checklist")
    assert "*We hebben mogelijk een oplichter betaald*" in checklist["text"]
    assert "gevolgd tot 10:07, toen overgestapt" in checklist["text"]
    facts = str(checklist["fields"])
    assert "Is er al iets betaald?: ja" in facts, "what was answered stays on it"
    assert "Hoe kwam het verzoek binnen" not in facts, "the old plan asks no more"
    timeline = texts(await jan.press("Tijdlijn"))
    assert "Overgestapt op het plan We hebben mogelijk een oplichter betaald" in timeline
    assert "Niet meer nodig na de overstap: Betaal niet en antwoord niet" in timeline

    # The evidence file: named by the paid plan, every step of both plans with its fate.
    runtime = bot.runtime
    async with runtime.require_store().transaction() as tx:
        evidence = await read_evidence(
            tx,
            incident_id,
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            generated_at=clock.now(),
        )
    file = evidence.timeline
    assert "We hebben mogelijk een oplichter betaald" in str(file.summary)
    lines = {line.step_id: line for line in file.steps}
    assert set(lines) == {s.step_id for s in steps}
    assert lines["do-not-pay"].state is StepState.NOT_APPLICABLE
    assert any("overgestapt op We hebben" in note for note in lines["do-not-pay"].notes)
    assert any("uit het plan We hebben" in note for note in lines["call-bank"].notes)
    head = json.loads(render_json(evidence.events, timeline=file))
    assert [e["kind"] for e in head["events"]].count("plan_switched") == 1


async def test_switch_carries_an_answer_the_paid_plan_asks_under_another_id(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    await ann.say("our supplier sent a new bank account number, is that right?")
    incident_id = incident_id_in(await ann.press("Yes"))
    await ann.say("NL91ABNA0417164300")  # the old IBAN
    await ann.say("DE89 3704 0044 0532 0130 00")  # the new one
    switched = await ann.press("Yes")  # already paid after all
    assert "now continues with the plan *We may have paid a fraudster*" in texts(switched)
    asked = []
    for _ in range(8):  # answer the paid plan's questions until the first step
        question = ann.history[-1]
        if question["kind"] != "question" or not question.get("title", "").startswith("Q"):
            break
        asked.append(question["text"])
        await ann.press("Don't know")
    assert len(asked) >= 3 and not any("(IBAN) did the money go to" in q for q in asked), asked
    async with bot.runtime.require_store().transaction() as tx:
        facts = await tx.get_facts(incident_id)
    assert facts["beneficiary_iban"].value == "DE89370400440532013000"
    carried = [
        e for e in await events_of(bot, incident_id) if e.data.get("carried_from") == "new_iban"
    ]
    assert [e.data["fact"] for e in carried] == ["beneficiary_iban"]


async def test_hacked_mailbox_is_added_alongside_and_the_checklist_shows_both(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    await ann.say("ceo fraud")
    incident_id = incident_id_in(await ann.press("Yes, start"))
    await ann.press("No")  # nothing paid
    await ann.press("E-mail")
    clock.advance(timedelta(minutes=3))
    added = await ann.press("Yes")  # the mail came from our own address
    said = texts(added)
    assert (
        f"The mailbox itself may be hacked: I added the plan *Someone is in a mailbox* "
        f"to incident {incident_id}"
    ) in said or "I added the plan" in said
    assert added[-1]["kind"] == "question", "the added plan's own questions follow"

    incident, steps = await stored(bot, incident_id)
    assert incident.playbook_id == "ceo-fraud-request"
    assert [(p.playbook_id, p.role) for p in incident.plan_list()] == [
        ("ceo-fraud-request", PlanRole.MAIN),
        ("hacked-mailbox", PlanRole.ADDED),
    ]
    ceo = [s for s in steps if s.plan == "ceo-fraud-request"]
    mailbox = [s for s in steps if s.plan == "hacked-mailbox"]
    assert all(s.status is StepStatus.OPEN for s in ceo), "adding closes nothing"
    assert mailbox and [s.position for s in mailbox] == list(
        range(len(ceo), len(ceo) + len(mailbox))
    )
    assert all(s.due_at >= FRIDAY_MORNING + timedelta(minutes=3) for s in mailbox)
    added_event = next(e for e in await events_of(bot, incident_id) if e.kind == "plan_added")
    assert added_event.data["by_plan"] == "ceo-fraud-request"
    assert added_event.data["plan"] == "hacked-mailbox"

    checklist = next(m for m in await ann.say("status") if m["kind"] == "checklist")
    assert " + " in checklist["title"], "both plans in the title"
    assert "(added at 10:03)" in checklist["text"]
    step_buttons = [b["label"] for b in checklist["buttons"] if b["label"].startswith("▶")]
    assert len(step_buttons) == len(ceo) + len(mailbox)


# --- a second situation from someone with an open incident ---------------------------


async def test_typing_it_was_paid_after_all_asks_same_or_new_and_switches(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    await jan.say("ceo fraude")
    incident_id = incident_id_in(await jan.press("Ja, start"))
    await jan.press("Nee")  # not paid (yet)
    await jan.press("Mail")  # it came by mail: carried to the paid plan's question
    await jan.press("Nee")  # not from our own mailbox

    asked = await jan.say("volgens mij hebben we toch een oplichter betaald")
    question = asked[-1]
    assert question["kind"] == "question"
    assert f"Je hebt al een open incident:\n{incident_id} (" in question["text"]
    assert f"over {incident_id}?" in question["text"] and "nieuw incident" in question["text"]
    assert [b["label"] for b in question["buttons"]] == [
        f"Ja, over {incident_id}", "Nee, een nieuw incident", "Nee",
    ]  # fmt: skip
    switched = await jan.press(f"Ja, over {incident_id}")
    assert "Er is toch al betaald: incident" in texts(switched)
    assert any(m["kind"] == "step" and "bank" in m["title"].lower() for m in switched)

    incident, _ = await stored(bot, incident_id)
    assert incident.playbook_id == "paid-fraudster"
    async with bot.runtime.require_store().transaction() as tx:
        facts = await tx.get_facts(incident_id)
        assert incident.org_id is not None
        mine = await tx.open_incidents_for(org_id=incident.org_id, user_key=incident.reported_by)
    assert facts["request_channel"].value == "director_mail", "carried as the move declares"
    assert facts["mailbox_compromised"].value == "no", "same id: the answer stands"
    assert [i.id for i in mine] == [incident_id], "no second incident was opened"


async def test_a_new_situation_can_be_added_or_opened_as_a_new_incident(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    first = incident_id_in(await ann.say("I think we paid a fraudster") + await ann.press("Yes"))
    asked = await ann.say("ceo fraud")
    assert f"Is this (*A 'director' asks for an urgent payment*) about {first}?" in texts(asked)
    added = await ann.press(f"Yes, about {first}")
    assert "Ann described in the chat: “ceo fraud”: I added the plan" in texts(added)
    incident, _ = await stored(bot, first)
    assert [(p.playbook_id, p.role) for p in incident.plan_list()] == [
        ("paid-fraudster", PlanRole.MAIN), ("ceo-fraud-request", PlanRole.ADDED),
    ]  # fmt: skip

    await ann.say("whatsapp account hacked")
    opened = await ann.press("No, a new incident")
    second = incident_id_in([m for m in opened if m.get("incident_id") != first])
    assert second != first
    assert f"Incident *{second}* opened" in texts(opened)
    again = await ann.say("ceo fraud")  # the first incident already runs that plan
    labels = [b["label"] for b in again[-1]["buttons"]]
    assert f"Yes, about {first}" in labels and f"Yes, about {second}" in labels
    await ann.press(f"Yes, about {first}")
    assert "already follows that plan" in texts(ann.history[-3:])
