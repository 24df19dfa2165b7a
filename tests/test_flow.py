"""The paid-fraudster flow end to end, through the web chat's real HTTP interface."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

import app as app_module
from bot.chain import GENESIS, event_hash
from bot.clock import ManualClock
from bot.i18n import t
from bot.messages import ConfirmStart, PickIncident, StepDone, decode_action, encode_action
from bot.playbook import load_playbooks
from bot.ports import Event
from storage import outbox
from tests.harness import FIXTURE_ORGANISATION, FRIDAY_MORNING, RunningApp, running_app
from tests.webclient import WebUser, texts

PLAYBOOKS = Path(__file__).parent.parent / "playbooks"


async def events_of(app: RunningApp, incident_id: str) -> list[Event]:
    async with app.runtime.require_store().transaction() as tx:
        return await tx.get_events(incident_id)


def incident_id_in(messages: list[dict]) -> str:
    ids = {m["incident_id"] for m in messages if m.get("incident_id")}
    assert len(ids) == 1, ids
    return ids.pop()


def assert_chain_intact(events: list[Event]) -> None:
    previous = GENESIS
    for seq, event in enumerate(events, start=1):
        assert event.seq == seq
        assert event.prev_hash == previous
        assert event.hash == event_hash(
            incident_id=event.incident_id,
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            actor_name=event.actor_name,
            kind=event.kind,
            data=event.data,
            prev_hash=event.prev_hash,
        )
        previous = event.hash


async def open_incident(
    user: WebUser, text: str = "volgens mij hebben we een oplichter betaald"
) -> str:
    confirm = await user.say(text)
    assert confirm[-1]["kind"] == "question"
    opened = await user.press("Ja" if user.locale == "nl" else "Yes")
    return incident_id_in(opened)


async def test_whole_flow_in_dutch(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    confirm = await jan.say("ik denk dat we een oplichter hebben betaald")
    assert "oplichter" in texts(confirm).lower() and "starten" in texts(confirm)
    opened = await jan.press("Ja")
    incident = incident_id_in(opened)
    assert f"Incident *{incident}* is geopend om 10:00" in texts(opened)
    assert "Vraag 1 van 7" in texts(opened)

    noted = await jan.say("€ 12.500,00")
    assert "12.500" in texts(noted) and "Vraag 2 van 7" in texts(noted)
    await jan.say("vandaag 09:15")
    foreign = await jan.say("DE89 3704 0044 0532 0130 00")
    assert "buitenlandse" in texts(foreign)
    await jan.say("Fraud Holding GmbH")
    await jan.say("2")  # the second way the request came in
    await jan.press("Ja")  # mailbox may be hacked
    first_step = await jan.say("NL20 INGB 0001 2345 67")  # our own account
    card = first_step[-1]
    assert card["kind"] == "step"
    assert "Rabobank fraudelijn" in texts([card]) and "088-722 67 67" in texts([card])
    assert "10:15 (nog 15 min)" in texts([card])
    assert [b["label"] for b in card["buttons"]] == [
        "Gedaan",
        "Lukt nu niet",
        "Overslaan",
        "Help",
        "Toewijzen",
        "📋 Verzoek aan de bank",
    ]

    clock.advance(timedelta(minutes=7))
    asked = await jan.press("Gedaan")
    assert asked[-1]["inputs"], "the bank step asks for the case number"
    done = await jan.submit("RABO-2026-4711")
    assert "Gedaan om 10:07" in texts(done) and "op tijd" in texts(done)
    assert any(m["card_key"] == f"checklist:{incident}" for m in done)

    for _ in range(5):
        card = jan.history[-1]
        assert card["kind"] == "step", texts([card])
        clock.advance(timedelta(minutes=1))
        reply = await jan.press("Gedaan")
        while reply and reply[-1]["inputs"]:
            reply = await jan.submit("REF-123")

    assert jan.history[-1]["title"].startswith("Stap 7")
    await jan.press("Gedaan")  # the 72-hour assessment, asked one answer at a time
    await jan.press("Ja")  # personal data could have been seen
    await jan.submit("namen, e-mailadressen, IBAN's")
    await jan.submit("klanten")
    await jan.submit("ongeveer 300")
    await jan.press("Een risico")
    await jan.press("Ja, al gemeld")  # notified the AP
    await jan.submit("AP-2026-000123")
    await jan.submit("vandaag 10:10")
    await jan.press("Nee")  # no need to tell the people themselves
    await jan.submit("wachtwoorden gewijzigd, MFA aan")
    said = texts(jan.history[-3:])
    assert "Alle stappen zijn afgerond" in said
    assert "Fraudehelpdesk" in said and "cert@ncsc.nl" in said

    events = await events_of(bot, incident)
    assert_chain_intact(events)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["incident_opened", "participant_joined"]
    assert kinds.count("fact_answered") == 7
    assert kinds.count("step_done") == 7
    assessed = next(e for e in events if e.kind == "ap_assessed")
    assert assessed.data == {
        "ap_state": "notified",
        "late": False,
        "personal_data": "yes",
        "data_kinds": "namen, e-mailadressen, IBAN's",
        "people": "klanten",
        "approx_count": "ongeveer 300",
        "risk": "risk",
        "notify_ap": "notified",
        "ap_notification_number": "AP-2026-000123",
        "notified_at": "2026-11-20T09:10:00.000000Z",
        "reason": None,
        "inform_people": False,
        "measures": "wachtwoorden gewijzigd, MFA aan",
        "delay_reason": None,
    }
    bank = next(e for e in events if e.kind == "step_done" and e.data["step"] == "call-bank")
    assert bank.data["records"] == {"bank_case_number": "RABO-2026-4711"}
    assert bank.data["on_time"] is True
    assert bank.at == FRIDAY_MORNING + timedelta(minutes=7)
    assert bank.actor_name == "Jan Jansen"


async def test_english_flow_with_unknown_facts_and_a_condition(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    confirm = await ann.say("I think we paid a fraudster")
    assert "Start the plan" in texts(confirm)
    await ann.press("Yes")
    for _ in range(5):
        await ann.press("Don't know yet")
    await ann.press("No")  # no mailbox hacked: recipients need no warning
    steps = await ann.press("Don't know yet")  # our own account
    assert steps[-1]["kind"] == "step" and steps[-1]["title"].startswith("Right now — step 1")
    checklist = await ann.say("status")
    said = texts(checklist)
    assert "not applicable" in said and "not known yet" in said
    filled = await ann.press("Fill in details")
    assert "Question 1 of 7" in texts(filled)
    wrong = await ann.say("minus twelve")
    assert wrong[0]["kind"] == "error" and "Question 1 of 7" in texts(wrong)


@pytest.mark.parametrize(
    "typed",
    [
        "i thnik we payed a fraudstr",
        "volgens mij hebbe we een oplichtr betaalt",
        "we hebben een nepfactuur betaald",
    ],
)
async def test_typo_ridden_reports_are_recognised(
    bot: RunningApp, http: aiohttp.ClientSession, typed: str
) -> None:
    user = WebUser(http, bot.url, "Typist")
    confirm = await user.say(typed)
    assert confirm[-1]["kind"] == "question"
    offered = [decode_action(b["action"]) for b in confirm[-1]["buttons"]]
    assert any(isinstance(action, ConfirmStart) for action in offered)


async def test_a_message_right_after_the_start_waits_for_the_recognizer(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's own example, typed while the recognizer is still training: it is
    recognised, never "I didn't understand"."""
    trained = threading.Event()
    train = app_module.trained_recognizer

    def slow_training(*args: Any) -> Any:
        trained.wait(timeout=30)
        return train(*args)

    monkeypatch.setattr(app_module, "trained_recognizer", slow_training)
    async with (
        running_app(database_url, wait_for_recognizer=False) as early,
        aiohttp.ClientSession() as http,
    ):
        jan = WebUser(http, early.url, "Jan")
        typed = asyncio.create_task(
            jan.say("we hebben zojuist 8.000 euro naar een oplichter overgeboekt")
        )
        await asyncio.sleep(0.3)  # not a wait for an outcome: a chance to answer too early
        assert not typed.done(), "answered before the recognizer was ready"
        trained.set()
        offered = await typed
    assert "begreep ik niet" not in texts(offered)
    assert "Zal ik het plan *We hebben mogelijk een oplichter betaald* starten?" in texts(offered)


async def test_invalid_iban_is_said_back_and_nothing_is_stored(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    await jan.press("Weet ik nog niet")
    await jan.press("Weet ik nog niet")
    wrong = await jan.say("NL91 ABNA 0417 1643 01")
    assert wrong[0]["kind"] == "error" and "IBAN" in wrong[0]["text"]
    events = await events_of(bot, incident)
    assert not [e for e in events if e.kind == "fact_answered"]


async def test_restart_in_the_middle_loses_nothing(
    database_url: str, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    env = {"ORGANISATION_FILE": FIXTURE_ORGANISATION}
    async with running_app(database_url, clock=clock, env=env) as first:
        jan = WebUser(http, first.url, "Jan")
        incident = await open_incident(jan)
        await jan.say("€ 5.000")
    async with running_app(database_url, clock=clock, env=env) as second:
        jan.base_url = second.url
        noted = await jan.say("vandaag 09:30")  # answers the question asked before the restart
        assert "Vraag 3 van 7" in texts(noted)
        old_button = await jan.press("Weet ik nog niet")  # on the question of before
        assert "Vraag 4 van 7" in texts(old_button)
        events = await events_of(second, incident)
    assert [e.data.get("fact") for e in events if e.kind == "fact_answered"] == [
        "amount",
        "paid_at",
    ]
    assert_chain_intact(events)


async def test_default_policy_owner_reminders_then_lead_then_managers_capped(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    mira = WebUser(http, bot.url, "Mira Manager")
    await mira.say("help")  # now Noodrem knows where to reach her
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)

    clock.advance(timedelta(minutes=10))  # 5 minutes before the bank deadline
    await bot.run_reminders()
    before = await jan.inbox()
    assert [m["kind"] for m in before] == ["reminder"]
    assert "Nog 5 min" in before[0]["text"] and not before[0]["late"]

    clock.advance(timedelta(minutes=5))  # the deadline: the owner, and the lead (also Jan)
    await bot.run_reminders()
    due = await jan.inbox()
    assert sorted(m["kind"] for m in due) == ["escalation", "reminder"]
    assert await mira.inbox() == [], "managers only after a further 15 minutes"

    clock.advance(timedelta(minutes=15))
    await bot.run_reminders()
    to_mira = await mira.inbox()
    assert [m["kind"] for m in to_mira] == ["escalation"] and "Jan" in to_mira[0]["text"]
    # Otto never talked to Noodrem: his copy goes to the incident's chat and says so.
    assert any("Otto Offline" in m["text"] for m in await jan.inbox())

    for _ in range(5):  # repeated every hour while overdue, at most 3 times
        clock.advance(timedelta(hours=1))
        await bot.run_reminders()
    repeats = [m for m in await mira.inbox() if "Bel je bank" in m["text"]]
    assert len(repeats) == 3
    assert await bot.run_reminders() == 0, "each reminder is sent once"

    events = await events_of(bot, incident)
    bank = [
        e.data
        for e in events
        if e.kind == "delivery_attempted"
        and e.data["purpose"] == "escalation"
        and e.data["step"] == "call-bank"
    ]
    # The lead once, then both managers four times (once plus three repeats), each its own
    # attempt: Mira in her chat, Otto's copy in the incident's chat.
    assert [(d["recipient_name"], d["via"]) for d in bank[:3]] == [
        ("Jan", "direct"),
        ("Mira Manager", "direct"),
        ("Otto Offline", "incident_chat"),
    ]
    assert len(bank) == 1 + 2 * 4
    assert {(d["outcome"], d["attempt"], d["attempts"]) for d in bank} == {("delivered", 1, 3)}
    assert_chain_intact(events)


async def test_done_one_second_before_the_deadline_cancels_its_reminders(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    await open_incident(jan)
    await jan.say("status")
    await jan.press("▶ Bel je bank")
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))
    await jan.press("Gedaan", form={"bank_case_number": "C-1"})
    clock.advance(timedelta(seconds=1))
    await bot.run_reminders()
    clock.advance(timedelta(hours=5))
    await bot.run_reminders()
    arrived = [m for m in await jan.inbox() if m["kind"] in ("reminder", "escalation")]
    assert not [m for m in arrived if "Bel je bank" in m["text"]]


async def test_snooze_needs_a_reason_and_never_moves_the_deadline(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    clock.advance(timedelta(minutes=10))
    await bot.run_reminders()
    await jan.inbox()
    asked = await jan.press("Later: 15 min")
    assert asked[-1]["inputs"][0]["field_id"] == "reason"
    url = f"{bot.url}/api/web/messages"
    action = asked[-1]["inputs"][0]["submit"]
    async with http.post(
        url,
        json={
            "user_id": jan.user_id,
            "user_name": "Jan",
            "client_id": "x",
            "action": action,
            "form": {"reason": ""},
        },
    ) as response:
        assert response.status == 200
    still = await jan.inbox()
    assert still[-1]["inputs"], "an empty reason is asked again"
    done = await jan.submit("ik bel de bank al, in de wacht")
    assert "uitgesteld tot 10:25" in texts(done) and "deadline blijft 10:15" in texts(done)
    clock.advance(timedelta(minutes=5))  # 10:15: the owner's reminder waits until 10:25
    await bot.run_reminders()
    assert not [m for m in await jan.inbox() if m["kind"] == "reminder"]
    clock.advance(timedelta(minutes=10))
    await bot.run_reminders()
    assert [m for m in await jan.inbox() if m["kind"] == "reminder"]
    async with bot.runtime.require_store().transaction() as tx:
        step = await tx.get_step(incident, "call-bank")
    assert step is not None and step.due_at == FRIDAY_MORNING + timedelta(minutes=15)
    snoozed = [e for e in await events_of(bot, incident) if e.kind == "reminder_snoozed"]
    assert snoozed[0].data["reason"] == "ik bel de bank al, in de wacht"


async def test_assigning_a_step_moves_its_reminders(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    piet = WebUser(http, bot.url, "Piet de Vries")
    await piet.say(f"doe mee {incident}")
    await jan.say("status")
    await jan.press("▶ Doe aangifte")
    await jan.press("Toewijzen")
    assigned = await jan.say("piet")
    assert "toegewezen aan Piet de Vries" in texts(assigned)
    card = await piet.inbox()
    assert "Jan heeft je een stap toegewezen" in texts(card) and card[-1]["kind"] == "step"
    clock.advance(timedelta(minutes=55))
    await bot.run_reminders()
    assert any("aangifte" in m["text"].lower() for m in await piet.inbox())
    assert not any(
        "aangifte" in m["text"].lower() for m in await jan.inbox() if m["kind"] == "reminder"
    )
    events = await events_of(bot, incident)
    moved = next(e for e in events if e.kind == "step_assigned")
    assert moved.data["step"] == "police-report" and moved.data["to_name"] == "Piet de Vries"


async def test_a_non_manager_cannot_steer_others(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    piet = WebUser(http, bot.url, "Piet")
    await piet.say(f"doe mee {incident}")
    await piet.press("▶ Bel je bank")
    refused = await piet.press("Toewijzen")
    assert "Dat kan alleen de leider van het incident of een manager" in texts(refused)
    refused = await piet.press("Incident sluiten")
    assert "alleen een manager kan het incident nu al sluiten" in texts(refused)
    clock.advance(timedelta(minutes=10))
    await bot.run_reminders()
    await jan.inbox()
    stolen = jan.button("Later: 15 min")
    refused = await piet._post({"action": stolen})
    assert "alleen je eigen herinneringen" in texts(refused)
    kinds = [e.kind for e in await events_of(bot, incident)]
    assert "reminder_snoozed" not in kinds and "incident_closed" not in kinds


async def test_lead_close_and_reopen_are_recorded(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    mira = WebUser(http, bot.url, "Mira Manager")
    await mira.say("list")
    await mira.press(incident)
    taken = await mira.press("Leiding overnemen")
    assert "Mira Manager heeft nu de leiding" in texts(taken)
    confirm = await mira.press("Incident sluiten")
    assert f"Weet je zeker dat je incident *{incident}* wilt sluiten" in texts(confirm)
    asked = await mira.press("Ja, sluiten")
    assert "Waarom sluit je" in texts(asked)
    closed = await mira.submit("dubbele melding, zie NR-elders")
    assert f"Incident {incident} is gesloten" in texts(closed)
    reopened = await mira.press("Heropenen")
    assert f"Incident {incident} is heropend" in texts(reopened)
    events = await events_of(bot, incident)
    steering = ("lead_changed", "incident_closed", "incident_reopened")
    assert [e.kind for e in events if e.kind in steering] == list(steering)
    closing = next(e for e in events if e.kind == "incident_closed")
    assert closing.data["forced"] is True and closing.data["reason"].startswith("dubbele")
    timeline = await mira.press("Tijdlijn")
    assert "Tijdlijn" in texts(timeline)


async def test_reminders_of_a_finished_step_never_arrive(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    await open_incident(jan)
    for _ in range(5):
        await jan.press("Weet ik nog niet")
    await jan.press("Nee")
    await jan.press("Gedaan")
    await jan.submit("CASE-1")
    clock.advance(timedelta(minutes=16))
    await bot.run_reminders()
    late = texts(await jan.inbox())
    assert "bank" not in late.lower(), late


async def test_reminders_due_while_down_are_sent_once_and_marked_late(
    database_url: str, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    env = {"ORGANISATION_FILE": FIXTURE_ORGANISATION}
    async with running_app(database_url, clock=clock, env=env) as first:
        jan = WebUser(http, first.url, "Jan")
        await open_incident(jan)
    clock.advance(timedelta(minutes=20))
    async with running_app(database_url, clock=clock, env=env) as second:
        jan.base_url = second.url
        sent = await second.run_reminders()
        assert sent >= 3
        arrived = await jan.inbox()
        assert arrived and all(m["late"] for m in arrived)
        assert "later verstuurd dan gepland" in arrived[0]["text"]
        assert await second.run_reminders() == 0


async def test_a_second_click_on_start_opens_no_second_incident(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    start = jan.button("Ja")
    url = f"{bot.url}/api/web/messages"

    async def click(client_id: str) -> int:
        body = {"user_id": jan.user_id, "user_name": "Jan", "client_id": client_id, "action": start}
        async with http.post(url, json=body) as response:
            return response.status

    assert await asyncio.gather(click("one"), click("two")) == [200, 200]
    said = texts(await jan.inbox())
    assert said.count("is geopend") == 1 and "al gestart" in said
    async with bot.runtime.require_store().transaction() as tx:
        assert len(await tx.open_incidents(org_id="acme")) == 1


async def test_duplicate_inbound_ids_change_nothing(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    first = await jan.press("Ja", client_id="same-id")
    again = await jan.press("Ja", client_id="same-id")
    incident = incident_id_in(first)
    assert again == []
    async with bot.runtime.require_store().transaction() as tx:
        incidents = await tx.open_incidents(org_id="acme")
    assert [i.id for i in incidents] == [incident]


async def test_a_turn_whose_answer_is_not_written_is_undone_and_handled_when_sent_again(
    bot: RunningApp, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer goes to the outbox in the turn's own transaction: when writing it fails
    after the turn's statements (as when the process dies before the commit), the turn is
    undone with it, so the page's resend with the same client id is not taken for a
    message handled before. It is handled then, once, and answered."""
    jan = WebUser(http, bot.url, "Jan")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    put = outbox.put
    writes: list[int] = []  # how many messages each write held

    async def first_write_fails(conn: AsyncConnection, **rows: Any) -> list[int]:
        writes.append(len(rows["payloads"]))
        if len(writes) == 1:  # the person's own line and the turn's replies
            raise ConnectionResetError("the database went away before the commit")
        return await put(conn, **rows)

    monkeypatch.setattr(outbox, "put", first_write_fails)
    failed = await jan.press("Ja", client_id="start")
    assert writes[0] > 2, "the turn got as far as its replies"
    assert [m["text"] for m in failed] == [t("internal_error", "nl")]
    async with bot.runtime.require_store().transaction() as tx:
        assert await tx.open_incidents(org_id="acme") == [], "the turn was rolled back"

    again = await jan.press("Ja", client_id="start")  # the page's resend
    assert "is geopend" in texts(again)
    async with bot.runtime.require_store().transaction() as tx:
        assert [i.id for i in await tx.open_incidents(org_id="acme")] == [incident_id_in(again)]
    assert await jan.press("Ja", client_id="start") == [], "handled once"
    lines = [m for m in jan.history if m["kind"] == "user" and m["client_id"] == "start"]
    assert len(lines) == 1, "the person's line is in the history once"


async def test_two_people_pressing_done_at_once_record_one_completion(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    piet = WebUser(http, bot.url, "Piet")
    joined = await piet.say(f"doe mee {incident.lower()}")
    assert "Je doet nu mee" in texts(joined)
    await piet.press("▶ Bewaar het bewijs")  # both look at the evidence step
    await jan.say("status")
    await jan.press("▶ Bewaar het bewijs")
    form = {"evidence_location": "map Fraude op de server"}
    replies = await asyncio.gather(jan.press("Gedaan", form=form), piet.press("Gedaan", form=form))
    said = texts(replies[0] + replies[1])
    assert said.count("Gedaan om") == 1
    assert "verouderd" in said
    events = await events_of(bot, incident)
    assert [e.data["step"] for e in events if e.kind == "step_done"] == ["preserve-evidence"]


async def test_long_empty_unknown_and_stale_input(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    huge = await jan.say("x" * 20_000)
    assert huge and huge[-1]["kind"] == "text"
    url = f"{bot.url}/api/web/messages"
    base = {"user_id": jan.user_id, "user_name": "Jan", "client_id": "c1"}
    async with http.post(url, json={**base, "text": "x" * 20_001}) as response:
        assert response.status == 400
    async with http.post(url, json={**base, "text": "   "}) as response:
        assert response.status == 400
    async with http.post(url, json={**base, "action": "nonsense"}) as response:
        assert response.status == 400
    gone = encode_action(StepDone("NR-ZZZZZZ", "call-bank", 0))
    assert "verouderd" in texts(await jan._post({"action": gone}, client_id=None))
    # A button drawn before the encoding changed (format 1) is out of date, not an error.
    stale = await jan._post({"action": "step.done|NR-ZZZZZZ|call-bank||0"}, client_id=None)
    assert "verouderd" in texts(stale)

    incident = await open_incident(jan)
    for _ in range(5):
        await jan.press("Weet ik nog niet")
    await jan.press("Nee")
    old_done = jan.button("Gedaan")
    await jan.press("Gedaan")
    await jan.submit("CASE-9")
    again = await jan._post({"action": old_done}, client_id=None)
    assert "al afgerond door Jan" in texts(again)
    events = await events_of(bot, incident)
    assert [e.kind for e in events].count("step_done") == 1


async def test_two_incidents_the_bot_asks_which(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    first = await open_incident(jan)
    for _ in range(5):
        await jan.press("Weet ik nog niet")
    await jan.press("Nee")
    await jan.press("Weet ik nog niet")
    asked = await jan.say("we hebben een nepfactuur betaald")
    assert f"Gaat dit (*We hebben mogelijk een oplichter betaald*) over {first}?" in texts(asked)
    second = incident_id_in(await jan.press("Nee, een nieuw incident"))
    assert first != second
    asked = await jan.say("status")
    assert "Over welk incident" in texts(asked)
    picked = [decode_action(b["action"]) for b in asked[-1]["buttons"]]
    assert {p.incident_id for p in picked if isinstance(p, PickIncident)} == {first, second}
    checklist = await jan.press(second)
    assert checklist[-1]["card_key"] == f"checklist:{second}"


async def test_stop_needs_confirmation_and_a_reason(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    asked = await jan.say("stop")
    assert "zeker" in texts(asked)
    kept = await jan.press("Nee, doorgaan")
    assert "gaan door" in texts(kept)
    piet = WebUser(http, bot.url, "Piet")
    await piet.say(f"doe mee {incident}")
    await jan.say("stop")
    await jan.press("Ja, beëindigen")
    stopped = await jan.say("vals alarm, de betaling was echt")
    assert f"Incident {incident} is beëindigd" in texts(stopped)
    told = texts(await piet.inbox())
    assert told == f"\nJan heeft incident {incident} beëindigd: vals alarm, de betaling was echt."
    events = await events_of(bot, incident)
    stopping, telling = events[-2:]
    assert stopping.kind == "incident_stopped"
    assert stopping.data == {"reason": "vals alarm, de betaling was echt"}
    assert telling.kind == "delivery_attempted", "telling Piet is recorded after the stop"
    assert telling.data["outcome"] == "delivered"
    assert "geen open incident" in texts(await jan.say("status"))


async def test_help_and_not_understood(bot: RunningApp, http: aiohttp.ClientSession) -> None:
    jan = WebUser(http, bot.url, "Jan")
    assert "stap voor stap" in texts(await jan.say("help"))
    assert "begreep ik niet" in texts(await jan.say("de printer doet het niet"))
    english = WebUser(http, bot.url, "Eve", locale="en")
    assert "step by step" in texts(await english.say("help"))


async def test_list_shows_a_manager_every_open_incident(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    first = await open_incident(jan)
    piet = WebUser(http, bot.url, "Piet")
    second = await open_incident(piet, "we hebben een nepfactuur betaald")
    mine = texts(await jan.say("lijst"))
    assert first in mine and second not in mine
    mira = WebUser(http, bot.url, "Mira Manager")
    everything = await mira.say("list")
    said = texts(everything)
    assert (
        first in said
        and second in said
        and "Eerstvolgende deadline: 10:15 (nog 15 min)" in said
        and "AP-deadline" in said
    )
    assert "0 stappen klaar, 7 open, 0 te laat" in said
    checklist = await mira.press(second)
    assert checklist[-1]["card_key"] == f"checklist:{second}"


async def test_ap_assessment_reminds_at_48_24_and_4_hours_left(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    async with bot.runtime.require_store().transaction() as tx:
        deadlines = await tx.get_deadlines(incident)
    before_ap = sorted(
        d.due_at - FRIDAY_MORNING
        for d in deadlines
        if d.step_id == "ap-assessment" and d.kind.value == "remind_before"
    )
    assert before_ap == [timedelta(hours=24), timedelta(hours=48), timedelta(hours=68)]


async def test_a_late_assessment_records_why(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    clock.advance(timedelta(hours=73))
    await jan.say("status")
    await jan.press("▶ Beoordeel")
    await jan.press("Gedaan")
    await jan.press("Nee")  # no personal data
    await jan.press("Nee, niet melden")
    await jan.submit("alleen een betaling, geen mailbox")
    await jan.press("Nee")
    asked = await jan.submit("betaling teruggevraagd")
    assert "reden van de vertraging" in texts(asked)
    done = await jan.submit("de directeur was op reis")
    assert "te laat" in texts(done)
    events = await events_of(bot, incident)
    assessed = next(e for e in events if e.kind == "ap_assessed").data
    assert assessed["late"] is True and assessed["delay_reason"] == "de directeur was op reis"
    assert assessed["notify_ap"] == "not_notifying" and assessed["data_kinds"] is None
    assert assessed["ap_state"] == "not_notifying"


async def test_export_hands_over_the_pdf_by_a_signed_expiring_link(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    await jan.say("€ 12.500")
    exported = await jan.say("export")
    attachment = next(m["attachment"] for m in exported if m.get("attachment"))
    assert "Vraag 2 van 7" in texts(exported[-1:])  # the interrupted question comes back
    assert attachment["filename"].startswith(f"noodrem-{incident}-")
    async with http.get(bot.url + attachment["url"]) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/pdf"
        assert (await response.read()).startswith(b"%PDF")
    forged = attachment["url"].replace("sig=", "sig=0")
    async with http.get(bot.url + forged) as response:
        assert response.status == 403
    clock.advance(timedelta(hours=25))
    async with http.get(bot.url + attachment["url"]) as response:
        assert response.status == 410
    events = await events_of(bot, incident)
    recorded = next(e for e in events if e.kind == "evidence_exported")
    assert recorded.data["final_hash"] == events[events.index(recorded) - 1].hash

    await jan.say("status")
    timeline = texts(await jan.press("Tijdlijn"))
    assert "Dossier gemaakt (PDF" in timeline and recorded.data["final_hash"][:16] in timeline

    unknown = await jan.say("export NR-ZZZZZZ")
    assert "Ik ken geen incident NR-ZZZZZZ" in texts(unknown)

    stranger = WebUser(http, bot.url, "Buitenstaander")
    refused = await stranger.say(f"export {incident}")
    assert "Je doet niet mee" in texts(refused)
    assert not any(m.get("attachment") for m in refused)


async def test_the_bank_call_comes_before_any_question_and_the_questions_resume_after_it(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    await jan.say("we hebben net 8.000 euro aan een oplichter betaald")
    opened = await jan.press("Ja")
    kinds = [m["kind"] for m in opened]
    bank = opened[kinds.index("step")]
    assert bank["title"].startswith("Nu meteen — stap 1: Bel je bank")
    assert "088-722 67 67" in texts([bank]) and "10:15 (nog 15 min)" in texts([bank])
    assert kinds.index("step") < kinds.index("question"), "the bank before the questions"
    assert "Vraag 1 van 7" in texts([opened[-1]])

    await jan.say("€ 8.000")
    await jan.say("vandaag 9:40")
    await jan.say("NL91 ABNA 0417 1643 00")
    # Still on the phone with the bank: Done on the bank card, with the bank's case number.
    clock.advance(timedelta(minutes=6))
    await jan.press("Gedaan")  # the newest Done button is on the bank card
    resumed = await jan.submit("RABO-2026-4711")
    assert "Gedaan om 10:06" in texts(resumed)
    assert "Vraag 4 van 7" in texts([resumed[-1]]), "the questions go on where they stopped"
    events = await events_of(bot, incident_id_in(opened))
    assert [e.data["step"] for e in events if e.kind == "step_done"] == ["call-bank"]


async def test_the_bank_card_shows_what_is_known_once_the_questions_are_answered(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    await jan.say("we hebben een oplichter betaald")
    await jan.press("Ja")
    for answer in ("€ 8.000", "vandaag 9:40", "NL91 ABNA 0417 1643 00", "Jansen BV", "2"):
        await jan.say(answer)
    await jan.press("Nee")
    card = (await jan.say("NL20 INGB 0001 2345 67"))[-1]
    assert card["kind"] == "step" and "Bel je bank" in card["title"]
    shown = texts([card])
    assert "€ 8.000,00" in shown and "NL91 ABNA 0417 1643 00 (ABN AMRO" in shown
    assert "Jansen BV" in shown


@pytest.mark.parametrize(
    "message",
    [
        "we hebben zojuist 8.000 euro naar een oplichter overgeboekt",
        "de rekening die we betaalden bleek van criminelen",
        "our bookkeeper sent money to a fraudulent account this morning",
    ],
)
async def test_wordings_no_trigger_knows_still_reach_a_plan(
    bot: RunningApp, http: aiohttp.ClientSession, message: str
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    offered = await jan.say(message)
    assert offered[-1]["kind"] == "question", texts(offered)
    labels = [b["label"] for b in offered[-1]["buttons"]]
    paid = ("We hebben mogelijk een oplichter betaald", "We may have paid a fraudster")
    assert any(label in paid for label in labels) or any(
        label.startswith(("Ja", "Yes")) for label in labels
    ), labels
    if any(label in paid for label in labels):  # the chooser: pick the plan
        opened = await jan.press(next(label for label in labels if label in paid))
    else:
        opened = await jan.press("Ja" if "Ja, start" in labels else "Yes")
    assert "stap 1: Bel je bank" in texts(opened) or "step 1: Call your bank" in texts(opened)


async def test_the_chooser_starts_only_a_plan_it_offered(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    offered = await jan.say("our bookkeeper sent money to a fraudulent account this morning")
    labels = [b["label"] for b in offered[-1]["buttons"]]
    assert "We may have paid a fraudster" in labels and "Yes, start" not in labels, labels
    said = await jan.say("ja")
    assert "is geopend" not in texts(said) and "is open" not in texts(said)
    async with bot.runtime.require_store().transaction() as tx:
        assert await tx.open_incidents() == [], "'yes' to a chooser starts nothing"


def menu_titles(lang: str = "nl") -> list[str]:
    """Every plan's title in the order the playbooks ask for in the "what happened?" menu."""
    playbooks = load_playbooks(PLAYBOOKS)
    ordered = sorted(playbooks.values(), key=lambda p: (p.menu_position, p.id))
    return [p.title.get(lang) for p in ordered]  # type: ignore[arg-type]


async def test_something_else_gives_the_first_advice_and_every_plan(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    offered = await jan.say("volgens mij hebben we een oplichter betaald")
    assert [b["label"] for b in offered[-1]["buttons"]] == ["Ja, start", "Nee", "Iets anders"]
    advice = await jan.press("Iets anders")
    said = texts(advice)
    assert "Betaal niets" in said and "0900-8844" in said
    assert "Rabobank fraudelijn · 088-722 67 67" in said, "the organisation's own bank line"
    assert "ITHelpt B.V. · 030-123 45 67" in said and "Mira Manager, Otto Offline" in said
    menu = [b["label"] for b in advice[-1]["buttons"]]
    assert menu == menu_titles() and len(menu) == 7, menu
    async with bot.runtime.require_store().transaction() as tx:
        assert await tx.open_incidents() == [], "advice opens nothing"
    opened = await jan.press("Iemand anders zit in een mailbox")
    async with bot.runtime.require_store().transaction() as tx:
        [incident] = await tx.open_incidents()
    assert incident.id == incident_id_in(opened) and incident.playbook_id == "hacked-mailbox"
    [opening] = [e for e in await events_of(bot, incident.id) if e.kind == "incident_opened"]
    assert opening.data["reported_text"] == "volgens mij hebben we een oplichter betaald"


async def test_what_is_not_understood_offers_the_menu_of_plans(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    eve = WebUser(http, bot.url, "Eve", locale="en")
    answered = await eve.say("the printer on the second floor is jammed again")
    assert "didn't understand" in texts(answered)
    assert [b["label"] for b in answered[-1]["buttons"]] == ["What happened?"], "no plan offered"
    menu = await eve.press("What happened?")
    labels = [b["label"] for b in menu[-1]["buttons"]]
    assert labels == [*menu_titles("en"), "Something else"], labels
    opened = await eve.press("A WhatsApp account was taken over")
    async with bot.runtime.require_store().transaction() as tx:
        [incident] = await tx.open_incidents()
    assert incident.id == incident_id_in(opened) and incident.playbook_id == "whatsapp-takeover"


async def test_help_shows_the_plans_and_keeps_an_open_question(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    helped = await jan.say("help")
    assert "stap voor stap" in texts(helped)
    assert [b["label"] for b in helped[-1]["buttons"]] == [*menu_titles(), "Iets anders"]
    await jan.press("We hebben mogelijk een oplichter betaald")
    asked = [m for m in jan.history if "Vraag 1 van" in texts([m])]
    assert asked, "the questions started"
    mid_question = await jan.say("help")
    assert "stap voor stap" in texts(mid_question)
    assert "Vraag 1 van" in texts(mid_question[-1:]), "help ends by asking the open question again"
    answered = await jan.say("8000")
    assert "Genoteerd: € 8.000,00" in texts(answered), "the open question is still the one asked"
