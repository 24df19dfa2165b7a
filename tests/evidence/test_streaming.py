"""Exports stream the timeline: a chunk at a time from one snapshot, the chain checked as
it goes, the JSON byte for byte what the in-memory export wrote, the page totals right.

``tests/fixtures/exports/paid-fraudster.json`` is the JSON export of the recorded fixture
chain (``tests/fixtures/chains``) as the export wrote it before it streamed (main at
33c8f02, every event in memory): the incident row and ``GENERATED`` below, the default
organisation, the playbooks of this repository. Re-record it only if a playbook's texts
that the head repeats (the title) change, never to make the streamed export pass.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.chain import parse_utc
from bot.evidence import EvidenceError
from bot.evidence.cli import Format, _read_again, write_export
from bot.evidence.jsonexport import render_json
from bot.evidence.pdfbase import EvidencePdf
from bot.evidence.source import read_evidence
from bot.evidence.verify import Problem, verify_document
from bot.organisation import DEFAULT_ORGANISATION, Organisations
from bot.playbook import Playbook, load_playbooks
from bot.ports import Incident, IncidentStatus
from storage import SqlStore
from tests.evidence.chain_fixture import FIXTURE

ROOT = Path(__file__).resolve().parent.parent.parent
EXPORTED = ROOT / "tests" / "fixtures" / "exports" / "paid-fraudster.json"
GENERATED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ORGANISATIONS = Organisations([DEFAULT_ORGANISATION])


@pytest.fixture(scope="module")
def playbooks() -> dict[str, Playbook]:
    return load_playbooks(ROOT / "playbooks")


@pytest.fixture(scope="module")
def recorded() -> list[dict[str, Any]]:
    chain: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return chain


async def load(store: SqlStore, chain: list[dict[str, Any]]) -> str:
    """The fixture chain appended to ``store`` as recorded (the same hashes)."""
    first = chain[0]
    async with store.transaction() as tx:
        await tx.create_incident(
            Incident(
                id=first["incident_id"], tenant_id="default", playbook_id="paid-fraudster",
                lang="nl", status=IncidentStatus.OPEN, reported_at=parse_utc(first["at"]),
                reported_by=first["actor"], reporter_name=first["actor_name"],
                lead=first["actor"],
                conversation={"channel": "web", "tenant_id": "default", "conversation_id": "c"},
            )
        )  # fmt: skip
        for e in chain:
            event = await tx.append_event(
                incident_id=e["incident_id"], at=parse_utc(e["at"]), actor=e["actor"],
                actor_name=e["actor_name"], kind=e["kind"], data=e["data"],
            )  # fmt: skip
            assert event.hash == e["hash"]
    return str(first["incident_id"])


async def export(
    store: SqlStore, incident_id: str, fmt: Format, playbooks: dict[str, Playbook]
) -> bytes:
    out = io.BytesIO()
    async with store.snapshot() as tx:
        await write_export(
            tx, incident_id, fmt, out, organisations=ORGANISATIONS, playbooks=playbooks,
            generated_at=GENERATED,
        )  # fmt: skip
    return out.getvalue()


async def test_events_come_in_chunks_from_one_snapshot(
    store: SqlStore, recorded: list[dict[str, Any]]
) -> None:
    incident_id = await load(store, recorded)
    async with store.transaction() as tx:
        every = await tx.get_events(incident_id)
    assert len(every) == 39
    async with store.snapshot() as tx:
        chunks = tx.iter_events(incident_id, chunk=10)
        seen = [await anext(chunks)]
        async with store.transaction() as other:  # written after the snapshot began
            await other.get_incident(incident_id, lock=True)
            await other.append_event(
                incident_id=incident_id, at=GENERATED, actor="cli:ops", actor_name="ops",
                kind="evidence_exported", data={},
            )  # fmt: skip
        seen += [chunk async for chunk in chunks]
    assert [len(chunk) for chunk in seen] == [10, 10, 10, 9]
    assert [e for chunk in seen for e in chunk] == every  # not the one written meanwhile
    async with store.snapshot() as tx:
        exact = [len(c) async for c in tx.iter_events(incident_id, chunk=8)]  # 40 = 5 x 8
        plans = [e async for c in tx.iter_events(incident_id, kinds=["incident_opened"]) for e in c]
        none = [c async for c in tx.iter_events("NR-NONE", chunk=8)]
    assert exact == [8, 8, 8, 8, 8]
    assert [e.seq for e in plans] == [1]
    assert none == []


async def test_streamed_json_is_the_in_memory_export_byte_for_byte(
    store: SqlStore, recorded: list[dict[str, Any]], playbooks: dict[str, Playbook]
) -> None:
    incident_id = await load(store, recorded)
    streamed = await export(store, incident_id, Format.JSON, playbooks)
    assert streamed == EXPORTED.read_bytes()
    async with store.transaction() as tx:
        evidence = await read_evidence(
            tx, incident_id, organisations=ORGANISATIONS, playbooks=playbooks,
            generated_at=GENERATED,
        )  # fmt: skip
    assert render_json(evidence.events, timeline=evidence.timeline) == streamed
    assert verify_document(json.loads(streamed)).intact


async def test_a_changed_event_is_found_while_streaming(
    store: SqlStore, recorded: list[dict[str, Any]], playbooks: dict[str, Playbook]
) -> None:
    incident_id = await load(store, recorded)
    async with store.engine.begin() as conn:  # what no Noodrem code can do: edit an event
        await conn.execute(
            text(
                "UPDATE events SET actor_name = 'Someone Else' WHERE incident_id = :i AND seq = 7"
            ),
            {"i": incident_id},
        )
    with pytest.raises(EvidenceError, match=r"not intact: event 7 \(\w+\) was changed"):
        await export(store, incident_id, Format.PDF, playbooks)
    with pytest.raises(EvidenceError, match="not intact: event 7"):
        await export(store, incident_id, Format.CSV, playbooks)
    verdict = verify_document(json.loads(await export(store, incident_id, Format.JSON, playbooks)))
    assert verdict.problem is Problem.CHANGED and verdict.position == 7


def test_page_totals_are_right_and_centred_for_four_digit_counts(tmp_path: Path) -> None:
    """1,000 pages: fpdf2's "{nb}" reserved three digits, so the total was drawn wider
    than the room it was centred in (and fpdf2 warned); the footers are drawn at the end."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = EvidencePdf(
        header_text="header",
        footer_text=lambda page, pages: f"page {page} of {pages}",
        title="pages",
        created_at=GENERATED,
    )
    for _ in range(1000):
        pdf.add_page()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = pdf.finish()
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    assert "\nPages:           1000\n" in info.stdout
    for number in (1, 9, 999, 1000):  # pdftotext of these pages only: all would take seconds
        page = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), "-bbox", str(path), "-"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        width = float(page.split('<page width="')[1].split('"')[0])
        footer = [line for line in page.splitlines() if "<word" in line][-4:]
        said = [line.split(">")[1].split("<")[0] for line in footer]
        assert said == ["page", str(number), "of", "1000"]
        left = float(footer[0].split('xMin="')[1].split('"')[0])
        right = float(footer[-1].split('xMax="')[1].split('"')[0])
        assert abs((left + right) / 2 - width / 2) < 0.5, (number, left, right, width)


class _Timeline:
    """A transaction's ``iter_events`` over a timeline that grew, or shrank, since the
    export's first read (a reader outside a snapshot)."""

    def __init__(self, events: list[Any]) -> None:
        self.events = events

    async def iter_events(self, incident_id: str, *, chunk: int) -> AsyncIterator[list[Any]]:
        for start in range(0, len(self.events), chunk):
            yield self.events[start : start + chunk]


async def test_the_second_read_draws_only_what_the_first_folded() -> None:
    grown = _Timeline(list(range(2_500)))  # 1,000 appended since a first read of 1,500
    again = [chunk async for chunk in _read_again(grown, "NR-X", 1_500)]  # type: ignore[arg-type]
    assert [len(chunk) for chunk in again] == [1_000, 500]
    assert [e for chunk in again for e in chunk] == list(range(1_500))
    shrunk = _Timeline(list(range(1_999)))
    with pytest.raises(EvidenceError, match="NR-X changed while it was read"):
        _ = [chunk async for chunk in _read_again(shrunk, "NR-X", 2_000)]  # type: ignore[arg-type]
