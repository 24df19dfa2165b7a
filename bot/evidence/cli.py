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
import sys
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from bot.clock import SystemClock
from bot.errors import ExitCode, InputError, StoreFailure
from bot.events import ExportVia, append_event
from bot.evidence import EvidenceError
from bot.evidence.csvexport import render_csv
from bot.evidence.exports import covered_by, exported
from bot.evidence.jsonexport import render_json
from bot.evidence.register import (
    Entry,
    register_entry,
    render_register_csv,
    render_register_pdf,
)
from bot.evidence.source import Evidence, UnknownIncident, read_evidence
from bot.evidence.texts import say
from bot.evidence.verify import load_export, verify_document
from bot.intents import normalise_incident_id
from bot.messages import Lang
from bot.organisation import Organisations
from bot.playbook import Playbook
from bot.ports import Incident, Store

STDOUT = Path("-")


class Format(StrEnum):
    PDF = "pdf"
    JSON = "json"
    CSV = "csv"


def render(evidence: Evidence, fmt: Format, *, font_dir: Path | None = None) -> bytes:
    """The file's bytes; the chat's "export" can call this with what ``read_evidence`` gave."""
    if fmt is Format.PDF:
        from bot.evidence.pdf import render_pdf  # fpdf2 and its fonts: only when asked for

        return render_pdf(evidence.timeline, font_dir=font_dir)
    if fmt is Format.JSON:
        return render_json(evidence.events, timeline=evidence.timeline)
    return render_csv(evidence.timeline)


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
    target = out or Path(f"{incident_id}.{fmt.value}")
    path: Path | None = None
    try:
        async with store.transaction() as tx:
            incident = await tx.get_incident(incident_id, lock=True)  # one at a time
            if incident and org_id is not None and not _owned(organisations, incident, org_id):
                raise UnknownIncident(
                    f"there is no incident {incident_id} in organisation {org_id}"
                )
            evidence = await read_evidence(
                tx,
                incident_id,
                organisations=organisations,
                playbooks=playbooks,
                generated_at=generated_at,
                lang=lang,
                generated_by=operator,
            )
            data = render(evidence, fmt, font_dir=font_dir)
            path = _write(target, data)
            await append_event(
                tx,
                incident_id,
                exported(fmt=fmt.value, via=ExportVia.CLI, covered=covered_by(evidence.events)),
                at=generated_at,
                actor=f"cli:{operator}",
                actor_name=operator,
            )
    except StoreFailure:
        if path is not None and path != STDOUT:
            path.unlink(missing_ok=True)  # not recorded, so not handed out either
        raise
    events = evidence.events
    _status(f"{path}: {len(events)} events, final hash {events[-1].hash}", to_stderr=out == STDOUT)
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
