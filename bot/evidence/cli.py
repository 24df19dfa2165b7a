"""The evidence commands behind ``python app.py export | verify | register``.

Like ``app.py`` this layer wires things together (it opens the store), so the rest of the
package stays free of ``storage``. Every failure a person can cause ends as one line on
stderr and an exit code, never a traceback:

    0  done (verify: intact)
    1  the answer is no: unknown incident (export), altered file (verify)
    2  cannot run: bad configuration, no database, unreadable file, missing fonts
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings, SettingsError
from bot.evidence import EvidenceError
from bot.evidence.csvexport import render_csv
from bot.evidence.exports import EXPORTED, ExportVia, covered_by, export_data
from bot.evidence.jsonexport import render_json
from bot.evidence.register import (
    Entry,
    register_entry,
    render_register_csv,
    render_register_pdf,
)
from bot.evidence.source import Evidence, UnknownIncident, read_evidence
from bot.evidence.verify import load_export, verify_document
from bot.flows.incidents import normalise_incident_id
from bot.messages import Lang
from bot.organisation import Organisations
from bot.playbook import Playbook, PlaybookError, load_playbooks
from bot.ports import Incident
from storage import SqlStore, StoreError, create_store

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
    *,
    database_url: str,
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
) -> int:
    """Writes the file and records the export on the timeline, as the chat does: the
    file is written inside the transaction, so an export that failed is not recorded.
    With ``org_id`` only an incident of that organisation (another's is "no incident")."""
    incident_id = normalise_incident_id(incident_id)
    generated_at = now or SystemClock().now()
    operator = by or _operator()
    target = out or Path(f"{incident_id}.{fmt.value}")
    path: Path | None = None
    try:
        store = await _open(database_url)
        try:
            async with store.transaction() as tx:
                incident = await tx.get_incident(incident_id, lock=True)  # one at a time
                if (
                    incident is not None
                    and org_id is not None
                    and not _owned(organisations, incident, org_id)
                ):
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
                await tx.append_event(
                    incident_id=incident_id,
                    at=generated_at,
                    actor=f"cli:{operator}",
                    actor_name=operator,
                    kind=EXPORTED,
                    data=export_data(
                        fmt=fmt.value, via=ExportVia.CLI, covered=covered_by(evidence.events)
                    ),
                )
        except StoreError:
            if path is not None and path != STDOUT:
                path.unlink(missing_ok=True)  # not recorded, so not handed out either
            raise
        finally:
            await store.close()
    except UnknownIncident as exc:
        return _fail(str(exc), 1)
    except (EvidenceError, StoreError) as exc:
        return _fail(str(exc), 2)
    events = evidence.events
    _status(f"{path}: {len(events)} events, final hash {events[-1].hash}", to_stderr=out == STDOUT)
    return 0


def verify_command(path: Path) -> int:
    try:
        verdict = verify_document(load_export(path))
    except EvidenceError as exc:
        return _fail(f"{path}: {exc}" if not str(exc).startswith(str(path)) else str(exc), 2)
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
        return 0 if not verdict.unmatched else 1
    return 1


async def register_command(
    *,
    database_url: str,
    organisations: Organisations,
    playbooks: Mapping[str, Playbook],
    fmt: Format,
    out: Path | None,
    lang: Lang | None = None,
    org_id: str | None = None,
    now: datetime | None = None,
    font_dir: Path | None = None,
) -> int:
    """Every incident (of one organisation with ``org_id``) into the breach register."""
    if fmt is Format.JSON:
        return _fail("the register is written as csv or pdf", 2)
    organisation = organisations.get(org_id) if org_id else organisations.default
    if organisation is None:
        return _fail(f"no organisation {org_id!r} in the organisation config", 2)
    language: Lang = lang or organisation.language
    generated_at = now or SystemClock().now()
    entries: list[Entry] = []
    try:
        store = await _open(database_url)
        try:
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
        finally:
            await store.close()
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
        name = "datalekregister" if language == "nl" else "breach-register"
        path = _write(out or Path(f"{name}.{fmt.value}"), data)
    except (EvidenceError, StoreError) as exc:
        return _fail(str(exc), 2)
    noun = "incident" if len(entries) == 1 else "incidents"
    _status(f"{path}: {len(entries)} {noun}", to_stderr=out == STDOUT)
    return 0


def export_main(
    env: Mapping[str, str],
    *,
    incident_id: str,
    fmt: str,
    out: Path | None,
    lang: Lang | None,
    organisations: Organisations,
    org_id: str | None,
    by: str | None = None,
) -> int:
    """``app.py export``: reads the configuration from ``env`` like the server does."""
    loaded = _configuration(env)
    if isinstance(loaded, int):
        return loaded
    settings, playbooks = loaded
    return asyncio.run(
        export_command(
            database_url=settings.database_url,
            organisations=organisations,
            playbooks=playbooks,
            incident_id=incident_id,
            fmt=Format(fmt),
            out=out,
            lang=lang,
            by=by,
            org_id=org_id,
        )
    )


def register_main(
    env: Mapping[str, str],
    *,
    fmt: str,
    out: Path | None,
    lang: Lang | None,
    organisations: Organisations,
    org_id: str | None,
) -> int:
    """``app.py register``: reads the configuration from ``env`` like the server does."""
    loaded = _configuration(env)
    if isinstance(loaded, int):
        return loaded
    settings, playbooks = loaded
    return asyncio.run(
        register_command(
            database_url=settings.database_url,
            organisations=organisations,
            playbooks=playbooks,
            fmt=Format(fmt),
            out=out,
            lang=lang,
            org_id=org_id,
        )
    )


def _configuration(env: Mapping[str, str]) -> tuple[Settings, dict[str, Playbook]] | int:
    try:
        settings = Settings.from_env(env)
        return settings, load_playbooks(settings.playbooks_dir)
    except (SettingsError, PlaybookError) as exc:
        return _fail(str(exc), 2)


def _owned(organisations: Organisations, incident: Incident, org_id: str) -> bool:
    owner = organisations.owner_of(incident)  # not the default for an orphan: no one's
    return owner is not None and owner.id == org_id


async def _open(database_url: str) -> SqlStore:
    # A typo in DATABASE_URL must read as "no such database", not "no such incident".
    return await create_store(database_url, must_exist=True)


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


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
