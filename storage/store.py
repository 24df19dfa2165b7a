"""``SqlStore``: ``bot.ports.Store`` on SQLAlchemy.

Every method of ``SqlTransaction`` runs on the one connection its unit of work owns and
hands the real work to the data-access module of its concept (``incidents``, ``steps``,
``events``, ...), so this file is only the mapping from the port to those modules.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.ports import (
    Conversation,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    Event,
    Fact,
    Finish,
    FollowUp,
    HandoffMessage,
    HandoffStatus,
    Incident,
    NewDeadline,
    NewHandoff,
    OutboxListening,
    OutboxMessage,
    OutboxWritten,
    Participant,
    Payment,
    PendingSignIn,
    Step,
    Store,
    StoredFile,
    StoredOrganisation,
    Transaction,
    WebSession,
    Work,
)
from storage import (
    conversations,
    events,
    files,
    incidents,
    organisations,
    outbox,
    payments,
    web_identity,
)

# Aliased: the port's own parameters are called ``steps`` and ``deadlines``.
from storage import deadlines as deadline_rows
from storage import follow_ups as follow_up_rows
from storage import handoffs as handoff_rows
from storage import steps as step_rows
from storage.errors import StoreError
from storage.listen import OutboxListener
from storage.sql import Begin, is_busy

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")


class SqlStore:
    """Create with ``await storage.create_store(url)``; ``close()`` when done."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        """One unit of work: commits when the block ends, rolls back if it raises.

        Database failures surface as ``StoreError``; other exceptions pass unchanged.
        On SQLite the transaction holds the database's write lock from the start, so keep
        the block short and do not wait on another transaction inside it; ``atomically``
        for work that may only read.
        """
        async with self._database.unit_of_work() as conn:
            yield SqlTransaction(conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqlTransaction]:
        """A read-only unit of work on a consistent snapshot that takes no write lock: for
        reading much (a whole timeline) while others write. Writing in it fails."""
        async with self._database.unit_of_work(Begin.SNAPSHOT) as conn:
            yield SqlTransaction(conn)

    async def atomically(self, work: Work[T], finish: Finish[T, U]) -> U:
        """``bot.ports.Store.atomically``: ``work`` then ``finish``, committed together.

        PostgreSQL: one READ COMMITTED transaction; its row locks serialise writers of the
        same rows, as in every transaction. SQLite, whose write lock covers the database:
        a deferred transaction, so a unit that reads only never waits for a writer nor
        holds one up. Its first write takes the lock, or fails at once (``is_busy``) when
        another writer holds it or committed since this transaction's first read (what it
        read may no longer hold); then nothing of it was committed and the whole unit runs
        again under ``BEGIN IMMEDIATE``, which cannot fail so. When ``work`` changed no row,
        its reads decided nothing that was written, so ``finish`` alone runs again, in a
        short write transaction of its own: at once, without trying the doomed first
        write, when a writer of this process took the lock since the unit began (under
        load, nearly every unit).
        """
        database = self._database
        if not database.single_writer:
            async with self.transaction() as tx:
                return await finish(tx, await work(tx))
        read: list[T] = []  # what ``work`` returned, when it changed nothing
        try:
            async with database.unit_of_work(Begin.DEFERRED) as conn:
                tx = SqlTransaction(conn)
                writes = database.writes
                before = await database.changes(conn)
                try:
                    got = await work(tx)
                    if before is not None and await database.changes(conn) == before:
                        read.append(got)
                        if database.writes != writes:
                            raise _UpgradeRefused  # SQLite would refuse it: see ``writes``
                    done = await finish(tx, got)
                except DBAPIError as exc:  # this connection's own (others' are StoreError)
                    if not is_busy(exc):
                        raise
                    raise _UpgradeRefused from exc  # rolled back by the unit of work
                if before is None or await database.changes(conn) != before:
                    database.wrote()
                return done
        except _UpgradeRefused:
            pass
        async with self.transaction() as tx:
            if read:
                log.debug("another writer came first: the unit's last writes run on their own")
                return await finish(tx, read[0])
            log.debug("another writer came first: the unit runs again under the write lock")
            return await finish(tx, await work(tx))

    async def listen_outbox(self, on_write: OutboxWritten) -> OutboxListening | None:
        """Report outbox writes committed by any process, this one included (PostgreSQL
        LISTEN/NOTIFY, on a connection of its own, until ``close()``); ``None`` on SQLite,
        which has no such signal."""
        if self.engine.dialect.name != "postgresql":
            return None
        listener = OutboxListener(self.engine, on_write)
        await listener.start()
        return listener

    async def create_schema(self) -> None:
        """Create the schema or upgrade it to the newest migration (idempotent; safe with
        replicas starting at once; a store made before migrations is stamped, not re-made)."""
        await self._database.create_schema()

    async def schema_revision(self) -> str | None:
        """The migration the database is at (``None``: no schema yet)."""
        return await self._database.schema_revision()

    async def readiness(self) -> str | None:
        """Why this store cannot serve yet (unreachable, schema not at the newest revision),
        or ``None`` when it can: the readiness probe's answer."""
        return await self._database.readiness()

    async def run_schema(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on a synchronous connection in one transaction (schema tools)."""
        return await self._database.run_schema(work)

    @property
    def engine(self) -> AsyncEngine:
        """The engine itself, for a library that runs its own SQL on its own tables in
        our schema (``storage.models``: the Slack installations); nothing else."""
        return self._database.engine

    async def close(self) -> None:
        await self._database.close()


class _UpgradeRefused(StoreError):
    """SQLite refused a deferred transaction's first write; never leaves ``atomically``."""


class SqlTransaction:
    """``bot.ports.Transaction`` on one connection inside one database transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._outbox_locked: set[str] = set()  # mailboxes this transaction holds already
        # Rows this transaction read, so one turn reads an incident or its facts once (a
        # command, then the question it interrupted): id -> (as read, read with its row
        # lock). Forgotten when this transaction writes them; handed out as copies, so a
        # caller changing what it got changes nothing here. A locked read is never served
        # from an unlocked one: the lock, and the newest row, come from the database.
        self._incidents: dict[str, tuple[Incident, bool]] = {}
        self._facts: dict[str, dict[str, Fact]] = {}

    # Inbound de-duplication -------------------------------------------------------------
    async def claim_inbound(self, *, channel: str, event_id: str, at: datetime) -> bool:
        (claimed,) = await conversations.claim_inbound(
            self._conn, keys=[(channel, event_id)], at=at
        )
        return claimed

    async def claim_inbounds(self, keys: Sequence[tuple[str, str]], *, at: datetime) -> list[bool]:
        return await conversations.claim_inbound(self._conn, keys=keys, at=at)

    # Conversations ----------------------------------------------------------------------
    async def get_conversation(self, key: str, *, lock: bool = False) -> Conversation | None:
        return await conversations.get_conversation(self._conn, key=key, lock=lock)

    async def save_conversation(self, conversation: Conversation) -> None:
        await conversations.save_conversation(self._conn, conversation=conversation)

    # People and addresses ---------------------------------------------------------------
    async def save_address(self, *, user_key: str, address: dict[str, Any], at: datetime) -> None:
        await conversations.save_address(self._conn, user_key=user_key, address=address, at=at)

    async def get_address(self, user_key: str) -> dict[str, Any] | None:
        return await conversations.get_address(self._conn, user_key=user_key)

    # Incidents ----------------------------------------------------------------------------
    async def create_incident(self, incident: Incident) -> None:
        self._incidents.pop(incident.id, None)
        await incidents.create(self._conn, incident=incident)

    async def get_incident(self, incident_id: str, *, lock: bool = False) -> Incident | None:
        read = self._incidents.get(incident_id)
        if read is not None and (read[1] or not lock):
            return replace(read[0])
        incident = await incidents.get(self._conn, incident_id=incident_id, lock=lock)
        if incident is not None:
            self._incidents[incident_id] = (replace(incident), lock)
        return incident

    async def update_incident(self, incident: Incident) -> None:
        # Forgotten, not kept as written: the update leaves the stored organisation be.
        self._incidents.pop(incident.id, None)
        await incidents.update_incident(self._conn, incident=incident)

    def _read(self, found: list[Incident]) -> list[Incident]:
        """Remember incidents a list read found (not over a locked read of one)."""
        for incident in found:
            if not self._incidents.get(incident.id, (incident, False))[1]:
                self._incidents[incident.id] = (replace(incident), False)
        return found

    async def open_incidents_for(
        self, *, org_id: str, user_key: str, limit: int | None = None, offset: int = 0
    ) -> list[Incident]:
        return self._read(
            await incidents.open_for(
                self._conn, org_id=org_id, user_key=user_key, limit=limit, offset=offset
            )
        )

    async def open_incidents(
        self, *, org_id: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Incident]:
        return await incidents.open_all(self._conn, org_id=org_id, limit=limit, offset=offset)

    async def open_incidents_here(
        self, *, org_id: str, channel: str, conversation_id: str
    ) -> list[Incident]:
        return self._read(
            await incidents.open_here(
                self._conn, org_id=org_id, channel=channel, conversation_id=conversation_id
            )
        )

    async def count_open_incidents(self, *, org_id: str, user_key: str | None = None) -> int:
        return await incidents.count_open(self._conn, org_id=org_id, user_key=user_key)

    async def closed_incidents(self, *, org_id: str, user_key: str | None = None) -> list[Incident]:
        return await incidents.closed(self._conn, org_id=org_id, user_key=user_key)

    # Facts ---------------------------------------------------------------------------------
    async def set_fact(self, fact: Fact) -> None:
        self._facts.pop(fact.incident_id, None)
        await incidents.set_fact(self._conn, fact=fact)

    async def get_facts(self, incident_id: str) -> dict[str, Fact]:
        read = self._facts.get(incident_id)
        if read is None:
            read = await incidents.get_facts(self._conn, incident_id=incident_id)
            self._facts[incident_id] = {key: replace(fact) for key, fact in read.items()}
            return read
        return {key: replace(fact) for key, fact in read.items()}

    # Steps ---------------------------------------------------------------------------------
    async def add_steps(self, steps: Sequence[Step]) -> None:
        await step_rows.add(self._conn, steps=steps)

    async def get_steps(self, incident_id: str) -> list[Step]:
        return await step_rows.get_all(self._conn, incident_id=incident_id)

    async def get_step(self, incident_id: str, step_id: str) -> Step | None:
        return await step_rows.get_one(self._conn, incident_id=incident_id, step_id=step_id)

    async def update_step(self, step: Step, *, expected_version: int) -> bool:
        return await step_rows.update_if_version(
            self._conn, step=step, expected_version=expected_version
        )

    # Follow-ups ----------------------------------------------------------------------------
    async def add_follow_ups(self, follow_ups: Sequence[FollowUp]) -> None:
        await follow_up_rows.add(self._conn, follow_ups=follow_ups)

    async def get_follow_ups(self, incident_id: str) -> list[FollowUp]:
        return await follow_up_rows.get_all(self._conn, incident_id=incident_id)

    async def update_follow_up(self, follow_up: FollowUp, *, expected_version: int) -> bool:
        return await follow_up_rows.update_if_version(
            self._conn, follow_up=follow_up, expected_version=expected_version
        )

    async def open_follow_ups(self) -> list[FollowUp]:
        return await follow_up_rows.get_open(self._conn)

    # Participants --------------------------------------------------------------------------
    async def add_participant(self, participant: Participant) -> bool:
        return await incidents.add_participant(self._conn, participant=participant)

    async def get_participants(self, incident_id: str) -> list[Participant]:
        return await incidents.get_participants(self._conn, incident_id=incident_id)

    # Timeline ------------------------------------------------------------------------------
    async def append_event(
        self,
        *,
        incident_id: str,
        at: datetime,
        actor: str,
        actor_name: str,
        kind: str,
        data: dict[str, Any],
    ) -> Event:
        return await events.append(
            self._conn,
            incident_id=incident_id,
            at=at,
            actor=actor,
            actor_name=actor_name,
            kind=kind,
            data=data,
        )

    async def get_events(self, incident_id: str) -> list[Event]:
        return await events.get_all(self._conn, incident_id=incident_id)

    async def latest_events(self, incident_id: str, *, limit: int) -> list[Event]:
        return await events.get_latest(self._conn, incident_id=incident_id, limit=limit)

    def iter_events(
        self, incident_id: str, *, chunk: int = 1000, kinds: Sequence[str] | None = None
    ) -> AsyncIterator[list[Event]]:
        return events.iter_chunks(self._conn, incident_id=incident_id, chunk=chunk, kinds=kinds)

    # Deadlines -----------------------------------------------------------------------------
    async def add_deadlines(self, incident_id: str, deadlines: Sequence[NewDeadline]) -> None:
        await deadline_rows.add(self._conn, incident_id=incident_id, deadlines=deadlines)

    async def get_deadlines(self, incident_id: str) -> list[Deadline]:
        """Not in ``bot.ports.Transaction`` (yet): every deadline of an incident, by due time."""
        return await deadline_rows.get_all(self._conn, incident_id=incident_id)

    async def cancel_deadlines(
        self,
        *,
        incident_id: str,
        step_id: str | None = None,
        recipient: str | None = None,
        kind: DeadlineKind | None = None,
    ) -> int:
        return await deadline_rows.cancel(
            self._conn, incident_id=incident_id, step_id=step_id, recipient=recipient, kind=kind
        )

    async def snooze_deadlines(
        self, *, incident_id: str, step_id: str, recipients: Sequence[str], until: datetime
    ) -> int:
        return await deadline_rows.snooze(
            self._conn,
            incident_id=incident_id,
            step_id=step_id,
            recipients=recipients,
            until=until,
        )

    async def claim_due_deadlines(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[Deadline]:
        return await deadline_rows.claim_due(
            self._conn, now=now, lease_until=lease_until, limit=limit
        )

    async def mark_deadline_sent(
        self,
        deadline_id: int,
        *,
        at: datetime,
        late: bool,
        status: DeadlineStatus = DeadlineStatus.SENT,
    ) -> None:
        await deadline_rows.mark_sent(
            self._conn, deadline_id=deadline_id, at=at, late=late, status=status
        )

    async def next_deadline_at(self) -> datetime | None:
        return await deadline_rows.next_due_at(self._conn)

    # Posted messages ---------------------------------------------------------------------
    # Payments ------------------------------------------------------------------------------
    async def save_payment(self, payment: Payment) -> None:
        await payments.save(self._conn, payment=payment)

    async def get_payments(self, incident_id: str) -> list[Payment]:
        return await payments.get_all(self._conn, incident_id=incident_id)

    async def put_file(self, file: StoredFile) -> None:
        await files.put(self._conn, file=file)

    async def get_file(self, file_id: str, *, now: datetime) -> StoredFile | None:
        return await files.get(self._conn, file_id=file_id, now=now)

    async def incidents(self) -> list[Incident]:
        return await incidents.every(self._conn)

    async def unowned_incidents(self) -> list[Incident]:
        return await incidents.unowned(self._conn)

    async def adopt_incidents(
        self, org_id: str, incident_ids: Sequence[str], *, was: str | None = None
    ) -> int:
        self._incidents.clear()
        return await incidents.adopt(self._conn, org_id=org_id, incident_ids=incident_ids, was=was)

    async def save_message_ref(self, *, key: str, ref: dict[str, Any], at: datetime) -> None:
        await conversations.save_message_ref(self._conn, key=key, ref=ref, at=at)

    async def get_message_ref(self, key: str) -> dict[str, Any] | None:
        return await conversations.get_message_ref(self._conn, key=key)

    # Hand-offs ------------------------------------------------------------------------------
    async def add_handoffs(
        self,
        incident_id: str,
        handoffs: Sequence[NewHandoff],
        *,
        at: datetime,
        lease_until: datetime,
    ) -> list[int]:
        return await handoff_rows.add(
            self._conn, incident_id=incident_id, handoffs=handoffs, at=at, lease_until=lease_until
        )

    async def claim_due_handoffs(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[HandoffMessage]:
        return await handoff_rows.claim_due(
            self._conn, now=now, lease_until=lease_until, limit=limit
        )

    async def get_handoff(self, handoff_id: int) -> HandoffMessage | None:
        return await handoff_rows.get_one(self._conn, handoff_id=handoff_id)

    async def get_handoffs(self, incident_id: str) -> list[HandoffMessage]:
        return await handoff_rows.get_all(self._conn, incident_id=incident_id)

    async def record_handoff_try(
        self,
        handoff_id: int,
        *,
        status: HandoffStatus,
        attempts: int,
        at: datetime,
        due_at: datetime,
        error: str | None,
    ) -> None:
        await handoff_rows.record_try(
            self._conn,
            handoff_id=handoff_id,
            status=status,
            attempts=attempts,
            at=at,
            due_at=due_at,
            error=error,
        )

    async def acknowledge_handoff(self, handoff_id: int, *, at: datetime) -> bool:
        return await handoff_rows.acknowledge(self._conn, handoff_id=handoff_id, at=at)

    async def next_handoff_at(self) -> datetime | None:
        return await handoff_rows.next_due_at(self._conn)

    # Web chat outbox -----------------------------------------------------------------------
    async def put_outbox(
        self, *, mailbox: str, payloads: Sequence[dict[str, Any]], at: datetime
    ) -> list[int]:
        first = mailbox not in self._outbox_locked
        ids = await outbox.put(self._conn, mailbox=mailbox, payloads=payloads, at=at, lock=first)
        if ids:
            self._outbox_locked.add(mailbox)
        return ids

    async def read_outbox(
        self, *, mailbox: str, after_id: int, limit: int = 200
    ) -> list[OutboxMessage]:
        return await outbox.read(self._conn, mailbox=mailbox, after_id=after_id, limit=limit)

    # Retention -------------------------------------------------------------------------------
    async def add_pending_sign_in(self, pending: PendingSignIn) -> None:
        await web_identity.add_pending(self._conn, pending=pending)

    async def take_pending_sign_in(self, token_hash: str, *, now: datetime) -> PendingSignIn | None:
        return await web_identity.take_pending(self._conn, token_hash=token_hash, now=now)

    async def count_mail_sign_ins(self, *, email: str, since: datetime) -> int:
        return await web_identity.count_mail(self._conn, email=email, since=since)

    async def add_web_session(self, session: WebSession) -> None:
        await web_identity.add_session(self._conn, session=session)

    async def get_web_session(self, token_hash: str, *, now: datetime) -> WebSession | None:
        return await web_identity.get_session(self._conn, token_hash=token_hash, now=now)

    async def end_web_session(self, token_hash: str) -> None:
        await web_identity.end_session(self._conn, token_hash=token_hash)

    async def organisations_version(self) -> int:
        return await organisations.version(self._conn)

    async def stored_organisations(self, *, lock: bool = False) -> list[StoredOrganisation]:
        return await organisations.stored(self._conn, lock=lock)

    async def put_organisations(
        self, documents: Sequence[tuple[str, dict[str, Any]]], *, at: datetime
    ) -> int:
        return await organisations.put(self._conn, documents=documents, at=at)

    async def seed_organisations(
        self, documents: Sequence[tuple[str, dict[str, Any]]], *, at: datetime
    ) -> bool:
        return await organisations.seed(self._conn, documents=documents, at=at)

    async def remove_organisation(self, org_id: str, *, at: datetime) -> bool:
        return await organisations.remove(self._conn, org_id=org_id, at=at)

    async def prune_outbox(self, *, before: datetime, limit: int) -> int:
        return await outbox.prune(self._conn, before=before, limit=limit)

    async def prune_inbound_claims(self, *, before: datetime, limit: int) -> int:
        return await conversations.prune_inbound_claims(self._conn, before=before, limit=limit)

    async def prune_sign_ins(self, *, expired_before: datetime, limit: int) -> int:
        return await web_identity.prune_pending(
            self._conn, expired_before=expired_before, limit=limit
        )

    async def prune_web_sessions(self, *, expired_before: datetime, limit: int) -> int:
        return await web_identity.prune_sessions(
            self._conn, expired_before=expired_before, limit=limit
        )


if TYPE_CHECKING:  # mypy proves here that these implement the ports
    _store: type[Store] = SqlStore
    _transaction: type[Transaction] = SqlTransaction
