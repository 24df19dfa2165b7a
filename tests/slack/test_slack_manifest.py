"""The shipped manifest asks for exactly what the adapter uses, at the route it serves."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.channels import slack
from tests.harness import ROOT


def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_matches_the_adapter() -> None:
    app = manifest()
    features, settings = app["features"], app["settings"]
    [command] = features["slash_commands"]
    assert command["command"] == slack.COMMAND
    [shortcut] = features["shortcuts"]
    assert shortcut == {**shortcut, "type": "message", "callback_id": slack.SHORTCUT_CALLBACK_ID}
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert sorted(settings["event_subscriptions"]["bot_events"]) == [
        "app_home_opened",
        "app_mention",
        "message.im",
    ]
    assert settings["interactivity"]["is_enabled"] is True
    for url in (
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ):
        assert url == f"https://YOUR-HOST{slack.ROUTE}"
    assert sorted(app["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read",
        "chat:write",
        "commands",
        "files:write",
        "im:history",
        "im:write",
        "users:read",
    ]
    assert "user" not in app["oauth_config"]["scopes"], "no user token, no user scopes"


BOT_SCOPES_OF = {
    # Slack's documented bot-token scopes for each Web API method the adapter calls.
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_getPermalink": set(),
    "conversations_open": {"im:write"},
    "users_info": {"users:read"},
    "views_open": set(),
    "views_publish": set(),
    "files_upload_v2": {"files:write"},  # files.getUploadURLExternal + completeUploadExternal
    "apps_connections_open": set(),  # the app-level token's connections:write, not the bot's
}


def test_every_web_api_call_is_covered_by_a_scope_in_the_manifest() -> None:
    """A Web API call added without its scope in the manifest fails here, not in Slack."""
    source = "".join(
        (ROOT / "bot" / "channels" / name).read_text(encoding="utf-8")
        for name in ("slack.py", "slack_web.py")
    )
    called = set(re.findall(r"self\._?client\.(\w+)\(", source))
    assert called and called <= BOT_SCOPES_OF.keys(), called - BOT_SCOPES_OF.keys()
    needed = set().union(*(BOT_SCOPES_OF[method] for method in called))
    assert needed <= set(manifest()["oauth_config"]["scopes"]["bot"])
