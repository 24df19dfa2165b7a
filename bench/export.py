"""How fast, and in how much memory, the evidence exports are for a long incident.

    python -m bench.export [--sizes 10000 50000] [--repeat 3] [--out DIR]

Per size, builds the incident in a fresh SQLite database through the store's own
``append_event`` (so every hash is real), then runs each export as the chat and the CLI do:
streamed from one read-only snapshot, a chunk of events at a time, into a file. Each run is
a process of its own, so its peak RSS (``ru_maxrss``, minus what the process had before the
export) is the export's alone; the best time of ``--repeat`` runs counts, with the CPU time
of that run (every thread's), which a busy machine changes less. Also measured:

- the baseline: ``json.dumps`` of the raw event dicts, after reading them all
  (``get_events``), the least any JSON export must cost; its read time is printed apart;
- the PDF drawn as the chat draws it, in a worker process (``pdf-worker``; its time includes
  the worker's start, which the first export after a start waits for; its CPU time and
  RSS are this process's only: what the export costs the server's own process);
- the PDF built with every event and line in memory (``read_evidence`` + ``render``), to
  show what streaming saves;
- the linearity: the time at the largest size over the time at the smallest, next to the
  ratio of the sizes (linear: the two are equal);
- the page totals: ``pdftotext`` reads every page's "pagina n van m" and checks that n
  runs 1..m and m is the number of pages.

Goals from issue 13, at 10,000 events: PDF under 3 s, JSON under 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.delivery import Purpose, Via
from bot.events import DeliveryAttempted, to_data
from bot.playbook import Playbook, load_playbooks
from bot.ports import DeadlineKind, DeliveryStatus, Incident, IncidentStatus
from storage import SqlStore, create_store

ROOT = Path(__file__).resolve().parent.parent
INCIDENT = "NR-BENCH7"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
GENERATED = START + timedelta(hours=72)
PEOPLE = [("web:acme:jan", "Jan Jansen"), ("web:acme:piet", "Piet de Vries"),
          ("web:acme:zoe", "Zoë Bakker")]  # fmt: skip
REASONS = [
    "de bank is in gesprek, ik bel over tien minuten opnieuw",
    "de server met de mailbox is nog niet bereikbaar voor de IT-dienstverlener",
    "politie.nl geeft een foutmelding; afspraak gemaakt via 0900-8844",
]
GOALS = {"pdf": 3.0, "json": 0.5}  # seconds, at GOAL_SIZE events
GOAL_SIZE = 10_000
JOBS = ("baseline", "json", "pdf", "pdf-worker", "pdf-in-memory")
PAGE = re.compile(r"pagina (\d+) van (\d+)")

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
        planned_at = START + n * gap
        later: list[tuple[str, dict[str, Any]]] = [
            delivery(Purpose.REMINDER, DeadlineKind.DUE, step, planned_at, late=False),
            delivery(Purpose.ESCALATION, DeadlineKind.ESCALATE, step, planned_at, late=n % 7 == 0),
            ("step_blocked", {"step": step, "reason": REASONS[n % len(REASONS)]}),
            ("fact_answered", {"fact": "beneficiary_name", "value": f"Fraud Holding {n}",
                               "display": f"Fraud Holding {n}"}),
            ("step_done", {"step": step, "records": {"bank_case_number": f"RABO-{n}"},
                           "due_at": (START + timedelta(minutes=15)).isoformat(),
                           "on_time": False, "late_seconds": n * 26}),
        ]  # fmt: skip
        kind, data = opening[n] if n < len(opening) else later[n % len(later)]
        if kind == DeliveryAttempted.kind:
            actor, name = "noodrem", "Noodrem"
        rows.append((n * gap, actor, name, kind, data))
    return rows


def delivery(
    purpose: Purpose, deadline: DeadlineKind, step: str, planned_at: datetime, *, late: bool
) -> tuple[str, dict[str, Any]]:
    """A reminder or escalation as the scheduler records it: one delivered attempt."""
    attempt = DeliveryAttempted(
        purpose=purpose, recipient=PEOPLE[0][0], recipient_name=PEOPLE[0][1], via=Via.DIRECT,
        attempt=1, attempts=3, outcome=DeliveryStatus.DELIVERED, error=None, step=step,
        deadline=deadline, planned_at=planned_at, late=late,
    )  # fmt: skip
    return attempt.kind, to_data(attempt)


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


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def measure(job: str, url: str, out: Path) -> dict[str, float]:
    """One job in this process: seconds, peak RSS added by it (MiB), and its extras."""
    from bot.evidence.cli import Format, render, write_export
    from bot.evidence.pdf import PdfWriter  # noqa: F401  # imported before, not timed
    from bot.evidence.source import read_evidence
    from bot.evidence.workers import DrawingProcesses
    from bot.organisation import DEFAULT_ORGANISATION, Organisations

    playbooks = load_playbooks(ROOT / "playbooks")
    organisations = Organisations([DEFAULT_ORGANISATION])
    store = await create_store(url)
    result: dict[str, float] = {}
    try:
        async with store.snapshot() as tx:  # connect and warm up outside the timing
            await tx.get_incident(INCIDENT)
        before = peak_mib()
        cpu = time.process_time()
        began = time.perf_counter()
        async with store.snapshot() as tx:
            if job == "baseline":
                events = await tx.get_events(INCIDENT)
                result["read"] = time.perf_counter() - began
                dumped = time.perf_counter()
                raw = [{"incident_id": e.incident_id, "seq": e.seq, "at": e.at.isoformat(),
                        "actor": e.actor, "actor_name": e.actor_name, "kind": e.kind,
                        "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash}
                       for e in events]  # fmt: skip
                out.write_bytes(json.dumps(raw, ensure_ascii=False).encode())  # noqa: ASYNC240
                result["dumps"] = time.perf_counter() - dumped
            elif job == "pdf-in-memory":
                evidence = await read_evidence(
                    tx, INCIDENT, organisations=organisations, playbooks=playbooks,
                    generated_at=GENERATED,
                )  # fmt: skip
                out.write_bytes(render(evidence, Format.PDF))  # noqa: ASYNC240
            elif job == "pdf-worker":
                drawings = DrawingProcesses()
                try:
                    with out.open("wb") as file:  # what the chat does
                        await write_export(
                            tx, INCIDENT, Format.PDF, file, organisations=organisations,
                            playbooks=playbooks, generated_at=GENERATED, drawer=drawings,
                        )  # fmt: skip
                finally:
                    drawings.close()
            else:
                with out.open("wb") as file:  # what the CLI does
                    await write_export(
                        tx, INCIDENT, Format(job), file, organisations=organisations,
                        playbooks=playbooks, generated_at=GENERATED,
                    )  # fmt: skip
        result["seconds"] = time.perf_counter() - began
        result["cpu"] = time.process_time() - cpu  # every thread's: less hurt by neighbours
        result["rss"] = peak_mib() - before
    finally:
        await store.close()
    return result


def run_job(job: str, url: str, out: Path, repeat: int) -> dict[str, float]:
    """The best of ``repeat`` runs, each in a fresh process; the largest RSS of them."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        argv = [sys.executable, "-m", "bench.export", "--measure", job, "--url", url,
                "--file", str(out)]  # fmt: skip
        done = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        if not best or figures["seconds"] < best["seconds"]:
            best = {**figures, "rss": max(figures["rss"], best.get("rss", 0.0))}
        else:
            best["rss"] = max(best["rss"], figures["rss"])
    return best


def page_totals(pdf: Path) -> str:
    """'ok: n pages' when every page says "pagina i van n" with i = 1..n; else what is wrong."""
    if shutil.which("pdftotext") is None:
        return "not checked (no pdftotext)"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    pages = text.split("\f")[:-1]
    for number, page in enumerate(pages, start=1):
        found = PAGE.findall(page)
        if found != [(str(number), str(len(pages)))]:
            return f"WRONG on page {number} of {len(pages)}: {found}"
    return f"ok: all {len(pages)} pages say 'pagina n van {len(pages)}'"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per job; the best counts")
    parser.add_argument("--out", type=Path, help="also keep the files here, to look at them")
    parser.add_argument("--measure", choices=JOBS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # a child: one job, its figures as one JSON line
        print(json.dumps(asyncio.run(measure(args.measure, args.url, args.file))))
        return 0
    playbook = load_playbooks(ROOT / "playbooks")["paid-fraudster"]
    times: dict[tuple[str, int], float] = {}
    cpu: dict[tuple[str, int], float] = {}
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            url = f"sqlite+aiosqlite:///{Path(folder) / f'bench{size}.db'}"

            async def setup(url: str = url, size: int = size) -> float:
                store = await create_store(url)
                await store.create_schema()
                began = time.perf_counter()
                await build(store, playbook, size)
                await store.close()
                return time.perf_counter() - began

            print(f"\n{size} events: built through append_event in {asyncio.run(setup()):.1f} s")
            print(f"{'export (streamed from a snapshot)':34} {'time':>8} {'cpu':>7} {'goal':>8} "
                  f"{'peak RSS +':>11} {'size':>9}")  # fmt: skip
            figures: dict[str, dict[str, float]] = {}
            for job in JOBS:
                out = Path(folder) / f"{size}.{job}"
                figures[job] = run_job(job, url, out, args.repeat)
                seconds = figures[job]["seconds"]
                times[job, size] = seconds
                cpu[job, size] = figures[job]["cpu"]
                goal = GOALS.get(job) if size == GOAL_SIZE else None
                mark = " FAIL" if goal is not None and seconds >= goal else ""
                if mark:
                    missed.append(f"{job} at {size}")
                label = {"baseline": "baseline: read + json.dumps(raw)"}.get(job, job)
                print(f"{label:34} {seconds:7.3f}s {figures[job]['cpu']:6.2f}s "
                      f"{f'< {goal:.1f} s' if goal else '':>8} "
                      f"{figures[job]['rss']:7.1f} MiB {out.stat().st_size / 2**20:5.1f} MiB"
                      f"{mark}")  # fmt: skip
                if args.out:
                    args.out.mkdir(parents=True, exist_ok=True)
                    shutil.copy(out, args.out / f"{INCIDENT}-{size}.{job}")
            base = figures["baseline"]
            print(f"  (baseline: read {base['read']:.3f} s, json.dumps {base['dumps']:.3f} s)")
            print(f"  json export / baseline (read + dumps): "
                  f"{times['json', size] / base['seconds']:.1f}x; json / dumps alone: "
                  f"{times['json', size] / base['dumps']:.1f}x; pdf / baseline: "
                  f"{times['pdf', size] / base['seconds']:.1f}x")  # fmt: skip
            print(f"  pdf memory, streamed / all in memory: {figures['pdf']['rss']:.0f} / "
                  f"{figures['pdf-in-memory']['rss']:.0f} MiB")  # fmt: skip
            print(f"  page totals: {page_totals(Path(folder) / f'{size}.pdf')}")
    if len(args.sizes) > 1:
        small, large = min(args.sizes), max(args.sizes)
        print(f"\nlinearity ({large} vs {small} events, {large / small:.1f}x the events; "
              f"linear: the same ratio; CPU time is what a busy machine blurs less):")  # fmt: skip
        for job in JOBS:
            ratio = times[job, large] / times[job, small]
            cpu_ratio = cpu[job, large] / cpu[job, small]
            print(f"  {job:32} {ratio:5.1f}x the time, {cpu_ratio:5.1f}x the CPU time")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
