"""Prometheus metrics at ``GET /metrics`` (prometheus-client's text format).

One ``Metrics`` per app, each with its own registry, so two apps in one process (tests,
a second replica in a test) never share counters. Labels are closed sets only (the
channel), never a person, an incident or a text: nothing personal leaves through here.

- ``noodrem_messages_total{channel}``: inbound messages handed to the engine.
- ``noodrem_turn_seconds{channel}``: how long the engine took to answer one of them.
- ``noodrem_reminder_lateness_seconds``: how long after its planned time a reminder or
  escalation went out (a restart after downtime shows here).
- ``noodrem_delivery_failures_total{channel}``: proactive messages (reminders, digests,
  cards for others) the channel could not deliver or that raised.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Sequence
from datetime import timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from bot.channels.base import Handler
from bot.messages import Channel, Inbound, Outbound, Reply
from bot.ports import Delivery, Notifier, ReplySink

TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENESS_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 4 * 3600.0)


class Metrics:
    def __init__(self, *, token: str | None = None) -> None:
        self._token = token
        self.registry = CollectorRegistry(auto_describe=True)
        self._messages = Counter(
            "noodrem_messages",
            "Inbound messages handed to the engine, per channel",
            ["channel"],
            registry=self.registry,
        )
        self._turns = Histogram(
            "noodrem_turn_seconds",
            "Time the engine took to answer one inbound message",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self._lateness = Histogram(
            "noodrem_reminder_lateness_seconds",
            "How long after its planned time a reminder or escalation went out",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self._failures = Counter(
            "noodrem_delivery_failures",
            "Proactive messages a channel could not deliver, per channel",
            ["channel"],
            registry=self.registry,
        )
        for channel in Channel:  # every series exists from the start, at 0
            self._messages.labels(channel.value)
            self._turns.labels(channel.value)
            self._failures.labels(channel.value)

    def timed(self, handle: Handler) -> Handler:
        """``handle`` counting each message and timing its turn (failed turns too)."""

        async def timed_handle(
            inbound: Inbound, *, sink: ReplySink | None = None
        ) -> Sequence[Reply]:
            channel = inbound.channel.value
            self._messages.labels(channel).inc()
            started = time.perf_counter()
            try:
                return await handle(inbound, sink=sink)
            finally:
                self._turns.labels(channel).observe(time.perf_counter() - started)

        return timed_handle

    def reminder_sent(self, lateness: timedelta) -> None:
        self._lateness.observe(max(lateness.total_seconds(), 0.0))

    def delivery_failed(self, channel: Channel) -> None:
        self._failures.labels(channel.value).inc()

    def observed(self, notifier: Notifier) -> Notifier:
        """``notifier`` counting every message it could not deliver."""
        return _CountingNotifier(notifier, self)

    def install(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self._serve)

    async def _serve(self, request: web.Request) -> web.Response:
        if self._token is not None and not self._authorised(request):
            return web.json_response(
                {"error": "send Authorization: Bearer <METRICS_TOKEN>"},
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    def _authorised(self, request: web.Request) -> bool:
        assert self._token is not None
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), self._token.encode())


class _CountingNotifier:
    def __init__(self, inner: Notifier, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def deliver(self, message: Outbound) -> Delivery:
        try:
            outcome = await self._inner.deliver(message)
        except Exception:
            self._metrics.delivery_failed(message.address.channel)
            raise
        if not outcome.ok:
            self._metrics.delivery_failed(message.address.channel)
        return outcome
