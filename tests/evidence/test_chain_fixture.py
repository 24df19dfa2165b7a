"""The canonical form an event's hash covers must not drift.

``tests/fixtures/chains/paid-fraudster.json`` is a paid-fraudster incident recorded
through the real web chat before the event kinds became types (see ``chain_fixture``):
facts, steps done, blocked, skipped and assigned, reminders and escalations, the 72-hour
assessment, an export, a change of lead, closing and reopening. Every database and every
JSON export made so far was hashed that way; if today's ``bot.chain`` rebuilds other
bytes, none of them would verify any more.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.chain import GENESIS, canonical_event_bytes, event_hash, parse_utc
from tests.evidence.chain_fixture import FIXTURE


@pytest.fixture(scope="module")
def recorded() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return events


def _fields(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "incident_id": event["incident_id"],
        "seq": event["seq"],
        "at": parse_utc(event["at"]),
        "actor": event["actor"],
        "actor_name": event["actor_name"],
        "kind": event["kind"],
        "data": event["data"],
        "prev_hash": event["prev_hash"],
    }


def test_the_fixture_covers_the_kinds_the_flows_record(recorded: list[dict[str, Any]]) -> None:
    kinds = {event["kind"] for event in recorded}
    assert kinds >= {
        "incident_opened", "participant_joined", "steps_planned", "fact_answered",
        "step_done", "step_blocked", "step_skipped", "step_assigned", "reminder_sent",
        "escalation_sent", "ap_assessed", "evidence_exported", "lead_changed",
        "incident_closed", "incident_reopened",
    }  # fmt: skip


def test_canonical_bytes_are_unchanged(recorded: list[dict[str, Any]]) -> None:
    for event in recorded:
        rebuilt = canonical_event_bytes(**_fields(event))
        assert rebuilt == event["canonical"].encode("utf-8"), f"event {event['seq']}"


def test_every_hash_recomputes_and_links(recorded: list[dict[str, Any]]) -> None:
    previous = GENESIS
    for seq, event in enumerate(recorded, start=1):
        assert event["seq"] == seq and event["prev_hash"] == previous
        assert event_hash(**_fields(event)) == event["hash"], f"event {seq}"
        previous = event["hash"]
