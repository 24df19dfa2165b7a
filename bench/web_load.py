"""Web chat throughput: many people typing ``status`` at once, next to a bare aiohttp server.

    python -m bench.web_load [--users 10 50] [--seconds 10] [--database-url URL]
                             [--only sqlite|postgresql] [--profile]

Everything runs on loopback as real processes: ``python app.py`` in the web chat's trial
mode (no sign-in: the page's own id is the person), and as the baseline this script with
``--serve-bare``, a bare aiohttp server that answers the same ``POST /api/web/messages``
with one ``INSERT`` of the message into the same kind of database. Each simulated person
has an id of their own and an incident of their own, opened over HTTP before the clock
starts (the emergency message, then the offer's first button), so ``status`` has
something to show. Then ``N`` people each send ``status``, wait for the answer, and send
again, for ``--seconds``; throughput is answers per second, latency the POST's round trip
(the web chat answers a POST once the turn's replies are in the person's outbox: the
poll that follows only reads them). The two apps take turns per level, so a busy machine
hurts both alike.

Both databases in one run: SQLite (a fresh file) and PostgreSQL (``--database-url``,
default ``bench_webload`` on 127.0.0.1; created if missing and emptied first: it must be a
scratch database whose name starts with ``bench``). ``--profile`` runs Noodrem under
cProfile and prints where its time went.

Goal (issue 13): Noodrem's throughput >= 40% of the baseline's at 10 and 50 people on
both databases, and PostgreSQL at least as fast as SQLite from 10 people on.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import pstats
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    SCRATCH_POSTGRES,
    Load,
    WebPerson,
    app_process,
    clean_env,
    database_kind,
    free_port,
    noodrem_command,
    noodrem_env,
    people,
    percentile,
    scratch_postgres,
    typing_status,
)

GOAL_RATIO = 0.40
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


# The baseline ---------------------------------------------------------------------------------


def serve_bare(port: int, database_url: str) -> None:
    """aiohttp and SQLAlchemy's asyncio engine, as Noodrem uses them: parse the JSON, one
    INSERT of the message in its own transaction, answer the row id."""
    from aiohttp import web
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, event
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    if database_url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _wal(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    metadata = MetaData()
    messages = Table(
        "bare_messages",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", String(200), nullable=False),
        Column("client_id", String(200), nullable=False),
        Column("text", Text, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
    )

    async def post(request: web.Request) -> web.Response:
        from datetime import UTC, datetime

        body = await request.json()
        row = {"user_id": str(body["user_id"]), "client_id": str(body["client_id"]),
               "text": str(body.get("text") or ""), "at": datetime.now(UTC)}  # fmt: skip
        async with engine.begin() as conn:
            result = await conn.execute(messages.insert().returning(messages.c.id), row)
            last_id = result.scalar_one()
        return web.json_response({"last_id": last_id})

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def start(app: web.Application) -> None:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def stop(app: web.Application) -> None:
        await engine.dispose()

    app = web.Application()
    app.router.add_post("/api/web/messages", post)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# Load -----------------------------------------------------------------------------------------


def bare_crowd(http: aiohttp.ClientSession, url: str, count: int) -> list[WebPerson]:
    return [WebPerson(http, url, name=f"Bench {n}") for n in range(count)]


async def measure(
    database_url: str,
    bare_url: str,
    levels: Sequence[int],
    seconds: float,
    folder: Path,
    *,
    profile: bool,
) -> list[tuple[Load, Load]]:
    """At each level, the bare server's load then Noodrem's, on one database."""
    stats = folder / f"noodrem-{database_kind(database_url)}.prof"
    command = noodrem_command()
    if profile:
        command = [command[0], "-m", "cProfile", "-o", str(stats), *command[1:]]
    noodrem_port, bare_port = free_port(), free_port()
    bare_command = [sys.executable, "-m", "bench.web_load", "--serve-bare", str(bare_port),
                    bare_url]  # fmt: skip
    results: list[tuple[Load, Load]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as http,
        app_process(
            "Noodrem",
            command,
            noodrem_env(noodrem_port, database_url),
            noodrem_port,
            folder / "noodrem.log",
            ready="/readyz",
            stop=signal.SIGINT if profile else signal.SIGTERM,
        ) as noodrem,
        app_process(
            "bare aiohttp", bare_command, clean_env(), bare_port, folder / "bare.log"
        ) as bare_app,
    ):
        began = time.perf_counter()
        crowd = await people(noodrem.url, http, max(levels))
        print(f"  {len(crowd)} people with an open incident each in "
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr)  # fmt: skip
        bare = bare_crowd(http, bare_app.url, max(levels))
        for users in levels:
            print(f"  {users} people: bare", file=sys.stderr, flush=True)
            base = await typing_status(bare[:users], name="bare", seconds=seconds)
            print(f"  {users} people: Noodrem", file=sys.stderr, flush=True)
            ours = await typing_status(crowd[:users], name="Noodrem", seconds=seconds)
            results.append((base, ours))
    if profile:
        show_profile(stats)
    return results


def show_profile(path: Path) -> None:
    if not path.exists():
        print(f"(no profile written at {path})", file=sys.stderr)
        return
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue(), file=sys.stderr)


# Report ---------------------------------------------------------------------------------------


def report(by_database: dict[str, list[tuple[Load, Load]]], seconds: float) -> bool:
    print(f"\nweb chat `status`, {seconds:g} s per level and app; baseline: bare aiohttp + "
          "one INSERT per message into the same kind of database")  # fmt: skip
    print(f"{'':22}{'msg/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'bare msg/s':>12}{'bare p99':>10}"
          f"{'ratio':>7}")  # fmt: skip
    met = True
    rates: dict[tuple[str, int], float] = {}
    for kind, rows in by_database.items():
        for base, ours in rows:
            ratio = ours.rate / base.rate if base.rate else float("nan")
            met &= ratio >= GOAL_RATIO
            rates[kind, ours.users] = ours.rate
            failed = (
                f"  ({ours.failed} failed, bare {base.failed})" if ours.failed + base.failed else ""
            )
            p50, p99 = (percentile(ours.latency, q) * 1000 for q in (50, 99))
            print(
                f"{kind:11}{ours.users:4} users{ours.rate:8.1f}{p50:9.0f}{p99:9.0f}"
                f"{base.rate:12.1f}{percentile(base.latency, 99) * 1000:10.0f}{ratio:6.2f}x{failed}"
            )  # fmt: skip
    verdict = "met" if met else "NOT met"
    print(f"goal: throughput ratio >= {GOAL_RATIO:.2f} at every level on both databases: {verdict}")
    levels = sorted({users for _, users in rates if users >= 10})
    if all(("PostgreSQL", u) in rates and ("SQLite", u) in rates for u in levels) and levels:
        faster = all(rates["PostgreSQL", u] >= rates["SQLite", u] for u in levels)
        shown = ", ".join(f"{u}: {rates['PostgreSQL', u] / rates['SQLite', u]:.2f}" for u in levels)
        print(f"goal: PostgreSQL >= SQLite at 10+ users (PG/SQLite ratio {shown}): "
              f"{'met' if faster else 'NOT met'}")  # fmt: skip
        met &= faster
    return met


async def main(args: argparse.Namespace) -> None:
    by_database: dict[str, list[tuple[Load, Load]]] = {}
    with tempfile.TemporaryDirectory(prefix="noodrem-web-load-") as tmp:
        folder = Path(tmp)
        # (Noodrem's database, the baseline's): on SQLite a file each, so the two
        # processes never share a lock; on PostgreSQL one scratch database, another table.
        urls: list[tuple[str, str]] = []
        if args.only != "postgresql":
            urls.append((f"sqlite+aiosqlite:///{folder / 'noodrem.db'}",
                         f"sqlite+aiosqlite:///{folder / 'bare.db'}"))  # fmt: skip
        if args.only != "sqlite":
            postgres = await scratch_postgres(args.database_url)
            urls.append((postgres, postgres))
        for url, bare_url in urls:
            kind = database_kind(url)
            print(f"{kind}: {' / '.join(map(str, args.users))} people ...", file=sys.stderr)
            by_database[kind] = await measure(
                url, bare_url, args.users, args.seconds, folder, profile=args.profile
            )
    report(by_database, args.seconds)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=10.0, help="per level and app")
    parser.add_argument(
        "--database-url",
        default=SCRATCH_POSTGRES.format(name="webload"),
        help="the PostgreSQL scratch database (emptied first; name must start with bench)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--profile", action="store_true", help="Noodrem under cProfile")
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not all(0 < u <= 200 for u in args.users) or not 0 < args.seconds <= 120:
        parser.error("keep it bounded: 0 < --users <= 200 and 0 < --seconds <= 120")
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve_bare:
        serve_bare(int(arguments.serve_bare[0]), arguments.serve_bare[1])
    else:
        asyncio.run(main(arguments))
