"""The Teams adapter with a scripted handler instead of the engine: the edges of translating
(attachments, foreign card data, broken requests, failures) without needing a playbook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.channels.teams import TeamsChannel
from bot.channels.teams_settings import TeamsSettings
from bot.clock import ManualClock
from bot.messages import (
    Address,
    Attachment,
    Button,
    Channel,
    Inbound,
    Mention,
    Outbound,
    Reply,
    ReplyKind,
    ShowStatus,
)
from bot.ports import DeliveryStatus
from storage import SqlStore
from tests.teams.fakes import (
    START,
    FakeConnector,
    TeamsUser,
    channel_thread,
    personal_chat,
    texts,
)

CHECKLIST = Reply(
    kind=ReplyKind.CHECKLIST,
    title="Overzicht",
    text="⏳ Bank bellen",
    buttons=(Button("Overzicht", ShowStatus("NR-AAAAAA")),),
    card_key="checklist:NR-AAAAAA",
)


@dataclass
class Script:
    """Answers every inbound with ``replies``, or raises ``failure``; remembers inbounds."""

    replies: list[Reply] = field(default_factory=list)
    failure: Exception | None = None
    seen: list[Inbound] = field(default_factory=list)

    async def __call__(self, inbound: Inbound) -> Sequence[Reply]:
        self.seen.append(inbound)
        if self.failure is not None:
            raise self.failure
        return self.replies


@dataclass
class Adapter:
    url: str
    channel: TeamsChannel
    script: Script


@pytest.fixture
async def adapter(store: SqlStore) -> AsyncIterator[Adapter]:
    script = Script()
    channel = TeamsChannel(
        TeamsSettings(), handler=script, store=lambda: store, clock=ManualClock(START)
    )
    app = web.Application()
    channel.install(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield Adapter(f"http://{host}:{port}", channel, script)
    await runner.cleanup()


@pytest.fixture
def jan(adapter: Adapter, connector: FakeConnector, http: aiohttp.ClientSession) -> TeamsUser:
    return TeamsUser(
        http, bot_url=adapter.url, connector=connector, name="Jan", conversation=personal_chat()
    )


async def test_without_a_file_store_an_attachment_is_only_named(
    adapter: Adapter, jan: TeamsUser
) -> None:
    pdf = Attachment(filename="NR-AAAAAA-bewijs.pdf", content_type="application/pdf", data=b"%")
    adapter.script.replies = [Reply(kind=ReplyKind.TEXT, text="Het bewijs:", attachment=pdf)]
    sent = await jan.say("bewijs")
    assert [s.body["text"] for s in sent] == [
        "Het bewijs:",
        "📎 NR-AAAAAA-bewijs.pdf (dit bestand kan ik hier niet meesturen)",
    ]


async def test_mentions_name_people_by_their_entra_object_id(
    adapter: Adapter, jan: TeamsUser, connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    thread = channel_thread()
    piet = TeamsUser(
        http, bot_url=adapter.url, connector=connector, name="Piet", conversation=thread
    )
    mira = TeamsUser(
        http, bot_url=adapter.url, connector=connector, name="Mira", conversation=thread
    )
    stranger = TeamsUser(
        http, bot_url=adapter.url, connector=connector, name="Gast", conversation=thread
    )
    del connector.members[stranger.teams_id]  # not in the team's roster
    await mira.say("aan", people=(piet, stranger, piet))
    inbound = adapter.script.seen[-1]
    assert inbound.text == "aan @Piet @Gast @Piet", "the bot's own mention is gone"
    assert inbound.mentions == (
        Mention(user_id=piet.aad_object_id, name="Piet"),
        Mention(user_id=stranger.teams_id, name="Gast"),  # no object id: the Teams id
    )
    assert inbound.personal_address is None, "a channel is nobody's own chat"
    assert inbound.address is not None and inbound.address.conversation_id == thread.channel_id

    named = mira.activity(text="aan <at>Gast</at>")  # an entity that names the object id
    named["entities"].append(
        {
            "type": "mention",
            "mentioned": {"id": stranger.teams_id, "name": "Gast", "aadObjectId": "aad-gast"},
            "text": "<at>Gast</at>",
        }
    )
    await mira.post(named)
    assert adapter.script.seen[-1].mentions == (Mention(user_id="aad-gast", name="Gast"),)

    await jan.say("hallo")
    private = adapter.script.seen[-1]
    assert private.mentions == () and private.personal_address == private.address


async def test_card_data_that_is_not_ours_never_reaches_the_engine(
    adapter: Adapter, jan: TeamsUser
) -> None:
    for value in ({"other-bot": "x"}, {"noodrem": "not|an|action"}, "text"):
        sent = await jan.click("1700000000099", value)  # type: ignore[arg-type]
        assert "ken ik niet" in texts(sent)
    assert adapter.script.seen == []


async def test_a_card_whose_message_is_gone_is_posted_again(
    adapter: Adapter, jan: TeamsUser, connector: FakeConnector
) -> None:
    adapter.script.replies = [CHECKLIST]
    first = await jan.say("status")
    card_id, data = jan.buttons("Overzicht")[0]
    del connector.messages[card_id]  # someone deleted it in Teams, then used an old copy
    again = await jan.click(card_id, data)
    assert [s.kind for s in again] == ["reply"] and again[0].activity_id != first[0].activity_id
    updated = await jan.press("Overzicht")
    assert [(s.kind, s.activity_id) for s in updated] == [("update", again[0].activity_id)]


async def test_a_failing_handler_is_a_500_without_a_traceback(
    adapter: Adapter, jan: TeamsUser, http: aiohttp.ClientSession
) -> None:
    adapter.script.failure = RuntimeError("secret internals")
    async with http.post(f"{adapter.url}/api/messages", json=jan.activity(text="x")) as response:
        assert response.status == 500
        body = await response.text()
    assert "Traceback" not in body and "secret internals" not in body


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"hello", "text/plain", 415),
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b'{"type": "message", "conversation": "not an object"}', "application/json", 400),
    ],
)
async def test_malformed_requests_are_refused_plainly(
    adapter: Adapter, http: aiohttp.ClientSession, data: bytes, content_type: str, status: int
) -> None:
    headers = {"Content-Type": content_type}
    async with http.post(f"{adapter.url}/api/messages", data=data, headers=headers) as response:
        assert response.status == status
        assert "error" in await response.json()
    assert adapter.script.seen == []


@pytest.mark.parametrize("conversation_id", [None, 42, ""])
async def test_a_conversation_without_a_usable_id_is_a_400(
    adapter: Adapter, jan: TeamsUser, http: aiohttp.ClientSession, conversation_id: object
) -> None:
    """Found by the fuzz: a missing id passed the shape check as the text "None" and the
    turn failed deep in the SDK, a 500."""
    activity = jan.activity(text="help")
    conversation = {k: v for k, v in activity["conversation"].items() if k != "id"}
    if conversation_id is not None:
        conversation["id"] = conversation_id
    body = {**activity, "conversation": conversation}
    async with http.post(f"{adapter.url}/api/messages", json=body) as response:
        assert response.status == 400
        assert "conversation.id" in (await response.json())["error"]
    assert adapter.script.seen == []


async def test_deliver_says_when_it_cannot_send(adapter: Adapter, jan: TeamsUser) -> None:
    reply = (Reply(kind=ReplyKind.REMINDER, text="⏰ Nog 5 min"),)
    bare = Address(channel=Channel.TEAMS, tenant_id="t", conversation_id="c", user_id="u")
    no_reference = await adapter.channel.deliver(Outbound(bare, reply))
    assert no_reference.status is DeliveryStatus.NO_ADDRESS
    reference = {**jan.activity(), "serviceUrl": f"{adapter.url}/"}  # answers 404 to /v3/…
    refused = Address(
        channel=Channel.TEAMS,
        tenant_id="t",
        conversation_id="c",
        reference={
            "bot": reference["recipient"],
            "user": reference["from"],
            "conversation": reference["conversation"],
            "channelId": "msteams",
            "serviceUrl": reference["serviceUrl"],
        },
    )
    answer = await adapter.channel.deliver(Outbound(refused, reply))
    assert answer.status is DeliveryStatus.FAILED
    # A 404 page is no JSON: the SDK can only say it could not read the answer.
    assert answer.error == "Teams: DeserializationError"
    web_address = Address(channel=Channel.WEB, tenant_id="t", conversation_id="c")
    elsewhere = await adapter.channel.deliver(Outbound(web_address, reply))
    assert elsewhere.status is DeliveryStatus.NO_ADDRESS
