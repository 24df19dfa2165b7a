"""Load playbook files, refusing a broken one with its file, line and what is wrong.

This is the boundary where YAML, pydantic and file-system errors become
``PlaybookError``: nothing else escapes ``load_playbook``, so the app can refuse to start
with one readable line instead of a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from bot.playbook import rules
from bot.playbook.diagnostics import explain
from bot.playbook.errors import PlaybookError
from bot.playbook.models import Playbook
from bot.playbook.source import Source, parse_source, read_bytes

SUFFIXES = (".yaml", ".yml")


def load_playbook(path: Path) -> Playbook:
    """The playbook in ``path``; its ``id`` must equal the file name without suffix, so
    the file for a playbook id is always the obvious one."""
    return _load(path)[0]


def load_playbooks(directory: Path) -> dict[str, Playbook]:
    """Every playbook in ``directory`` by id; the first problem found is raised."""
    playbooks: dict[str, Playbook] = {}
    sources: list[Source] = []
    for path in _directory_files(directory):
        playbook, source = _load(path)
        _check_unique(playbook, source, playbooks)
        playbooks[playbook.id] = playbook
        sources.append(source)
    for error in _check_together(playbooks, sources):
        raise error
    return playbooks


def playbook_files(paths: Sequence[Path]) -> list[Path]:
    """The files ``validate_paths`` checks for ``paths``: each file as given, each
    directory's playbook files in name order. What cannot be found or read is left out;
    ``validate_paths`` reports it."""
    files: list[Path] = []
    for path in paths:
        try:
            files.extend(_directory_files(path) if path.is_dir() else [path])
        except PlaybookError:
            continue
    return [file for file in files if file.exists()]


def validate_paths(paths: Sequence[Path]) -> list[PlaybookError]:
    """Every problem in ``paths`` (files or directories), at most one per file, so one
    run of ``app.py validate`` shows all the files that need fixing."""
    errors: list[PlaybookError] = []
    for path in paths:
        try:
            if not path.exists():
                raise PlaybookError("no such file or directory", path=path)
            files = _directory_files(path) if path.is_dir() else [path]
        except PlaybookError as error:
            errors.append(error)
            continue
        seen: dict[str, Playbook] = {}
        sources: list[Source] = []
        for file in files:
            try:
                playbook, source = _load(file)
                _check_unique(playbook, source, seen)
                seen[playbook.id] = playbook
                sources.append(source)
            except PlaybookError as error:
                errors.append(error)
        if path.is_dir():  # a single file given alone has no other plans to check against
            errors.extend(_check_together(seen, sources))
    return errors


def _load(path: Path) -> tuple[Playbook, Source]:
    return _validated(path, read_bytes(path))


# Keyed by the bytes, so a changed file is read afresh: a process that loads the same files
# again (every app start in the tests, hundreds a run) parses them once. Pure-Python YAML
# with line numbers costs a good part of a second for the playbooks.
@functools.lru_cache(maxsize=64)
def _validated(path: Path, raw: bytes) -> tuple[Playbook, Source]:
    """The playbook in ``raw`` (the bytes of ``path``) and its source; both immutable in
    use, so a cached pair is shared."""
    source = parse_source(path, raw)
    try:
        playbook = Playbook.model_validate(source.data)
    except ValidationError as error:
        raise explain(error, source) from None
    if playbook.id != path.stem:
        raise PlaybookError(
            f'id: "{playbook.id}" does not match the file name; '
            f"use id: {path.stem}, or rename the file to {playbook.id}{path.suffix}",
            path=path,
            line=source.line_of(("id",)),
        )
    return playbook, source


def _check_together(playbooks: dict[str, Playbook], sources: list[Source]) -> list[PlaybookError]:
    """What spans plans: the plan a move names exists and takes what is carried to it,
    and a fact or follow-up id two plans share means the same in both. At most one error
    per file."""
    errors: list[PlaybookError] = []
    for source in sources:
        playbook = playbooks[str(source.data.get("id"))]
        try:
            rules.check_moves(playbook, playbooks)
            rules.check_shared_facts(playbook, playbooks)
            rules.check_shared_follow_ups(playbook, playbooks)
        except PydanticCustomError as error:
            context = error.context or {}
            at = tuple(context.get("at", ()))
            name = source.describe(at)
            message = str(context.get("message", error.message()))
            errors.append(
                PlaybookError(
                    f"{name}: {message}" if name else message,
                    path=source.path,
                    line=source.line_of(at),
                )
            )
    return errors


def _check_unique(playbook: Playbook, source: Source, seen: dict[str, Playbook]) -> None:
    """Two files with one id (``x.yaml`` and ``x.yml``) would shadow each other."""
    if playbook.id in seen:
        raise PlaybookError(
            f'id: "{playbook.id}" is already used by another file in this directory',
            path=source.path,
            line=source.line_of(("id",)),
        )


def _directory_files(directory: Path) -> list[Path]:
    """Playbook files in name order; hidden files (editor backups) are skipped."""
    if not directory.is_dir():
        raise PlaybookError("not a directory", path=directory)
    try:
        files = sorted(
            path
            for path in directory.iterdir()
            if path.suffix in SUFFIXES and not path.name.startswith(".") and path.is_file()
        )
    except OSError as exc:
        message = f"cannot read the directory: {exc.strerror or exc}"
        raise PlaybookError(message, path=directory) from None
    if not files:
        raise PlaybookError("no playbooks (*.yaml or *.yml) in this directory", path=directory)
    return files
