"""Slack settings give one clear line when wrong, and never repeat a secret."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from app import StartupError, build_app
from bot.channels import slack
from bot.clock import SystemClock
from bot.config import Settings, SettingsError
from bot.messages import Inbound, Reply
from bot.ports import Store
from tests.harness import ROOT

SECRET = "s3cr3t-value-1234"


async def no_engine(inbound: Inbound) -> Sequence[Reply]:
    raise AssertionError("not called")


def no_store() -> Store:
    raise AssertionError("not used")


def make(env: dict[str, str]) -> slack.SlackChannel | None:
    return slack.from_settings(
        env, handler=no_engine, store=no_store, clock=SystemClock(), host="0.0.0.0"
    )


def test_without_a_bot_token_slack_is_off() -> None:
    assert make({}) is None
    assert make({"SLACK_BOT_TOKEN": "  "}) is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN is missing"),
        ({"SLACK_APP_TOKEN": "xapp-" + SECRET}, "SLACK_BOT_TOKEN is missing"),
        ({"SLACK_BOT_TOKEN": "xoxp-" + SECRET, "SLACK_SIGNING_SECRET": "x"}, "starts with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is required"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": SECRET}, "starts with xapp-"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "x", "SLACK_API_URL": SECRET},
            "SLACK_API_URL must be an http",
        ),
        # OAuth: one app installed in many workspaces
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": SECRET},
            "not both",
        ),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "x"}, "SLACK_CLIENT_SECRET is missing"),
        ({"SLACK_CLIENT_SECRET": SECRET}, "SLACK_CLIENT_ID is missing"),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": SECRET}, "SLACK_SIGNING_SECRET is"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": SECRET, "SLACK_APP_TOKEN": "xapp-1"},
            "use HTTP mode",
        ),
    ],
)
def test_wrong_settings_say_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as exc:
        make(env)
    text = str(exc.value)
    assert "\n" not in text and SECRET not in text


def test_http_and_socket_mode_settings() -> None:
    http = slack.read_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": "http://127.0.0.1:9/api",
        }
    )
    assert http is not None and http.mode is slack.SlackMode.HTTP
    assert http.api_url == "http://127.0.0.1:9/api/"
    assert SECRET not in repr(http)
    socket = slack.read_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert socket is not None and socket.mode is slack.SlackMode.SOCKET
    assert socket.api_url == "https://slack.com/api/"


def test_the_app_refuses_to_start_with_wrong_slack_settings(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'n.db'}",
        "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
        "SLACK_BOT_TOKEN": "xoxb-" + SECRET,
    }
    with pytest.raises(StartupError, match="SLACK_SIGNING_SECRET is required") as exc:
        build_app(Settings.from_env(env))
    assert SECRET not in str(exc.value)


def test_oauth_settings() -> None:
    oauth = slack.read_settings(
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": SECRET, "SLACK_SIGNING_SECRET": "x"}
    )
    assert oauth is not None and oauth.auth is slack.SlackAuth.OAUTH
    assert oauth.mode is slack.SlackMode.HTTP and oauth.bot_token == ""
    assert SECRET not in repr(oauth) and "oauth" in repr(oauth)
    token = slack.read_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "x"})
    assert token is not None and token.auth is slack.SlackAuth.TOKEN
