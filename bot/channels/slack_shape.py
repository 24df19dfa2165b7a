"""The shape of a signed Slack request, checked before Bolt sees it.

Bolt and our listeners index Slack payloads directly (``body["user"]["id"]``,
``body["actions"][0]["action_id"]``, ``event.get("bot_id")`` on what must be a dict). A
signed request with a field of another type, or missing, raised deep inside them and came
back as a 500. Slack itself never sends such a body, so a request that does not match is a
400 at the door. Only fields someone reads are described; other fields pass unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.untrusted import Malformed


@dataclass(frozen=True, slots=True)
class Req:
    """A field that must be present (with its spec)."""

    spec: Any


Spec = Any  # type | Req | Mapping[str, Spec] | list[Spec]; small enough to read at a glance

_ID: Mapping[str, Spec] = {"id": Req(str), "name": str, "username": str, "team_id": str}
_EVENT: Mapping[str, Spec] = {
    "type": Req(str),
    "subtype": str,
    "user": str,
    "channel": str,
    "text": str,
    "ts": str,
    "event_ts": str,
    "thread_ts": str,
    "channel_type": str,
    "client_msg_id": str,
    "bot_id": str,
    "tab": str,
    "team": str,
    "files": [dict],
    "blocks": [dict],
}
_EVENT_NEEDS = {  # what a listener reads without a default
    "message": ("user", "channel"),
    "app_mention": ("user", "channel"),
    "app_home_opened": ("user",),
}
ENVELOPE: Mapping[str, Spec] = {
    "type": Req(str),
    "token": str,
    "team_id": str,
    "enterprise_id": str,
    "api_app_id": str,
    "event_id": str,
    "challenge": str,
    "event": _EVENT,
    "authorizations": [{"team_id": str, "user_id": str, "enterprise_id": str}],
}
_VIEW: Mapping[str, Spec] = {
    "id": str,
    "type": str,
    "callback_id": str,
    "private_metadata": str,
    "hash": str,
    "blocks": [dict],
    "state": {"values": dict},
}
INTERACTION: Mapping[str, Spec] = {
    "type": Req(str),
    "token": str,
    "user": Req(_ID),
    "team": _ID,
    "enterprise": _ID,
    "channel": _ID,
    "api_app_id": str,
    "trigger_id": str,
    "callback_id": str,
    "response_url": str,
    "message_ts": str,
    "container": {"type": str, "channel_id": str, "message_ts": str, "view_id": str},
    "message": {"ts": str, "text": str, "user": str, "thread_ts": str, "blocks": [dict]},
    "actions": [{"action_id": Req(str), "block_id": str, "value": str, "type": str}],
    "view": _VIEW,
}
_INTERACTION_NEEDS = {
    "block_actions": ("actions",),
    "view_submission": ("view",),
    "message_action": ("callback_id",),
}
COMMAND_FIELDS = ("command", "team_id", "user_id", "channel_id")


def check_event(body: Any) -> None:
    match(body, ENVELOPE, "body")
    if body["type"] == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict):
            raise Malformed("event_callback without an event")
        for key in _EVENT_NEEDS.get(event["type"], ()):
            if event["type"] == "message" and (event.get("subtype") or event.get("bot_id")):
                break  # edits, joins and bots' own messages: ignored, and shaped otherwise
            if not isinstance(event.get(key), str):
                raise Malformed(f"event.{key} is missing")
    if not isinstance(body.get("team_id", ""), str):
        raise Malformed("team_id must be a string")


def check_interaction(payload: Any) -> None:
    match(payload, INTERACTION, "payload")
    for key in _INTERACTION_NEEDS.get(payload["type"], ()):
        if key not in payload:
            raise Malformed(f"{payload['type']} without {key}")
    if payload["type"] == "block_actions" and not payload["actions"]:
        raise Malformed("block_actions without actions")
    view = payload.get("view")
    if payload["type"] in ("view_submission", "view_closed") and not (
        isinstance(view, dict)
        and isinstance(view.get("callback_id"), str)
        and isinstance(view.get("type"), str)
    ):
        raise Malformed("view with a type and callback_id is missing")


def check_command(form: Mapping[str, list[str]]) -> None:
    for key in COMMAND_FIELDS:
        if len(form.get(key, ())) != 1:
            raise Malformed(f"{key} must be given once")


def match(value: Any, spec: Spec, where: str) -> None:
    """``value`` fits ``spec``, or ``Malformed`` naming the first field that does not."""
    if isinstance(spec, Req):
        spec = spec.spec
    if isinstance(spec, type):
        # bool is an int to isinstance; no field here takes a number, so plain types do
        if not isinstance(value, spec) or (spec is not bool and isinstance(value, bool)):
            raise Malformed(f"{where} must be {_NAMES.get(spec, spec.__name__)}")
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise Malformed(f"{where} must be a list")
        for index, item in enumerate(value):
            match(item, spec[0], f"{where}[{index}]")
        return
    if not isinstance(value, dict):
        raise Malformed(f"{where} must be an object")
    for key, inner in spec.items():
        if key in value:
            if value[key] is None and not isinstance(inner, Req):
                continue  # Slack sends null for some absent optional fields
            match(value[key], inner, f"{where}.{key}")
        elif isinstance(inner, Req):
            raise Malformed(f"{where}.{key} is missing")


_NAMES = {str: "a string", dict: "an object", bool: "true or false"}
