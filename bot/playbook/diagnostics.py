"""Turn a pydantic ValidationError into one PlaybookError a person can act on.

pydantic's own messages ("Input should be a valid dictionary or instance of LocalText")
are written for programmers; the person editing a playbook needs the key, the line and
what to write instead. Only the first problem is reported: after a typo in a key the
other complaints are usually consequences of it.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.playbook.errors import RULE_ERROR, PlaybookError
from bot.playbook.models import (
    CONDITION_TAGS,
    EMAIL_PATTERN,
    SLUG_PATTERN,
    STEP_SLUG_PATTERN,
    URL_PATTERN,
)
from bot.playbook.schema import playbook_json_schema
from bot.playbook.source import KEY_MARKER, Loc, Source

_ID_HELP = "is not a valid id; use a-z, 0-9 and {sep}, start with a letter (like {example})"
_PATTERN_HELP = {
    SLUG_PATTERN: _ID_HELP.format(sep="_", example="case_number"),
    STEP_SLUG_PATTERN: _ID_HELP.format(sep="-", example="call-bank"),
    EMAIL_PATTERN: "is not an e-mail address",
    URL_PATTERN: "is not a web address; write it in full, starting with https://",
}
_BOOLEAN_HINT = (
    "YAML reads unquoted yes, no, on, off, true and false as true/false; "
    'put the value in quotes, e.g. "yes"'
)


def explain(error: ValidationError, source: Source) -> PlaybookError:
    """The first problem in ``error``, with the line it is on. Causes go first: a list
    whose item is broken is reported as too short as well, and a misspelt key also shows
    up as a missing one; the broken item and the misspelling are what to fix."""
    problems = [(_location(details), details) for details in error.errors(include_url=False)]
    causes = [
        (loc, details)
        for loc, details in problems
        if not any(len(other) > len(loc) and other[: len(loc)] == loc for other, _ in problems)
    ]
    loc, details = min(
        causes,
        key=lambda problem: (
            problem[1]["type"] != "extra_forbidden",
            source.line_of(problem[0]) or 0,
        ),
    )
    in_file = _in_file(loc)
    where = in_file[:-1] if details["type"] in ("missing", "extra_forbidden") else in_file
    name = source.describe(where)
    message = _what(loc, details)
    return PlaybookError(
        f"{name}: {message}" if name else message, path=source.path, line=source.line_of(in_file)
    )


def _in_file(loc: Loc) -> Loc:
    """``loc`` without the names pydantic gives the forms of a condition (all, any, not,
    a test on a fact): they are not keys in the file."""
    return tuple(part for part in loc if part not in CONDITION_TAGS)


def _location(details: ErrorDetails) -> Loc:
    """Where the problem is; rule errors carry the offending item below their model."""
    at: tuple[str | int, ...] = ()
    if details["type"] == RULE_ERROR:
        at = details.get("ctx", {}).get("at", ())
    return (*details["loc"], *at)


def _what(loc: Loc, details: ErrorDetails) -> str:
    kind = details["type"]
    value = details["input"]
    ctx = details.get("ctx", {})
    if kind == "missing":
        return f'required key "{loc[-1]}" is missing'
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "string_type":
        if isinstance(value, bool):
            return f"expected text, got {_show(value)}; {_BOOLEAN_HINT}"
        hint = "; put it in quotes" if isinstance(value, int | float) else ""
        return f"expected text, got {_kind(value)}{hint}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if ctx.get("class_name") == "LocalText":
            return f"expected a mapping with nl: and en: texts, got {_kind(value)}"
        return f"expected a mapping (key: value), got {_kind(value)}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, got {_kind(value)}"
    if kind in ("enum", "literal_error"):
        return f"{_show(value)} is not one of {ctx['expected']}"
    if kind == "string_pattern_mismatch":
        return f"{_show(value)} {_PATTERN_HELP.get(ctx['pattern'], 'has the wrong form')}"
    if kind == "string_too_short":
        return "is empty; write the text"
    if kind == "string_too_long":
        most = ctx["max_length"]
        return f"is too long for an id; use at most {most} characters (buttons carry it)"
    if kind == "too_short":
        return "is an empty list; give at least one"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_kind(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_kind(value)}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    return details["msg"]


def _unknown_key(loc: Loc) -> str:
    """Name the key and the likely intended one, or all the keys allowed there."""
    allowed = _allowed_keys(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    if close:
        return f'unknown key "{loc[-1]}"; did you mean "{close[0]}"?'
    return f'unknown key "{loc[-1]}"; allowed here: {", ".join(allowed)}'


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys the schema allows at ``loc``, in the order they are documented."""
    schema = playbook_json_schema()
    node = _resolve(schema, schema)
    for part in loc:
        if part == KEY_MARKER:
            break
        if part in CONDITION_TAGS:
            if part == loc[-1]:  # a typo may be meant for any form of a condition
                keys = (schema["definitions"][str(tag).strip("<>")] for tag in CONDITION_TAGS)
                return sorted({key for form in keys for key in form.get("properties", {})})
            node = schema["definitions"][str(part).strip("<>")]
        elif isinstance(part, int):
            node = node.get("items", {})
        else:
            keyed = list(node.get("patternProperties", {}).values())
            node = node.get("properties", {}).get(part) or (keyed[0] if keyed else {})
        node = _resolve(node, schema)
    return list(node.get("properties", {}))


def _resolve(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and skip the ``null`` branch of an optional value."""
    while True:
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            node = next((option for option in node["anyOf"] if option.get("type") != "null"), {})
        else:
            return node


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return _show(value)
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"text {_show(value)}"
    return "a list" if isinstance(value, list) else "a mapping"
