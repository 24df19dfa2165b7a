"""The evidence file in Teams: by file consent into OneDrive in a personal chat, by a signed,
expiring link in a channel, and to nobody outside the incident."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.clock import ManualClock
from tests.harness import RunningApp
from tests.teams.chat import events_of, open_incident
from tests.teams.fakes import (
    CONSENT,
    FILE_INFO,
    FakeConnector,
    People,
    Sent,
    TeamsUser,
    cards,
    channel_thread,
    texts,
)

_LINK = re.compile(r"\]\((http[^)\s]+)\)")


def consent_card(sent: list[Sent]) -> tuple[str, dict[str, Any]]:
    """The one file consent card among ``sent``: its message id and the attachment."""
    found = [(s.activity_id, a) for s in sent for a in cards([s.body], CONSENT)]
    assert len(found) == 1, found
    return found[0]


async def download(http: aiohttp.ClientSession, bot: RunningApp, link: str) -> tuple[int, bytes]:
    """Fetch a link Noodrem made, from this test server (its PUBLIC_URL is not the test port)."""
    parts = urlsplit(link)
    async with http.get(f"{bot.url}{parts.path}?{parts.query}") as response:
        return response.status, await response.read()


async def exported_by(user: TeamsUser) -> tuple[str, list[Sent]]:
    incident = await open_incident(user)
    await user.say("€ 12.500")
    return incident, await user.say("export")


async def test_in_a_personal_chat_the_file_goes_to_onedrive_after_consent(
    bot: RunningApp, person: People, connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    jan = person("Jan")
    incident, exported = await exported_by(jan)
    assert f"Het dossier van incident {incident}" in texts(exported)
    card_id, card = consent_card(exported)
    assert card["name"].startswith(f"noodrem-{incident}-") and card["name"].endswith(".pdf")
    offered = card["content"]
    status, pdf = await download(http, bot, offered["acceptContext"]["link"])
    assert status == 200 and pdf.startswith(b"%PDF") and offered["sizeInBytes"] == len(pdf)

    done = await jan.answer_consent(card_id, allow=True, upload_url=connector.upload_url("x.pdf"))
    [upload] = connector.uploads
    assert upload.data == pdf, "the bytes waited in the store, not in this process"
    assert upload.headers["Content-Range"] == f"bytes 0-{len(pdf) - 1}/{len(pdf)}"
    assert [(s.kind, s.activity_id) for s in done[:1]] == [("delete", card_id)]
    [info] = cards([s.body for s in done], FILE_INFO)
    assert info["name"] == card["name"] and info["contentUrl"].startswith("https://contoso")
    assert info["content"] == {
        "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
        "fileType": "pdf",
    }
    assert "Opgeslagen in je OneDrive" in texts(done)
    events = await events_of(bot, incident)
    assert [e.kind for e in events].count("evidence_exported") == 1


async def test_a_declined_file_is_not_uploaded(person: People, connector: FakeConnector) -> None:
    jan = person("Jan")
    _, exported = await exported_by(jan)
    card_id, card = consent_card(exported)
    declined = await jan.answer_consent(card_id, allow=False)
    assert "niet in je OneDrive gezet" in texts(declined) and card["name"] in texts(declined)
    assert connector.uploads == [] and card_id not in connector.messages


async def test_a_failed_upload_hands_over_the_link_instead(
    bot: RunningApp, person: People, connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    jan = person("Jan")
    _, exported = await exported_by(jan)
    card_id, _ = consent_card(exported)
    broken = connector.upload_url("x.pdf", works=False)
    failed = await jan.answer_consent(card_id, allow=True, upload_url=broken)
    said = texts(failed)
    assert "lukte niet" in said and "24 uur" in said
    status, pdf = await download(http, bot, _LINK.findall(said)[0])
    assert status == 200 and pdf.startswith(b"%PDF")


async def test_a_consent_only_uploads_for_its_owner_and_before_it_expires(
    person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    jan = person("Jan")
    _, exported = await exported_by(jan)
    card_id, _ = consent_card(exported)
    eve = person("Eve")  # replays Jan's card context from her own chat
    url = connector.upload_url("x.pdf")
    stolen = await eve.answer_consent(card_id, allow=True, upload_url=url)
    assert "niet meer beschikbaar" in texts(stolen)
    assert card_id in connector.messages, "Eve cannot remove a card in Jan's chat"

    clock.advance(timedelta(hours=25))
    expired = await jan.answer_consent(card_id, allow=True, upload_url=url)
    assert "niet meer beschikbaar" in texts(expired) and "export" in texts(expired)
    assert connector.uploads == []


async def test_in_a_channel_the_file_comes_as_a_signed_expiring_link(
    bot: RunningApp,
    person: People,
    connector: FakeConnector,
    http: aiohttp.ClientSession,
    clock: ManualClock,
) -> None:
    jan = person("Jan", conversation=channel_thread())
    incident, exported = await exported_by(jan)
    assert cards([s.body for s in exported], CONSENT) == [], "no file consent outside a 1:1 chat"
    said = texts(exported)
    assert f"noodrem-{incident}-" in said and "24 uur" in said and "iedereen" in said
    [link] = _LINK.findall(said)
    status, pdf = await download(http, bot, link)
    assert status == 200 and pdf.startswith(b"%PDF")
    status, _ = await download(http, bot, link.replace("sig=", "sig=0"))
    assert status == 403
    clock.advance(timedelta(hours=25))
    status, _ = await download(http, bot, link)
    assert status == 410


async def test_someone_outside_the_incident_cannot_export_it(
    person: People, connector: FakeConnector
) -> None:
    jan = person("Jan")
    incident = await open_incident(jan)
    for stranger in (person("Eve"), person("Eve", conversation=channel_thread())):
        refused = await stranger.say(f"export {incident}")
        assert f"Je doet niet mee aan incident {incident}" in texts(refused)
        assert cards([s.body for s in refused], CONSENT) == [] and "](http" not in texts(refused)
