"""Does a turn's cost grow with the tenant's open incidents or with a timeline's length?

Runs the real engine on a fresh database (SQLite by default) and times, median of
``--repeat`` turns each:

- ``status`` typed by a person with one incident, with 10 and with 10,000 other open
  incidents in the tenant (``choose()`` on every typed status/stop/export/close);
- ``lijst`` of a manager (the Home tab is the same overview), 10 vs 10,000 open incidents;
- the timeline view of an incident with 10 and with 10,000 events.

The baseline is the small case measured in the same run; the ratio is large / small
(the target is a ratio near 1: the cost does not grow).

    python bench/scale.py [--database-url URL] [--large 10000] [--repeat 30]

``--database-url`` must name an empty database (PostgreSQL: a scratch one).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from bot.engine import Engine
from bot.messages import Action, Address, Channel, ConfirmStart, Inbound, Reply, ShowTimeline
from bot.organisation_file import load_organisations
from bot.playbook import load_playbooks
from bot.ports import Incident, IncidentStatus, Participant
from storage import SqlStore, create_store

ROOT = Path(__file__).resolve().parent.parent
TENANT = "acme"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def inbound(user: str, *, text: str | None = None, action: Action | None = None) -> Inbound:
    return Inbound(
        channel=Channel.WEB,
        tenant_id=TENANT,
        user_id=user,
        user_name=user,
        conversation_id=user,
        text=text,
        action=action,
        address=Address(Channel.WEB, TENANT, user, user),
    )


async def fill_incidents(store: SqlStore, *, first: int, count: int) -> None:
    """``count`` open incidents of other people, each in its own chat."""
    for start in range(first, first + count, 500):
        async with store.transaction() as tx:
            for n in range(start, min(start + 500, first + count)):
                who = f"web:{TENANT}:other{n}"
                await tx.create_incident(
                    Incident(
                        id=f"NR-S{n:06d}",
                        tenant_id=TENANT,
                        org_id="acme",
                        playbook_id="paid-fraudster",
                        lang="nl",
                        status=IncidentStatus.OPEN,
                        reported_at=START - timedelta(minutes=n),
                        reported_by=who,
                        reporter_name=f"Other {n}",
                        lead=who,
                        conversation={
                            "channel": "web",
                            "tenant_id": TENANT,
                            "conversation_id": f"other{n}",
                        },
                    )
                )
                await tx.add_participant(
                    Participant(
                        incident_id=f"NR-S{n:06d}",
                        user_key=who,
                        name=f"Other {n}",
                        joined_at=START,
                    )
                )


async def fill_events(store: SqlStore, incident_id: str, count: int) -> None:
    for start in range(0, count, 500):
        async with store.transaction() as tx:
            await tx.get_incident(incident_id, lock=True)
            for n in range(start, min(start + 500, count)):
                await tx.append_event(
                    incident_id=incident_id,
                    at=START + timedelta(seconds=n),
                    actor=f"web:{TENANT}:jan",
                    actor_name="jan",
                    kind="step_blocked",
                    data={"step": "call-bank", "reason": f"de bank is in gesprek ({n})"},
                )


async def median_ms(turn: Callable[[], Awaitable[list[Reply]]], repeat: int) -> float:
    await turn()  # warm caches and the connection pool
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await turn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


async def measure(url: str, *, small: int, large: int, repeat: int) -> dict[str, list[float]]:
    store = await create_store(url)
    await store.create_schema()
    engine = Engine(
        store=store,
        clock=ManualClock(START),
        playbooks=load_playbooks(ROOT / "playbooks"),
        organisations=load_organisations(ROOT / "tests" / "fixtures" / "organisation.yaml"),
    )
    try:
        await engine.handle(inbound("jan", text="volgens mij hebben we een oplichter betaald"))
        opened = await engine.handle(inbound("jan", action=ConfirmStart("paid-fraudster")))
        mine = next(r.incident_id for r in opened if r.incident_id)
        assert mine is not None
        timeline = ShowTimeline(mine)

        async def status() -> list[Reply]:
            return await engine.handle(inbound("jan", text="status"))

        async def listing() -> list[Reply]:
            return await engine.handle(inbound("Mira Manager", text="lijst"))

        async def view() -> list[Reply]:
            return await engine.handle(inbound("jan", action=timeline))

        figures: dict[str, list[float]] = {"status": [], "lijst (manager)": [], "timeline": []}
        have_incidents = 0
        for size in (small, large):
            await fill_incidents(store, first=have_incidents, count=size - have_incidents)
            have_incidents = size
            await analyze(store)
            figures["status"].append(await median_ms(status, repeat))
            figures["lijst (manager)"].append(await median_ms(listing, repeat))
            events_now = len(await _events(store, mine))
            await fill_events(store, mine, max(size - events_now, 0))
            figures["timeline"].append(await median_ms(view, repeat))
        return figures
    finally:
        await store.close()


async def analyze(store: SqlStore) -> None:
    """On PostgreSQL, what autovacuum does for a live database within a minute of a table
    gaining a fifth more rows: planner statistics and the visibility map (``VACUUM
    ANALYZE``). This bench measures seconds after filling thousands of rows; with
    statistics that still say "empty" the planner walks every open incident to find one
    person's, and without the visibility map a count reads the table instead of the index.
    (SQLite keeps no statistics; the queries tell its planner which index not to take,
    ``storage.sql.unindexed``.)"""
    if store.engine.dialect.name == "postgresql":
        async with store.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")


async def _events(store: SqlStore, incident_id: str) -> list[object]:
    async with store.transaction() as tx:
        return list(await tx.get_events(incident_id))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/scale.db"
        figures = await measure(url, small=args.small, large=args.large, repeat=args.repeat)
    db = "PostgreSQL" if "postgres" in url else "SQLite"
    print(f"turn cost vs size ({db}, median of {args.repeat}; baseline = the small case)")
    print(f"{'':18}{args.small:>10}{args.large:>10}{'ratio':>8}")
    for name, (base, big) in figures.items():
        unit = "events" if name == "timeline" else "open incidents"
        print(f"{name:18}{base:8.1f}ms{big:8.1f}ms{big / base:7.2f}x  ({unit})")


if __name__ == "__main__":
    asyncio.run(main())
