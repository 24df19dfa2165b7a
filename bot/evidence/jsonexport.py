"""The evidence file for machines: every event with every field its hash covers.

A program (``verify``, or anyone's own script) rebuilds each event's canonical bytes from
these fields and recomputes the chain; ``docs/evidence.md`` describes how, and
``docs/evidence-schema.json`` the shape. The ``incident`` and ``chain`` blocks are a
convenience read from the events; only the events themselves are covered by the hashes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.chain import GENESIS, format_utc
from bot.events import IncidentOpened, of
from bot.evidence.model import FollowUpLine, PaymentView, Timeline
from bot.ports import Event

FORMAT = "noodrem-evidence"
FORMAT_VERSION = 1
CANONICAL_FORM = (
    "sha256 over the UTF-8 JSON of {incident_id, seq, at, actor, actor_name, kind, data, "
    "prev_hash} with sorted keys, no whitespace, non-ASCII kept, at as "
    "YYYY-MM-DDTHH:MM:SS.ffffffZ"
)


def event_json(event: Event) -> dict[str, Any]:
    """One event as exported: the hashed fields, with its time in the canonical form."""
    return {
        "incident_id": event.incident_id,
        "seq": event.seq,
        "at": format_utc(event.at),
        "actor": event.actor,
        "actor_name": event.actor_name,
        "kind": event.kind,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def payment_json(payment: PaymentView) -> dict[str, Any]:
    """A payment with its recall status now and each change (seq: the event that says it)."""
    data = payment.data
    return {
        "payment": payment.payment,
        "step": payment.step_id,
        "status": payment.status,
        "amount": data.get("amount"),
        "paid": data.get("paid"),
        "own_iban": data.get("own_iban"),
        "receiving_iban": data.get("receiving_iban"),
        "receiving_bank": data.get("receiving_bank"),
        "payee": data.get("payee"),
        "case_number": data.get("case_number"),
        "returned_amount": data.get("returned_amount"),
        "history": [
            {
                "seq": change.seq,
                "at": format_utc(change.at),
                "by": change.by,
                "from": change.old,
                "to": change.new,
                "case_number": change.case_number,
                "returned_amount": change.returned_amount,
            }
            for change in payment.history
        ],
    }


def follow_up_json(follow_up: FollowUpLine) -> dict[str, Any]:
    """A follow-up proposed at the close and where it stands when the file was made."""
    return {
        "follow_up": follow_up.follow_up_id,
        "plan": follow_up.plan,
        "title": follow_up.title,
        "owner": follow_up.owner,
        "due_at": format_utc(follow_up.due_at),
        "state": follow_up.state.value,
        "done_at": None if follow_up.done_at is None else format_utc(follow_up.done_at),
    }


def render_json(events: Sequence[Event], *, timeline: Timeline) -> bytes:
    """UTF-8 JSON, one event per line, so a diff or ``grep`` of two exports stays readable."""
    opened = of(events[0])
    opening = opened if isinstance(opened, IncidentOpened) else None
    summary = timeline.summary
    head = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": format_utc(timeline.generated_at),
        "incident": {
            "id": timeline.incident_id,
            "organisation": summary.organisation,
            "playbook": opening.playbook if opening else None,
            "playbook_version": opening.playbook_version if opening else None,
            "title": summary.title,
            "language": opening.language if opening else None,
            "reported_at": format_utc(summary.reported_at),
            "reported_by": summary.reported_by,
            "closed_at": None if summary.closed_at is None else format_utc(summary.closed_at),
            "time_zone": timeline.tz.key,
            "ap_state": None
            if summary.ap is None or summary.ap.state is None
            else summary.ap.state.value,
        },
        "payments": [payment_json(payment) for payment in summary.payments],
        "follow_ups": [follow_up_json(follow_up) for follow_up in timeline.follow_ups],
        "chain": {
            "algorithm": "sha256",
            "canonical_form": CANONICAL_FORM,
            "genesis": GENESIS,
            "event_count": len(events),
            "final_hash": events[-1].hash,
        },
    }
    text = json.dumps(head, ensure_ascii=False, indent=2)
    lines = ",\n".join(
        "    " + json.dumps(event_json(event), ensure_ascii=False, allow_nan=False)
        for event in events
    )
    return (text[:-2] + ',\n  "events": [\n' + lines + "\n  ]\n}\n").encode("utf-8")
