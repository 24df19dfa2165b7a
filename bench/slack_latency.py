"""How fast Noodrem answers Slack, next to a bare Bolt app that stores each event and posts "ok".

    .venv/bin/python bench/slack_latency.py [--rate 50] [--seconds 10] [--database-url URL]
        [--saturation]

Everything runs on loopback: a fake Slack Web API in this process, and each app under test
as its own process (``python app.py`` for Noodrem, this file with ``--serve-bare`` for the
bare Bolt app), both pointed at the fake with ``SLACK_API_URL``. Signed ``message.im``
events go to each app's ``/slack/events`` at a steady rate; for every event we time

- the HTTP response (Slack wants it within 3 s), and
- the bot's first Web API call about it (its ``chat.postMessage`` into that DM), as the fake
  Web API sees it.

The baseline is what any Slack bot that keeps its messages does: Bolt on aiohttp as Noodrem
mounts it, writing one row per event into the same kind of database (SQLAlchemy, the same
file or server as Noodrem's store) before it posts "ok". Goal (issue 13): Noodrem's
first-call p99 at most 3x the baseline's at 50 events/s. ``--saturation`` also climbs a
ladder of rates for each app (``SATURATION_RATES``, ``--step-seconds`` each) and reports the
highest rate whose first-call p99 stays under 1 s with every event answered; goal: Noodrem's
at least half of the baseline's. ``--adapter`` adds a third app: Noodrem's Slack adapter
(``SlackChannel``: Bolt and ``bot/channels/slack*``) with an engine that answers at once,
the same kind of reply, no store; Noodrem's CPU per event minus its own is what the engine
and the store cost.

Each event comes from its own DM channel, so every answer can be matched to its event.
Both apps run side by side and take turns (``--rounds``, each turn after a warm-up at its
rate), so a load that comes and goes on a shared machine falls on both alike; the table
shows p50 and p99 of all turns pooled and Noodrem's figures divided by the baseline's, then
the p99 ratio of each round.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Served, app_process, free_port, percentile

BOT_TOKEN = "xoxb-bench-token"
SECRET = "bench-signing-secret"
TEAM = "T0BENCH"
TEXT = "ik denk dat we een oplichter hebben betaald"
MAX_EVENTS = 20_000
SATURATION_RATES = (10, 20, 50, 100, 200, 400)
SATURATED_P99 = 1.0  # seconds: above this first-call p99 a rate counts as too much
P99_GOAL = 3.0  # Noodrem's first-call p99 / the baseline's, at most
SATURATION_GOAL = 0.5  # Noodrem's highest rate / the baseline's, at least
BARE_TABLE = "bench_bare_events"
WARM_UP_SECONDS = 2.0  # of traffic at the measured rate before it counts (at least 30 events)
DRAIN_SECONDS = 15.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)
ORGANISATION = f"""organisations:
  - id: bench
    name: Bench B.V.
    slack_team_ids: [{TEAM}]
"""


# The fake Slack Web API ----------------------------------------------------------------------


@dataclass
class FakeWebApi:
    """Answers what both apps call and notes when each DM got its first post."""

    first_post: dict[str, float] = field(default_factory=dict)
    posted: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "chat.postMessage":
            body = await request.json()
            self.first_post.setdefault(str(body["channel"]), time.perf_counter())
            self.posted.set()
            return web.json_response({"ok": True, "channel": body["channel"], "ts": "1.000001"})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": TEAM, "user_id": "UBENCHBOT", "bot_id": "BBENCH"}
            )
        if method == "users.info":
            user = request.query.get("user", "")  # slack_sdk sends users.info as a GET
            profile = {"display_name": f"Bench {user}"}
            answer = {"id": user, "name": str(user), "locale": "nl-NL", "profile": profile}
            return web.json_response({"ok": True, "user": answer})
        return web.json_response({"ok": True})


@contextlib.asynccontextmanager
async def serve_fake() -> AsyncIterator[FakeWebApi]:
    fake = FakeWebApi()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/api/"
    try:
        yield fake
    finally:
        await runner.cleanup()


# The apps under test ---------------------------------------------------------------------------


def serve_bare(port: int, api_url: str, database_url: str) -> None:
    """The baseline: Bolt on aiohttp the way Noodrem mounts it, storing each event as one
    row (its own transaction) and posting "ok"."""
    import sqlalchemy as sa
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from sqlalchemy.ext.asyncio import create_async_engine

    client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url)
    bolt = AsyncApp(client=client, signing_secret=SECRET, name="bare")
    engine = create_async_engine(database_url)
    rows = sa.Table(
        BARE_TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("text", sa.String, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )

    @bolt.event("message")
    async def answer(body: dict[str, object], client: AsyncWebClient) -> None:
        event = body["event"]
        assert isinstance(event, dict)
        async with engine.begin() as conn:
            values = {"channel": event["channel"], "text": event.get("text", "")}
            await conn.execute(rows.insert().values(**values, received_at=sa.func.now()))
        await client.chat_postMessage(channel=event["channel"], text="ok")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def start(app: web.Application) -> None:
        client.session = aiohttp.ClientSession()  # one pool, as Noodrem has
        async with engine.begin() as conn:
            await conn.run_sync(rows.metadata.create_all)

    async def stop(app: web.Application) -> None:
        if client.session is not None:
            await client.session.close()
        async with engine.begin() as conn:  # leave the scratch database as it was
            await conn.run_sync(rows.metadata.drop_all)
        await engine.dispose()

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_adapter(port: int, api_url: str) -> None:
    """Noodrem's Slack adapter as ``app.py`` builds it, in front of an engine that answers
    every message at once with an offer like Noodrem's first answer (a question and three
    buttons; not a card, so nothing asks for the store)."""
    from bot.channels.slack import from_settings
    from bot.clock import SystemClock
    from bot.messages import (
        Button,
        ButtonStyle,
        DeclineStart,
        Inbound,
        Reply,
        ReplyKind,
        ShowPlans,
        SomethingElse,
    )
    from bot.ports import ReplySink, Store

    offer = (
        Reply(
            kind=ReplyKind.QUESTION,
            text="Zal ik het plan *Een bench-plan* starten? Dan open ik een incident en start "
            "de klok.",
            buttons=(
                Button("Ja, start", ShowPlans(), ButtonStyle.PRIMARY),
                Button("Nee", DeclineStart()),
                Button("Iets anders", SomethingElse()),
            ),
        ),
    )

    async def engine(inbound: Inbound, *, sink: ReplySink | None = None) -> Sequence[Reply]:
        return offer

    def no_store() -> Store:
        raise RuntimeError("the adapter alone has no store")

    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url}
    logging.basicConfig(level=logging.INFO)  # as app.py logs
    channel = from_settings(
        env, handler=engine, store=no_store, clock=SystemClock(), host="127.0.0.1"
    )
    assert channel is not None

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    channel.install(app)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# Load ------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    sent: int = 0
    cpu: float = 0.0  # seconds of the app's CPU over the measured events
    response: list[float] = field(default_factory=list)  # seconds
    first_call: list[float] = field(default_factory=list)
    failed: int = 0
    unanswered: int = 0


def signed(body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


def message_event(channel: str, user: str) -> str:
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": TEXT,
        "ts": f"{time.time():.6f}",
        "channel_type": "im",
    }
    return json.dumps(
        {
            "team_id": TEAM,
            "api_app_id": "A0BENCH",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
        }
    )


async def fire(
    http: aiohttp.ClientSession,
    url: str,
    fake: FakeWebApi,
    *,
    name: str,
    rate: float,
    count: int,
    users: int,
) -> Result:
    """``count`` events at ``rate`` per second; each from its own DM channel."""
    result = Result(name)
    sent_at: dict[str, float] = {}
    run = uuid.uuid4().hex[:6].upper()

    async def one(i: int) -> None:
        channel = f"D{run}{i:06d}"
        body = message_event(channel, f"U0BENCH{i % users:03d}")
        sent_at[channel] = start = time.perf_counter()
        try:
            async with http.post(f"{url}/slack/events", data=body, headers=signed(body)) as r:
                await r.read()
                ok = r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        if ok:
            result.response.append(time.perf_counter() - start)
        else:
            result.failed += 1

    loop = asyncio.get_running_loop()
    began = loop.time()
    tasks = []
    for i in range(count):
        delay = began + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    result.sent = count
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while any(c not in fake.first_post for c in sent_at):
                fake.posted.clear()
                await fake.posted.wait()
    for channel, start in sent_at.items():
        if channel in fake.first_post:
            result.first_call.append(fake.first_post[channel] - start)
        else:
            result.unanswered += 1
    return result


async def measure(name: str, app: Served, fake: FakeWebApi, *, rate: float, count: int) -> Result:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as http:
        warm_up = max(30, int(rate * WARM_UP_SECONDS))
        await fire(http, app.url, fake, name=name, rate=rate, count=warm_up, users=10)
        cpu = app.cpu_seconds()
        result = await fire(http, app.url, fake, name=name, rate=rate, count=count, users=10)
        result.cpu = app.cpu_seconds() - cpu
        return result


# Report ------------------------------------------------------------------------------------


def report(bare: Result, noodrem: Result, *, rate: float, seconds: float, database: str) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:8.1f}"

    print(f"\n{rate:g} events/s for {seconds:g} s per app; both stores: {database}\n")
    print(f"{'':28}{'baseline':>12}{'Noodrem':>12}{'ratio':>8}")
    rows = [
        ("HTTP response p50 (ms)", bare.response, noodrem.response, 50),
        ("HTTP response p99 (ms)", bare.response, noodrem.response, 99),
        ("first Web API call p50 (ms)", bare.first_call, noodrem.first_call, 50),
        ("first Web API call p99 (ms)", bare.first_call, noodrem.first_call, 99),
    ]
    for label, base, ours, q in rows:
        b, n = percentile(base, q), percentile(ours, q)
        print(f"{label:28}{ms(b):>12}{ms(n):>12}{n / b:8.2f}")
    cpu_bare, cpu_ours = bare.cpu / bare.sent, noodrem.cpu / noodrem.sent
    label = "app CPU per event (ms)"
    print(f"{label:28}{ms(cpu_bare):>12}{ms(cpu_ours):>12}{cpu_ours / cpu_bare:8.2f}")
    for r in (bare, noodrem):
        print(
            f"{r.name}: {r.sent} sent, {len(r.response)} answered 200, {r.failed} failed, "
            f"{r.unanswered} without a post after {DRAIN_SECONDS:g} s"
        )
    ratio = percentile(noodrem.first_call, 99) / percentile(bare.first_call, 99)
    verdict = "met" if ratio <= P99_GOAL and not noodrem.failed + noodrem.unanswered else "FAIL"
    print(
        f"first-call p99 at {rate:g} ev/s: ratio {ratio:.2f}x the baseline "
        f"(goal <= {P99_GOAL:g}x, every event answered): {verdict}"
    )


def sustained(result: Result) -> bool:
    """Did the app keep up: every event answered, its first call within the limit?"""
    return (
        not result.failed
        and not result.unanswered
        and percentile(result.first_call, 99) < SATURATED_P99
    )


async def saturation(name: str, app: Served, fake: FakeWebApi, *, seconds: float) -> float:
    """The highest rate of the ladder the app sustains (0 if not even the first)."""
    highest = 0.0
    for rate in SATURATION_RATES:
        result = await measure(name, app, fake, rate=rate, count=int(rate * seconds))
        p99 = percentile(result.first_call, 99) * 1000
        kept_up = sustained(result)
        print(
            f"  {name} at {rate:>4} ev/s: first-call p99 {p99:8.1f} ms, "
            f"{result.failed + result.unanswered} unanswered: {'ok' if kept_up else 'saturated'}",
            flush=True,
        )
        if not kept_up:
            break
        highest = float(rate)
    return highest


def report_adapter(bare: Result, noodrem: Result, adapter: Result) -> None:
    cpu_bare, cpu_ours, cpu_adapter = (r.cpu / r.sent * 1000 for r in (bare, noodrem, adapter))
    p99 = percentile(adapter.first_call, 99) * 1000
    print(
        f"Slack adapter alone (instant engine): CPU per event {cpu_adapter:.1f} ms "
        f"(baseline {cpu_bare:.1f}), first-call p99 {p99:.1f} ms, "
        f"{adapter.failed + adapter.unanswered} unanswered; "
        f"so the engine and its store take {cpu_ours - cpu_adapter:.1f} ms per event"
    )


def report_saturation(bare: float, noodrem: float) -> None:
    ratio = noodrem / bare if bare else float("nan")
    verdict = "met" if ratio >= SATURATION_GOAL else "FAIL"
    print(
        f"highest rate with first-call p99 < {SATURATED_P99:g} s: baseline {bare:g} ev/s, "
        f"Noodrem {noodrem:g} ev/s, ratio {ratio:.2f} (goal >= {SATURATION_GOAL:g}): {verdict}"
    )


def pooled(name: str, results: Sequence[Result]) -> Result:
    """The rounds of one app as one sample."""
    return Result(
        name,
        sent=sum(r.sent for r in results),
        response=[v for r in results for v in r.response],
        first_call=[v for r in results for v in r.first_call],
        failed=sum(r.failed for r in results),
        unanswered=sum(r.unanswered for r in results),
        cpu=sum(r.cpu for r in results),
    )


async def main(args: argparse.Namespace) -> None:
    count = min(int(args.rate * args.seconds / args.rounds), MAX_EVENTS)
    with tempfile.TemporaryDirectory(prefix="noodrem-bench-") as tmp:
        folder = Path(tmp)
        organisation = folder / "organisation.yaml"
        organisation.write_text(ORGANISATION, encoding="utf-8")
        database = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        async with contextlib.AsyncExitStack() as stack:
            fake = await stack.enter_async_context(serve_fake())
            base_env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
            port = free_port()
            bare_command = [sys.executable, __file__, "--serve-bare", str(port), fake.url, database]
            bare_app = await stack.enter_async_context(
                app_process("baseline", bare_command, base_env, port, folder / "bare.log")
            )
            port = free_port()
            env = {
                **base_env,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.url,
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "DATABASE_URL": database,
                "ORGANISATION_FILE": str(organisation),
                "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
            }
            noodrem_command = [sys.executable, str(ROOT / "app.py")]
            noodrem_app = await stack.enter_async_context(
                app_process(
                    "Noodrem", noodrem_command, env, port, folder / "noodrem.log", ready="/readyz"
                )
            )
            adapter_app = None
            if args.adapter:
                port = free_port()
                adapter_command = [sys.executable, __file__, "--serve-adapter", str(port), fake.url]
                adapter_app = await stack.enter_async_context(
                    app_process("adapter", adapter_command, base_env, port, folder / "adapter.log")
                )
            # Both run side by side and take turns, so a load that comes and goes on a
            # shared machine falls on both alike.
            bare: list[Result] = []
            noodrem: list[Result] = []
            adapter: list[Result] = []
            for _ in range(args.rounds):
                bare.append(await measure("baseline", bare_app, fake, rate=args.rate, count=count))
                noodrem.append(
                    await measure("Noodrem", noodrem_app, fake, rate=args.rate, count=count)
                )
                if adapter_app is not None:
                    adapter.append(
                        await measure("adapter", adapter_app, fake, rate=args.rate, count=count)
                    )
            highest = adapter_highest = None
            if args.saturation:
                highest = (
                    await saturation("baseline", bare_app, fake, seconds=args.step_seconds),
                    await saturation("Noodrem", noodrem_app, fake, seconds=args.step_seconds),
                )
                if adapter_app is not None:
                    adapter_highest = await saturation(
                        "adapter", adapter_app, fake, seconds=args.step_seconds
                    )
    kind = database.split(":", 1)[0]
    seconds = count * args.rounds / args.rate
    report(
        pooled("baseline", bare),
        pooled("Noodrem", noodrem),
        rate=args.rate,
        seconds=seconds,
        database=kind,
    )
    ratios = sorted(
        percentile(n.first_call, 99) / percentile(b.first_call, 99)
        for b, n in zip(bare, noodrem, strict=True)
    )
    print(f"first-call p99 ratio per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    if adapter:
        report_adapter(pooled("baseline", bare), pooled("Noodrem", noodrem), pooled("", adapter))
    if highest is not None:
        report_saturation(*highest)
    if adapter_highest is not None:
        print(
            f"Slack adapter alone: highest rate {adapter_highest:g} ev/s "
            f"(the ladder ends at {SATURATION_RATES[-1]})"
        )


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="traffic per app, over all rounds"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="turns each app takes, alternating (default 3)"
    )
    parser.add_argument("--database-url", help="Noodrem's store (default: a fresh SQLite file)")
    parser.add_argument(
        "--saturation", action="store_true", help="also find each app's highest sustained rate"
    )
    parser.add_argument(
        "--step-seconds", type=float, default=5.0, help="how long each rate of the ladder runs"
    )
    parser.add_argument(
        "--adapter",
        action="store_true",
        help="also measure Noodrem's Slack adapter alone, in front of an instant engine",
    )
    parser.add_argument(
        "--serve-bare", nargs=3, metavar=("PORT", "API_URL", "DATABASE_URL"), help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--serve-adapter", nargs=2, metavar=("PORT", "API_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if not 0 < args.rate <= 1000 or not 0 < args.seconds <= 120 or not 0 < args.rounds <= 20:
        parser.error(
            "keep it bounded: 0 < --rate <= 1000, 0 < --seconds <= 120, 0 < --rounds <= 20"
        )
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve_bare:
        serve_bare(int(arguments.serve_bare[0]), *arguments.serve_bare[1:])
    elif arguments.serve_adapter:
        serve_adapter(int(arguments.serve_adapter[0]), arguments.serve_adapter[1])
    else:
        asyncio.run(main(arguments))
