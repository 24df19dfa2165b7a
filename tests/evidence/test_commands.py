"""``python app.py export | verify | register`` as a person runs them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from app import main as app_main
from bot.evidence.cli import Format, export_command, register_command, verify_command
from bot.evidence.source import UnknownIncident
from bot.organisation_file import load_organisations
from bot.playbook import load_playbooks
from bot.ports import Incident, IncidentStatus
from storage import SqlStore
from tests.evidence import scenario
from tests.evidence.chains import ROOT, Item, assessed, incident_items
from tests.evidence.conftest import GENERATED, pdf_pages
from tests.evidence.scenario import Recorded


async def test_export_writes_each_format_and_the_json_verifies(
    recorded: Recorded, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = recorded.app.runtime
    async with runtime.require_store().transaction() as tx:
        before = len(await tx.get_events(recorded.incident_id))
    sizes = {}
    for number, fmt in enumerate(Format):
        out = tmp_path / f"file.{fmt.value}"
        code = await export_command(
            runtime.require_store(),
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            incident_id=recorded.incident_id.lower().replace("-", " "),  # as typed
            fmt=fmt,
            out=out,
            now=GENERATED,
        )
        assert code == 0
        sizes[fmt] = out.stat().st_size
        # each CLI export is recorded, so the next one covers one event more
        assert capsys.readouterr().out.startswith(f"{out}: {before + number} events, final hash ")
    assert all(sizes.values())
    assert verify_command(tmp_path / "file.json") == 0
    said = capsys.readouterr().out
    assert said.startswith(f"intact: {before + 1} events")
    assert "earlier exports recorded in this chain (1):" in said  # the PDF, before the JSON
    async with recorded.app.runtime.require_store().transaction() as tx:
        events = await tx.get_events(recorded.incident_id)
    exports = [e for e in events if e.kind == "evidence_exported"]
    assert [e.data["format"] for e in exports] == ["pdf", "json", "csv"]
    assert all(e.data["via"] == "cli" for e in exports)
    pdf_export = exports[0]
    last = events[before - 1]
    assert pdf_export.data["covers_seq"] == before and pdf_export.data["final_hash"] == last.hash
    assert f"covers event {before}, hash {last.hash}" in said
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes((tmp_path / "file.json").read_bytes().replace(b"RABO-2026", b"RABO-2027"))
    assert verify_command(tampered) == 1
    changed = next(e for e in events if "RABO-2026" in json.dumps(e.data))
    assert f"NOT intact (changed): event {changed.seq} ({changed.kind}" in capsys.readouterr().out


async def test_export_errors_are_one_line(
    store: SqlStore,
    database_url: str,
    make_incident: Callable[..., Incident],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await store_incident(store, make_incident("NR-CCCCCC"), incident_items())
    monkeypatch.setenv("ORGANISATION_FILE", scenario.ORG)
    monkeypatch.setenv("PLAYBOOKS_DIR", str(ROOT / "playbooks"))

    async def export(url: str, incident_id: str, *out: str) -> int:
        monkeypatch.setenv("DATABASE_URL", url)
        return await asyncio.to_thread(app_main, ["export", incident_id, *out])

    assert await export(database_url, "NR-ZZZZZZ") == 1
    assert capsys.readouterr().err == "error: there is no incident NR-ZZZZZZ\n"
    missing = f"sqlite+aiosqlite:///{tmp_path / 'nowhere.db'}"
    assert await export(missing, "NR-ZZZZZZ") == 2
    assert "there is no database at" in capsys.readouterr().err
    assert not (tmp_path / "nowhere.db").exists()
    unwritable = tmp_path / "no" / "such" / "dir.pdf"
    assert await export(database_url, "NR-CCCCCC", "-o", str(unwritable)) == 2
    assert "cannot write" in capsys.readouterr().err
    with pytest.raises(UnknownIncident):  # what the command raises, for the table to map
        await export_command(
            store,
            organisations=load_organisations(Path(scenario.ORG)),
            playbooks=load_playbooks(ROOT / "playbooks"),
            incident_id="NR-ZZZZZZ",
            fmt=Format.PDF,
            out=None,
        )


async def test_app_py_export_reads_its_settings_from_the_environment(
    recorded: Recorded,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ORGANISATION_FILE", scenario.ORG)
    monkeypatch.setenv("PLAYBOOKS_DIR", str(ROOT / "playbooks"))
    out = tmp_path / "export.pdf"
    argv = ["export", recorded.incident_id, "--format", "pdf", "-o", str(out), "--lang", "en"]
    assert await asyncio.to_thread(app_main, argv) == 0
    pages = pdf_pages(out.read_bytes(), tmp_path)
    assert "Evidence file" in pages[0] and scenario.POLICE_REPORT in pages[0]
    assert f"page 1 of {len(pages)}" in pages[0]
    text = "\n".join(pages)  # the Dutch answers, said in English
    assert "€12,500.00" in text and "Invoice with a different account number" in text
    assert "not assessed yet" in text and "15 min late" in text


async def store_incident(store: SqlStore, incident: Incident, items: list[Item]) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(incident)
        for offset, name, kind, data in items:
            await tx.append_event(
                incident_id=incident.id,
                at=incident.reported_at + offset,
                actor=f"web:acme:{name.lower()}",
                actor_name=name,
                kind=kind,
                data=data,
            )


async def test_register_lists_every_incident_assessed_or_not(
    store: SqlStore,
    database_url: str,
    make_incident: Callable[..., Incident],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = make_incident("NR-AAAAAA", status=IncidentStatus.CANCELLED)
    second = make_incident("NR-BBBBBB")
    second = replace(second, reported_at=first.reported_at.replace(day=22))
    await store_incident(store, first, incident_items(extra=[assessed(notify=False)]))
    await store_incident(store, second, incident_items())
    register = partial(
        register_command,
        store,
        organisations=load_organisations(Path(scenario.ORG)),
        playbooks=load_playbooks(ROOT / "playbooks"),
        now=GENERATED,
    )
    out = tmp_path / "register.csv"
    assert await register(fmt=Format.CSV, out=out) == 0
    assert capsys.readouterr().out == f"{out}: 2 incidents\n"
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig")), delimiter=";"))
    assert [row["Incidentnummer"] for row in rows] == ["NR-AAAAAA", "NR-BBBBBB"]
    assert rows[0]["Besluit"] == (  # an event from before the states: "no" reads as that
        "besloten niet te melden bij de AP. alleen zakelijke contactgegevens, geen risico"
    )
    assert rows[0]["Van wie"] == "klanten (ongeveer 250)"
    assert rows[0]["Gevolgen"] == "risico; zij worden niet geïnformeerd"
    assert "wachtwoorden gewijzigd" in rows[0]["Genomen maatregelen"]
    assert rows[1]["Besluit"] == "nog niet beoordeeld" and rows[1]["Welke gegevens"] == "—"
    assert "€ 12.500,00" in rows[1]["Wat er gebeurde"]

    pdf = tmp_path / "register.pdf"
    assert await register(fmt=Format.PDF, out=pdf, lang="en") == 0
    text = "\n".join(pdf_pages(pdf.read_bytes(), tmp_path))
    assert "Breach register" in text and "NR-AAAAAA" in text and "NR-BBBBBB" in text
    assert "not assessed yet" in text and "decided not to notify the AP" in text

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ORGANISATION_FILE", scenario.ORG)
    monkeypatch.setenv("PLAYBOOKS_DIR", str(ROOT / "playbooks"))
    argv = ["register", "-o", str(out), "--org", "nope"]
    assert await asyncio.to_thread(app_main, argv) == 2
    assert (
        capsys.readouterr().err == "error: no organisation 'nope'; 'app.py org list' shows them\n"
    )
