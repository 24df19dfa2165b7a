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

_MARKUP = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_USER = re.compile(r"^@([UW][A-Z0-9]+)$")
_RAW_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^<>]*))?>")
_LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:")
_SPACES = re.compile(r"[ \t]{2,}")


def is_dm(conversation_id: str) -> bool:
    """Slack's direct-message conversations have ids starting with ``D``."""
    return conversation_id.startswith("D")


def mentioned(text: str, *, bot_user_id: str | None = None) -> dict[str, str]:
    """The people ``<@U…>`` / ``<@U…|label>`` name in a text, the app itself left out.

    User id to the label Slack sent along ("" when none: Slack stopped sending them), in
    the order they first appear. Works on message markup and on typed modal input alike,
    since ``<`` and ``>`` typed by a person arrive escaped in messages and so never look
    like a mention.
    """
    found: dict[str, str] = {}
    for match in _RAW_MENTION.finditer(text):
        user_id = match.group(1)
        if user_id != bot_user_id and user_id not in found:
            found[user_id] = match.group(2) or ""
    return found


def plain_text(
    raw: str, *, bot_user_id: str | None = None, names: Mapping[str, str] | None = None
) -> str:
    """Slack's message markup to the words the person typed.

    Mentions of the app (``bot_user_id``) are dropped, so ``@Noodrem status`` is
    ``status``; other people become ``@Name`` (from ``names``, else the label in the
    markup, else the user id); links become their label; ``&amp;``, ``&lt;`` and ``&gt;``
    become the characters they stand for. One pass, so nothing a name or a label contains
    is read as markup again.
    """
    known = names or {}

    def render(match: re.Match[str]) -> str:
        if match.group(2):
            return _ENTITIES[match.group(2)]
        target, _, label = match.group(1).partition("|")
        user = _USER.match(target)
        if user:
            user_id = user.group(1)
            return "" if user_id == bot_user_id else f"@{known.get(user_id) or label or user_id}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):  # @here, @channel, a user group: <!subteam^S1|@team>
            return label or f"@{target[1:].split('^')[0]}"
        if target.startswith(_LINK_SCHEMES):
            return label or target.removeprefix("mailto:").removeprefix("tel:")
        return match.group(0)

    return _SPACES.sub(" ", _MARKUP.sub(render, raw)).strip()


def with_names(typed: str, names: Mapping[str, str]) -> str:
    """Typed modal input (not markup: nothing escaped) with each ``<@U…>`` as ``@Name``."""
    return _RAW_MENTION.sub(
        lambda m: f"@{names.get(m.group(1)) or m.group(2) or m.group(1)}", typed
    ).strip()


def is_enterprise(tenant: str) -> bool:
    """An Enterprise Grid organisation's id (``E…``), as opposed to a workspace's (``T…``)."""
    return tenant.startswith("E")


def tenant(team: str, *, enterprise_id: str | None, org_wide: bool) -> str:
    """The tenant a person acted in: the Enterprise Grid organisation (``E…``) when the
    installation that received the request is org-wide (one bot token for all its
    workspaces, user ids valid across them), else the person's workspace (``team``, a
    workspace install inside a Grid organisation too). ``enterprise_id`` is the person's
    organisation as Bolt reads it (its "actor": in a Slack Connect channel, a person of
    another company is not of ours, and falls back to their own workspace)."""
    return enterprise_id if org_wide and enterprise_id else team


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
    names: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The reported message as the incident's first evidence (see ``Inbound.form``);
    ``names`` turns the people it mentions into ``@Name``, as Slack showed them."""
    form = {
        "evidence_text": plain_text(str(message.get("text") or ""), names=names),
        "evidence_author": author,
        "evidence_time": time,
    }
    if permalink:
        form["evidence_permalink"] = permalink
    return form
