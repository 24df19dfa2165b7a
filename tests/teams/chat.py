"""What the Teams tests do again and again: open an incident, get through the questions,
finish a step, read the timeline, see what a run of the reminders sent."""

from __future__ import annotations

from typing import Any

from bot.ports import Event
from tests.harness import RunningApp
from tests.teams.fakes import FakeConnector, Sent, TeamsUser, cards, texts


async def events_of(app: RunningApp, incident_id: str) -> list[Event]:
    async with app.runtime.require_store().transaction() as tx:
        return await tx.get_events(incident_id)


async def open_incident(user: TeamsUser, text: str = "we hebben een oplichter betaald") -> str:
    confirm = await user.say(text)
    assert cards([s.body for s in confirm]), "the question comes as a card with buttons"
    opened = await user.press("Ja" if user.locale.startswith("nl") else "Yes")
    return incident_in(opened)


def incident_in(sent: list[Sent]) -> str:
    ids = {
        word.strip("*.,")
        for word in texts(sent).split()
        if word.strip("*.,").startswith("NR-") and len(word.strip("*.,")) == 9
    }
    assert len(ids) == 1, ids
    return ids.pop()


def input_fields(sent: list[Sent]) -> list[dict[str, Any]]:
    return [
        e
        for card in cards([s.body for s in sent])
        for e in card["body"]
        if e["type"] == "Input.Text"
    ]


async def skip_facts(user: TeamsUser) -> None:
    """Answer the questions with "don't know", and "no mailbox hacked"."""
    for _ in range(5):
        await user.press("Weet ik nog niet")
    await user.press("Nee")
    await user.press("Weet ik nog niet")  # our own account


async def finish_step(user: TeamsUser) -> list[Sent]:
    """Press Done on the newest step card and fill in whatever it asks."""
    sent = await user.press("Gedaan")
    while fields := input_fields(sent):
        sent = await user.submit("REF-123" if fields[-1]["isRequired"] else "-")
    return sent


async def run_reminders(app: RunningApp, connector: FakeConnector) -> list[Sent]:
    """Send what is due now; what arrived at the connector meanwhile."""
    before = len(connector.calls)
    await app.run_reminders()
    return connector.calls[before:]


def to(user: TeamsUser, sent: list[Sent]) -> list[Sent]:
    """The messages among ``sent`` that went to this person's conversation."""
    return [s for s in sent if s.conversation_id == user.conversation.id]
