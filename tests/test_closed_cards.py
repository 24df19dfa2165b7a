"""Old cards of a closed or stopped incident in the web chat (issue 11), over real HTTP on
SQLite and PostgreSQL: pressing one of their buttons changes nothing and says the incident
is closed, offering the evidence file, and a manager the reopening."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.harness import RunningApp, running_app
from tests.test_flow import events_of, open_incident
from tests.webclient import WebUser, texts

ORG = str(Path(__file__).parent / "fixtures" / "organisation.yaml")


@pytest.fixture
async def bot(schema_at_head: None, database_url: str) -> AsyncIterator[RunningApp]:
    async with running_app(database_url, env={"ORGANISATION_FILE": ORG}) as app:
        yield app


async def test_a_button_on_a_card_of_a_closed_incident_says_it_is_closed(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)  # the bank step's card is in his chat
    mira = WebUser(http, bot.url, "Mira Manager")
    await mira.say("list")
    await mira.press(incident)  # her checklist
    await mira.press("Incident sluiten")
    await mira.press("Ja, sluiten")
    await mira.submit("dubbele melding")
    before = len(await events_of(bot, incident))

    await jan.inbox()  # what he was told: Mira joined, and closed it
    pressed = await jan.press("Gedaan")
    assert [m["kind"] for m in pressed] == ["error"]
    assert texts(pressed) == (
        f"\nIncident {incident} is gesloten: deze knop doet niets meer. Het dossier kun je "
        "nog altijd downloaden."
    )
    assert [b["label"] for b in pressed[0]["buttons"]] == ["Dossier (PDF)"]
    assert len(await events_of(bot, incident)) == before

    pressed = await mira.press("▶ ")
    assert f"typ *heropen {incident}*" in texts(pressed)
    assert [b["label"] for b in pressed[-1]["buttons"]] == ["Dossier (PDF)", "Heropenen"]
    assert f"Incident {incident} is heropend" in texts(await mira.press("Heropenen"))


async def test_english_stopped_incident_card(bot: RunningApp, http: aiohttp.ClientSession) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    incident = await open_incident(ann, "I think we paid a fraudster")
    await ann.say("stop")
    await ann.press("Yes")
    await ann.submit("false alarm")
    pressed = await ann.press("Done")
    assert f"Incident {incident} is stopped: this button does nothing any more" in texts(pressed)
    exported = await ann.press("Evidence file (PDF)")
    assert any(m.get("attachment") for m in exported), "the file is still there"
