"""The evidence commands behind ``python app.py export | verify | register``.

Only the command logic: ``app.py`` (the one composition root) reads the settings, loads the
organisations and playbooks, opens the store and hands them in. A failure a person can
cause is raised as a ``NoodremError``, which ``app.py`` prints as one line on stderr and
turns into the exit code of ``bot.errors.outcome``:

    0  done (verify: intact)
    1  the answer is no: unknown incident (export), altered file (verify)
    2  cannot run: bad configuration, no database, unreadable file, missing fonts
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from bot.clock import SystemClock
from bot.errors import ExitCode, InputError
from bot.events import ExportVia, append_event
from bot.evidence import EvidenceError
from bot.evidence.csvexport import CsvWriter, render_csv
from bot.evidence.exports import Covered, exported
from bot.evidence.jsonexport import JsonWriter, render_json
from bot.evidence.register import (
    Entry,
    register_entry,
    render_register_csv,
    render_register_pdf,
)
from bot.evidence.source import Evidence, UnknownIncident, read_evidence, stream_evidence
from bot.evidence.texts import say
from bot.evidence.verify import load_export, verify_document
from bot.intents import normalise_incident_id
from bot.messages import Lang
from bot.organisation import Organisations
from bot.playbook import Playbook
from bot.ports import Event, Incident, Store, Transaction

if TYPE_CHECKING:
    from bot.evidence.pdf import PdfWriter

STDOUT = Path("-")
log = logging.getLogger(__name__)


class Format(StrEnum):
    PDF = "pdf"
    JSON = "json"
    CSV = "csv"


def render(evidence: Evidence, fmt: Format, *, font_dir: Path | None = None) -> bytes:
    """The file's bytes from what ``read_evidence`` gave (every event in memory)."""
    if fmt is Format.PDF:
        from bot.evidence.pdf import render_pdf  # fpdf2 and its fonts: only when asked for

        return render_pdf(evidence.timeline, font_dir=font_dir)
    if fmt is Format.JSON:
        return render_json(evidence.events, timeline=evidence.timeline)
    return render_csv(evidence.timeline)


async def write_export(
    tx: Transaction,
    incident_id: str,
    fmt: Format,
    out: BinaryIO,
    *,
    organisations: Organisations,
    playbooks: Mapping[str, Playbook],
    generated_at: datetime,
    lang: Lang | None = None,
    generated_by: str = "",
    font_dir: Path | None = None,
) -> Covered:
    """The file written to ``out`` as the timeline is streamed from ``tx`` (a transaction
    or a snapshot, so every read sees the same events): a chunk at a time, the work of each
    in a thread, so the event loop keeps serving and no more than a chunk of events is
    held. The JSON needs one read (its events are spooled while the head is folded), the
    PDF and CSV a second one for their lines. Returns what the file covers.

    A chain that does not verify gives no PDF or CSV (``EvidenceError`` naming the first
    break): people would read and hand on a file whose hash proves nothing. The JSON is
    still written, as stored: it is what ``verify`` and an investigator examine."""
    spool = JsonWriter(out) if fmt is Format.JSON else None
    streamed = await stream_evidence(
        tx,
        incident_id,
        organisations=organisations,
        playbooks=playbooks,
        generated_at=generated_at,
        lang=lang,
        generated_by=generated_by,
        also=None if spool is None else spool.add,
    )
    timeline = streamed.timeline
    if not streamed.chain.intact:
        broken = f"the timeline of {timeline.incident_id} is not intact: {streamed.chain.broken}"
        if spool is None:
            raise EvidenceError(
                f"{broken}; no {fmt.value} is made of it. The JSON export (--format json) "
                "keeps it as stored, for verify"
            )
        log.warning("%s; exporting it as stored", broken)
    if spool is not None:
        await asyncio.to_thread(spool.finish, timeline=timeline, first=streamed.first)
        return streamed.covered
    drawn: PdfWriter | CsvWriter
    if fmt is Format.PDF:
        from bot.evidence.pdf import PdfWriter  # fpdf2 and its fonts: only when asked for

        drawn = await asyncio.to_thread(PdfWriter, timeline, font_dir=font_dir)
    else:
        drawn = CsvWriter(out, timeline=timeline)
    lines = streamed.line_maker()

    def draw(events: list[Event]) -> None:
        drawn.add([lines.line(event) for event in events])

    async for events in streamed.events():
        await asyncio.to_thread(draw, events)
    if not isinstance(drawn, CsvWriter):  # the PDF is whole only at the end
        out.write(await asyncio.to_thread(drawn.finish))
    return streamed.covered


async def export_command(
    store: Store,
    *,
    organisations: Organisations,
    playbooks: Mapping[str, Playbook],
    incident_id: str,
    fmt: Format,
    out: Path | None,
    lang: Lang | None = None,
    now: datetime | None = None,
    font_dir: Path | None = None,
    by: str | None = None,
    org_id: str | None = None,
) -> ExitCode:
    """Writes the file and records the export on the timeline, as the chat does: the
    file is written inside the transaction, so an export that failed is not recorded.
    With ``org_id`` only an incident of that organisation (another's is "no incident").
    Raises ``UnknownIncident``, ``EvidenceError`` or ``StoreFailure``."""
    incident_id = normalise_incident_id(incident_id)
    generated_at = now or SystemClock().now()
    operator = by or _operator()
    path = out or Path(f"{incident_id}.{fmt.value}")
    written = False
    try:
        async with store.transaction() as tx:
            incident = await tx.get_incident(incident_id, lock=True)  # one at a time
            if incident and org_id is not None and not _owned(organisations, incident, org_id):
                raise UnknownIncident(
                    f"there is no incident {incident_id} in organisation {org_id}"
                )
            with _opened(path) as target:
                written = path != STDOUT
                covered = await write_export(
                    tx,
                    incident_id,
                    fmt,
                    target,
                    organisations=organisations,
                    playbooks=playbooks,
                    generated_at=generated_at,
                    lang=lang,
                    generated_by=operator,
                    font_dir=font_dir,
                )
            await append_event(
                tx,
                incident_id,
                exported(fmt=fmt.value, via=ExportVia.CLI, covered=covered),
                at=generated_at,
                actor=f"cli:{operator}",
                actor_name=operator,
            )
    except BaseException:
        if written:
            path.unlink(missing_ok=True)  # not recorded (or not whole), so not handed out
        raise
    _status(f"{path}: {covered.seq} events, final hash {covered.hash}", to_stderr=out == STDOUT)
    return ExitCode.OK


def verify_command(path: Path) -> ExitCode:
    """Raises ``EvidenceError`` (naming ``path``) for a file that is no export."""
    try:
        verdict = verify_document(load_export(path))
    except EvidenceError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise EvidenceError(f"{path}: {exc}") from None
    print(verdict.message)
    if verdict.intact:
        exports = verdict.export_lines()
        if exports:
            print(f"earlier exports recorded in this chain ({len(exports)}):")
            print("\n".join(f"  {line}" for line in exports))
        print(
            "Compare the hash on the PDF with the final hash above or with an earlier "
            "export's hash: a chain proves itself consistent, not that nobody rebuilt it "
            "from scratch."
        )
        return ExitCode.OK if not verdict.unmatched else ExitCode.NO
    return ExitCode.NO


async def register_command(
    store: Store,
    *,
    organisations: Organisations,
    playbooks: Mapping[str, Playbook],
    fmt: Format,
    out: Path | None,
    lang: Lang | None = None,
    org_id: str | None = None,
    now: datetime | None = None,
    font_dir: Path | None = None,
) -> ExitCode:
    """Every incident (of one organisation with ``org_id``) into the breach register."""
    if fmt is Format.JSON:
        raise InputError("the register is written as csv or pdf")
    organisation = organisations.get(org_id) if org_id else organisations.default
    if organisation is None:
        raise InputError(f"no organisation {org_id!r} in the organisation config")
    language: Lang = lang or organisation.language
    generated_at = now or SystemClock().now()
    entries: list[Entry] = []
    async with store.transaction() as tx:
        ids = [incident.id for incident in await tx.incidents()]
    for incident_id in ids:
        async with store.transaction() as tx:
            incident = await tx.get_incident(incident_id)
            if incident is None or (org_id and not _owned(organisations, incident, org_id)):
                continue
            evidence = await read_evidence(
                tx,
                incident_id,
                organisations=organisations,
                playbooks=playbooks,
                generated_at=generated_at,
                lang=language,
            )
        entries.append(register_entry(evidence.timeline))
    if fmt is Format.CSV:
        data = render_register_csv(entries, lang=language)
    else:
        data = render_register_pdf(
            entries,
            lang=language,
            generated_at=generated_at,
            tz=organisation.tz,
            font_dir=font_dir,
        )
    name = say("register_file", language)
    path = _write(out or Path(f"{name}.{fmt.value}"), data)
    noun = "incident" if len(entries) == 1 else "incidents"
    _status(f"{path}: {len(entries)} {noun}", to_stderr=out == STDOUT)
    return ExitCode.OK


def _owned(organisations: Organisations, incident: Incident, org_id: str) -> bool:
    owner = organisations.owner_of(incident)  # not the default for an orphan: no one's
    return owner is not None and owner.id == org_id


def _operator() -> str:
    """Who ran the command, as the evidence names them: the login name, or "cli"."""
    try:
        return getpass.getuser() or "cli"
    except (OSError, KeyError):  # no login name (a container without /etc/passwd entry)
        return "cli"


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """``path`` to write the file into as it is made (``-``: standard output)."""
    if path == STDOUT:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    try:
        file = path.open("wb")
    except OSError as exc:
        raise EvidenceError(f"cannot write {path}: {exc.strerror}") from None
    with file:
        try:
            yield file
        except OSError as exc:
            raise EvidenceError(f"cannot write {path}: {exc.strerror}") from None


def _write(path: Path, data: bytes) -> Path:
    if path == STDOUT:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return path
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise EvidenceError(f"cannot write {path}: {exc.strerror}") from None
    return path


def _status(line: str, *, to_stderr: bool) -> None:
    print(line, file=sys.stderr if to_stderr else sys.stdout)
