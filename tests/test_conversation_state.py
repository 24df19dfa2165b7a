"""What the next typed message means survives the conversation's row, old rows included."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from bot.flows.state import (
    AwaitingAssignee,
    AwaitingCloseReason,
    AwaitingFact,
    AwaitingFollowUpAssignee,
    AwaitingReason,
    AwaitingRecord,
    AwaitingReturnedAmount,
    AwaitingSnooze,
    AwaitingStopReason,
    ConfirmingClose,
    ConfirmingStart,
    ConfirmingStop,
    ConversationState,
    Idle,
    Pending,
    SnoozeAsks,
    state_from_json,
    state_to_json,
)

INCIDENT = "NR-ABC234"
AT = datetime(2026, 11, 20, 14, 30, 0, 123456, tzinfo=UTC)

EVERY_KIND: list[Pending] = [
    Idle(),
    ConfirmingStart(
        "paid-fraudster",
        trigger="we hebben betaald",
        evidence={"evidence_text": "Betaal nu", "evidence_text_chars": 20_000},
        same_first=INCIDENT,
    ),
    ConfirmingStart(None, choices=("paid-fraudster", "hacked-mailbox")),
    AwaitingFact(INCIDENT, "amount", refill=True, passed=("paid_at", "iban")),
    AwaitingRecord(INCIDENT, "call-bank", "bank_case_number", {"called_at": "09:12"}, 3),
    AwaitingReason(INCIDENT, "call-bank", skip=True, stamp=2),
    ConfirmingStop(INCIDENT),
    AwaitingStopReason(INCIDENT),
    ConfirmingClose(INCIDENT),
    AwaitingCloseReason(INCIDENT),
    AwaitingAssignee(INCIDENT, "police-report"),
    AwaitingAssignee(INCIDENT),  # the lead
    AwaitingFollowUpAssignee(INCIDENT, "four-eyes-payments"),  # on a closed incident too
    AwaitingSnooze(INCIDENT, "call-bank", SnoozeAsks.REASON, None, AT),
    AwaitingSnooze(INCIDENT, "call-bank", SnoozeAsks.REASON, 60),
    AwaitingReturnedAmount(INCIDENT, "call-bank"),
]


def test_every_kind_is_covered_here() -> None:
    assert {type(p) for p in EVERY_KIND} == set(get_args(Pending))


@pytest.mark.parametrize("pending", EVERY_KIND, ids=lambda p: type(p).__name__)
def test_every_kind_survives_the_row(pending: Pending) -> None:
    state = ConversationState(pending, "en")
    stored = json.loads(json.dumps(state_to_json(state)))  # what a JSON column gives back
    assert state_from_json(stored) == state


# What the version before the types wrote (Turn.set_mode: mode, lang, then its keywords).
EARLIER_ROWS: list[tuple[dict[str, Any], ConversationState]] = [
    ({"mode": "idle"}, ConversationState()),
    ({"mode": "idle", "lang": "en"}, ConversationState(Idle(), "en")),
    ({}, ConversationState()),
    (
        {
            "mode": "confirm_start",
            "lang": "nl",
            "playbook_id": "paid-fraudster",
            "trigger": "oplichter betaald",
            "evidence": {},
            "same_asked": True,
            "same_first": INCIDENT,
        },
        ConversationState(
            ConfirmingStart("paid-fraudster", trigger="oplichter betaald", same_first=INCIDENT),
            "nl",
        ),
    ),
    (
        {
            "mode": "confirm_start",
            "lang": "nl",
            "playbook_id": None,
            "choices": ["a", "b"],
            "trigger": None,
            "evidence": {"evidence_text": "x", "evidence_text_chars": 5000},
        },
        ConversationState(
            ConfirmingStart(
                None, ("a", "b"), evidence={"evidence_text": "x", "evidence_text_chars": 5000}
            ),
            "nl",
        ),
    ),
    (
        {
            "mode": "fact",
            "lang": "nl",
            "incident_id": INCIDENT,
            "fact_id": "amount",
            "refill": False,
            "passed": [],
        },
        ConversationState(AwaitingFact(INCIDENT, "amount"), "nl"),
    ),
    (
        {
            "mode": "record",
            "lang": "nl",
            "incident_id": INCIDENT,
            "step_id": "call-bank",
            "field": "bank_case_number",
            "records": {"a": "b"},
            "stamp": 1,
        },
        ConversationState(
            AwaitingRecord(INCIDENT, "call-bank", "bank_case_number", {"a": "b"}, 1), "nl"
        ),
    ),
    (
        {
            "mode": "reason",
            "lang": "en",
            "incident_id": INCIDENT,
            "step_id": "call-bank",
            "action": "step.blocked",
            "stamp": 4,
        },
        ConversationState(AwaitingReason(INCIDENT, "call-bank", skip=False, stamp=4), "en"),
    ),
    (
        {"mode": "assign", "lang": "nl", "incident_id": INCIDENT, "target": "lead"},
        ConversationState(AwaitingAssignee(INCIDENT, None), "nl"),
    ),
    (
        {"mode": "assign", "lang": "nl", "incident_id": INCIDENT, "target": "police-report"},
        ConversationState(AwaitingAssignee(INCIDENT, "police-report"), "nl"),
    ),
    (
        {
            "mode": "snooze",
            "lang": "nl",
            "incident_id": INCIDENT,
            "step_id": "call-bank",
            "choice": "until",
            "field": "reason",
            "until": AT.isoformat(),
        },
        ConversationState(AwaitingSnooze(INCIDENT, "call-bank", SnoozeAsks.REASON, None, AT), "nl"),
    ),
    (
        {
            "mode": "snooze",
            "lang": "nl",
            "incident_id": INCIDENT,
            "step_id": "call-bank",
            "choice": "1h",
            "field": "reason",
            "until": None,
        },
        ConversationState(AwaitingSnooze(INCIDENT, "call-bank", SnoozeAsks.REASON, 60), "nl"),
    ),
    (
        {"mode": "returned_amount", "lang": "nl", "incident_id": INCIDENT, "step_id": "s"},
        ConversationState(AwaitingReturnedAmount(INCIDENT, "s"), "nl"),
    ),
    (
        {"mode": "close_reason", "lang": "en", "incident_id": INCIDENT},
        ConversationState(AwaitingCloseReason(INCIDENT), "en"),
    ),
]


@pytest.mark.parametrize(("row", "expected"), EARLIER_ROWS)
def test_rows_of_the_version_before_the_types_still_read(
    row: dict[str, Any], expected: ConversationState
) -> None:
    assert state_from_json(row) == expected


SECRET = "IBAN NL91ABNA0417164300 van Jan"


@pytest.mark.parametrize(
    ("row", "lang"),
    [
        ({"mode": "teleport", "lang": "nl", "note": SECRET}, "nl"),
        ({"mode": 7}, None),
        ({"mode": "fact", "lang": "en", "incident_id": 5, "fact_id": SECRET}, "en"),
        ({"mode": "fact", "lang": "nl", "incident_id": INCIDENT}, "nl"),  # no fact
        ({"mode": "record", "incident_id": INCIDENT, "step_id": "s", "field": ["x"]}, None),
        ({"mode": "snooze", "incident_id": INCIDENT, "step_id": "s", "asks": SECRET}, None),
        (
            {
                "mode": "snooze",
                "incident_id": INCIDENT,
                "step_id": "s",
                "asks": "reason",
                "until": SECRET,
            },
            None,
        ),
        ({"mode": "confirm_start", "evidence": {"evidence_text": [SECRET]}}, None),
        ({"mode": "reason", "incident_id": INCIDENT, "step_id": "s", "skip": "yes"}, None),
        ({"mode": "idle", "lang": "fr"}, None),  # a language this version does not speak
        ({"mode": "assign", "lang": True, "incident_id": INCIDENT, "step_id": 3}, None),
    ],
)
def test_a_state_that_cannot_be_read_is_idle_and_logged_without_its_content(
    row: dict[str, Any], lang: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.flows.state"):
        state = state_from_json(row)
    assert state == ConversationState(Idle(), lang)  # type: ignore[arg-type]
    if row.get("lang") in ("nl", "en", None) and row.get("mode") != "idle":
        assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert SECRET not in caplog.text and "NR-ABC234" not in caplog.text
