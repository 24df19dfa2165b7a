"""Checks on bodies from outside, shared by the HTTP adapters: what no parser further on
(Bolt, botbuilder, the engine, the database) may be handed.

Python's ``json`` module recurses once per nesting level and raises ``RecursionError``
(not ``ValueError``) on deep input; PostgreSQL refuses NUL in text and JSONB; a lone
surrogate (``"\\ud800"``, valid JSON) cannot be encoded for the database. Each of those
used to surface as a 500 a long way from the request. Here they become one ``Malformed``
at the door, which the adapter answers with a 400.
"""

from __future__ import annotations

import json
from typing import Any

from bot.errors import InputError

MAX_DEPTH = 32  # real Slack and Teams payloads nest about 10 levels; cards in them a few more


class Malformed(InputError):
    """A body that is not what the endpoint accepts; the message is safe to show."""


class NotJson(Malformed):
    """Not JSON at all (as opposed to JSON the store cannot keep)."""


def loads(raw: bytes | str) -> Any:
    """JSON from an untrusted body: UTF-8, within ``MAX_DEPTH``, storable strings only."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("body is not UTF-8") from None
    if _too_deep(raw):
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise NotJson("body is not valid JSON") from None
    check(value)
    return value


def check(value: object) -> None:
    """Refuse strings the store cannot keep, anywhere in a parsed value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                check_text(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def check_text(text: str) -> None:
    if "\x00" in text:
        raise Malformed("text contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Malformed("text is not valid Unicode (lone surrogate)") from None


def _too_deep(text: str) -> bool:
    """Nesting depth by counting brackets outside strings: cheap, no recursion."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # the common case: not even that many brackets
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False
