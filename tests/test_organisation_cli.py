"""``app.py org ...`` and the per-organisation evidence commands, run as a person runs
them on a real database: a clear line and an exit code, never a traceback.

The commands run in-process through ``app.main`` (a fresh interpreter per command cost ~2 s
each); one test runs the real ``python app.py`` to prove the entry point itself."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

import app
from bot.messages import Address, Channel, address_to_json
from bot.ports import Incident, IncidentStatus
from storage import create_store

ROOT = Path(__file__).resolve().parent.parent
TWO = """
organisations:
  - id: acme
    name: Bakkerij Acme B.V.
    slack_team_ids: [TACME0001]
  - id: other
    name: Ander Bedrijf
    language: en
"""


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


Run = Callable[..., Awaitable[Result]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run(url, *args)``: ``app.py *args`` in-process (in a thread: it runs its own loop)."""
    monkeypatch.delenv("ORGANISATION_FILE", raising=False)
    monkeypatch.chdir(ROOT)

    async def run(database_url: str, *args: str) -> Result:
        monkeypatch.setenv("DATABASE_URL", database_url)
        capsys.readouterr()
        try:
            code = await asyncio.to_thread(app.main, list(args))
        except SystemExit as exc:  # argparse's own refusals
            code = int(exc.code or 0)
        said = capsys.readouterr()
        result = Result(int(code), said.out, said.err)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result

    return run


def run_process(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ORGANISATION_FILE"}
    result = subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "DATABASE_URL": database_url},
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def error_line(result: Result | subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


async def test_import_list_show_and_a_bad_file_that_changes_nothing(
    schema_at_head: None, database_url: str, tmp_path: Path, run: Run
) -> None:
    listed = await run(database_url, "org", "list")
    assert listed.returncode == 0 and "no organisations stored" in listed.stdout
    good = tmp_path / "two.yaml"
    good.write_text(TWO, encoding="utf-8")
    imported = await run(database_url, "org", "import", str(good))
    assert imported.returncode == 0, imported.stderr
    assert "acme: new (Bakkerij Acme B.V.)" in imported.stdout
    assert "imported 2 organisations" in imported.stdout and "version 2" in imported.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(TWO.replace("language: en", "language: fr"), encoding="utf-8")
    refused = await run(database_url, "org", "import", str(bad))
    assert refused.returncode == 2
    line = error_line(refused)
    assert f"{bad}:8: organisations[1].language: " in line and "nothing was imported" in line
    missing = await run(database_url, "org", "import", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "cannot read" in error_line(missing)

    listed = await run(database_url, "org", "list")
    assert listed.returncode == 0
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows[1][:1] == ["acme"] and "TACME0001" in rows[1]
    assert rows[2][:1] == ["other"] and rows[-1] == ["version", "2"]

    # What show prints is a file import takes back: show, edit, import.
    shown = await run(database_url, "org", "show", "other")
    assert shown.returncode == 0
    document = yaml.safe_load(shown.stdout)
    assert document == {
        "organisations": [{"id": "other", "name": "Ander Bedrijf", "language": "en"}]
    }
    document["organisations"][0]["name"] = "Ander Bedrijf B.V."
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(document), encoding="utf-8")
    again = await run(database_url, "org", "import", str(edited))
    assert again.returncode == 0 and "other: replaced" in again.stdout
    assert "Ander Bedrijf B.V." in (await run(database_url, "org", "show", "other")).stdout
    unknown = await run(database_url, "org", "show", "nobody")
    assert unknown.returncode == 1 and "no organisation 'nobody'" in error_line(unknown)


async def test_evidence_commands_name_an_organisation_once_there_are_several(
    schema_at_head: None, database_url: str, tmp_path: Path, run: Run
) -> None:
    good = tmp_path / "two.yaml"
    good.write_text(TWO, encoding="utf-8")
    assert (await run(database_url, "org", "import", str(good))).returncode == 0
    out = tmp_path / "register.csv"

    mixed = await run(database_url, "register", "-o", str(out))
    assert mixed.returncode == 2 and not out.exists()
    assert "there are 2 organisations (acme, other)" in error_line(mixed)
    export = await run(database_url, "export", "NR-AAAAAA", "--format", "json")
    assert export.returncode == 2 and "--org ID, or --all" in error_line(export)
    unknown = await run(database_url, "register", "--org", "nobody", "-o", str(out))
    assert unknown.returncode == 2 and "no organisation 'nobody'" in error_line(unknown)

    one = await run(database_url, "register", "--org", "other", "-o", str(out))
    assert one.returncode == 0, one.stderr
    assert "0 incidents" in one.stdout and out.exists()
    every = await run(database_url, "register", "--all", "-o", str(out))
    assert every.returncode == 0, every.stderr


async def test_remove_is_refused_while_the_organisation_has_open_incidents(
    schema_at_head: None, database_url: str, tmp_path: Path, run: Run
) -> None:
    good = tmp_path / "two.yaml"
    good.write_text(TWO, encoding="utf-8")
    assert (await run(database_url, "org", "import", str(good))).returncode == 0
    store = await create_store(database_url)
    try:
        async with store.transaction() as tx:
            await tx.create_incident(
                Incident(
                    id="NR-ACME01",
                    tenant_id="TACME0001",
                    playbook_id="paid-fraudster",
                    lang="nl",
                    status=IncidentStatus.OPEN,
                    reported_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
                    reported_by="slack:TACME0001:U1",
                    reporter_name="Jan",
                    lead="slack:TACME0001:U1",
                    conversation=address_to_json(Address(Channel.SLACK, "TACME0001", "D1", "U1")),
                )
            )
    finally:
        await store.close()

    refused = await run(database_url, "org", "remove", "acme")
    assert refused.returncode == 1
    assert "acme has 1 open incident(s) (NR-ACME01)" in error_line(refused)
    unknown = await run(database_url, "org", "remove", "nobody")
    assert unknown.returncode == 1 and "no organisation 'nobody'" in error_line(unknown)
    # Nor may an import take the incident's workspace away, to another or to none.
    moved = tmp_path / "moved.yaml"
    moved.write_text(TWO.replace("[TACME0001]", "[TACME0002]"), encoding="utf-8")
    refused = await run(database_url, "org", "import", str(moved))
    assert refused.returncode == 2
    assert "NR-ACME01 (acme -> none)" in error_line(refused)
    assert "TACME0001" in (await run(database_url, "org", "list")).stdout

    store = await create_store(database_url)
    try:
        async with store.transaction() as tx:
            incident = await tx.get_incident("NR-ACME01")
            assert incident is not None
            incident.status = IncidentStatus.CLOSED
            await tx.update_incident(incident)
    finally:
        await store.close()
    # Closed, it would still fall to 'other': alone, and naming no workspace, it would be
    # every workspace's, the removed customer's too.
    refused = await run(database_url, "org", "remove", "acme")
    assert refused.returncode == 1
    assert "NR-ACME01 (acme -> other)" in error_line(refused)
    own = tmp_path / "own.yaml"
    own.write_text(TWO.replace("language: en", "language: en\n    slack_team_ids: [TOTHER01]"))
    assert (await run(database_url, "org", "import", str(own))).returncode == 0

    removed = await run(database_url, "org", "remove", "acme")
    assert removed.returncode == 0 and "acme removed" in removed.stdout
    rows = (await run(database_url, "org", "list")).stdout.splitlines()
    assert [row.split()[0] for row in rows[1:-1]] == ["other"]
    # Its closed incident is in no one's register now: not in the one that is left.
    out = tmp_path / "register.csv"
    left = await run(database_url, "register", "-o", str(out))
    assert left.returncode == 0 and "0 incidents" in left.stdout
    last = await run(database_url, "org", "remove", "other")
    assert last.returncode == 1 and "the only organisation" in error_line(last)


async def test_without_a_database_every_command_says_so_in_one_line(
    tmp_path: Path, run: Run
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/missing/noodrem.db"
    for args in (("org", "list"), ("org", "show", "acme"), ("org", "remove", "acme")):
        result = await run(url, *args)
        assert result.returncode == 2 and "noodrem.db" in error_line(result), args
    # The real entry point, once: the same line and exit code from ``python app.py``.
    register = run_process(url, "register", "--all")
    assert register.returncode == 2 and "noodrem.db" in error_line(register)
