"""What the engine needs from the outside world, as protocols and plain records.

The engine imports only this module to talk to storage, the clock and the channels, so
it runs against a real database in production and in tests alike without knowing which
one. ``storage`` implements ``Store``; ``app.py`` wires the channels into a ``Notifier``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from bot.messages import Outbound, Reply

T = TypeVar("T")
U = TypeVar("U")

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
    RECALL_CHECK = "recall_check"  # "ask your bank for the recall status", until settled
    # A follow-up's reminders: the deadline's ``step_id`` is then the follow-up's id. They
    # are the one kind sent for a closed incident, while the follow-up is open.
    FOLLOW_UP_SOON = "follow_up_soon"
    FOLLOW_UP_DUE = "follow_up_due"

    @property
    def is_follow_up(self) -> bool:
        return self in (DeadlineKind.FOLLOW_UP_SOON, DeadlineKind.FOLLOW_UP_DUE)


class RecallStatus(StrEnum):
    """Where the recall of a payment stands, as the bank told the person."""

    ASKED_TO_STOP = "asked_to_stop"  # the own bank was asked to stop or recall it
    STOPPED = "stopped"  # stopped before it left: the money did not go
    RECALLED = "recalled"  # the bank asked the receiving bank to send it back
    RETURNED = "returned"  # all of it came back
    PARTLY_RETURNED = "partly_returned"  # some came back; the rest is lost
    REFUSED = "refused"  # the receiving bank refused, or the money was gone
    UNKNOWN = "unknown"  # the bank cannot say yet

    @property
    def settled(self) -> bool:
        """Back or lost: nothing more to ask the bank, so the check-ins stop."""
        return self in _SETTLED

    def can_become(self, new: RecallStatus) -> bool:
        return new in _NEXT[self]


_SETTLED = frozenset(
    {
        RecallStatus.STOPPED,
        RecallStatus.RETURNED,
        RecallStatus.PARTLY_RETURNED,
        RecallStatus.REFUSED,
    }
)
_OPEN_NEXT = frozenset(RecallStatus) - {RecallStatus.ASKED_TO_STOP, RecallStatus.UNKNOWN}
_NEXT: dict[RecallStatus, frozenset[RecallStatus]] = {
    RecallStatus.ASKED_TO_STOP: _OPEN_NEXT | {RecallStatus.UNKNOWN},
    # Once the receiving bank is asked, the money did not stay at the own bank.
    RecallStatus.RECALLED: _OPEN_NEXT - {RecallStatus.STOPPED, RecallStatus.RECALLED}
    | {RecallStatus.UNKNOWN},
    RecallStatus.UNKNOWN: _OPEN_NEXT | {RecallStatus.ASKED_TO_STOP},
    # The rest of a partly returned payment may still come back.
    RecallStatus.PARTLY_RETURNED: frozenset({RecallStatus.RETURNED}),
    RecallStatus.STOPPED: frozenset(),
    RecallStatus.RETURNED: frozenset(),
    RecallStatus.REFUSED: frozenset(),
}


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
    org_id: str | None = None
    """The organisation it belongs to, whatever channel its people use: the one it was
    opened in. None only for an incident from before r0012 that no organisation serves
    (``organisation_store.adopt_incidents`` gives it one once an organisation does)."""
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


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass(slots=True)
class FollowUp:
    """A prevention measure proposed when the incident was closed, and where it stands.
    It outlives the close: its owner is reminded until it is done."""

    incident_id: str
    follow_up_id: str
    position: int
    plan: str  # the playbook that proposed it
    status: FollowUpStatus
    owner: str  # user key; the incident lead when it was proposed
    owner_name: str
    due_at: datetime
    proposed_at: datetime
    version: int = 0
    done_at: datetime | None = None
    done_by: str | None = None  # user key
    done_by_name: str | None = None


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
class Payment:
    """One payment to a fraudster and where its recall stands: the current state (the
    timeline's ``recall_status_changed`` events are its history)."""

    incident_id: str
    payment_id: int  # 1, 2, ... within the incident
    step_id: str  # the step that opened the recall (its check-ins carry this step)
    status: RecallStatus
    updated_at: datetime
    updated_by: str  # user key
    amount: str | None = None  # "12500.00 EUR", as the money fact stores it
    paid: datetime | None = None
    own_iban: str | None = None
    receiving_iban: str | None = None
    receiving_bank: str | None = None
    payee: str | None = None
    case_number: str | None = None
    returned_amount: str | None = None  # "4000.00 EUR" when partly returned


@dataclass(slots=True)
class Conversation:
    """Where one person stands in one chat: what the next typed message means."""

    key: str
    state: dict[str, Any]
    version: int = 0


class Transport(StrEnum):
    """How a hand-off reaches someone outside Noodrem."""

    MAIL = "mail"
    WEBHOOK = "webhook"


class HandoffStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) try
    CLAIMED = "claimed"  # being sent; a lease says until when
    DELIVERED = "delivered"
    FAILED = "failed"  # every try failed: the incident lead was told


@dataclass(slots=True)
class NewHandoff:
    step_id: str
    transport: Transport
    recipient: str  # the e-mail address or the webhook URL
    content: dict[str, Any]  # what is handed over, frozen when the person asked for it


@dataclass(slots=True)
class HandoffMessage:
    """One hand-off message in the durable outbox, kept until delivered or given up."""

    id: int
    incident_id: str
    step_id: str
    transport: Transport
    recipient: str
    content: dict[str, Any]
    status: HandoffStatus
    attempts: int  # tries made so far
    due_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    error: str | None = None
    acknowledged_at: datetime | None = None


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


class SignInMethod(StrEnum):
    """How a person proved who they are to the web chat."""

    MAIL = "mail"  # a one-time link mailed to the address
    MICROSOFT = "microsoft"  # OpenID Connect, Microsoft Entra ID
    GOOGLE = "google"  # OpenID Connect, Google


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A sign-in under way: a mailed link, or an OpenID Connect login awaiting its callback.
    Used once; the store keeps only a hash of the link token or the OIDC ``state``."""

    token_hash: str
    org_id: str
    method: SignInMethod
    created_at: datetime
    expires_at: datetime
    email: str | None = None  # the mail link's address
    nonce: str | None = None  # OIDC: must come back in the id token
    code_verifier: str | None = field(default=None, repr=False)  # OIDC PKCE
    locale: str | None = None  # the page's language, for the pages that follow


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: the cookie holds a random token, the store its hash."""

    token_hash: str
    org_id: str
    email: str
    name: str
    method: SignInMethod
    created_at: datetime
    expires_at: datetime
    oid: str | None = None  # Microsoft Entra object id


@dataclass(frozen=True, slots=True)
class StoredOrganisation:
    """One organisation as stored: its config entry (the YAML file's structure, validated
    before it was written) as a JSON document, and the version of the change that wrote it."""

    id: str
    document: dict[str, Any]
    version: int
    updated_at: datetime


class Transaction(Protocol):
    """One unit of work. Everything done through it commits together or not at all."""

    # Inbound de-duplication -------------------------------------------------------------
    async def claim_inbound(self, *, channel: str, event_id: str, at: datetime) -> bool:
        """Record that a platform event was processed; False if it already was."""

    async def claim_inbounds(self, keys: Sequence[tuple[str, str]], *, at: datetime) -> list[bool]:
        """``claim_inbound`` of several ``(channel, event_id)`` in one statement: for each,
        in order, whether this call claimed it."""

    # Conversations ----------------------------------------------------------------------
    async def get_conversation(self, key: str, *, lock: bool = False) -> Conversation | None:
        """With ``lock``: no other turn of this conversation writes until the transaction
        ends (a row lock; on SQLite the transaction's own serialisation, no write)."""

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
        self, *, org_id: str, user_key: str, limit: int | None = None, offset: int = 0
    ) -> list[Incident]:
        """Open incidents of an organisation that this person takes part in, newest first;
        one page of them with ``limit``/``offset``."""

    async def open_incidents(
        self, *, org_id: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Incident]:
        """Open incidents (of an organisation), newest first; one page with
        ``limit``/``offset``."""

    async def open_incidents_here(
        self, *, org_id: str, channel: str, conversation_id: str
    ) -> list[Incident]:
        """Open incidents of an organisation opened in this conversation, newest first."""

    async def count_open_incidents(self, *, org_id: str, user_key: str | None = None) -> int:
        """How many open incidents an organisation has (that this person takes part in)."""

    async def closed_incidents(self, *, org_id: str, user_key: str | None = None) -> list[Incident]:
        """Closed or stopped incidents of an organisation; only those ``user_key`` took part
        in when given (a manager passes None), most recently reported first."""

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

    # Follow-ups --------------------------------------------------------------------------
    async def add_follow_ups(self, follow_ups: Sequence[FollowUp]) -> None: ...
    async def get_follow_ups(self, incident_id: str) -> list[FollowUp]:
        """In the order they were proposed."""

    async def update_follow_up(self, follow_up: FollowUp, *, expected_version: int) -> bool:
        """Like ``update_step``: only if the stored version is still ``expected_version``."""

    async def open_follow_ups(self) -> list[FollowUp]:
        """Every follow-up not done yet, of any incident, soonest due first (the digest)."""

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

    def iter_events(
        self, incident_id: str, *, chunk: int = 1000, kinds: Sequence[str] | None = None
    ) -> AsyncIterator[list[Event]]:
        """The whole timeline in order (only the ``kinds`` given, if any), ``chunk`` events
        at a time: for reading a long timeline without holding it. Consistent within one
        transaction or ``snapshot()``."""

    # Deadlines -----------------------------------------------------------------------------
    async def add_deadlines(self, incident_id: str, deadlines: Sequence[NewDeadline]) -> None: ...
    async def cancel_deadlines(
        self,
        *,
        incident_id: str,
        step_id: str | None = None,
        recipient: str | None = None,
        kind: DeadlineKind | None = None,
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

    # Payments ------------------------------------------------------------------------------
    async def save_payment(self, payment: Payment) -> None:
        """Insert or replace the payment's current state (the caller holds the incident lock)."""

    async def get_payments(self, incident_id: str) -> list[Payment]:
        """The incident's payments, by payment id."""

    # Posted messages ---------------------------------------------------------------------
    async def save_message_ref(self, *, key: str, ref: dict[str, Any], at: datetime) -> None:
        """Remember where a card was posted (Slack channel+ts, Teams activity id), so an
        adapter can update it in place; ``key`` is the adapter's own (platform + card_key)."""

    async def get_message_ref(self, key: str) -> dict[str, Any] | None: ...

    # Files behind download links ---------------------------------------------------------
    async def put_file(self, file: StoredFile) -> None: ...
    async def get_file(self, file_id: str, *, now: datetime) -> StoredFile | None:
        """The file if it exists and has not expired."""

    async def incidents(self) -> list[Incident]:
        """Every incident, open or not (the breach register lists them all), oldest first."""

    async def unowned_incidents(self) -> list[Incident]:
        """The incidents no organisation is stored for, locked until the transaction ends."""

    async def adopt_incidents(
        self, org_id: str, incident_ids: Sequence[str], *, was: str | None = None
    ) -> int:
        """Store the organisation of these incidents where the one stored is still ``was``
        (None: none yet, an incident from before r0012); how many took it."""

    # Hand-offs (the durable outbox of mail and webhooks) ---------------------------------
    async def add_handoffs(
        self,
        incident_id: str,
        handoffs: Sequence[NewHandoff],
        *,
        at: datetime,
        lease_until: datetime,
    ) -> list[int]:
        """Store hand-off messages already claimed by the caller (it sends them at once);
        if it dies first, the lease runs out and ``claim_due_handoffs`` takes them."""

    async def claim_due_handoffs(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[HandoffMessage]:
        """Atomically take due rows (pending, or claimed with an expired lease)."""

    async def get_handoff(self, handoff_id: int) -> HandoffMessage | None: ...
    async def get_handoffs(self, incident_id: str) -> list[HandoffMessage]: ...
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
        """After a try: delivered, pending again (``due_at``: the next try) or failed."""

    async def acknowledge_handoff(self, handoff_id: int, *, at: datetime) -> bool:
        """Mark it acknowledged; False when it already was (a second ack changes nothing)."""

    async def next_handoff_at(self) -> datetime | None: ...

    # Web chat outbox -----------------------------------------------------------------------
    async def put_outbox(
        self, *, mailbox: str, payloads: Sequence[dict[str, Any]], at: datetime
    ) -> list[int]:
        """Store messages in order (one statement); returns their ids in that order, each
        above every id of this mailbox visible to any reader now or later, so "everything
        after id N" never skips one (even across replicas)."""
        ...

    async def read_outbox(
        self, *, mailbox: str, after_id: int, limit: int = 200
    ) -> list[OutboxMessage]: ...

    # Web sign-in ---------------------------------------------------------------------------
    async def add_pending_sign_in(self, pending: PendingSignIn) -> None:
        """Store a sign-in under way (the retention pass deletes it once long expired)."""

    async def take_pending_sign_in(self, token_hash: str, *, now: datetime) -> PendingSignIn | None:
        """Use a sign-in once: the row if it exists, is unused and unexpired, now marked
        used; None otherwise (also for the second of two replicas racing for it)."""

    async def count_mail_sign_ins(self, *, email: str, since: datetime) -> int:
        """How many links were mailed to this address since ``since`` (the rate limit)."""

    async def add_web_session(self, session: WebSession) -> None:
        """Store a new session (the retention pass deletes it once expired)."""

    async def get_web_session(self, token_hash: str, *, now: datetime) -> WebSession | None:
        """The session if it exists and has not expired."""

    async def end_web_session(self, token_hash: str) -> None: ...

    # Organisations ---------------------------------------------------------------------------
    async def organisations_version(self) -> int:
        """The version of the last change to the organisations (0: never any): it grows with
        every write and removal, so a process sees a change by reading this one number."""

    async def stored_organisations(self, *, lock: bool = False) -> list[StoredOrganisation]:
        """Every organisation not removed, in the order they were first written. ``lock``
        holds off other writers of organisations until this transaction ends, so what a
        change was checked against is what it is written over."""

    async def put_organisations(
        self, documents: Sequence[tuple[str, dict[str, Any]]], *, at: datetime
    ) -> int:
        """Create or replace each ``(id, document)``; returns the new version."""

    async def seed_organisations(
        self, documents: Sequence[tuple[str, dict[str, Any]]], *, at: datetime
    ) -> bool:
        """Write these only if no organisation was ever stored; whether they were."""

    async def remove_organisation(self, org_id: str, *, at: datetime) -> bool:
        """Remove one (its row stays, empty, so the version still grows); whether it was there."""

    # Retention -------------------------------------------------------------------------------
    async def prune_outbox(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` web chat messages older than ``before``; how many went."""

    async def prune_inbound_claims(self, *, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` de-duplication rows older than ``before``; how many went."""

    async def prune_sign_ins(self, *, expired_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` sign-ins (mail links, OIDC logins) that expired before
        ``expired_before``, used or not; how many went."""

    async def prune_web_sessions(self, *, expired_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` web sessions that expired before ``expired_before``."""


OutboxWritten = Callable[[str | None], None]
"""Some process committed a write to this mailbox; ``None``: perhaps to any mailbox."""


class OutboxListening(Protocol):
    @property
    def live(self) -> bool:
        """Whether a write by another process would be reported now."""
        ...

    async def close(self) -> None: ...


Work = Callable[[Transaction], Awaitable[T]]
"""What a unit of work reads, decides and writes (``Store.atomically``)."""
Finish = Callable[[Transaction, T], Awaitable[U]]
"""The last writes of a unit of work, given what its ``Work`` returned."""


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A unit of work that writes: on SQLite it holds the database's write lock from
        the start, so it must be short and never wait for another transaction."""
        ...

    async def atomically(self, work: Work[T], finish: Finish[T, U]) -> U:
        """Run ``work``, then ``finish`` with what it returned, as one unit: what both
        wrote commits together, or nothing does.

        ``work`` reads what it needs and writes what must hold with those reads; it takes
        no write lock until it writes, so a unit that changes nothing makes no one wait.
        ``finish`` writes only what does not depend on those reads still holding (a
        de-duplication row, the answer), last. Either may run again, ``work`` too, when
        another writer came first (SQLite): nothing of the first run was committed then,
        so both must act only through the transaction they are given (sending nothing,
        keeping no result) until ``atomically`` returns. Database errors are
        ``StoreError``; any other exception from them is re-raised after a rollback."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[Transaction]:
        """Read only, a consistent view, no write lock (reading a long timeline)."""
        ...

    async def listen_outbox(self, on_write: OutboxWritten) -> OutboxListening | None:
        """Report outbox writes by every process (this one too) until closed; ``None`` where
        the database cannot (SQLite): then only this process knows what it wrote."""
        ...


class ReplySink(Protocol):
    """Where a channel that keeps a person's replies in the store (the web chat's outbox)
    has the engine put a turn's replies: in the turn's own transaction, so the answer
    commits with what it answers, or neither does."""

    @property
    def claim(self) -> tuple[str, str] | None:
        """A ``(channel, event_id)`` this sink's write depends on (the web chat: "the
        person's line is in the history"), claimed with the turn's event, in one statement."""
        ...

    async def write(self, tx: Transaction, replies: Sequence[Reply], *, claimed: bool) -> None:
        """Write the turn's replies through ``tx``, just before it commits; ``claimed``:
        whether this turn claimed ``claim`` (False when there is none)."""

    def committed(self) -> None:
        """The transaction ``write`` wrote in has committed (not called if it rolled back)."""


@dataclass(frozen=True, slots=True)
class HandoffTry:
    """What one try of a hand-off message did, for the person who asked for it."""

    transport: Transport
    outcome: Delivery
    next_at: datetime | None  # when it is tried again; None: delivered, or given up
    attempt: int
    attempts: int  # the limit


class HandoffSender(Protocol):
    @property
    def sends_mail(self) -> bool:
        """Whether this installation can send mail (SMTP_HOST is set)."""
        ...

    async def send_now(self, handoff_ids: Sequence[int]) -> list[HandoffTry]:
        """Send hand-off messages the caller stored claimed, record each try."""


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC datetime with microseconds."""


class Notifier(Protocol):
    async def deliver(self, message: Outbound) -> Delivery:
        """Send a proactive message; what happened to it. Never raises for a platform's
        refusal or a network error: those are ``Delivery`` outcomes."""
