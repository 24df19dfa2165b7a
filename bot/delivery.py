"""What the timeline says about a proactive message: one event per attempt per recipient.

A reminder, an escalation, the morning digest or a step card sent to someone else is
recorded after it was tried, with the platform's answer (``bot.ports.Delivery``): the
evidence says "delivered" only when the platform took the message. When the retries of a
reminder run out it goes to the next person (``DeliveryRedirected``), or, with nobody
left, that is recorded too (``DeliveryAbandoned``); the event types are in ``bot.events``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.ports import DeadlineKind, Delivery


class Purpose(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"
    CARD = "card"  # a step card (and its note) for the person it was assigned to
    HANDOFF = "handoff"  # the incident handed to the IT provider (mail or webhook)
    HANDOFF_NOTICE = "handoff_notice"  # the lead told: acknowledged, or could not be sent
    RECALL_CHECK = "recall_check"  # "ask your bank for the recall status"
    NUDGE = "nudge"  # an incident quiet for days: its lead is asked to close it or say why not
    FOLLOW_UP = "follow_up"  # a prevention follow-up proposed at the close, not done yet

    @classmethod
    def of(cls, kind: DeadlineKind) -> Purpose:
        if kind is DeadlineKind.ESCALATE:
            return cls.ESCALATION
        if kind.is_follow_up:
            return cls.FOLLOW_UP
        return cls.RECALL_CHECK if kind is DeadlineKind.RECALL_CHECK else cls.REMINDER


class Via(StrEnum):
    """Where the message for a person went."""

    DIRECT = "direct"  # their own chat (a DM, a personal chat, their web chat)
    INCIDENT_CHAT = "incident_chat"  # the incident's chat: Noodrem knows no chat of theirs
    MAIL = "mail"  # a hand-off by e-mail
    WEBHOOK = "webhook"  # a hand-off POSTed to the IT provider's webhook


@dataclass(frozen=True, slots=True)
class Recipient:
    key: str  # a user key or a manager key
    name: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try to reach one person; ``bot.events.DeliveryAttempted.of`` records it."""

    purpose: Purpose
    recipient: Recipient
    via: Via
    outcome: Delivery
    attempt: int = 1
    attempts: int = 1  # the limit: "attempt 2 of 3"
    step: str | None = None
    follow_up: str | None = None  # the follow-up a reminder was about
    deadline: DeadlineKind | None = None
    planned_at: datetime | None = None
    late: bool = False
    instead_of: Recipient | None = None
    handoff: int | None = None  # the hand-off message (outbox row) this try was of


def retry_delay(after_attempt: int, backoff: tuple[timedelta, ...]) -> timedelta:
    """The wait after attempt ``after_attempt`` (1-based); the last step repeats."""
    return backoff[min(after_attempt, len(backoff)) - 1]
