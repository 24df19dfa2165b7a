"""The Router: every message gets an outcome, whatever the adapter does."""

from __future__ import annotations

from bot.messages import Address, Channel, Outbound, Reply, ReplyKind
from bot.notifier import Router
from bot.ports import Delivery, DeliveryStatus

MESSAGE = Outbound(Address(Channel.SLACK, "T1", "C1", "U1"), (Reply(ReplyKind.TEXT, "x"),))


async def test_an_unconfigured_channel_is_a_failed_delivery() -> None:
    outcome = await Router().deliver(MESSAGE)
    assert outcome == Delivery(DeliveryStatus.FAILED, "Slack: channel not configured")


async def test_an_adapter_that_raises_is_a_failed_delivery_not_an_exception() -> None:
    async def broken(message: Outbound) -> Delivery:
        raise KeyError("xoxb-secret-token")

    router = Router()
    router.register(Channel.SLACK, broken)
    outcome = await router.deliver(MESSAGE)
    assert outcome == Delivery(DeliveryStatus.FAILED, "Slack: KeyError"), "never the message"


def test_a_platform_error_is_kept_short_and_plain() -> None:
    long = Delivery.failed("Teams", "<html>" + "x" * 500)
    assert long.error is not None and len(long.error) <= len("Teams: ") + 80
    assert "<" not in long.error and long.error.endswith("…")
