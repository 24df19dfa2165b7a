"""Read a playbook file into plain data plus the line of every key and list item.

pydantic reports where a value is wrong as a path (``("steps", 2, "due")``); the line map
built here turns that path into the line the person has to edit. Everything that can go
wrong before validation (unreadable file, bad bytes, bad YAML, duplicate keys) becomes a
``PlaybookError`` here.

A file is parsed with libyaml (``CSafeLoader``, ten times faster: most of what reading the
playbooks at start cost) when PyYAML has it; the nodes carry the same lines. A file
libyaml refuses is parsed again by PyYAML's own parser, whose messages the hints below
know, so a broken file reads the same either way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.playbook.errors import PlaybookError

Loc = tuple[str | int, ...]

#: pydantic's marker for "the key itself is wrong" inside a location.
KEY_MARKER = "[key]"

_FAST_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)
if TYPE_CHECKING:  # a PyYAML built without libyaml has no CSafeLoader
    Loader = yaml.SafeLoader | yaml.CSafeLoader

_HINTS = {
    "mapping values are not allowed here": (
        "check the indentation, and put text that contains ': ' in quotes"
    ),
    "<block end>": "check the indentation: keys or list items at one level must line up",
    "could not find expected ':'": "is a colon missing, or text not indented under its key?",
    "quoted scalar": "check that every quote is closed",
    "cannot start any token": "check for a stray character",
}


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed playbook file: ``data`` as YAML gives it and ``lines`` by location."""

    path: Path
    data: dict[str, Any]
    lines: dict[Loc, int]

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest part of ``loc`` present in the file: a missing key points
        at the mapping it is missing from. None for a key missing at the top level."""
        line = None
        for end in range(1, len(loc) + 1):
            found = self.lines.get(loc[:end])
            if found is None:
                break
            line = found
        return line

    def describe(self, loc: Loc) -> str:
        """``loc`` as a person reads it, e.g. ``steps[3] (police-report).due``. List items
        are counted from 1, as people count them, and named by their id."""
        text = ""
        node: Any = self.data
        for part in loc:
            if part == KEY_MARKER:
                break
            if isinstance(part, int):
                node = node[part] if isinstance(node, list) and part < len(node) else None
                text += f"[{part + 1}]"
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    text += f" ({node['id']})"
            else:
                node = node.get(part) if isinstance(node, dict) else None
                text += f".{part}" if text else str(part)
        return text


def read_bytes(path: Path) -> bytes:
    """The file's bytes; PlaybookError when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PlaybookError(f"cannot read the file: {exc.strerror or exc}", path=path) from None


def parse_source(path: Path, raw: bytes) -> Source:
    """Parse ``raw``, read from ``path``; raise PlaybookError for anything that stops it
    being a mapping."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlaybookError(
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
            path=path,
            line=raw[: exc.start].count(b"\n") + 1,
        ) from None
    # PyYAML's reader refuses control characters before parsing; libyaml would not say so.
    if _FAST_LOADER is not None and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        with contextlib.suppress(yaml.YAMLError, RecursionError):
            return _read(_FAST_LOADER(text), path)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise PlaybookError(
            f"control character U+{exc.character:04X} is not allowed in YAML; remove it",
            path=path,
            line=text.count("\n", 0, exc.position) + 1,
        ) from None
    try:
        return _read(loader, path)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, path) from None
    except yaml.YAMLError as exc:
        raise PlaybookError(f"YAML error: {exc}", path=path) from None
    except RecursionError:
        raise PlaybookError("an alias (*name) refers to itself", path=path) from None


def _read(loader: Loader, path: Path) -> Source:
    """The document ``loader`` parses, with its lines; YAML errors pass to the caller."""
    try:
        node = loader.get_single_node()
        if node is None:
            raise PlaybookError("the file is empty; a playbook starts with id:", path=path)
        if not isinstance(node, MappingNode):
            raise PlaybookError(
                f"the top level must be a mapping (id: ..., title: ...), not {_kind(node)}",
                path=path,
                line=node.start_mark.line + 1,
            )
        data = loader.construct_document(node)
        lines: dict[Loc, int] = {}
        _index(node, (), lines, loader, Source(path, data, lines))
    finally:
        loader.dispose()
    return Source(path, data, lines)


def _index(node: Node, loc: Loc, lines: dict[Loc, int], loader: Loader, source: Source) -> None:
    """Record the line of every key and item below ``node``. PyYAML keeps the last of two
    equal keys without a word, so a doubled key is refused here instead."""
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                raise PlaybookError("a key must be a plain word", path=source.path, line=line)
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise PlaybookError(
                    f"key {key_node.value} is read as {key!r}, not as a word; put it in quotes",
                    path=source.path,
                    line=line,
                )
            if key in seen:
                where = source.describe(loc)
                raise PlaybookError(
                    f'key "{key}" appears twice{" in " + where if where else ""}; keep one',
                    path=source.path,
                    line=line,
                )
            seen.add(key)
            lines[(*loc, key)] = line
            _index(value_node, (*loc, key), lines, loader, source)
    elif isinstance(node, SequenceNode):
        for position, item in enumerate(node.value):
            lines[(*loc, position)] = item.start_mark.line + 1
            _index(item, (*loc, position), lines, loader, source)


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    return "a mapping" if isinstance(node, MappingNode) else "a single value"


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, path: Path) -> PlaybookError:
    """PyYAML's problem, its context, and a hint at the usual cause. For an unclosed quote
    the problem is at the end of the file; the line where the quote opened is the useful one."""
    problem = exc.problem or "not valid YAML"
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark is not None:
        mark = exc.context_mark
    message = f"YAML syntax error: {problem}"
    if exc.context:
        started = exc.context_mark
        at = f" at line {started.line + 1}" if started is not None and started is not mark else ""
        message += f" ({exc.context}{at})"
    source_lines = text.splitlines()
    line = mark.line + 1 if mark is not None else None
    if line is not None and line <= len(source_lines):
        current = source_lines[line - 1]
        if "\t" in current[: len(current) - len(current.lstrip())]:
            message += "; indent with spaces, not tabs"
            return PlaybookError(message, path=path, line=line)
    hints = [hint for needle, hint in _HINTS.items() if needle in f"{problem} {exc.context}"]
    if hints:
        message += f"; {hints[0]}"
    return PlaybookError(message, path=path, line=line)
