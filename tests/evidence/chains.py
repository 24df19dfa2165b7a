"""Hash-chained events built in memory, linked exactly as ``storage.events`` links them.

For tests that need a timeline but not the chat: tampering with an export, the view
model's corner cases, the breach register. The events are the shapes the flows record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.chain import GENESIS, event_hash
from bot.playbook import Playbook, load_playbooks
from bot.ports import Event

ROOT = Path(__file__).resolve().parent.parent.parent
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
JAN = "web:acme:jan"
Item = tuple[timedelta, str, str, dict[str, Any]]
"""An event to link: offset from T0, actor name, kind, data."""


def playbook() -> Playbook:
    return load_playbooks(ROOT / "playbooks")["paid-fraudster"]


def link(incident_id: str, items: list[Item]) -> list[Event]:
    """The items as a valid chain of events."""
    events: list[Event] = []
    previous = GENESIS
    for seq, (offset, name, kind, data) in enumerate(items, start=1):
        actor = "noodrem" if name == "Noodrem" else f"web:acme:{name.lower()}"
        fields = dict(
            incident_id=incident_id,
            seq=seq,
            at=T0 + offset,
            actor=actor,
            actor_name=name,
            kind=kind,
            data=data,
            prev_hash=previous,
        )
        previous = event_hash(**fields)  # type: ignore[arg-type]
        events.append(Event(**fields, hash=previous))  # type: ignore[arg-type]
    return events


def incident_items(*, extra: list[Item] | None = None) -> list[Item]:
    """An incident's first quarter hour: opened, facts, the bank called."""
    minute = timedelta(minutes=1)
    due = {
        "call-bank": 15, "preserve-evidence": 30, "police-report": 60, "alert-it": 60,
        "reset-passwords": 60, "notify-recipients": 60, "ap-assessment": 72 * 60,
    }  # fmt: skip
    planned = [
        {"step": step, "due_at": (T0 + minutes * minute).isoformat(), "owner": JAN}
        for step, minutes in due.items()
    ]
    items: list[Item] = [
        (0 * minute, "Jan", "incident_opened", {
            "playbook": "paid-fraudster", "playbook_version": 1,
            "title": "We hebben mogelijk een oplichter betaald", "organisation": "Bakkerij Acme",
            "language": "nl", "reported_text": "we hebben een nepfactuur betaald",
        }),
        (0 * minute, "Jan", "participant_joined", {"role": "reporter", "name": "Jan"}),
        (0 * minute, "Jan", "steps_planned", {"steps": planned}),
        (1 * minute, "Jan", "fact_answered", {
            "fact": "amount", "value": "12500.00 EUR", "display": "€ 12.500,00",
        }),
        (2 * minute, "Jan", "fact_answered", {
            "fact": "request_channel", "value": "changed_invoice",
            "display": "Factuur met een ander rekeningnummer",
        }),
        (3 * minute, "Jan", "fact_unknown", {"fact": "beneficiary_iban"}),
        (9 * minute, "Jan", "step_done", {
            "step": "call-bank", "records": {"bank_case_number": "RABO-1"},
            "due_at": (T0 + 15 * minute).isoformat(), "on_time": True, "late_seconds": 0,
        }),
    ]  # fmt: skip
    return items + (extra or [])


def assessed(*, notify: bool) -> Item:
    """The ``ap_assessed`` event the AP step records when its assessment is complete."""
    return (timedelta(hours=20), "Jan", "ap_assessed", {
        "personal_data": "yes", "data_kinds": "namen, e-mailadressen, IBAN's",
        "people": "klanten", "approx_count": "ongeveer 250", "risk": "risk",
        "notify_ap": notify,
        "ap_notification_number": "AP-2026-0042" if notify else None,
        "notified_at": "2026-11-21T08:30:00.000000Z" if notify else None,
        "reason": "" if notify else "alleen zakelijke contactgegevens, geen risico",
        "inform_people": False, "measures": "wachtwoorden gewijzigd, MFA aan",
        "late": False, "delay_reason": None,
    })  # fmt: skip
