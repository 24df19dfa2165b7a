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

import getpass
import logging
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from bot.clock import SystemClock
from bot.errors import ExitCode, InputError
from bot.events import ExportVia, append_event
from bot.evidence import EvidenceError
from bot.evidence.csvexport import render_csv
from bot.evidence.drawing import IN_THREAD, Drawer, Drawing, Plan
from bot.evidence.drawing import Format as Format  # the commands name it from here
from bot.evidence.exports import Covered, exported
from bot.evidence.jsonexport import render_json
from bot.evidence.register import (
    Entry,
    register_entry,
    render_register_csv,
    render_register_pdf,
)
from bot.evidence.source import Evidence, UnknownIncident, plans_of, read_evidence
from bot.evidence.texts import say
from bot.evidence.verify import load_export, verify_document
from bot.intents import normalise_incident_id
from bot.messages import Lang
from bot.organisation import DEFAULT_ORGANISATION, Organisations
from bot.playbook import Playbook
from bot.ports import Event, Incident, Store, Transaction

STDOUT = Path("-")
CHUNK = 1000  # events read, held and drawn at a time
log = logging.getLogger(__name__)


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
    drawer: Drawer = IN_THREAD,
) -> Covered:
    """The file written to ``out`` as the timeline is streamed from ``tx`` (a transaction
    or a snapshot, so every read sees the same events), ``CHUNK`` events at a time, each
    chunk drawn where ``drawer`` runs its drawings, so the event loop keeps serving and no
    more than a chunk of events is held. A first read folds the summary and checks the
    chain (the JSON spools its events meanwhile); the PDF and CSV draw their lines from a
    second one. Returns what the file covers.

    A chain that does not verify gives no PDF or CSV (``EvidenceError`` naming the first
    break): people would read and hand on a file whose hash proves nothing. The JSON is
    still written, as stored: it is what ``verify`` and an investigator examine."""
    playbook, organisation = await plans_of(
        tx, incident_id, organisations=organisations, playbooks=playbooks
    )
    plan = Plan(
        fmt=fmt,
        playbook=playbook,
        tz=organisation.tz,
        lang=lang,
        organisation=None if organisation is DEFAULT_ORGANISATION else organisation.name,
        generated_at=generated_at,
        generated_by=generated_by,
        font_dir=font_dir,
    )
    async with drawer.drawing(plan, out) as job:
        async for events in tx.iter_events(incident_id, chunk=CHUNK):
            await job.call(Drawing.fold, events)
        folded = await job.call(Drawing.folded)
        if folded.broken is not None:
            broken = f"the timeline of {incident_id} is not intact: {folded.broken}"
            if fmt is not Format.JSON:
                raise EvidenceError(
                    f"{broken}; no {fmt.value} is made of it. The JSON export (--format json) "
                    "keeps it as stored, for verify"
                )
            log.warning("%s; exporting it as stored", broken)
        if fmt is not Format.JSON:
            async for events in _read_again(tx, incident_id, folded.count):
                await job.call(Drawing.draw, events)
        await job.call(Drawing.finish)
    return folded.covered


async def _read_again(tx: Transaction, incident_id: str, count: int) -> AsyncIterator[list[Event]]:
    """The first ``count`` events again, ``CHUNK`` at a time (one appended since the first
    read, outside a snapshot, is left out); ``EvidenceError`` if there are fewer."""
    read = 0
    async for chunk in tx.iter_events(incident_id, chunk=CHUNK):
        chunk = chunk[: count - read]
        read += len(chunk)
        if chunk:
            yield chunk
        if read == count:
            return
    raise EvidenceError(f"the timeline of {incident_id} changed while it was read")


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
