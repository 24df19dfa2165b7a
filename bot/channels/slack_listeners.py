"""What Noodrem does with each kind of Slack request, after it has been acknowledged.

Every listener acks first (Bolt answers Slack's HTTP request, or the Socket Mode envelope,
as soon as ``ack()`` is called), then builds one ``Inbound``, hands it to the engine and
renders the replies. Nothing here knows a playbook or an incident: that is the engine's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.channels.base import Handler
from bot.channels.slack_blocks import (
    FORM_ACTION_PREFIX,
    FormContext,
    decode_form_request,
    form_modal,
    form_values,
    home_view,
    missing_errors,
)
from bot.channels.slack_inbound import (
    click_event_id,
    command_text,
    event_team,
    evidence_form,
    interaction_team,
    mentioned,
    plain_text,
    tenant,
    with_names,
)
from bot.channels.slack_people import People
from bot.channels.slack_send import Cards, Sender
from bot.channels.slack_web import Failed, Person, SlackWeb, Workspaces, slack_time
from bot.messages import Action, Inbound, InputRequest, ListIncidents, Reply, Report, decode_action
from bot.ports import Clock

log = logging.getLogger(__name__)

Body = dict[str, Any]
SUBMIT_BUDGET = 2.0  # seconds of Slack's 3 for the engine to answer a submitted modal


class Listeners:
    """The Bolt listeners; ``SlackChannel`` registers each once, in one place."""

    def __init__(
        self, *, handler: Handler, workspaces: Workspaces, sender: Sender, clock: Clock
    ) -> None:
        self._handler = handler
        self._workspaces = workspaces
        self._sender = sender
        self._people = People(handler=handler, clock=clock)
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def idle(self) -> None:
        """Wait until no listener is working (acknowledged requests still being handled)."""
        await self._idle.wait()

    # Events API ----------------------------------------------------------------------------

    async def on_message(self, body: Body, context: AsyncBoltContext) -> None:
        """``message.im``: the person typed in their direct messages with the app."""
        event = body.get("event") or {}
        if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
            return  # edits, deletions, joins, other bots: nothing a person said to us
        async with self._working("a direct message"):
            await self._typed(self._web(context), body, context=context)

    async def on_mention(self, body: Body, context: AsyncBoltContext) -> None:
        """``app_mention``: "@Noodrem ..." in a channel; the replies go to that channel."""
        event = body.get("event") or {}
        if event.get("bot_id"):
            return  # another app mentioning us is not a person asking for help
        async with self._working("a mention"):
            await self._typed(self._web(context), body, context=context)

    async def on_home(self, body: Body, context: AsyncBoltContext) -> None:
        """``app_home_opened``: publish the open incidents this person may see."""
        event = body.get("event") or {}
        if event.get("tab") != "home":
            return
        async with self._working("the Home tab"):
            web = self._web(context)
            user = str(event["user"])
            conversation = event.get("channel") or await web.open_dm(user)
            if isinstance(conversation, Failed):
                return
            await self._publish_home(
                web,
                team=_tenant(context, event_team(body)),
                user=user,
                conversation=str(conversation),
                event_id=str(body.get("event_id") or ""),
                action=ListIncidents(),
            )

    async def _publish_home(
        self,
        web: SlackWeb,
        *,
        team: str,
        user: str,
        conversation: str,
        event_id: str,
        action: Action,
    ) -> None:
        """The engine's list (first page, or the page a Home button asked for) as the Home
        tab; its count of open incidents is in the title."""
        inbound, person = await self._people.inbound(
            web, team=team, user=user, conversation=conversation, event_id=event_id, action=action
        )
        replies = await self._handler(inbound)
        if replies:  # none for a redelivered event: the view published first stays
            await web.publish_home(user, home_view(replies, locale=person.locale))

    # Slash command and shortcut ------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        """``/noodrem [status|list|help|stop|export|what happened]`` in any conversation."""
        await ack()
        async with self._working("/noodrem"):
            web = self._web(context)
            inbound, person = await self._people.inbound(
                web,
                team=_tenant(context, str(body.get("team_id") or "")),
                user=str(body["user_id"]),
                conversation=str(body["channel_id"]),
                event_id=f"command:{body.get('trigger_id', '')}",
                text=command_text(str(body.get("text") or "")),
            )
            await self._run(
                web,
                inbound,
                person,
                cards=Cards.REPOST,
                trigger_id=body.get("trigger_id"),
                response_url=body.get("response_url"),
            )

    async def on_shortcut(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        """The "Report as fraud" shortcut on a message: start in the reporter's DM, with the
        message (text, author, time, permalink) as the first evidence."""
        await ack()
        async with self._working("the Report as fraud shortcut"):
            web = self._web(context)
            user = str(body["user"]["id"])
            dm = await web.open_dm(user)
            if isinstance(dm, Failed):
                return
            message: Body = body.get("message") or {}
            ts = str(body.get("message_ts") or message.get("ts") or "")
            channel = str((body.get("channel") or {}).get("id") or "")
            author = message.get("user")
            author_name = (await web.person(str(author))).name if author else ""
            when = slack_time(ts)
            named = await self._people.named(web, mentioned(str(message.get("text") or "")))
            form = evidence_form(
                message,
                author=author_name or str(message.get("username") or message.get("bot_id") or ""),
                time=when.isoformat() if when else "",
                permalink=await web.permalink(channel, ts) if channel and ts else None,
                names={m.user_id: m.name for m in named},
            )
            inbound, person = await self._people.inbound(
                web,
                team=_tenant(context, interaction_team(body)),
                user=user,
                conversation=dm,
                event_id=f"{ts}:{body.get('action_ts', '')}:{user}",
                action=Report(),
                form=form,
            )
            await self._run(web, inbound, person, cards=Cards.REPOST)

    # Interactivity -------------------------------------------------------------------------

    async def on_action(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        """A button: an engine action, or "Fill in", which only opens the input modal."""
        await ack()
        async with self._working("a button"):
            web = self._web(context)
            action: Body = (body.get("actions") or [{}])[0]
            user = str(body["user"]["id"])
            container: Body = body.get("container") or {}
            conversation = (
                container.get("channel_id")
                or (body.get("channel") or {}).get("id")
                or await web.open_dm(user)  # a button on the Home tab: answer in the DM
            )
            if isinstance(conversation, Failed):
                return
            action_id, raw = str(action.get("action_id", "")), str(action.get("value", ""))
            trigger_id = str(body.get("trigger_id") or "")
            if action_id.startswith(FORM_ACTION_PREFIX):
                await self._fill_in(
                    web, raw, user=user, conversation=conversation, trigger_id=trigger_id
                )
                return
            try:
                pressed = decode_action(raw)
            except ValueError:
                log.warning("slack: ignored a button with an unknown value (%s)", action_id)
                return
            if (
                isinstance(pressed, ListIncidents)
                and (body.get("view") or {}).get("type") == "home"
            ):
                await self._publish_home(  # "Next page" on the Home tab turns the Home's page
                    web,
                    team=_tenant(context, interaction_team(body)),
                    user=user,
                    conversation=str(conversation),
                    event_id=click_event_id(body, action),
                    action=pressed,
                )
                return
            inbound, person = await self._people.inbound(
                web,
                team=_tenant(context, interaction_team(body)),
                user=user,
                conversation=str(conversation),
                event_id=click_event_id(body, action),
                action=pressed,
            )
            await self._run(
                web,
                inbound,
                person,
                cards=Cards.UPDATE,
                trigger_id=trigger_id,
                response_url=body.get("response_url"),
            )

    async def _fill_in(
        self, web: SlackWeb, raw: str, *, user: str, conversation: str, trigger_id: str
    ) -> None:
        try:
            request = decode_form_request(raw)
        except ValueError:
            log.warning("slack: ignored a Fill in button with an unknown value")
            return
        person = await web.person(user)
        view = form_modal((request,), text="", conversation_id=conversation, locale=person.locale)
        await web.open_modal(trigger_id, view)

    async def on_submit(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        """The input modal was submitted: check required fields, then one engine action.

        Empty required fields are refused in the acknowledgement itself (the modal stays
        open with the message under the field); the engine never sees them. When the engine
        answers within ``SUBMIT_BUDGET`` with the next question to type (the data breach
        assessment asks several in a row), the acknowledgement turns the modal into that
        question (``response_action: update``); otherwise it closes the modal and the
        question arrives as a message with its "Fill in" button.
        """
        view: Body = body.get("view") or {}
        try:
            form = FormContext.decode(str(view.get("private_metadata", "")))
        except ValueError:
            await ack()
            log.warning("slack: a submitted modal without Noodrem metadata was ignored")
            return
        values = form_values(view, form)
        errors = missing_errors(values, form)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        closed = False
        async with self._working("a form"):
            web = self._web(context)
            answer = asyncio.ensure_future(
                self._answer_form(web, body, form, values, context=context)
            )
            done, _ = await asyncio.wait({answer}, timeout=SUBMIT_BUDGET)
            if not done:
                await ack()  # slow: close the modal now, the answer follows as messages
                closed = True
            replies, inbound, person = await answer
            asking = None if closed else next((r for r in replies if r.inputs), None)
            if asking is not None:
                next_view = form_modal(
                    asking.inputs,
                    text=asking.text,
                    conversation_id=form.conversation_id,
                    locale=person.locale,
                )
                await ack(response_action="update", view=next_view)
                replies = [r for r in replies if r is not asking]
            elif not closed:
                await ack()
            closed = True
            await self._sender.send(
                web,
                replies,
                team=inbound.tenant_id,
                channel=inbound.conversation_id,
                user=inbound.user_id,
                locale=person.locale,
                cards=Cards.UPDATE,
            )
        if not closed:
            await ack()  # it failed before the engine answered (logged): close the modal

    async def _answer_form(
        self,
        web: SlackWeb,
        body: Body,
        form: FormContext,
        values: dict[str, str],
        *,
        context: AsyncBoltContext,
    ) -> tuple[Sequence[Reply], Inbound, Person]:
        """The engine's answer to a submitted modal, all within the submit budget (a
        person picked in it may need a ``users.info`` first)."""
        view: Body = body.get("view") or {}
        team, user = _tenant(context, interaction_team(body)), str(body["user"]["id"])
        found: dict[str, str] = {}
        for value in values.values():  # a picked person, or a mention typed as <@U…>
            found |= mentioned(value, bot_user_id=context.bot_user_id)
        people = await self._people.reachable(web, found, team=team, sender=user)
        names = {m.user_id: m.name for m in people}
        inbound, person = await self._people.inbound(
            web,
            team=team,
            user=user,
            conversation=form.conversation_id,
            # The view id stays when a modal is updated in place; its hash does not.
            event_id=f"{view.get('id', '')}:{view.get('hash', '')}",
            action=form.submit,
            form={key: with_names(value, names) for key, value in values.items()},
            mentions=people,
        )
        return await self._handler(inbound), inbound, person

    # Shared --------------------------------------------------------------------------------

    async def _typed(self, web: SlackWeb, body: Body, *, context: AsyncBoltContext) -> None:
        event = body.get("event") or {}
        team, user, raw = event_team(body), str(event["user"]), str(event.get("text") or "")
        team, bot_user_id = _tenant(context, team), context.bot_user_id
        found = mentioned(raw, bot_user_id=bot_user_id)
        people = await self._people.reachable(web, found, team=team, sender=user)
        names = {m.user_id: m.name for m in people}
        inbound, person = await self._people.inbound(
            web,
            team=team,
            user=user,
            conversation=str(event["channel"]),
            event_id=str(body.get("event_id") or ""),
            text=plain_text(raw, bot_user_id=bot_user_id, names=names),
            mentions=people,
        )
        await self._run(web, inbound, person, cards=Cards.REPOST)

    async def _run(
        self,
        web: SlackWeb,
        inbound: Inbound,
        person: Person,
        *,
        cards: Cards,
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> None:
        """Engine, then (within Slack's 3 s for the trigger) the modal, then the replies."""
        replies: Sequence[Reply] = await self._handler(inbound)
        if trigger_id:
            replies = await self._open_form(
                web, replies, trigger_id=trigger_id, inbound=inbound, person=person
            )
        await self._sender.send(
            web,
            replies,
            team=inbound.tenant_id,
            channel=inbound.conversation_id,
            user=inbound.user_id,
            locale=person.locale,
            cards=cards,
            response_url=response_url,
        )

    async def _open_form(
        self,
        web: SlackWeb,
        replies: Sequence[Reply],
        *,
        trigger_id: str,
        inbound: Inbound,
        person: Person,
    ) -> Sequence[Reply]:
        """Ask for typed input in a modal; the reply that asked is then not posted. If the
        modal cannot open, the reply is posted with its "Fill in" button instead."""
        asking = next((r for r in replies if r.inputs), None)
        if asking is None:
            return replies
        requests: Sequence[InputRequest] = asking.inputs
        view = form_modal(
            requests,
            text=asking.text,
            conversation_id=inbound.conversation_id,
            locale=person.locale,
        )
        if await web.open_modal(trigger_id, view) is not None:
            return replies
        return [r for r in replies if r is not asking]

    def _web(self, context: AsyncBoltContext) -> SlackWeb:
        """The Web API of the request's workspace, with the token Bolt's authorization
        found for it (the one token, or that workspace's installation)."""
        if not context.token:
            raise RuntimeError("Bolt gave a listener no token")  # logged by _working
        return self._workspaces.with_token(context.token)

    @contextlib.asynccontextmanager
    async def _working(self, what: str) -> AsyncIterator[None]:
        """Counts work in progress (the app waits for it on shutdown) and logs, rather than
        raises, whatever goes wrong: Slack got its acknowledgement long ago."""
        self._busy += 1
        self._idle.clear()
        try:
            yield
        except Exception:
            log.exception("slack: could not handle %s", what)
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()


def _tenant(context: AsyncBoltContext, team: str) -> str:
    """The request's tenant (``slack_inbound.tenant``), from what Bolt's authorization read."""
    return tenant(
        team,
        enterprise_id=context.actor_enterprise_id,
        org_wide=bool(context.is_enterprise_install),
    )
