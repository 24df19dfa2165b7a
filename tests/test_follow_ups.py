"""Follow-ups after the incident (issue 11), end to end through the web chat's real HTTP
interface on SQLite and PostgreSQL: closing proposes each plan's prevention measures with
an owner and a due date, the owner is reminded after the close, a click marks one done,
the managers' digest lists the open ones and the evidence file shows them all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.clock import ManualClock
from bot.evidence.csvexport import render_csv
from bot.evidence.jsonexport import render_json
from bot.evidence.source import read_evidence
from bot.ports import DeadlineKind, DeadlineStatus, FollowUpStatus
from bot.timefmt import clock_time
from tests.harness import RunningApp
from tests.test_ap_states import pdf_text
from tests.test_flow import assert_chain_intact, events_of, incident_id_in, open_incident
from tests.webclient import WebUser, texts

PAID_FOLLOW_UPS = [
    "four-eyes-payments",
    "four-eyes-bank-details",
    "call-back-known-number",
    "verified-iban-list",
    "code-word",
]
FOUR_EYES = "Vervolgactie: Vier ogen bij elke betaling"


async def close_as_manager(manager: WebUser, incident_id: str, reason: str) -> list[dict]:
    await manager.say("list")
    await manager.press(incident_id)
    await manager.press("Incident sluiten" if manager.locale == "nl" else "Close incident")
    await manager.press("Ja, sluiten" if manager.locale == "nl" else "Yes, close")
    return await manager.submit(reason)


async def test_close_proposes_follow_ups_reminds_after_the_close_and_files_them(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident_id = await open_incident(jan)  # paid-fraudster; Jan leads it
    mira = WebUser(http, bot.url, "Mira Manager")
    clock.advance(timedelta(hours=2))
    closed = await close_as_manager(mira, incident_id, "geld is terug")
    closed_at = clock.now()

    said = texts(closed)
    assert f"Incident {incident_id} is gesloten." in said
    assert "stellen de plannen 5 vervolgactie(s) voor" in said
    follow_up_cards = [m for m in closed if (m.get("title") or "").startswith("Vervolgactie: ")]
    assert [m["title"] for m in follow_up_cards] == [
        FOUR_EYES,
        "Vervolgactie: Vier ogen bij gewijzigde bankgegevens",
        "Vervolgactie: Altijd terugbellen op een bekend nummer",
        "Vervolgactie: Lijst van gecontroleerde rekeningnummers",
        "Vervolgactie: Codewoord met de directie",
    ]
    due_at = closed_at + timedelta(days=30)
    due_shown = clock_time(due_at, tz=bot.runtime.organisations.default.tz, now=closed_at,
                           lang="nl")  # fmt: skip
    for card in follow_up_cards:
        assert {"label": "Eigenaar", "value": "Jan"} in card["fields"], "the lead owns them"
        assert {"label": "Uiterlijk", "value": due_shown} in card["fields"]
        assert [b["label"] for b in card["buttons"]] == ["Geregeld", "Toewijzen"]
    assert "twee mensen" in follow_up_cards[0]["text"], "the playbook's own words"
    yours = texts(await jan.inbox())
    assert f"Incident {incident_id} is gesloten. Als leider ben jij eigenaar van 5" in yours
    assert FOUR_EYES in yours, "the lead, who did not close it, gets the cards too"

    async with bot.runtime.require_store().transaction() as tx:
        stored = await tx.get_follow_ups(incident_id)
        deadlines = await tx.get_deadlines(incident_id)
    assert [f.follow_up_id for f in stored] == PAID_FOLLOW_UPS
    assert {(f.owner_name, f.due_at, f.status) for f in stored} == {
        ("Jan", due_at, FollowUpStatus.OPEN)
    }
    pending = [d for d in deadlines if d.status is DeadlineStatus.PENDING]
    assert pending and all(d.kind.is_follow_up for d in pending), "the steps' were cancelled"
    events = await events_of(bot, incident_id)
    proposed = [e for e in events if e.kind == "follow_up_proposed"]
    assert [e.data["follow_up"] for e in proposed] == PAID_FOLLOW_UPS
    assert proposed[0].data == {
        "follow_up": "four-eyes-payments",
        "plan": "paid-fraudster",
        "owner": stored[0].owner,
        "owner_name": "Jan",
        "due_at": due_at.isoformat(),
    }
    assert events.index(proposed[0]) > next(
        i for i, e in enumerate(events) if e.kind == "incident_closed"
    )

    # A week before the due date the owner is reminded, though the incident is closed.
    clock.set(due_at - timedelta(days=7))
    assert await bot.run_reminders() == len(PAID_FOLLOW_UPS)
    reminders = await jan.inbox()
    assert [m["kind"] for m in reminders] == ["reminder"] * len(PAID_FOLLOW_UPS)
    assert (
        f"⏰ Nog 7 d 0 u: vervolgactie *Vier ogen bij elke betaling* van incident {incident_id}."
        in texts(reminders)
    )
    done = await jan.press_on(FOUR_EYES, "Geregeld")
    assert "✅ Vervolgactie *Vier ogen bij elke betaling* staat op afgerond" in texts(done)
    assert done[-1]["buttons"] == [], "a done follow-up offers nothing more to press"
    again = await jan.press_on(FOUR_EYES, "Geregeld")
    assert "is al afgerond door Jan" in texts(again)
    events = await events_of(bot, incident_id)
    assert [(e.actor_name, e.data) for e in events if e.kind == "follow_up_done"] == [
        ("Jan", {"follow_up": "four-eyes-payments"})
    ], "one click recorded once"
    sent = [e.data for e in events if e.kind == "delivery_attempted"]
    assert {d["follow_up"] for d in sent if d["purpose"] == "follow_up"} == set(PAID_FOLLOW_UPS)
    assert all("step" not in d for d in sent if d["purpose"] == "follow_up")

    # At the due date: the four open ones, not the one that is done.
    clock.set(due_at)
    assert await bot.run_reminders() == len(PAID_FOLLOW_UPS) - 1
    due = texts(await jan.inbox())
    assert "Vier ogen bij elke betaling" not in due
    assert "⏰ Vervolgactie *Codewoord met de directie* van incident" in due
    async with bot.runtime.require_store().transaction() as tx:
        incident = await tx.get_incident(incident_id)
    assert incident is not None and incident.status.value == "closed", "never reopened"

    # The next working morning: the managers' digest lists what is still open.
    clock.set(datetime(2026, 12, 21, 7, 30, tzinfo=UTC))  # Monday 08:30 in Amsterdam
    await mira.inbox()
    assert await bot.run_digests() >= 1
    digest = texts(await mira.inbox())
    assert "Goedemorgen: 4 open vervolgactie(s)" in digest
    assert "Open vervolgacties:" in digest
    assert f"• {incident_id}: Codewoord met de directie, Jan, ⚠️ te laat sinds" in digest
    assert "Vier ogen bij elke betaling" not in digest

    # The evidence file: the PDF's table, the JSON's follow_ups, a CSV row per event.
    exported = await jan.say(f"export {incident_id}")
    async with http.get(bot.url + exported[-1]["attachment"]["url"]) as response:
        assert response.status == 200
        pdf = pdf_text(await response.read(), tmp_path)
    assert "Vervolgacties na het incident" in pdf
    assert "Vier ogen bij elke betaling" in pdf and "afgerond" in pdf
    assert "open, over de datum" in pdf
    runtime = bot.runtime
    async with runtime.require_store().transaction() as tx:
        evidence = await read_evidence(
            tx,
            incident_id,
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            generated_at=clock.now(),
        )
    head = json.loads(render_json(evidence.events, timeline=evidence.timeline))
    states = {f["follow_up"]: (f["owner"], f["state"]) for f in head["follow_ups"]}
    assert states == {
        "four-eyes-payments": ("Jan", "done"),
        **{f: ("Jan", "overdue") for f in PAID_FOLLOW_UPS[1:]},
    }
    csv = render_csv(evidence.timeline).decode("utf-8-sig")
    assert "follow_up_done" in csv and "Vervolgactie afgerond: Vier ogen bij elke betaling" in csv
    assert_chain_intact(await events_of(bot, incident_id))


async def test_two_plans_propose_each_follow_up_once_in_english_and_it_can_be_reassigned(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    """ceo-fraud-request with hacked-mailbox added: both plans' follow-ups, the shared
    call-back one once; given to a colleague, the reminders follow the new owner."""
    ann = WebUser(http, bot.url, "Ann", locale="en")
    await ann.say("ceo fraud")
    incident_id = incident_id_in(await ann.press("Yes, start"))
    await ann.press("No")  # nothing paid
    await ann.press("E-mail")
    await ann.press("Yes")  # it came from our own address: hacked-mailbox is added
    bob = WebUser(http, bot.url, "Bob", locale="en")
    await bob.say(f"join {incident_id}")
    mira = WebUser(http, bot.url, "Mira Manager", locale="en")
    closed = await close_as_manager(mira, incident_id, "it was an attempt, nothing paid")

    said = texts(closed)
    assert "To keep this from happening again, the plans propose 4 follow-up(s)." in said
    titles = [m["title"] for m in closed if (m.get("title") or "").startswith("Follow-up: ")]
    assert titles == [
        "Follow-up: Four eyes on every payment",
        "Follow-up: Always call back on a known number",
        "Follow-up: Code word with the directors",
        "Follow-up: Multi-factor authentication (MFA) on every mailbox",
    ]
    events = await events_of(bot, incident_id)
    plans = {e.data["follow_up"]: e.data["plan"] for e in events if e.kind == "follow_up_proposed"}
    assert plans == {
        "four-eyes-payments": "ceo-fraud-request",
        "call-back-known-number": "ceo-fraud-request",
        "code-word": "ceo-fraud-request",
        "mfa": "hacked-mailbox",
    }
    mfa_due = clock.now() + timedelta(days=14)  # the playbook's own due date for MFA

    mfa = "Follow-up: Multi-factor authentication (MFA) on every mailbox"
    await ann.inbox()
    asked = await ann.press_on(mfa, "Assign")
    assert asked[-1]["kind"] == "question"
    assigned = await ann.submit("Bob")
    assert "is assigned to Bob" in texts(assigned)
    told = texts(await bob.inbox())
    assert f"Ann gave you a follow-up of incident {incident_id}" in told
    async with bot.runtime.require_store().transaction() as tx:
        follow_ups = {f.follow_up_id: f for f in await tx.get_follow_ups(incident_id)}
        deadlines = await tx.get_deadlines(incident_id)
    assert follow_ups["mfa"].owner_name == "Bob" and follow_ups["mfa"].due_at == mfa_due
    mfa_rows = [
        d
        for d in deadlines
        if d.step_id == "mfa" and d.status is DeadlineStatus.PENDING and d.kind.is_follow_up
    ]
    assert {(d.kind, d.recipient) for d in mfa_rows} == {
        (DeadlineKind.FOLLOW_UP_SOON, follow_ups["mfa"].owner),
        (DeadlineKind.FOLLOW_UP_DUE, follow_ups["mfa"].owner),
    }, "Ann's reminders of it stopped, Bob's start"
    assigned_event = next(
        e for e in await events_of(bot, incident_id) if e.kind == "follow_up_assigned"
    )
    assert assigned_event.data["to_name"] == "Bob"

    clock.set(mfa_due)
    await bot.run_reminders()
    assert "Follow-up *Multi-factor authentication (MFA) on every mailbox*" in texts(
        await bob.inbox()
    )
    assert "Multi-factor" not in texts(await ann.inbox())
