"""One realistic incident, driven through the real app's web chat with a manual clock.

Every kind of event the evidence file must explain happens in it: facts, a colleague
joining, a step done on time, one blocked and then done late, reminders and an
escalation, one done by the colleague, one skipped with a reason, and steps left open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.clock import ManualClock
from tests.harness import RunningApp
from tests.webclient import WebUser

ORG = str(Path(__file__).resolve().parent.parent / "fixtures" / "organisation.yaml")
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
AMOUNT = "€ 12.500,00"
IBAN = "DE89 3704 0044 0532 0130 00"
OWN_IBAN = "NL20 INGB 0001 2345 67"
BENEFICIARY = "Fraud Holding GmbH"
BANK_CASE = "RABO-2026-4711"
POLICE_REPORT = "PL0900-2026-12345"
IT_TICKET = "ITH-5521"
SKIP_REASON = "Zoë heeft de klanten al gebeld, één voor één"
BLOCKED_REASON = "de server is nog niet bereikbaar"


@dataclass
class Recorded:
    app: RunningApp
    incident_id: str


async def run_incident(
    app: RunningApp,
    http: aiohttp.ClientSession,
    clock: ManualClock,
    *,
    users: dict[str, WebUser] | None = None,
) -> str:
    """The incident's id; ``users`` gets Mira, Jan and Piet, for a caller that goes on."""
    mira = WebUser(http, app.url, "Mira Manager")
    await mira.say("help")  # Noodrem now knows where to reach her for escalations
    jan = WebUser(http, app.url, "Jan Jansen")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    opened = await jan.press("Ja")
    incident_id = next(m["incident_id"] for m in opened if m.get("incident_id"))
    for answer in (AMOUNT, "vandaag 09:15", IBAN, BENEFICIARY, "2"):
        await jan.say(answer)
    await jan.press("Ja")  # a mailbox may be hacked
    await jan.say(OWN_IBAN)
    piet = WebUser(http, app.url, "Piet de Vries")
    await piet.say(f"doe mee {incident_id.lower()}")

    clock.advance(timedelta(minutes=7))  # 10:07: the bank, on time
    await jan.press("Gedaan")
    await jan.submit(BANK_CASE)
    await _open_step(jan, "Bewaar het bewijs")
    await jan.press("Lukt nu niet")
    await jan.submit(BLOCKED_REASON)

    for minute in (25, 30):  # the reminder before and at the deadline, and an escalation
        clock.set(START + timedelta(minutes=minute))
        await app.run_reminders()
    clock.set(START + timedelta(minutes=40))  # 10:40: evidence done, 10 min late
    await _open_step(jan, "Bewaar het bewijs")
    await jan.press("Gedaan", form={"evidence_location": "map Fraude op de server"})

    for minute in (55, 60):  # the one-hour steps: reminders, escalations
        clock.set(START + timedelta(minutes=minute))
        await app.run_reminders()
    clock.set(START + timedelta(minutes=75))  # 11:15: police report, 15 min late
    await _open_step(jan, "Doe aangifte")
    await jan.press("Gedaan", form={"police_report_number": POLICE_REPORT})
    clock.advance(timedelta(minutes=3))
    await _open_step(piet, "Schakel je IT")
    await piet.press("Gedaan", form={"it_ticket_number": IT_TICKET})
    await _open_step(jan, "Waarschuw")
    await jan.press("Overslaan")
    await jan.submit(SKIP_REASON)
    if users is not None:
        users.update(mira=mira, jan=jan, piet=piet)
    return incident_id


async def _open_step(user: WebUser, title: str) -> None:
    await user.say("status")
    await user.press(f"▶ {title}")
