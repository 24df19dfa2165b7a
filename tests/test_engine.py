"""Engine behaviour that no single channel shows: inbound shapes only some adapters send."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.messages import Address, Channel, ConfirmStart, Inbound, Reply, ReplyKind
from bot.ports import Transaction
from tests.harness import RunningApp, running_app

ORG = str(Path(__file__).parent / "fixtures" / "organisation.yaml")


@pytest.fixture
async def bot(schema_at_head: None, database_url: str) -> AsyncIterator[RunningApp]:
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    async with running_app(database_url, clock=clock, env={"ORGANISATION_FILE": ORG}) as app:
        yield app


def inbound(**overrides: object) -> Inbound:
    values: dict[str, object] = {
        "channel": Channel.WEB,
        "tenant_id": "acme",
        "user_id": "u1",
        "user_name": "Jan",
        "conversation_id": "u1",
        "address": Address(Channel.WEB, "acme", "u1", "u1"),
    }
    values.update(overrides)
    return Inbound(**values)  # type: ignore[arg-type]


async def test_first_evidence_from_a_shortcut_is_recorded(bot: RunningApp) -> None:
    engine = bot.runtime.engine
    assert engine is not None
    evidence = {
        "evidence_text": "Graag vandaag nog € 48.000 overmaken. Groet, Directeur",
        "evidence_author": "directeur@acme-bv.example",
        "evidence_time": "09:12",
        "evidence_permalink": "https://acme.slack.com/archives/C1/p1",
    }
    offered = await engine.handle(
        inbound(text="ik denk dat we een oplichter hebben betaald", form=evidence)
    )
    assert offered[-1].kind is ReplyKind.QUESTION
    opened = await engine.handle(inbound(action=ConfirmStart("paid-fraudster")))
    incident_id = next(r.incident_id for r in opened if r.incident_id)
    async with bot.runtime.require_store().transaction() as tx:
        events = await tx.get_events(incident_id)
    recorded = [e for e in events if e.kind == "evidence_added"]
    assert len(recorded) == 1 and recorded[0].data == evidence


async def test_a_pasted_message_that_was_cut_says_so_in_the_chat_and_in_the_file(
    bot: RunningApp, tmp_path: Path
) -> None:
    from bot.evidence.pdf import render_pdf
    from bot.evidence.source import read_evidence
    from bot.flows.incidents import MAX_EVIDENCE
    from tests.evidence.conftest import pdf_pages

    engine = bot.runtime.engine
    assert engine is not None
    pasted = "Betaal vandaag nog. " * 1_000  # 20,000 characters, from a shortcut
    await engine.handle(
        inbound(text="ik denk dat we een oplichter hebben betaald", form={"evidence_text": pasted})
    )
    opened = await engine.handle(inbound(action=ConfirmStart("paid-fraudster")))
    said = "\n".join(r.text or "" for r in opened)
    assert f"het geplakte bericht was {len(pasted):,} tekens" in said
    assert f"alleen de eerste {MAX_EVIDENCE:,}" in said
    incident_id = next(r.incident_id for r in opened if r.incident_id)
    runtime = bot.runtime
    async with runtime.require_store().transaction() as tx:
        events = await tx.get_events(incident_id)
        evidence = await read_evidence(
            tx,
            incident_id,
            organisations=runtime.organisations,
            playbooks=runtime.playbooks,
            generated_at=events[-1].at,
        )
    [added] = [e for e in events if e.kind == "evidence_added"]
    assert added.data["evidence_text_chars"] == len(pasted)
    assert len(added.data["evidence_text"]) == MAX_EVIDENCE
    text = " ".join(" ".join(pdf_pages(render_pdf(evidence.timeline), tmp_path)).split())
    assert f"ingekort: alleen de eerste {MAX_EVIDENCE:,} van {len(pasted):,} tekens" in text


@dataclass
class OutboxSink:
    """A ``ReplySink`` that writes each reply's text to the outbox through the turn's
    transaction and then, with ``fail``, fails as a lost database connection would."""

    fail: bool = False
    written: list[Reply] = field(default_factory=list)
    commits: int = 0

    claim = None  # the engine's claim of the event is all it needs

    async def write(self, tx: Transaction, replies: Sequence[Reply], *, claimed: bool) -> None:
        payloads = [{"text": reply.text} for reply in replies]
        await tx.put_outbox(mailbox="sink", payloads=payloads, at=datetime.now(UTC))
        if self.fail:
            raise ConnectionResetError("the database went away before the commit")
        self.written = list(replies)

    def committed(self) -> None:
        self.commits += 1


async def test_a_sink_writes_the_turns_replies_in_its_transaction(bot: RunningApp) -> None:
    engine, store = bot.runtime.engine, bot.runtime.require_store()
    assert engine is not None
    await engine.handle(inbound(text="ik denk dat we een oplichter hebben betaald"))
    start = inbound(action=ConfirmStart("paid-fraudster"), event_id="e-1")
    failing = OutboxSink(fail=True)
    said = await engine.handle(start, sink=failing)
    assert [r.kind for r in said] == [ReplyKind.ERROR] and failing.commits == 0
    async with store.snapshot() as tx:
        assert await tx.read_outbox(mailbox="sink", after_id=0) == [], "the replies undone"
        assert await tx.open_incidents(org_id="acme") == [], "and the turn with them"

    sink = OutboxSink()
    assert await engine.handle(start, sink=sink) == [], "not a duplicate: all written"
    assert sink.commits == 1 and any(r.incident_id for r in sink.written)
    async with store.snapshot() as tx:
        rows = await tx.read_outbox(mailbox="sink", after_id=0)
        assert len(await tx.open_incidents(org_id="acme")) == 1
    assert [row.payload["text"] for row in rows] == [r.text for r in sink.written]

    # With a question open, the file is made after the commit and the question is asked
    # again after it: both come back, in that order, for the channel to write then.
    later = OutboxSink()
    after = await engine.handle(inbound(text="export", event_id="e-2"), sink=later)
    assert later.written == [] and later.commits == 1
    assert after[0].attachment is not None and len(after) > 1
    assert all(r.attachment is None for r in after[1:])


async def test_the_open_question_is_stored_typed_and_read_back(bot: RunningApp) -> None:
    """The fact asked is what the row says; a typed answer goes to that fact."""
    from bot.flows.state import AwaitingFact, state_from_json

    engine = bot.runtime.engine
    assert engine is not None
    await engine.handle(inbound(text="ik denk dat we een oplichter hebben betaald"))
    opened = await engine.handle(inbound(action=ConfirmStart("paid-fraudster")))
    incident_id = next(r.incident_id for r in opened if r.incident_id)
    key = inbound().conversation_key
    async with bot.runtime.require_store().transaction() as tx:
        row = await tx.get_conversation(key)
    assert row is not None
    state = state_from_json(row.state)
    assert isinstance(state.pending, AwaitingFact) and state.lang == "nl"
    assert state.pending.incident_id == incident_id
    asked = state.pending.fact_id
    await engine.handle(inbound(text="weet ik niet"))
    async with bot.runtime.require_store().transaction() as tx:
        facts = await tx.get_facts(incident_id)
        row = await tx.get_conversation(key)
    assert asked in facts
    assert row is not None
    after = state_from_json(row.state).pending
    assert isinstance(after, AwaitingFact) and after.fact_id != asked


async def test_a_stored_state_that_cannot_be_read_starts_over_as_idle(
    bot: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A row this version cannot read (a field of the wrong type) is no open question: the
    text is read as if nothing was asked, and the row is readable again afterwards."""
    from bot.flows.state import ConversationState, Idle, state_from_json
    from bot.i18n import t
    from bot.ports import Conversation

    engine = bot.runtime.engine
    assert engine is not None
    key = inbound().conversation_key
    broken = {"mode": "fact", "lang": "en", "incident_id": 7, "fact_id": "geheim-NL91ABNA"}
    async with bot.runtime.require_store().transaction() as tx:
        await tx.save_conversation(Conversation(key=key, state=broken))
    with caplog.at_level("WARNING", logger="bot.flows.state"):
        replies = await engine.handle(inbound(text="ja"))
    assert [r.text for r in replies] == [t("not_understood", "en")]  # its language is kept
    assert "could not be read" in caplog.text and "NL91ABNA" not in caplog.text
    async with bot.runtime.require_store().transaction() as tx:
        row = await tx.get_conversation(key)
    assert row is not None and state_from_json(row.state) == ConversationState(Idle(), "en")
    assert row.state == {"mode": "idle", "lang": "en"}, "written again in a shape that reads"
