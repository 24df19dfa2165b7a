"""Two replicas behind one URL on one PostgreSQL, as real processes; one is killed with
``kill -9`` in the middle of a burst of web messages and of a batch of due reminders.

Both replicas are ``app.py``'s server (``tests/replica.py``: the scheduler's poll and the
reminder lease shortened to seconds, so the lease can be seen to run out) in the trial web
mode on loopback, on the same database. People open incidents, then every reminder and
escalation their incidents will ever have is made due at once (their rows moved to now:
the clock of two processes cannot be a test's), while each person sends a burst of
messages, alternating between the replicas as a load balancer would; a message whose
replica died under it is sent again to the other, with the same client id, as the page
does. Afterwards:

- no message lost: every message a replica accepted (200) is in its sender's history
  once, with Noodrem's answer after it, and a person polling for news saw every row;
- no reminder lost: every row is sent and recorded once on its incident's timeline;
- none doubled beyond the lease: a reminder shows twice only if the killed replica had
  claimed it (it sent, died before recording; the other sent it again after the lease).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.i18n import t
from bot.messages import ReplyKind
from bot.ports import LEAD
from storage import SqlStore, create_store
from storage.models import DeadlineRow, EventRow
from tests.harness import running_app
from tests.test_app import free_port
from tests.webclient import WebUser

ROOT = Path(__file__).resolve().parent.parent
ORG = ROOT / "tests" / "fixtures" / "organisation.yaml"
PEOPLE = 6
BURST = 8  # messages per person
LEASE = timedelta(seconds=4)
PROACTIVE = (ReplyKind.REMINDER.value, ReplyKind.ESCALATION.value)
CLOSED = ("sent", "failed", "cancelled")
LOST = t("answer_lost", "nl")


@dataclass
class Replica:
    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def start(env: dict[str, str], log: Path) -> Replica:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.replica"],
            cwd=ROOT,
            env={**os.environ, **env, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Replica(f"http://127.0.0.1:{port}", process)


async def ready(http: aiohttp.ClientSession, replica: Replica) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        assert replica.process.poll() is None, "the replica stopped"
        try:
            async with http.get(f"{replica.url}/readyz") as res:
                if res.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{replica.url} did not get ready")


@pytest.fixture
async def replicas(
    schema_at_head: None, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Replica, Replica]]:
    env = {
        "DATABASE_URL": database_url,
        "ORGANISATION_FILE": str(ORG),
        "NOODREM_SECRET": "the-same-on-every-replica",
        "REPLICA_POLL_SECONDS": "0.5",
        "REPLICA_LEASE_SECONDS": str(LEASE.total_seconds()),
    }
    a, b = start(env, tmp_path / "a.log"), start(env, tmp_path / "b.log")
    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(ready(http, a), ready(http, b))
        yield a, b
    finally:
        for replica in (a, b):
            if replica.process.poll() is None:
                replica.kill()
        for name in ("a.log", "b.log"):
            assert "Traceback" not in (tmp_path / name).read_text(errors="replace"), name


@dataclass
class Person:
    """Someone in the web chat whose messages go to whichever replica is their turn."""

    user: WebUser
    accepted: list[str] = field(default_factory=list)  # client ids a replica took (200)
    resent: int = 0  # messages sent again to the other replica, its own having died
    seen: list[int] = field(default_factory=list)  # outbox ids a poll for news returned
    after: int = 0

    async def post(self, urls: list[str], text: str) -> None:
        """Send one message; when the replica is gone, the same message to the next one."""
        payload = {
            "user_id": self.user.user_id,
            "user_name": self.user.name,
            "locale": "nl",
            "client_id": str(uuid.uuid4()),
            "text": text,
        }
        for url in urls:
            try:
                async with self.user.http.post(f"{url}/api/web/messages", json=payload) as res:
                    assert res.status == 200, await res.text()
                    self.accepted.append(payload["client_id"])
                    return
            except aiohttp.ClientConnectionError:
                self.resent += 1
        raise AssertionError("no replica took the message")

    async def poll(self, url: str) -> None:
        """Ask one replica for news, as the page does between messages."""
        try:
            async with self.user.http.get(
                f"{url}/api/web/messages",
                params={"user_id": self.user.user_id, "after": str(self.after), "wait": "0"},
            ) as res:
                body = await res.json()
        except aiohttp.ClientConnectionError:
            return
        self.seen.extend(m["id"] for m in body["messages"])
        self.after = body["last_id"]


async def history(http: aiohttp.ClientSession, url: str, user: WebUser) -> list[dict[str, Any]]:
    """Everything in a person's outbox, oldest first, page by page."""
    rows: list[dict[str, Any]] = []
    after = 0
    while True:
        params = {"user_id": user.user_id, "after": str(after), "wait": "0"}
        async with http.get(f"{url}/api/web/messages", params=params) as res:
            body = await res.json()
        if not body["messages"]:
            return rows
        rows.extend(body["messages"])
        after = body["last_id"]


async def deadline_states(store: SqlStore, ids: list[int]) -> dict[int, str]:
    async with store.transaction() as tx:
        conn = tx._conn  # the test reads the table itself
        rows = await conn.execute(
            select(DeadlineRow.id, DeadlineRow.status).where(DeadlineRow.id.in_(ids))
        )
        return {row.id: row.status for row in rows}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_replica_killed_mid_burst_and_mid_batch_loses_nothing(
    replicas: tuple[Replica, Replica], database_url: str
) -> None:
    a, b = replicas
    store = await create_store(database_url)
    async with aiohttp.ClientSession() as http:
        people = [Person(WebUser(http, a.url, f"Medewerker {n}")) for n in range(PEOPLE)]
        for n, person in enumerate(people):  # each opens an incident, through either replica
            person.user.base_url = (a, b)[n % 2].url
            await person.user.say("ik denk dat we een oplichter hebben betaald")
            await person.user.press("Ja")
        # Every reminder for a person (the step's owner, the lead: here the reporter) due
        # in a moment, a microsecond apart so that each row's time names it on the
        # timeline: both replicas' polls claim batches of them at once. (The managers'
        # escalations go to the incident chat as one message for several people, which
        # would blur the count of messages per row; they stay in the future.)
        async with store.transaction() as tx:
            rows = await tx._conn.execute(select(DeadlineRow.id, DeadlineRow.recipient))
            shifted = sorted(
                r.id for r in rows if r.recipient == LEAD or r.recipient.startswith("web:")
            )
        assert len(shifted) > 100, len(shifted)
        due = datetime.now(UTC) + timedelta(seconds=1)
        async with store.transaction() as tx:
            for n, row_id in enumerate(shifted):
                await tx._conn.execute(
                    update(DeadlineRow)
                    .where(DeadlineRow.id == row_id)
                    .values(due_at=due + timedelta(microseconds=n))
                )

        killed = asyncio.Event()

        async def burst(n: int, person: Person) -> None:
            # At least BURST messages, and on until two after the kill: however long the
            # claims take to show on a loaded machine, some go to the killed replica.
            i = after_kill = 0
            while i < BURST or after_kill < 2:
                first, other = (a, b) if (n + i) % 2 == 0 else (b, a)
                await person.post([first.url, other.url], "status")
                await person.poll(other.url)
                i += 1
                after_kill += killed.is_set()
                assert i < 50 * BURST, "the kill never came"

        sending = [asyncio.create_task(burst(n, p)) for n, p in enumerate(people)]
        # Another process's claims are seen in the table only, so look there, often.
        claimed = 0
        while not claimed:
            claimed = list((await deadline_states(store, shifted)).values()).count("claimed")
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # well into the first batches
        a.kill()
        killed.set()
        held = {i for i, s in (await deadline_states(store, shifted)).items() if s == "claimed"}
        await asyncio.gather(*sending)
        assert sum(p.resent for p in people) > 0, "messages were on their way to the killed one"

        # B takes over what A held once its lease is out; wait for every row to be closed.
        settle = time.monotonic() + LEASE.total_seconds() + 20
        while any(s not in CLOSED for s in (await deadline_states(store, shifted)).values()):
            left = Counter((await deadline_states(store, shifted)).values())
            assert time.monotonic() < settle, f"reminders left unsent: {left}"
            await asyncio.sleep(0.2)

        # No message lost: each accepted message once in the history, answered.
        total_proactive = lost = 0
        for person in people:
            rows = await history(http, b.url, person.user)
            mine = [r for r in rows if r["kind"] == "user" and r["text"] == "status"]
            ids = [r["client_id"] for r in mine]
            assert sorted(ids) == sorted(person.accepted), "each accepted message once"
            for position, row in enumerate(rows):
                if row["kind"] == "user":
                    after = rows[position + 1 : position + 2]
                    assert after and after[0]["kind"] != "user", "answered"
                    lost += after[0]["text"] == LOST
            await person.poll(b.url)
            assert sorted(person.seen) == [r["id"] for r in rows], "polling saw every row"
            total_proactive += sum(1 for r in rows if r["kind"] in PROACTIVE)

    # No reminder lost, none recorded twice; a double only where the dead replica held it.
    async with store.transaction() as tx:
        conn = tx._conn
        rows = await conn.execute(
            select(
                DeadlineRow.id, DeadlineRow.incident_id, DeadlineRow.due_at, DeadlineRow.status
            ).where(DeadlineRow.id.in_(shifted))
        )
        deadlines = {r.id: (r.incident_id, r.due_at.isoformat(), r.status) for r in rows}
        events = await conn.execute(
            select(EventRow.incident_id, EventRow.data).where(EventRow.kind == "delivery_attempted")
        )
        attempts = Counter(
            (e.incident_id, e.data["planned_at"], e.data["recipient"], e.data["outcome"])
            for e in events
            if e.data["purpose"] in PROACTIVE
        )
    await store.close()
    assert {status for _, _, status in deadlines.values()} == {"sent"}
    assert {outcome for *_, outcome in attempts} == {"delivered"}
    assert max(attempts.values()) == 1, "each person's reminder recorded once"
    per_row = Counter((incident, planned) for incident, planned, *_ in attempts)
    assert sum(per_row.values()) == len(deadlines), "one person per row"
    assert {(i, p) for i, p, _ in deadlines.values()} == set(per_row), "each row recorded"
    recorded = sum(per_row.values())
    doubled = total_proactive - recorded
    could_double = sum(per_row[deadlines[i][:2]] for i in held)
    assert 0 <= doubled <= could_double, (total_proactive, recorded, could_double)
    print(
        f"\n{len(deadlines)} deadline rows, {claimed} claimed when A was killed, {len(held)} "
        f"held then; {total_proactive} reminders shown, {recorded} recorded, {doubled} "
        f"shown twice; {sum(len(p.accepted) for p in people)} messages accepted, "
        f"{sum(p.resent for p in people)} sent again to B, {lost} of them answered "
        "'answer lost'"
    )


async def test_a_message_handled_by_a_replica_that_died_before_answering_is_not_left_unanswered(
    database_url: str,
) -> None:
    """The window the test above can hit: one replica committed the turn (its event id is
    claimed) and died before writing the answer to the outbox; the page sends the message
    again to the other replica, whose engine sees a message handled before."""
    env = {"ORGANISATION_FILE": str(ORG)}
    async with (
        running_app(database_url, env=env, wait_for_recognizer=False) as app,
        aiohttp.ClientSession() as http,
    ):
        jan = WebUser(http, app.url, "Jan")
        async with app.runtime.require_store().transaction() as tx:
            assert await tx.claim_inbound(channel="web", event_id="c-1", at=datetime.now(UTC)), (
                "as the dead replica's turn did"
            )
        await jan.say("status", client_id="c-1")
        assert [(m["kind"], m["text"]) for m in jan.history] == [
            ("user", "status"),
            ("text", LOST),
        ]
        await jan.say("status", client_id="c-1")  # once more: the history has it already
        assert len(jan.history) == 2
