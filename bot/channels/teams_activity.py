"""Bot Framework activities as Noodrem's neutral ``Inbound`` and ``Address``.

Only reading happens here; sending lives in ``teams``. Some fields are read from the raw
JSON body rather than the parsed ``Activity``: botbuilder-schema 4.17 maps
``conversation.tenantId`` to the key ``tenantID`` and so loses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.channels.teams_cards import Submit
from bot.channels.untrusted import Malformed
from bot.messages import Action, Address, Channel, Inbound, Mention, Welcome

EMULATOR_CHANNEL = "emulator"
EMULATOR_TENANT = "emulator"
"""The Bot Framework Emulator names no tenant; local tests map this one in the organisation file."""

_THREAD_MARK = ";messageid="
_AT_TAG = re.compile(r"<at>(.*?)</at>", re.IGNORECASE)
_INSTALL_ACTIONS = ("add", "add-upgrade")  # an upgrade re-adds; botbuilder treats it so too


@dataclass(frozen=True, slots=True)
class Mentioned:
    """A person @mentioned in a message, as the entity names them.

    Teams gives a mention only the person's Teams id (``29:…``) and display name; the Entra
    object id Noodrem knows people by is looked up by ``teams`` (a connector call).
    """

    id: str
    name: str
    aad_object_id: str | None = None


# Teams ids ("a:1…", "19:…@thread.tacv2;messageid=…", "29:…"): they go into connector URLs,
# so nothing that would change the URL's path or query.
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9:@;=._\-]{1,1024}")
_ACCOUNTS = ("from", "recipient")  # {"id": str, "name"?: str, "aadObjectId"?: str}
_TEXTS = ("type", "id", "serviceUrl", "channelId", "locale", "text", "name", "action")


def check_shape(body: Any) -> None:
    """What the adapter reads from an activity has the type it expects, or ``Malformed``.

    msrest's ``deserialize`` keeps a wrong type where it cannot convert it (a number as
    ``conversation.id``, a string as ``entities``), and the SDK or our reading then fails
    deep in a turn, as a 500. Checked here, such an activity is a 400 at the door.
    """
    if not isinstance(body, dict):
        raise Malformed("expected a JSON object")
    for key in _TEXTS:
        if body.get(key) is not None and not isinstance(body[key], str):
            raise Malformed(f"{key} must be a string")
    if not body.get("type"):
        raise Malformed("type is missing")
    try:  # where every reply goes
        service = urlsplit(body.get("serviceUrl") or "")
        usable = service.scheme in ("http", "https") and bool(service.hostname)
    except ValueError:  # "http://[" and other unparseable hosts
        usable = False
    if not usable:
        raise Malformed("serviceUrl must be an http(s) URL")
    conversation = body.get("conversation")
    if not isinstance(conversation, dict):
        raise Malformed("conversation.id is missing or not a Teams conversation id")
    conversation_id = conversation.get("id")  # a missing id must not pass as "None"
    if not isinstance(conversation_id, str) or not _CONVERSATION_ID.fullmatch(conversation_id):
        raise Malformed("conversation.id is missing or not a Teams conversation id")
    for key in ("conversationType", "tenantId"):
        if conversation.get(key) is not None and not isinstance(conversation[key], str):
            raise Malformed(f"conversation.{key} must be a string")
    for key in _ACCOUNTS:
        account = body.get(key)
        if account is None:
            continue
        if not isinstance(account, dict) or not isinstance(account.get("id"), str):
            raise Malformed(f"{key}.id is missing")
        for field in ("name", "aadObjectId"):
            if account.get(field) is not None and not isinstance(account[field], str):
                raise Malformed(f"{key}.{field} must be a string")
    for key in ("entities", "membersAdded", "attachments"):
        items = body.get(key)
        if items is not None and (
            not isinstance(items, list) or not all(isinstance(i, dict) for i in items)
        ):
            raise Malformed(f"{key} must be a list of objects")
    for member in body.get("membersAdded") or ():
        if not isinstance(member.get("id"), str):
            raise Malformed("membersAdded[].id must be a string")
    for entity in body.get("entities") or ():
        if not isinstance(entity.get("type"), str):  # the SDK lowercases it unchecked
            raise Malformed("entities[].type must be a string")
    if body.get("channelData") is not None and not isinstance(body["channelData"], dict):
        raise Malformed("channelData must be an object")


def tenant_of(body: dict[str, Any]) -> str:
    """The Entra tenant: ``channelData.tenant.id``, else ``conversation.tenantId``."""
    channel_data = body.get("channelData")
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant")
        if isinstance(tenant, dict) and isinstance(tenant.get("id"), str) and tenant["id"]:
            return str(tenant["id"])
    conversation = body.get("conversation")
    if isinstance(conversation, dict) and isinstance(conversation.get("tenantId"), str):
        return str(conversation["tenantId"])
    return EMULATOR_TENANT if body.get("channelId") == EMULATOR_CHANNEL else ""


def user_id_of(activity: Activity) -> str:
    """The person's Entra object id (what the organisation file names managers by)."""
    person = activity.from_property
    if person is None:
        return ""
    return str(person.aad_object_id or person.id or "")


def conversation_scope(conversation_id: str) -> str:
    """A channel thread (``19:…@thread.tacv2;messageid=…``) as its channel, so an incident
    opened in one thread is followed in the whole channel."""
    return conversation_id.split(_THREAD_MARK, 1)[0]


def address_of(activity: Activity, *, tenant_id: str) -> Address:
    """Where this person can be reached again, with the conversation reference as JSON."""
    reference = TurnContext.get_conversation_reference(activity).serialize()
    return Address(
        channel=Channel.TEAMS,
        tenant_id=tenant_id,
        conversation_id=conversation_scope(activity.conversation.id),
        user_id=user_id_of(activity),
        reference=reference,
    )


def _without_mention(activity: Activity) -> str:
    """The text with the bot's ``<at>name</at>`` removed (channels require the @mention),
    and anyone else's as ``@name``, as a person would type it."""
    try:
        text = TurnContext.remove_recipient_mention(activity) or ""
    except (KeyError, TypeError):  # a mention entity without "mentioned": keep the text
        text = activity.text or ""
    return _AT_TAG.sub(r"@\1", text)


def mentioned(activity: Activity) -> list[Mentioned]:
    """The people @mentioned in a message, in order, without the bot itself."""
    bot_id = activity.recipient.id if activity.recipient is not None else None
    found: list[Mentioned] = []
    for entity in activity.entities or ():
        if (entity.type or "").lower() != "mention":
            continue
        person = (entity.additional_properties or {}).get("mentioned")
        if not isinstance(person, dict) or not isinstance(person.get("id"), str):
            continue
        if person["id"] == bot_id or any(m.id == person["id"] for m in found):
            continue
        aad = person.get("aadObjectId")
        found.append(
            Mentioned(
                id=person["id"],
                name=str(person.get("name") or ""),
                aad_object_id=aad if isinstance(aad, str) and aad else None,
            )
        )
    return found


def is_personal(activity: Activity) -> bool:
    return activity.conversation is not None and (
        activity.conversation.conversation_type in (None, "personal")
    )


def is_install(activity: Activity) -> bool:
    """The bot was added to a conversation (``conversationUpdate`` naming the bot among the
    members added, or ``installationUpdate`` with action ``add``/``add-upgrade``)."""
    if activity.type == ActivityTypes.installation_update:
        return (activity.action or "").lower() in _INSTALL_ACTIONS
    if activity.type != ActivityTypes.conversation_update or activity.recipient is None:
        return False
    return any(member.id == activity.recipient.id for member in activity.members_added or ())


def to_inbound(
    activity: Activity,
    *,
    tenant_id: str,
    submit: Submit | None,
    received_at: datetime,
    mentions: Sequence[Mention] = (),
) -> Inbound:
    """A message activity: typed text without the bot's @mention, or a card submit."""
    text = None if submit is not None else _without_mention(activity).strip()
    return _inbound(
        activity,
        tenant_id=tenant_id,
        received_at=received_at,
        text=text,
        action=submit.action if submit is not None else None,
        form=submit.form if submit is not None else {},
        mentions=tuple(mentions),
    )


def welcome(activity: Activity, *, tenant_id: str, received_at: datetime) -> Inbound:
    """Someone installed the bot in their personal chat: the engine learns where to reach
    them (a manager who never writes still gets escalations privately) and says hello."""
    return _inbound(activity, tenant_id=tenant_id, received_at=received_at, action=Welcome())


def _inbound(
    activity: Activity,
    *,
    tenant_id: str,
    received_at: datetime,
    text: str | None = None,
    action: Action | None = None,
    form: dict[str, str] | None = None,
    mentions: tuple[Mention, ...] = (),
) -> Inbound:
    """Replies go where the activity came from; reminders go to the personal chat, so only
    a personal chat is offered as the person's own address. From a channel the engine
    keeps the personal chat it knows (or the first chat it saw)."""
    person = activity.from_property
    address = address_of(activity, tenant_id=tenant_id)
    return Inbound(
        channel=Channel.TEAMS,
        tenant_id=tenant_id,
        user_id=user_id_of(activity),
        user_name=(person.name if person is not None else None) or "",
        conversation_id=conversation_scope(activity.conversation.id),
        locale=activity.locale,
        event_id=activity.id,
        text=text,
        action=action,
        form=form or {},
        mentions=mentions,
        address=address,
        personal_address=address if is_personal(activity) else None,
        received_at=received_at,
    )
