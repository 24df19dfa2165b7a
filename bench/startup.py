"""How long from process start to the first 200 from /healthz?

Starts ``python app.py`` (web chat only: no Slack or Teams settings, a fresh database) and
polls ``GET /healthz`` until it answers. As a baseline it starts, in the same run, a bare
process that imports aiohttp and SQLAlchemy's asyncio extension, opens the same kind of
database with one ``SELECT 1`` and serves ``/healthz``. Runs alternate, so a busy machine
hurts both alike; the figure is the median. On a shared machine the wall time says as much
about the neighbours as about the start, so each run also reads the CPU time the process had
used when it first answered (``/proc/<pid>/stat``, Linux; 10 ms ticks): the load changes it
little.

    python bench/startup.py [--database-url URL] [--runs 5]

The figure is a restart: one untimed start first creates the schema (a new database's first
start also imports Alembic and runs the migrations; that figure is printed apart), then
every timed run finds the database current. Without ``--database-url``, a SQLite file.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_healthz(
    argv: list[str], env: dict[str, str], port: int, limit: float = 60
) -> tuple[float, float]:
    """Wall time from the start to the first 200 from /healthz, and the CPU time by then."""
    url = f"http://127.0.0.1:{port}/healthz"
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while time.perf_counter() - start < limit:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"{argv[1]} exited early: {err[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - start, cpu_seconds(proc.pid)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.01)  # polling a child process: there is no event to wait on
        raise SystemExit(f"no /healthz from {argv[1]} within {limit} s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "APP_"))}
    noodrem: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        port = free_port()
        first, _ = time_to_healthz(
            [sys.executable, "app.py"], clean | {"DATABASE_URL": url, "PORT": str(port)}, port
        )
        for n in range(args.runs):
            for name, argv, into in (
                ("noodrem", [sys.executable, "app.py"], noodrem),
                ("bare", [sys.executable, "-c", BASELINE], bare),
            ):
                port = free_port()
                env = clean | {"DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1"}
                into.append(time_to_healthz(argv, env, port))
                wall, cpu = into[-1]
                print(f"run {n + 1} {name:8} {wall * 1000:7.0f} ms  cpu {cpu * 1000:5.0f} ms",
                      file=sys.stderr)  # fmt: skip
    ours, base = (statistics.median(w for w, _ in runs) for runs in (noodrem, bare))
    ours_cpu, base_cpu = (statistics.median(c for _, c in runs) for runs in (noodrem, bare))
    db = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(f"start -> /healthz ({db}, median of {args.runs})")
    print(f"{'noodrem':12}{ours * 1000:8.0f} ms")
    print(f"{'baseline':12}{base * 1000:8.0f} ms  (bare aiohttp + SQLAlchemy async)")
    print(f"{'ratio':12}{ours / base:8.2f}x  (target <= 1.5x)")
    print(f"{'cpu':12}{ours_cpu * 1000:8.0f} ms  baseline {base_cpu * 1000:.0f} ms:"
          f" ratio {ours_cpu / base_cpu:.2f}x (CPU time used by the first 200)")  # fmt: skip
    print(f"{'first start':12}{first * 1000:8.0f} ms  (new database: migrations, once)")


if __name__ == "__main__":
    main()
