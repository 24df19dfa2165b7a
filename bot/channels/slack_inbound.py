"""Reading Slack payloads: who acted, in which workspace and conversation, and which
delivery this is (so a retried delivery maps to the same ``event_id`` and the engine's
de-duplication recognises it).

Pure functions over the JSON Slack sends, shaped after Slack's documented payloads for the
Events API (``message.im``, ``app_mention``, ``app_home_opened``), slash commands, and the
``block_actions``, ``view_submission`` and ``message_action`` interactions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^|>]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_SPACES = re.compile(r"[ \t]{2,}")

START_TRIGGERS = {
    "nl": "ik denk dat we een oplichter hebben betaald",
    "en": "I think we paid a fraudster",
}
"""What the "Report as fraud" shortcut says on the person's behalf: a start trigger."""


def is_dm(conversation_id: str) -> bool:
    """Slack's direct-message conversations have ids starting with ``D``."""
    return conversation_id.startswith("D")


def plain_text(raw: str, *, bot_user_id: str | None = None) -> str:
    """Slack's message markup to the words the person typed.

    Mentions of the app (``bot_user_id``) are dropped, so ``@Noodrem status`` is
    ``status``; links become their label; ``&amp;``, ``&lt;`` and ``&gt;`` become the
    characters they stand for.
    """
    text = raw
    if bot_user_id:
        text = _MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else m.group(0), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _SPACES.sub(" ", text).strip()


def event_team(body: Mapping[str, Any]) -> str:
    """The person's workspace: in a channel shared between workspaces (Slack Connect)
    that can differ from the workspace the event was delivered for."""
    event = body.get("event") or {}
    return str(event.get("user_team") or event.get("team") or body.get("team_id") or "")


def interaction_team(body: Mapping[str, Any]) -> str:
    user = body.get("user") or {}
    team = body.get("team") or {}
    return str(user.get("team_id") or team.get("id") or "")


def click_event_id(body: Mapping[str, Any], action: Mapping[str, Any]) -> str:
    """One id per click: the message (or Home view) clicked, the click's own time, who.

    A redelivery of the same payload gives the same id; a second click does not.
    """
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or ""
    user = (body.get("user") or {}).get("id", "")
    return f"{where}:{action.get('action_ts', '')}:{user}"


def command_text(text: str) -> str:
    """``/noodrem`` with nothing after it asks for the status: the checklist of the open
    incident, or (with none open) the engine's invitation to say what happened. Anything
    after the command ("status", "list", "help", "stop", "export", or a description of what
    happened) is what the engine understands when typed in chat."""
    return text.strip() or "status"


def evidence_form(
    message: Mapping[str, Any],
    *,
    author: str,
    time: str,
    permalink: str | None,
) -> dict[str, str]:
    """The reported message as the incident's first evidence (see ``Inbound.form``)."""
    form = {
        "evidence_text": plain_text(str(message.get("text") or "")),
        "evidence_author": author,
        "evidence_time": time,
    }
    if permalink:
        form["evidence_permalink"] = permalink
    return form
