"""Reading and checking the language files of ``bot/locales`` (the lookup is ``bot.i18n``).

One file per language, named by its code; nested tables are dotted keys. Dutch is the
reference: every other file must have exactly its keys, each with the same placeholders,
and hold nothing but texts. Every mistake is reported at once, with file, key and line.
Imported only when the first text is needed, like everything a start can do without.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from string import Formatter
from typing import Any

from bot.errors import ConfigError

LOCALES = Path(__file__).parent / "locales"
REFERENCE = "nl"  # Dutch first: every other file is checked against it; the fallback too
_CODE = r"[a-z]{2,3}"  # a language file is named by its code: de.toml


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a language file, said where a translator finds it."""

    path: Path
    message: str
    key: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class CatalogueError(ConfigError):
    """The language files do not fit together; ``problems`` says where, one per mistake."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Per language code (the reference first), each dotted key's template."""

    texts: Mapping[str, Mapping[str, str]]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def template(self, key: str, lang: str) -> str:
        """``key``'s template in ``lang``; in the reference language for an unknown one."""
        return (self.texts.get(lang) or self.texts[REFERENCE])[key]

    def has(self, key: str) -> bool:
        return key in self.texts[REFERENCE]


def load(directory: Path = LOCALES) -> Catalogue:
    """Read and check every language file in ``directory``; raises ``CatalogueError``."""
    problems: list[Problem] = []
    texts: dict[str, dict[str, str | None]] = {}  # None: there, but not a text (reported)
    for path in sorted(directory.iterdir()):
        if path.suffix != ".toml" or not re.fullmatch(_CODE, path.stem):
            problems.append(
                Problem(path, "not a language file: name one <code>.toml, e.g. de.toml")
            )
            continue
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(Problem(path, f"cannot be read: {exc}"))
            continue
        texts[path.stem] = _flatten(raw, path=path, prefix="", problems=problems)
    reference = texts.pop(REFERENCE, None)
    if reference is None:
        path = directory / f"{REFERENCE}.toml"
        problems.append(Problem(path, "missing: the other files are checked against it"))
        raise CatalogueError(problems)
    fields = {
        key: _fields(key, text, directory / f"{REFERENCE}.toml", problems)
        for key, text in reference.items()
    }
    for lang, by_key in texts.items():
        _compare(directory / f"{lang}.toml", by_key, fields, problems)
    if problems:
        located = sorted(
            map(_located, problems), key=lambda p: (str(p.path), p.line or 0, p.key or "")
        )
        raise CatalogueError(located)
    return Catalogue(
        texts={lang: _checked(by_key) for lang, by_key in [(REFERENCE, reference), *texts.items()]}
    )


def _flatten(
    table: Mapping[str, Any], *, path: Path, prefix: str, problems: list[Problem]
) -> dict[str, str | None]:
    """Nested tables as dotted keys: ``[teams.files]`` ``link`` is ``teams.files.link``."""
    flat: dict[str, str | None] = {}
    for name, value in table.items():
        key = prefix + name
        if isinstance(value, dict):
            flat |= _flatten(value, path=path, prefix=key + ".", problems=problems)
            continue
        flat[key] = None
        if not isinstance(value, str):
            problems.append(Problem(path, f"is {value!r}, not a text in quotes", key))
        elif not value.strip():
            problems.append(Problem(path, "is empty", key))
        else:
            flat[key] = value
    return flat


def _checked(texts: Mapping[str, str | None]) -> dict[str, str]:
    return {key: text for key, text in texts.items() if text is not None}


def _fields(
    key: str, text: str | None, path: Path, problems: list[Problem]
) -> frozenset[str] | None:
    """The placeholders of a template (``{name}``); None, and a problem, if it is not one."""
    if text is None:
        return None
    try:
        names = frozenset(name for _, name, _, _ in Formatter().parse(text) if name is not None)
    except ValueError as exc:
        problems.append(Problem(path, f"not a valid template ({exc}); write {{{{ for a brace", key))
        return None
    if any(not name or name[0].isdigit() for name in names):
        problems.append(Problem(path, "a placeholder without a name: write {name}", key))
        return None
    return names


def _compare(
    path: Path,
    texts: Mapping[str, str | None],
    reference: Mapping[str, frozenset[str] | None],
    problems: list[Problem],
) -> None:
    for key in reference.keys() - texts.keys():
        problems.append(Problem(path, f"missing (it is in {REFERENCE}.toml)", key))
    for key, text in texts.items():
        if key not in reference:
            problems.append(Problem(path, f"unknown key: {REFERENCE}.toml has no such text", key))
            continue
        fields, expected = _fields(key, text, path, problems), reference[key]
        if fields is not None and expected is not None and fields != expected:
            problems.append(
                Problem(
                    path,
                    f"placeholders {_braced(fields)}, but {REFERENCE}.toml has {_braced(expected)}",
                    key,
                )
            )


def _braced(fields: frozenset[str]) -> str:
    return " ".join(f"{{{name}}}" for name in sorted(fields)) or "none"


# Patterns, not compiled here: they are needed only to point at a mistake (re caches them).
_TABLE = r"\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$"
_PART = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
_KEY = rf"\s*({_PART}(?:\s*\.\s*{_PART})*)\s*="


def _located(problem: Problem) -> Problem:
    """The problem with the line its key is on, when the key is in its file."""
    if problem.key is None or problem.line is not None:
        return problem
    line = _key_lines(problem.path).get(problem.key)
    return replace(problem, line=line) if line else problem


def _key_lines(path: Path) -> dict[str, int]:
    """Each dotted key's line, read from the text (tomllib says no lines); for errors only."""
    lines: dict[str, int] = {}
    table = ""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        if header := re.match(_TABLE, line):
            table = _dotted(header.group(1)) + "."
        elif key := re.match(_KEY, line):
            lines.setdefault(table + _dotted(key.group(1)), number)
    return lines


def _dotted(key: str) -> str:
    return ".".join(part.strip("\"'") for part in re.findall(_PART, key))
