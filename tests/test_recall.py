"""The money is tracked until it is back or lost, end to end over the web chat (SQLite and
PostgreSQL).

After the bank step the person records what the bank said; while the recall is open a
check-in asks them to ask their bank again (a deadline row, so it survives a restart),
and it stops once the money is back or lost. The PDF's first page and the JSON say where
the money stands and how it got there; bad input gets a plain answer.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.clock import ManualClock
from bot.evidence.jsonexport import render_json
from bot.evidence.source import read_evidence
from bot.ports import Deadline, DeadlineKind, DeadlineStatus, Payment, RecallStatus
from tests.harness import FIXTURE_ORGANISATION, FRIDAY_MORNING, RunningApp, running_app
from tests.test_ap_states import events_of, pdf_text
from tests.webclient import WebUser, texts

BANK_STEP = "call-bank"  # the shipped plan's bank step, named by the test, never by bot/
EVERY = timedelta(days=2)  # its check_in_every
CHECK_IN_NL = "Vraag je bank hoe het staat met het terughalen"


async def report_payment(user: WebUser, *, case_number: str = "ING-2026-7781") -> str:
    """Open the plan, answer its questions, and finish the bank step with a case number."""
    english = user.locale == "en"
    await user.say(
        "we paid a fraudster" if english else "volgens mij hebben we een oplichter betaald"
    )
    opened = await user.press("Yes" if english else "Ja")
    incident_id = next(m["incident_id"] for m in opened if m.get("incident_id"))
    for answer in ("12500", "today 09:40" if english else "vandaag 09:40", "NL91ABNA0417164300"):
        await user.say(answer)
    await user.say("Bouwbedrijf Noord")
    await user.press("Invoice with a different" if english else "Factuur met een ander")
    await user.press("No" if english else "Nee")
    await user.press("Done" if english else "Gedaan")
    await user.submit(case_number)
    return incident_id


async def call_the_bank_first(user: WebUser) -> str:
    """Open the plan and press Done on the bank step during the call, before any question."""
    await user.say("volgens mij hebben we een oplichter betaald")
    opened = await user.press("Ja")
    incident_id = next(m["incident_id"] for m in opened if m.get("incident_id"))
    await user.press("Gedaan")  # the case number is asked next
    return str(incident_id)


async def payments_of(app: RunningApp, incident_id: str) -> list[Payment]:
    async with app.runtime.require_store().transaction() as tx:
        return await tx.get_payments(incident_id)


async def check_ins(app: RunningApp, incident_id: str) -> list[Deadline]:
    async with app.runtime.require_store().transaction() as tx:
        rows = await tx.get_deadlines(incident_id)
    return [r for r in rows if r.kind is DeadlineKind.RECALL_CHECK]


def pending(rows: list[Deadline]) -> list[Deadline]:
    return [r for r in rows if r.status is DeadlineStatus.PENDING]


def recall_cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if (m.get("title") or "").startswith(("Terughalen", "Recall"))]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["label"] for b in message["buttons"]]


async def evidence_json(app: RunningApp, incident_id: str, clock: ManualClock) -> dict[str, Any]:
    runtime = app.runtime
    async with runtime.require_store().transaction() as tx:
        evidence = await read_evidence(
            tx,
            incident_id,
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            generated_at=clock.now(),
        )
    document: dict[str, Any] = json.loads(render_json(evidence.events, timeline=evidence.timeline))
    return document


async def page_one_and_all(
    app: RunningApp, http: aiohttp.ClientSession, user: WebUser, incident_id: str, tmp: Path
) -> tuple[str, str]:
    """The PDF the chat links to: its first page and all of it, as poppler reads them."""
    exported = await user.say(f"export {incident_id}")
    async with http.get(app.url + exported[-1]["attachment"]["url"]) as response:
        assert response.status == 200
        data = await response.read()
    return first_page(data, tmp), pdf_text(data, tmp)


def first_page(data: bytes, tmp: Path) -> str:
    pdf_text(data, tmp)  # skips the test without poppler
    path = tmp / "page1.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(out.split())


def test_the_statuses_move_forward_only_and_settle() -> None:
    """The closed set: settled statuses end the check-ins, and nothing goes back."""
    settled = {s for s in RecallStatus if s.settled}
    assert settled == {
        RecallStatus.STOPPED,
        RecallStatus.RETURNED,
        RecallStatus.PARTLY_RETURNED,
        RecallStatus.REFUSED,
    }
    assert RecallStatus.ASKED_TO_STOP.can_become(RecallStatus.RECALLED)
    assert RecallStatus.RECALLED.can_become(RecallStatus.RETURNED)
    assert not RecallStatus.RECALLED.can_become(RecallStatus.STOPPED)  # it already left
    assert not RecallStatus.RETURNED.can_become(RecallStatus.ASKED_TO_STOP)
    assert RecallStatus.PARTLY_RETURNED.can_become(RecallStatus.RETURNED)  # the rest came
    for status in (RecallStatus.STOPPED, RecallStatus.RETURNED, RecallStatus.REFUSED):
        assert not any(status.can_become(other) for other in RecallStatus)


async def test_recall_is_checked_in_on_until_the_money_is_back(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await report_payment(jan)
    [asked] = recall_cards(jan.history)
    said = texts([asked])
    assert "€ 12.500,00" in said and "NL91 ABNA 0417 1643 00 (ABN AMRO" in said
    assert "Dossiernummer bank: ING-2026-7781" in said and "Bouwbedrijf Noord" in said
    assert "vraag het je bank" in said, "no recall window is promised: ask the bank"
    assert labels(asked)[:2] == ["Gevraagd te stoppen", "Teruggevraagd"]

    clock.advance(timedelta(minutes=5))
    recorded = await jan.press("Gevraagd te stoppen")
    assert "Vastgelegd: bank gevraagd de betaling te stoppen" in texts(recorded)
    assert "zo 22 nov 10:05" in texts(recorded), "the next check-in, in the org's time zone"
    [payment] = await payments_of(bot, incident)
    assert payment.status is RecallStatus.ASKED_TO_STOP and payment.case_number == "ING-2026-7781"
    assert payment.receiving_iban == "NL91ABNA0417164300" and payment.amount == "12500.00 EUR"
    [row] = pending(await check_ins(bot, incident))
    assert row.due_at == FRIDAY_MORNING + timedelta(minutes=5) + EVERY

    # Not yet due: nothing. Due: the check-in, with the statuses it can move to.
    await jan.inbox()
    clock.set(row.due_at - timedelta(minutes=1))
    await bot.run_reminders()
    assert not recall_cards(await jan.inbox())
    clock.set(row.due_at + timedelta(seconds=30))
    await bot.run_reminders()
    [check_in] = recall_cards(await jan.inbox())
    assert check_in["kind"] == "reminder" and CHECK_IN_NL in check_in["text"]
    assert "Status nu: bank gevraagd de betaling te stoppen" in texts([check_in])
    assert "Gevraagd te stoppen" not in labels(check_in) and "Alles terug" in labels(check_in)
    delivered = [
        e.data
        for e in await events_of(bot, incident)
        if e.kind == "delivery_attempted" and e.data["purpose"] == "recall_check"
    ]
    assert [(d["outcome"], d["step"]) for d in delivered] == [("delivered", BANK_STEP)]
    [next_row] = pending(await check_ins(bot, incident))
    assert next_row.due_at == clock.now() + EVERY, "the check-ins go on while it is open"

    await jan.press("Teruggevraagd")
    [again] = pending(await check_ins(bot, incident))
    assert again.due_at == clock.now() + EVERY, "one chain of check-ins, never two"
    clock.set(again.due_at + timedelta(seconds=1))
    await bot.run_reminders()
    [second] = recall_cards(await jan.inbox())
    assert "teruggevraagd bij de bank van de ontvanger" in texts([second])
    assert "Gestopt" not in labels(second), "a recalled payment already left the bank"

    settled = await jan.press("Alles terug")
    assert "Het terughalen is afgerond; ik vraag er niet meer naar" in texts(settled)
    assert [p.status for p in await payments_of(bot, incident)] == [RecallStatus.RETURNED]
    assert not pending(await check_ins(bot, incident))
    clock.advance(timedelta(days=10))
    await bot.run_reminders()
    assert not recall_cards(await jan.inbox()), "settled: the check-ins stopped"

    first, whole = await page_one_and_all(bot, http, jan, incident, tmp_path)
    assert "Betaling en terughalen" in first
    assert (
        "€ 12.500,00 naar NL91 ABNA 0417 1643 00 (ABN AMRO BANK N.V.); "
        "dossiernummer bank: ING-2026-7781" in first
    )
    assert "Status terughalen alles terug, sinds di 24 nov 2026 10:05 (Jan)" in first
    assert (
        "10:05 Jan: gevraagd te stoppen · zo 22 nov 10:05 Jan: teruggevraagd · "
        "di 24 nov 10:05 Jan: alles terug" in first
    )
    assert "Dit dossier dekt gebeurtenis 1 t/m" in first, "the hash it covers stays on page one"
    assert (
        "Terughalen van de betaling: teruggevraagd bij de bank van de ontvanger → alles terug"
        in whole
    )
    assert (
        "Herinnering terughalen aan Jan (Bel je bank en laat de betaling stoppen): afgeleverd"
        in whole
    )

    document = await evidence_json(bot, incident, clock)
    [exported] = document["payments"]
    assert exported["status"] == "returned" and exported["case_number"] == "ING-2026-7781"
    assert (
        exported["receiving_iban"] == "NL91ABNA0417164300" and exported["amount"] == "12500.00 EUR"
    )
    assert [(h["from"], h["to"], h["by"]) for h in exported["history"]] == [
        (None, "asked_to_stop", "Jan"),
        ("asked_to_stop", "recalled", "Jan"),
        ("recalled", "returned", "Jan"),
    ]
    kinds = {e["seq"]: e["kind"] for e in document["events"]}
    assert all(kinds[h["seq"]] == "recall_status_changed" for h in exported["history"])


async def test_bad_input_gets_a_plain_answer(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await call_the_bank_first(jan)
    too_long = await jan.submit("Ik heb gebeld met de bank en de medewerker zei dat het goed komt")
    assert too_long[0]["kind"] == "error"
    assert "Een dossiernummer is hoogstens 40 tekens, dit zijn er 64" in texts(too_long)
    assert "Dossiernummer van de bank" in texts(too_long), "asked again"
    await jan.submit("RB-55120")
    [asked] = recall_cards(jan.history)
    assert "Bedrag: nog niet bekend" in texts([asked]), "a missing fact is said to be missing"

    await jan.press("Deels terug")
    nothing = await jan.submit("0")
    assert nothing[0]["kind"] == "error" and "groter zijn dan nul" in texts(nothing)
    await jan.submit("€ 4.000")
    [payment] = await payments_of(bot, incident)
    assert (payment.status, payment.returned_amount) == (
        RecallStatus.PARTLY_RETURNED,
        "4000.00 EUR",
    )
    assert not pending(await check_ins(bot, incident)), "partly returned is settled"

    # An old button that would go back: refused, said plainly, nothing recorded.
    before = len(await events_of(bot, incident))
    refused = await jan.press("Gevraagd te stoppen")
    assert refused[0]["kind"] == "error"
    assert (
        "Dat kan niet: de status is “deels terug”, en van daar kan hij niet naar "
        "“bank gevraagd de betaling te stoppen”" in texts(refused)
    )
    assert len(await events_of(bot, incident)) == before
    # What is still possible is offered: the rest may come back.
    assert labels(recall_cards(refused)[-1]) == ["Alles terug"]

    # With the amount known, "partly" cannot be all of it.
    await jan.say("12500")
    done = await jan.press("Alles terug")
    assert "Het terughalen is afgerond" in texts(done)


async def test_partly_returned_cannot_be_the_whole_amount(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    await report_payment(jan)
    await jan.press("Deels terug")
    whole = await jan.submit("12.500")
    assert whole[0]["kind"] == "error"
    assert "Dat is het hele bedrag (€ 12.500,00) of meer" in texts(whole)
    assert "Hoeveel is er teruggekomen?" in texts(whole), "asked again"


async def test_a_pending_check_in_fires_after_a_restart(
    database_url: str, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    env = {"ORGANISATION_FILE": FIXTURE_ORGANISATION}
    async with running_app(database_url, clock=clock, env=env) as first:
        jan = WebUser(http, first.url, "Jan", user_id="jan-restart")
        incident = await report_payment(jan)
        await jan.press("Weet de bank nog niet")
    clock.set(FRIDAY_MORNING + EVERY + timedelta(minutes=1))
    async with running_app(database_url, clock=clock, env=env) as second:
        jan = WebUser(http, second.url, "Jan", user_id="jan-restart")
        await jan.inbox()
        await second.run_reminders()
        [check_in] = recall_cards(await jan.inbox())
        assert CHECK_IN_NL in check_in["text"]
        assert "Status nu: onbekend: de bank weet het nog niet" in texts([check_in])
        await jan.press("Geweigerd")
        [payment] = await payments_of(second, incident)
        assert payment.status is RecallStatus.REFUSED


async def test_in_english_the_file_says_it_in_english(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    incident = await report_payment(ann, case_number="ABN-889")
    [asked] = recall_cards(ann.history)
    assert "ask your bank" in texts([asked])
    recorded = await ann.press("Recall sent")
    assert "Recorded: recall sent to the receiving bank" in texts(recorded)
    first, _ = await page_one_and_all(bot, http, ann, incident, tmp_path)
    assert "Payment and recall" in first
    assert "Recall status recall sent to the receiving bank, since" in first
    assert "bank case number: ABN-889" in first and "This file covers events 1 to" in first
    document = await evidence_json(bot, incident, clock)
    assert document["payments"][0]["status"] == "recalled"


async def test_the_checklist_updates_it_and_a_reopened_incident_checks_in_again(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await report_payment(jan)
    await jan.press("Teruggevraagd")
    await jan.say("status")
    shown = recall_cards(await jan.press("Terughalen: status"))
    assert "Status nu: teruggevraagd bij de bank van de ontvanger" in texts(shown)
    assert labels(shown[-1]) == ["Alles terug", "Deels terug", "Geweigerd", "Weet de bank nog niet"]

    # Closing stops every reminder, the check-ins too; reopening asks about the recall again.
    mira = WebUser(http, bot.url, "Mira Manager")  # steps are still open: a manager closes
    await mira.say("list")
    await mira.press(incident)
    await mira.press("Incident sluiten")
    await mira.press("Ja, sluiten")
    await mira.submit("de rest doet de bank")
    assert not pending(await check_ins(bot, incident))
    clock.advance(timedelta(hours=1))
    await mira.press("Heropenen")
    [row] = pending(await check_ins(bot, incident))
    assert row.due_at == clock.now() + EVERY
    await jan.inbox()
    clock.set(row.due_at)
    await bot.run_reminders()
    assert [CHECK_IN_NL in m["text"] for m in recall_cards(await jan.inbox())] == [True]


async def test_a_fact_answered_after_the_status_is_shown_at_the_check_in_and_in_the_file(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await call_the_bank_first(jan)
    await jan.submit("RB-55120")
    await jan.press("Weet de bank nog niet")
    await jan.say("12500")  # the first question: the amount
    clock.advance(EVERY + timedelta(minutes=1))
    await jan.inbox()
    await bot.run_reminders()
    [check_in] = recall_cards(await jan.inbox())
    assert "Bedrag: € 12.500,00" in texts([check_in])
    [recorded] = [
        e.data for e in await events_of(bot, incident) if e.kind == "recall_status_changed"
    ]
    assert recorded["amount"] is None, "the event says what was known when it was recorded"
    [payment] = (await evidence_json(bot, incident, clock))["payments"]
    assert payment["amount"] == "12500.00 EUR" and payment["status"] == "unknown"
