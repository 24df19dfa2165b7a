"""How many SQL statements does each kind of message cost, which, and how long is the
write lock held?

    python -m bench.statements [--database-url URL] [--show KIND]

Serves the real app on loopback (the same harness as the end-to-end tests) and walks one
person through an incident's first messages twice: over the web chat's HTTP interface
(the engine's turn with the outbox rows of its answer, then the poll that reads them), and
straight into the engine with a platform event id and no sink, as a Slack or Teams message
arrives. Statements are counted with SQLAlchemy's ``before_cursor_execute``, transactions
with its ``begin``/``commit``/``rollback`` events. Per message: the statements, by kind;
the transactions and how many of them wrote; and ``held``, the statements run while the
transaction held the write lock (on SQLite from ``BEGIN IMMEDIATE``, else from its first
write to its end): what others wait for. ``--show status`` lists that message's statements.
``--database-url`` must name an empty scratch database; without it, a fresh SQLite file.
(A ``BEGIN``/``COMMIT`` the driver sends itself, as asyncpg does, is not a cursor statement
and is not counted.) ``tests/test_read_only_turns.py`` holds these counts to limits.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.messages import Address, Channel, Inbound, Reply
from storage import create_store
from tests.harness import RunningApp, running_app

# (label, typed text); None: press the offer's first button (start the plan).
MESSAGES: list[tuple[str, str | None]] = [
    ("offer", "ik denk dat we een oplichter hebben betaald"),
    ("confirm start", None),
    ("status", "status"),
    ("help", "help"),
    ("lijst", "lijst"),
    ("not understood", "wat is het weer morgen"),
]
WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Unit:
    """One transaction as the database saw it."""

    statements: list[str] = field(default_factory=list)
    locked_from: int | None = None  # index of the statement that took the write lock

    def add(self, statement: str) -> None:
        if self.locked_from is None and (
            statement.upper().startswith(WRITES) or statement.upper() == "BEGIN IMMEDIATE"
        ):
            self.locked_from = len(self.statements)
        self.statements.append(statement)

    @property
    def wrote(self) -> bool:
        return any(s.upper().startswith(WRITES) for s in self.statements)

    @property
    def held(self) -> int:
        return 0 if self.locked_from is None else len(self.statements) - self.locked_from


@dataclass
class Cost:
    """What one message cost: its transactions, in order."""

    label: str
    units: list[Unit]

    @property
    def statements(self) -> list[str]:
        return [s for unit in self.units for s in unit.statements]

    @property
    def writing(self) -> int:
        return sum(unit.wrote for unit in self.units)

    @property
    def held(self) -> int:
        return sum(unit.held for unit in self.units)

    def kinds(self) -> dict[str, int]:
        return dict(collections.Counter(s.split()[0].upper() for s in self.statements))


class Meter:
    """Records every statement and transaction of an engine until ``take()``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self._open: dict[int, Unit] = {}
        self._begun: dict[int, Unit] = {}  # a BEGIN statement seen, its ``begin`` event not yet
        self._done: list[Unit] = []

    @contextmanager
    def listening(self) -> Iterator[Meter]:
        listeners: list[tuple[str, Callable[..., None]]] = [
            ("begin", self._begin),
            ("before_cursor_execute", self._statement),
            ("commit", self._end),
            ("rollback", self._end),
        ]
        for name, fn in listeners:
            event.listen(self._engine, name, fn)
        try:
            yield self
        finally:
            for name, fn in listeners:
                event.remove(self._engine, name, fn)

    def take(self, label: str) -> Cost:
        units, self._done = self._done, []
        return Cost(label, units)

    def _begin(self, conn: Any) -> None:
        # On SQLite the set-up's own ``begin`` hook has sent the BEGIN already.
        if self._begun.pop(id(conn), None) is None:
            self._open[id(conn)] = unit = Unit()
            self._done.append(unit)

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        unit = self._open.get(id(conn))
        if statement.upper().startswith("BEGIN"):
            self._open[id(conn)] = self._begun[id(conn)] = unit = Unit()
            self._done.append(unit)
        elif unit is None:  # outside a transaction (a pool's ping): a unit of its own
            unit = Unit()
            self._done.append(unit)
        unit.add(" ".join(statement.split()))

    def _end(self, conn: Any) -> None:
        self._open.pop(id(conn), None)


async def over_web(app: RunningApp, meter: Meter) -> list[tuple[Cost, Cost]]:
    """Each message POSTed as a person in the web chat: (the POST, the poll) per message."""
    user, after = f"bench-{uuid.uuid4().hex[:8]}", 0
    buttons: list[dict[str, Any]] = []
    costs: list[tuple[Cost, Cost]] = []
    async with aiohttp.ClientSession() as http:
        for label, text in MESSAGES:
            body: dict[str, Any] = {"user_id": user, "user_name": "Bench", "client_id": label}
            if text is None:
                body |= {"action": buttons[0]["action"], "label": buttons[0]["label"]}
            else:
                body["text"] = text
            meter.take("")
            async with http.post(f"{app.url}/api/web/messages", json=body) as res:
                res.raise_for_status()
            posted = meter.take(label)
            query = {"user_id": user, "after": str(after)}
            async with http.get(f"{app.url}/api/web/messages", params=query) as res:
                polled = await res.json()
            after = polled["last_id"]
            buttons = [b for m in polled["messages"] for b in m.get("buttons", [])]
            costs.append((posted, meter.take(label)))
    return costs


async def into_engine(app: RunningApp, meter: Meter) -> list[Cost]:
    """Each message handed to the engine with an event id and no sink (Slack, Teams)."""
    engine = app.runtime.engine
    assert engine is not None
    user, tenant = f"bench-{uuid.uuid4().hex[:8]}", app.runtime.organisations.default.id
    address = Address(Channel.WEB, tenant, user, user)
    replies: list[Reply] = []
    costs: list[Cost] = []
    for n, (label, text) in enumerate(MESSAGES):
        action = None
        if text is None:
            action = next(b.action for r in replies for b in r.buttons)
        meter.take("")
        replies = await engine.handle(
            Inbound(
                channel=Channel.WEB,
                tenant_id=tenant,
                user_id=user,
                user_name="Bench",
                conversation_id=user,
                event_id=f"{user}-{n}",
                text=text,
                action=action,
                address=address,
                personal_address=address,
            )
        )
        costs.append(meter.take(label))
    return costs


def _line(cost: Cost, *, poll: Cost | None = None) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in cost.kinds().items())
    polled = f" {len(poll.statements):4}" if poll is not None else ""
    return (
        f"{cost.label:16} {len(cost.statements):5}  {kinds:36} {len(cost.units):3} "
        f"{cost.writing:5} {cost.held:5}{polled}"
    )


async def walk(app: RunningApp, show: str | None) -> None:
    meter = Meter(app.runtime.require_store().engine)
    with meter.listening():
        web = await over_web(app, meter)
        direct = await into_engine(app, meter)
    head = f"{'message':16} {'stmts':>5}  {'kinds':36} {'tx':>3} {'write':>5} {'held':>5}"
    print(f"web chat (POST: turn + outbox; poll)\n{head} {'poll':>4}")
    for posted, polled in web:
        print(_line(posted, poll=polled))
    print(f"\nengine, event id, no sink (a Slack or Teams message)\n{head}")
    for cost in direct:
        print(_line(cost))
    for posted, _polled in web:
        if show == posted.label:
            print(f"\n{show} over the web chat:")
            for unit in posted.units:
                for i, s in enumerate(unit.statements):
                    mark = "*" if unit.locked_from is not None and i >= unit.locked_from else " "
                    print(f"  {mark} {s[:118]}")
                print("    --")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--show", choices=[label for label, _ in MESSAGES])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/statements.db"
        store = await create_store(url)
        await store.create_schema()
        await store.close()
        # The organisations' refresh would read in the middle of a counted message.
        async with running_app(url, env={"ORGANISATION_REFRESH_SECONDS": "3600"}) as app:
            await walk(app, args.show)


if __name__ == "__main__":
    asyncio.run(main())
