"""Retention: the web chat's history, the de-duplication rows and expired sign-ins are not
kept for ever.

``Retention.run_if_due`` runs at its first call and then every
``Settings.retention_every_seconds``, called by the scheduler's tick (``app.Runtime.tick``;
docs/operations.md). Each
kind of row is deleted in batches of ``BATCH``, one short transaction per batch, so a
large backlog never holds a long lock (on SQLite: the whole database) or a long
transaction. The incident timeline (events), incidents, steps and deadlines are never
pruned: they are the evidence.

Pruning de-duplication rows makes the retention the de-duplication window: a platform
event id (or a web chat client id) re-sent after its row is gone is handled as a new
message. Platforms retry within minutes to hours, so a window of days is ample.

Web sign-ins (mailed links, OpenID Connect logins under way) and web sessions are not a
setting: a session is deleted once it has expired, a sign-in ``SIGN_IN_KEPT`` after it
expired (used or not), since the per-address limit on mailed links counts recent ones.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ports import Clock, Store, Transaction

log = logging.getLogger(__name__)

BATCH = 500
SIGN_IN_KEPT = timedelta(days=1)
"""How long a used or expired sign-in stays: far past the rate limit's window (15 min)."""
SESSION_KEPT = timedelta(0)  # an expired session opens nothing and is kept for nothing

Prune = Callable[[Transaction, datetime, int], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows one run deleted."""

    chat_messages: int = 0
    inbound_claims: int = 0
    sign_ins: int = 0
    web_sessions: int = 0


class Retention:
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        chat: timedelta | None,
        dedup: timedelta | None,
        batch: int = BATCH,
        every: timedelta = timedelta(hours=1),
    ) -> None:
        self._store = store
        self._clock = clock
        self._chat = chat
        self._dedup = dedup
        self._batch = batch
        self._every = every
        self._next_at: datetime | None = None

    async def run_if_due(self) -> Pruned | None:
        """``run`` at the first call and then once per ``every``; ``None`` when not due."""
        now = self._clock.now()
        if self._next_at is not None and now < self._next_at:
            return None
        self._next_at = now + self._every
        return await self.run()

    async def run(self) -> Pruned:
        """Delete every row past its retention; ``None`` retention keeps that kind."""
        now = self._clock.now()
        pruned = Pruned(
            chat_messages=await self._prune(self._chat, now, _outbox),
            inbound_claims=await self._prune(self._dedup, now, _claims),
            sign_ins=await self._prune(SIGN_IN_KEPT, now, _sign_ins),
            web_sessions=await self._prune(SESSION_KEPT, now, _sessions),
        )
        if pruned != Pruned():
            log.info(
                "retention: deleted %d chat messages, %d de-duplication rows, "
                "%d expired sign-ins and %d expired sessions",
                pruned.chat_messages,
                pruned.inbound_claims,
                pruned.sign_ins,
                pruned.web_sessions,
            )
        return pruned

    async def _prune(self, keep: timedelta | None, now: datetime, prune: Prune) -> int:
        if keep is None:
            return 0
        before = now - keep
        total = 0
        while True:
            async with self._store.transaction() as tx:
                deleted = await prune(tx, before, self._batch)
            total += deleted
            if deleted < self._batch:
                return total


async def _outbox(tx: Transaction, before: datetime, limit: int) -> int:
    return await tx.prune_outbox(before=before, limit=limit)


async def _claims(tx: Transaction, before: datetime, limit: int) -> int:
    return await tx.prune_inbound_claims(before=before, limit=limit)


async def _sign_ins(tx: Transaction, before: datetime, limit: int) -> int:
    return await tx.prune_sign_ins(expired_before=before, limit=limit)


async def _sessions(tx: Transaction, before: datetime, limit: int) -> int:
    return await tx.prune_web_sessions(expired_before=before, limit=limit)
