"""Who a Slack request is from and whom it names, as the engine's ``Inbound``.

Display names and languages come from ``users.info`` (cached in the ``SlackWeb`` of the
workspace, which every method is given: the token and cache of the request's workspace). People
mentioned with ``<@U…>`` (or picked in a user picker) become ``Inbound.mentions``, which
the engine uses to assign a step or hand over the lead to them.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.channels.base import Handler
from bot.channels.slack_inbound import is_dm
from bot.channels.slack_web import Person, SlackWeb
from bot.messages import Action, Address, Channel, Inbound, Mention, Presence
from bot.ports import Clock


class People:
    def __init__(self, *, handler: Handler, clock: Clock) -> None:
        self._handler = handler
        self._clock = clock

    async def inbound(
        self,
        web: SlackWeb,
        *,
        team: str,
        user: str,
        conversation: str,
        event_id: str,
        text: str | None = None,
        action: Action | None = None,
        form: dict[str, str] | None = None,
        mentions: tuple[Mention, ...] = (),
    ) -> tuple[Inbound, Person]:
        """The ``Inbound`` for what ``user`` did in ``conversation``, and who they are."""
        person = await web.person(user)
        inbound = Inbound(
            channel=Channel.SLACK,
            tenant_id=team,
            user_id=user,
            user_name=person.name,
            conversation_id=conversation,
            locale=person.locale,
            event_id=event_id or None,
            text=text,
            action=action,
            form=form or {},
            mentions=mentions,
            address=Address(
                channel=Channel.SLACK, tenant_id=team, conversation_id=conversation, user_id=user
            ),
            # Reminders are DMs: the DM itself, or the user id to open one with.
            personal_address=Address(
                channel=Channel.SLACK,
                tenant_id=team,
                conversation_id=conversation if is_dm(conversation) else user,
                user_id=user,
            ),
            received_at=self._clock.now(),
        )
        return inbound, person

    async def named(self, web: SlackWeb, found: Mapping[str, str]) -> tuple[Mention, ...]:
        """Display names for mentioned user ids (``mentioned()``'s result); the label Slack
        sent along, else the id, when the lookup fails."""
        people = []
        for user_id, label in found.items():
            name = (await web.person(user_id)).name
            people.append(Mention(user_id, label if name == user_id and label else name))
        return tuple(people)

    async def reachable(
        self, web: SlackWeb, found: Mapping[str, str], *, team: str, sender: str
    ) -> tuple[Mention, ...]:
        """Like ``named``, and each person announced to the engine as reachable.

        In Slack anyone in the workspace can be reached by a DM opened with their user id,
        whether or not they ever wrote to Noodrem: a ``PRESENCE`` per mentioned person lets
        the engine remember that, so a step assigned to them (and its reminders) reaches
        them in private instead of asking the room to pass it on.
        """
        people = await self.named(web, found)
        for mention in people:
            if mention.user_id != sender:  # the sender's own inbound says where they are
                presence, _ = await self.inbound(
                    web,
                    team=team,
                    user=mention.user_id,
                    conversation=mention.user_id,
                    event_id="",
                    action=Presence(),
                )
                await self._handler(presence)
        return people
