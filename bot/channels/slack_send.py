"""Replies into one Slack conversation, with cards (the checklist) updated in place.

Where a card was posted lives in the store, not in this process: after a restart, or
with two processes behind one Request URL, the next click still updates the same message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from bot.channels.base import StoreGetter
from bot.channels.slack_blocks import fallback_text, file_in_dm_text, reply_blocks
from bot.channels.slack_inbound import is_dm
from bot.channels.slack_web import Failed, SlackWeb
from bot.messages import Reply, ReplyKind
from bot.ports import Clock

log = logging.getLogger(__name__)

UNREACHABLE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
"""Post errors for which an interaction's ``response_url`` can still reach the person."""


class Cards(StrEnum):
    """What to do with a card (a reply with ``card_key``) that was posted before."""

    UPDATE = "update"  # after a click: change the message in place (``chat.update``)
    REPOST = "repost"  # typed "status": show it again at the bottom, and update that one


def card_ref_key(*, team: str, channel: str, card_key: str) -> str:
    """One card per conversation: the same checklist in another channel is another post."""
    return f"slack:{team}:{channel}:{card_key}"


class Sender:
    """Every method is given the ``SlackWeb`` of the workspace the replies are for."""

    def __init__(self, *, store: StoreGetter, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def send(
        self,
        web: SlackWeb,
        replies: Sequence[Reply],
        *,
        team: str,
        channel: str,
        user: str | None,
        locale: str | None,
        cards: Cards,
        response_url: str | None = None,
    ) -> Failed | None:
        """Post (or update) every reply in order; the first refusal, or None if all arrived.

        ``user`` is the person the replies are for: a file among them goes to their direct
        messages unless ``channel`` already is one. ``response_url`` (from a slash command
        or a click) is the way to answer someone in a conversation the app cannot post in:
        the replies then arrive for them only.
        """
        first: Failed | None = None
        refused: set[str] = set()  # channels that said no: one refusal is enough
        for reply in replies:
            if reply.attachment is not None and not is_dm(channel):
                failed = await self._send_privately(
                    web,
                    reply,
                    team=team,
                    channel=channel,
                    user=user,
                    locale=locale,
                    response_url=response_url,
                )
            else:
                failed = await self._send_one(
                    web,
                    reply,
                    team=team,
                    channel=channel,
                    locale=locale,
                    cards=cards,
                    response_url=response_url,
                    refused=refused,
                )
            first = first or failed
        return first

    async def _send_one(
        self,
        web: SlackWeb,
        reply: Reply,
        *,
        team: str,
        channel: str,
        locale: str | None,
        cards: Cards,
        response_url: str | None,
        refused: set[str] | None = None,
    ) -> Failed | None:
        blocks = reply_blocks(reply, locale=locale)
        text = fallback_text(reply)
        key = (
            card_ref_key(team=team, channel=channel, card_key=reply.card_key)
            if reply.card_key
            else None
        )
        if key is not None and cards is Cards.UPDATE:
            ref = await self._get_ref(key)
            if (
                ref is not None
                and await web.update(str(ref["channel"]), str(ref["ts"]), text=text, blocks=blocks)
                is None
            ):
                return None
            # Never posted here, or deleted, or too old to edit: post it anew below.
        if refused is not None and channel in refused and response_url:
            return await web.respond(response_url, text=text, blocks=blocks)
        posted = await web.post(channel, text=text, blocks=blocks)
        if isinstance(posted, Failed):
            if response_url and posted.error in UNREACHABLE:
                if refused is not None:
                    refused.add(channel)  # the next replies go the private way at once
                return await web.respond(response_url, text=text, blocks=blocks)
            return posted
        if key is not None:
            await self._save_ref(key, {"channel": channel, "ts": posted})
        if reply.attachment is not None:
            return await web.upload(channel, reply.attachment)
        return None

    async def _send_privately(
        self,
        web: SlackWeb,
        reply: Reply,
        *,
        team: str,
        channel: str,
        user: str | None,
        locale: str | None,
        response_url: str | None,
    ) -> Failed | None:
        """A file (the evidence: names, account numbers, amounts) is only for the people
        entitled to it, and a channel may hold others, guests from other companies even:
        the reply and its file go to the person's DM, the channel learns only where."""
        dm = await web.open_dm(user) if user else Failed("no_user")
        if isinstance(dm, Failed):
            return dm
        sent = await self._send_one(
            web, reply, team=team, channel=dm, locale=locale, cards=Cards.REPOST, response_url=None
        )
        note = Reply(kind=ReplyKind.TEXT, text=file_in_dm_text(locale))
        noted = await self._send_one(
            web,
            note,
            team=team,
            channel=channel,
            locale=locale,
            cards=Cards.REPOST,
            response_url=response_url,
        )
        return sent or noted

    # A store failure here costs at most a card posted anew: never the replies themselves.

    async def _get_ref(self, key: str) -> dict[str, Any] | None:
        try:
            async with self._store().transaction() as tx:
                ref = await tx.get_message_ref(key)
        except Exception:
            log.exception("slack: could not read where card %s was posted", key)
            return None
        return ref if ref and ref.get("channel") and ref.get("ts") else None

    async def _save_ref(self, key: str, ref: dict[str, Any]) -> None:
        try:
            async with self._store().transaction() as tx:
                await tx.save_message_ref(key=key, ref=ref, at=self._clock.now())
        except Exception:
            log.exception("slack: could not remember where card %s was posted", key)
