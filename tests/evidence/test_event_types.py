"""The typed events (``bot.events``) are a lossless view of the JSON the chain hashes.

Three promises: every event recorded before the types existed reads as its type and
writes back to the very same canonical bytes (``paid-fraudster.json``); every kind in the
union round-trips and has its own sentence in the evidence file; and an event this
version cannot read is kept and shown as recorded, never dropped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from bot.chain import canonical_event_bytes, event_hash, parse_utc
from bot.events import (
    KINDS,
    NOT_RECORDED,
    ApAssessed,
    DeliveryAttempted,
    EventData,
    EvidenceExported,
    ExportVia,
    UnknownEvent,
    parse,
    to_data,
)
from bot.evidence.describe import Describer
from bot.evidence.jsonexport import render_json
from bot.evidence.texts import say
from bot.evidence.timeline import build_timeline
from bot.evidence.verify import verify_document
from tests.evidence.chain_fixture import FIXTURE
from tests.evidence.chains import JAN, T0, incident_items, link, playbook
from tests.evidence.test_timeline import AMSTERDAM

ROOT = Path(__file__).resolve().parent.parent.parent
LATER = (T0 + timedelta(minutes=30)).isoformat()

# One event of each kind, in the shape the writers on main (before the types) recorded
# it, key for key; where a kind has optional keys, also without them.
RECORDED: list[tuple[str, dict[str, Any]]] = [
    ("incident_opened", {
        "playbook": "paid-fraudster", "playbook_version": 1, "title": "Oplichter betaald",
        "organisation": "Acme", "language": "nl", "reported_text": "we zijn opgelicht",
    }),
    ("incident_opened", {  # recorded before the organisation's name was
        "playbook": "paid-fraudster", "playbook_version": 1, "title": "Oplichter betaald",
        "language": "en", "reported_text": "",
    }),
    ("evidence_added", {
        "evidence_text": "Betaal nu", "evidence_author": "Eve", "evidence_time": "09:01",
        "evidence_permalink": "https://acme.slack.com/p1", "evidence_text_chars": 12000,
    }),
    ("evidence_added", {"evidence_text": "Betaal nu"}),
    ("participant_joined", {"role": "reporter", "name": "Jan"}),
    ("participant_joined", {"role": "assignee", "name": "Piet", "person": "web:acme:piet"}),
    ("steps_planned", {"steps": [{"step": "call-bank", "due_at": LATER, "owner": JAN}]}),
    ("plan_switched", {
        "from": "paid-fraudster", "plan": "paid-fraudster", "playbook_version": 2,
        "title": "Ander plan", "because": "het bleek anders", "closed_steps": ["alert-it"],
        "steps": [{"step": "police-report", "due_at": LATER, "owner": "managers"}],
    }),
    ("plan_added", {
        "by_plan": "paid-fraudster", "plan": "paid-fraudster", "playbook_version": 1,
        "title": "Erbij", "because": "ook dit", "closed_steps": [], "steps": [],
    }),
    ("lead_changed", {"previous": JAN, "to": "web:acme:mira", "to_name": "Mira"}),
    ("incident_closed", {"forced": True, "reason": "klaar", "open_steps": ["alert-it"]}),
    ("incident_stopped", {"reason": "vals alarm"}),
    ("incident_reopened", {}),
    ("fact_answered", {"fact": "amount", "value": "12500.00 EUR", "display": "€ 12.500,00"}),
    ("fact_answered", {
        "fact": "amount", "value": "12500.00 EUR", "display": "€ 12.500,00",
        "carried_from": "amount",
    }),
    ("fact_unknown", {"fact": "paid_at"}),
    ("step_done", {
        "step": "call-bank", "records": {"bank_case_number": "R-1"}, "due_at": LATER,
        "on_time": False, "late_seconds": 90,
    }),
    ("step_skipped", {"step": "alert-it", "reason": "geen IT"}),
    ("step_blocked", {"step": "alert-it", "reason": "onbereikbaar"}),
    ("step_not_applicable", {"step": "alert-it"}),
    ("step_applicable", {"step": "alert-it"}),
    ("step_assigned", {
        "step": "alert-it", "previous": JAN, "to": "web:acme:piet", "to_name": "Piet",
    }),
    ("reminder_snoozed", {
        "step": "alert-it", "until": LATER, "reason": "in overleg", "recipients": [JAN],
        "reminders": 2,
    }),
    ("ap_assessed", {
        "ap_state": "notify_later", "late": False, "personal_data": "yes",
        "notify_ap": True, "ap_notification_number": None, "delay_reason": None,
    }),
    ("ap_assessed", {"ap_state": None, "late": True, "personal_data": None}),
    ("ap_assessed", {"late": False, "notify_ap": False}),  # before the states
    ("reminder_sent", {
        "step": "alert-it", "deadline": "remind_before", "planned_at": LATER, "late": False,
        "recipients": [JAN],
    }),
    ("escalation_sent", {
        "step": "alert-it", "deadline": "escalate", "planned_at": LATER, "late": True,
        "recipients": [JAN, "managers"],
    }),
    ("delivery_attempted", {  # a reminder: every optional key
        "purpose": "reminder", "recipient": "managers", "recipient_name": "Managers",
        "via": "direct", "attempt": 2, "attempts": 3, "outcome": "failed",
        "error": "Slack: channel_not_found", "step": "alert-it", "deadline": "due",
        "planned_at": LATER, "late": True, "instead_of": JAN, "instead_of_name": "Jan",
    }),
    ("delivery_attempted", {  # the digest: none of them
        "purpose": "digest", "recipient": JAN, "recipient_name": "Jan", "via": "direct",
        "attempt": 1, "attempts": 1, "outcome": "delivered", "error": None,
    }),
    ("delivery_attempted", {  # a hand-off, to be tried again
        "purpose": "handoff", "recipient": "it_provider", "recipient_name": "IT (it@x.nl)",
        "via": "mail", "attempt": 1, "attempts": 3, "outcome": "failed", "error": "SMTP 451",
        "step": "alert-it", "handoff": 7, "next_attempt_at": LATER,
    }),
    ("delivery_redirected", {
        "purpose": "escalation", "step": "alert-it", "deadline": "escalate",
        "recipient": JAN, "recipient_name": "Jan", "attempts": 3, "error": "gone",
        "to": "lead", "to_name": "Mira",
    }),
    ("delivery_abandoned", {
        "purpose": "reminder", "step": "alert-it", "deadline": "due", "recipient": "m1",
        "recipient_name": "Mira", "attempts": 3, "error": None,
    }),
    ("delivery_attempted", {  # a follow-up's reminder, after the close: no step
        "purpose": "follow_up", "recipient": JAN, "recipient_name": "Jan", "via": "direct",
        "attempt": 1, "attempts": 3, "outcome": "delivered", "error": None,
        "follow_up": "four-eyes-payments", "deadline": "follow_up_soon", "planned_at": LATER,
        "late": False,
    }),
    ("delivery_redirected", {
        "purpose": "follow_up", "follow_up": "four-eyes-payments", "deadline": "follow_up_due",
        "recipient": JAN, "recipient_name": "Jan", "attempts": 3, "error": "gone",
        "to": "lead", "to_name": "Mira",
    }),
    ("delivery_abandoned", {
        "purpose": "follow_up", "follow_up": "four-eyes-payments", "deadline": "follow_up_due",
        "recipient": "m1", "recipient_name": "Mira", "attempts": 3, "error": None,
    }),
    ("quiet_nudged", {"quiet_since": LATER}),
    ("follow_up_proposed", {
        "follow_up": "four-eyes-payments", "plan": "paid-fraudster", "owner": JAN,
        "owner_name": "Jan", "due_at": LATER,
    }),
    ("follow_up_assigned", {
        "follow_up": "four-eyes-payments", "previous": JAN, "to": "web:T1:m1", "to_name": "Mira",
    }),
    ("follow_up_done", {"follow_up": "four-eyes-payments"}),
    ("handoff_requested", {
        "step": "alert-it", "to": "it_provider", "to_name": "IT B.V.",
        "via": ["mail", "webhook"], "handoffs": [7, 8], "facts": ["amount"], "checklist": 6,
    }),
    ("handoff_failed", {
        "step": "alert-it", "handoff": 7, "via": "webhook", "to": "it_provider",
        "to_name": "IT B.V.", "attempts": 3, "error": "HTTP 500",
    }),
    ("handoff_acknowledged", {
        "step": "alert-it", "handoff": 7, "via": "mail_link", "to": "it_provider",
        "to_name": "IT B.V.", "by": "it@x.nl",
    }),
    ("text_prepared", {
        "text": "bank-call", "language": "en", "title": "Call", "body": "Hello [?]",
        "used": {"{incident.id}": "NR-1"}, "missing": ["{fact.amount}"],
        "missing_labels": ["Amount"],
    }),
    ("recall_status_changed", {
        "payment": 1, "step": "call-bank", "from": "recalled", "to": "partly_returned",
        "case_number": "R-1", "returned_amount": "4000.00 EUR", "amount": "12500.00 EUR",
        "paid": "2026-11-20T08:40:00.000000Z", "own_iban": "NL91ABNA0417164300",
        "receiving_iban": None, "receiving_bank": None, "payee": None,
    }),
    ("recall_status_changed", {
        "payment": 1, "step": "call-bank", "from": None, "to": "asked_to_stop",
        "case_number": None, "returned_amount": None, "amount": None, "paid": None,
        "own_iban": None, "receiving_iban": None, "receiving_bank": None, "payee": None,
    }),
    ("evidence_exported", {
        "format": "pdf", "via": "cli", "covers_seq": 12, "final_hash": "ab" * 32,
        "events": 12,
    }),
    ("evidence_exported", {"events": 34, "final_hash": "cd" * 32, "format": "pdf"}),  # old
]  # fmt: skip


@pytest.fixture(scope="module")
def recorded() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return events


def test_every_event_recorded_before_the_types_reads_as_its_type_and_back(
    recorded: list[dict[str, Any]],
) -> None:
    for event in recorded:
        typed = parse(event["kind"], event["data"])
        assert type(typed) is KINDS[event["kind"]], f"event {event['seq']}: {typed}"
        assert not isinstance(typed, UnknownEvent)
        fields = {
            "incident_id": event["incident_id"],
            "seq": event["seq"],
            "at": parse_utc(event["at"]),
            "actor": event["actor"],
            "actor_name": event["actor_name"],
            "kind": typed.kind,
            "data": to_data(typed),
            "prev_hash": event["prev_hash"],
        }
        assert canonical_event_bytes(**fields) == event["canonical"].encode("utf-8")
        assert event_hash(**fields) == event["hash"]


def test_every_kind_of_the_union_has_an_example() -> None:
    assert set(KINDS) == {kind for kind, _ in RECORDED}
    assert set(KINDS.values()) == set(get_args(EventData))
    assert len(KINDS) == len(get_args(EventData))  # no two types share a kind string


@pytest.mark.parametrize(("kind", "data"), RECORDED, ids=[kind for kind, _ in RECORDED])
def test_each_kind_reads_as_its_type_and_writes_back_the_same_data(
    kind: str, data: dict[str, Any]
) -> None:
    typed = parse(kind, data)
    assert type(typed) is KINDS[kind]
    assert not isinstance(typed, UnknownEvent)
    written = to_data(typed)
    assert written == data
    assert list(written) == [k for k in written if k in data]  # no key added
    assert parse(kind, written) == typed  # and the type survives the trip


def test_the_builders_write_what_the_old_writers_did() -> None:
    exported = EvidenceExported(
        format="json", via=ExportVia.CHAT, covers_seq=3, final_hash="h", events=3
    )
    assert to_data(exported) == {
        "format": "json", "via": "chat", "covers_seq": 3, "final_hash": "h", "events": 3,
    }  # fmt: skip
    assessed = ApAssessed(ap_state=None, late=False, records={"notify_ap": None})
    assert to_data(assessed) == {"ap_state": None, "late": False, "notify_ap": None}
    old = ApAssessed(late=False, records={})
    assert old.ap_state is NOT_RECORDED and to_data(old) == {"late": False}


def _describer(lang: str = "en") -> Describer:
    return Describer(playbook=playbook(), tz=AMSTERDAM, lang=lang, reported_at=T0)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(("kind", "data"), RECORDED, ids=[kind for kind, _ in RECORDED])
def test_each_kind_has_its_own_sentence_in_the_evidence(
    kind: str, data: dict[str, Any], lang: str
) -> None:
    [event] = link("NR-TYPES", [(timedelta(minutes=1), "Jan", kind, data)])
    text = _describer(lang)(event)
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True)
    generic = say("ev.other", lang, kind=kind, data=raw)  # type: ignore[arg-type]
    assert text and text != generic and kind not in text
    assert not re.search(r"\{[a-z_]+\}", text), text  # every placeholder filled


def test_a_kind_from_a_newer_version_is_kept_shown_and_verified() -> None:
    future = ("breach_reported_abroad", {"authority": "CNIL", "number": 42})
    unreadable = ("step_done", {"step": "call-bank", "records": "not a mapping"})
    items = incident_items(extra=[(timedelta(minutes=20), "Jan", *future),
                                  (timedelta(minutes=21), "Jan", *unreadable)])  # fmt: skip
    events = link("NR-TYPES", items)
    assert parse(*future) == UnknownEvent(*future)
    assert parse(*unreadable) == UnknownEvent(*unreadable)
    timeline = build_timeline(
        events,
        playbook=playbook(),
        organisation="Acme",
        tz=AMSTERDAM,
        generated_at=T0 + timedelta(hours=1),
        lang="en",
    )
    lines = {line.kind: line for line in timeline.events if line.seq >= len(items) - 1}
    assert set(lines) == {"breach_reported_abroad", "step_done"}
    assert "CNIL" in lines["breach_reported_abroad"].text
    assert lines["breach_reported_abroad"].data == future[1]  # the JSON export keeps it all
    assert "not a mapping" in lines["step_done"].text
    exported = json.loads(render_json(events, timeline=timeline))
    assert [e["kind"] for e in exported["events"]][-2:] == [future[0], unreadable[0]]
    verdict = verify_document(exported)
    assert verdict.intact and verdict.events == len(items)


DIGEST = {"purpose": "digest", "recipient": JAN, "recipient_name": "Jan", "via": "direct",
          "attempt": 1, "attempts": 1, "outcome": "delivered", "error": None}  # fmt: skip
STEPS = {"steps": [{"step": "call-bank", "due_at": LATER, "owner": JAN}]}


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("delivery_attempted", DIGEST | {"attempt": True}),  # a bool is no whole number
        ("delivery_attempted", DIGEST | {"attempt": "1"}),
        ("delivery_attempted", DIGEST | {"recipient": 7}),  # not text
        ("delivery_attempted", DIGEST | {"purpose": "gossip"}),  # not one of the enum
        ("delivery_attempted", DIGEST | {"error": 451}),  # optional text, neither null nor text
        ("delivery_attempted", DIGEST | {"planned_at": "morgen"}),  # not a time
        ("delivery_attempted", DIGEST | {"planned_at": "2026-11-20T09:30:00"}),  # no offset
        ("delivery_attempted", DIGEST | {"surprise": 1}),  # a key the kind does not have
        ("delivery_attempted", {k: v for k, v in DIGEST.items() if k != "via"}),  # one missing
        ("ap_assessed", {"late": "no"}),
        ("ap_assessed", {"late": False, "dpo_told": 3}),  # a record neither text, bool nor null
        ("steps_planned", {"steps": {"step": "call-bank"}}),  # not a list
        ("steps_planned", {"steps": [{"step": "call-bank", "due_at": LATER}]}),  # nested: missing
        ("steps_planned", {"steps": [STEPS["steps"][0] | {"extra": 1}]}),  # nested: unexpected
    ],
)
def test_data_that_does_not_fit_its_kind_is_kept_as_recorded(
    kind: str, data: dict[str, Any]
) -> None:
    assert parse(kind, data) == UnknownEvent(kind, data)


def test_the_unchanged_data_of_those_cases_reads_as_its_type() -> None:
    for kind, data in [("delivery_attempted", DIGEST), ("steps_planned", STEPS)]:
        typed = parse(kind, data)
        assert not isinstance(typed, UnknownEvent) and to_data(typed) == data


def test_a_time_in_another_form_is_not_rewritten() -> None:
    """Read back it would be written as ``isoformat`` does: so it stays raw instead."""
    data = {"quiet_since": "2026-11-20T09:30:00Z"}
    assert parse("quiet_nudged", data) == UnknownEvent("quiet_nudged", data)


def test_delivery_attempted_of_an_attempt_leaves_out_what_it_does_not_have() -> None:
    from bot.delivery import Attempt, Purpose, Recipient, Via
    from bot.ports import Delivery

    attempt = Attempt(Purpose.NUDGE, Recipient(JAN, "Jan"), Via.DIRECT, Delivery.delivered())
    assert to_data(DeliveryAttempted.of(attempt)) == {
        "purpose": "nudge", "recipient": JAN, "recipient_name": "Jan", "via": "direct",
        "attempt": 1, "attempts": 1, "outcome": "delivered", "error": None,
    }  # fmt: skip
    planned = datetime(2026, 11, 20, 9, 25, tzinfo=UTC)
    late = Attempt(
        Purpose.REMINDER, Recipient(JAN, "Jan"), Via.DIRECT, Delivery.delivered(),
        planned_at=planned, late=False,
    )  # fmt: skip
    data = to_data(DeliveryAttempted.of(late))
    assert data["planned_at"] == planned.isoformat() and data["late"] is False


def test_no_writer_bypasses_the_types() -> None:
    """``append_event`` of the store port takes a kind string: only ``bot.events`` may
    call it, so every event the bot writes is one of the union's types."""
    callers = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if ".append_event(" in path.read_text(encoding="utf-8")
    ]
    assert callers == ["bot/events.py"]
