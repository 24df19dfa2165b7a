"""A local fake Bot Connector and Teams users who post activities as Teams sends them.

The connector is a real aiohttp server on loopback that implements the Bot Connector
calls Noodrem makes (send, reply, update, delete, look up a member) and records each one.
It also keeps what a Teams client would show: every message by id in its latest version,
so a test can press a button on the card as it looks now, or on an old copy of it. And it
stands in for OneDrive: ``upload_url()`` names a place the bot may PUT a file to, as
Teams' ``uploadInfo.uploadUrl`` does after a person allowed a file consent card.

Activity shapes follow the Teams documentation: ``channelId: msteams``, ``from`` with an
``aadObjectId``, ``conversation`` with ``conversationType`` and ``tenantId``,
``channelData.tenant.id``, ``locale``, and for a card submit a ``value`` with the
``Action.Submit`` data and the typed inputs, ``replyToId`` naming the card.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.teams_cards import PICK_KEY

ORG = str(Path(__file__).with_name("organisation.yaml"))
LOCAL = {"ORGANISATION_FILE": ORG, "TEAMS_LOCAL": "1"}  # Teams on, unauthenticated, loopback
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
TENANT = "5f1c2a8e-3b7d-4c9a-9e2f-0a1b2c3d4e5f"  # the Entra tenant of "acme" in ORG
MIRA = "0b7e6c2a-1d4f-4e8a-b3c9-5a6d7e8f9a01"  # a manager's aadObjectId in ORG
BOT_ID = "28:6b3a9c1e-7d2f-4a8b-9c0d-1e2f3a4b5c6d"
BOT_NAME = "Noodrem"
CARD = "application/vnd.microsoft.card.adaptive"
CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


@dataclass
class Sent:
    """One call the bot made to the connector."""

    kind: str  # "send" (new message), "reply" (as a reply), "update" (PUT), "delete"
    conversation_id: str
    activity_id: str  # the id of the message sent or replaced
    body: dict[str, Any]


@dataclass
class Upload:
    """One PUT of a file into the fake OneDrive."""

    name: str
    headers: dict[str, str]
    data: bytes


@dataclass
class FakeConnector:
    """``POST /v3/conversations/{id}/activities[/{replyToId}]``, ``PUT`` and ``DELETE
    …/{activityId}``, ``GET /v3/conversations/{id}/members/{memberId}``, and uploads."""

    url: str = ""
    calls: list[Sent] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # latest version by id
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # Teams id -> account
    uploads: list[Upload] = field(default_factory=list)
    failing: dict[str, int] = field(default_factory=dict)
    """Conversation id → HTTP status its sends get (an outage, a removed bot) while set."""
    refused: list[Sent] = field(default_factory=list)  # sends answered with an error
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        activity = "/v3/conversations/{conversation}/activities/{activity}"
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post(activity, self._send)
        app.router.add_put(activity, self._update)
        app.router.add_delete(activity, self._delete)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_put("/onedrive/{name}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def upload_url(self, name: str, *, works: bool = True) -> str:
        """Where Teams would let the bot upload ``name`` (a 404 when not ``works``)."""
        return f"{self.url}{'onedrive' if works else 'nowhere'}/{name}"

    def in_conversation(self, conversation_id: str) -> list[dict[str, Any]]:
        """What the conversation shows now, oldest first (updated cards as updated, deleted
        ones gone)."""
        ids = [c.activity_id for c in self.calls if c.conversation_id == conversation_id]
        return [self.messages[i] for i in dict.fromkeys(ids) if i in self.messages]

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        status = self.failing.get(request.match_info["conversation"])
        if status is not None:
            self.refused.append(Sent("send", request.match_info["conversation"], "", body))
            error = {"code": "ServiceError" if status >= 500 else "BotNotInConversationRoster"}
            return web.json_response({"error": {**error, "message": "refused"}}, status=status)
        activity_id = f"1700000{next(self._ids):06d}"
        kind = "reply" if "activity" in request.match_info else "send"
        self.calls.append(Sent(kind, request.match_info["conversation"], activity_id, body))
        self.messages[activity_id] = {**body, "id": activity_id}
        return web.json_response({"id": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        activity_id = request.match_info["activity"]
        if activity_id not in self.messages:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        self.calls.append(Sent("update", request.match_info["conversation"], activity_id, body))
        self.messages[activity_id] = {**body, "id": activity_id}
        return web.json_response({"id": activity_id})

    async def _delete(self, request: web.Request) -> web.Response:
        conversation, activity_id = (
            request.match_info["conversation"],
            request.match_info["activity"],
        )
        if activity_id not in self.messages or activity_id not in {
            c.activity_id for c in self.calls if c.conversation_id == conversation
        }:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        del self.messages[activity_id]
        self.calls.append(Sent("delete", conversation, activity_id, {}))
        return web.Response(status=200)

    async def _member(self, request: web.Request) -> web.Response:
        """A Teams account as the roster knows it (with its ``aadObjectId``), else 404."""
        member = self.members.get(request.match_info["member"])
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation"}}, status=404
            )
        return web.json_response(member)

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self.uploads.append(Upload(request.match_info["name"], dict(request.headers), data))
        return web.json_response({"id": "drive-item", "size": len(data)}, status=201)


def cards(messages: list[dict[str, Any]], content_type: str = CARD) -> list[dict[str, Any]]:
    """The Adaptive Cards (or other attachments of ``content_type``) in these messages."""
    return [
        a["content"] if content_type == CARD else a
        for m in messages
        for a in m.get("attachments") or []
        if a["contentType"] == content_type
    ]


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """A card's buttons in order: in its ``actions``, or in rows (``ActionSet``) in the body."""
    rows = [e["actions"] for e in card["body"] if e["type"] == "ActionSet"]
    return [a for row in rows for a in row] + card.get("actions", [])


def texts(items: list[Sent] | list[dict[str, Any]]) -> str:
    """Everything the bot said in these messages, as one string to search in."""
    bodies = [i.body if isinstance(i, Sent) else i for i in items]
    parts = [b.get("text") or "" for b in bodies]
    for card in cards(bodies):
        parts.extend(_card_texts(card["body"]))
    return "\n".join(p.replace("**", "*") for p in parts if p)


def _card_texts(elements: list[dict[str, Any]]) -> list[str]:
    found = []
    for element in elements:
        if element.get("type") == "TextBlock":
            found.append(element["text"])
        found.extend(_card_texts(element.get("items", [])))
    return found


@dataclass
class Conversation:
    id: str
    type: str = "personal"  # or "channel"
    channel_id: str | None = None
    team_id: str | None = None


def personal_chat() -> Conversation:
    return Conversation(id=f"a:1{uuid.uuid4().hex}")


def channel_thread() -> Conversation:
    channel = f"19:{uuid.uuid4().hex}@thread.tacv2"
    return Conversation(
        id=f"{channel};messageid=1699999000001",
        type="channel",
        channel_id=channel,
        team_id=f"19:{uuid.uuid4().hex}@thread.tacv2",
    )


class TeamsUser:
    """One person in one Teams conversation, posting to the bot's ``/api/messages``."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        bot_url: str,
        connector: FakeConnector,
        name: str,
        conversation: Conversation,
        aad_object_id: str | None = None,
        locale: str = "nl-NL",
        tenant_id: str = TENANT,
    ) -> None:
        self.http = http
        self.bot_url = bot_url
        self.connector = connector
        self.name = name
        self.conversation = conversation
        self.aad_object_id = aad_object_id or str(uuid.uuid4())
        self.locale = locale
        self.tenant_id = tenant_id
        self.headers: dict[str, str] = {}
        connector.members[self.teams_id] = {
            "id": self.teams_id,
            "name": name,
            "aadObjectId": self.aad_object_id,
            "tenantId": tenant_id,
        }

    @property
    def teams_id(self) -> str:
        """The person's Teams id for this bot (``from.id``), as a mention names them."""
        return f"29:{self.aad_object_id}"

    def activity(self, activity_type: str = "message", **fields: Any) -> dict[str, Any]:
        conversation: dict[str, Any] = {
            "id": self.conversation.id,
            "conversationType": self.conversation.type,
            "tenantId": self.tenant_id,
        }
        channel_data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if self.conversation.type == "channel":
            conversation["isGroup"] = True
            channel_data["channel"] = {"id": self.conversation.channel_id}
            channel_data["team"] = {"id": self.conversation.team_id}
        return {
            "type": activity_type,
            "id": f"f:{uuid.uuid4().hex}",
            "timestamp": "2026-11-20T09:00:00.000Z",
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {
                "id": self.teams_id,
                "name": self.name,
                "aadObjectId": self.aad_object_id,
            },
            "conversation": conversation,
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "entities": [
                {"type": "clientInfo", "locale": self.locale, "country": "NL", "platform": "Web"}
            ],
            "channelData": channel_data,
            "locale": self.locale,
            **fields,
        }

    async def say(
        self,
        text: str,
        *,
        mention: bool | None = None,
        activity_id: str | None = None,
        people: tuple[TeamsUser, ...] = (),
    ) -> list[Sent]:
        """Type a message; in a channel it starts with the bot's @mention. Each of
        ``people`` is @mentioned after the text, as Teams sends it (Teams id and name)."""
        activity = self.activity(textFormat="plain", text=text)
        if mention if mention is not None else self.conversation.type == "channel":
            tag = f"<at>{BOT_NAME}</at>"
            activity["text"] = f"{tag} {text}"
            activity["entities"].append(
                {"type": "mention", "mentioned": {"id": BOT_ID, "name": BOT_NAME}, "text": tag}
            )
        for person in people:
            tag = f"<at>{person.name}</at>"
            activity["text"] = f"{activity['text']} {tag}".strip()
            activity["entities"].append(
                {
                    "type": "mention",
                    "mentioned": {"id": person.teams_id, "name": person.name},
                    "text": tag,
                }
            )
        return await self.post(activity, activity_id=activity_id)

    async def install(self, how: str = "installationUpdate") -> list[Sent]:
        """Add the app in this (personal) chat: ``installationUpdate`` with action ``add``,
        or ``conversationUpdate`` naming the bot among the members added."""
        if how == "installationUpdate":
            return await self.post(self.activity("installationUpdate", action="add"))
        return await self.post(
            self.activity(
                "conversationUpdate",
                membersAdded=[
                    {"id": BOT_ID},
                    {"id": self.teams_id, "aadObjectId": self.aad_object_id},
                ],
            )
        )

    async def answer_consent(
        self,
        card_id: str,
        *,
        allow: bool,
        upload_url: str = "",
        context: dict[str, Any] | None = None,
    ) -> list[Sent]:
        """Press *Allow* or *Decline* on the file consent card ``card_id``: the
        ``fileConsent/invoke`` Teams sends, with ``uploadInfo`` on *Allow*."""
        card = self.connector.messages[card_id]["attachments"][0]
        content = card["content"]
        value: dict[str, Any] = {
            "type": "fileUpload",
            "action": "accept" if allow else "decline",
            "context": context or content["acceptContext" if allow else "declineContext"],
        }
        if allow:
            value["uploadInfo"] = {
                "contentUrl": f"https://contoso.sharepoint.com/personal/x/{card['name']}",
                "name": card["name"],
                "uploadUrl": upload_url,
                "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
                "fileType": "pdf",
                "etag": "1",
            }
        invoke = self.activity("invoke", name="fileConsent/invoke", value=value, replyToId=card_id)
        return await self.post(invoke)

    async def press(
        self, label: str, *, form: dict[str, str] | None = None, old: int = 0
    ) -> list[Sent]:
        """Press the newest button whose title starts with ``label`` (``old=1``: the one
        before it, as an old card still shows it)."""
        card_id, data = self.buttons(label)[old]
        return await self.click(card_id, {**data, **(form or {})})

    async def submit(self, value: str) -> list[Sent]:
        """Type into the newest input field and press its OK."""
        for message in reversed(self.connector.in_conversation(self.conversation.id)):
            for card in cards([message]):
                inputs = [e for e in card["body"] if e["type"] == "Input.Text"]
                if inputs:
                    data = actions(card)[-1]["data"]
                    return await self.click(message["id"], {**data, inputs[-1]["id"]: value})
        raise AssertionError("no input field in the conversation")

    async def click(self, card_id: str, value: dict[str, Any]) -> list[Sent]:
        return await self.post(self.activity(value=value, replyToId=card_id))

    def buttons(self, label: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for message in reversed(self.connector.in_conversation(self.conversation.id)):
            for card in cards([message]):
                for action in reversed(actions(card)):
                    if action["title"].startswith(label):
                        found.append((message["id"], action["data"]))
                # A choice in a choice set: select it, then press the set's own submit.
                submit = next((a["data"] for a in actions(card) if PICK_KEY in a["data"]), None)
                for element in card["body"]:
                    if element["type"] == "Input.ChoiceSet" and submit is not None:
                        found.extend(
                            (message["id"], {**submit, element["id"]: choice["value"]})
                            for choice in reversed(element["choices"])
                            if choice["title"].startswith(label)
                        )
        if not found:
            raise AssertionError(f"no button {label!r} in the conversation")
        return found

    async def post(self, activity: dict[str, Any], *, activity_id: str | None = None) -> list[Sent]:
        """POST the activity; returns what the bot sent to the connector meanwhile."""
        if activity_id is not None:
            activity["id"] = activity_id
        before = len(self.connector.calls)
        async with self.http.post(
            f"{self.bot_url}/api/messages", json=activity, headers=self.headers
        ) as response:
            assert response.status == 200, await response.text()
        return self.connector.calls[before:]


People = Callable[..., TeamsUser]
"""The ``person`` fixture: ``person("Jan", conversation=..., locale=...)``."""
