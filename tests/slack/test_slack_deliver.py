"""Proactive delivery through the adapter alone (no engine): addresses, failures, files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from bot.channels import slack
from bot.clock import SystemClock
from bot.messages import Address, Attachment, Channel, Inbound, Outbound, Reply, ReplyKind
from bot.ports import Delivery, DeliveryStatus
from storage import SqlStore
from tests.slack.conftest import slack_env
from tests.slack.fake_slack import FakeSlack

NOTE = Reply(kind=ReplyKind.REMINDER, text="⏰ Nog 5 min")


async def no_engine(inbound: Inbound) -> Sequence[Reply]:
    raise AssertionError("deliver never calls the engine")


@pytest.fixture
async def channel(fake: FakeSlack, store: SqlStore) -> AsyncIterator[slack.SlackChannel]:
    made = slack.from_settings(
        slack_env(fake), handler=no_engine, store=lambda: store, clock=SystemClock(), host="x"
    )
    assert made is not None
    yield made


def address(conversation: str, user: str | None = "U0JAN") -> Address:
    return Address(Channel.SLACK, "T0ACME", conversation, user)


async def test_to_a_dm_the_dm_is_opened_first(channel: slack.SlackChannel, fake: FakeSlack) -> None:
    assert (await channel.deliver(Outbound(address("DU0JAN"), (NOTE,)))).ok
    assert [c.method for c in fake.calls] == ["conversations.open", "chat.postMessage"]
    assert fake.calls[0].args["users"] == "U0JAN"
    assert fake.calls[1].args["channel"] == "DU0JAN"


async def test_to_a_channel_it_posts_there(channel: slack.SlackChannel, fake: FakeSlack) -> None:
    assert (await channel.deliver(Outbound(address("C0FINANCE"), (NOTE,)))).ok
    assert [(c.method, c.args["channel"]) for c in fake.calls] == [
        ("chat.postMessage", "C0FINANCE")
    ]


async def test_failures_are_reported_not_raised(
    channel: slack.SlackChannel, fake: FakeSlack
) -> None:
    fake.not_member.add("C0GONE")
    gone = await channel.deliver(Outbound(address("C0GONE"), (NOTE,)))
    assert gone == Delivery(DeliveryStatus.FAILED, "Slack: not_in_channel")
    other = Address(Channel.TEAMS, "t", "c", "u")
    elsewhere = await channel.deliver(Outbound(other, (NOTE,)))
    assert elsewhere.status is DeliveryStatus.NO_ADDRESS
    await fake.stop()  # Slack unreachable
    down = await channel.deliver(Outbound(address("C0FINANCE"), (NOTE,)))
    assert down.status is DeliveryStatus.FAILED and down.error == "Slack: ClientConnectorError"


async def test_cards_are_updated_in_place(channel: slack.SlackChannel, fake: FakeSlack) -> None:
    card = Reply(
        kind=ReplyKind.CHECKLIST, title="Overzicht NR-1", text="⏳", card_key="checklist:NR-1"
    )
    assert (await channel.deliver(Outbound(address("C0FIN"), (card,)))).ok
    assert (await channel.deliver(Outbound(address("C0FIN"), (card,)))).ok
    assert [c.method for c in fake.calls] == ["chat.postMessage", "chat.update"]
    fake.messages.clear()  # the message was deleted in Slack: post it anew
    assert (await channel.deliver(Outbound(address("C0FIN"), (card,)))).ok
    assert [c.method for c in fake.calls][2:] == ["chat.update", "chat.postMessage"]


async def test_files_are_shared_only_in_a_direct_message(
    channel: slack.SlackChannel, fake: FakeSlack
) -> None:
    pdf = Attachment("NR-1.pdf", "application/pdf", b"%PDF-1.7 evidence")
    reply = Reply(kind=ReplyKind.TEXT, text="Het bewijsbestand", attachment=pdf)
    upload = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]

    assert (await channel.deliver(Outbound(address("DU0JAN"), (reply,)))).ok
    assert [c.method for c in fake.calls] == ["conversations.open", "chat.postMessage", *upload]
    assert fake.calls_of("upload")[0].args["data"] == pdf.data
    assert fake.calls_of("files.completeUploadExternal")[0].args["channel_id"] == "DU0JAN"

    mark = len(fake.calls)
    assert (await channel.deliver(Outbound(address("C0FIN"), (reply,)))).ok
    shared = fake.calls[mark:]
    assert [c.method for c in shared] == [
        "conversations.open",
        "chat.postMessage",
        *upload,
        "chat.postMessage",
    ]
    assert shared[1].args["channel"] == "DU0JAN" and shared[4].args["channel_id"] == "DU0JAN"
    assert shared[5].args["channel"] == "C0FIN" and "privégesprek" in shared[5].args["text"]

    mark = len(fake.calls)
    nobody = await channel.deliver(Outbound(address("C0FIN", user=None), (reply,)))
    assert nobody == Delivery(DeliveryStatus.FAILED, "Slack: no_user")
    assert fake.calls[mark:] == [], "no one to give it to privately: not shared at all"
