"""What the process-level benchmarks share: ports, starting an app as its own process,
percentiles, a scratch PostgreSQL database, and a web chat person on the trial mode.

Each app under test runs as a real process on loopback (``python app.py``, or a bench
script's bare baseline), so the figures include HTTP, the event loop and the database as
in production, and the load generator's own CPU is not counted in the app's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
# The trigger of the plan every bench person opens, and its offer's first button starts it.
EMERGENCY = "ik denk dat we een oplichter hebben betaald"
SCRATCH_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_{name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This environment without any platform's settings: the web chat only, trial mode."""
    prefixes = ("SLACK_", "TEAMS_", "APP_", "ORGANISATION_FILE", "DATABASE_URL", "PORT", "HOST")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def noodrem_env(port: int, database_url: str, **extra: str) -> dict[str, str]:
    """``python app.py`` serving the web chat in trial mode (no sign-in) on loopback."""
    return clean_env() | {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
        **extra,
    }


def noodrem_command() -> list[str]:
    return [sys.executable, str(ROOT / "app.py")]


@dataclass(frozen=True)
class Served:
    """An app under test, started by ``app_process``."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc): unlike its
        latencies, a figure the rest of a shared machine's load does not move."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def app_process(
    name: str,
    command: Sequence[str],
    env: dict[str, str],
    port: int,
    log: Path,
    *,
    ready: str = "/healthz",
    limit: float = 60.0,
    stop: signal.Signals = signal.SIGTERM,
) -> AsyncIterator[Served]:
    """Start one app as its own process and wait until ``ready`` answers 200 (Noodrem's
    /healthz answers before its start is done: it is /readyz that says started). Yields
    its base URL and pid; stops it with ``stop`` on the way out (SIGINT for a process under
    cProfile, which writes its file only when the program ends by an exception or
    normally), then SIGKILL after 20 s."""
    with log.open("w") as out:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            began = time.monotonic()
            while True:
                if process.returncode is not None:
                    raise SystemExit(f"{name} stopped at start; see {log}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{url}{ready}") as response:
                        if response.status == 200:
                            break
                if time.monotonic() - began > limit:
                    raise SystemExit(f"{name} did not start within {limit:g} s; see {log}")
                await asyncio.sleep(0.1)  # polling a child process: no event to wait on
        yield Served(url, process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(stop)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def percentile(values: Sequence[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def database_kind(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


async def scratch_postgres(url: str) -> str:
    """Make the PostgreSQL database of ``url`` exist and be empty (no tables), and return
    ``url``. Only a database whose name starts with ``bench`` is emptied: a bench never
    wipes a database it was not made for."""
    import asyncpg

    parts = urlsplit(url.replace("+asyncpg", ""))
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to empty {name!r}: name a scratch database bench_<name>")
    admin = await asyncpg.connect(parts._replace(path="/postgres").geturl())
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(parts.geturl())
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    return url


# A person in the web chat's trial mode --------------------------------------------------------


@dataclass
class WebPerson:
    """One person on the web chat page in trial mode: the page's own id, a name, and how
    far they have read their history."""

    http: aiohttp.ClientSession
    url: str
    user_id: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:10]}")
    name: str = "Bench"
    read_up_to: int = 0
    incident_id: str | None = None

    async def post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST one message; the HTTP status and the JSON answer."""
        body = {"user_id": self.user_id, "user_name": self.name,
                "client_id": uuid.uuid4().hex, "locale": "nl", **body}  # fmt: skip
        async with self.http.post(f"{self.url}/api/web/messages", json=body) as response:
            answer = await response.json(content_type=None)
            return response.status, answer if isinstance(answer, dict) else {}

    async def say(self, text: str) -> tuple[int, dict[str, Any]]:
        return await self.post({"text": text})

    async def read(self) -> list[dict[str, Any]]:
        """Every message after the last one read (the page's poll, without waiting)."""
        found: list[dict[str, Any]] = []
        while True:
            query = {"user_id": self.user_id, "after": str(self.read_up_to), "wait": "0"}
            async with self.http.get(f"{self.url}/api/web/messages", params=query) as response:
                response.raise_for_status()
                page = await response.json()
            found += page["messages"]
            if not page["messages"]:
                return found
            self.read_up_to = page["last_id"]

    async def open_incident(self) -> str:
        """Report an emergency and press the offer's first button (start the plan)."""
        status, _ = await self.say(EMERGENCY)
        if status != 200:
            raise SystemExit(f"the emergency message answered HTTP {status}")
        buttons = [b for m in await self.read() for b in m.get("buttons") or []]
        if not buttons:
            raise SystemExit("the emergency message got no offer to start a plan")
        status, _ = await self.post({"action": buttons[0]["action"], "label": "start"})
        if status != 200:
            raise SystemExit(f"starting the plan answered HTTP {status}")
        ids = [m["incident_id"] for m in await self.read() if m.get("incident_id")]
        if not ids:
            raise SystemExit("starting the plan opened no incident")
        self.incident_id = ids[-1]
        return self.incident_id


async def people(
    url: str, http: aiohttp.ClientSession, count: int, *, at_once: int = 5
) -> list[WebPerson]:
    """``count`` people, each with an open incident of their own (opened over HTTP)."""
    crowd = [WebPerson(http, url, name=f"Bench {n}") for n in range(count)]
    gate = asyncio.Semaphore(at_once)

    async def open_one(person: WebPerson) -> None:
        async with gate:
            await person.open_incident()

    await asyncio.gather(*(open_one(p) for p in crowd))
    return crowd


# Load -----------------------------------------------------------------------------------------

WARM_UP_SECONDS = 1.5


@dataclass
class Load:
    """What ``typing_status`` measured: one latency per answer, and the failures."""

    name: str
    users: int
    seconds: float
    latency: list[float] = field(default_factory=list)
    failed: int = 0  # no answer, or not HTTP 200
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latency) / self.seconds


async def typing_status(
    crowd: Sequence[WebPerson],
    *,
    name: str,
    seconds: float,
    warm_up: float = WARM_UP_SECONDS,
    during: asyncio.Future[Any] | None = None,
) -> Load:
    """Each person sends ``status``, waits for the answer and sends again, for ``seconds``
    after ``warm_up`` (and, with ``during``, at least until it is done); answers completed
    inside the window count."""
    load = Load(name, len(crowd), seconds)
    loop = asyncio.get_running_loop()
    began = loop.time() + warm_up
    ends = began + seconds

    def open_window() -> bool:
        return loop.time() < ends or (during is not None and not during.done())

    async def one(person: WebPerson) -> None:
        while open_window():
            sent = loop.time()
            try:
                status, _ = await person.say("status")
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            done = loop.time()
            if sent >= began and (done <= ends or during is not None):
                load.statuses[status] += 1
                if status == 200:
                    load.latency.append(done - sent)
                else:
                    load.failed += 1

    await asyncio.gather(*(one(p) for p in crowd))
    load.seconds = max(seconds, loop.time() - began)
    return load
