"""Evidence files drawn in a worker process (the chat's exports) are byte for byte those
drawn in this process (the command line's), over several chunks; a worker that dies fails
its drawing with a sentence, not a hang, and the next export gets a new worker."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from bot.chain import parse_utc
from bot.evidence.cli import CHUNK, Format, write_export
from bot.evidence.drawing import IN_THREAD, Drawer, Drawing, Job, Plan
from bot.evidence.workers import WATCH_SECONDS, DrawingProcesses, DrawingStopped
from bot.i18n import t
from bot.messages import ConfirmStart
from bot.playbook import Playbook
from storage import SqlStore
from tests.evidence.test_streaming import (
    GENERATED,
    ORGANISATIONS,
    ROOT,
    load,
    playbooks,
    recorded,
)
from tests.harness import RunningApp
from tests.test_engine import bot, inbound

__all__ = ["bot", "playbooks", "recorded"]  # fixtures
LONG = 2 * CHUNK + 300  # three chunks a read
REPEATED = {"reminder_sent", "escalation_sent", "fact_answered", "step_blocked"}


@pytest.fixture(scope="module")
def processes() -> Iterator[DrawingProcesses]:
    drawer = DrawingProcesses()
    yield drawer
    drawer.close()


async def long_incident(store: SqlStore, chain: list[dict[str, Any]]) -> str:
    """The recorded chain, then its reminders, escalations and answers again and again (new
    times, so new hashes), as a long incident has them, up to ``LONG`` events."""
    incident_id = await load(store, chain)
    at = parse_utc(chain[-1]["at"])
    again = [e for e in chain if e["kind"] in REPEATED]
    async with store.transaction() as tx:
        await tx.get_incident(incident_id, lock=True)
        for n in range(LONG - len(chain)):
            e = again[n % len(again)]
            await tx.append_event(
                incident_id=incident_id, at=at + timedelta(seconds=n + 1), actor=e["actor"],
                actor_name=e["actor_name"], kind=e["kind"], data=e["data"],
            )  # fmt: skip
    return incident_id


async def drawn(
    store: SqlStore, incident_id: str, fmt: Format, playbooks: dict[str, Playbook], drawer: Drawer
) -> bytes:
    out = io.BytesIO()
    async with store.snapshot() as tx:
        await write_export(
            tx, incident_id, fmt, out, organisations=ORGANISATIONS, playbooks=playbooks,
            generated_at=GENERATED, generated_by="Jan", drawer=drawer,
        )  # fmt: skip
    return out.getvalue()


async def test_a_worker_draws_every_format_byte_for_byte_as_this_process_does(
    store: SqlStore,
    recorded: list[dict[str, Any]],
    playbooks: dict[str, Playbook],
    processes: DrawingProcesses,
) -> None:
    incident_id = await long_incident(store, recorded)
    files: dict[Format, bytes] = {}
    for fmt in Format:
        files[fmt] = await drawn(store, incident_id, fmt, playbooks, IN_THREAD)
        assert await drawn(store, incident_id, fmt, playbooks, processes) == files[fmt], fmt
    assert len(json.loads(files[Format.JSON])["events"]) == LONG  # all, not a chunk
    assert files[Format.CSV].count(b"\r\n") == LONG + 1  # the header, a row each
    assert files[Format.PDF].startswith(b"%PDF")


def a_plan(playbooks: dict[str, Playbook]) -> Plan:
    return Plan(
        fmt=Format.PDF, playbook=playbooks["paid-fraudster"], tz=ORGANISATIONS.default.tz,
        lang=None, organisation=None, generated_at=GENERATED, generated_by="", font_dir=None,
    )  # fmt: skip


def _pid(drawing: Drawing) -> int:
    return os.getpid()


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would


async def test_a_worker_that_dies_stops_its_drawing_and_the_next_gets_a_new_one(
    store: SqlStore, recorded: list[dict[str, Any]], playbooks: dict[str, Playbook]
) -> None:
    processes = DrawingProcesses()
    try:
        with pytest.raises(DrawingStopped, match="stopped"):
            async with processes.drawing(a_plan(playbooks), io.BytesIO()) as job:
                worker = await job.call(_pid)
                assert worker != os.getpid()
                _kill(worker)
                await job.call(Drawing.folded)
        incident_id = await load(store, recorded)
        again = await drawn(store, incident_id, Format.PDF, playbooks, processes)
        assert again == await drawn(store, incident_id, Format.PDF, playbooks, IN_THREAD)
    finally:
        processes.close()


KILLED_SERVER = """
import asyncio, io, os
from pathlib import Path
from bot.evidence.workers import DrawingProcesses
from bot.playbook import load_playbooks
from tests.evidence.test_drawing import _pid, a_plan

async def main() -> None:
    drawings = DrawingProcesses()
    async with drawings.drawing(a_plan(load_playbooks(Path("playbooks"))), io.BytesIO()) as job:
        print(await job.call(_pid), flush=True)
        os._exit(0)  # as a server killed: no close

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_worker_ends_when_its_server_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "server.py"
    script.write_text(KILLED_SERVER, encoding="utf-8")
    said = tmp_path / "said.txt"
    with said.open("w") as out:
        subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, stdout=out, check=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    worker = int(said.read_text().split()[-1])
    deadline = time.monotonic() + 10 * WATCH_SECONDS + 5
    while alive(worker):
        assert time.monotonic() < deadline, f"worker {worker} outlived its server"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie is gone, only not reaped yet


@dataclasses.dataclass
class Dying:
    """Worker processes whose worker is killed as a drawing begins."""

    processes: DrawingProcesses

    @asynccontextmanager
    async def drawing(self, plan: Plan, out: BinaryIO) -> AsyncIterator[Job]:
        async with self.processes.drawing(plan, out) as job:
            _kill(await job.call(_pid))
            yield job


async def test_the_chat_says_the_file_was_not_made_when_its_worker_dies(bot: RunningApp) -> None:
    engine, store = bot.runtime.engine, bot.runtime.require_store()
    assert engine is not None
    assert isinstance(engine.drawer, DrawingProcesses), "the app draws in worker processes"
    await engine.handle(inbound(text="ik denk dat we een oplichter hebben betaald"))
    opened = await engine.handle(inbound(action=ConfirmStart("paid-fraudster")))
    incident_id = next(r.incident_id for r in opened if r.incident_id)
    dying = dataclasses.replace(engine, drawer=Dying(engine.drawer))
    said = await dying.handle(inbound(text="export"))
    assert said[0].text == t("export_failed", "nl", incident_id=incident_id)
    assert all(r.attachment is None for r in said)
    async with store.snapshot() as tx:
        kinds = [e.kind for e in await tx.get_events(incident_id)]
    assert "evidence_exported" not in kinds, "no file, so no export recorded"
    exported = await engine.handle(inbound(text="export"))  # a new worker, the file
    assert exported[0].attachment is not None
    assert exported[0].attachment.data.startswith(b"%PDF")
