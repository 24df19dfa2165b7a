"""Slack channel: Bolt's ``AsyncApp`` on the shared aiohttp server, or over Socket Mode.

HTTP mode serves events, the slash command, buttons, modals and the shortcut at one
Request URL, ``POST /slack/events``. Our handler checks every request's signature (401
for a missing, wrong or more than five minutes old one) and then the body's shape (400)
before Bolt sees it: Bolt parses the body before its own check and answers a malformed
one with a 500, and logs part of each rejected body. With
``SLACK_APP_TOKEN`` set the app connects out to Slack over a websocket instead (Socket
Mode), for a business without a public URL, and serves no Slack route at all.

Settings: ``SLACK_BOT_TOKEN`` (xoxb-), ``SLACK_SIGNING_SECRET`` (HTTP mode),
``SLACK_APP_TOKEN`` (xapp-, Socket Mode), ``SLACK_API_URL`` (default Slack's own); or, for
one app installed in many workspaces, ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET``
instead of the bot token (``slack_oauth``: each workspace's token is in our database).
Every Web API call carries the token of the workspace it is for (``Workspaces``). See
``docs/slack.md`` and ``slack/manifest.yml``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.base import Handler, PublishLink, SqlEngineGetter, StoreGetter
from bot.channels.slack_blocks import ACTION_PREFIX, FORM_CALLBACK_ID
from bot.channels.slack_inbound import is_dm
from bot.channels.slack_listeners import Listeners
from bot.channels.slack_oauth import SlackInstall
from bot.channels.slack_send import Cards, Sender
from bot.channels.slack_settings import SlackAuth, SlackMode, SlackSettings, read_settings
from bot.channels.slack_shape import check_command, check_event, check_interaction
from bot.channels.slack_web import Failed, Workspaces
from bot.channels.untrusted import Malformed, check, loads
from bot.config import SettingsError
from bot.errors import outcome
from bot.messages import Channel, Outbound
from bot.ports import Clock, Delivery

log = logging.getLogger(__name__)

ROUTE = "/slack/events"
PLATFORM = "Slack"  # how a delivery outcome names this platform
COMMAND = "/noodrem"
SHORTCUT_CALLBACK_ID = "noodrem_report"
CONNECT_SECONDS = 30.0  # Socket Mode: longer than this at start means something is wrong
DRAIN_SECONDS = 10.0  # on shutdown, let acknowledged requests finish before the store closes
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; int() would accept " 1_0" and "١"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")  # hex HMAC-SHA256; compare_digest needs ASCII
SIGNATURE_MAX_AGE = 60 * 5  # what Slack and SignatureVerifier allow
UNAUTHORIZED = "Ongeldige of ontbrekende Slack-handtekening / invalid or missing Slack signature"


class _NoBodies(logging.Filter):
    """Bolt writes request bodies (messages people typed, with names and IBANs) into some
    log lines: "Unhandled request ({body})" at WARNING, "request body: ..." at INFO. Keep
    the fact, drop the body. Bolt copies the filters of the logger we hand it to the
    loggers it makes for its middleware, so one filter covers them all."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "request body:" in message:
            return False
        for mark in ("Unhandled request", "without providing a response for the request"):
            if mark in message:
                record.msg, record.args = f"Slack: {mark} (body not logged)", ()
        if "oauth.v2.access result with code" in message:  # the one-time code, and more
            record.msg, record.args = "Slack: oauth.v2.access refused the code (not logged)", ()
        return True


_BOLT_LOG = logging.getLogger("noodrem.slack.bolt")
_BOLT_LOG.addFilter(_NoBodies())
_WEB_LOG = logging.getLogger("noodrem.slack.web")
_SOCKET_LOG = logging.getLogger("noodrem.slack.socket")
# slack_sdk and Bolt test ``logger.level <= DEBUG`` (not ``isEnabledFor``) before building
# a debug line, so on a logger left at NOTSET they format every Web API request and answer
# (headers, the blocks of each message) and every middleware step, per event, for the
# handler to drop. A level of our own skips that work (Bolt copies it to the loggers it
# makes), and keeps those bodies out of a log even when the root logs DEBUG.
for _logger in (_BOLT_LOG, _WEB_LOG, _SOCKET_LOG):
    _logger.setLevel(logging.INFO)


def from_settings(
    env: Mapping[str, str],
    *,
    handler: Handler,
    store: StoreGetter,
    clock: Clock,
    host: str,
    publish_link: PublishLink | None = None,
    sql_engine: SqlEngineGetter | None = None,
) -> SlackChannel | None:
    """The ``ChannelFactory`` for Slack (see ``bot.channels.base``).

    ``host`` does not matter here: every Slack request is signed or comes over our own
    websocket (the install pages hand out nothing but a link to Slack), so the Slack routes
    are safe on any interface. ``sql_engine`` holds the installations (OAuth mode).
    """
    settings = read_settings(env)
    if settings is None:
        return None
    install = None
    if settings.auth is SlackAuth.OAUTH:
        if sql_engine is None:
            raise SettingsError("Slack's OAuth install needs Noodrem's database (DATABASE_URL)")
        install = SlackInstall(
            client_id=settings.client_id, client_secret=settings.client_secret, engine=sql_engine
        )
    where = ROUTE if settings.mode is SlackMode.HTTP else "Socket Mode"
    log.info(
        "Slack: %s, %s, Web API at %s",
        where,
        "OAuth install at /slack/install" if install else "one bot token",
        settings.api_url,
    )
    return SlackChannel(settings, handler=handler, store=store, clock=clock, install=install)


class SlackChannel:
    """The Slack adapter and the ``deliver`` route for ``Channel.SLACK`` addresses."""

    channel = Channel.SLACK

    def __init__(
        self,
        settings: SlackSettings,
        *,
        handler: Handler,
        store: StoreGetter,
        clock: Clock,
        install: SlackInstall | None = None,
    ) -> None:
        self._settings = settings
        self._install = install
        # Without a token of its own (OAuth mode) this client only serves the install
        # (oauth.v2.access); every other call goes through ``Workspaces``.
        self._client = AsyncWebClient(
            token=settings.bot_token or None,
            base_url=settings.api_url,
            logger=_WEB_LOG,
        )
        self._workspaces = Workspaces(
            self._client, install.token_of if install is not None else self._the_token
        )
        self._sender = Sender(store=store, clock=clock)
        self._listeners = Listeners(
            handler=handler, workspaces=self._workspaces, sender=self._sender, clock=clock
        )
        self._bolt = AsyncApp(
            client=self._client,
            signing_secret=settings.signing_secret,
            name="noodrem",
            logger=_BOLT_LOG,
            # ``_http`` verifies before Bolt parses; Socket Mode needs no signature.
            request_verification_enabled=False,
            # Bolt's authorization then finds each workspace's token in the installations.
            oauth_settings=install.settings if install is not None else None,
        )
        # Only HTTP mode receives signed requests (slack_sdk refuses an empty secret).
        self._verifier = (
            SignatureVerifier(settings.signing_secret) if settings.mode is SlackMode.HTTP else None
        )
        self._socket: AsyncSocketModeHandler | None = None
        self._register()

    def _register(self) -> None:
        """Every Slack request Noodrem answers, in one place (and in ``slack/manifest.yml``)."""
        bolt, listeners = self._bolt, self._listeners
        bolt.event("message")(listeners.on_message)
        bolt.event("app_mention")(listeners.on_mention)
        bolt.event("app_home_opened")(listeners.on_home)
        bolt.command(COMMAND)(listeners.on_command)
        bolt.message_shortcut(SHORTCUT_CALLBACK_ID)(listeners.on_shortcut)
        bolt.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(listeners.on_action)
        bolt.view_submission(FORM_CALLBACK_ID)(listeners.on_submit)
        if self._install is not None:
            # A workspace that uninstalls the app, or revokes its token: Bolt deletes its
            # installation, so nothing is sent there any more (a reminder records
            # not_installed). Subscribe the two events in the app's settings (docs/slack.md).
            bolt.enable_token_revocation_listeners()

    async def _the_token(self, tenant: str) -> str:
        """One bot token (``SLACK_BOT_TOKEN``) serves every workspace that reaches us."""
        return self._settings.bot_token

    def install(self, app: web.Application) -> None:
        if self._settings.mode is SlackMode.HTTP:
            app.router.add_post(ROUTE, self._http)
        if self._install is not None and self._bolt.oauth_flow is not None:
            self._install.install(app, self._bolt.oauth_flow)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)

    async def deliver(self, message: Outbound) -> Delivery:
        """A reminder or escalation: to the person's DM (opened by user id when the address
        names the person rather than a DM), else into the conversation of the address.
        The outcome carries Slack's error code (``channel_not_found``), never a payload."""
        address = message.address
        if address.channel is not Channel.SLACK or not address.conversation_id:
            return Delivery.no_address(PLATFORM, "no Slack conversation")
        web = await self._workspaces.of_tenant(address.tenant_id)
        if isinstance(web, Failed):
            return Delivery.failed(PLATFORM, web.error)
        target: str | Failed = address.conversation_id
        if address.user_id and (
            is_dm(address.conversation_id) or address.conversation_id == address.user_id
        ):
            target = await web.open_dm(address.user_id)
        if isinstance(target, Failed):
            return Delivery.failed(PLATFORM, target.error)
        failed = await self._sender.send(
            web,
            message.replies,
            team=address.tenant_id,
            channel=target,
            user=address.user_id,
            locale=None,
            cards=Cards.UPDATE,
        )
        return Delivery.delivered() if failed is None else Delivery.failed(PLATFORM, failed.error)

    async def _http(self, request: web.Request) -> web.Response:
        """Signature first, then shape, then Bolt: nothing unsigned reaches a parser, and
        nothing Bolt would trip over (a 500) reaches Bolt. No body is ever logged."""
        body = await request.read()  # over client_max_size: aiohttp answers 413 itself
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not (
            _TIMESTAMP.fullmatch(timestamp)
            and _SIGNATURE.fullmatch(signature)
            and self._signed(body, timestamp, signature)
        ):
            return web.Response(status=401, text=UNAUTHORIZED)
        try:
            _check_body(body, request.content_type)
        except Malformed as exc:
            return web.Response(
                status=outcome(exc).http_status, text=f"Ongeldig verzoek / bad request: {exc}"
            )
        try:
            bolt_response = await self._bolt.async_dispatch(await to_bolt_request(request))
        except Exception as exc:  # Bolt reading a signed body of an unexpected shape
            log.warning("Slack: could not read a signed request (%s)", type(exc).__name__)
            return web.Response(status=400, text="Ongeldig verzoek / bad request")
        return await to_aiohttp_response(bolt_response)

    async def idle(self) -> None:
        """Wait until every request acknowledged so far is handled: Bolt answers Slack first
        and runs the listener after, so the answer to a request comes later than its 200."""
        await self._listeners.idle()

    def _signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        if self._verifier is None:  # Socket Mode serves no HTTP route
            return False
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except UnicodeDecodeError:
            # The SDK decodes the body before signing it; Slack signs the bytes. A signed
            # body that is not UTF-8 must still come out as a 400, not as a 401 or a 500.
            if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE:
                return False
            base = b"v0:" + timestamp.encode() + b":" + body
            mac = hmac.new(self._settings.signing_secret.encode(), base, hashlib.sha256)
            return hmac.compare_digest(f"v0={mac.hexdigest()}", signature)

    async def _start(self, app: web.Application) -> None:
        # One connection pool for every Web API call (the client opens one per call otherwise).
        self._client.session = aiohttp.ClientSession()
        if self._settings.mode is SlackMode.SOCKET:
            try:
                await self._connect_socket()
            except SettingsError:
                await self._client.session.close()  # the start fails: no cleanup hook runs
                raise

    async def _connect_socket(self) -> None:
        """Connect before the app counts as started, so a wrong app token or an unreachable
        Slack stops the start with one line instead of retrying quietly for ever."""
        try:
            opened = await self._client.apps_connections_open(app_token=self._settings.app_token)
        except SlackApiError as exc:
            error = exc.response.get("error") or "unknown_error"
            raise SettingsError(
                f"Slack refused Socket Mode ({error}): check SLACK_APP_TOKEN and that Socket "
                "Mode is enabled for the app"
            ) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise SettingsError(
                f"cannot reach the Slack Web API at {self._settings.api_url} ({type(exc).__name__})"
            ) from None
        self._socket = AsyncSocketModeHandler(
            self._bolt,
            app_token=self._settings.app_token,
            web_client=self._client,
            logger=_SOCKET_LOG,
        )
        self._socket.client.wss_uri = str(opened["url"])  # use the URL we just got
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                await self._socket.connect_async()
        except TimeoutError:
            await self._socket.close_async()
            self._socket = None
            raise SettingsError(
                f"cannot open the Slack Socket Mode connection within {CONNECT_SECONDS:.0f} s"
            ) from None
        log.info("Slack: Socket Mode connected")

    async def _stop(self, app: web.Application) -> None:
        if self._socket is not None:
            await self._socket.close_async()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                await self.idle()
        if self._client.session is not None:
            await self._client.session.close()


def _check_body(body: bytes, content_type: str) -> None:
    """What Slack sends: a JSON object (events), or a form whose ``payload`` is a JSON
    object (interactions) or whose fields are text (slash commands)."""
    if content_type == "application/json":
        check_event(loads(body))
        return
    if content_type != "application/x-www-form-urlencoded":
        raise Malformed("expected application/json or application/x-www-form-urlencoded")
    try:
        text = body.decode("utf-8")
        form: dict[str, list[str]] = parse_qs(text, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Malformed("form is not UTF-8") from None
    check(form)
    if "payload" in form:
        if len(form["payload"]) != 1:
            raise Malformed("payload must be given once")
        check_interaction(loads(form["payload"][0]))
    else:
        check_command(form)
