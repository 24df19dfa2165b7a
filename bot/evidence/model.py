"""The evidence file's view model: plain, typed, frozen records every renderer draws.

``timeline.build_timeline`` fills them from an incident's events; the PDF, the CSV, the
JSON metadata and the breach register only read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.messages import Lang

if TYPE_CHECKING:  # ap.py builds Rows, so it imports this module, not the other way round
    from bot.evidence.ap import ApAssessment


class StepState(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OVERDUE = "overdue"  # open, and its deadline has passed
    BLOCKED = "blocked"  # "not possible now": still open, deadline still runs
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"

    @property
    def is_open(self) -> bool:
        return self in (StepState.OPEN, StepState.OVERDUE, StepState.BLOCKED)


class FollowUpState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"  # open, and its due date has passed
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Row:
    """A labelled value; ``key`` is the fact or record id it came from, if any."""

    label: str
    value: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class StepLine:
    number: int
    step_id: str
    title: str
    due_at: datetime
    state: StepState
    deadline: str  # as shown: "10:15 (+15 min)"
    done: str  # "10:07 door Jan", or "" while open
    result: str  # "op tijd", "12 min te laat", "overgeslagen", ...
    done_at: datetime | None = None  # when done or skipped
    late_by: timedelta | None = None  # late, or open past the deadline
    records: tuple[Row, ...] = ()
    reason: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventLine:
    seq: int
    at: datetime
    local: str
    utc: str
    actor: str
    actor_name: str
    kind: str
    text: str
    data: dict[str, Any]
    hash: str


@dataclass(frozen=True, slots=True)
class TextLine:
    """A text prepared to send (``text_prepared``), exactly as it was shown."""

    seq: int
    title: str
    heading: str  # "#12 · 10:07 · Anna · Engels"
    body: str
    missing: tuple[str, ...]  # the labels of what was not known yet


@dataclass(frozen=True, slots=True)
class RecallChange:
    """One ``recall_status_changed`` event: the history of a payment's recall."""

    seq: int
    at: datetime
    by: str
    old: str | None  # RecallStatus values as recorded
    new: str
    case_number: str | None
    returned_amount: str | None
    text: str  # as shown: "vr 20 nov 10:20, Jan: gevraagd te stoppen → teruggevraagd"


@dataclass(frozen=True, slots=True)
class PaymentView:
    """A payment and its recall: what page one shows, and the JSON's ``payments``."""

    payment: int
    step_id: str
    status: str | None  # the latest RecallStatus value; None while none was recorded
    rows: tuple[Row, ...]  # amount, time, accounts, case number, status, history
    data: dict[str, Any]  # the payment as last recorded (amount, IBANs, case number, ...)
    history: tuple[RecallChange, ...] = ()


@dataclass(frozen=True, slots=True)
class FollowUpLine:
    """A follow-up proposed at the close, as its ``follow_up_*`` events leave it."""

    follow_up_id: str
    plan: str  # the playbook that proposed it
    title: str
    owner: str  # the owner's name
    due_at: datetime
    due: str  # as shown
    state: FollowUpState
    done: str  # "10:07 door Jan", or "" while open
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    organisation: str
    title: str
    reported_at: datetime
    reported_by: str
    closed_at: datetime | None  # stopped or closed; None while open
    incident: tuple[Row, ...]
    facts_heading: str  # the playbook's heading above the facts, or a general one
    facts: tuple[Row, ...]  # the facts that describe the incident: the first page
    register_what: tuple[Row, ...]  # the facts the breach register says happened
    register_when: tuple[Row, ...]  # the facts the breach register says when
    records: tuple[Row, ...]
    ap: ApAssessment | None
    ap_rows: tuple[Row, ...]
    payments: tuple[PaymentView, ...] = ()


@dataclass(frozen=True, slots=True)
class Timeline:
    incident_id: str
    lang: Lang
    tz: ZoneInfo
    generated_at: datetime
    generated: str  # generated_at as shown on every page
    until: datetime  # "now" for open steps: when the incident was closed, else generated_at
    summary: Summary
    steps: tuple[StepLine, ...]
    events: tuple[EventLine, ...]  # every line, or () when the renderer gets them streamed
    final_hash: str
    event_count: int  # the events the file covers (``events`` is empty when streamed)
    final_seq: int = 0  # the last event the file covers
    generated_by: str = ""  # who asked for the file (a chat user, or the command's operator)
    texts: tuple[TextLine, ...] = ()  # the texts prepared to send, in order
    follow_ups: tuple[FollowUpLine, ...] = ()  # proposed at the close, in that order
