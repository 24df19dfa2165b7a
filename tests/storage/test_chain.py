"""The hash chain's canonical form is a contract with every future verifier: pin it."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot import chain

AT = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)
FIELDS: dict[str, Any] = {
    "incident_id": "inc-1",
    "seq": 1,
    "at": AT,
    "actor": "slack:T1:U1",
    "actor_name": "Élise",
    "kind": "incident.opened",
    "data": {"b": 1, "a": ["x", None]},
    "prev_hash": chain.GENESIS,
}
CANONICAL = (
    '{"actor":"slack:T1:U1","actor_name":"Élise","at":"2026-11-21T19:35:51.123456Z",'
    '"data":{"a":["x",null],"b":1},"incident_id":"inc-1","kind":"incident.opened",'
    '"prev_hash":"' + "0" * 64 + '","seq":1}'
).encode()


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    assert chain.canonical_event_bytes(**FIELDS) == CANONICAL


def test_event_hash_is_sha256_of_canonical_bytes() -> None:
    assert chain.event_hash(**FIELDS) == hashlib.sha256(CANONICAL).hexdigest()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("incident_id", "inc-2"),
        ("seq", 2),
        ("at", AT + timedelta(microseconds=1)),
        ("actor", "slack:T1:U2"),
        ("actor_name", "Elise"),
        ("kind", "incident.closed"),
        ("data", {"b": 2, "a": ["x", None]}),
        ("prev_hash", "1" * 64),
    ],
)
def test_every_field_is_covered_by_the_hash(field: str, value: object) -> None:
    assert chain.event_hash(**{**FIELDS, field: value}) != chain.event_hash(**FIELDS)


def test_same_instant_in_another_zone_hashes_the_same() -> None:
    amsterdam = AT.astimezone(timezone(timedelta(hours=1)))
    assert chain.event_hash(**{**FIELDS, "at": amsterdam}) == chain.event_hash(**FIELDS)


@pytest.mark.parametrize("data", [{"x": {1, 2}}, {"x": AT}, {"x": math.nan}, {"x": math.inf}])
def test_non_json_data_raises_type_error(data: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        chain.event_hash(**{**FIELDS, "data": data})


@pytest.mark.parametrize(
    ("dt", "text"),
    [
        (AT, "2026-11-21T19:35:51.123456Z"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000000Z"),
        (
            datetime(2026, 1, 1, 0, 30, 0, 1, tzinfo=timezone(timedelta(hours=2))),
            "2025-12-31T22:30:00.000001Z",
        ),
        (datetime(5, 1, 1, tzinfo=UTC), "0005-01-01T00:00:00.000000Z"),
    ],
)
def test_format_and_parse_utc(dt: datetime, text: str) -> None:
    assert chain.format_utc(dt) == text
    parsed = chain.parse_utc(text)
    assert parsed == dt
    assert parsed.tzinfo is UTC


def test_parse_utc_accepts_an_offset() -> None:
    assert chain.parse_utc("2026-11-21T20:35:51.123456+01:00") == AT


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        chain.format_utc(datetime(2026, 11, 21, 19, 35, 51))
    with pytest.raises(ValueError, match="offset"):
        chain.parse_utc("2026-11-21T19:35:51.123456")
