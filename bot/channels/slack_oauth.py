"""Slack's OAuth install: one app, many workspaces, each with its own bot token.

``GET /slack/install`` sends the browser to Slack's authorize page with a one-time
``state``, kept in our database (any replica can take the way back) and in a cookie (the
same browser must come back). Slack returns the person to ``GET /slack/oauth_redirect?
code=…&state=…``; Bolt's ``AsyncOAuthFlow`` checks the state, trades the code for the
workspace's bot token (``oauth.v2.access``) and saves the installation with slack_sdk's
``AsyncSQLAlchemyInstallationStore``, in our tables (``storage.models``, migration r0009).
From then on Bolt's authorization finds that workspace's token for each of its requests,
and a proactive message looks it up by tenant (``token_of``).

Enterprise Grid: an admin of a Grid organisation can install the app org-wide
(``is_enterprise_install``; no team, the enterprise ``E…``). That one installation, found
by enterprise id, serves every workspace of the organisation, and the organisation is one
tenant (``slack_inbound.tenant``). A workspace of a Grid organisation can also install the
app on its own: then it is a tenant of its own, like any workspace.

Which organisation a tenant is served as is the organisation config's rule
(``Organisations.for_tenant``: the one that lists its id in ``slack_team_ids`` or
``slack_enterprise_ids``, or the only organisation), applied to every message; the install
itself binds nothing.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth import OAuthStateUtils
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import desc, select

from bot.channels.base import SqlEngineGetter
from bot.channels.slack_inbound import is_enterprise
from bot.i18n import t

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install link works ten minutes, once
MAX_REASON = 80  # of Slack's ?error=… shown on the page
BOT_SCOPES = (  # exactly slack/manifest.yml's bot scopes (tests/slack/test_slack_oauth.py)
    "app_mentions:read",
    "chat:write",
    "commands",
    "files:write",
    "im:history",
    "im:write",
    "users:read",
)


@dataclass(frozen=True, slots=True)
class _Problem:
    """What the failure page says for one of Bolt's failure reasons, and with which status."""

    text: str  # i18n key
    status: int


_PROBLEMS = {
    "invalid_state": _Problem("slack_install_state", 400),
    "invalid_browser": _Problem("slack_install_browser", 400),
    "missing_code": _Problem("slack_install_code", 400),
    "invalid_code": _Problem("slack_install_code", 400),
    "storage_error": _Problem("slack_install_unavailable", 503),
}
_UNAVAILABLE = _PROBLEMS["storage_error"]
_CANCELLED = _Problem("slack_install_cancelled", 200)  # Slack's own ?error=access_denied


class _Installations(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store on our engine, made at first use: the
    database opens in the app's startup hook, after the Slack app is built."""

    def __init__(self, client_id: str, engine: SqlEngineGetter) -> None:
        self._client_id = client_id
        self._engine = engine

    @functools.cached_property
    def _store(self) -> AsyncSQLAlchemyInstallationStore:
        return AsyncSQLAlchemyInstallationStore(
            client_id=self._client_id, engine=self._engine(), logger=log
        )

    async def async_save(self, installation: Installation) -> None:
        await self._store.async_save(installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await self._store.async_save_bot(bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await self._store.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def find_bot_of_team(self, team_id: str) -> Bot | None:
        """The newest workspace install of the app in ``team_id``, in a Grid organisation or
        not: team ids are unique across Slack, so no enterprise id is needed (slack_sdk's
        ``find_bot`` wants it, and an address carries only the tenant)."""
        bots = self._store.bots
        query = (
            select(bots)
            .where(
                bots.c.client_id == self._client_id,
                bots.c.team_id == team_id,
                bots.c.is_enterprise_install.is_(False),
                bots.c.bot_token.is_not(None),
            )
            .order_by(desc(bots.c.installed_at))
            .limit(1)
        )
        async with self._store.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return SQLAlchemyInstallationStore.build_bot_entity(row) if row else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await self._store.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._store.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self._store.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )


class _States(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemy state store on our engine, made at first use."""

    def __init__(self, engine: SqlEngineGetter) -> None:
        self._engine = engine

    @functools.cached_property
    def _store(self) -> AsyncSQLAlchemyOAuthStateStore:
        return AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=self._engine(), logger=log
        )

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        return await self._store.async_issue()

    async def async_consume(self, state: str) -> bool:
        return await self._store.async_consume(state)


class SlackInstall:
    """The install routes, and the bot token of each installed workspace."""

    def __init__(self, *, client_id: str, client_secret: str, engine: SqlEngineGetter) -> None:
        self._installations = _Installations(client_id, engine)
        self._state_utils = OAuthStateUtils(expiration_seconds=STATE_SECONDS)
        self.settings = AsyncOAuthSettings(
            client_id=client_id,
            client_secret=client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            install_path=INSTALL_PATH,
            install_page_rendering_enabled=False,  # straight on to Slack's own page
            redirect_uri_path=REDIRECT_PATH,
            callback_options=AsyncCallbackOptions(success=self._success, failure=self._failure),
            installation_store=self._installations,
            installation_store_bot_only=True,  # Noodrem acts as its bot, never as a person
            state_store=_States(engine),
            state_expiration_seconds=STATE_SECONDS,
            logger=log,
        )
        # Bolt's authorization reads the workspace's bot token from the installations for
        # every request (and so it should: an uninstall counts at once, on every replica),
        # then asks Slack's auth.test whose token it is: a round trip to Slack per event,
        # before the acknowledgement and the listener. A token's answer never changes (a
        # new install brings a new token), so Bolt may keep it (``cache_enabled``).
        self.settings.authorize = AsyncInstallationStoreAuthorize(
            logger=log,
            client_id=client_id,
            client_secret=client_secret,
            installation_store=self._installations,
            bot_only=True,
            cache_enabled=True,
        )

    def install(self, app: web.Application, flow: AsyncOAuthFlow) -> None:
        app.router.add_get(INSTALL_PATH, functools.partial(self._start, flow))
        app.router.add_get(REDIRECT_PATH, functools.partial(self._finish, flow))

    async def token_of(self, tenant: str) -> str | None:
        """The newest bot token of the tenant (a workspace, or a Grid organisation that
        installed the app org-wide), None when the app is not installed there."""
        if is_enterprise(tenant):
            bot = await self._installations.async_find_bot(
                enterprise_id=tenant, team_id=None, is_enterprise_install=True
            )
        else:
            bot = await self._installations.find_bot_of_team(tenant)
        return bot.bot_token if bot is not None else None

    async def _start(self, flow: AsyncOAuthFlow, request: web.Request) -> web.Response:
        try:
            response = await flow.handle_installation(await to_bolt_request(request))
        except Exception as exc:  # the state could not be stored: the database, most likely
            log.warning("Slack install: could not start (%s)", type(exc).__name__)
            return _page(_UNAVAILABLE.status, "slack_install_failed_title", _UNAVAILABLE.text)
        return await to_aiohttp_response(response)

    async def _finish(self, flow: AsyncOAuthFlow, request: web.Request) -> web.Response:
        try:
            response = await flow.handle_callback(await to_bolt_request(request))
        except Exception as exc:  # Slack unreachable, the database down: not the person's doing
            log.warning("Slack install: could not finish (%s)", type(exc).__name__)
            return _page(_UNAVAILABLE.status, "slack_install_failed_title", _UNAVAILABLE.text)
        return await to_aiohttp_response(response)

    async def _success(self, args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        if installation.is_enterprise_install:
            where, text = installation.enterprise_id or "", "slack_installed_enterprise"
            name = installation.enterprise_name
            log.info("Slack install: Enterprise Grid organisation %s installed the app", where)
        else:
            where, text = installation.team_id or "", "slack_installed"
            name = installation.team_name
            log.info("Slack install: workspace %s installed the app", where)
        values = {"team": name or where, "team_id": where}
        return self._response(200, "slack_installed_title", text, values, again=False)

    async def _failure(self, args: AsyncFailureArgs) -> BoltResponse:
        # Any other reason is Slack's ?error=… (the person said no, or the app is not
        # allowed there): text from the query string, so shown escaped and never logged.
        problem = _PROBLEMS.get(args.reason, _CANCELLED)
        log.info(
            "Slack install: not completed (%s)",
            "error from Slack" if problem is _CANCELLED else args.reason,
        )
        values = {"minutes": STATE_SECONDS // 60, "reason": args.reason[:MAX_REASON]}
        return self._response(
            problem.status, "slack_install_failed_title", problem.text, values, again=True
        )

    def _response(
        self, status: int, title: str, text: str, values: Mapping[str, object], *, again: bool
    ) -> BoltResponse:
        """A page in both languages; the state cookie has done its work either way."""
        return BoltResponse(
            status=status,
            body=_html(title, text, values, again=again),
            headers={
                "Content-Type": "text/html; charset=utf-8",
                "Set-Cookie": [self._state_utils.build_set_cookie_for_deletion()],
            },
        )


def _page(status: int, title: str, text: str) -> web.Response:
    body = _html(title, text, {}, again=True)
    return web.Response(status=status, text=body, content_type="text/html", charset="utf-8")


def _html(title: str, text: str, values: Mapping[str, object], *, again: bool) -> str:
    """Dutch first, then English. The texts are ours; every value is escaped (a team
    name is whatever the workspace is called, a reason whatever the query said)."""
    safe = {key: html.escape(str(value)) for key, value in values.items()}
    parts = ['<!doctype html><html lang="nl"><meta charset="utf-8">']
    parts.append(f"<title>{t(title, 'nl')}</title>")
    for lang in ("nl", "en"):
        parts.append(f'<section lang="{lang}"><h1>{t(title, lang)}</h1>')
        parts.append(f"<p>{t(text, lang, **safe)}</p>")
        if again:
            parts.append(f'<p><a href="{INSTALL_PATH}">{t("slack_install_again", lang)}</a></p>')
        parts.append("</section>")
    parts.append("</html>")
    return "".join(parts)
