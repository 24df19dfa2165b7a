"""Records ``tests/fixtures/chains/paid-fraudster.json``: a chain as the flows write it.

The fixture pins the canonical JSON an event's hash covers. It was recorded once with the
code of before the event types were introduced (issue 10); ``test_chain_fixture`` checks
that today's ``bot.chain`` still hashes it to the very same bytes. Do not re-record it to
make that test pass: a different hash means old databases and exports no longer verify.

    python -m tests.evidence.chain_fixture   # only to add a new fixture, never to "fix" one
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.chain import canonical_event_bytes, format_utc
from bot.clock import ManualClock
from tests.evidence.scenario import ORG, START, run_incident
from tests.harness import running_app
from tests.webclient import WebUser

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "chains" / "paid-fraudster.json"


async def record(database_url: str) -> list[dict[str, Any]]:
    clock = ManualClock(START)
    async with (
        running_app(database_url, clock=clock, env={"ORGANISATION_FILE": ORG}) as app,
        aiohttp.ClientSession() as http,
    ):
        users: dict[str, WebUser] = {}
        incident_id = await run_incident(app, http, clock, users=users)
        jan, mira = users["jan"], users["mira"]
        # 11:20: the passwords step to Piet, then the 72-hour assessment.
        clock.set(START + timedelta(minutes=80))
        await jan.say("status")
        await jan.press("▶ Wijzig")
        await jan.press("Toewijzen")
        await jan.say("piet")
        await jan.say("status")
        await jan.press("▶ Beoordeel")
        await jan.press("Gedaan")
        await jan.press("Ja")  # personal data could have been seen
        await jan.submit("namen, e-mailadressen, IBAN's")
        await jan.submit("klanten")
        await jan.submit("ongeveer 300")
        await jan.press("Een risico")
        await jan.press("Ja")  # notify the AP
        await jan.submit("AP-2026-000123")
        await jan.submit("vandaag 10:10")
        await jan.press("Nee")  # the people themselves need not be told
        await jan.submit("wachtwoorden gewijzigd, MFA aan")
        await jan.say("export")
        # The manager takes the lead, closes with steps still open, and reopens.
        await mira.say("list")
        await mira.press(incident_id)
        await mira.press("Leiding overnemen")
        await mira.press("Incident sluiten")
        await mira.press("Ja, sluiten")
        await mira.submit("afgehandeld met de bank; de rest volgt in een nieuw incident")
        await mira.press("Heropenen")
        async with app.runtime.require_store().transaction() as tx:
            events = await tx.get_events(incident_id)
    return [
        {
            "incident_id": e.incident_id,
            "seq": e.seq,
            "at": format_utc(e.at),
            "actor": e.actor,
            "actor_name": e.actor_name,
            "kind": e.kind,
            "data": e.data,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
            # The exact text the hash covers, as this code wrote it: the test compares
            # today's bytes with it, so a change shows where, not only that, it differs.
            "canonical": canonical_event_bytes(
                incident_id=e.incident_id,
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                actor_name=e.actor_name,
                kind=e.kind,
                data=e.data,
                prev_hash=e.prev_hash,
            ).decode("utf-8"),
        }
        for e in events
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        events = asyncio.run(record(f"sqlite+aiosqlite:///{tmp}/noodrem.db"))
    FIXTURE.write_text(
        json.dumps(events, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"{len(events)} events: {sorted({e['kind'] for e in events})}", file=sys.stderr)


if __name__ == "__main__":
    main()
