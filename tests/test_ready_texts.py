"""Texts ready to send, end to end over the web chat (SQLite and PostgreSQL).

A step's button fills the playbook's text with the incident's answers (the receiving bank
read from the IBAN), marks what is not known yet instead of making it up, and records the
text exactly as shown: it is in the JSON's events and, in full, in the PDF.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.clock import ManualClock
from bot.evidence.jsonexport import render_json
from bot.evidence.source import read_evidence
from tests.harness import FRIDAY_MORNING, RunningApp
from tests.test_ap_states import pdf_text
from tests.webclient import WebUser, texts

KIND = "text_prepared"


async def exported(
    app: RunningApp, http: aiohttp.ClientSession, user: WebUser, incident_id: str, tmp_path: Path
) -> tuple[str, list[dict[str, Any]]]:
    """The PDF's text (fetched over the chat's link) and the JSON's events."""
    reply = await user.say(f"export {incident_id}")
    async with http.get(app.url + reply[-1]["attachment"]["url"]) as response:
        assert response.status == 200
        pdf = pdf_text(await response.read(), tmp_path)
    runtime = app.runtime
    async with runtime.require_store().transaction() as tx:
        evidence = await read_evidence(
            tx,
            incident_id,
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            generated_at=FRIDAY_MORNING + timedelta(hours=1),
        )
    events = json.loads(render_json(evidence.events, timeline=evidence.timeline))["events"]
    return pdf, events


def prepared(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event["data"] for event in events if event["kind"] == KIND]


def collapsed(text: str) -> str:
    return " ".join(text.split())


async def open_paid_fraudster(user: WebUser) -> str:
    await user.say("volgens mij hebben we een oplichter betaald")
    opened = await user.press("Ja")
    return next(m["incident_id"] for m in opened if m.get("incident_id"))


async def test_bank_request_is_filled_marked_and_in_the_file(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    incident = await open_paid_fraudster(jan)
    await jan.say("€ 12.500,00")
    await jan.say("vandaag 09:15")
    await jan.say("NL91 ABNA 0417 1643 00")
    await jan.say("Fraud Holding BV")
    clock.advance(timedelta(minutes=3))
    shown = await jan.press("📋 Verzoek aan de bank")
    [reply] = [m for m in shown if m.get("title", "").startswith("📋")]
    body = reply["text"]
    for fact in (
        "Bedrag: € 12.500,00",
        "Datum en tijd van de betaling: vr 20 nov 2026 09:15",
        "Naar rekening (IBAN): NL91 ABNA 0417 1643 00",
        "Bank van de ontvanger: ABN AMRO",
        "Naam van de ontvanger: Fraud Holding BV",
        "Bakkerij Acme B.V.",
        f"Ons kenmerk: {incident}",
    ):
        assert fact in body, (fact, body)
    # Not asked by this plan, not recorded yet: marked, never made up.
    assert "Van onze rekening: [nog onbekend: eigen rekening]" in body
    assert "Uw dossiernummer: [nog onbekend: Dossiernummer van de bank]" in body
    missing = next(f["value"] for f in reply["fields"] if f["label"] == "Nog onbekend")
    assert missing.startswith("eigen rekening, Dossiernummer van de bank.")

    pdf, events = await exported(bot, http, jan, incident, tmp_path)
    [data] = prepared(events)
    assert data["body"] == body, "the evidence holds the text exactly as shown"
    assert data["text"] == "bank-recall-request" and data["language"] == "nl"
    assert data["used"]["account.receiving.bank"] == "ABN AMRO BANK N.V."
    assert data["missing"] == ["account.own", "record.bank_case_number"]
    assert "Klaargezette teksten" in pdf
    assert "Tekst klaargezet om te versturen: Verzoek aan de bank" in pdf
    assert collapsed(body) in pdf, "the PDF carries the whole text"


async def test_unknown_facts_are_marked_and_can_be_filled_in(
    bot: RunningApp, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_paid_fraudster(jan)
    await jan.press("Weet ik nog niet")  # the amount
    shown = await jan.press("📋 Verzoek aan de bank")
    [reply] = [m for m in shown if m.get("title", "").startswith("📋")]
    assert "Bedrag: [nog onbekend: Bedrag]" in reply["text"]
    assert "Bank van de ontvanger: [nog onbekend: bank van rekening ontvanger]" in reply["text"]
    assert "€" not in reply["text"], "no amount is made up"
    assert "Gegevens aanvullen" in [b["label"] for b in reply["buttons"]]
    _, events = await exported(bot, http, jan, incident, tmp_path)
    [data] = prepared(events)
    assert "amount" in data["missing"] and "Bedrag" in data["missing_labels"]


async def test_whatsapp_warning_in_english_then_in_dutch(
    bot: RunningApp, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    ann = WebUser(http, bot.url, "Ann Smith", locale="en")
    await ann.say("my whatsapp was hacked")
    opened = await ann.press("Yes")
    incident = next(m["incident_id"] for m in opened if m.get("incident_id"))
    await ann.say("+31 6 1234 5678")
    await ann.press("No")  # no contact has paid
    await ann.say("status")
    await ann.press("▶ Warn all your contacts")
    shown = await ann.press("📋 Warning to your contacts")
    [english] = [m for m in shown if m.get("title", "").startswith("📋")]
    assert english["title"] == "📋 Warning to your contacts"
    assert "my WhatsApp (+31 6 1234 5678) has been taken over" in english["text"]
    assert english["text"].endswith("Ann Smith")
    assert "not known yet" not in texts([english]), "everything this text needs is known"
    in_dutch = await ann.press("In Dutch")
    [dutch] = [m for m in in_dutch if m.get("title", "").startswith("📋")]
    assert "mijn WhatsApp (+31 6 1234 5678) is overgenomen" in dutch["text"]

    pdf, events = await exported(bot, http, ann, incident, tmp_path)
    assert [(d["language"], d["body"]) for d in prepared(events)] == [
        ("en", english["text"]),
        ("nl", dutch["text"]),
    ]
    assert "Texts prepared to send" in pdf and collapsed(english["text"]) in pdf
    assert collapsed(dutch["text"]) in pdf


async def test_texts_fill_in_what_steps_recorded(
    bot: RunningApp, http: aiohttp.ClientSession, clock: ManualClock, tmp_path: Path
) -> None:
    """After Done the bank request has the case number; the police summary has the
    timeline; the AP form answers keep the assessment of a "not notified yet"."""
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_paid_fraudster(jan)
    for answer in ("€ 12.500,00", "vandaag 09:15", "NL91 ABNA 0417 1643 00", "Fraud Holding BV"):
        await jan.say(answer)
    await jan.say("2")  # the request came as an invoice with another account number
    await jan.press("Nee")  # the mailbox was not hacked
    clock.advance(timedelta(minutes=7))
    await jan.press("Gedaan")
    done = await jan.submit("RABO-2026-4711")
    assert "📋 Verzoek aan de bank" in [b["label"] for m in done for b in m.get("buttons", [])]
    bank = (await jan.press("📋 Verzoek aan de bank"))[-1]["text"]
    assert "Uw dossiernummer: RABO-2026-4711" in bank and "Dossiernummer van de bank]" not in bank

    await jan.say("status")
    await jan.press("▶ Doe aangifte")
    police = (await jan.press("📋 Samenvatting voor de aangifte"))[-1]["text"]
    assert "- Bedrag: € 12.500,00" in police
    assert "- IBAN van de ontvanger: NL91 ABNA 0417 1643 00 (ABN AMRO BANK N.V.)" in police
    assert "- Dossiernummer van onze bank: RABO-2026-4711" in police
    assert "- vr 20 nov 2026 10:00: gemeld door Jan" in police
    assert "- 10:07: Bel je bank en laat de betaling stoppen, gedaan door Jan" in police
    assert "Betrokken personen: Jan" in police

    await jan.say("status")
    await jan.press("▶ Beoordeel")
    await jan.press("Gedaan")
    await jan.press("Ja")  # personal data could have been seen
    await jan.submit("namen, e-mailadressen")
    await jan.submit("klanten")
    await jan.submit("ongeveer 300")
    await jan.press("Een risico")
    await jan.press("Ja, maar nog niet gemeld")
    await jan.press("Nee")  # the people themselves need not be told
    await jan.submit("wachtwoorden gewijzigd")
    await jan.say("status")
    await jan.press("▶ Beoordeel")
    ap = (await jan.press("📋 Antwoorden voor het AP-formulier"))[-1]["text"]
    for answer in (
        "Welke persoonsgegevens: namen, e-mailadressen",
        "Van wie: klanten",
        "Hoeveel mensen (ongeveer): ongeveer 300",
        "Genomen maatregelen: wachtwoorden gewijzigd",
        "Worden de betrokkenen zelf ingelicht: nee",
    ):
        assert answer in ap, (answer, ap)
    assert "nog onbekend" not in ap

    _, events = await exported(bot, http, jan, incident, tmp_path)
    assert [d["text"] for d in prepared(events)] == [
        "bank-recall-request",
        "police-summary",
        "ap-form-answers",
    ]


async def test_hacked_mailbox_warning_names_the_mailbox(
    bot: RunningApp, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    ann = WebUser(http, bot.url, "Ann Smith", locale="en")
    await ann.say("outlook account compromised")
    opened = await ann.press("Yes")
    incident = next(m["incident_id"] for m in opened if m.get("incident_id"))
    await ann.say("sales@acme.example")
    await ann.press("Yes")  # mail went out that we did not send
    await ann.say("status")
    await ann.press("▶ Warn whoever got fake mail")
    warning = (await ann.press("📋 Warning to recipients"))[-1]
    assert "Subject: Warning: e-mails from sales@acme.example may be fake" in warning["text"]
    assert "the mailbox sales@acme.example of Bakkerij Acme B.V." in warning["text"]
    _, events = await exported(bot, http, ann, incident, tmp_path)
    [data] = prepared(events)
    assert data["body"] == warning["text"] and data["missing"] == []
    assert data["used"]["mailbox"] == "sales@acme.example"
