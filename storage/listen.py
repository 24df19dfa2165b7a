"""Wake-ups across replicas: PostgreSQL's LISTEN/NOTIFY for the web chat outbox.

A write to a mailbox (``outbox.put``) sends ``NOTIFY noodrem_outbox, '<mailbox>'`` in the
writer's own transaction, so PostgreSQL delivers it once the rows are committed, to every
process that listens. ``OutboxListener`` keeps one connection of its own for that (outside
the pool: it sits idle for ever) and calls ``on_write(mailbox)`` for each notification.
While the connection is down nothing is delivered, so ``on_write(None)`` says "anything
may have been written": when it is lost, and again once it listens anew.

SQLite has no such signal; there the web chat has its in-process wake-up and a slow re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

CHANNEL = "noodrem_outbox"
CONNECT_TIMEOUT_S = 10
RETRY_SECONDS = (1, 2, 5, 10, 30)  # after a lost or refused connection; the last repeats

OnWrite = Callable[[str | None], None]
"""A mailbox was written (committed) by some process; ``None``: perhaps any mailbox."""


class OutboxListener:
    """Listens for outbox writes on PostgreSQL until ``close()``; reconnects when lost."""

    def __init__(self, engine: AsyncEngine, on_write: OnWrite) -> None:
        _, options = engine.dialect.create_connect_args(engine.url)
        # What SQLAlchemy's adapter takes for itself; asyncpg.connect does not know them.
        options.pop("prepared_statement_cache_size", None)
        options.pop("prepared_statement_name_func", None)
        self._options: dict[str, Any] = {"timeout": CONNECT_TIMEOUT_S, **options}
        self._on_write = on_write
        self._listening = asyncio.Event()
        self._tried = asyncio.Event()  # the first connection listens, or could not
        self._task: asyncio.Task[None] | None = None

    @property
    def live(self) -> bool:
        """Whether a write by another process would wake us now."""
        return self._listening.is_set()

    async def start(self) -> None:
        """Begin listening; returns once the first connection listens or has failed (then
        it keeps retrying in the background, and ``live`` stays false until it works)."""
        self._task = asyncio.create_task(self._run(), name="outbox listener")
        await self._tried.wait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen_once()
                failures = 0  # it listened, then the connection went: retry at once
            except Exception as exc:  # whatever it was, keep trying: pollers re-read meanwhile
                # Only the kind: the message of a refused login can quote the options.
                log.warning("outbox listener: cannot listen (%s)", type(exc).__name__)
                self._tried.set()
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1

    async def _listen_once(self) -> None:
        import asyncpg  # only on PostgreSQL, where SQLAlchemy has imported it already

        connection = await asyncpg.connect(**self._options)
        lost = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _conn: lost.set())
            await connection.add_listener(CHANNEL, self._notified)
            self._listening.set()
            self._tried.set()
            self._on_write(None)  # what was written while nobody here listened
            await lost.wait()
            log.warning("outbox listener: connection lost, reconnecting")
        finally:
            if self._listening.is_set():
                self._listening.clear()
                self._on_write(None)  # pollers fall back to reading again themselves
            with contextlib.suppress(Exception):
                await connection.close(timeout=1)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._on_write(payload)
