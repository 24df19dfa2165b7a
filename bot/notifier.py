"""Proactive messages go to the adapter of the channel the address belongs to."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.messages import Channel, Outbound

log = logging.getLogger(__name__)

Deliver = Callable[[Outbound], Awaitable[bool]]


class Router:
    """A ``Notifier`` that knows no platform: each adapter registers how it delivers."""

    def __init__(self) -> None:
        self._routes: dict[Channel, Deliver] = {}

    def register(self, channel: Channel, deliver: Deliver) -> None:
        self._routes[channel] = deliver

    async def deliver(self, message: Outbound) -> bool:
        route = self._routes.get(message.address.channel)
        if route is None:
            log.warning(
                "no %s channel configured: a reminder could not be sent",
                message.address.channel.value,
            )
            return False
        return await route(message)
