"""Microsoft Teams channel: Bot Framework activities in, Teams messages and cards out.

Every botbuilder import of Noodrem lives in ``bot/channels/teams*.py``: the Bot Framework
SDK is archived, and moving to its successor (Microsoft 365 Agents SDK) should touch only
these modules. What they store (conversation references, where a card was posted) is plain
JSON for the same reason.

The endpoint is ``POST /api/messages`` on the shared aiohttp app. With ``MICROSOFT_APP_ID``
set, each request must carry a valid Bot Framework token, checked before anything is read
into the store. Without an app id the SDK checks nothing and would post replies to any
``serviceUrl`` a caller names, so that mode (``TEAMS_LOCAL=1``, for the Bot Framework
Emulator) is only served on a loopback address (``teams_settings`` enforces it).

Besides messages and card submits the adapter handles two more activities: an install in
a personal chat tells the engine where that person can be reached (so a manager who
installed Noodrem but never wrote gets escalations privately), and a ``fileConsent/invoke``
uploads the evidence file the person allowed (``teams_files``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationReference
from botframework.connector.models import ErrorResponseException

from bot.channels import teams_activity, teams_cards, teams_files
from bot.channels.base import Handler, PublishLink, StoreGetter
from bot.channels.teams_settings import TeamsSettings, read_settings
from bot.channels.untrusted import Malformed, loads
from bot.errors import outcome
from bot.messages import Attachment as File
from bot.messages import Channel, Mention, Outbound, Reply, user_key
from bot.ports import Clock, Delivery

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
PLATFORM = "Teams"  # how a delivery outcome names this platform
_FAILED = "Noodrem could not handle this activity; see the server log."


def from_settings(
    env: Mapping[str, str],
    *,
    handler: Handler,
    store: StoreGetter,
    clock: Clock,
    host: str,
    publish_link: PublishLink | None = None,
) -> TeamsChannel | None:
    """The ``ChannelFactory`` for Teams (see ``bot.channels.base``)."""
    settings = read_settings(env, host=host)
    if settings is None:
        return None
    if settings.authenticated:
        log.info("Teams: %s bot %s at %s", settings.app_type.value, settings.app_id, ROUTE)
    else:
        log.warning(
            "Teams: serving %s WITHOUT authentication (TEAMS_LOCAL=1, loopback only), "
            "for the Bot Framework Emulator",
            ROUTE,
        )
    return TeamsChannel(
        settings, handler=handler, store=store, clock=clock, publish_link=publish_link
    )


class TeamsChannel:
    """The Teams adapter and the ``deliver`` route for ``Channel.TEAMS`` addresses."""

    channel = Channel.TEAMS

    def __init__(
        self,
        settings: TeamsSettings,
        *,
        handler: Handler,
        store: StoreGetter,
        clock: Clock,
        publish_link: PublishLink | None = None,
    ) -> None:
        self._settings = settings
        self._handler = handler
        self._store = store
        self._clock = clock
        self._publish_link = publish_link
        config = SimpleNamespace(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TENANTID=settings.app_tenant_id,
            APP_TYPE=settings.app_type.value,
        )
        self._adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    def install(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self._on_request)

    async def deliver(self, message: Outbound) -> Delivery:
        """A proactive message into a conversation someone had with the bot before. A
        refusal comes back with its HTTP status or network error, never its payload."""
        address = message.address
        if address.channel is not Channel.TEAMS or not address.reference:
            return Delivery.no_address(PLATFORM, "no conversation reference")
        try:
            reference = ConversationReference().deserialize(address.reference)
        except Exception:  # stored JSON that is not a reference: nothing to send to
            log.warning("Teams: a stored conversation reference could not be read")
            return Delivery.no_address(PLATFORM, "unreadable conversation reference")
        if not reference.service_url or reference.conversation is None:
            return Delivery.no_address(PLATFORM, "no conversation reference")

        async def send(context: TurnContext) -> None:
            context.activity.id = None  # a new message, not a reply to the continuation
            await self._send(context, message.replies, repost=False, tenant_id=address.tenant_id)

        try:
            await self._adapter.continue_conversation(
                reference, send, bot_app_id=self._settings.app_id
            )
        except Exception as exc:
            log.error("Teams: a proactive message was not delivered (%s)", _describe(exc))
            return Delivery.failed(PLATFORM, _describe(exc))
        return Delivery.delivered()

    # Inbound ------------------------------------------------------------------------------

    async def _on_request(self, request: web.Request) -> web.StreamResponse:
        """Authenticate, then run one turn; every failure is a status, never a traceback."""
        if request.content_type != "application/json":
            return _error(415, "expected application/json")
        try:
            body = loads(await request.read())  # over client_max_size: aiohttp's own 413
            teams_activity.check_shape(body)
            activity = Activity().deserialize(body)
        except Malformed as exc:
            return _error(outcome(exc).http_status, f"expected a Bot Framework activity: {exc}")
        except Exception:  # a field msrest cannot read as its declared type
            return _error(400, "expected a Bot Framework activity")
        try:
            authenticated = await self._adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except Exception as exc:  # PermissionError, and malformed tokens the SDK trips over
            log.warning("Teams: rejected an unauthenticated request (%s)", type(exc).__name__)
            return _error(401, "unauthorized")
        tenant_id = teams_activity.tenant_of(body)

        async def turn(context: TurnContext) -> None:
            await self._turn(context, tenant_id=tenant_id)

        try:
            invoke = await self._adapter.process_activity(authenticated, activity, turn)
        except Exception as exc:
            log.error("Teams: could not handle a %s activity (%s)", activity.type, _describe(exc))
            return _error(500, _FAILED)
        if invoke is not None and invoke.status == HTTPStatus.NOT_IMPLEMENTED:
            return _error(400, "unsupported invoke")  # a name no handler here knows
        if invoke is not None:
            return web.json_response(invoke.body, status=invoke.status)
        return web.Response(status=200)

    async def _turn(self, context: TurnContext, *, tenant_id: str) -> None:
        activity = context.activity
        if activity.from_property is None or activity.recipient is None:
            return
        if activity.type == ActivityTypes.message:
            await self._on_message(context, tenant_id=tenant_id)
        elif activity.type == ActivityTypes.invoke and activity.name == teams_files.INVOKE_NAME:
            await self._on_file_consent(context, tenant_id=tenant_id)
        elif teams_activity.is_install(activity) and teams_activity.is_personal(activity):
            # Installed in a personal chat: the engine remembers where to reach this
            # person (a manager's escalations, an assigned step) and says hello.
            replies = await self._handler(
                teams_activity.welcome(activity, tenant_id=tenant_id, received_at=self._clock.now())
            )
            await self._send(context, replies, repost=True, tenant_id=tenant_id)
        # Typing, reactions, members joining a team and other invokes need no answer.

    async def _on_message(self, context: TurnContext, *, tenant_id: str) -> None:
        activity = context.activity
        lang = teams_cards.language(activity.locale)
        submit = None
        if activity.value is not None:
            submit = teams_cards.read_submit(activity.value)
            if submit is None:
                await context.send_activity(_text(teams_cards.adapter_text("unknown_button", lang)))
                return
            if submit.missing:  # the card asks for these; a client ignored isRequired
                labels = ", ".join(submit.missing)
                await context.send_activity(
                    _text(teams_cards.adapter_text("fill_in", lang, labels=labels))
                )
                return
        inbound = teams_activity.to_inbound(
            activity,
            tenant_id=tenant_id,
            submit=submit,
            received_at=self._clock.now(),
            mentions=await self._mentions(context) if submit is None else (),
        )
        replies = await self._handler(inbound)
        # Typed text (say "status") shows the checklist anew below; a click updates it.
        await self._send(context, replies, repost=submit is None, tenant_id=tenant_id)

    async def _mentions(self, context: TurnContext) -> list[Mention]:
        """People @mentioned besides the bot, named by Entra object id where Teams tells.

        A mention carries only the Teams id (``29:…``), while Noodrem knows people by
        their object id: one Bot Connector call per mentioned person looks it up, so an
        assigned step reaches the personal chat that person uses. If the lookup fails
        (someone outside the team, the Emulator) the Teams id stands in.
        """
        found = []
        for person in teams_activity.mentioned(context.activity):
            aad_object_id = person.aad_object_id
            if aad_object_id is None:
                try:
                    member = await TeamsInfo.get_member(context, person.id)
                    aad_object_id = member.aad_object_id or None
                except Exception as exc:  # not a member, or no roster here
                    log.info("Teams: could not look up a mentioned person (%s)", _describe(exc))
            found.append(Mention(user_id=aad_object_id or person.id, name=person.name))
        return found

    async def _on_file_consent(self, context: TurnContext, *, tenant_id: str) -> None:
        """*Allow* or *Decline* on a file consent card: upload the file, or say it was not.

        The invoke is answered 200 whatever happens next: every outcome gets a message of
        its own, and an error status would only make Teams show a vague failure on the card.
        """
        await context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200))
        )
        activity = context.activity
        lang = teams_cards.language(activity.locale)
        consent = teams_files.read_consent(activity.value)
        if consent is None:
            await context.send_activity(_text(teams_cards.adapter_text("unknown_button", lang)))
            return
        await self._remove_card(context)
        if not consent.accepted:
            await context.send_activity(
                _text(teams_files.text("declined", lang, filename=consent.filename))
            )
            return
        now = self._clock.now()
        async with self._store().transaction() as tx:
            stored = await tx.get_file(consent.file_id, now=now)
        owner = user_key(Channel.TEAMS, tenant_id, teams_activity.user_id_of(activity))
        if stored is None or stored.owner != owner:  # expired, or not made for this person
            await context.send_activity(_text(teams_files.text("gone", lang)))
            return
        if not await teams_files.upload(consent.upload_url, stored.data):
            await context.send_activity(
                _text(
                    teams_files.upload_failed_text(
                        consent, filename=stored.filename, now=now, lang=lang
                    )
                )
            )
            return
        done = _text(teams_files.text("uploaded", lang, filename=consent.name or stored.filename))
        done.attachments = [Attachment().deserialize(teams_files.info_card(consent))]
        await context.send_activity(done)

    async def _remove_card(self, context: TurnContext) -> None:
        """Take the answered consent card away, so the file is not offered twice."""
        card_id = context.activity.reply_to_id
        if not card_id:
            return
        try:
            await context.delete_activity(card_id)
        except ErrorResponseException as exc:  # already gone
            log.info("Teams: a consent card could not be removed (%s)", _describe(exc))

    # Outbound -----------------------------------------------------------------------------

    async def _send(
        self, context: TurnContext, replies: Sequence[Reply], *, repost: bool, tenant_id: str
    ) -> None:
        for reply in replies:
            if reply.card_key is not None:
                await self._place_card(context, reply, repost=repost)
            else:
                await context.send_activity(_activity(reply))
            if reply.attachment is not None:
                await self._send_file(context, reply.attachment, tenant_id=tenant_id)

    async def _send_file(self, context: TurnContext, file: File, *, tenant_id: str) -> None:
        """A personal chat gets a file consent card, any other chat a signed, expiring link;
        either way the file is stored for the person of this conversation only."""
        activity = context.activity
        lang = teams_cards.language(activity.locale)
        if self._publish_link is None:  # the app did not give this channel a file store
            await context.send_activity(
                _text(teams_files.text("not_sent", lang, filename=file.filename))
            )
            return
        owner = user_key(Channel.TEAMS, tenant_id, teams_activity.user_id_of(activity))
        link = await self._publish_link(file, owner)
        if teams_activity.is_personal(activity):
            card = teams_files.consent_card(file, link=link, lang=lang)
            offer = Activity(
                type=ActivityTypes.message, attachments=[Attachment().deserialize(card)]
            )
            await context.send_activity(offer)
        else:
            now = self._clock.now()
            await context.send_activity(
                _text(teams_files.link_text(file, link=link, now=now, lang=lang))
            )

    async def _place_card(self, context: TurnContext, reply: Reply, *, repost: bool) -> None:
        """Post a keyed card once per conversation, then replace it where it stands."""
        key = f"teams:{context.activity.conversation.id}:{reply.card_key}"
        place = None
        if not repost:
            async with self._store().transaction() as tx:
                place = await tx.get_message_ref(key)
        activity = _activity(reply)
        if place is not None:
            activity.id = str(place["activity_id"])
            try:
                await context.update_activity(activity)
                return
            except ErrorResponseException as exc:  # deleted, or too old to edit
                log.info(
                    "Teams: posting a card anew, the old one could not be updated (%s)",
                    _describe(exc),
                )
            activity = _activity(reply)
        sent = await context.send_activity(activity)
        if sent is not None and sent.id:
            async with self._store().transaction() as tx:
                await tx.save_message_ref(
                    key=key, ref={"activity_id": sent.id}, at=self._clock.now()
                )


def _activity(reply: Reply) -> Activity:
    if not teams_cards.needs_card(reply):
        return _text(teams_cards.message_text(reply))
    return Activity(
        type=ActivityTypes.message,
        summary=teams_cards.summary(reply),
        attachments=[
            Attachment(content_type=teams_cards.CARD_CONTENT_TYPE, content=teams_cards.card(reply))
        ],
    )


def _text(markdown: str) -> Activity:
    return Activity(type=ActivityTypes.message, text=markdown, text_format="markdown")


def _describe(exc: Exception) -> str:
    """An SDK error for the log: its type and HTTP status, not its payload or headers."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return type(exc).__name__ + (f", HTTP {status}" if status else "")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
