"""What every platform channel offers the app, so ``app.py`` wires them all the same way.

A channel module (``slack``, ``teams``) exposes ``from_settings(...)``, which returns
``None`` when the platform is not configured, raises ``SettingsError`` (one line a person
can act on) when it is configured wrongly, and otherwise a ``PlatformChannel``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.messages import Attachment, Channel, Inbound, Outbound, Reply
from bot.ports import Clock, Delivery, ReplySink, Store

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


class Handler(Protocol):
    """The engine as a channel sees it: one inbound in, replies out. A channel that keeps
    replies in the store passes a ``sink`` for them (``Engine.handle``); one that sends them
    to a platform over HTTP cannot, as no HTTP call is part of a database transaction."""

    async def __call__(
        self, inbound: Inbound, *, sink: ReplySink | None = None
    ) -> Sequence[Reply]: ...


StoreGetter = Callable[[], Store]
"""The store opens in the app's startup hook, after the routes exist: ask for it late."""

SqlEngineGetter = Callable[[], "AsyncEngine"]
"""The store's database engine, for an SDK that keeps its own tables in our schema with
its own SQL (Slack's installation store); asked for late, like the store."""


class PlatformChannel(Protocol):
    channel: Channel

    def install(self, app: web.Application) -> None:
        """Add the platform's routes (and startup/cleanup hooks) to the app."""

    async def deliver(self, message: Outbound) -> Delivery:
        """Send a proactive message (reminder, escalation); what happened to it."""


PublishLink = Callable[[Attachment, str], Awaitable[str]]
"""Store a file for a person (user key); the absolute, signed, expiring link to it."""


class ChannelFactory(Protocol):
    def __call__(
        self,
        env: dict[str, str],
        *,
        handler: Handler,
        store: StoreGetter,
        clock: Clock,
        host: str,
        publish_link: PublishLink | None = None,
        sql_engine: SqlEngineGetter | None = None,
    ) -> PlatformChannel | None: ...
