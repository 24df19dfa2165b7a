"""Drawing one export's file from its events, wherever that runs.

An export reads the timeline twice, a chunk at a time, from one transaction or snapshot
(``cli.write_export``); what it does with each chunk is a step of one ``Drawing``: the first
read folds the summary and re-checks the chain (``fold``; the JSON spools its events
meanwhile), the second draws the PDF's or CSV's lines (``draw``), then ``finish``. A
``Drawer`` says where the steps run: ``IN_THREAD`` (a thread of this process: the command
line) or ``bot.evidence.workers.DrawingProcesses`` (a worker process: the chat, so the event
loop's process keeps the GIL). Both run the same steps on the same events, so the bytes are
the same; a step gets and gives plain data (``Plan``, events, ``Folded``), which a process
boundary can carry.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Concatenate, ParamSpec, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.evidence.csvexport import CsvWriter
from bot.evidence.exports import Covered
from bot.evidence.jsonexport import JsonWriter
from bot.evidence.model import Timeline
from bot.evidence.source import ChainCheck
from bot.evidence.timeline import EventLines, TimelineFold
from bot.messages import Lang
from bot.playbook import Playbook
from bot.ports import Event

if TYPE_CHECKING:
    from bot.evidence.pdf import PdfWriter

P = ParamSpec("P")
R = TypeVar("R")


class Format(StrEnum):
    PDF = "pdf"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a drawing needs besides the events."""

    fmt: Format
    playbook: Playbook  # the incident's plans, combined
    tz: ZoneInfo
    lang: Lang | None
    organisation: str | None  # None: the built-in organisation, which the file does not name
    generated_at: datetime
    generated_by: str
    font_dir: Path | None


@dataclass(frozen=True, slots=True)
class Folded:
    """What the first read found: what the file covers, and the chain's first break."""

    covered: Covered
    count: int
    broken: str | None


class Drawing:
    """One export's file as it is made: ``fold`` every chunk of the first read, then
    ``folded``, then ``draw`` every chunk of the second read (PDF, CSV), then ``finish``.
    Writes the file to ``out`` as it goes; holds the fold and the writer, not the events."""

    def __init__(self, plan: Plan, out: BinaryIO) -> None:
        self.plan = plan
        self._out = out
        self._check = ChainCheck()
        self._fold: TimelineFold | None = None
        self._spool = JsonWriter(out) if plan.fmt is Format.JSON else None
        self._timeline: Timeline | None = None
        self._lines: EventLines | None = None
        self._drawn: PdfWriter | CsvWriter | None = None

    def fold(self, events: list[Event]) -> None:
        plan = self.plan
        for event in events:
            if self._fold is None:
                self._fold = TimelineFold(event, playbook=plan.playbook, tz=plan.tz, lang=plan.lang)
            self._check.add(event)
            self._fold.add(event)
        if self._spool is not None:
            self._spool.add(events)

    def folded(self) -> Folded:
        fold = self._folded()
        timeline = self._timeline = fold.timeline(
            organisation=self.plan.organisation,
            generated_at=self.plan.generated_at,
            generated_by=self.plan.generated_by,
        )
        return Folded(
            covered=Covered(seq=timeline.final_seq, hash=timeline.final_hash),
            count=timeline.event_count,
            broken=self._check.broken,
        )

    def draw(self, events: list[Event]) -> None:
        drawn, lines = self._writer()
        drawn.add([lines.line(event) for event in events])

    def finish(self) -> None:
        if self._spool is not None:
            self._spool.finish(timeline=self._summary(), first=self._folded().first)
            return
        drawn, _ = self._writer()
        if not isinstance(drawn, CsvWriter):  # the PDF is whole only at the end
            self._out.write(drawn.finish())

    def _folded(self) -> TimelineFold:
        if self._fold is None:
            raise RuntimeError("no events were folded")  # write_export folds first, always
        return self._fold

    def _summary(self) -> Timeline:
        if self._timeline is None:
            raise RuntimeError("folded() comes before the lines")
        return self._timeline

    def _writer(self) -> tuple[PdfWriter | CsvWriter, EventLines]:
        if self._drawn is None or self._lines is None:
            timeline = self._summary()
            if self.plan.fmt is Format.PDF:
                from bot.evidence.pdf import PdfWriter  # fpdf2 and its fonts: only when asked

                self._drawn = PdfWriter(timeline, font_dir=self.plan.font_dir)
            else:
                self._drawn = CsvWriter(self._out, timeline=timeline)
            self._lines = EventLines(
                playbook=self.plan.playbook,
                tz=timeline.tz,
                lang=timeline.lang,
                reported_at=self._folded().first.at,
            )
        return self._drawn, self._lines


class Job(Protocol):
    """One drawing under way, wherever it runs: ``call`` runs one of its steps there."""

    async def call(
        self, step: Callable[Concatenate[Drawing, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R: ...


class Drawer(Protocol):
    """Where drawings run; ``drawing`` opens one for the file written to ``out``."""

    def drawing(self, plan: Plan, out: BinaryIO) -> AbstractAsyncContextManager[Job]: ...


class InThread:
    """Each step in a thread of this process, so the event loop is not blocked (it still
    shares the GIL with it): the command line, which serves no one meanwhile."""

    @asynccontextmanager
    async def drawing(self, plan: Plan, out: BinaryIO) -> AsyncIterator[Job]:
        yield _Local(Drawing(plan, out))


class _Local:
    def __init__(self, drawing: Drawing) -> None:
        self._drawing = drawing

    async def call(
        self, step: Callable[Concatenate[Drawing, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        return await asyncio.to_thread(step, self._drawing, *args, **kwargs)


IN_THREAD = InThread()
