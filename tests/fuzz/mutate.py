"""Seeded mutations of real payloads: the same seed gives the same requests, so a failure
found here is replayed by running the test again.

A mutation changes one node of the payload (a value of another type, an awkward string, a
key removed or added), wraps it in deep nesting, or breaks the encoded bytes (invalid
UTF-8, truncated, empty). Every payload carries ``CANARY`` so a test can prove no body
reached a log line.
"""

from __future__ import annotations

import copy
import json
import random
import re
from typing import Any

CANARY = "FUZZCANARY7f3a"

_DEEP = "__deep__"
AWKWARD_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "é",
    "ø" * 3,
    "<at>Noodrem</at>",
    "%C3%A9",
    "../../etc/passwd",
    "x" * 5000,
    "9" * 30,
    "-1",
    "NaN",
    "null",
    "{}",
    "start.yes||||",
    "status|inc-1|||",
    'n3:["start.yes"]',
    'n3:["start.yes","paid-fraudster"]',
    'n3:["status","inc-1",1e400]',
    'n3:["snooze","inc-1","call-bank",1e400]',
    'n2:["status","inc-1",null,null,1]',
    'n9:["status"]',
    "n3:[[[[[[[[]]]]]]]]",
    "||||",
    "http://[",
    "v0=" + "a" * 64,
    "\u202e\u200b",
    "😀",
)
AWKWARD_NUMBERS = (0, -1, 1.5, 2**63, -(2**63) - 1, 10**40, float("1e308"))


def awkward(rng: random.Random) -> Any:
    """A value of a random type, chosen to trip a parser."""
    kind = rng.randrange(7)
    if kind == 0:
        return rng.choice(AWKWARD_STRINGS)
    if kind == 1:
        return rng.choice(AWKWARD_NUMBERS)
    if kind == 2:
        return rng.choice((None, True, False))
    if kind == 3:
        return [rng.choice(AWKWARD_STRINGS), rng.choice(AWKWARD_NUMBERS)]
    if kind == 4:
        return {rng.choice(AWKWARD_STRINGS): rng.choice(AWKWARD_STRINGS)}
    if kind == 5:
        return rng.choice(AWKWARD_STRINGS) + CANARY
    return []


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found.extend(_paths(inner, (*path, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*path, index)))
    return found


def _set(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return root


def mutate(payload: Any, rng: random.Random, *, rounds: int | None = None) -> Any:
    """One to three structural changes to a deep copy of ``payload``."""
    value = copy.deepcopy(payload)
    for _ in range(rounds or rng.randint(1, 3)):
        paths = _paths(value)
        path = rng.choice(paths)
        action = rng.randrange(10)
        if action < 5:
            value = _set(value, path, awkward(rng))
        elif action < 7 and path:
            parent = value
            for step in path[:-1]:
                parent = parent[step]
            if isinstance(parent, dict):
                del parent[path[-1]]
        elif action == 7:
            target = value
            for step in path:
                target = target[step]
            if isinstance(target, dict):
                target[rng.choice(AWKWARD_STRINGS)] = awkward(rng)
        elif action == 8:  # deep nesting, spliced in by ``encode`` (json cannot write it)
            value = _set(value, path, f"{_DEEP}{rng.choice((40, 200, 5000))}")
        else:
            value = _set(value, path, rng.choice((None, [], {}, CANARY, 0)))
    return value


def encode(value: Any, rng: random.Random) -> bytes:
    """JSON bytes, sometimes broken: raw surrogates, invalid UTF-8, truncated, empty."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    text = re.sub(
        f'"{_DEEP}([0-9]+)"',
        lambda m: '{"a":[' * int(m[1]) + f'"{CANARY}"' + "]}" * int(m[1]),
        text,
    )
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8
    roll = rng.random()
    if roll < 0.05:
        return data[: rng.randrange(len(data) + 1)]
    if roll < 0.10:
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00")) + data[at:]
    if roll < 0.12:
        return rng.choice((b"", b"null", b"[]", b'"x"', b"{", b"1e999999", b"[" * 100_000))
    return data
