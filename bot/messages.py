"""The neutral message pair every channel adapter translates to and from.

The engine only ever sees an ``Inbound`` and only ever returns ``Reply`` objects; it never
learns which platform a message came from beyond the ``channel`` label it needs for
addressing. Adapters render a ``Reply`` as Block Kit, an Adaptive Card or JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal, TypeAlias, get_args, get_type_hints

from bot.errors import LimitExceeded
from bot.jsonfields import typed

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")


class Channel(StrEnum):
    WEB = "web"
    SLACK = "slack"
    TEAMS = "teams"


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


ACTION_FORMAT = 3
"""The version of ``encode_action``'s form. Bump it when a kind's fields change: buttons
drawn before then decode to ``Outdated`` instead of doing something else. (3: each button
kind its own fields, in place of name, incident, target, value and stamp for all.)"""
_ENCODED = re.compile(r"n(\d{1,6}):(.*)", re.DOTALL)
_FORMAT_1 = re.compile(r"[a-z.]+\|[^|]*\|[^|]*\|[^|]*\|\d*")  # "name|incident|target|value|stamp"
MAX_ENCODED_ACTION = 2000
"""The tightest platform limit on what a button carries: Slack's ``value``."""


class ActionTooLong(LimitExceeded):
    """A button would carry more than every platform takes: a bug where the button is made."""


class PickFor(StrEnum):
    """What an incident chosen from a list of them is wanted for."""

    STATUS = "status"
    STOP = "stop"
    EXPORT = "export"
    CLOSE = "close"


# Every button kind, with what it carries. ``kind`` is its name on the wire: keep it short.
# ``stamp`` is the version of the step the button was drawn for.


@dataclass(frozen=True, slots=True)
class ConfirmStart:
    kind: ClassVar[str] = "start.yes"
    playbook_id: str


@dataclass(frozen=True, slots=True)
class DeclineStart:
    kind: ClassVar[str] = "start.no"


@dataclass(frozen=True, slots=True)
class SomethingElse:
    """None of the offered plans: the first advice, and every plan."""

    kind: ClassVar[str] = "start.other"


@dataclass(frozen=True, slots=True)
class ShowPlans:
    """The menu of every plan ("what happened?")."""

    kind: ClassVar[str] = "start.menu"


@dataclass(frozen=True, slots=True)
class Report:
    """A channel reporting a message as suspicious (Slack's shortcut)."""

    kind: ClassVar[str] = "start.report"


@dataclass(frozen=True, slots=True)
class SameIncident:
    """The new situation is about this open incident: its plan joins it."""

    kind: ClassVar[str] = "start.same"
    incident_id: str
    playbook_id: str


@dataclass(frozen=True, slots=True)
class FillFacts:
    """Ask the facts still unknown again."""

    kind: ClassVar[str] = "fact.fill"
    incident_id: str


@dataclass(frozen=True, slots=True)
class FactOption:
    kind: ClassVar[str] = "fact.answer"
    incident_id: str
    fact_id: str
    option: str


@dataclass(frozen=True, slots=True)
class SkipFact:
    kind: ClassVar[str] = "fact.skip"
    incident_id: str
    fact_id: str


@dataclass(frozen=True, slots=True)
class StepDone:
    kind: ClassVar[str] = "step.done"
    incident_id: str
    step_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class RecordOption:
    """One option of a step's choice record, pressed on the way to the step being done."""

    kind: ClassVar[str] = "step.choice"
    incident_id: str
    step_id: str
    record_id: str
    option: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class StepBlocked:
    kind: ClassVar[str] = "step.blocked"
    incident_id: str
    step_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class StepSkip:
    kind: ClassVar[str] = "step.skip"
    incident_id: str
    step_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class StepHelp:
    kind: ClassVar[str] = "step.help"
    incident_id: str
    step_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class StepShow:
    kind: ClassVar[str] = "step.show"
    incident_id: str
    step_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class HandOff:
    """Hand the incident to the IT provider (mail, webhook)."""

    kind: ClassVar[str] = "step.handoff"
    incident_id: str
    step_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class StepText:
    """A text ready to send, in ``lang`` (None: the person's own)."""

    kind: ClassVar[str] = "step.text"
    incident_id: str
    text_id: str
    lang: Lang | None = None


@dataclass(frozen=True, slots=True)
class RecallUpdate:
    """What the bank says about the payment's recall: a ``RecallStatus`` value, or None to
    ask where it stands. Checked by the flow: the status enum belongs to the domain."""

    kind: ClassVar[str] = "recall"
    incident_id: str
    step_id: str
    status: str | None = None


@dataclass(frozen=True, slots=True)
class PickIncident:
    kind: ClassVar[str] = "incident.pick"
    incident_id: str
    purpose: PickFor


@dataclass(frozen=True, slots=True)
class ConfirmStop:
    kind: ClassVar[str] = "stop.yes"
    incident_id: str


@dataclass(frozen=True, slots=True)
class KeepGoing:
    kind: ClassVar[str] = "stop.no"
    incident_id: str


@dataclass(frozen=True, slots=True)
class ShowStatus:
    kind: ClassVar[str] = "status"
    incident_id: str


@dataclass(frozen=True, slots=True)
class ListIncidents:
    kind: ClassVar[str] = "list"
    closed: bool = False
    page: int = 0


@dataclass(frozen=True, slots=True)
class ShowTimeline:
    kind: ClassVar[str] = "timeline"
    incident_id: str


@dataclass(frozen=True, slots=True)
class AssignStep:
    kind: ClassVar[str] = "step.assign"
    incident_id: str
    step_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class Snooze:
    """Postpone one's reminders of a step by ``minutes``; None: until a time typed next."""

    kind: ClassVar[str] = "snooze"
    incident_id: str
    step_id: str
    minutes: int | None = None
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class TakeLead:
    kind: ClassVar[str] = "lead.take"
    incident_id: str


@dataclass(frozen=True, slots=True)
class HandOverLead:
    kind: ClassVar[str] = "lead.give"
    incident_id: str


@dataclass(frozen=True, slots=True)
class Close:
    """Close the incident; ``confirmed`` once the person said yes to closing it."""

    kind: ClassVar[str] = "close"
    incident_id: str
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class Reopen:
    kind: ClassVar[str] = "reopen"
    incident_id: str


@dataclass(frozen=True, slots=True)
class FollowUpDone:
    """A prevention follow-up proposed at the close is done; ``stamp``: its version."""

    kind: ClassVar[str] = "followup.done"
    incident_id: str
    follow_up_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class AssignFollowUp:
    kind: ClassVar[str] = "followup.assign"
    incident_id: str
    follow_up_id: str
    stamp: int | None = None


@dataclass(frozen=True, slots=True)
class Outdated:
    """A button drawn by another version of Noodrem (``decode_action``)."""

    kind: ClassVar[str] = "outdated"


@dataclass(frozen=True, slots=True)
class Presence:
    """Not a button: a channel saying "this person is here"."""

    kind: ClassVar[str] = "presence"


@dataclass(frozen=True, slots=True)
class Welcome:
    """Not a button: a person opened a chat with Noodrem (installed it)."""

    kind: ClassVar[str] = "welcome"


Action: TypeAlias = (
    ConfirmStart
    | DeclineStart
    | SomethingElse
    | ShowPlans
    | Report
    | SameIncident
    | FillFacts
    | FactOption
    | SkipFact
    | StepDone
    | RecordOption
    | StepBlocked
    | StepSkip
    | StepHelp
    | StepShow
    | HandOff
    | StepText
    | RecallUpdate
    | PickIncident
    | ConfirmStop
    | KeepGoing
    | ShowStatus
    | ListIncidents
    | ShowTimeline
    | AssignStep
    | Snooze
    | TakeLead
    | HandOverLead
    | Close
    | Reopen
    | FollowUpDone
    | AssignFollowUp
    | Outdated
    | Presence
    | Welcome
)
"""Everything a button (or a platform event standing in for one) can ask for."""

_KINDS: dict[str, tuple[Callable[..., Action], tuple[object, ...]]] = {
    kind.kind: (kind, tuple(get_type_hints(kind)[f.name] for f in fields(kind)))
    for kind in get_args(Action)
}


def encode_action(action: Action) -> str:
    """Loss-free text form for platforms that carry one string per button: the kind, then
    its fields in order (trailing empty ones left off):
    ``n3:["step.done","NR-ABC234","call-bank",3]``."""
    values: list[object] = [getattr(action, f.name) for f in fields(action)]
    while values and values[-1] is None:
        values.pop()
    encoded = f"n{ACTION_FORMAT}:" + json.dumps(
        [action.kind, *values], ensure_ascii=False, separators=(",", ":")
    )
    if len(encoded) > MAX_ENCODED_ACTION:
        raise ActionTooLong(
            f"{action.kind} carries {len(encoded)} characters, platforms take {MAX_ENCODED_ACTION}"
        )
    return encoded


def decode_action(raw: str) -> Action:
    """Inverse of ``encode_action``. A button of another format version, or of a kind this
    version does not know, is ``Outdated`` (the person is told so); anything that is no
    Noodrem button at all, or carries a field of the wrong type, raises ``ValueError``."""
    if _FORMAT_1.fullmatch(raw):
        return Outdated()
    matched = _ENCODED.fullmatch(raw)
    if matched is None:
        raise ValueError("not a Noodrem action")
    if int(matched.group(1)) != ACTION_FORMAT:
        return Outdated()
    try:
        parsed = json.loads(matched.group(2))
    except (ValueError, RecursionError):
        raise ValueError("not a Noodrem action") from None
    if not (isinstance(parsed, list) and parsed and isinstance(parsed[0], str)):
        raise ValueError("not a Noodrem action")
    kind, *values = parsed
    shape = _KINDS.get(kind)
    if shape is None:
        return Outdated()  # from a newer version, or one that dropped it
    cls, hints = shape
    if len(values) > len(hints):
        raise ValueError("not a Noodrem action")
    values += [None] * (len(hints) - len(values))
    try:
        return cls(*(typed(hint, value) for hint, value in zip(hints, values, strict=True)))
    except ValueError:
        raise ValueError("not a Noodrem action") from None


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

    def __post_init__(self) -> None:
        encode_action(self.action)  # ActionTooLong here, where the button is made


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

    def __post_init__(self) -> None:
        encode_action(self.submit)  # ActionTooLong here, where the question is made


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
