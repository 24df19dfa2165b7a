"""Reading a typed field back from JSON: what a button or a stored conversation carried.

The one place that checks a JSON value against a field's type hint, so the action codec
(``bot/messages.py``) and the conversation state (``bot/flows/state.py``) refuse the same
way: ``ValueError`` for a value of the wrong type, never a half-built object.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime
from enum import StrEnum
from types import UnionType
from typing import Literal, Union, get_args, get_origin


def typed(hint: object, raw: object) -> object:
    """``raw`` (parsed JSON) as a value of the type ``hint``, or ``ValueError``. Handles
    what the typed payloads use: str, int, bool (exactly: ``True`` is no int), StrEnum,
    Literal, ``X | None``, ``tuple[X, ...]``, ``Mapping[str, X]`` and ISO ``datetime``."""
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        options = get_args(hint)
        if raw is None and type(None) in options:
            return None
        for option in options:
            if option is not type(None):
                with suppress(ValueError):
                    return typed(option, raw)
    elif origin is Literal:
        if isinstance(raw, str) and raw in get_args(hint):
            return raw
    elif origin is tuple and isinstance(raw, list):
        item, _ = get_args(hint)  # tuple[X, ...]
        return tuple(typed(item, value) for value in raw)
    elif origin is Mapping and isinstance(raw, dict):
        _, item = get_args(hint)
        return {str(key): typed(item, value) for key, value in raw.items()}
    elif hint is datetime and isinstance(raw, str):
        with suppress(ValueError):
            return datetime.fromisoformat(raw)
    elif isinstance(hint, type) and issubclass(hint, StrEnum) and isinstance(raw, str):
        with suppress(ValueError):
            return hint(raw)
    elif hint in (bool, int, str) and type(raw) is hint:
        return raw
    raise ValueError("a value of the wrong type")


def plain(value: object) -> object:
    """The JSON form of a typed field value: the inverse of ``typed``."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    return value
