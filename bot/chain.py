"""The evidence hash chain, as pure functions.

Storage uses these to link each new timeline event to the previous one; the evidence
export and ``verify`` use the very same functions to prove a timeline unaltered. Keeping
them free of SQLAlchemy means a verifier needs nothing but this module and the export.

The canonical form of an event is JSON with sorted keys, no whitespace and UTF-8 text,
with the time as UTC ISO-8601 with exactly six fractional digits and a ``Z``: any other
program can rebuild the same bytes from an export.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""The ``prev_hash`` of the first event of every incident."""


def format_utc(dt: datetime) -> str:
    """``2026-11-21T19:35:51.123456Z``: fixed width, so the text sorts like the time."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: pass a timezone-aware (UTC) datetime")
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_utc(s: str) -> datetime:
    """Inverse of ``format_utc``; also takes any ISO-8601 time with an offset.

    A time without an offset is refused: guessing its zone would corrupt the timeline.
    """
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"time {s!r} has no UTC offset")
    return dt.astimezone(UTC)


def canonical_event_bytes(
    *,
    incident_id: str,
    seq: int,
    at: datetime,
    actor: str,
    actor_name: str,
    kind: str,
    data: dict[str, Any],
    prev_hash: str,
) -> bytes:
    """The exact bytes an event's hash covers.

    Raises ``TypeError`` when ``data`` is not plain JSON (including NaN and infinities,
    which JSON cannot represent and PostgreSQL would refuse).
    """
    event = {
        "incident_id": incident_id,
        "seq": seq,
        "at": format_utc(at),
        "actor": actor,
        "actor_name": actor_name,
        "kind": kind,
        "data": data,
        "prev_hash": prev_hash,
    }
    try:
        text = json.dumps(
            event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:  # NaN / infinity / circular reference
        raise TypeError(f"event data is not JSON-serialisable: {exc}") from exc
    return text.encode("utf-8")


def event_hash(
    *,
    incident_id: str,
    seq: int,
    at: datetime,
    actor: str,
    actor_name: str,
    kind: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 hex digest of ``canonical_event_bytes``."""
    canonical = canonical_event_bytes(
        incident_id=incident_id,
        seq=seq,
        at=at,
        actor=actor,
        actor_name=actor_name,
        kind=kind,
        data=data,
        prev_hash=prev_hash,
    )
    return hashlib.sha256(canonical).hexdigest()
