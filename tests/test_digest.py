"""The managers' morning digest: when it comes (across daylight-saving changes) and what
it says; nothing when nothing is open, never twice a day, never at the weekend."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.digest import next_digest_at
from bot.organisation_file import load_organisations
from tests.harness import running_app
from tests.webclient import WebUser, texts

ORG_FILE = Path(__file__).parent / "fixtures" / "organisation.yaml"
ORG = load_organisations(ORG_FILE).default


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Tuesday 07:00 in Amsterdam: today at 08:30 CET
        (datetime(2026, 11, 24, 6, 0, tzinfo=UTC), datetime(2026, 11, 24, 7, 30, tzinfo=UTC)),
        # Friday after the digest: Monday, skipping the weekend
        (datetime(2026, 11, 20, 8, 0, tzinfo=UTC), datetime(2026, 11, 23, 7, 30, tzinfo=UTC)),
        # Clocks go forward on Sunday 28 March 2027: Monday's 08:30 is 06:30 UTC, not 07:30
        (datetime(2027, 3, 26, 8, 0, tzinfo=UTC), datetime(2027, 3, 29, 6, 30, tzinfo=UTC)),
        # Clocks go back on Sunday 25 October 2026: Monday's 08:30 is 07:30 UTC, not 06:30
        (datetime(2026, 10, 23, 7, 0, tzinfo=UTC), datetime(2026, 10, 26, 7, 30, tzinfo=UTC)),
    ],
)
def test_next_digest_keeps_the_local_wall_clock(after: datetime, expected: datetime) -> None:
    assert next_digest_at(after, ORG) == expected


async def test_digest_goes_to_managers_once_on_working_mornings(database_url: str) -> None:
    clock = ManualClock(datetime(2027, 3, 26, 9, 0, tzinfo=UTC))  # Friday, before DST
    env = {"ORGANISATION_FILE": str(ORG_FILE)}
    async with (
        running_app(database_url, clock=clock, env=env) as bot,
        aiohttp.ClientSession() as http,
    ):
        mira = WebUser(http, bot.url, "Mira Manager")
        await mira.say("help")
        assert await bot.run_digests() == 0, "the digest time passed before anything was open"
        jan = WebUser(http, bot.url, "Jan")
        await jan.say("ik denk dat we een oplichter hebben betaald")
        opened = await jan.press("Ja")
        incident = next(m["incident_id"] for m in opened if m.get("incident_id"))
        await mira.inbox()

        clock.set(datetime(2027, 3, 27, 7, 30, tzinfo=UTC))  # Saturday 08:30
        assert await bot.run_digests() == 0
        clock.set(datetime(2027, 3, 29, 6, 29, tzinfo=UTC))  # Monday 08:29 CEST
        assert await bot.run_digests() == 0
        clock.set(datetime(2027, 3, 29, 6, 30, tzinfo=UTC))  # Monday 08:30 CEST
        assert await bot.run_digests() == 1
        digest = await mira.inbox()
        said = texts(digest)
        assert len(digest) == 1 and incident in said and "Goedemorgen: 1 open" in said
        assert "vandaag: Beoordeel of je het datalek meldt bij de AP" in said
        assert await bot.run_digests() == 0, "once a day"
        assert await jan.inbox() == [], "only managers get the digest"
        async with bot.runtime.require_store().transaction() as tx:
            told = [
                (e.data["recipient_name"], e.data["outcome"], e.data["error"])
                for e in await tx.get_events(incident)
                if e.kind == "delivery_attempted" and e.data["purpose"] == "digest"
            ]
        assert told == [  # what happened to each manager's copy, on the incident's timeline
            ("Mira Manager", "delivered", None),
            ("Otto Offline", "no_address", "Noodrem: no chat known yet"),
        ]

        await jan.say("stop")
        await jan.press("Ja, beëindigen")
        await jan.say("vals alarm")
        clock.set(datetime(2027, 3, 30, 6, 30, tzinfo=UTC))
        assert await bot.run_digests() == 0, "nothing open: no digest"


async def test_a_quiet_incident_nudges_its_lead_once_per_quiet_week(database_url: str) -> None:
    """Nobody did anything for seven days (the default): with the digest, the lead is
    asked to close it or say what is still open; not again the next morning, and the
    reminders Noodrem itself sent do not count as something happening."""
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # Monday, after 08:30
    env = {"ORGANISATION_FILE": str(ORG_FILE)}
    async with (
        running_app(database_url, clock=clock, env=env) as bot,
        aiohttp.ClientSession() as http,
    ):
        jan = WebUser(http, bot.url, "Jan")
        await jan.say("ik denk dat we een oplichter hebben betaald")
        opened = await jan.press("Ja")
        incident = next(m["incident_id"] for m in opened if m.get("incident_id"))
        await bot.run_reminders()
        clock.set(datetime(2026, 11, 27, 7, 30, tzinfo=UTC))  # Friday: four days quiet
        await bot.run_reminders()
        await bot.run_digests()
        assert "niets gebeurd" not in texts(await jan.inbox())

        clock.set(datetime(2026, 11, 30, 7, 30, tzinfo=UTC))  # Monday 08:30: not quite 7 days
        await bot.run_digests()
        assert "niets gebeurd" not in texts(await jan.inbox())
        clock.set(datetime(2026, 12, 1, 7, 30, tzinfo=UTC))  # Tuesday 08:30: seven days
        await bot.run_digests()
        nudged = [m for m in await jan.inbox() if "niets gebeurd" in (m.get("text") or "")]
        assert len(nudged) == 1
        assert nudged[0]["text"].startswith(
            f"In incident {incident} is al 7 dagen niets gebeurd (sinds ma 23 nov 10:00)"
        )
        assert [b["label"] for b in nudged[0]["buttons"]] == ["Overzicht", "Incident sluiten"]

        clock.set(datetime(2026, 12, 2, 7, 30, tzinfo=UTC))  # Wednesday: nudged yesterday
        await bot.run_digests()
        assert "niets gebeurd" not in texts(await jan.inbox())
        async with bot.runtime.require_store().transaction() as tx:
            events = await tx.get_events(incident)
        nudges = [e for e in events if e.kind == "quiet_nudged"]
        assert len(nudges) == 1 and nudges[0].actor == "noodrem"
        attempt = events[events.index(nudges[0]) + 1]
        assert attempt.kind == "delivery_attempted" and attempt.data["purpose"] == "nudge"
        assert attempt.data["outcome"] == "delivered"

        closing = await jan.press("Incident sluiten")  # the nudge's button works
        assert "sluiten" in texts(closing).lower()
