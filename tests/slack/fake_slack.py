"""A fake Slack Web API on loopback that answers what Noodrem calls and records every call.

Modelled on Bolt's own test server: canned JSON per method, a log of calls, plus just
enough state (posted messages by channel and ts, opened modals) for a test to press the
buttons the bot drew and submit the modals it opened. ``files.getUploadURLExternal`` hands
out an ``upload_url`` that points back here, as the real one does to files.slack.com.

Several workspaces: ``bot_tokens`` holds each team's bot token (one, ``T0ACME``'s, unless a
test adds more); a Web API call with any other token is refused with ``invalid_auth``, and
every call records the token it came with. ``approve(team)`` is the person pressing Allow on
Slack's authorize page: it gives the ``code`` that ``oauth.v2.access`` trades, once, for
that team's bot token, when the app's client id and secret (HTTP Basic) are right.

Enterprise Grid: ``add_enterprise`` is a Grid organisation whose admin installs the app
org-wide (one token for all its workspaces; ``oauth.v2.access`` answers with no team and
``is_enterprise_install: true``, as Slack documents); ``add_team(..., enterprise=…)`` is a
workspace of a Grid organisation that installs the app on its own.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BasicAuth, web

BOT_TOKEN = "xoxb-1234-test-bot-token"
TEAM_ID = "T0ACME"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-0123456789abcdef"
APP_ID = "A0NOODREM"
APP_TOKEN = "xapp-1-A111-test-app-token"
BOT_USER = "UBOTNOODREM"
OUTPUT_METHODS = frozenset(
    {"chat.postMessage", "chat.update", "views.open", "views.publish", "response_url"}
)
_JSON_ARGS = ("blocks", "view", "files")


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float  # the event loop's clock when the call arrived
    token: str = ""
    result: dict[str, Any] = field(default_factory=dict)  # what the fake answered


@dataclass
class Message:
    """A message as the fake knows it now: updated in place by ``chat.update``."""

    channel: str
    ts: str
    blocks: list[dict[str, Any]]
    text: str
    updates: int = 0


@dataclass
class Outage:
    """Make calls fail: ``error`` is Slack's refusal (HTTP 200, ``ok: false``), ``status``
    an HTTP error page, ``drop`` closes the connection without an answer. Only calls to
    ``method`` (and ``channel``, when given); ``times`` calls, or all while it is set."""

    method: str
    channel: str | None = None
    error: str | None = None
    status: int | None = None
    drop: bool = False
    times: int | None = None

    def matches(self, method: str, args: dict[str, Any]) -> bool:
        if method != self.method or self.times == 0:
            return False
        return self.channel is None or str(args.get("channel")) == self.channel


@dataclass
class SlackUserRecord:
    name: str
    locale: str = "nl-NL"


@dataclass
class FakeSlack:
    users: dict[str, SlackUserRecord] = field(default_factory=dict)
    not_member: set[str] = field(default_factory=set)  # channels the bot may not post in
    outages: list[Outage] = field(default_factory=list)
    socket_url: str | None = None
    bot_tokens: dict[str, str] = field(default_factory=lambda: {TEAM_ID: BOT_TOKEN})
    team_names: dict[str, str] = field(default_factory=lambda: {TEAM_ID: "Bakkerij Acme"})
    codes: dict[str, str] = field(default_factory=dict)  # an approved install's code: its team
    enterprises: dict[str, str] = field(default_factory=dict)  # a Grid workspace: its org
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # Looking at what happened ----------------------------------------------------------

    def add_team(self, team: str, name: str, *, enterprise: str | None = None) -> str:
        """A workspace with its own bot token (what the install of the app there gives),
        in the Grid organisation ``enterprise`` when given."""
        token = f"xoxb-{team}-{secrets.token_hex(8)}"
        self.bot_tokens[team], self.team_names[team] = token, name
        if enterprise is not None:
            self.enterprises[team] = enterprise
        return token

    def add_enterprise(self, enterprise: str, name: str) -> str:
        """A Grid organisation with the bot token of an org-wide install of the app."""
        return self.add_team(enterprise, name)

    def approve(self, team: str) -> str:
        """An admin of ``team`` pressed Allow on Slack's authorize page: the code."""
        code = f"code-{team}-{secrets.token_hex(6)}"
        self.codes[code] = team
        return code

    def team_of_token(self, token: str) -> str | None:
        return next((team for team, known in self.bot_tokens.items() if known == token), None)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def outputs(self, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method in OUTPUT_METHODS]

    async def wait_for(self, check: Callable[[], bool], *, within: float = 10.0) -> None:
        async with asyncio.timeout(within):
            while not check():
                self._changed.clear()
                if check():
                    return
                await self._changed.wait()

    # The API ----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        call = Call(method, args, asyncio.get_running_loop().time(), token)
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        outage = next((o for o in self.outages if o.matches(method, args)), None)
        if outage is not None:
            if outage.times is not None:
                outage.times -= 1
            call.result = {"outage": outage.error or outage.status or "dropped"}
            self._record(call)
            if outage.drop:
                assert request.transport is not None
                request.transport.close()  # the client sees the connection die
                raise web.HTTPInternalServerError()  # never reaches the closed socket
            if outage.status is not None:
                return web.Response(status=outage.status, text="Service Unavailable")
            return web.json_response({"ok": False, "error": outage.error})
        if method == "oauth.v2.access":  # the app's own credentials, not a bot token
            call.result = self._oauth_v2_access(args, request.headers.get("Authorization", ""))
            self._record(call)
            return web.json_response(call.result)
        known = (
            token == APP_TOKEN
            if method == "apps.connections.open"
            else self.team_of_token(token) is not None
        )
        if not known:
            call.result = {"ok": False, "error": "invalid_auth"}
        elif answer is None:
            call.result = {"ok": False, "error": "unknown_method"}
        elif method == "auth.test":
            call.result = self._auth_test(token)
        else:
            call.result = answer(args)
        self._record(call)
        return web.json_response(call.result)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.set()

    def _auth_test(self, token: str) -> dict[str, Any]:
        team = self.team_of_token(token) or TEAM_ID
        answer = {
            "ok": True,
            "url": f"https://{team.lower()}.slack.com/",
            "team": self.team_names.get(team, team),
            "user": "noodrem",
            "team_id": team,  # an org-wide token: the enterprise id
            "user_id": BOT_USER,
            "bot_id": f"B{team}",
        }
        enterprise = team if team.startswith("E") else self.enterprises.get(team)
        if enterprise is not None:
            answer |= {"enterprise_id": enterprise, "is_enterprise_install": team == enterprise}
        return answer

    def _oauth_v2_access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        try:
            credentials = BasicAuth.decode(authorization)
        except ValueError:
            return {"ok": False, "error": "invalid_client_id"}
        if (credentials.login, credentials.password) != (CLIENT_ID, CLIENT_SECRET):
            return {"ok": False, "error": "bad_client_secret"}
        team = self.codes.pop(str(args.get("code", "")), None)  # a code works once
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        org_wide = team.startswith("E")
        enterprise = team if org_wide else self.enterprises.get(team)
        return {
            "ok": True,
            "access_token": self.bot_tokens[team],
            "token_type": "bot",
            "scope": "app_mentions:read,chat:write,commands,files:write,im:history,im:write,"
            "users:read",
            "bot_user_id": BOT_USER,
            "app_id": APP_ID,
            "team": None if org_wide else {"id": team, "name": self.team_names[team]},
            "enterprise": None
            if enterprise is None
            else {"id": enterprise, "name": self.team_names.get(enterprise, enterprise)},
            "is_enterprise_install": org_wide,
            "authed_user": {"id": f"W0ADMIN{team}" if enterprise else f"U0ADMIN{team}"},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user"))
        record = self.users.get(user_id)
        if record is None:
            return {"ok": False, "error": "user_not_found"}
        user = {
            "id": user_id,
            "name": record.name.lower().replace(" ", "."),
            "real_name": record.name,
        }
        if str(args.get("include_locale")).lower() in ("true", "1"):
            user["locale"] = record.locale
        return {"ok": True, "user": {**user, "profile": {"display_name": record.name}}}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": f"D{args['users']}"}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        if channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        ts = f"1780000000.{next(self._ts):06d}"
        self.messages[(channel, ts)] = Message(channel, ts, args.get("blocks") or [], args["text"])
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (str(args["channel"]), str(args["ts"]))
        message = self.messages.get(key)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.blocks, message.text = args.get("blocks") or [], args["text"]
        message.updates += 1
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args["message_ts"]).replace(".", "")
        return {"ok": True, "permalink": f"https://acme.slack.com/archives/{args['channel']}/p{ts}"}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {**args["view"], "id": f"V{next(self._ts):06d}"}}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {**args["view"], "id": f"V{next(self._ts):06d}"}}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts):06d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "files": [{"id": f["id"], "title": f.get("title")} for f in args["files"]],
        }

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        args = {"file_id": request.match_info["file_id"], "size": len(data), "data": data}
        self._record(Call("upload", args, 0))
        return web.Response(text="OK - uploaded")

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self._record(Call("response_url", {"key": request.match_info["key"], **body}, 0))
        return web.Response(text="ok")


async def _arguments(request: web.Request) -> dict[str, Any]:
    """slack_sdk sends JSON to some methods and form fields (or a query) to others."""
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update(parse_qsl(await request.text()))
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    return args
