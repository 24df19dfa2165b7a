"""How late are reminders delivered, with 10,000 deadlines pending?

Fills a fresh database with incidents whose deadlines are mostly far ahead, plus a number
that fall due during a short window. Then runs the real machinery (APScheduler wake-ups,
``Reminders.run_due`` claiming rows, the store, a notifier that records when each message
arrives) and reports the lateness of delivery: arrival minus due time. As a baseline it
measures, in the same run, bare ``loop.call_at`` timers firing at the same due times.

    python bench/reminders.py [--database-url URL] [--pending 10000] [--due 500] [--window 20]
                              [--restart]

``--restart`` plans no wake-ups in the process: like a process that just started, it
finds every deadline only through the store (``Reminders.next_due`` re-armed after each
run, as ``app.Runtime.tick`` does).

Loopback only, bounded: it stops after the window plus a grace period.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import SystemClock
from bot.messages import Address, Channel, Outbound, address_to_json
from bot.organisation import Organisations
from bot.organisation_file import load_organisations
from bot.playbook import load_playbooks
from bot.ports import (
    DeadlineKind,
    Delivery,
    Incident,
    IncidentStatus,
    NewDeadline,
    Step,
    StepStatus,
)
from bot.reminders import Reminders
from bot.scheduler import Wakeups
from storage import SqlStore, create_store

ROOT = Path(__file__).resolve().parent.parent
INCIDENTS = 100


class Recorder:
    """A notifier that notes when each reminder arrived."""

    def __init__(self, expected: int) -> None:
        self.arrived: list[float] = []
        self.expected = expected
        self.all_in = asyncio.Event()

    async def deliver(self, message: Outbound) -> Delivery:
        self.arrived.append(time.time())
        if len(self.arrived) >= self.expected:
            self.all_in.set()
        return Delivery.delivered()


async def fill(
    store: SqlStore, *, pending: int, due: int, start: datetime, window: float
) -> list[datetime]:
    """``pending`` deadlines, of which ``due`` fall in the window; returns those due times."""
    playbook_steps = [s.id for s in load_playbooks(ROOT / "playbooks")["paid-fraudster"].steps]
    address = address_to_json(Address(Channel.WEB, "bench", "bench-user", "bench-user"))
    due_times = sorted(start + timedelta(seconds=window * (i + 0.5) / due) for i in range(due))
    per_incident = pending // INCIDENTS
    far = start + timedelta(days=2)
    for n in range(INCIDENTS):
        incident = Incident(
            id=f"NR-B{n:05d}",
            tenant_id="bench",
            playbook_id="paid-fraudster",
            lang="nl",
            status=IncidentStatus.OPEN,
            reported_at=start,
            reported_by="web:bench:bench-user",
            reporter_name="Bench",
            lead="web:bench:bench-user",
            conversation=address,
        )
        rows = [
            NewDeadline(
                playbook_steps[i % len(playbook_steps)],
                DeadlineKind.DUE,
                far + timedelta(seconds=i),
                "web:bench:bench-user",
            )
            for i in range(per_incident)
        ]
        for i in range(n, due, INCIDENTS):  # the ones that fall due, spread over incidents
            rows[i // INCIDENTS] = NewDeadline(
                rows[i // INCIDENTS].step_id, DeadlineKind.DUE, due_times[i], "web:bench:bench-user"
            )
        async with store.transaction() as tx:
            await tx.create_incident(incident)
            await tx.add_steps(
                [
                    Step(
                        incident_id=incident.id,
                        step_id=step_id,
                        position=p,
                        status=StepStatus.OPEN,
                        due_at=far,
                        owner="web:bench:bench-user",
                        plan=incident.playbook_id,
                    )
                    for p, step_id in enumerate(playbook_steps)
                ]
            )
            await tx.add_deadlines(incident.id, rows)
    return due_times


async def measure_noodrem(
    store: SqlStore,
    organisations: Organisations,
    due_times: list[datetime],
    window: float,
    *,
    restart: bool,
) -> list[float]:
    recorder = Recorder(len(due_times))
    reminders = Reminders(
        store=store,
        clock=SystemClock(),
        playbooks=load_playbooks(ROOT / "playbooks"),
        organisations=organisations,
        notifier=recorder,
    )

    async def tick() -> None:  # what app.Runtime.tick does for deadlines
        await reminders.run_due()
        upcoming = await reminders.next_due()
        if upcoming is not None:
            wakeups.wake_at(upcoming)

    wakeups = Wakeups(tick if restart else reminders.run_due, poll_seconds=30)
    wakeups.start()
    if not restart:
        for when in due_times:  # what the engine does when it plans a deadline
            wakeups.wake_at(when)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(recorder.all_in.wait(), timeout=window + 15)
    await wakeups.stop()
    arrived = sorted(recorder.arrived)
    return [a - d.timestamp() for a, d in zip(arrived, due_times, strict=False)]


async def measure_baseline(due_times: list[datetime]) -> list[float]:
    loop = asyncio.get_running_loop()
    lateness: list[float] = []
    offset = time.time() - loop.time()
    shifted = [d.timestamp() for d in due_times]
    done = asyncio.Event()

    def fire(planned: float) -> None:
        lateness.append(time.time() - planned)
        if len(lateness) == len(shifted):
            done.set()

    for planned in shifted:
        loop.call_at(planned - offset, fire, planned)
    await asyncio.wait_for(done.wait(), timeout=(shifted[-1] - time.time()) + 10)
    return lateness


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else values[0]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--restart", action="store_true", help="no in-process wake-ups")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        store = await create_store(url)
        await store.create_schema()
        organisations = load_organisations(None)
        setup_start = time.time()
        start = datetime.now(UTC) + timedelta(seconds=5)
        due_times = await fill(
            store, pending=args.pending, due=args.due, start=start, window=args.window
        )
        if datetime.now(UTC) >= start:
            raise SystemExit("filling the database took longer than the lead time; use --pending")
        print(
            f"filled {args.pending} pending deadlines in {time.time() - setup_start:.1f} s "
            f"({url.split(':')[0]}); {args.due} fall due over {args.window:.0f} s"
        )
        noodrem, baseline = await asyncio.gather(
            measure_noodrem(store, organisations, due_times, args.window, restart=args.restart),
            measure_baseline(due_times),
        )
        await store.close()
    print(f"{'':24}{'delivered':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, values in (("noodrem reminders", noodrem), ("bare asyncio timers", baseline)):
        print(
            f"{name:24}{len(values):>10}{percentile(values, 50) * 1000:>10.1f}"
            f"{percentile(values, 99) * 1000:>10.1f}{max(values) * 1000:>10.1f}"
        )
    ratio = percentile(noodrem, 99) / max(percentile(baseline, 99), 1e-6)
    print(
        f"p99 ratio noodrem/baseline: {ratio:.1f}x; goal: p99 under 1000 ms "
        f"({'met' if percentile(noodrem, 99) < 1 else 'NOT met'})"
    )


if __name__ == "__main__":
    asyncio.run(main())
