"""One turn of a conversation: what came in, what we know, what we will say.

Every flow function takes a ``Turn``. It bundles the open transaction, the clock reading
for this turn (one "now" per turn, so all events of one click carry the same time), the
person's organisation and language, and the replies collected so far.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.cards import export_button
from bot.errors import Refused
from bot.events import EventData, ParticipantJoined, Role, append_event
from bot.evidence.drawing import Drawer
from bot.flows.state import ConversationState, Pending
from bot.i18n import t
from bot.messages import (
    Button,
    Inbound,
    Lang,
    Outbound,
    Reopen,
    Reply,
    ReplyKind,
    address_from_json,
)
from bot.organisation import Organisation
from bot.playbook import Playbook
from bot.playbook.combined import combine_ids
from bot.ports import (
    Conversation,
    Event,
    HandoffSender,
    Incident,
    IncidentStatus,
    Participant,
    Store,
    Transaction,
)

SYSTEM_ACTOR = "noodrem"

AfterCommit = Callable[[Store, datetime], Awaitable[None]]
"""Slow work a turn leaves for after its commit (rendering an export), so it does not hold
the turn's transaction (on SQLite the database's write lock); it gets the store and the time."""


@dataclass(frozen=True, slots=True)
class ForOther:
    """A message for someone other than the person of the turn; its delivery is recorded
    on the incident's timeline once it was tried."""

    incident_id: str
    recipient: str  # user key
    recipient_name: str
    direct: bool  # to their own chat; else to the incident's chat
    message: Outbound


class FlowError(Refused):
    """Something the person asked cannot be done; ``reply`` says why in their language."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply


@dataclass
class Turn:
    tx: Transaction
    inbound: Inbound
    now: datetime
    org: Organisation
    playbooks: Mapping[str, Playbook]
    conversation: Conversation
    """The conversation's row; the engine writes ``state`` into it before saving it."""
    lang: Lang
    state: ConversationState = field(default_factory=ConversationState)
    """What the next typed message means, and the conversation's language once known."""
    replies: list[Reply] = field(default_factory=list)
    wake_times: list[datetime] = field(default_factory=list)
    outbound: list[ForOther] = field(default_factory=list)
    """Messages for other people (an assigned step's card, what someone did), sent after
    the commit."""
    after_commit: list[AfterCommit] = field(default_factory=list)
    """Run by the engine in order once the turn's transaction has committed; they may add
    replies, where ``reply_later`` said."""
    held_from: int | None = None
    """The replies from here on follow a reply made after the commit: the engine holds
    them back from the commit with it (``ReplySink``), so they keep their order."""
    handoffs: HandoffSender | None = None
    """Sends hand-offs to the IT provider; None where the app wires none (some tests)."""
    drawer: Drawer | None = None
    """Where an export's file is drawn (``app.py``: worker processes); None: in a thread."""

    # Conversation state ----------------------------------------------------------------
    @property
    def pending(self) -> Pending:
        return self.state.pending

    def expect(self, pending: Pending) -> None:
        """Replace the pending question (what was open before is dropped, on purpose);
        from now on the conversation is held in this turn's language."""
        self.state = ConversationState(pending, self.lang)

    # Saying things -----------------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def say(self, reply: Reply) -> None:
        self.replies.append(reply)

    def reply_later(self) -> int:
        """The position, for ``say_at``, of a reply that work after the commit will make:
        after what the turn said so far, before what it says next."""
        position = len(self.replies)
        if self.held_from is None:
            self.held_from = position
        return position

    def say_at(self, position: int, reply: Reply) -> None:
        """A reply made after the commit (an export) goes where it was decided, before
        what the turn said after it (the interrupted question asked again)."""
        self.replies.insert(position, reply)

    def say_text(self, key: str, *, kind: ReplyKind = ReplyKind.TEXT, **values: Any) -> None:
        self.replies.append(Reply(kind=kind, text=self.t(key, **values)))

    def fail(self, key: str, **values: Any) -> FlowError:
        return FlowError(Reply(kind=ReplyKind.ERROR, text=self.t(key, **values)))

    # Recording ---------------------------------------------------------------------------
    @property
    def is_manager(self) -> bool:
        return self.org.manager_for(self.inbound) is not None

    @property
    def actor(self) -> str:
        return self.inbound.user_key

    @property
    def actor_name(self) -> str:
        return self.inbound.user_name or self.inbound.user_id

    async def record(self, incident_id: str, event: EventData) -> Event:
        """Append one event to the incident's timeline, as the person of this turn."""
        return await append_event(
            self.tx, incident_id, event, at=self.now, actor=self.actor, actor_name=self.actor_name
        )

    async def tell(self, incident: Incident, key: str, *, everyone: bool, **values: Any) -> None:
        """Tell the incident's lead (``everyone``: all its people) what this person just
        did. Collected now, sent after the commit; never to the person themself, nor to
        anyone who reads this very chat (a shared channel) and so sees the reply anyway.
        In the incident's language; someone Noodrem cannot reach yet is left out."""
        people = {p.user_key: p.name for p in await self.tx.get_participants(incident.id)}
        keys = [incident.lead, *(people if everyone else ())]
        here = self.inbound.address
        lang = incident.lang
        text = t(key, lang, name=self.actor_name, incident_id=incident.id, **values)
        for person in dict.fromkeys(keys):
            stored = await self.tx.get_address(person) if person != self.actor else None
            if stored is None:
                continue
            address = address_from_json(stored)
            if here is not None and (address.channel, address.conversation_id) == (
                here.channel,
                here.conversation_id,
            ):
                continue
            reply = Reply(kind=ReplyKind.TEXT, text=text, incident_id=incident.id)
            self.outbound.append(
                ForOther(
                    incident.id,
                    person,
                    people.get(person, ""),
                    direct=True,
                    message=Outbound(address, (reply,)),
                )
            )

    async def lock_incident(self, incident_id: str | None) -> Incident:
        """The open incident of this organisation, locked for writing, or a plain refusal."""
        incident = await self.tx.get_incident(incident_id, lock=True) if incident_id else None
        if incident is None or incident.org_id != self.org.id:
            raise self.fail("stale_button")
        if incident.status is not IncidentStatus.OPEN:
            raise FlowError(self._not_open(incident))
        return incident

    def _not_open(self, incident: Incident) -> Reply:
        """What a button on an old card of a closed or stopped incident says: that it is,
        and what can still be done: the evidence file, and for a manager reopening it."""
        status = self.t(f"incident_status_{incident.status.value}")
        lines = [self.t("incident_not_open", incident_id=incident.id, status=status)]
        buttons = [export_button(incident.id, self.lang)]
        if self.is_manager:
            lines.append(self.t("reopen_hint", incident_id=incident.id))
            buttons.append(Button(self.t("btn_reopen"), Reopen(incident.id)))
        return Reply(
            kind=ReplyKind.ERROR,
            text="\n".join(lines),
            buttons=tuple(buttons),
            incident_id=incident.id,
        )

    async def readable_incident(self, incident_id: str | None, *, lock: bool = False) -> Incident:
        """An incident of this organisation in any state (to look back on, export or
        reopen), for the people in it and the managers; otherwise a plain refusal."""
        incident = await self.tx.get_incident(incident_id, lock=lock) if incident_id else None
        if incident is None or incident.org_id != self.org.id:
            raise self.fail("unknown_incident", incident_id=incident_id or "?")
        people = await self.tx.get_participants(incident.id)
        if not self.is_manager and all(p.user_key != self.actor for p in people):
            raise self.fail("not_participant", incident_id=incident.id)
        return incident

    def playbook_of(self, incident: Incident) -> Playbook:
        """Every plan the incident has had, read as one: each of its steps and facts."""
        return self._combined(incident, running_only=False)

    def running_plan(self, incident: Incident) -> Playbook:
        """The plans still running (not the ones switched away from): the facts to ask."""
        return self._combined(incident, running_only=True)

    def _combined(self, incident: Incident, *, running_only: bool) -> Playbook:
        ids = [p.playbook_id for p in incident.plan_list() if p.running or not running_only]
        return combine_ids(ids, main=incident.playbook_id, playbooks=self.playbooks)

    async def ensure_participant(self, incident: Incident) -> None:
        """Join the incident if allowed, or raise why not.

        Allowed: people already in it, the organisation's managers, and anyone writing in
        the (shared) conversation the incident was opened in.
        """
        participants = await self.tx.get_participants(incident.id)
        if any(p.user_key == self.actor for p in participants):
            return
        in_origin = (
            incident.conversation.get("channel") == self.inbound.channel.value
            and incident.conversation.get("conversation_id") == self.inbound.conversation_id
        )
        is_manager = self.org.manager_for(self.inbound)
        if not (in_origin or is_manager):
            raise self.fail("not_participant", incident_id=incident.id)
        await self.add_participant(incident, role=Role.MANAGER if is_manager else Role.COLLEAGUE)

    async def add_participant(self, incident: Incident, *, role: Role) -> None:
        participant = Participant(
            incident_id=incident.id, user_key=self.actor, name=self.actor_name, joined_at=self.now
        )
        if await self.tx.add_participant(participant):
            await self.record(incident.id, ParticipantJoined(role=role, name=self.actor_name))
            await self.tell(incident, "tell_joined", everyone=False)
