"""Deadlines as written in a playbook: "15m", "1h30m", "72h", "2d".

A step's deadline counts from the moment the incident was reported. Only days, hours and
minutes exist, in that order: first-hour deadlines are minutes, the data-breach notice is
days, and nothing needs seconds.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

DURATION_PATTERN = r"^(\d+d(\d+h)?(\d+m)?|\d+h(\d+m)?|\d+m)$"
DURATION_EXAMPLES = "15m, 1h, 1h30m, 72h or 2d"
MAX_DUE = timedelta(days=30)

_DURATION = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?")


def parse_duration(text: str) -> timedelta:
    """``"1h30m"`` -> 90 minutes; ValueError naming the accepted forms for anything else."""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ValueError(f'"{text}" is not a duration; use e.g. {DURATION_EXAMPLES}')
    parts = {unit: int(value or 0) for unit, value in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"])


def format_duration(due: timedelta) -> str:
    """The YAML form of ``due``, so a dumped playbook validates again."""
    days, minutes = divmod(int(due.total_seconds()) // 60, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    return "".join(f"{amount}{unit}" for amount, unit in parts if amount) or "0m"


def validate_due(value: object) -> timedelta:
    """Deadlines are written as text in YAML; a bare number (``due: 15``) has no unit, so
    it is refused rather than guessed."""
    if isinstance(value, timedelta):
        due = value
    elif isinstance(value, str):
        try:
            due = parse_duration(value.strip())
        except ValueError as exc:
            raise PydanticCustomError("duration", str(exc)) from None
    else:
        raise PydanticCustomError(
            "duration", f"{value!r} is not a duration; use e.g. {DURATION_EXAMPLES}"
        )
    if due <= timedelta(0):
        raise PydanticCustomError("duration", f'"{value}" is zero; a deadline must be > 0')
    if due > MAX_DUE:
        raise PydanticCustomError(
            "duration", f'"{value}" is longer than 30 days; this is a first-response playbook'
        )
    return due


Duration = Annotated[
    timedelta,
    BeforeValidator(validate_due),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["15m", "1h30m"]}),
]
