"""Does one long export make anyone else wait or fail? 20 people typing ``status`` while one
exports a 10,000-event incident in chat and reminders fall due, next to the same without
the export.

    python -m bench.contention [--users 20] [--events 10000] [--seconds 10]
                               [--reminders-per-second 2] [--database-url URL]
                               [--only sqlite|postgresql] [--keep DIR]

Real processes on loopback, as ``bench/web_load.py``: ``python app.py`` in the web chat's
trial mode. First that app opens an incident for each person over HTTP (one more for the
exporter) and stops; then, through the store directly, the exporter's incident gets
``--events`` timeline events and the people's incidents get reminder deadlines that fall
due, ``--reminders-per-second``, from the restart on. The app starts again (the restart
arms the scheduler from the store's next due time) and then, with reminders firing all
along:

1. baseline: the people type ``status`` (each waits for the answer, sends again) for
   ``--seconds``;
2. the same, while the exporter types ``export NR-…`` (at least until its answer came).

Per phase it counts errors: answers that are not HTTP 200, internal-error replies in the
people's chats, and "database is locked" in the app's log; and the people's p50/p99 and
the reminders that reached their chats. Target (issue 13): 0 errors and p99 < 1 s, on
SQLite and PostgreSQL (``--database-url``, default the scratch ``bench_contention``, made
if missing and emptied first).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    SCRATCH_POSTGRES,
    Load,
    WebPerson,
    app_process,
    database_kind,
    free_port,
    noodrem_command,
    noodrem_env,
    people,
    percentile,
    scratch_postgres,
    typing_status,
)
from bench.export import items
from bot.messages import Channel, user_key
from bot.playbook import load_playbooks
from bot.ports import DeadlineKind, NewDeadline
from storage import create_store

LOCKED = "database is locked"
RECORD = re.compile(r"^(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", re.MULTILINE)  # app.py's format
P99_GOAL = 1.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=120)
START_ALLOWANCE = 30.0  # seconds from the restart to the measured phases, for the due times
TENANT = "default"  # the trial mode's organisation


@dataclass
class Phase:
    name: str
    load: Load
    error_replies: int = 0
    locked_in_log: int = 0
    reminders: int = 0
    export_seconds: float | None = None
    export_ok: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.load.failed + self.error_replies + self.locked_in_log


async def prepare(url: str, folder: Path, users: int) -> tuple[list[str], str, str]:
    """Start the app, open an incident for each person and the exporter, stop it. Returns
    the people's ids, the exporter's id and the exporter's incident."""
    port = free_port()
    env = noodrem_env(port, url)
    async with (
        aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http,
        app_process(
            "Noodrem", noodrem_command(), env, port, folder / "prepare.log", ready="/readyz"
        ) as app,  # fmt: skip
    ):
        crowd = await people(app.url, http, users + 1)
    exporter = crowd.pop()
    assert exporter.incident_id is not None
    return [p.user_id for p in crowd], exporter.user_id, exporter.incident_id


async def fill(
    url: str, *, people_ids: Sequence[str], incident_of: dict[str, str], exporter_incident: str,
    events: int, rate: float, span: float,
) -> int:  # fmt: skip
    """The export's timeline and the reminders, through the store; returns how many due."""
    store = await create_store(url)
    try:
        playbook = load_playbooks(ROOT / "playbooks")["paid-fraudster"]
        rows = items(playbook, events + 4)[4:]  # without a second "incident opened"
        start = datetime.now(UTC)
        for first in range(0, len(rows), 500):
            async with store.transaction() as tx:
                await tx.get_incident(exporter_incident, lock=True)
                for offset, actor, name, kind, data in rows[first : first + 500]:
                    await tx.append_event(
                        incident_id=exporter_incident, at=start + offset, actor=actor,
                        actor_name=name, kind=kind, data=data,
                    )  # fmt: skip
        due = int(rate * span)
        restart = datetime.now(UTC)
        async with store.transaction() as tx:
            for n, person in enumerate(people_ids):
                incident = incident_of[person]
                steps = await tx.get_steps(incident)
                mine = range(n, due, len(people_ids))
                await tx.add_deadlines(
                    incident,
                    [
                        NewDeadline(
                            steps[i % len(steps)].step_id,
                            DeadlineKind.DUE,
                            restart + timedelta(seconds=i / rate),
                            user_key(Channel.WEB, TENANT, person),
                        )
                        for i in mine
                    ],
                )
        return due
    finally:
        await store.close()


def locked_count(log: Path, since: int) -> tuple[int, int]:
    """Log records after byte ``since`` that say "database is locked" (a traceback says it
    three times: once a record); and the log's size now."""
    data = log.read_bytes()
    records = RECORD.split(data[since:].decode(errors="replace"))
    return sum(LOCKED in record for record in records), len(data)


async def tally(phase: Phase, crowd: Sequence[WebPerson]) -> None:
    """Read each person's chat since the last phase: internal errors, reminders."""
    for person in crowd:
        for message in await person.read():
            if message.get("kind") == "error":
                phase.error_replies += 1
                text = str(message.get("text"))[:120]
                if text not in phase.notes and len(phase.notes) < 3:
                    phase.notes.append(text)
            elif message.get("kind") == "reminder":
                phase.reminders += 1


async def measure(url: str, folder: Path, args: argparse.Namespace) -> list[Phase]:
    people_ids, exporter_id, exporter_incident = await prepare(url, folder, args.users)
    port = free_port()
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:
        span = START_ALLOWANCE + 2 * args.seconds + 60
        incident_of = await incidents_from_store(url, people_ids)
        began = time.perf_counter()
        due = await fill(url, people_ids=people_ids, incident_of=incident_of,
                         exporter_incident=exporter_incident, events=args.events,
                         rate=args.reminders_per_second, span=span)  # fmt: skip
        print(f"  {args.events} events and {due} reminder deadlines written in "
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr)  # fmt: skip
        log = folder / f"noodrem-{database_kind(url)}.log"
        async with app_process("Noodrem", noodrem_command(), noodrem_env(port, url), port, log,
                               ready="/readyz") as app:  # fmt: skip
            crowd = [WebPerson(http, app.url, user_id=u) for u in people_ids]
            exporter = WebPerson(http, app.url, user_id=exporter_id, name="Exporter")
            # One answer each first: the first message after a start waits for the
            # recognizer's training, which is not what is measured here.
            await asyncio.gather(*(person.say("status") for person in crowd))
            for person in [*crowd, exporter]:
                await person.read()  # what they had before: not this run's
            phases: list[Phase] = []
            _, offset = locked_count(log, 0)
            print("  baseline: status only", file=sys.stderr, flush=True)
            only = await typing_status(crowd, name="status only", seconds=args.seconds)
            baseline = Phase("status only", only)
            await tally(baseline, crowd)
            baseline.locked_in_log, offset = locked_count(log, offset)
            phases.append(baseline)

            print("  status + export", file=sys.stderr, flush=True)
            export_began = time.perf_counter()

            async def export() -> tuple[int, float]:
                status, _ = await exporter.say(f"export {exporter_incident}")
                return status, time.perf_counter() - export_began

            exporting = asyncio.ensure_future(export())
            with_export = Phase("status + export", await typing_status(
                crowd, name="status + export", seconds=args.seconds, warm_up=0,
                during=exporting))  # fmt: skip
            status, seconds = await exporting
            with_export.export_seconds = seconds
            files = [m for m in await exporter.read() if m.get("attachment")]
            with_export.export_ok = status == 200 and bool(files)
            if status != 200:
                with_export.load.failed += 1
            await tally(with_export, crowd)
            with_export.locked_in_log, _ = locked_count(log, offset)
            phases.append(with_export)
    return phases


async def incidents_from_store(url: str, people_ids: Sequence[str]) -> dict[str, str]:
    store = await create_store(url)
    try:
        async with store.snapshot() as tx:
            found: dict[str, str] = {}
            for person in people_ids:
                mine = await tx.open_incidents_for(
                    org_id=TENANT, user_key=user_key(Channel.WEB, TENANT, person)
                )
                found[person] = mine[0].id
            return found
    finally:
        await store.close()


def report(by_database: dict[str, list[Phase]], args: argparse.Namespace) -> None:
    print(f"\n{args.users} people typing `status` for {args.seconds:g} s, reminders due at "
          f"{args.reminders_per_second:g}/s; then the same during an in-chat export of "
          f"{args.events:,} events (baseline: the same run without the export)")  # fmt: skip
    print(f"{'':28}{'answers':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>8}"
          f"{'(HTTP/reply/locked)':>21}{'reminders':>10}  export")  # fmt: skip
    met = True
    for kind, (baseline, with_export) in by_database.items():
        for phase in (baseline, with_export):
            p50, p99 = (percentile(phase.load.latency, q) for q in (50, 99))
            split = f"{phase.load.failed}/{phase.error_replies}/{phase.locked_in_log}"
            export = ""
            if phase.export_seconds is not None:
                export = f"{phase.export_seconds:.1f} s {'ok' if phase.export_ok else 'FAILED'}"
            print(f"{kind:11}{phase.name:17}{len(phase.load.latency):8}{p50 * 1000:8.0f}"
                  f"{p99 * 1000:8.0f}{phase.errors:8}{split:>21}{phase.reminders:10}"
                  f"  {export}")  # fmt: skip
            for note in phase.notes:
                print(f"    e.g. {note}")
            met &= phase.errors == 0 and p99 < P99_GOAL and phase.export_ok is not False
        base99, with99 = (percentile(p.load.latency, 99) for p in (baseline, with_export))
        print(f"{kind:11}p99 with export {with99 * 1000:.0f} ms / baseline {base99 * 1000:.0f} ms: "
              f"ratio {with99 / base99:.2f}x; errors {with_export.errors} / baseline "
              f"{baseline.errors}")  # fmt: skip
    print(f"target: 0 errors and the others' p99 < {P99_GOAL * 1000:.0f} ms on both databases, "
          f"with and without the export: {'met' if met else 'NOT met'}")  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    by_database: dict[str, list[Phase]] = {}
    with tempfile.TemporaryDirectory(prefix="noodrem-contention-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (before any load)
        urls: list[str] = []
        if args.only != "postgresql":
            urls.append(f"sqlite+aiosqlite:///{folder / 'noodrem.db'}")
        if args.only != "sqlite":
            urls.append(await scratch_postgres(args.database_url))
        for url in urls:
            kind = database_kind(url)
            print(f"{kind}: {args.users} people, export of {args.events} events ...",
                  file=sys.stderr)  # fmt: skip
            by_database[kind] = await measure(url, folder, args)
    report(by_database, args)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase (at least)")
    parser.add_argument("--reminders-per-second", type=float, default=2.0)
    parser.add_argument(
        "--database-url",
        default=SCRATCH_POSTGRES.format(name="contention"),
        help="the PostgreSQL scratch database (emptied first; name must start with bench)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--keep", type=Path, help="keep the logs (and SQLite file) in DIR")
    args = parser.parse_args(argv)
    if not 0 < args.users <= 100 or not 0 < args.events <= 100_000:
        parser.error("keep it bounded: 0 < --users <= 100 and 0 < --events <= 100000")
    if not 0 < args.seconds <= 120 or not 0 < args.reminders_per_second <= 50:
        parser.error("keep it bounded: 0 < --seconds <= 120, 0 < --reminders-per-second <= 50")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
