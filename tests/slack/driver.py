"""Slack as the app sees it: signed requests shaped like Slack's, and a person clicking.

Payload shapes follow Slack's documentation and Bolt's own tests: the Events API envelope
(``event_callback``) around ``message`` (``channel_type: im``), ``app_mention`` and
``app_home_opened``; slash commands as form fields; ``block_actions``, ``view_submission``
and ``message_action`` as a form field ``payload`` holding JSON. A person of an Enterprise
Grid workspace (``SlackUser.enterprise``) sends what Slack adds there: ``enterprise_id``,
``context_team_id`` / ``context_enterprise_id`` and, for an org-wide install,
``authorizations[0]`` with no team and ``is_enterprise_install: true``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.harness import RunningApp
from tests.slack.fake_slack import BOT_USER, Call, FakeSlack, SlackUserRecord

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0ACME"
APP_ID = "A0NOODREM"
_clicks = itertools.count(1)


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, *, content_type: str, secret: str = SIGNING_SECRET, age: float = 0.0
) -> dict[str, str]:
    timestamp = str(int(time.time() - age))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(secret, timestamp, body),
    }


def event_body(
    event: dict[str, Any],
    *,
    team: str = TEAM,
    event_id: str | None = None,
    enterprise: str | None = None,
    org_wide: bool = False,
) -> str:
    """The Events API envelope; ``enterprise`` for a workspace of a Grid organisation,
    ``org_wide`` when the app is installed for the whole organisation."""
    body: dict[str, Any] = {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": None if org_wide else team,
                "user_id": BOT_USER,
                "is_bot": True,
                "is_enterprise_install": org_wide,
            }
        ],
        "is_ext_shared_channel": False,
    }
    if enterprise is not None:
        body |= {
            "enterprise_id": enterprise,
            "context_team_id": team,
            "context_enterprise_id": enterprise,
        }
        body["authorizations"][0]["enterprise_id"] = enterprise
    return json.dumps(body)


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


@dataclass
class SignedSlack:
    """Sends requests to the app's ``/slack/events`` the way Slack does."""

    http: aiohttp.ClientSession
    app: RunningApp

    @property
    def url(self) -> str:
        return self.app.url

    async def handled(self) -> None:
        """Return once the app has done all it will for the requests sent so far."""
        await self.app.handled()

    async def post(
        self, body: str, *, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        sent = headers if headers is not None else signed_headers(body, content_type=content_type)
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=sent) as response:
            return response.status, await response.text()

    async def event(self, body: str, *, retry: int | None = None) -> int:
        headers = signed_headers(body, content_type="application/json")
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        status, _ = await self.post(body, content_type="application/json", headers=headers)
        return status

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post(
            interaction_body(payload), content_type="application/x-www-form-urlencoded"
        )


def texts(calls: list[Call]) -> str:
    """Everything the bot showed in these calls (messages, updates, modals, Home), as one
    string to search in."""
    parts: list[str] = []
    for call in calls:
        blocks = call.args.get("blocks") or (call.args.get("view") or {}).get("blocks") or []
        parts.append(str(call.args.get("text") or ""))
        parts.extend(block_texts(blocks))
    return "\n".join(parts)


def block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    parts = []
    for block in blocks:
        for key in ("text", "label"):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        parts.extend(f["text"] for f in block.get("fields", []))
        parts.extend(
            e["text"]["text"]
            for e in block.get("elements", [])
            if "text" in e and isinstance(e["text"], dict)
        )
        parts.extend(e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn")
    return parts


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def element_state(element: dict[str, Any], value: str) -> dict[str, Any]:
    """What Slack reports for one input after the person typed (or picked) ``value``: a
    user picker holds the picked user's id."""
    if element["type"] == "users_select":
        return {"type": "users_select", "selected_user": value or None}
    return {"type": "plain_text_input", "value": value or None}


MAX_MESSAGE_BLOCKS, MAX_HOME_BLOCKS, MAX_TEXT = 50, 100, 3000


def slack_limit_problems(call: Call) -> list[str]:
    """What Slack would refuse in a ``chat.postMessage`` / ``chat.update`` /
    ``views.publish`` call: too many blocks, texts over their limits, too many buttons."""
    view = call.args.get("view")
    blocks: list[dict[str, Any]] = view["blocks"] if view else call.args.get("blocks") or []
    limit = MAX_HOME_BLOCKS if view else MAX_MESSAGE_BLOCKS
    problems = [f"{len(blocks)} blocks > {limit}"] if len(blocks) > limit else []
    if len(str(call.args.get("text") or "")) > 40_000:
        problems.append("message text > 40,000")
    for n, block in enumerate(blocks):
        text = (block.get("text") or {}).get("text", "")
        if len(text) > (150 if block["type"] == "header" else MAX_TEXT):
            problems.append(f"block {n} ({block['type']}): text of {len(text)}")
        if len(block.get("fields", [])) > 10 or any(
            len(f["text"]) > 2000 for f in block.get("fields", [])
        ):
            problems.append(f"block {n}: fields over the limit")
        elements = block.get("elements", [])
        if len(elements) > (25 if block["type"] == "actions" else 10):
            problems.append(f"block {n} ({block['type']}): {len(elements)} elements")
        for element in elements:
            label = element.get("text")
            if isinstance(label, dict) and len(label["text"]) > 75:
                problems.append(f"block {n}: button text of {len(label['text'])}")
            if isinstance(label, str) and len(label) > MAX_TEXT:
                problems.append(f"block {n}: context text of {len(label)}")
            if len(element.get("value", "")) > 2000:
                problems.append(f"block {n}: button value over 2,000")
    return problems


@dataclass
class SlackUser:
    """One person in Slack, talking to the app in their DM (or a channel) and clicking."""

    slack: SignedSlack
    fake: FakeSlack
    user_id: str
    name: str
    locale: str = "nl-NL"
    team: str = TEAM
    enterprise: str | None = None  # the Grid organisation of ``team``
    org_wide: bool = False  # the app is installed for the whole Grid organisation
    modal: dict[str, Any] | None = None  # the modal open for this person now, as Slack has it
    home: dict[str, Any] | None = None  # this person's Home tab, as last published

    def __post_init__(self) -> None:
        self.fake.users[self.user_id] = SlackUserRecord(self.name, self.locale)

    @property
    def dm(self) -> str:
        return f"D{self.user_id}"  # what the fake's conversations.open answers

    async def say(self, text: str, *, event_id: str | None = None) -> list[Call]:
        event = {
            "type": "message",
            "channel": self.dm,
            "user": self.user_id,
            "text": text,
            "ts": f"{time.time():.6f}",
            "event_ts": f"{time.time():.6f}",
            "channel_type": "im",
            "client_msg_id": str(uuid.uuid4()),
        }
        return await self.send_event(self._event_body(event, event_id=event_id))

    async def mention(self, channel: str, text: str) -> list[Call]:
        event = {
            "type": "app_mention",
            "user": self.user_id,
            "text": f"<@{BOT_USER}> {text}",
            "ts": f"{time.time():.6f}",
            "channel": channel,
            "event_ts": f"{time.time():.6f}",
        }
        return await self.send_event(self._event_body(event))

    async def open_home(self) -> list[Call]:
        """Open the app's Home tab (``app_home_opened``)."""
        event = {
            "type": "app_home_opened",
            "user": self.user_id,
            "channel": self.dm,
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        return await self.send_event(self._event_body(event))

    def _event_body(self, event: dict[str, Any], *, event_id: str | None = None) -> str:
        if self.enterprise is not None:
            event = {**event, "team": self.team}  # Grid events name the workspace
        return event_body(
            event,
            team=self.team,
            event_id=event_id,
            enterprise=self.enterprise,
            org_wide=self.org_wide,
        )

    def _grid(self, payload: dict[str, Any]) -> dict[str, Any]:
        """An interaction payload as a Grid workspace sends it (unchanged elsewhere)."""
        if self.enterprise is None:
            return payload
        name = f"{self.enterprise} org"
        return {
            **payload,
            "team": {**payload["team"], "enterprise_id": self.enterprise, "enterprise_name": name},
            "enterprise": {"id": self.enterprise, "name": name},
            "is_enterprise_install": self.org_wide,
        }

    def home_click_payload(self, label: str) -> dict[str, Any]:
        """A click on a button of the Home tab: it carries the view, not a message."""
        assert self.home is not None, "the Home tab was never published for this user"
        button = next(b for b in buttons(self.home["blocks"]) if b["text"]["text"] == label)
        payload = {
            "type": "block_actions",
            "user": {"id": self.user_id, "username": self.name, "team_id": self.team},
            "api_app_id": APP_ID,
            "container": {"type": "view", "view_id": self.home["id"]},
            "trigger_id": f"{next(_clicks)}.{self.user_id}.trigger",
            "team": {"id": self.team, "domain": "acme"},
            "view": {"id": self.home["id"], "type": "home"},
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button["value"],
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self._grid(payload)

    async def press_on_home(self, label: str) -> list[Call]:
        return await self.send_click(self.home_click_payload(label))

    async def send_event(self, body: str, *, retry: int | None = None) -> list[Call]:
        mark = len(self.fake.calls)
        assert await self.slack.event(body, retry=retry) == 200
        await self._answered(mark)
        return self._seen(mark)

    async def command(self, text: str = "", *, channel: str | None = None) -> list[Call]:
        n = next(_clicks)
        fields = {
            "token": "legacy-verification-token",
            "team_id": self.team,
            "team_domain": "acme",
            "channel_id": channel or self.dm,
            "channel_name": "directmessage" if channel is None else "financien",
            "user_id": self.user_id,
            "user_name": self.name.lower(),
            "command": "/noodrem",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": f"{self.fake.base_url}/response/command-{n}",
            "trigger_id": f"{n}.{self.user_id}.trigger",
        }
        if self.enterprise is not None:
            fields |= {
                "enterprise_id": self.enterprise,
                "enterprise_name": f"{self.enterprise} org",
                "is_enterprise_install": str(self.org_wide).lower(),
            }
        mark = len(self.fake.calls)
        status, _ = await self.slack.post(
            urlencode(fields), content_type="application/x-www-form-urlencoded"
        )
        assert status == 200
        await self._answered(mark)
        return self._seen(mark)

    def find_button(self, label: str, *, channel: str | None = None) -> tuple[Any, dict[str, Any]]:
        """The newest message in ``channel`` (default: the DM) with a button ``label``…"""
        where = channel or self.dm
        for message in reversed(list(self.fake.messages.values())):
            if message.channel != where:
                continue
            for button in buttons(message.blocks):
                if button["text"]["text"].startswith(label):
                    return message, button
        seen = [b["text"]["text"] for m in self.fake.messages.values() for b in buttons(m.blocks)]
        raise AssertionError(f"no button {label!r} in {where}; buttons seen: {seen}")

    def click_payload(self, label: str, *, channel: str | None = None) -> dict[str, Any]:
        message, button = self.find_button(label, channel=channel)
        n = next(_clicks)
        payload = {
            "type": "block_actions",
            "user": {
                "id": self.user_id,
                "username": self.name,
                "name": self.name,
                "team_id": self.team,
            },
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "trigger_id": f"{n}.{self.user_id}.trigger",
            "team": {"id": self.team, "domain": "acme"},
            "channel": {"id": message.channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message.ts, "blocks": message.blocks},
            "response_url": f"{self.fake.base_url}/response/click-{n}",
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "text": button["text"],
                    "value": button["value"],
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self._grid(payload)

    async def press(self, label: str, *, channel: str | None = None) -> list[Call]:
        return await self.send_click(self.click_payload(label, channel=channel))

    async def send_click(
        self, payload: dict[str, Any], *, expect_output: bool = True
    ) -> list[Call]:
        mark = len(self.fake.calls)
        status, _ = await self.slack.interaction(payload)
        assert status == 200
        if expect_output:
            await self._answered(mark)
        else:
            await self.slack.handled()
        return self._seen(mark)

    def modal_inputs(self) -> list[dict[str, Any]]:
        assert self.modal is not None, "no modal is open for this user"
        return [b for b in self.modal["blocks"] if b["type"] == "input"]

    async def submit(self, *values: str) -> tuple[dict[str, Any], list[Call]]:
        """Type ``values`` into the open modal's inputs, in order, and submit it.

        Returns the acknowledgement (``response_action`` when the modal stays open: with
        errors, or updated to the next question) and what the bot did after it.
        """
        assert self.modal is not None, "no modal is open for this user"
        state = {
            b["block_id"]: {b["element"]["action_id"]: element_state(b["element"], value)}
            for b, value in zip(self.modal_inputs(), values, strict=True)
        }
        payload = {
            "type": "view_submission",
            "team": {"id": self.team, "domain": "acme"},
            "user": {
                "id": self.user_id,
                "username": self.name,
                "name": self.name,
                "team_id": self.team,
            },
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"{next(_clicks)}.{self.user_id}.trigger",
            "view": {**self.modal, "state": {"values": state}},
            "response_urls": [],
            "is_enterprise_install": False,
        }
        payload = self._grid(payload)
        mark = len(self.fake.calls)
        status, text = await self.slack.interaction(payload)
        assert status == 200
        ack = json.loads(text) if text else {}
        if ack.get("response_action") == "update":
            self.modal = self._as_shown(ack["view"], view_id=self.modal["id"])
        elif not ack:
            self.modal = None
        if ack:
            await self.slack.handled()
        else:
            await self._answered(mark)
        return ack, self._seen(mark)

    async def _answered(self, mark: int) -> None:
        """Wait for the answer to what was sent when ``len(fake.calls)`` was ``mark``: its
        first visible output, then the end of its handling."""
        await self.fake.wait_for(lambda: bool(self.fake.outputs(mark)))
        await self.slack.handled()

    def _as_shown(self, view: dict[str, Any], *, view_id: str) -> dict[str, Any]:
        """A view the way Slack hands it back: with its id, and a new hash per version."""
        return {
            **view,
            "id": view_id,
            "team_id": self.team,
            "hash": f"{time.time():.6f}.{uuid.uuid4().hex[:8]}",
            "app_id": APP_ID,
            "bot_id": "B0NOODREM",
        }

    def _seen(self, mark: int) -> list[Call]:
        seen = self.fake.outputs(mark)
        for call in seen:
            if call.method == "views.open" and f".{self.user_id}." in call.args["trigger_id"]:
                self.modal = self._as_shown(call.args["view"], view_id=call.result["view"]["id"])
            if call.method == "views.publish" and call.args["user_id"] == self.user_id:
                self.home = call.result["view"]
        return seen
