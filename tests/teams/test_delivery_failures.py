"""A Teams reminder the Bot Connector refuses is recorded as refused, retried, and once the
connector answers again recorded as delivered; the evidence file says which."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.evidence.source import read_evidence
from tests.harness import RunningApp
from tests.teams.chat import events_of, open_incident, run_reminders, to
from tests.teams.fakes import FakeConnector, People


async def test_a_refused_teams_reminder_is_retried_until_it_arrives(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    jan = person("Jan")
    incident = await open_incident(jan)
    connector.failing[jan.conversation.id] = 503

    clock.advance(timedelta(minutes=10))
    assert to(jan, await run_reminders(bot, connector)) == []
    assert len(connector.refused) >= 1, "the bot did try"
    clock.advance(timedelta(minutes=1))
    assert to(jan, await run_reminders(bot, connector)) == []
    del connector.failing[jan.conversation.id]  # the connector is back
    clock.advance(timedelta(minutes=3, seconds=59))  # 10:14:59
    assert await bot.run_reminders() == 0, "the second retry waits five minutes"
    clock.advance(timedelta(minutes=1, seconds=1))  # 10:16, the deadline passed too
    arrived = to(jan, await run_reminders(bot, connector))
    summaries = [s.body.get("summary", "") for s in arrived]
    assert sum("De deadline van Bel je bank" in x for x in summaries) >= 2, summaries

    tried = [
        (e.data["attempt"], e.data["outcome"], e.data["error"])
        for e in await events_of(bot, incident)
        if e.kind == "delivery_attempted" and e.data.get("deadline") == "remind_before"
    ]
    assert [(n, outcome) for n, outcome, _ in tried] == [
        (1, "failed"),
        (2, "failed"),
        (3, "delivered"),
    ]
    error = tried[0][2]
    assert error.startswith("Teams: ") and "503" in error and "refused" not in error, (
        "the status, never the payload"
    )
    async with bot.runtime.require_store().transaction() as tx:
        evidence = await read_evidence(
            tx,
            incident,
            organisations=bot.runtime.organisations,
            playbooks=bot.runtime.playbooks,
            generated_at=clock.now(),
            lang="en",
        )
    said = [line.text for line in evidence.timeline.events]
    assert any(f"delivery failed ({error}), attempt 2 of 3." in s for s in said), said
    assert any(s.endswith(": delivered, attempt 3 of 3.") for s in said), said
