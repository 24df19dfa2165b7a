"""How fast the evidence exports are for a long incident: 10,000 events.

    .venv/bin/python bench/export.py [--events 10000] [--repeat 3] [--out DIR]

Builds the incident in a fresh SQLite database through the store's own ``append_event``
(so every hash is real), reads it back, then times each export from the events in memory
(view model + rendering, as ``app.py export`` does after its read) and measures peak
memory with ``tracemalloc`` in a separate run (tracing slows the code it watches). The
baseline is ``json.dumps`` of the raw event dicts: the least any JSON export must cost.
Goals from issue 5: PDF under 3 s, JSON under 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.chain import format_utc
from bot.evidence.csvexport import render_csv
from bot.evidence.jsonexport import render_json
from bot.evidence.pdf import render_pdf
from bot.evidence.timeline import build_timeline
from bot.organisation import DEFAULT_ORGANISATION
from bot.playbook import Playbook, load_playbooks
from bot.ports import Event, Incident, IncidentStatus
from storage import SqlStore, create_store

ROOT = Path(__file__).resolve().parent.parent
INCIDENT = "NR-BENCH7"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PEOPLE = [("web:acme:jan", "Jan Jansen"), ("web:acme:piet", "Piet de Vries"),
          ("web:acme:zoe", "Zoë Bakker")]  # fmt: skip
REASONS = [
    "de bank is in gesprek, ik bel over tien minuten opnieuw",
    "de server met de mailbox is nog niet bereikbaar voor de IT-dienstverlener",
    "politie.nl geeft een foutmelding; afspraak gemaakt via 0900-8844",
]
GOALS = {"pdf": 3.0, "json": 0.5}


Item = tuple[timedelta, str, str, str, dict[str, Any]]


def items(playbook: Playbook, count: int) -> list[Item]:
    """``count`` events as the flows record them, spread over the 72 hours of an incident."""
    steps = [s.id for s in playbook.steps]
    planned = [
        {"step": s.id, "due_at": (START + s.due).isoformat(), "owner": PEOPLE[0][0]}
        for s in playbook.steps
    ]
    opened = {
        "playbook": playbook.id,
        "playbook_version": playbook.version,
        "title": playbook.title.nl,
        "organisation": "Bakkerij Acme",
        "language": "nl",
        "reported_text": "we hebben een nepfactuur betaald",
    }
    opening: list[tuple[str, dict[str, Any]]] = [
        ("incident_opened", opened),
        ("participant_joined", {"role": "reporter", "name": "Jan Jansen"}),
        ("steps_planned", {"steps": planned}),
        ("fact_answered", {"fact": "amount", "value": "12500.00 EUR", "display": "€ 12.500,00"}),
    ]
    rows: list[Item] = []
    gap = timedelta(hours=72) / count
    for n in range(count):
        actor, name = PEOPLE[n % len(PEOPLE)]
        step = steps[n % len(steps)]
        planned_at = format_utc(START + n * gap)
        later: list[tuple[str, dict[str, Any]]] = [
            ("reminder_sent", {"step": step, "deadline": "due", "late": False,
                               "planned_at": planned_at, "recipients": [PEOPLE[0][0]]}),
            ("escalation_sent", {"step": step, "deadline": "escalate", "late": n % 7 == 0,
                                 "planned_at": planned_at,
                                 "recipients": ["Mira Manager", "Otto Offline"]}),
            ("step_blocked", {"step": step, "reason": REASONS[n % len(REASONS)]}),
            ("fact_answered", {"fact": "beneficiary_name", "value": f"Fraud Holding {n}",
                               "display": f"Fraud Holding {n}"}),
            ("step_done", {"step": step, "records": {"bank_case_number": f"RABO-{n}"},
                           "due_at": (START + timedelta(minutes=15)).isoformat(),
                           "on_time": False, "late_seconds": n * 26}),
        ]  # fmt: skip
        kind, data = opening[n] if n < len(opening) else later[n % len(later)]
        if kind in ("reminder_sent", "escalation_sent"):
            actor, name = "noodrem", "Noodrem"
        rows.append((n * gap, actor, name, kind, data))
    return rows


async def build(store: SqlStore, playbook: Playbook, count: int) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(
            Incident(id=INCIDENT, tenant_id="default", playbook_id=playbook.id, lang="nl",
                     status=IncidentStatus.OPEN, reported_at=START, reported_by=PEOPLE[0][0],
                     reporter_name=PEOPLE[0][1], lead=PEOPLE[0][0],
                     conversation={"channel": "web", "tenant_id": "default",
                                   "conversation_id": "bench"})
        )  # fmt: skip
    pending = items(playbook, count)
    for first in range(0, count, 500):
        async with store.transaction() as tx:
            await tx.get_incident(INCIDENT, lock=True)
            for offset, actor, name, kind, data in pending[first : first + 500]:
                await tx.append_event(incident_id=INCIDENT, at=START + offset, actor=actor,
                                      actor_name=name, kind=kind, data=data)  # fmt: skip


def best_time(work: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - began)
    return best, result


def peak_mib(work: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


async def read(url: str) -> tuple[float, list[Event]]:
    store = await create_store(url)
    try:
        began = time.perf_counter()
        async with store.transaction() as tx:
            events = await tx.get_events(INCIDENT)
        return time.perf_counter() - began, events
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timing runs; the best counts")
    parser.add_argument("--out", type=Path, help="also write the files here, to look at them")
    args = parser.parse_args()
    playbook = load_playbooks(ROOT / "playbooks")["paid-fraudster"]
    org = DEFAULT_ORGANISATION
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"

        async def setup() -> float:
            store = await create_store(url)
            await store.create_schema()
            began = time.perf_counter()
            await build(store, playbook, args.events)
            await store.close()
            return time.perf_counter() - began

        seconds = asyncio.run(setup())
        print(f"built {args.events} events through append_event in {seconds:.1f} s")
        read_seconds, events = asyncio.run(read(url))

    def timeline() -> Any:
        return build_timeline(events, playbook=playbook, organisation=org.name, tz=org.tz,
                              generated_at=START + timedelta(hours=72))  # fmt: skip

    raw = [{"incident_id": e.incident_id, "seq": e.seq, "at": e.at.isoformat(), "actor": e.actor,
            "actor_name": e.actor_name, "kind": e.kind, "data": e.data,
            "prev_hash": e.prev_hash, "hash": e.hash} for e in events]  # fmt: skip
    work: dict[str, Callable[[], object]] = {
        "baseline: json.dumps(raw dicts)": lambda: json.dumps(raw, ensure_ascii=False).encode(),
        "view model (build_timeline)": timeline,
        "json": lambda: render_json(events, timeline=timeline()),
        "csv": lambda: render_csv(timeline()),
        "pdf": lambda: render_pdf(timeline()),
    }
    print(f"read {len(events)} events from SQLite in {read_seconds:.2f} s\n")
    print(f"{'export (from events in memory)':34} {'time':>8} {'goal':>7} {'peak':>9} {'size':>9}")
    times = {}
    for name, job in work.items():
        seconds, result = best_time(job, args.repeat)
        times[name] = seconds
        goal = f"< {GOALS[name]:.1f} s" if name in GOALS else ""
        size = f"{len(result) / 2**20:.1f} MiB" if isinstance(result, bytes) else ""
        mark = " FAIL" if name in GOALS and seconds >= GOALS[name] else ""
        print(f"{name:34} {seconds:7.3f}s {goal:>7} {peak_mib(job):6.1f} MiB {size:>9}{mark}")
        if args.out and name in ("json", "csv", "pdf") and isinstance(result, bytes):
            (args.out / f"{INCIDENT}.{name}").write_bytes(result)
    baseline = times["baseline: json.dumps(raw dicts)"]
    print(f"\njson export / baseline: {times['json'] / baseline:.1f}x;"
          f" pdf: {times['pdf'] / baseline:.1f}x")  # fmt: skip
    missed = [name for name, goal in GOALS.items() if times[name] >= goal]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
