"""``verify`` names the first event that was changed, removed, inserted or reordered."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app import main as app_main
from bot.chain import event_hash, parse_utc
from bot.evidence import EvidenceError
from bot.evidence.cli import verify_command
from bot.evidence.jsonexport import render_json
from bot.evidence.timeline import build_timeline
from bot.evidence.verify import Problem, verify_document
from tests.evidence.chains import T0, incident_items, link, playbook

NOTE = (timedelta(minutes=12), "Piet", "participant_joined", {"role": "colleague", "name": "Piet"})


@pytest.fixture
def raw() -> bytes:
    """A real JSON export of an eight-event incident."""
    events = link("NR-TEST01", incident_items(extra=[NOTE]))
    timeline = build_timeline(
        events,
        playbook=playbook(),
        organisation="Acme",
        tz=ZoneInfo("Europe/Amsterdam"),
        generated_at=T0 + timedelta(hours=1),
    )
    return render_json(events, timeline=timeline)


@pytest.fixture
def document(raw: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


def rehash(event: dict[str, Any]) -> dict[str, Any]:
    """What a forger does: give an edited event a hash that matches its fields again."""
    fields = {k: v for k, v in event.items() if k != "hash"}
    return {**event, "hash": event_hash(**{**fields, "at": parse_utc(event["at"])})}


def test_an_untouched_export_is_intact(document: dict[str, Any]) -> None:
    verdict = verify_document(document)
    assert verdict.intact and verdict.events == 8
    assert verdict.message == f"intact: 8 events, final hash {document['chain']['final_hash']}"


def test_one_changed_byte_is_found(raw: bytes) -> None:
    at = raw.index(b"12500.00 EUR", raw.index(b'"events"'))  # the head's payments are not hashed
    tampered = raw[:at] + b"9" + raw[at + 1 :]
    verdict = verify_document(json.loads(tampered))
    assert verdict.problem is Problem.CHANGED and verdict.position == 4
    assert verdict.message.startswith("NOT intact (changed): event 4 (fact_answered")
    assert "was changed after it was recorded" in verdict.message


def test_a_changed_hash_field_is_found(document: dict[str, Any]) -> None:
    document["events"][2]["hash"] = "f" * 64
    verdict = verify_document(document)
    assert verdict.problem is Problem.CHANGED and verdict.position == 3


def test_a_changed_and_rehashed_event_is_found_by_its_successor(
    document: dict[str, Any],
) -> None:
    events = document["events"]
    events[4]["data"]["display"] = "Nieuwe bank"
    events[4] = rehash(events[4])
    verdict = verify_document(document)
    assert verdict.problem is Problem.CHANGED and verdict.position == 5
    assert "given a new hash: event 6 no longer links to it" in verdict.message


def test_a_removed_event_is_found(document: dict[str, Any]) -> None:
    del document["events"][3]
    verdict = verify_document(document)
    assert verdict.problem is Problem.REMOVED
    assert "follows a gap: event 4 was removed" in verdict.message


def test_removed_events_at_the_end_are_found_by_the_final_hash(
    document: dict[str, Any],
) -> None:
    del document["events"][-2:]
    verdict = verify_document(document)
    assert verdict.problem is Problem.REMOVED
    assert "ends at event 6: events were removed from the end" in verdict.message


def test_two_swapped_events_are_found(document: dict[str, Any]) -> None:
    events = document["events"]
    events[3], events[4] = events[4], events[3]
    verdict = verify_document(document)
    assert verdict.problem is Problem.REORDERED and verdict.position == 4
    assert "event 5 (" in verdict.message
    assert "is out of order: event 4 belongs here but is at position 5" in verdict.message


@pytest.mark.parametrize("how", ["copy", "forged", "junk"])
def test_an_inserted_event_is_found(document: dict[str, Any], how: str) -> None:
    events = document["events"]
    if how == "copy":  # an earlier event, pasted in again
        extra = copy.deepcopy(events[1])
    else:  # a new fact, put between event 5 and 6
        extra = copy.deepcopy(events[4])
        extra["data"] = {"fact": "amount", "value": "100.00 EUR", "display": "€ 100,00"}
        extra.update(seq=6, prev_hash=events[4]["hash"])
        extra = rehash(extra) if how == "forged" else {**extra, "hash": "0" * 64}
    events.insert(5, extra)
    verdict = verify_document(document)
    assert verdict.problem is Problem.INSERTED and verdict.position == 6, verdict.message
    assert "NOT intact (inserted)" in verdict.message


def test_a_file_that_is_not_json_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b"%PDF-1.7 not json")
    assert app_main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not valid JSON" in err and str(path) in err


@pytest.mark.parametrize(
    "content, says",
    [
        ([1, 2, 3], "no list of 'events'"),
        ({"events": []}, "the list of events is empty"),
        ({"events": [{"seq": "1"}]}, "event #1 has no valid 'incident_id'"),
        ({"events": ["x"]}, "event #1 is not an object"),
    ],
)
def test_json_of_the_wrong_shape_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, says: str
) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    assert app_main(["verify", str(path)]) == 2
    assert says in capsys.readouterr().err
    with pytest.raises(EvidenceError, match=f"^{re.escape(str(path))}: "):
        verify_command(path)
    with pytest.raises(EvidenceError):
        verify_document(content)


def test_verify_through_app_py(
    tmp_path: Path, raw: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(raw)
    assert app_main(["verify", str(good)]) == 0
    assert capsys.readouterr().out.startswith("intact: 8 events")
    bad = tmp_path / "bad.json"
    bad.write_bytes(raw.replace(b"RABO-1", b"RABO-2"))
    assert app_main(["verify", str(bad)]) == 1
    assert "NOT intact (changed): event 7 (step_done" in capsys.readouterr().out
    assert app_main(["verify", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_the_hand_check_in_the_docs_agrees(tmp_path: Path, raw: bytes) -> None:
    """docs/evidence.md shows how to verify without Noodrem; that code must work."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "evidence.md").read_text("utf-8")
    code = docs.split("Python without Noodrem:\n\n```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "check.py"
    script.write_text(code, encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_bytes(raw)
    done = subprocess.run([sys.executable, str(script), str(good)], capture_output=True, text=True)
    assert done.stdout == f"intact, final hash {json.loads(raw)['chain']['final_hash']}\n"
    bad = tmp_path / "bad.json"
    bad.write_bytes(raw.replace(b"RABO-1", b"RABO-2"))
    done = subprocess.run([sys.executable, str(script), str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "event 7 changed" in done.stderr


def test_verify_lists_earlier_exports_and_flags_one_whose_hash_is_not_in_the_chain() -> None:
    from datetime import UTC, datetime

    from bot.chain import GENESIS, event_hash, format_utc

    def chain(*kinds_data: tuple[str, dict[str, object]]) -> dict[str, object]:
        events, prev = [], GENESIS
        for seq, (kind, data) in enumerate(kinds_data, start=1):
            fields = dict(
                incident_id="NR-AAAAAA", seq=seq, at=datetime(2026, 11, 20, 9, seq, tzinfo=UTC),
                actor="web:acme:jan", actor_name="Jan", kind=kind, data=data, prev_hash=prev,
            )  # fmt: skip
            prev = event_hash(**fields)  # type: ignore[arg-type]
            events.append({**fields, "at": format_utc(fields["at"]), "hash": prev})  # type: ignore[arg-type]
        return {"events": events}

    opened = ("incident_opened", {"playbook": "paid-fraudster"})
    first = chain(opened)["events"][0]  # type: ignore[index]
    good = {"format": "pdf", "covers_seq": 1, "final_hash": first["hash"], "events": 1}
    verdict = verify_document(chain(opened, ("evidence_exported", good)))
    assert verdict.intact and not verdict.unmatched
    assert verdict.export_lines() == [
        f"export at 2026-11-20T09:02:00.000000Z (pdf, chat, Jan): covers event 1, hash "
        f"{first['hash']}"
    ]
    wrong = {**good, "final_hash": "f" * 64}
    verdict = verify_document(chain(opened, ("evidence_exported", wrong)))
    assert verdict.unmatched and "NOT the hash of that event" in verdict.export_lines()[0]
