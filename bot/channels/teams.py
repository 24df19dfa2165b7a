"""Microsoft Teams channel: Bot Framework activities in, Teams messages and cards out.

Every botbuilder import of Noodrem lives in ``bot/channels/teams*.py``: the Bot Framework
SDK is archived, and moving to its successor (Microsoft 365 Agents SDK) should touch only
these modules. What they store (conversation references, where a card was posted) is plain
JSON for the same reason.

The endpoint is ``POST /api/messages`` on the shared aiohttp app. With ``MICROSOFT_APP_ID``
set, each request must carry a valid Bot Framework token, checked before anything is read
into the store. Without an app id the SDK checks nothing and would post replies to any
``serviceUrl`` a caller names, so that mode (``TEAMS_LOCAL=1``, for the Bot Framework
Emulator) is only served on a loopback address.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationReference
from botframework.connector.models import ErrorResponseException

from bot.channels import teams_activity, teams_cards
from bot.channels.base import Handler, PublishLink, StoreGetter
from bot.config import SettingsError
from bot.messages import Channel, Outbound, Reply, address_to_json, user_key
from bot.ports import Clock

log = logging.getLogger(__name__)

ROUTE = "/api/messages"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_FAILED = "Noodrem could not handle this activity; see the server log."


class AppType(StrEnum):
    """How the Azure Bot's identity was created (the "Type of App" in the Azure portal)."""

    SINGLE_TENANT = "SingleTenant"
    MULTI_TENANT = "MultiTenant"
    USER_ASSIGNED_MSI = "UserAssignedMSI"


@dataclass(frozen=True, slots=True)
class TeamsSettings:
    """An empty ``app_id`` means unauthenticated local mode (Emulator, loopback only)."""

    app_id: str = ""
    app_password: str = ""
    app_tenant_id: str = ""
    app_type: AppType = AppType.MULTI_TENANT

    def __repr__(self) -> str:  # the password must never reach a log line
        return f"TeamsSettings(app_id={self.app_id!r}, app_type={self.app_type.value!r})"

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)


def read_settings(env: Mapping[str, str], *, host: str) -> TeamsSettings | None:
    """The Teams settings, None when Teams is off; ``SettingsError`` says what is wrong.

    Messages name variables, never their values: a password pasted into the wrong
    variable must not end up in a log.
    """
    app_id = env.get("MICROSOFT_APP_ID", "").strip()
    password = env.get("MICROSOFT_APP_PASSWORD", "")
    tenant_id = env.get("MICROSOFT_APP_TENANT_ID", "").strip()
    raw_type = env.get("MICROSOFT_APP_TYPE", "").strip()
    local = env.get("TEAMS_LOCAL", "").strip()
    if local not in ("", "0", "1"):
        raise SettingsError("TEAMS_LOCAL must be 1 (Bot Framework Emulator on loopback) or 0")
    if not app_id:
        if password or tenant_id or raw_type:
            raise SettingsError(
                "MICROSOFT_APP_ID is empty but other MICROSOFT_APP_* settings are set: "
                "set the bot's app id too, or unset them"
            )
        if local != "1":
            return None
        if not _is_loopback(host):
            raise SettingsError(
                f"TEAMS_LOCAL=1 serves Teams without authentication, which would post replies "
                f"to any serviceUrl a caller names: only allowed with HOST on loopback, not "
                f"{host!r}; set MICROSOFT_APP_ID to serve Teams there"
            )
        return TeamsSettings()
    if not _GUID.match(app_id):
        raise SettingsError("MICROSOFT_APP_ID must be the bot's Microsoft App ID (a GUID)")
    app_type = {t.value.lower(): t for t in AppType}.get(raw_type.lower())
    if app_type is None:
        raise SettingsError(
            "MICROSOFT_APP_TYPE must be SingleTenant, MultiTenant or UserAssignedMSI "
            "(the type of app chosen when the Azure Bot was created)"
        )
    if app_type is not AppType.USER_ASSIGNED_MSI and not password:
        raise SettingsError(f"MICROSOFT_APP_PASSWORD is required with {app_type.value}")
    if app_type is not AppType.MULTI_TENANT and not tenant_id:
        raise SettingsError(f"MICROSOFT_APP_TENANT_ID is required with {app_type.value}")
    if tenant_id and not _GUID.match(tenant_id):
        raise SettingsError("MICROSOFT_APP_TENANT_ID must be a Microsoft Entra tenant id (a GUID)")
    return TeamsSettings(app_id, password, tenant_id, app_type)


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
    return TeamsChannel(settings, handler=handler, store=store, clock=clock)


class TeamsChannel:
    """The Teams adapter and the ``deliver`` route for ``Channel.TEAMS`` addresses."""

    channel = Channel.TEAMS

    def __init__(
        self, settings: TeamsSettings, *, handler: Handler, store: StoreGetter, clock: Clock
    ) -> None:
        self._settings = settings
        self._handler = handler
        self._store = store
        self._clock = clock
        config = SimpleNamespace(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TENANTID=settings.app_tenant_id,
            APP_TYPE=settings.app_type.value,
        )
        self._adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))

    def install(self, app: web.Application) -> None:
        app.router.add_post(ROUTE, self._on_request)

    async def deliver(self, message: Outbound) -> bool:
        """A proactive message into a conversation someone had with the bot before."""
        address = message.address
        if address.channel is not Channel.TEAMS or not address.reference:
            return False
        try:
            reference = ConversationReference().deserialize(address.reference)
        except Exception:  # stored JSON that is not a reference: nothing to send to
            log.warning("Teams: a stored conversation reference could not be read")
            return False
        if not reference.service_url or reference.conversation is None:
            return False

        async def send(context: TurnContext) -> None:
            context.activity.id = None  # a new message, not a reply to the continuation
            await self._send(context, message.replies, repost=False)

        try:
            await self._adapter.continue_conversation(
                reference, send, bot_app_id=self._settings.app_id
            )
        except Exception as exc:
            log.error("Teams: a proactive message was not delivered (%s)", _describe(exc))
            return False
        return True

    # Inbound ------------------------------------------------------------------------------

    async def _on_request(self, request: web.Request) -> web.StreamResponse:
        """Authenticate, then run one turn; every failure is a status, never a traceback."""
        if request.content_type != "application/json":
            return _error(415, "expected application/json")
        try:
            body = await request.json()
            activity = Activity().deserialize(body) if isinstance(body, dict) else None
        except Exception:  # malformed JSON or fields of the wrong type
            activity = None
        if activity is None or not activity.type or activity.conversation is None:
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
        if invoke is not None:
            return web.json_response(invoke.body, status=invoke.status)
        return web.Response(status=200)

    async def _turn(self, context: TurnContext, *, tenant_id: str) -> None:
        activity = context.activity
        if activity.from_property is None or activity.recipient is None:
            return
        if activity.type == ActivityTypes.message:
            await self._on_message(context, tenant_id=tenant_id)
        elif teams_activity.is_install(activity) and teams_activity.is_personal(activity):
            await self._remember(activity, tenant_id=tenant_id)
        # Typing, reactions, members joining a team and invokes need no answer.

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
            activity, tenant_id=tenant_id, submit=submit, received_at=self._clock.now()
        )
        replies = await self._handler(inbound)
        # Typed text (say "status") shows the checklist anew below; a click updates it.
        await self._send(context, replies, repost=submit is None)

    async def _remember(self, activity: Activity, *, tenant_id: str) -> None:
        """The bot was installed for someone: remember their personal chat for reminders.

        Only the person's own key is written; a manager installing the bot is known under
        the manager key only once they write (that mapping is the engine's).
        """
        address = teams_activity.address_of(activity, tenant_id=tenant_id)
        if not address.user_id:
            return
        async with self._store().transaction() as tx:
            await tx.save_address(
                user_key=user_key(Channel.TEAMS, tenant_id, address.user_id),
                address=address_to_json(address),
                at=self._clock.now(),
            )

    # Outbound -----------------------------------------------------------------------------

    async def _send(self, context: TurnContext, replies: Sequence[Reply], *, repost: bool) -> None:
        lang = teams_cards.language(context.activity.locale)
        for reply in replies:
            if reply.card_key is not None:
                await self._place_card(context, reply, repost=repost)
            else:
                await context.send_activity(_activity(reply))
            if reply.attachment is not None:
                note = teams_cards.attachment_note(reply.attachment, lang)
                await context.send_activity(_text(note))

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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
