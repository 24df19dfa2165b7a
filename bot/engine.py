"""The engine: one ``Inbound`` in, the replies out, every state change in the store.

One dispatch loop, one transaction per inbound message, one place errors are caught.
The engine knows no platform: adapters hand it an ``Inbound`` and render what it returns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.delivery import Attempt, DeliveryEvent, Purpose, Recipient, Via
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
from bot.flows.turn import SYSTEM_ACTOR, FlowError, ForOther, Mode, Turn
from bot.i18n import t
from bot.intents import Command, detect_language, match_command, match_playbook
from bot.messages import (
    LANGS,
    Action,
    ActionName,
    Inbound,
    Lang,
    Reply,
    ReplyKind,
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
    Store,
)
from bot.recognition import Band, Recognizer

log = logging.getLogger(__name__)

MAX_TEXT = 20_000
_EXPORT = re.compile(r"^(?:export|exporteer|dossier)\s+(\S+(?:\s\S+)?)$", re.I)
_REOPEN = re.compile(r"^(?:reopen|heropen(?:en)?)\s+(\S+(?:\s\S+)?)$", re.I)
_CLOSE = re.compile(r"^(?:close|sluit|sluiten)(?:\s+(?:het\s+)?incident)?$", re.I)
_TYPING_MODES = frozenset(
    {
        Mode.RECORD,
        Mode.REASON,
        Mode.STOP_REASON,
        Mode.SNOOZE,
        Mode.CLOSE_REASON,
        Mode.ASSIGN,
        Mode.ASSIGN_FOLLOW_UP,
        Mode.RETURNED_AMOUNT,
    }
)
# What a Slack workspace id (T0123ABCD, E… for Enterprise Grid) or an Entra tenant id (a GUID)
# looks like: only such a value is written to the log, never whatever a request carried.
_PLATFORM_ID = re.compile(
    r"[TE][A-Z0-9]{2,20}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
)
_JOIN = re.compile(r"^(?:join|doe\s+mee(?:\s+met)?|meedoen(?:\s+met)?)\s+(\S+(?:\s\S+)?)$", re.I)


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

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message or click. Never raises: a failure is one honest reply."""
        org = self.organisations.for_tenant(inbound.channel, inbound.tenant_id)
        lang = _lang_hint(inbound, org)
        presence = inbound.action is not None and inbound.action.name is ActionName.PRESENCE
        if org is None:
            return [] if presence else [self._refuse_unknown_tenant(inbound, lang)]
        try:
            return await self._handle(inbound, org)
        except Exception:
            log.exception("could not handle a %s message", inbound.channel.value)
            return [Reply(kind=ReplyKind.ERROR, text=t("internal_error", lang))]

    @staticmethod
    def _refuse_unknown_tenant(inbound: Inbound, lang: Lang) -> Reply:
        setting = Organisation.platform_setting(inbound.channel)
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

    async def _handle(self, inbound: Inbound, org: Organisation) -> list[Reply]:
        now = self.clock.now()
        async with self.store.transaction() as tx:
            if inbound.event_id and not await tx.claim_inbound(
                channel=inbound.channel.value, event_id=inbound.event_id, at=now
            ):
                return []  # a redelivery: it was handled the first time
            conversation = await tx.get_conversation(
                inbound.conversation_key, lock=True
            ) or Conversation(key=inbound.conversation_key, state={"mode": Mode.IDLE.value})
            turn = Turn(
                tx=tx,
                inbound=inbound,
                now=now,
                org=org,
                playbooks=self.playbooks,
                conversation=conversation,
                lang=conversation.state.get("lang") or _lang_hint(inbound, org),
                handoffs=self.handoffs,
            )
            await self._remember_address(turn)
            try:
                await self._dispatch(turn)
            except FlowError as refusal:
                turn.say(refusal.reply)
            await tx.save_conversation(turn.conversation)
        for work in turn.after_commit:
            await work(self.store, self.clock.now())
        for when in turn.wake_times:
            self.wake(when)
        await self._send_outbound(turn)
        return turn.replies

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
                    await tx.append_event(
                        incident_id=other.incident_id,
                        at=self.clock.now(),
                        actor=SYSTEM_ACTOR,
                        actor_name="Noodrem",
                        kind=DeliveryEvent.ATTEMPTED.value,
                        data=attempt.data(),
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
            if inbound.personal_address is not None:
                address = inbound.personal_address
            elif inbound.address is not None and await turn.tx.get_address(key) is None:
                address = inbound.address
            else:
                continue
            await turn.tx.save_address(user_key=key, address=address_to_json(address), at=turn.now)

    async def _dispatch(self, turn: Turn) -> None:
        action = turn.inbound.action
        if action is not None:
            await self._on_action(turn, action)
        else:
            await self._on_text(turn, turn.inbound.text or "")

    async def _on_action(self, turn: Turn, action: Action) -> None:
        form = turn.inbound.form
        match action.name:
            case ActionName.OUTDATED:
                raise turn.fail("stale_button")
            case ActionName.PRESENCE:
                pass  # the person is here (mentioned, say): their address is now known
            case ActionName.WELCOME:
                turn.say(
                    Reply(
                        kind=ReplyKind.TEXT,
                        text=turn.t("welcome"),
                        buttons=(incidents.show_plans_button(turn),),
                    )
                )
            case ActionName.CONFIRM_START:
                await incidents.confirm_start(turn, action.target)
            case ActionName.DECLINE_START:
                await incidents.decline_start(turn)
            case ActionName.SAME_INCIDENT:
                await incidents.same_incident(turn, action.incident_id, action.target)
            case ActionName.SOMETHING_ELSE:
                await incidents.something_else(turn)
            case ActionName.SHOW_PLANS:
                await incidents.show_menu(turn)
            case ActionName.REPORT:
                await incidents.report(turn, self._best_fits(form.get("evidence_text", "")))
            case ActionName.ANSWER_FACT if action.target is None:
                incident = await turn.lock_incident(action.incident_id)
                await turn.ensure_participant(incident)
                await facts.ask_next(turn, incident, refill=True)
            case ActionName.ANSWER_FACT:
                await facts.answer(turn, action.incident_id, action.target, option=action.value)
            case ActionName.SKIP_FACT:
                await facts.skip(turn, action.incident_id, action.target)
            case ActionName.STEP_DONE:
                await steps.done(turn, action, form)
            case ActionName.STEP_BLOCKED | ActionName.STEP_SKIP:
                await steps.set_aside(turn, action, form.get("reason"))
            case ActionName.HANDOFF:
                await handoff.hand_off(turn, action)
            case ActionName.STEP_HELP:
                await steps.help_for(turn, action)
            case ActionName.STEP_SHOW:
                await steps.show_step(turn, action.incident_id, action.target)
            case ActionName.STEP_TEXT:
                await texts.prepare(turn, action)
            case ActionName.RECALL_STATUS:
                await recall.set_status(turn, action, form)
            case ActionName.STATUS:
                incident = await turn.lock_incident(action.incident_id)
                await turn.ensure_participant(incident)
                await steps.show_checklist(turn, incident)
            case ActionName.LIST:
                closed = action.target == overview.Listing.CLOSED.value
                listing = overview.Listing.CLOSED if closed else overview.Listing.OPEN
                await overview.list_incidents(turn, page=_page(action.value), listing=listing)
            case ActionName.PICK_INCIDENT if action.target == Command.EXPORT.value:
                await export.export_by_id(turn, action.incident_id or "")
            case ActionName.PICK_INCIDENT if action.target == "close":
                await manage.close(turn, action.incident_id, None)
            case ActionName.PICK_INCIDENT:
                incident = await turn.lock_incident(action.incident_id)
                commands = {c.value: c for c in (Command.STOP, Command.EXPORT)}
                command = commands.get(action.target or "", Command.STATUS)
                await self._run_command_for(turn, command, incident)
            case ActionName.CONFIRM_STOP:
                await incidents.confirm_stop(turn, action.incident_id, form.get("reason"))
            case ActionName.STEP_ASSIGN | ActionName.HAND_OVER_LEAD:
                target = "lead" if action.name is ActionName.HAND_OVER_LEAD else action.target
                if form.get("person", "").strip() or turn.inbound.mentions:
                    await manage.assign(turn, action.incident_id, target, form.get("person", ""))
                else:
                    await manage.ask_assignee(turn, action.incident_id, target)
            case ActionName.FOLLOW_UP_DONE:
                await followups.done(turn, action)
            case ActionName.FOLLOW_UP_ASSIGN:
                if form.get("person", "").strip() or turn.inbound.mentions:
                    await followups.assign(
                        turn, action.incident_id, action.target, form.get("person", "")
                    )
                else:
                    await followups.ask_assignee(turn, action)
            case ActionName.TAKE_LEAD:
                await manage.take_lead(turn, action.incident_id)
            case ActionName.SNOOZE:
                await manage.snooze(turn, action, form)
            case ActionName.CLOSE:
                confirmed = action.target == manage.CONFIRMED
                await manage.close(
                    turn, action.incident_id, form.get("reason"), confirmed=confirmed
                )
            case ActionName.REOPEN:
                await manage.reopen(turn, action.incident_id)
            case ActionName.TIMELINE:
                await overview.show_timeline(turn, action.incident_id)
            case ActionName.KEEP_GOING:
                await incidents.keep_going(turn, action.incident_id)

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
        command = match_command(text)
        if command in (Command.LIST, Command.LIST_CLOSED):
            closed = command is Command.LIST_CLOSED
            await overview.list_incidents(
                turn, listing=overview.Listing.CLOSED if closed else overview.Listing.OPEN
            )
            return
        if command in (Command.HELP, Command.STATUS, Command.STOP, Command.EXPORT):
            interrupted = dict(turn.conversation.state)
            await self._run_command(turn, command)
            await facts.ask_again_after(turn, interrupted)
            return
        if command in (Command.LANGUAGE_NL, Command.LANGUAGE_EN):
            turn.lang = "nl" if command is Command.LANGUAGE_NL else "en"
            turn.conversation.state["lang"] = turn.lang
            turn.say_text("language_set")
            return
        joining = _JOIN.match(text)
        if joining:
            await incidents.join(turn, incidents.normalise_incident_id(joining.group(1)))
            return
        exporting = _EXPORT.match(text)
        if exporting:
            await export.export_by_id(turn, incidents.normalise_incident_id(exporting.group(1)))
            return
        reopening = _REOPEN.match(text)
        if reopening:
            await manage.reopen(turn, incidents.normalise_incident_id(reopening.group(1)))
            return
        if _CLOSE.match(text) and turn.mode not in _TYPING_MODES:
            incident = await incidents.choose(turn, "close")
            if incident is not None:
                await manage.close(turn, incident.id, None)
            return
        triggers = {
            p.id: {str(lang): phrases for lang, phrases in p.triggers.items()}
            for p in self.playbooks.values()
        }
        found = match_playbook(text, triggers)
        another = found is not None and await self._another_situation(turn, found.playbook_id)
        if not another and await self._answer_pending(turn, text, command):
            return
        if found is not None:
            if turn.conversation.state.get("lang") is None:
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
        if turn.mode is not Mode.FACT:
            return False
        incident = await turn.tx.get_incident(str(turn.detail("incident_id")))
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
        if turn.conversation.state.get("lang") is None and found.lang is not None:
            turn.lang = found.lang
        if found.band is Band.CONFIDENT:
            await incidents.offer_start(turn, ids[0])
        else:
            await incidents.offer_choice(turn, ids)
        return True

    async def _answer_pending(self, turn: Turn, text: str, command: Command | None) -> bool:
        """Typed text as the answer to the open question, if there is one."""
        incident_id = turn.detail("incident_id")
        match turn.mode:
            case Mode.CONFIRM_START if command is Command.YES and not turn.detail("playbook_id"):
                return False  # a chooser: "yes" picks none of its plans
            case Mode.CONFIRM_START if turn.detail("same_first") and command is Command.YES:
                # "Is this about NR-…?" yes: about the first open incident it named
                playbook_id = turn.detail("playbook_id")
                await incidents.same_incident(turn, turn.detail("same_first"), playbook_id)
            case Mode.CONFIRM_START if command in (Command.YES, Command.NO):
                if command is Command.YES or turn.detail("same_first"):  # no: a new one
                    await incidents.start(turn, turn.detail("playbook_id"))
                else:
                    await incidents.decline_start(turn)
            case Mode.FACT if command is Command.SKIP:
                await facts.skip(turn, incident_id, turn.detail("fact_id"))
            case Mode.FACT:
                await facts.answer(turn, incident_id, turn.detail("fact_id"), text=text)
            case Mode.RECORD:
                value = "" if text in ("-", "—") or command is Command.SKIP else text
                action = Action(ActionName.STEP_DONE, incident_id, turn.detail("step_id"))
                await steps.done(turn, action, {turn.detail("field"): value})
            case Mode.RETURNED_AMOUNT:
                action = Action(
                    ActionName.RECALL_STATUS,
                    incident_id,
                    turn.detail("step_id"),
                    RecallStatus.PARTLY_RETURNED.value,
                )
                await recall.set_status(turn, action, {recall.RETURNED_FIELD: text})
            case Mode.REASON:
                action = Action(
                    ActionName(turn.detail("action")), incident_id, turn.detail("step_id")
                )
                await steps.set_aside(turn, action, text)
            case Mode.CONFIRM_STOP if command in (Command.YES, Command.NO):
                if command is Command.YES:
                    await incidents.confirm_stop(turn, incident_id, None)
                else:
                    await incidents.keep_going(turn, incident_id)
            case Mode.STOP_REASON:
                await incidents.confirm_stop(turn, incident_id, text)
            case Mode.ASSIGN:
                await manage.assign(turn, incident_id, turn.detail("target"), text)
            case Mode.ASSIGN_FOLLOW_UP:
                await followups.assign(turn, incident_id, turn.detail("target"), text)
            case Mode.SNOOZE:
                form = {turn.detail("field"): text}
                if turn.detail("until"):
                    form["until"] = turn.detail("until")
                action = Action(
                    ActionName.SNOOZE, incident_id, turn.detail("step_id"), turn.detail("choice")
                )
                await manage.snooze(turn, action, form)
            case Mode.CONFIRM_CLOSE if command in (Command.YES, Command.NO):
                if command is Command.YES:
                    await manage.close(turn, incident_id, None, confirmed=True)
                else:
                    await incidents.keep_going(turn, incident_id)
            case Mode.CLOSE_REASON:
                await manage.close(turn, incident_id, text, confirmed=True)
            case _:
                return False
        return True

    async def _run_command(self, turn: Turn, command: Command) -> None:
        if command is Command.HELP:
            await self._help(turn)
            return
        incident = await incidents.choose(turn, command.value, closed_too=command is Command.EXPORT)
        if incident is not None and command is Command.EXPORT:
            await export.export_by_id(turn, incident.id)  # open or closed alike
        elif incident is not None:
            await self._run_command_for(turn, command, incident)

    async def _help(self, turn: Turn) -> None:
        """What Noodrem can do, and the menu of plans: shown at once when no question is
        open, else behind a button, so a pending question is not lost to the menu."""
        if turn.mode in (Mode.IDLE, Mode.CONFIRM_START):
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


def _page(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


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
