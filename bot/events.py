"""Every kind of timeline event, as a frozen type with its payload: one closed union.

The hash chain (``bot.chain``) covers each event's ``kind`` and ``data`` as JSON, so the
types here are a view of that JSON, never a second format: ``to_data`` is the only way
from a typed event to its ``data`` dict, ``parse`` the only way back, and for every
event this version can read ``to_data(parse(kind, data)) == data`` holds exactly (same
keys, same values, optional keys left out when absent as before). A kind this version
does not know (written by a newer one), or data that does not fit its kind, parses as
``UnknownEvent``: the file still shows it, generically, and ``verify`` still checks it.

Storage knows none of this: it keeps ``kind`` and ``data``. ``append_event`` is the one
place the bot writes an event (``Turn.record`` goes through it), so a misspelt kind is a
type error rather than a line that silently goes missing from the evidence file.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

from bot.chain import format_utc
from bot.delivery import Attempt, Purpose, Via
from bot.messages import Lang
from bot.playbook import ApState
from bot.ports import DeadlineKind, DeliveryStatus, Event, RecallStatus, Step, Transaction
from bot.readytext import PreparedText

# How a field is written: always (None as null), except that a field with a default (None,
# or NOT_RECORDED) is left out while it has it: an optional key, absent in older events.
_KEY = "key"  # the JSON key, when it is no Python name ("from")
_REST = "rest"  # a mapping whose items are the data's other keys (playbook record ids)
_UTC = "utc"  # a time written by ``chain.format_utc`` ("…000000Z"), not ``isoformat``


class Absent(Enum):
    """A key older events lack where newer ones write null: both read back as written."""

    NOT_RECORDED = "not recorded"


NOT_RECORDED = Absent.NOT_RECORDED


class Role(StrEnum):
    """How someone came to take part in an incident."""

    REPORTER = "reporter"
    COLLEAGUE = "colleague"
    MANAGER = "manager"
    ASSIGNEE = "assignee"  # a step was given to them


class ExportVia(StrEnum):
    CHAT = "chat"
    CLI = "cli"


class AckVia(StrEnum):
    """How the IT provider said they have it."""

    MAIL_LINK = "mail_link"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedStep:
    step: str
    due_at: datetime
    owner: str  # a user key, or ``MANAGERS``

    @classmethod
    def of(cls, step: Step) -> PlannedStep:
        return cls(step=step.step_id, due_at=step.due_at, owner=step.owner)


# The incident -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentOpened:
    kind: ClassVar[str] = "incident_opened"
    playbook: str
    playbook_version: int
    title: str  # in the incident's language
    language: Lang
    organisation: str | None = None  # recorded since the name was configured
    reported_text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceAdded:
    """What a channel handed over as first evidence (e.g. a message reported as fraud)."""

    kind: ClassVar[str] = "evidence_added"
    evidence_text: str | None = None
    evidence_author: str | None = None
    evidence_time: str | None = None
    evidence_permalink: str | None = None
    evidence_text_chars: int | None = None  # the original length of a cut text


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantJoined:
    kind: ClassVar[str] = "participant_joined"
    role: Role
    name: str | None = None  # absent in the oldest events: the one who joined is the actor
    person: str | None = None  # when someone else brought them in


@dataclass(frozen=True, slots=True, kw_only=True)
class StepsPlanned:
    kind: ClassVar[str] = "steps_planned"
    steps: tuple[PlannedStep, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSwitched:
    """The incident follows another plan now; ``closed_steps`` of the old one it left open
    are no longer needed."""

    kind: ClassVar[str] = "plan_switched"
    source: str = field(metadata={_KEY: "from"})  # the plan switched from
    plan: str
    playbook_version: int
    title: str
    because: str
    closed_steps: tuple[str, ...]
    steps: tuple[PlannedStep, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanAdded:
    """Another plan's steps came in alongside (``closed_steps`` is empty then)."""

    kind: ClassVar[str] = "plan_added"
    source: str = field(metadata={_KEY: "by_plan"})  # the plan that brought it in
    plan: str
    playbook_version: int
    title: str
    because: str
    closed_steps: tuple[str, ...]
    steps: tuple[PlannedStep, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadChanged:
    kind: ClassVar[str] = "lead_changed"
    previous: str
    to: str
    to_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentClosed:
    kind: ClassVar[str] = "incident_closed"
    forced: bool
    reason: str
    open_steps: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentStopped:
    kind: ClassVar[str] = "incident_stopped"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentReopened:
    kind: ClassVar[str] = "incident_reopened"


# Facts --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class FactAnswered:
    kind: ClassVar[str] = "fact_answered"
    fact: str
    value: str
    display: str
    carried_from: str | None = None  # the fact of the earlier plan it came from


@dataclass(frozen=True, slots=True, kw_only=True)
class FactUnknown:
    kind: ClassVar[str] = "fact_unknown"
    fact: str


# Steps --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class StepDone:
    kind: ClassVar[str] = "step_done"
    step: str
    records: Mapping[str, str]
    due_at: datetime
    on_time: bool
    late_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StepSkipped:
    kind: ClassVar[str] = "step_skipped"
    step: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StepBlocked:
    kind: ClassVar[str] = "step_blocked"
    step: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StepNotApplicable:
    kind: ClassVar[str] = "step_not_applicable"
    step: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StepApplicable:
    kind: ClassVar[str] = "step_applicable"
    step: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StepAssigned:
    kind: ClassVar[str] = "step_assigned"
    step: str
    previous: str
    to: str
    to_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderSnoozed:
    kind: ClassVar[str] = "reminder_snoozed"
    step: str
    until: datetime
    reason: str
    recipients: tuple[str, ...]
    reminders: int  # how many pending reminders moved


@dataclass(frozen=True, slots=True, kw_only=True)
class ApAssessed:
    """The breach-register entry of a breach-assessment step: the decision's state, and
    each of the step's records (ids from the playbook) as a top-level key: yes/no answers
    as booleans, absent ones as None."""

    kind: ClassVar[str] = "ap_assessed"
    late: bool
    records: Mapping[str, str | bool | None] = field(metadata={_REST: True})
    ap_state: ApState | Absent | None = NOT_RECORDED  # None: no decision's state yet


# Messages and their delivery ----------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderSent:
    """Written by versions before deliveries were recorded one per person; read only."""

    kind: ClassVar[str] = "reminder_sent"
    step: str
    deadline: DeadlineKind
    planned_at: datetime
    late: bool
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationSent:
    """Written by versions before deliveries were recorded one per person; read only."""

    kind: ClassVar[str] = "escalation_sent"
    step: str
    deadline: DeadlineKind
    planned_at: datetime
    late: bool
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryAttempted:
    """One try to reach one person, with the platform's answer."""

    kind: ClassVar[str] = "delivery_attempted"
    purpose: Purpose
    recipient: str  # a user key or a manager key
    recipient_name: str
    via: Via
    attempt: int
    attempts: int  # the limit: "attempt 2 of 3"
    outcome: DeliveryStatus
    error: str | None
    step: str | None = None
    follow_up: str | None = None  # instead of ``step``: a reminder about a follow-up
    deadline: DeadlineKind | None = None
    planned_at: datetime | None = None
    late: bool | None = None  # written with ``planned_at``
    instead_of: str | None = None
    instead_of_name: str | None = None
    handoff: int | None = None  # the hand-off message (outbox row) this try was of
    next_attempt_at: datetime | None = None  # a hand-off's next try

    @classmethod
    def of(cls, attempt: Attempt, *, next_attempt_at: datetime | None = None) -> DeliveryAttempted:
        planned = attempt.planned_at
        return cls(
            purpose=attempt.purpose,
            recipient=attempt.recipient.key,
            recipient_name=attempt.recipient.name,
            via=attempt.via,
            attempt=attempt.attempt,
            attempts=attempt.attempts,
            outcome=attempt.outcome.status,
            error=attempt.outcome.error,
            step=attempt.step,
            follow_up=attempt.follow_up,
            deadline=attempt.deadline,
            planned_at=planned,
            late=None if planned is None else attempt.late,
            instead_of=None if attempt.instead_of is None else attempt.instead_of.key,
            instead_of_name=None if attempt.instead_of is None else attempt.instead_of.name,
            handoff=attempt.handoff,
            next_attempt_at=next_attempt_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRedirected:
    """Out of retries: the message goes to the next person (``to``)."""

    kind: ClassVar[str] = "delivery_redirected"
    purpose: Purpose
    step: str | None = None  # absent for a follow-up's reminder, which names ``follow_up``
    follow_up: str | None = None
    deadline: DeadlineKind
    recipient: str
    recipient_name: str
    attempts: int
    error: str | None
    to: str  # ``LEAD`` or ``MANAGERS``
    to_name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryAbandoned:
    """Out of retries, with nobody left to send it to."""

    kind: ClassVar[str] = "delivery_abandoned"
    purpose: Purpose
    step: str | None = None  # absent for a follow-up's reminder, which names ``follow_up``
    follow_up: str | None = None
    deadline: DeadlineKind
    recipient: str
    recipient_name: str
    attempts: int
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuietNudged:
    kind: ClassVar[str] = "quiet_nudged"
    quiet_since: datetime


# After the close: prevention follow-ups ----------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpProposed:
    """A plan's follow-up proposed at the close, with its first owner and due date."""

    kind: ClassVar[str] = "follow_up_proposed"
    follow_up: str
    plan: str
    owner: str  # a user key
    owner_name: str
    due_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpAssigned:
    kind: ClassVar[str] = "follow_up_assigned"
    follow_up: str
    previous: str
    to: str
    to_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpDone:
    kind: ClassVar[str] = "follow_up_done"
    follow_up: str


# Hand-offs to the IT provider ---------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffRequested:
    kind: ClassVar[str] = "handoff_requested"
    step: str
    to: str  # the contact kind
    to_name: str
    via: tuple[Via, ...]
    handoffs: tuple[int, ...]  # one outbox row per way
    facts: tuple[str, ...]  # the facts it carried
    checklist: int  # how many steps it listed


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffFailed:
    kind: ClassVar[str] = "handoff_failed"
    step: str
    handoff: int
    via: Via
    to: str | None
    to_name: str
    attempts: int
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffAcknowledged:
    kind: ClassVar[str] = "handoff_acknowledged"
    step: str
    handoff: int
    via: AckVia
    to: str | None
    to_name: str | None
    by: str


# Texts, recalls, exports --------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class TextPrepared:
    """A ready text exactly as shown, with the values it used and what was missing."""

    kind: ClassVar[str] = "text_prepared"
    text: str  # the playbook's text id
    language: Lang
    title: str
    body: str
    used: Mapping[str, str]  # placeholder as written -> the value put in its place
    missing: tuple[str, ...]
    missing_labels: tuple[str, ...]

    @classmethod
    def of(cls, prepared: PreparedText) -> TextPrepared:
        return cls(
            text=prepared.text_id,
            language=prepared.lang,
            title=prepared.title,
            body=prepared.body,
            used=dict(prepared.used),
            missing=tuple(m.placeholder for m in prepared.missing),
            missing_labels=tuple(m.label for m in prepared.missing),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RecallStatusChanged:
    """A payment's recall status changed; the payment as it was described at that moment."""

    kind: ClassVar[str] = "recall_status_changed"
    payment: int
    step: str
    from_: RecallStatus | None = field(metadata={_KEY: "from"})
    to: RecallStatus
    case_number: str | None
    returned_amount: str | None
    amount: str | None
    paid: datetime | None = field(metadata={_UTC: True})
    own_iban: str | None
    receiving_iban: str | None
    receiving_bank: str | None
    payee: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceExported:
    """An export, naming the last event it covers. ``events`` and ``final_hash`` keep the
    names exports recorded before ``covers_seq`` (and ``via``) existed used."""

    kind: ClassVar[str] = "evidence_exported"
    format: str  # "pdf", "json", "csv"
    final_hash: str
    events: int
    via: ExportVia | None = None
    covers_seq: int | None = None


EventData = (
    IncidentOpened
    | EvidenceAdded
    | ParticipantJoined
    | StepsPlanned
    | PlanSwitched
    | PlanAdded
    | LeadChanged
    | IncidentClosed
    | IncidentStopped
    | IncidentReopened
    | FactAnswered
    | FactUnknown
    | StepDone
    | StepSkipped
    | StepBlocked
    | StepNotApplicable
    | StepApplicable
    | StepAssigned
    | ReminderSnoozed
    | ApAssessed
    | ReminderSent
    | EscalationSent
    | DeliveryAttempted
    | DeliveryRedirected
    | DeliveryAbandoned
    | QuietNudged
    | FollowUpProposed
    | FollowUpAssigned
    | FollowUpDone
    | HandoffRequested
    | HandoffFailed
    | HandoffAcknowledged
    | TextPrepared
    | RecallStatusChanged
    | EvidenceExported
)
"""Every event kind this version knows: what ``append_event`` accepts and ``parse`` returns."""


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """An event this version cannot read as one of its kinds: shown as recorded."""

    kind: str
    data: Mapping[str, Any]


KINDS: Mapping[str, type[EventData]] = {cls.kind: cls for cls in get_args(EventData)}


# The one serializer and the one parser ------------------------------------------------
def to_data(event: EventData) -> dict[str, Any]:
    """The ``data`` dict of an event, as the chain hashes and storage keeps it."""
    data: dict[str, Any] = {}
    for f in _fields(type(event)):
        value = getattr(event, f.name)
        if f.rest:
            data.update({k: _dump(v) for k, v in value.items()})
        elif f.default is dataclasses.MISSING or value is not f.default:
            data[f.key] = _dump(value, utc=f.utc)
    return data


def parse(kind: str, data: Mapping[str, Any]) -> EventData | UnknownEvent:
    """The typed event; ``UnknownEvent`` when the kind is not known here or the data does
    not read back to exactly what was recorded (nothing is ever silently dropped)."""
    cls = KINDS.get(kind)
    if cls is None:
        return UnknownEvent(kind, data)
    try:
        event: EventData = _class_reader(cls)(data)
    except (TypeError, ValueError):
        return UnknownEvent(kind, data)
    if to_data(event) != data:  # e.g. a time written in another form: keep it raw
        return UnknownEvent(kind, data)
    return event


def of(event: Event) -> EventData | UnknownEvent:
    """A stored event's payload as its type."""
    return parse(event.kind, event.data)


async def append_event(
    tx: Transaction,
    incident_id: str,
    event: EventData,
    *,
    at: datetime,
    actor: str,
    actor_name: str,
) -> Event:
    """Append a typed event to the incident's chain; the caller holds the incident lock."""
    return await tx.append_event(
        incident_id=incident_id,
        at=at,
        actor=actor,
        actor_name=actor_name,
        kind=event.kind,
        data=to_data(event),
    )


def _dump(value: Any, *, utc: bool = False) -> Any:
    if type(value) in _AS_IS:  # most values: asked first, it halves an export's checks
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return format_utc(value) if utc else value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.key: _dump(getattr(value, f.name)) for f in _fields(type(value))}
    return value


_AS_IS = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True, slots=True)
class _Field:
    """How one field is read and written, worked out once per class."""

    name: str
    key: str
    hint: Any
    default: Any  # ``dataclasses.MISSING`` when the key must be there
    rest: bool
    utc: bool


_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _fields(cls: type) -> tuple[_Field, ...]:
    found = _FIELDS.get(cls)
    if found is None:
        hints = get_type_hints(cls)
        found = _FIELDS[cls] = tuple(
            _Field(
                name=f.name,
                key=f.metadata.get(_KEY, f.name),
                hint=hints[f.name],
                default=f.default,
                rest=bool(f.metadata.get(_REST)),
                utc=bool(f.metadata.get(_UTC)),
            )
            for f in dataclasses.fields(cls)
        )
    return found


Reader = Callable[[Any], Any]
"""Reads one JSON value as a field's type; raises ``TypeError``/``ValueError`` when it does
not fit."""


@functools.cache
def _reader(hint: Any) -> Reader:
    """How a value of type ``hint`` is read, worked out once per type: a timeline export
    reads every event, and looking the type up for each value cost most of that."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return _union_reader(hint)
    if origin is Literal:
        return _literal_reader(get_args(hint))
    if origin is tuple:
        return _tuple_reader(_reader(get_args(hint)[0]))
    if origin in (Mapping, dict, typing.Mapping):
        return _mapping_reader(_reader(get_args(hint)[1]))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if hint is datetime:
        return _read_time
    if hint in _SCALARS:
        return _SCALARS[hint]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _class_reader(hint)
    return functools.partial(_unreadable, hint)  # a payload type this module forgot


_CLASS_READERS: dict[type, Reader] = {}


def _class_reader(cls: type[Any]) -> Reader:
    found = _CLASS_READERS.get(cls)
    if found is None:
        found = _CLASS_READERS[cls] = _new_class_reader(cls)
    return found


def _new_class_reader(cls: type[Any]) -> Reader:
    fields = _fields(cls)
    named = tuple(
        (f.name, f.key, _reader(f.hint), f.default is dataclasses.MISSING)
        for f in fields
        if not f.rest
    )
    rest = next(((f.name, _reader(f.hint)) for f in fields if f.rest), None)
    claimed = frozenset(key for _, key, _, _ in named)

    def read(data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}: not an object")
        values: dict[str, Any] = {}
        for name, key, read_value, required in named:
            if key in data:
                values[name] = read_value(data[key])
            elif required:
                raise ValueError(f"{cls.__name__}: no {key!r}")
        if rest is not None:
            values[rest[0]] = rest[1]({k: v for k, v in data.items() if k not in claimed})
        elif len(values) != len(data):
            raise ValueError(f"{cls.__name__}: unexpected {sorted(set(data) - claimed)}")
        return cls(**values)

    return read


def _union_reader(hint: Any) -> Reader:
    nullable = type(None) in get_args(hint)
    choices = tuple(_reader(arg) for arg in get_args(hint) if arg not in (type(None), Absent))

    def read(raw: Any) -> Any:
        if raw is None and nullable:
            return None
        for choice in choices:
            try:
                return choice(raw)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"{raw!r} fits none of {hint}")

    return read


def _literal_reader(allowed: tuple[Any, ...]) -> Reader:
    def read(raw: Any) -> Any:
        if raw not in allowed:
            raise ValueError(f"{raw!r} is not one of {allowed}")
        return raw

    return read


def _tuple_reader(item: Reader) -> Reader:
    def read(raw: Any) -> Any:
        if not isinstance(raw, list):
            raise TypeError(f"{raw!r} is not a list")
        return tuple(map(item, raw))

    return read


def _mapping_reader(value: Reader) -> Reader:
    def read(raw: Any) -> Any:
        if not isinstance(raw, Mapping):
            raise TypeError(f"{raw!r} is not an object")
        return {str(k): value(v) for k, v in raw.items()}

    return read


def _read_time(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise TypeError(f"{raw!r} is not a time")
    at = datetime.fromisoformat(raw)
    if at.utcoffset() is None:
        raise ValueError(f"time {raw!r} has no UTC offset")
    return at


def _read_bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise TypeError(f"{raw!r} is not true/false")
    return raw


def _read_int(raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise TypeError(f"{raw!r} is not a whole number")
    return raw


def _read_str(raw: Any) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"{raw!r} is not text")
    return raw


_SCALARS: dict[Any, Reader] = {bool: _read_bool, int: _read_int, str: _read_str}


def _unreadable(hint: Any, raw: Any) -> Any:
    raise TypeError(f"no reader for {hint}")
