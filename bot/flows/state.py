"""What the next typed message in a conversation means: a small closed set of types.

A conversation waits for at most one thing (``Pending``): nothing (``Idle``), a yes to a
plan, the answer to a fact, a step's record, a reason, a person, a time. Each kind carries
what its answer needs, typed. ``state_to_json`` and ``state_from_json`` are the one pair
that turns it into the JSON of the conversation's row (the store keeps JSON and knows no
chat); rows written before these types existed read the same way. A row that cannot be
read is ``Idle``: the person is asked afresh rather than an answer being misread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeAlias, cast, get_args, get_type_hints

from bot.jsonfields import plain, typed
from bot.messages import Lang

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Idle:
    """No question is open: typed text is a command or a new situation."""

    mode: ClassVar[str] = "idle"


@dataclass(frozen=True, slots=True)
class ConfirmingStart:
    """A plan offered (``playbook_id``) or a menu of them (``choices``, ``playbook_id``
    None), waiting for yes, no or a pick. ``trigger`` and ``evidence`` are what started
    it, for the incident that opens; ``same_first`` is set once "is this about NR-…?" was
    asked, naming that open incident first."""

    mode: ClassVar[str] = "confirm_start"
    playbook_id: str | None = None
    choices: tuple[str, ...] = ()
    trigger: str | None = None
    evidence: Mapping[str, str | int] = field(default_factory=dict)
    same_first: str | None = None


@dataclass(frozen=True, slots=True)
class AwaitingFact:
    """A fact asked; ``refill`` while asking again the ones not known, ``passed`` the ones
    skipped again meanwhile."""

    mode: ClassVar[str] = "fact"
    incident_id: str
    fact_id: str
    refill: bool = False
    passed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AwaitingRecord:
    """One record of a step asked on the way to the step being done; ``records`` holds
    what was collected for it so far."""

    mode: ClassVar[str] = "record"
    incident_id: str
    step_id: str
    record_id: str
    records: Mapping[str, str] = field(default_factory=dict)
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class AwaitingReason:
    """Why a step is skipped (``skip``) or not possible now."""

    mode: ClassVar[str] = "reason"
    incident_id: str
    step_id: str
    skip: bool
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class ConfirmingStop:
    mode: ClassVar[str] = "confirm_stop"
    incident_id: str


@dataclass(frozen=True, slots=True)
class AwaitingStopReason:
    mode: ClassVar[str] = "stop_reason"
    incident_id: str


@dataclass(frozen=True, slots=True)
class ConfirmingClose:
    mode: ClassVar[str] = "confirm_close"
    incident_id: str


@dataclass(frozen=True, slots=True)
class AwaitingCloseReason:
    mode: ClassVar[str] = "close_reason"
    incident_id: str


@dataclass(frozen=True, slots=True)
class AwaitingAssignee:
    """Who takes a step (``step_id``), or the incident's lead (``step_id`` None)."""

    mode: ClassVar[str] = "assign"
    incident_id: str
    step_id: str | None = None


@dataclass(frozen=True, slots=True)
class AwaitingFollowUpAssignee:
    """Who takes over a follow-up proposed at the close (the incident may be closed)."""

    mode: ClassVar[str] = "assign_follow_up"
    incident_id: str
    follow_up_id: str


class SnoozeAsks(StrEnum):
    UNTIL = "until"  # the clock time to snooze until
    REASON = "reason"  # why


@dataclass(frozen=True, slots=True)
class AwaitingSnooze:
    """A snooze of one's reminders of a step, by ``minutes`` or ``until`` a clock time
    already given, waiting for what ``asks`` says."""

    mode: ClassVar[str] = "snooze"
    incident_id: str
    step_id: str
    asks: SnoozeAsks
    minutes: int | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AwaitingReturnedAmount:
    """How much of a payment came back (the recall partly returned)."""

    mode: ClassVar[str] = "returned_amount"
    incident_id: str
    step_id: str


Pending: TypeAlias = (
    Idle
    | ConfirmingStart
    | AwaitingFact
    | AwaitingRecord
    | AwaitingReason
    | ConfirmingStop
    | AwaitingStopReason
    | ConfirmingClose
    | AwaitingCloseReason
    | AwaitingAssignee
    | AwaitingFollowUpAssignee
    | AwaitingSnooze
    | AwaitingReturnedAmount
)
"""What the next typed message of a conversation means."""

TYPING: tuple[type[Pending], ...] = (
    AwaitingRecord,
    AwaitingReason,
    AwaitingStopReason,
    AwaitingSnooze,
    AwaitingCloseReason,
    AwaitingAssignee,
    AwaitingFollowUpAssignee,
    AwaitingReturnedAmount,
)
"""Questions whose answer is free text: a typed command word may be that answer."""


@dataclass(frozen=True, slots=True)
class ConversationState:
    """A conversation's pending question and, once known, the language it is held in."""

    pending: Pending = Idle()
    lang: Lang | None = None


_MODES: dict[str, tuple[Callable[..., Pending], dict[str, object]]] = {
    kind.mode: (kind, {f.name: get_type_hints(kind)[f.name] for f in fields(kind)})
    for kind in get_args(Pending)
}
_LANG_HINT = get_type_hints(ConversationState)["lang"]


def state_to_json(state: ConversationState) -> dict[str, Any]:
    """``{"mode": …, "lang": …, <the pending question's fields>}``: the shape rows had
    before the types, so either reads the other's plain fields."""
    pending = state.pending
    return {
        "mode": pending.mode,
        "lang": state.lang,
        **{f.name: plain(getattr(pending, f.name)) for f in fields(pending)},
    }


def state_from_json(data: Mapping[str, Any]) -> ConversationState:
    """Inverse of ``state_to_json``; also reads rows of the version before the types.
    Anything unreadable is ``Idle`` (the language kept if it can be read), logged by
    mode only: a row's values are what people typed."""
    try:
        lang = cast("Lang | None", typed(_LANG_HINT, data.get("lang")))
    except ValueError:
        lang = None
    mode = data.get("mode", Idle.mode)
    shape = _MODES.get(mode) if isinstance(mode, str) else None
    if shape is None:
        log.warning("a conversation's state has no known mode; it starts over as idle")
        return ConversationState(lang=lang)
    kind, hints = shape
    values = _earlier_names(mode, dict(data))
    try:
        pending = kind(
            **{name: typed(hint, values[name]) for name, hint in hints.items() if name in values}
        )
    except (ValueError, TypeError):  # a value of the wrong type, a field missing
        log.warning("a conversation's %s state could not be read; it starts over as idle", mode)
        return ConversationState(lang=lang)
    return ConversationState(pending, lang)


_SNOOZE_CHOICES: dict[object, int | None] = {"15m": 15, "1h": 60, "until": None}


def _earlier_names(mode: str, values: dict[str, Any]) -> dict[str, Any]:
    """A row of the version before the types under today's field names: a record's
    ``field``, a reason's ``action``, an assignee's ``target``, a snooze's ``choice`` and
    ``field``. Today's rows have none of these keys and pass unchanged."""
    if mode == AwaitingRecord.mode and "field" in values:
        values["record_id"] = values.pop("field")
    elif mode == AwaitingReason.mode and "action" in values:
        values["skip"] = values.pop("action") == "step.skip"
    elif mode == AwaitingAssignee.mode and "target" in values:
        target = values.pop("target")
        values["step_id"] = None if target == "lead" else target
    elif mode == AwaitingSnooze.mode and "choice" in values:
        values["minutes"] = _SNOOZE_CHOICES.get(values.pop("choice"), 15)
        values["asks"] = values.pop("field", None)
    return values
