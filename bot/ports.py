"""What the engine needs from the outside world, as protocols and plain records.

The engine imports only this module to talk to storage, the clock and the channels, so
it runs against a real database in production and in tests alike without knowing which
one. ``storage`` implements ``Store``; ``app.py`` wires the channels into a ``Notifier``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.messages import Outbound

MANAGERS = "role:managers"
"""A deadline recipient that means: every manager of the organisation."""
LEAD = "role:lead"
"""A deadline recipient that means: whoever leads the incident when it is sent."""


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class StepStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    BLOCKED = "blocked"  # "not possible right now": still open, deadline still runs
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"  # its condition on the facts is false

    @property
    def is_closed(self) -> bool:
        return self in (StepStatus.DONE, StepStatus.SKIPPED, StepStatus.NOT_APPLICABLE)


class FactStatus(StrEnum):
    ANSWERED = "answered"
    UNKNOWN = "unknown"  # "don't know yet": may be filled in later


class DeadlineKind(StrEnum):
    REMIND_BEFORE = "remind_before"
    DUE = "due"
    ESCALATE = "escalate"


class DeadlineStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"  # not delivered to everyone: retry rows (or an escalation) follow
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    NO_ADDRESS = "no_address"


MAX_ERROR = 80
"""Characters kept of a platform's error: a code, never a payload or a token."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one proactive message: delivered, refused by the platform (with
    its short error, e.g. ``Slack: channel_not_found``), or nowhere to send it."""

    status: DeliveryStatus
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is DeliveryStatus.DELIVERED

    @classmethod
    def delivered(cls) -> Delivery:
        return cls(DeliveryStatus.DELIVERED)

    @classmethod
    def failed(cls, platform: str, error: str) -> Delivery:
        return cls(DeliveryStatus.FAILED, f"{platform}: {_short(error)}")

    @classmethod
    def no_address(cls, platform: str, why: str) -> Delivery:
        return cls(DeliveryStatus.NO_ADDRESS, f"{platform}: {_short(why)}")


def _short(error: str) -> str:
    """Keep what names the failure (letters, digits, ``_ .,:-``), cut to ``MAX_ERROR``."""
    kept = "".join(c if c.isalnum() or c in "_ .,:-" else " " for c in error)
    text = " ".join(kept.split())
    return (text[: MAX_ERROR - 1] + "…") if len(text) > MAX_ERROR else text or "unknown"


class PlanRole(StrEnum):
    """How a plan takes part in an incident."""

    MAIN = "main"  # the plan the incident follows: its title in lists and on the file
    ADDED = "added"  # runs alongside the main plan (e.g. a hacked mailbox)
    SWITCHED_FROM = "switched_from"  # followed until the incident switched to another


@dataclass(frozen=True, slots=True)
class IncidentPlan:
    """One plan of an incident, and since when it has its role: a running plan's deadlines
    count from then; a plan switched away from, since the switch."""

    playbook_id: str
    role: PlanRole
    since: datetime

    @property
    def running(self) -> bool:
        return self.role is not PlanRole.SWITCHED_FROM


@dataclass(slots=True)
class Incident:
    id: str
    tenant_id: str
    playbook_id: str
    lang: str
    status: IncidentStatus
    reported_at: datetime
    reported_by: str  # user key
    reporter_name: str
    lead: str  # user key of the incident lead
    conversation: dict[str, Any]  # Address of the conversation it was opened in, as JSON
    closed_at: datetime | None = None
    close_reason: str | None = None
    plans: tuple[IncidentPlan, ...] = ()
    """Every plan of the incident in the order they came in; empty: only ``playbook_id``,
    since the report."""

    def plan_list(self) -> tuple[IncidentPlan, ...]:
        return self.plans or (IncidentPlan(self.playbook_id, PlanRole.MAIN, self.reported_at),)


@dataclass(slots=True)
class Step:
    incident_id: str
    step_id: str
    position: int
    status: StepStatus
    due_at: datetime
    owner: str  # user key
    plan: str  # the playbook the step comes from
    version: int = 0
    done_at: datetime | None = None
    done_by: str | None = None  # user key
    done_by_name: str | None = None
    reason: str | None = None
    records: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Fact:
    incident_id: str
    fact_id: str
    status: FactStatus
    value: str | None
    updated_at: datetime
    updated_by: str


@dataclass(slots=True)
class Participant:
    incident_id: str
    user_key: str
    name: str
    joined_at: datetime


@dataclass(slots=True)
class Event:
    """One line of the append-only, hash-chained timeline."""

    incident_id: str
    seq: int
    at: datetime  # UTC, microseconds
    actor: str  # user key, or "noodrem" for the system
    actor_name: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(slots=True)
class Deadline:
    id: int
    incident_id: str
    step_id: str
    kind: DeadlineKind
    due_at: datetime
    recipient: str  # a user key, MANAGERS or LEAD
    status: DeadlineStatus
    sent_at: datetime | None = None
    late: bool = False
    attempt: int = 1  # 2, 3, ...: a retry of a delivery that failed
    instead_of: str | None = None  # the user key that could not be reached, if redirected


@dataclass(slots=True)
class NewDeadline:
    step_id: str
    kind: DeadlineKind
    due_at: datetime
    recipient: str
    attempt: int = 1
    instead_of: str | None = None


@dataclass(slots=True)
class Conversation:
    """Where one person stands in one chat: what the next typed message means."""

    key: str
    state: dict[str, Any]
    version: int = 0


@dataclass(slots=True)
class OutboxMessage:
    id: int
    mailbox: str
    created_at: datetime
    payload: dict[str, Any]


@dataclass(slots=True)
class StoredFile:
    id: str
    filename: str
    content_type: str
    data: bytes
    owner: str  # user key of the person it was made for
    created_at: datetime
    expires_at: datetime


class Transaction(Protocol):
    """One unit of work. Everything done through it commits together or not at all."""

    # Inbound de-duplication -------------------------------------------------------------
    async def claim_inbound(self, *, channel: str, event_id: str, at: datetime) -> bool:
        """Record that a platform event was processed; False if it already was."""

    # Conversations ----------------------------------------------------------------------
    async def get_conversation(self, key: str, *, lock: bool = False) -> Conversation | None:
        """With ``lock``: created idle if absent, and locked until the transaction ends."""

    async def save_conversation(self, conversation: Conversation) -> None: ...

    # People and addresses ---------------------------------------------------------------
    async def save_address(self, *, user_key: str, address: dict[str, Any], at: datetime) -> None:
        """Remember where a person can be reached (last conversation they used)."""

    async def get_address(self, user_key: str) -> dict[str, Any] | None: ...

    # Incidents ----------------------------------------------------------------------------
    async def create_incident(self, incident: Incident) -> None: ...
    async def get_incident(self, incident_id: str, *, lock: bool = False) -> Incident | None:
        """``lock`` serialises writers to one incident (SELECT ... FOR UPDATE)."""

    async def update_incident(self, incident: Incident) -> None: ...
    async def open_incidents_for(
        self, *, tenant_id: str, user_key: str, limit: int | None = None, offset: int = 0
    ) -> list[Incident]:
        """Open incidents of a tenant that this person takes part in, newest first; one
        page of them with ``limit``/``offset``."""

    async def open_incidents(
        self, *, tenant_id: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Incident]:
        """Open incidents (of a tenant), newest first; one page with ``limit``/``offset``."""

    async def open_incidents_here(
        self, *, tenant_id: str, channel: str, conversation_id: str
    ) -> list[Incident]:
        """Open incidents of a tenant opened in this conversation, newest first."""

    async def count_open_incidents(self, *, tenant_id: str, user_key: str | None = None) -> int:
        """How many open incidents a tenant has (that this person takes part in)."""

    async def closed_incidents(
        self, *, tenant_id: str, user_key: str | None = None
    ) -> list[Incident]:
        """Closed or stopped incidents of a tenant; only those ``user_key`` took part in
        when given (a manager passes None), most recently reported first."""

    # Facts ---------------------------------------------------------------------------------
    async def set_fact(self, fact: Fact) -> None: ...
    async def get_facts(self, incident_id: str) -> dict[str, Fact]: ...

    # Steps ---------------------------------------------------------------------------------
    async def add_steps(self, steps: Sequence[Step]) -> None: ...
    async def get_steps(self, incident_id: str) -> list[Step]: ...
    async def get_step(self, incident_id: str, step_id: str) -> Step | None: ...
    async def update_step(self, step: Step, *, expected_version: int) -> bool:
        """Write ``step`` (with ``version = expected_version + 1``) only if the stored
        version is still ``expected_version``. False means someone else got there first."""

    # Participants --------------------------------------------------------------------------
    async def add_participant(self, participant: Participant) -> bool:
        """False if the person already takes part."""

    async def get_participants(self, incident_id: str) -> list[Participant]: ...

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
        """Append to the hash chain; the caller must hold the incident lock."""

    async def get_events(self, incident_id: str) -> list[Event]: ...
    async def latest_events(self, incident_id: str, *, limit: int) -> list[Event]:
        """The last ``limit`` events in order; the last one's ``seq`` is how many there are."""

    # Deadlines -----------------------------------------------------------------------------
    async def add_deadlines(self, incident_id: str, deadlines: Sequence[NewDeadline]) -> None: ...
    async def cancel_deadlines(
        self, *, incident_id: str, step_id: str | None = None, recipient: str | None = None
    ) -> int: ...
    async def snooze_deadlines(
        self, *, incident_id: str, step_id: str, recipients: Sequence[str], until: datetime
    ) -> int:
        """Postpone pending reminders of a step; the step's own deadline does not move."""

    async def claim_due_deadlines(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[Deadline]:
        """Atomically take due rows (pending, or claimed with an expired lease)."""

    async def mark_deadline_sent(
        self,
        deadline_id: int,
        *,
        at: datetime,
        late: bool,
        status: DeadlineStatus = DeadlineStatus.SENT,
    ) -> None:
        """Close a claimed row: ``SENT``, or ``FAILED`` when its retries are new rows."""

    async def next_deadline_at(self) -> datetime | None: ...
    async def get_deadlines(self, incident_id: str) -> list[Deadline]: ...

    # Posted messages ---------------------------------------------------------------------
    async def save_message_ref(self, *, key: str, ref: dict[str, Any], at: datetime) -> None:
        """Remember where a card was posted (Slack channel+ts, Teams activity id), so an
        adapter can update it in place; ``key`` is the adapter's own (platform + card_key)."""

    async def get_message_ref(self, key: str) -> dict[str, Any] | None: ...

    # Files behind download links ---------------------------------------------------------
    async def put_file(self, file: StoredFile) -> None: ...
    async def get_file(self, file_id: str, *, now: datetime) -> StoredFile | None:
        """The file if it exists and has not expired."""

    async def incidents(self, *, tenant_ids: Sequence[str] | None = None) -> list[Incident]:
        """Every incident, open or not (the breach register lists them all), oldest first."""

    # Web chat outbox -----------------------------------------------------------------------
    async def put_outbox(self, *, mailbox: str, payload: dict[str, Any], at: datetime) -> int: ...
    async def read_outbox(
        self, *, mailbox: str, after_id: int, limit: int = 200
    ) -> list[OutboxMessage]: ...

    # Retention -------------------------------------------------------------------------------
    async def prune_outbox(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` web chat messages older than ``before``; how many went."""

    async def prune_inbound_claims(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` de-duplication rows older than ``before``; how many went."""


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    def snapshot(self) -> AbstractAsyncContextManager[Transaction]:
        """Read only, a consistent view, no write lock (reading a long timeline)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC datetime with microseconds."""


class Notifier(Protocol):
    async def deliver(self, message: Outbound) -> Delivery:
        """Send a proactive message; what happened to it. Never raises for a platform's
        refusal or a network error: those are ``Delivery`` outcomes."""
