"""The engine: one ``Inbound`` in, the replies out, every state change in the store.

One dispatch loop, one transaction per inbound message, one place errors are caught.
The engine knows no platform: adapters hand it an ``Inbound`` and render what it returns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import assert_never

from bot.delivery import Attempt, Purpose, Recipient, Via
from bot.errors import Refused
from bot.events import DeliveryAttempted, append_event
from bot.evidence.drawing import Drawer
from bot.flows import (
    export,
    facts,
    followups,
    handoff,
    incidents,
    manage,
    overview,
    recall,
    steps,
    texts,
)
from bot.flows.state import (
    TYPING,
    AwaitingAssignee,
    AwaitingCloseReason,
    AwaitingFact,
    AwaitingFollowUpAssignee,
    AwaitingReason,
    AwaitingRecord,
    AwaitingReturnedAmount,
    AwaitingSnooze,
    AwaitingStopReason,
    ConfirmingClose,
    ConfirmingStart,
    ConfirmingStop,
    ConversationState,
    Idle,
    state_from_json,
    state_to_json,
)
from bot.flows.turn import SYSTEM_ACTOR, FlowError, ForOther, Turn
from bot.i18n import t
from bot.intents import (
    CloseIncident,
    Command,
    ExportOf,
    Join,
    ReopenOf,
    detect_language,
    match_playbook,
    parse_command,
)
from bot.messages import (
    LANGS,
    Action,
    AssignFollowUp,
    AssignStep,
    Close,
    ConfirmStart,
    ConfirmStop,
    DeclineStart,
    FactOption,
    FillFacts,
    FollowUpDone,
    HandOff,
    HandOverLead,
    Inbound,
    KeepGoing,
    Lang,
    ListIncidents,
    Outdated,
    PickFor,
    PickIncident,
    Presence,
    RecallUpdate,
    RecordOption,
    Reopen,
    Reply,
    ReplyKind,
    Report,
    SameIncident,
    ShowPlans,
    ShowStatus,
    ShowTimeline,
    SkipFact,
    Snooze,
    SomethingElse,
    StepBlocked,
    StepDone,
    StepHelp,
    StepShow,
    StepSkip,
    StepText,
    TakeLead,
    Welcome,
    address_to_json,
)
from bot.organisation import Organisation, Organisations
from bot.playbook import Playbook
from bot.ports import (
    Clock,
    Conversation,
    Delivery,
    HandoffSender,
    Incident,
    Notifier,
    RecallStatus,
    ReplySink,
    Store,
    Transaction,
)
from bot.recognition import Band, Recognizer

log = logging.getLogger(__name__)

MAX_TEXT = 20_000
# What a Slack workspace id (T0123ABCD, E… for Enterprise Grid) or an Entra tenant id (a GUID)
# looks like: only such a value is written to the log, never whatever a request carried.
_PLATFORM_ID = re.compile(
    r"[TE][A-Z0-9]{2,20}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
)


class _AlreadyHandled(Refused):
    """Another copy of the event claimed it first: this turn's work is rolled back. Never
    leaves the engine."""


@dataclass(frozen=True)
class Engine:
    store: Store
    clock: Clock
    playbooks: Mapping[str, Playbook]
    organisations: Organisations
    wake: Callable[[datetime], None] = lambda when: None
    notifier: Notifier | None = None
    recognizer: Recognizer | None = None
    handoffs: HandoffSender | None = None
    drawer: Drawer | None = None

    async def handle(self, inbound: Inbound, *, sink: ReplySink | None = None) -> list[Reply]:
        """Handle one message or click. Never raises: a failure is one honest reply.

        With ``sink``, the replies the turn made are written through it in the turn's
        transaction and only the others are returned: those made after the commit (an
        export, a hand-off's outcome) with what the turn said after them, or an error reply.
        """
        org = self.organisations.for_tenant(inbound.channel, inbound.tenant_id)
        lang = _lang_hint(inbound, org)
        presence = isinstance(inbound.action, Presence)
        if org is None:
            return [] if presence else [self._refuse_unknown_tenant(inbound, lang)]
        try:
            return await self._handle(inbound, org, sink)
        except Exception:
            log.exception("could not handle a %s message", inbound.channel.value)
            return [Reply(kind=ReplyKind.ERROR, text=t("internal_error", lang))]

    @staticmethod
    def _refuse_unknown_tenant(inbound: Inbound, lang: Lang) -> Reply:
        setting = Organisation.platform_setting(inbound.channel, inbound.tenant_id)
        shown = inbound.tenant_id if _PLATFORM_ID.fullmatch(inbound.tenant_id) else "(malformed id)"
        log.warning(
            "%s %s belongs to no organisation: add it to %s of its organisation in the "
            "organisation config",
            inbound.channel.value,
            shown,
            setting,
        )
        text = t("unknown_org", lang, tenant_id=inbound.tenant_id, setting=setting)
        return Reply(kind=ReplyKind.ERROR, text=text)

    async def _handle(
        self, inbound: Inbound, org: Organisation, sink: ReplySink | None
    ) -> list[Reply]:
        now = self.clock.now()

        async def decide(tx: Transaction) -> Turn:
            """The turn itself: it reads, and writes only what it changes. It may run
            twice (``Store.atomically``), so it acts on nothing but ``tx``. A redelivered
            event is not looked for first: that read would cost every message a
            statement, and ``finish``'s claim finds it anyway and undoes the turn."""
            conversation = await tx.get_conversation(
                inbound.conversation_key, lock=True
            ) or Conversation(key=inbound.conversation_key, state={})
            state = state_from_json(conversation.state)
            turn = Turn(
                tx=tx,
                inbound=inbound,
                now=now,
                org=org,
                playbooks=self.playbooks,
                conversation=conversation,
                lang=state.lang or _lang_hint(inbound, org),
                state=state,
                handoffs=self.handoffs,
                drawer=self.drawer,
            )
            await self._remember_address(turn)
            try:
                await self._dispatch(turn)
            except FlowError as refusal:
                turn.say(refusal.reply)
            # A turn that only looks writes no state (a row never written reads as idle);
            # a row that did not read as it is stored is written again in today's shape.
            stored = conversation.state or state_to_json(ConversationState())
            if (after := state_to_json(turn.state)) != stored:
                turn.conversation.state = after
                await tx.save_conversation(turn.conversation)
            return turn

        async def finish(tx: Transaction, turn: Turn) -> tuple[Turn, list[Reply]]:
            """Last, so the write lock of a turn that changed nothing is held only for
            these: the claim of the event id (its unique key decides between a copy handled
            before, or at the same time, and this one), with the sink's own claim in the
            same statement, and the answer, which commit with the turn or not at all."""
            own = (inbound.channel.value, inbound.event_id) if inbound.event_id else None
            theirs = sink.claim if sink is not None else None
            keys = [key for key in (own, theirs) if key is not None]
            claimed = dict(zip(keys, await tx.claim_inbounds(keys, at=now), strict=True))
            if own is not None and not claimed[own]:
                raise _AlreadyHandled
            written = turn.replies[: turn.held_from] if sink is not None else []
            if sink is not None:
                await sink.write(tx, written, claimed=theirs is not None and claimed[theirs])
            return turn, written

        try:
            turn, written = await self.store.atomically(decide, finish)
        except _AlreadyHandled:
            return []  # a redelivery: a copy of this event was handled first
        if sink is not None:
            sink.committed()
        # Replies made after the commit (and those after them) are not in it: were the
        # process to die before the channel writes them, they are lost (the person asks
        # for the export again; a stored hand-off is still sent, by the scheduler).
        for work in turn.after_commit:
            await work(self.store, self.clock.now())
        for when in turn.wake_times:
            self.wake(when)
        await self._send_outbound(turn)
        done_ids = {id(reply) for reply in written}
        return [reply for reply in turn.replies if id(reply) not in done_ids]

    async def _send_outbound(self, turn: Turn) -> None:
        """Messages for other people go out only once what they announce is committed;
        then what happened to each is recorded on its incident's timeline."""
        if self.notifier is None or not turn.outbound:
            return
        tried: list[tuple[ForOther, Delivery]] = []
        for other in turn.outbound:
            try:
                outcome = await self.notifier.deliver(other.message)
            except Exception as exc:  # a Notifier should not raise; record it if one does
                log.exception("could not deliver a message to %s", other.message.address.channel)
                outcome = Delivery.failed(other.message.address.channel.value, type(exc).__name__)
            tried.append((other, outcome))
        try:
            async with self.store.transaction() as tx:
                for other, outcome in tried:
                    await tx.get_incident(other.incident_id, lock=True)
                    attempt = Attempt(
                        purpose=Purpose.CARD,
                        recipient=Recipient(other.recipient, other.recipient_name),
                        via=Via.DIRECT if other.direct else Via.INCIDENT_CHAT,
                        outcome=outcome,
                    )
                    await append_event(
                        tx,
                        other.incident_id,
                        DeliveryAttempted.of(attempt),
                        at=self.clock.now(),
                        actor=SYSTEM_ACTOR,
                        actor_name="Noodrem",
                    )
        except Exception:  # the turn itself is committed; the person's replies still go out
            log.exception("could not record the delivery of a message for someone else")

    async def _remember_address(self, turn: Turn) -> None:
        """Reminders need to find people later: privately where the channel says how,
        otherwise in the first chat they used (a channel, until they write privately)."""
        inbound = turn.inbound
        keys = [inbound.user_key]
        manager = turn.org.manager_for(inbound)
        if manager is not None:
            keys.append(turn.org.manager_key(manager))
        for key in keys:
            if inbound.personal_address is None and inbound.address is None:
                continue
            stored = await turn.tx.get_address(key)
            if inbound.personal_address is not None:
                address = address_to_json(inbound.personal_address)
            elif stored is None and inbound.address is not None:
                address = address_to_json(inbound.address)
            else:
                continue
            if address != stored:  # the same address again is no write
                await turn.tx.save_address(user_key=key, address=address, at=turn.now)

    async def _dispatch(self, turn: Turn) -> None:
        action = turn.inbound.action
        if action is not None:
            await self._on_action(turn, action)
        else:
            await self._on_text(turn, turn.inbound.text or "")

    async def _on_action(self, turn: Turn, action: Action) -> None:
        form = turn.inbound.form
        match action:
            case Outdated():
                raise turn.fail("stale_button")
            case Presence():
                pass  # the person is here (mentioned, say): their address is now known
            case Welcome():
                turn.say(
                    Reply(
                        kind=ReplyKind.TEXT,
                        text=turn.t("welcome"),
                        buttons=(incidents.show_plans_button(turn),),
                    )
                )
            case ConfirmStart(playbook_id=playbook_id):
                await incidents.confirm_start(turn, playbook_id)
            case DeclineStart():
                await incidents.decline_start(turn)
            case SameIncident(incident_id=incident_id, playbook_id=playbook_id):
                await incidents.same_incident(turn, incident_id, playbook_id)
            case SomethingElse():
                await incidents.something_else(turn)
            case ShowPlans():
                await incidents.show_menu(turn)
            case Report():
                await incidents.report(turn, self._best_fits(form.get("evidence_text", "")))
            case FillFacts(incident_id=incident_id):
                incident = await turn.lock_incident(incident_id)
                await turn.ensure_participant(incident)
                await facts.ask_next(turn, incident, refill=True)
            case FactOption(incident_id=incident_id, fact_id=fact_id, option=option):
                await facts.answer(turn, incident_id, fact_id, option=option)
            case SkipFact(incident_id=incident_id, fact_id=fact_id):
                await facts.skip(turn, incident_id, fact_id)
            case StepDone() | RecordOption():
                await steps.done(turn, action, form)
            case StepBlocked() | StepSkip():
                await steps.set_aside(turn, action, form.get("reason"))
            case HandOff():
                await handoff.hand_off(turn, action)
            case StepHelp():
                await steps.help_for(turn, action)
            case StepShow(incident_id=incident_id, step_id=step_id):
                await steps.show_step(turn, incident_id, step_id)
            case StepText():
                await texts.prepare(turn, action)
            case RecallUpdate():
                await recall.set_status(turn, action, form)
            case ShowStatus(incident_id=incident_id):
                incident = await turn.lock_incident(incident_id)
                await turn.ensure_participant(incident)
                await steps.show_checklist(turn, incident)
            case ListIncidents(closed=closed, page=page):
                listing = overview.Listing.CLOSED if closed else overview.Listing.OPEN
                await overview.list_incidents(turn, page=max(page, 0), listing=listing)
            case PickIncident(incident_id=incident_id, purpose=PickFor.EXPORT):
                await export.export_by_id(turn, incident_id)
            case PickIncident(incident_id=incident_id, purpose=PickFor.CLOSE):
                await manage.close(turn, incident_id, None)
            case PickIncident(incident_id=incident_id, purpose=purpose):
                incident = await turn.lock_incident(incident_id)
                command = Command.STOP if purpose is PickFor.STOP else Command.STATUS
                await self._run_command_for(turn, command, incident)
            case ConfirmStop(incident_id=incident_id):
                await incidents.confirm_stop(turn, incident_id, form.get("reason"))
            case AssignStep() | HandOverLead():
                target = action.step_id if isinstance(action, AssignStep) else "lead"
                if form.get("person", "").strip() or turn.inbound.mentions:
                    await manage.assign(turn, action.incident_id, target, form.get("person", ""))
                else:
                    await manage.ask_assignee(turn, action.incident_id, target)
            case FollowUpDone():
                await followups.done(turn, action)
            case AssignFollowUp():
                if form.get("person", "").strip() or turn.inbound.mentions:
                    await followups.assign(
                        turn, action.incident_id, action.follow_up_id, form.get("person", "")
                    )
                else:
                    await followups.ask_assignee(turn, action)
            case TakeLead(incident_id=incident_id):
                await manage.take_lead(turn, incident_id)
            case Snooze():
                await manage.snooze(turn, action, form)
            case Close(incident_id=incident_id, confirmed=confirmed):
                await manage.close(turn, incident_id, form.get("reason"), confirmed=confirmed)
            case Reopen(incident_id=incident_id):
                await manage.reopen(turn, incident_id)
            case ShowTimeline(incident_id=incident_id):
                await overview.show_timeline(turn, incident_id)
            case KeepGoing(incident_id=incident_id):
                await incidents.keep_going(turn, incident_id)
            case _:
                assert_never(action)

    async def _on_text(self, turn: Turn, raw: str) -> None:
        text = raw.strip()
        if not text:
            turn.say_text("empty_message", kind=ReplyKind.ERROR)
            return
        if len(raw) > MAX_TEXT:
            turn.say_text(
                "too_long", kind=ReplyKind.ERROR, length=f"{len(raw):,}", limit=f"{MAX_TEXT:,}"
            )
            return
        command = parse_command(text)
        match command:
            case Command.LIST | Command.LIST_CLOSED:
                closed = command is Command.LIST_CLOSED
                await overview.list_incidents(
                    turn, listing=overview.Listing.CLOSED if closed else overview.Listing.OPEN
                )
                return
            case Command.HELP | Command.STATUS | Command.STOP | Command.EXPORT:
                interrupted = turn.pending
                await self._run_command(turn, command)
                await facts.ask_again_after(turn, interrupted)
                return
            case Command.LANGUAGE_NL | Command.LANGUAGE_EN:
                turn.lang = "nl" if command is Command.LANGUAGE_NL else "en"
                turn.state = replace(turn.state, lang=turn.lang)
                turn.say_text("language_set")
                return
            case Join(incident_id):
                await incidents.join(turn, incident_id)
                return
            case ExportOf(incident_id):
                await export.export_by_id(turn, incident_id)
                return
            case ReopenOf(incident_id):
                await manage.reopen(turn, incident_id)
                return
            case CloseIncident() if not isinstance(turn.pending, TYPING):
                incident = await incidents.choose(turn, PickFor.CLOSE)
                if incident is not None:
                    await manage.close(turn, incident.id, None)
                return
        # What is left (yes, no, skip; "close" while a reason is being typed) may answer
        # the open question.
        answer = command if isinstance(command, Command) else None
        triggers = {
            p.id: {str(lang): phrases for lang, phrases in p.triggers.items()}
            for p in self.playbooks.values()
        }
        found = match_playbook(text, triggers)
        another = found is not None and await self._another_situation(turn, found.playbook_id)
        if not another and await self._answer_pending(turn, text, answer):
            return
        if found is not None:
            if turn.state.lang is None:
                turn.lang = found.lang
            await incidents.offer_start(turn, found.playbook_id)
            return
        if await self._recognise(turn, text):
            return
        turn.say(
            Reply(
                kind=ReplyKind.TEXT,
                text=turn.t("not_understood"),
                buttons=(incidents.show_plans_button(turn),),
            )
        )

    async def _another_situation(self, turn: Turn, playbook_id: str) -> bool:
        """Words that start a plan, typed while a question of an incident is open: a new
        situation ("we did pay after all"), not the answer, unless that plan already runs
        in the incident."""
        if not isinstance(turn.pending, AwaitingFact):
            return False
        incident = await turn.tx.get_incident(turn.pending.incident_id)
        if incident is None:
            return False
        return all(p.playbook_id != playbook_id for p in incident.plan_list() if p.running)

    def _best_fits(self, text: str, most: int = 3) -> list[str]:
        """The plans a text is most likely about, best first; none without a classifier."""
        if self.recognizer is None or not text.strip():
            return []
        return [pid for pid in self.recognizer.ranked(text) if pid in self.playbooks][:most]

    async def _recognise(self, turn: Turn, text: str) -> bool:
        """Wordings no trigger knows: the classifier proposes one plan or a short list."""
        if self.recognizer is None:
            return False
        found = self.recognizer.recognise(text)
        ids = [c.playbook_id for c in found.candidates if c.playbook_id in self.playbooks]
        if found.band is Band.NONE or not ids:
            return False
        if turn.state.lang is None and found.lang is not None:
            turn.lang = found.lang
        if found.band is Band.CONFIDENT:
            await incidents.offer_start(turn, ids[0])
        else:
            await incidents.offer_choice(turn, ids)
        return True

    async def _answer_pending(self, turn: Turn, text: str, command: Command | None) -> bool:
        """Typed text as the answer to the open question, if there is one."""
        yes_or_no = command in (Command.YES, Command.NO)
        match turn.pending:
            case ConfirmingStart(playbook_id=None) if command is Command.YES:
                return False  # a chooser: "yes" picks none of its plans
            case ConfirmingStart(playbook_id=playbook_id, same_first=str(first)) if (
                command is Command.YES
            ):
                # "Is this about NR-…?" yes: about the first open incident it named
                await incidents.same_incident(turn, first, playbook_id)
            case ConfirmingStart(playbook_id=playbook_id, same_first=first) if yes_or_no:
                if command is Command.YES or first is not None:  # no: a new one
                    await incidents.start(turn, playbook_id)
                else:
                    await incidents.decline_start(turn)
            case AwaitingFact(incident_id=incident_id, fact_id=fact_id) if command is Command.SKIP:
                await facts.skip(turn, incident_id, fact_id)
            case AwaitingFact(incident_id=incident_id, fact_id=fact_id):
                await facts.answer(turn, incident_id, fact_id, text=text)
            case AwaitingRecord(incident_id=incident_id, step_id=step_id, record_id=record_id):
                value = "" if text in ("-", "—") or command is Command.SKIP else text
                await steps.done(turn, StepDone(incident_id, step_id), {record_id: value})
            case AwaitingReturnedAmount(incident_id=incident_id, step_id=step_id):
                update = RecallUpdate(incident_id, step_id, RecallStatus.PARTLY_RETURNED.value)
                await recall.set_status(turn, update, {recall.RETURNED_FIELD: text})
            case AwaitingReason(incident_id=incident_id, step_id=step_id, skip=skip):
                set_aside = StepSkip if skip else StepBlocked
                await steps.set_aside(turn, set_aside(incident_id, step_id), text)
            case ConfirmingStop(incident_id=incident_id) if yes_or_no:
                if command is Command.YES:
                    await incidents.confirm_stop(turn, incident_id, None)
                else:
                    await incidents.keep_going(turn, incident_id)
            case AwaitingStopReason(incident_id=incident_id):
                await incidents.confirm_stop(turn, incident_id, text)
            case AwaitingAssignee(incident_id=incident_id, step_id=step_id):
                target = "lead" if step_id is None else step_id
                await manage.assign(turn, incident_id, target, text)
            case AwaitingFollowUpAssignee(incident_id=incident_id, follow_up_id=follow_up_id):
                await followups.assign(turn, incident_id, follow_up_id, text)
            case AwaitingSnooze(
                incident_id=incident_id, step_id=step_id, asks=asks, minutes=minutes
            ):
                snooze = Snooze(incident_id, step_id, minutes)
                await manage.snooze(turn, snooze, {asks.value: text})
            case ConfirmingClose(incident_id=incident_id) if yes_or_no:
                if command is Command.YES:
                    await manage.close(turn, incident_id, None, confirmed=True)
                else:
                    await incidents.keep_going(turn, incident_id)
            case AwaitingCloseReason(incident_id=incident_id):
                await manage.close(turn, incident_id, text, confirmed=True)
            case _:
                return False
        return True

    async def _run_command(self, turn: Turn, command: Command) -> None:
        if command is Command.HELP:
            await self._help(turn)
            return
        purpose = PickFor(command.value)  # status, stop or export
        incident = await incidents.choose(turn, purpose, closed_too=command is Command.EXPORT)
        if incident is not None and command is Command.EXPORT:
            await export.export_by_id(turn, incident.id)  # open or closed alike
        elif incident is not None:
            await self._run_command_for(turn, command, incident)

    async def _help(self, turn: Turn) -> None:
        """What Noodrem can do, and the menu of plans: shown at once when no question is
        open, else behind a button, so a pending question is not lost to the menu."""
        if isinstance(turn.pending, Idle | ConfirmingStart):
            turn.say_text("help")
            await incidents.show_menu(turn)
            return
        turn.say(
            Reply(
                kind=ReplyKind.TEXT,
                text=turn.t("help"),
                buttons=(incidents.show_plans_button(turn),),
            )
        )

    async def _run_command_for(self, turn: Turn, command: Command, incident: Incident) -> None:
        await turn.ensure_participant(incident)
        if command is Command.STOP:
            await incidents.ask_stop(turn, incident)
        elif command is Command.EXPORT:
            await export.export(turn, incident)
        else:
            await steps.show_checklist(turn, incident)


def _lang_hint(inbound: Inbound, org: Organisation | None) -> Lang:
    """Language before we know the person's choice: platform locale, the text, the org."""
    locale = (inbound.locale or "").lower()[:2]
    for lang in LANGS:
        if locale == lang:
            return lang
    detected = detect_language(inbound.text or "") if inbound.text else None
    if detected is not None:
        return detected
    return org.language if org is not None else "nl"
