"""The evidence file for machines: every event with every field its hash covers.

A program (``verify``, or anyone's own script) rebuilds each event's canonical bytes from
these fields and recomputes the chain; ``docs/evidence.md`` describes how, and
``docs/evidence-schema.json`` the shape. The ``incident`` and ``chain`` blocks are a
convenience read from the events; only the events themselves are covered by the hashes.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Sequence
from typing import Any, BinaryIO

from bot.chain import GENESIS, format_utc
from bot.events import IncidentOpened, of
from bot.evidence import EvidenceError
from bot.evidence.model import FollowUpLine, PaymentView, Timeline
from bot.ports import Event

FORMAT = "noodrem-evidence"
FORMAT_VERSION = 1
SPOOL_BYTES = 8 * 2**20
"""Of events' JSON kept in memory before the spool moves to a temporary file."""
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
    out = io.BytesIO()
    writer = JsonWriter(out)
    writer.add(events)
    writer.finish(timeline=timeline, first=events[0])
    return out.getvalue()


class JsonWriter:
    """The JSON export written as the events are read: each chunk goes to a spool (memory
    up to ``SPOOL_BYTES``, then a temporary file), and ``finish`` writes the head, folded
    from the same read, then the spooled events. So an export reads its timeline once and
    holds one chunk of it; the bytes are those ``render_json`` gives for the same events."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self._written = 0

    def add(self, events: Sequence[Event]) -> None:
        if not events:
            return
        lines = ",\n".join(
            "    " + json.dumps(event_json(event), ensure_ascii=False, allow_nan=False)
            for event in events
        )
        self._body.write(((",\n" if self._written else "") + lines).encode("utf-8"))
        self._written += len(events)

    def finish(self, *, timeline: Timeline, first: Event) -> None:
        with self._body:
            if self._written != timeline.event_count:  # the head states the count
                raise EvidenceError(
                    f"{self._written} events written, the file's head says {timeline.event_count}"
                )
            text = json.dumps(_head(timeline, first), ensure_ascii=False, indent=2)
            self._out.write((text[:-2] + ',\n  "events": [\n').encode("utf-8"))
            self._body.seek(0)
            shutil.copyfileobj(self._body, self._out)
            self._out.write(b"\n  ]\n}\n")


def _head(timeline: Timeline, first: Event) -> dict[str, Any]:
    opened = of(first)
    opening = opened if isinstance(opened, IncidentOpened) else None
    summary = timeline.summary
    return {
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
            "event_count": timeline.event_count,
            "final_hash": timeline.final_hash,
        },
    }
