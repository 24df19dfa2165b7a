"""The Slack Web API calls Noodrem makes, with slack_sdk's errors stopped at this boundary.

Each call returns a plain result or ``Failed`` with Slack's error code, and logs the
method and that code, never a token or a message text: a refused post (a channel the app
is not in, a revoked token, Slack being down) must not crash a listener, and the caller
decides whether there is something better to do (post anew, answer ephemerally).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.channels.slack_blocks import Block
from bot.messages import Attachment

log = logging.getLogger(__name__)

PERSON_TTL_SECONDS = 3600.0  # a changed display name or language shows within the hour
MAX_PEOPLE = 10_000
MAX_WORKSPACES = 1_000
NOT_INSTALLED = "not_installed"  # our code: no bot token for the workspace in our database

TokenOf = Callable[[str], Awaitable[str | None]]
"""The bot token of a tenant (a Slack team id, or the enterprise id of an org-wide
Enterprise Grid install); None when the app is not installed there."""


@dataclass(frozen=True, slots=True)
class Failed:
    """A call Slack refused or that never reached it; ``error`` is Slack's error code
    (``not_in_channel``, ``invalid_auth``) or the name of the network error."""

    error: str


@dataclass(frozen=True, slots=True)
class Person:
    """A label and a language: only what the engine needs to address someone."""

    name: str
    locale: str | None  # "nl" or "en" when Slack's locale is one of those


def locale_of(slack_locale: object) -> str | None:
    """Slack's ``nl-NL`` / ``en-GB`` to the engine's ``nl`` / ``en``; None otherwise."""
    if not isinstance(slack_locale, str):
        return None
    short = slack_locale.lower()[:2]
    return short if short in ("nl", "en") else None


def slack_time(ts: str) -> datetime | None:
    """A message ``ts`` ("1583636382.000300", seconds since 1970) as an aware datetime."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError):
        return None


class SlackWeb:
    """Thin, failure-tolerant wrappers over the ``AsyncWebClient`` methods we use."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._people: dict[str, tuple[float, Person]] = {}

    async def person(self, user_id: str) -> Person:
        """Display name and language from ``users.info``, kept in memory for an hour.

        Without an answer the user id is the label and the language is left to the
        engine (conversation choice, the text, the organisation's default).
        """
        now = time.monotonic()
        cached = self._people.get(user_id)
        if cached is not None and now - cached[0] < PERSON_TTL_SECONDS:
            return cached[1]
        result = await self._call(
            "users.info", self.client.users_info(user=user_id, include_locale=True)
        )
        if isinstance(result, Failed):
            return cached[1] if cached is not None else Person(name=user_id, locale=None)
        user: dict[str, Any] = result.get("user") or {}
        profile: dict[str, Any] = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        person = Person(name=str(name), locale=locale_of(user.get("locale")))
        if len(self._people) >= MAX_PEOPLE:
            self._people.clear()  # a label cache: starting over costs one lookup each
        self._people[user_id] = (now, person)
        return person

    async def open_dm(self, user_id: str) -> str | Failed:
        """The id of the app's direct-message channel with this person."""
        result = await self._call(
            "conversations.open", self.client.conversations_open(users=user_id)
        )
        if isinstance(result, Failed):
            return result
        return str((result.get("channel") or {}).get("id", "")) or Failed("no_channel")

    async def post(self, channel: str, *, text: str, blocks: list[Block]) -> str | Failed:
        """Post a message; its ``ts`` (the id to update it by) or why not."""
        result = await self._call(
            "chat.postMessage",
            self.client.chat_postMessage(channel=channel, text=text, blocks=blocks),
        )
        if isinstance(result, Failed):
            return result
        return str(result.get("ts") or "") or Failed("no_ts")

    async def update(
        self, channel: str, ts: str, *, text: str, blocks: list[Block]
    ) -> Failed | None:
        result = await self._call(
            "chat.update", self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        )
        return result if isinstance(result, Failed) else None

    async def open_modal(self, trigger_id: str, view: Block) -> Failed | None:
        result = await self._call(
            "views.open", self.client.views_open(trigger_id=trigger_id, view=view)
        )
        return result if isinstance(result, Failed) else None

    async def publish_home(self, user_id: str, view: Block) -> Failed | None:
        result = await self._call(
            "views.publish", self.client.views_publish(user_id=user_id, view=view)
        )
        return result if isinstance(result, Failed) else None

    async def permalink(self, channel: str, ts: str) -> str | None:
        result = await self._call(
            "chat.getPermalink", self.client.chat_getPermalink(channel=channel, message_ts=ts)
        )
        return None if isinstance(result, Failed) else str(result.get("permalink") or "") or None

    async def upload(self, channel: str, attachment: Attachment) -> Failed | None:
        """Share a file in the conversation (three calls inside slack_sdk's upload v2)."""
        result = await self._call(
            "files.uploadV2",
            self.client.files_upload_v2(
                channel=channel,
                content=attachment.data,
                filename=attachment.filename,
                title=attachment.filename,
            ),
        )
        return result if isinstance(result, Failed) else None

    async def respond(self, response_url: str, *, text: str, blocks: list[Block]) -> Failed | None:
        """An ephemeral answer through an interaction's ``response_url``: it reaches the
        person even where the app is not a member of the conversation."""
        webhook = AsyncWebhookClient(
            response_url, session=self.client.session, logger=self.client.logger
        )
        try:
            response = await webhook.send(text=text, blocks=blocks, response_type="ephemeral")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("slack: response_url failed: %s", type(exc).__name__)
            return Failed(type(exc).__name__)
        if response.status_code != 200:
            log.warning("slack: response_url failed: HTTP %s", response.status_code)
            return Failed(f"http_{response.status_code}")
        return None

    async def _call(
        self, method: str, call: Awaitable[AsyncSlackResponse]
    ) -> AsyncSlackResponse | Failed:
        try:
            return await call
        except SlackApiError as exc:
            # An HTTP error page (a 503 from a proxy) is no JSON: its data is a string.
            data = exc.response.data
            error = (
                str(data.get("error") or "unknown_error")
                if isinstance(data, dict)
                else f"http_{exc.response.status_code}"
            )
            log.warning("slack: %s failed: %s", method, error)
            return Failed(error)
        except (SlackRequestError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("slack: %s failed: %s", method, type(exc).__name__)
            return Failed(type(exc).__name__)


class Workspaces:
    """A ``SlackWeb`` per bot token, so that every Web API call made for a workspace carries
    that workspace's token and no other, and each workspace has its own people cache.

    A request from Slack names its token (Bolt's authorization found it: the one token, or
    the workspace's installation); a proactive message knows only the workspace, whose
    token ``token_of`` looks up (an org-wide Grid install's for all its workspaces).
    """

    def __init__(self, client: AsyncWebClient, token_of: TokenOf) -> None:
        self._client = client  # base URL, logger, and (once started) the connection pool
        self._token_of = token_of
        self._webs: dict[str, SlackWeb] = {}

    def with_token(self, token: str) -> SlackWeb:
        web = self._webs.get(token)
        if web is None:
            if len(self._webs) >= MAX_WORKSPACES:
                self._webs.clear()  # caches only: starting over costs a lookup per person
            client = AsyncWebClient(
                token=token,
                base_url=self._client.base_url,
                session=self._client.session,
                logger=self._client.logger,
            )
            web = self._webs[token] = SlackWeb(client)
        return web

    async def of_tenant(self, tenant: str) -> SlackWeb | Failed:
        token = await self._token_of(tenant)
        return self.with_token(token) if token else Failed(NOT_INSTALLED)
