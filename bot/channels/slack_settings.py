"""Slack's settings from the environment, without importing the Slack SDK: ``app.py``
reads them to decide whether to import the Slack channel at all."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from bot.config import SettingsError

DEFAULT_API_URL = "https://slack.com/api/"


class SlackMode(StrEnum):
    HTTP = "http"  # Slack posts to our Request URL
    SOCKET = "socket"  # we hold a websocket to Slack


class SlackAuth(StrEnum):
    """Where the bot token of a request's workspace comes from."""

    TOKEN = "token"  # one workspace: SLACK_BOT_TOKEN
    OAUTH = "oauth"  # many: each workspace installs the app, its token is in our database


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = DEFAULT_API_URL
    client_id: str = ""
    client_secret: str = ""

    def __repr__(self) -> str:  # tokens and the secret must never reach a log line
        return (
            f"SlackSettings(mode={self.mode.value!r}, auth={self.auth.value!r}, "
            f"api_url={self.api_url!r})"
        )

    @property
    def mode(self) -> SlackMode:
        return SlackMode.SOCKET if self.app_token else SlackMode.HTTP

    @property
    def auth(self) -> SlackAuth:
        return SlackAuth.OAUTH if self.client_id else SlackAuth.TOKEN


def read_settings(env: Mapping[str, str]) -> SlackSettings | None:
    """The Slack settings, None when Slack is off; ``SettingsError`` says what is wrong.

    Messages name variables and the expected shape, never a value: a secret pasted into
    the wrong variable must not end up in a log.
    """
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    app_token = env.get("SLACK_APP_TOKEN", "").strip()
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    client_id = env.get("SLACK_CLIENT_ID", "").strip()
    client_secret = env.get("SLACK_CLIENT_SECRET", "").strip()
    if client_id or client_secret:
        return _oauth_settings(
            bot_token=bot_token,
            secret=secret,
            app_token=app_token,
            api_url=api_url,
            client_id=client_id,
            client_secret=client_secret,
        )
    if not bot_token:
        if secret or app_token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is missing while other SLACK_* settings are set: copy the "
                "Bot User OAuth Token (xoxb-...) from the Slack app's OAuth & Permissions page"
            )
        return None
    if not bot_token.startswith("xoxb-"):
        raise SettingsError(
            "SLACK_BOT_TOKEN must be the Bot User OAuth Token, which starts with xoxb- "
            "(OAuth & Permissions page of the Slack app)"
        )
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError(
            "SLACK_APP_TOKEN must be an app-level token with the connections:write scope, "
            "which starts with xapp- (Basic Information page of the Slack app)"
        )
    if not app_token and not secret:
        raise SettingsError(
            "SLACK_SIGNING_SECRET is required to check requests to /slack/events (Basic "
            "Information page of the Slack app); or set SLACK_APP_TOKEN for Socket Mode"
        )
    return SlackSettings(bot_token, secret, app_token, _api_url(api_url))


def _oauth_settings(
    *,
    bot_token: str,
    secret: str,
    app_token: str,
    api_url: str,
    client_id: str,
    client_secret: str,
) -> SlackSettings:
    """One app installed in many workspaces: the client id and secret instead of a token."""
    if bot_token:
        raise SettingsError(
            "set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (each workspace installs the app), not both"
        )
    if not (client_id and client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise SettingsError(
            f"{missing} is missing: the OAuth install needs the Client ID and the Client "
            "Secret (Basic Information page of the Slack app)"
        )
    if app_token:
        raise SettingsError(
            "SLACK_APP_TOKEN (Socket Mode) cannot be used with SLACK_CLIENT_ID: the OAuth "
            "install needs Slack to reach /slack/oauth_redirect, so use HTTP mode"
        )
    if not secret:
        raise SettingsError(
            "SLACK_SIGNING_SECRET is required to check requests to /slack/events (Basic "
            "Information page of the Slack app)"
        )
    return SlackSettings(
        signing_secret=secret,
        api_url=_api_url(api_url),
        client_id=client_id,
        client_secret=client_secret,
    )


def _api_url(api_url: str) -> str:
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
    return api_url if api_url.endswith("/") else api_url + "/"
