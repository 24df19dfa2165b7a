"""The neutral message pair every channel adapter translates to and from.

The engine only ever sees an ``Inbound`` and only ever returns ``Reply`` objects; it never
learns which platform a message came from beyond the ``channel`` label it needs for
addressing. Adapters render a ``Reply`` as Block Kit, an Adaptive Card or JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")


class Channel(StrEnum):
    WEB = "web"
    SLACK = "slack"
    TEAMS = "teams"


class ActionName(StrEnum):
    """Everything a button can ask for. Values travel inside platform payloads: keep them short."""

    CONFIRM_START = "start.yes"
    DECLINE_START = "start.no"
    SOMETHING_ELSE = "start.other"  # none of the offered plans: the first advice, all plans
    SHOW_PLANS = "start.menu"  # the menu of every plan ("what happened?")
    REPORT = "start.report"  # a channel reporting a message as suspicious (Slack's shortcut)
    SAME_INCIDENT = "start.same"  # the new situation is about an open incident: its plan joins
    ANSWER_FACT = "fact.answer"
    SKIP_FACT = "fact.skip"
    STEP_DONE = "step.done"
    STEP_BLOCKED = "step.blocked"
    STEP_SKIP = "step.skip"
    STEP_HELP = "step.help"
    STEP_SHOW = "step.show"
    HANDOFF = "step.handoff"  # hand the incident to the IT provider (mail, webhook)
    STEP_TEXT = "step.text"  # a text ready to send: target the text id, value its language
    RECALL_STATUS = "recall"  # what the bank says about the payment's recall
    PICK_INCIDENT = "incident.pick"
    CONFIRM_STOP = "stop.yes"
    KEEP_GOING = "stop.no"
    STATUS = "status"
    LIST = "list"
    TIMELINE = "timeline"
    STEP_ASSIGN = "step.assign"
    SNOOZE = "snooze"
    TAKE_LEAD = "lead.take"
    HAND_OVER_LEAD = "lead.give"
    CLOSE = "close"
    REOPEN = "reopen"
    FOLLOW_UP_DONE = "followup.done"  # a prevention follow-up proposed at the close is done
    FOLLOW_UP_ASSIGN = "followup.assign"
    OUTDATED = "outdated"  # a button drawn by another version of Noodrem (Action.decode)
    PRESENCE = "presence"  # not a button: a channel saying "this person is here"
    WELCOME = "welcome"  # not a button: a person opened a chat with Noodrem (installed it)


@dataclass(frozen=True, slots=True)
class Address:
    """Where a person or a conversation can be reached, for proactive messages.

    ``reference`` carries what a platform needs beyond the ids (a Bot Framework
    conversation reference, say) as plain JSON, so no SDK type is ever stored.
    """

    channel: Channel
    tenant_id: str
    conversation_id: str
    user_id: str | None = None
    reference: dict[str, object] | None = None


def address_to_json(address: Address) -> dict[str, object]:
    return {
        "channel": address.channel.value,
        "tenant_id": address.tenant_id,
        "conversation_id": address.conversation_id,
        "user_id": address.user_id,
        "reference": address.reference,
    }


def address_from_json(data: dict[str, object]) -> Address:
    reference = data.get("reference")
    user_id = data.get("user_id")
    return Address(
        channel=Channel(str(data["channel"])),
        tenant_id=str(data["tenant_id"]),
        conversation_id=str(data["conversation_id"]),
        user_id=None if user_id is None else str(user_id),
        reference=reference if isinstance(reference, dict) else None,
    )


ACTION_FORMAT = 2
"""The version of ``Action.encode``'s form. Bump it when a field changes meaning: buttons
drawn before then decode to ``OUTDATED`` instead of doing something else."""
_ENCODED = re.compile(r"n(\d{1,6}):(.*)", re.DOTALL)
_FORMAT_1 = re.compile(r"[a-z.]+\|[^|]*\|[^|]*\|[^|]*\|\d*")  # "name|incident|target|value|stamp"
MAX_ENCODED_ACTION = 2000
"""The tightest platform limit on what a button carries: Slack's ``value``."""


class ActionTooLong(ValueError):
    """A button would carry more than every platform takes: a bug where the button is made."""


@dataclass(frozen=True, slots=True)
class Action:
    """A button press. ``stamp`` is the version of the thing the button was drawn for,
    so a press on an old message can be recognised as out of date."""

    name: ActionName
    incident_id: str | None = None
    target: str | None = None
    value: str | None = None
    stamp: int | None = None

    def encode(self) -> str:
        """Loss-free text form for platforms that carry one string per button:
        ``n2:["step.done","NR-ABC234","call-bank",null,3]`` (trailing empty fields left off)."""
        fields: list[str | int | None] = [
            self.name.value,
            self.incident_id,
            self.target,
            self.value,
            self.stamp,
        ]
        while fields[-1] is None:
            fields.pop()
        encoded = f"n{ACTION_FORMAT}:" + json.dumps(
            fields, ensure_ascii=False, separators=(",", ":")
        )
        if len(encoded) > MAX_ENCODED_ACTION:
            raise ActionTooLong(
                f"{self.name.value} carries {len(encoded)} characters, "
                f"platforms take {MAX_ENCODED_ACTION}"
            )
        return encoded

    @classmethod
    def decode(cls, raw: str) -> Action:
        """Inverse of ``encode``. A button of another format version, or naming an action
        this version does not know, is ``OUTDATED`` (the person is told so); anything that
        is no Noodrem button at all raises ``ValueError``."""
        if _FORMAT_1.fullmatch(raw):
            return cls(ActionName.OUTDATED)
        matched = _ENCODED.fullmatch(raw)
        if matched is None:
            raise ValueError("not a Noodrem action")
        if int(matched.group(1)) != ACTION_FORMAT:
            return cls(ActionName.OUTDATED)
        try:
            fields = json.loads(matched.group(2))
        except ValueError:
            raise ValueError("not a Noodrem action") from None
        if not (isinstance(fields, list) and 1 <= len(fields) <= 5):
            raise ValueError("not a Noodrem action")
        padded: list[object] = [*fields, *([None] * (5 - len(fields)))]
        name, incident_id, target, value, stamp = padded
        if not isinstance(name, str):
            raise ValueError("not a Noodrem action")
        if stamp is not None and (not isinstance(stamp, int) or isinstance(stamp, bool)):
            raise ValueError("not a Noodrem action")
        try:
            known = ActionName(name)
        except ValueError:
            return cls(ActionName.OUTDATED)  # from a newer version, or one that dropped it
        return cls(
            name=known,
            incident_id=_text_field(incident_id),
            target=_text_field(target),
            value=_text_field(value),
            stamp=stamp,
        )


def _text_field(raw: object) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise ValueError("not a Noodrem action")


@dataclass(frozen=True, slots=True)
class Mention:
    """A person named in a message (Slack ``<@U…>``, a Teams mention entity)."""

    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """Who a sign-in proved a person is (the web chat's mail link or OpenID Connect)."""

    email: str  # lower case; the web chat's user id
    oid: str | None = None  # Microsoft Entra object id, when signed in with Microsoft


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did: typed text, or pressed a button (optionally with typed input)."""

    channel: Channel
    tenant_id: str
    user_id: str
    conversation_id: str
    user_name: str = ""
    locale: str | None = None
    event_id: str | None = None
    text: str | None = None
    action: Action | None = None
    form: dict[str, str] = field(default_factory=dict)
    mentions: tuple[Mention, ...] = ()
    address: Address | None = None
    """Where this message came from: replies and the incident's own chat go there."""
    personal_address: Address | None = None
    """Where to reach this person privately, when the channel knows (a DM, a personal
    chat); reminders and escalations go there."""
    received_at: datetime | None = None
    identity: VerifiedIdentity | None = None
    """Set by the web chat in sign-in mode; None where the platform vouches for the user id
    (Slack, Teams) and in the web chat's trial mode, where anyone may type any name."""

    @property
    def user_key(self) -> str:
        return user_key(self.channel, self.tenant_id, self.user_id)

    @property
    def conversation_key(self) -> str:
        return f"{self.channel}:{self.tenant_id}:{self.conversation_id}:{self.user_id}"


def user_key(channel: Channel | str, tenant_id: str, user_id: str) -> str:
    """One string that names a person on one platform in one tenant."""
    return f"{channel}:{tenant_id}:{user_id}"


class ReplyKind(StrEnum):
    TEXT = "text"
    QUESTION = "question"
    STEP = "step"
    CHECKLIST = "checklist"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    ERROR = "error"


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: Action
    style: ButtonStyle = ButtonStyle.DEFAULT


class InputKind(StrEnum):
    TEXT = "text"
    PERSON = "person"  # a platform with a people picker shows that instead of a text field


@dataclass(frozen=True, slots=True)
class InputRequest:
    """Ask for typed input that belongs to a button: a case number, a reason.

    ``field_id`` is the key the adapter puts the typed value under in ``Inbound.form``.
    Platforms with modals or card inputs show a field; plain text chats just take the
    next message.
    """

    field_id: str
    label: str
    submit: Action
    required: bool = True
    kind: InputKind = InputKind.TEXT


@dataclass(frozen=True, slots=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to hand over in the conversation (the evidence PDF)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """A channel-neutral message. ``card_key`` names a card that is updated in place
    (the checklist of an incident) rather than posted anew, where the platform can."""

    kind: ReplyKind
    text: str
    title: str | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    inputs: tuple[InputRequest, ...] = ()
    incident_id: str | None = None
    card_key: str | None = None
    late: bool = False
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """A proactive message: replies for someone who did not just write to us."""

    address: Address
    replies: tuple[Reply, ...]
