"""How long from process start to the first 200 from /healthz, and from /readyz?

Starts ``python app.py`` (web chat only: no Slack or Teams settings, a fresh database) and
polls ``GET /healthz`` until it answers, then ``GET /readyz``. The server listens before it
builds the app (docs/architecture.md, "The start"): /healthz is the process alive, /readyz
the app started (store open and migrated, engine built), which is what a message waits for.
As a baseline it starts, in the same run, a bare process that imports aiohttp and
SQLAlchemy's asyncio extension, opens the same kind of database with one ``SELECT 1`` and
serves ``/healthz``. After /readyz it sends the first web chat message (the issue's own
example, which needs the recognizer) and times its answer from the moment /readyz said
ready: work moved from before ready to after it shows there. Runs alternate, so a busy
machine hurts both alike; the figure is the median. On a shared machine the wall time says
as much about the neighbours as about the start, so each run also reads the CPU time the
process had used when it first answered (``/proc/<pid>/stat``, Linux; 10 ms ticks): the
load changes it little.

    python bench/startup.py [--database-url URL] [--runs 5]

The figures are a restart: one start first creates the schema (a new database's first
start also imports Alembic and runs the migrations; its time to /readyz is printed apart),
then every timed run finds the database current (and the recognizer kept by that first
start, in a cache directory of the bench's own). Without ``--database-url``, a SQLite file.
The project's byte-code is compiled first, as the Dockerfile does (``compileall``): with
``PYTHONDONTWRITEBYTECODE`` set, as it is in the image and on CI, every start would otherwise
compile Noodrem's ~150 modules again, and the bare process has no such modules to compile.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, free_port

BASELINE = """
import asyncio, os, sys
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

async def main():
    engine = create_async_engine(os.environ["DATABASE_URL"])
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    app = web.Application()
    async def healthz(request):
        return web.json_response({"ok": True})
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
    await asyncio.Event().wait()

asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


FIRST_MESSAGE = "we hebben zojuist 8.000 euro naar een oplichter overgeboekt"
"""Free text only the recognizer places (no trigger phrase): its answer waits for it."""


def time_to(
    argv: list[str],
    env: dict[str, str],
    port: int,
    paths: tuple[str, ...],
    limit: float = 60,
    *,
    message: bool = False,
) -> list[tuple[float, float]]:
    """For each path in turn, the wall time from the start to its first 200, and the CPU
    time by then; with ``message``, then the first web chat message's answer."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    found: list[tuple[float, float]] = []
    try:
        for path in paths:
            found.append(_first_200(proc, f"http://127.0.0.1:{port}{path}", start, limit))
        if message:
            found.append(_answered(proc, f"http://127.0.0.1:{port}/api/web/messages", start))
        return found
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _first_200(
    proc: subprocess.Popen[bytes], url: str, start: float, limit: float
) -> tuple[float, float]:
    while time.perf_counter() - start < limit:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"{proc.args!r} exited early: {err[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start, cpu_seconds(proc.pid)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)  # polling a child process: there is no event to wait on
    raise SystemExit(f"no 200 from {url} within {limit} s")


def _answered(proc: subprocess.Popen[bytes], url: str, start: float) -> tuple[float, float]:
    """Send the first web chat message; the wall time from the start to its answer (the
    200 comes once the answer is written) and the CPU time by then."""
    body = {"user_id": "bench", "user_name": "Bench", "locale": "nl", "client_id": "bench-1"}
    request = urllib.request.Request(
        url,
        data=json.dumps(body | {"text": FIRST_MESSAGE}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 200:
            raise SystemExit(f"the first message got {response.status}")
    return time.perf_counter() - start, cpu_seconds(proc.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for code in ("app.py", "bot", "storage"):
        target = ROOT / code
        ok = (
            compileall.compile_file(target, quiet=1)
            if target.is_file()
            else compileall.compile_dir(target, quiet=1)
        )
        if not ok:
            raise SystemExit(f"cannot compile {target}")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "APP_"))}
    # Per run: (wall, cpu) at the first /healthz, at the first /readyz and, for Noodrem, at
    # the first message's answer. The baseline has no /readyz: it listens only once its
    # database answered, so its ready is its alive.
    noodrem: list[list[tuple[float, float]]] = []
    bare: list[list[tuple[float, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        port = free_port()
        # A cache of its own: the first start trains the recognizer and keeps it, as the
        # first start on a machine does; the timed runs are restarts that read it.
        clean |= {"NOODREM_CACHE_DIR": f"{tmp}/cache"}
        env = clean | {"DATABASE_URL": url, "PORT": str(port)}
        (first, _), (first_message, _) = time_to(
            [sys.executable, "app.py"], env, port, ("/readyz",), message=True
        )
        for n in range(args.runs):
            for name, argv, paths, into in (
                ("noodrem", [sys.executable, "app.py"], ("/healthz", "/readyz"), noodrem),
                ("bare", [sys.executable, "-c", BASELINE], ("/healthz",), bare),
            ):
                port = free_port()
                env = clean | {"DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1"}
                into.append(time_to(argv, env, port, paths, message=into is noodrem))
                names = (*paths, "message") if into is noodrem else paths
                shown = "  ".join(f"{p} {w * 1000:5.0f} ms cpu {c * 1000:5.0f} ms"
                                  for p, (w, c) in zip(names, into[-1], strict=True))  # fmt: skip
                print(f"run {n + 1} {name:8} {shown}", file=sys.stderr)
    db = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(f"start -> first 200 ({db}, median of {args.runs}; baseline: bare aiohttp + SQLAlchemy"
          " async, listening once its database answered)")  # fmt: skip
    for what, at in (("/healthz", 0), ("/readyz", 1)):
        ours, base = (statistics.median(r[min(at, len(r) - 1)][0] for r in runs)
                      for runs in (noodrem, bare))  # fmt: skip
        ours_cpu, base_cpu = (statistics.median(r[min(at, len(r) - 1)][1] for r in runs)
                              for runs in (noodrem, bare))  # fmt: skip
        print(f"{what:10}{ours * 1000:6.0f} ms vs {base * 1000:4.0f} ms: ratio {ours / base:.2f}x;"
              f" cpu {ours_cpu * 1000:4.0f} ms vs {base_cpu * 1000:4.0f} ms:"
              f" ratio {ours_cpu / base_cpu:.2f}x")  # fmt: skip
    after = statistics.median(r[2][0] - r[1][0] for r in noodrem)
    answered, answered_cpu = (statistics.median(r[2][i] for r in noodrem) for i in (0, 1))
    print(
        f"first message answered {after * 1000:5.0f} ms after ready ({answered * 1000:.0f} ms"
        f" after the start, cpu {answered_cpu * 1000:.0f} ms by then)"
    )
    print("target: /healthz <= 1.5x")
    print(
        f"first start {first * 1000:6.0f} ms to /readyz (new database: migrations, once),"
        f" first message answered {(first_message - first) * 1000:.0f} ms after ready"
        " (nothing kept yet: the recognizer is trained)"
    )


if __name__ == "__main__":
    main()
