"""Proactive messages go to the adapter of the channel the address belongs to."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.messages import Channel, Outbound
from bot.ports import Delivery

log = logging.getLogger(__name__)

Deliver = Callable[[Outbound], Awaitable[Delivery]]


class Router:
    """A ``Notifier`` that knows no platform: each adapter registers how it delivers.

    Whatever an adapter raises becomes a failed ``Delivery`` here, so callers record an
    outcome for every message instead of losing it in a log line."""

    def __init__(self) -> None:
        self._routes: dict[Channel, Deliver] = {}

    def register(self, channel: Channel, deliver: Deliver) -> None:
        self._routes[channel] = deliver

    async def deliver(self, message: Outbound) -> Delivery:
        channel = message.address.channel
        route = self._routes.get(channel)
        if route is None:
            log.warning("no %s channel configured: a message could not be sent", channel.value)
            return Delivery.failed(channel.value.capitalize(), "channel not configured")
        try:
            return await route(message)
        except Exception as exc:  # an adapter bug or an SDK error it did not convert
            log.exception("the %s channel failed to deliver a message", channel.value)
            return Delivery.failed(channel.value.capitalize(), type(exc).__name__)
