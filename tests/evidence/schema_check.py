"""Validate against docs/evidence-schema.json, with or without the ``jsonschema`` package.

The project does not depend on ``jsonschema``; when it is missing, this small validator
checks the handful of keywords that schema uses, and refuses a schema that uses any other,
so the test can never pass by ignoring part of the schema.
"""

from __future__ import annotations

import re
from typing import Any

KNOWN = {
    "$schema", "$id", "$defs", "$ref", "title", "description", "type", "required",
    "properties", "additionalProperties", "items", "minItems", "const", "pattern",
    "minimum", "minLength", "oneOf",
}  # fmt: skip
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "null": type(None),
}


def validate(document: Any, schema: dict[str, Any]) -> None:
    """Raise ``AssertionError`` naming the first place ``document`` breaks ``schema``."""
    try:
        import jsonschema
    except ImportError:
        _check(document, schema, root=schema, where="$")
        return
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def _check(value: Any, schema: dict[str, Any], *, root: dict[str, Any], where: str) -> None:
    unknown = set(schema) - KNOWN
    assert not unknown, f"schema keyword(s) {unknown} at {where}: extend schema_check"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        _check(value, root["$defs"][name], root=root, where=where)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(
            isinstance(value, TYPES[kind]) and not (kind == "integer" and isinstance(value, bool))
            for kind in kinds
        )
        assert ok, f"{where}: {value!r} is not {schema['type']}"
    if "const" in schema:
        assert value == schema["const"], f"{where}: {value!r} != {schema['const']!r}"
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    if "minimum" in schema and isinstance(value, int):
        assert value >= schema["minimum"], f"{where}: {value} < {schema['minimum']}"
    if "minLength" in schema and isinstance(value, str):
        assert len(value) >= schema["minLength"], f"{where}: too short"
    if "oneOf" in schema:
        passed = 0
        for option in schema["oneOf"]:
            try:
                _check(value, option, root=root, where=where)
            except AssertionError:
                continue
            passed += 1
        assert passed == 1, f"{where}: matches {passed} of oneOf"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name!r}"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(properties)
            assert not extra, f"{where}: unexpected {extra}"
        for name, sub in properties.items():
            if name in value:
                _check(value[name], sub, root=root, where=f"{where}.{name}")
    if isinstance(value, list):
        assert len(value) >= schema.get("minItems", 0), f"{where}: too few items"
        for index, item in enumerate(value):
            if "items" in schema:
                _check(item, schema["items"], root=root, where=f"{where}[{index}]")
