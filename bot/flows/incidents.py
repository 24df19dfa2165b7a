"""Opening, joining, choosing and ending incidents."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot import reminders
from bot.cards import contact_lines, plans_title
from bot.events import (
    EvidenceAdded,
    IncidentOpened,
    IncidentStopped,
    PlannedStep,
    Role,
    StepsPlanned,
)
from bot.flows import facts, plans, steps
from bot.flows.state import AwaitingStopReason, ConfirmingStart, ConfirmingStop, Idle
from bot.flows.turn import Turn
from bot.messages import (
    Address,
    Button,
    ButtonStyle,
    ConfirmStart,
    ConfirmStop,
    DeclineStart,
    InputRequest,
    KeepGoing,
    PickFor,
    PickIncident,
    Reply,
    ReplyKind,
    SameIncident,
    ShowPlans,
    SomethingElse,
    address_to_json,
)
from bot.playbook import OrgContactKind, Owner
from bot.playbook.models import MoveKind
from bot.ports import MANAGERS, Incident, IncidentStatus, Step, StepStatus
from bot.timefmt import clock_time

_ID_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone
# What a channel may hand over as first evidence, e.g. Slack's "Report as fraud" shortcut on
# the suspicious message: its text, author, time and permalink.
EVIDENCE_KEYS = frozenset(
    {"evidence_text", "evidence_author", "evidence_time", "evidence_permalink"}
)
MAX_EVIDENCE = 4_000
MAX_SAME = 3  # open incidents offered as "is it about this one?"


def _evidence(turn: Turn) -> dict[str, str | int]:
    """What a channel handed over as first evidence, each value at most ``MAX_EVIDENCE``
    characters; a longer pasted text keeps its original length in ``evidence_text_chars``,
    so the chat and the file can say it was cut."""
    form = turn.inbound.form
    evidence: dict[str, str | int] = {
        key: value[:MAX_EVIDENCE] for key, value in form.items() if key in EVIDENCE_KEYS
    }
    text = form.get("evidence_text") or ""
    if len(text) > MAX_EVIDENCE:
        evidence["evidence_text_chars"] = len(text)
    return evidence


def new_incident_id() -> str:
    return "NR-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


def _something_else(turn: Turn) -> Button:
    return Button(turn.t("something_else"), SomethingElse())


def show_plans_button(turn: Turn) -> Button:
    """One button that opens the menu of every plan: offered where nothing was recognised,
    so nobody has to guess the words that start a plan."""
    return Button(turn.t("show_plans"), ShowPlans())


def menu(turn: Turn, first: Sequence[str] = ()) -> list[str]:
    """Every plan, in the playbooks' menu order; ``first`` (best fits) ahead of the rest."""
    rest = sorted(
        (pid for pid in turn.playbooks if pid not in first),
        key=lambda pid: (turn.playbooks[pid].menu_position, pid),
    )
    return [*(pid for pid in first if pid in turn.playbooks), *rest]


async def offer_start(turn: Turn, playbook_id: str) -> None:
    playbook = turn.playbooks[playbook_id]
    turn.expect(ConfirmingStart(playbook_id, trigger=turn.inbound.text, evidence=_evidence(turn)))
    if await _ask_same_or_new(turn, playbook_id):
        return
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            text=turn.t("confirm_start", title=playbook.title.get(turn.lang)),
            buttons=(
                Button(
                    turn.t("yes_start"),
                    ConfirmStart(playbook_id),
                    ButtonStyle.PRIMARY,
                ),
                Button(turn.t("no_start"), DeclineStart()),
                _something_else(turn),
            ),
        )
    )


async def offer_choice(
    turn: Turn,
    playbook_ids: Sequence[str],
    *,
    text_key: str = "choose_plan",
    trigger: str | None = None,
    evidence: Mapping[str, str | int] | None = None,
) -> None:
    """Not sure which plan fits: the plans that fit best as buttons, and what to do now.

    ``trigger`` and ``evidence`` carry over what started the question when this menu follows
    another one ("something else"), so the incident still opens with them."""
    choices = list(playbook_ids)
    turn.expect(
        ConfirmingStart(
            None,
            choices=tuple(choices),
            trigger=trigger if trigger is not None else turn.inbound.text,
            evidence=dict(evidence) if evidence is not None else _evidence(turn),
        )
    )
    buttons = [
        Button(turn.playbooks[pid].title.get(turn.lang), ConfirmStart(pid)) for pid in choices
    ]
    if text_key == "choose_plan":
        buttons.append(_something_else(turn))
    turn.say(Reply(kind=ReplyKind.QUESTION, text=turn.t(text_key), buttons=tuple(buttons)))


async def show_menu(turn: Turn) -> None:
    """ "What happened?": every plan to choose from, with the way out for anything else."""
    await offer_choice(turn, menu(turn))


async def something_else(turn: Turn) -> None:
    """None of the offered plans: the advice that holds whatever happened, who to talk to,
    and every plan, in case one of them fits after all. Nothing is opened."""
    offered = turn.pending
    carried = offered.trigger if isinstance(offered, ConfirmingStart) else None
    evidence = offered.evidence if isinstance(offered, ConfirmingStart) else None
    names = ", ".join(m.name for m in turn.org.managers)
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            text=turn.t(
                "first_advice",
                bank=contact_lines(
                    [OrgContactKind.BANK], playbook=None, org=turn.org, lang=turn.lang
                ),
                it_provider=contact_lines(
                    [OrgContactKind.IT_PROVIDER], playbook=None, org=turn.org, lang=turn.lang
                ),
                people=turn.t("first_advice_people", names=names) if names else "",
            ),
        )
    )
    await offer_choice(
        turn, menu(turn), text_key="pick_plan", trigger=carried, evidence=evidence or {}
    )


async def report(turn: Turn, ranked: Sequence[str]) -> None:
    """A message reported as suspicious (Slack's "Report as fraud"): whatever its words, the
    person picks what happened — the plans that fit it best first. The message itself is kept
    as the incident's first evidence once one opens."""
    await offer_choice(turn, menu(turn, ranked), trigger="")


async def confirm_start(turn: Turn, playbook_id: str | None) -> None:
    """Start only what is still waiting for this confirmation: a second click on the same
    "yes" (or a click on an old one) must not open a second incident."""
    offered = turn.pending
    if (
        isinstance(offered, ConfirmingStart)
        and playbook_id is not None
        and playbook_id in (offered.playbook_id, *offered.choices)
    ):
        await start(turn, playbook_id)
        return
    started = [
        i
        for i in await turn.tx.open_incidents_for(org_id=turn.org.id, user_key=turn.actor)
        if i.playbook_id == playbook_id and i.reported_by == turn.actor
    ]
    if started:
        raise turn.fail("already_started", incident_id=started[0].id)
    raise turn.fail("stale_button")


async def decline_start(turn: Turn) -> None:
    turn.expect(Idle())
    turn.say_text("start_declined")


async def _ask_same_or_new(turn: Turn, playbook_id: str) -> bool:
    """Someone with an open incident describes a situation: is it about that incident (its
    plan joins it) or a new one? Asked once per offer; False when there is nothing to ask."""
    offered = turn.pending
    if not isinstance(offered, ConfirmingStart) or offered.same_first is not None:
        return False
    mine = await turn.tx.open_incidents_for(org_id=turn.org.id, user_key=turn.actor)
    if not mine:
        return False
    turn.state = replace(
        turn.state, pending=replace(offered, playbook_id=playbook_id, same_first=mine[0].id)
    )
    title = turn.playbooks[playbook_id].title.get(turn.lang)
    listed = "\n".join(
        turn.t(
            "incident_label",
            incident_id=i.id,
            title=plans_title(i, turn.playbooks, turn.lang),
            time=clock_time(i.reported_at, tz=turn.org.tz, now=turn.now, lang=turn.lang),
        )
        for i in mine[:MAX_SAME]
    )
    buttons = [
        Button(
            turn.t("same_incident", incident_id=i.id),
            SameIncident(i.id, playbook_id),
            ButtonStyle.PRIMARY if n == 0 else ButtonStyle.DEFAULT,
        )
        for n, i in enumerate(mine[:MAX_SAME])
    ]
    buttons.append(Button(turn.t("new_incident"), ConfirmStart(playbook_id)))
    buttons.append(Button(turn.t("no_start"), DeclineStart()))
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            text=turn.t("same_or_new", title=title, incidents=listed, first=mine[0].id),
            buttons=tuple(buttons),
        )
    )
    return True


async def same_incident(turn: Turn, incident_id: str | None, playbook_id: str | None) -> None:
    """The situation just described is about this open incident: its plan joins it, as the
    move a running plan declares to it (a switch, with what it carries) or else added."""
    offered = turn.pending
    if (
        not isinstance(offered, ConfirmingStart)
        or offered.playbook_id != playbook_id
        or playbook_id is None
        or playbook_id not in turn.playbooks
    ):
        raise turn.fail("stale_button")
    incident = await turn.lock_incident(incident_id)
    await turn.ensure_participant(incident)
    described = offered.trigger or ""
    turn.expect(Idle())
    if any(p.playbook_id == playbook_id for p in incident.plan_list() if p.running):
        turn.say_text("plan_already_in", incident_id=incident.id)
        await steps.show_checklist(turn, incident)
        return
    move = plans.move_to(turn, incident, playbook_id)
    source = next(
        (
            p.playbook_id
            for p in incident.plan_list()
            if move in turn.playbooks[p.playbook_id].moves
        ),
        incident.playbook_id,
    )
    await plans.bring_in(
        turn,
        incident,
        playbook_id,
        kind=move.kind if move is not None else MoveKind.ADD,
        source=source,
        because=turn.t("because_described", name=turn.actor_name, text=described)
        if move is None
        else move.because.get(incident.lang),
        carry=move.carry if move is not None else (),
    )
    await facts.resume(turn, incident)


async def start(turn: Turn, playbook_id: str | None) -> None:
    """Open the incident and start the clock: deadlines count from this moment."""
    if playbook_id is None or playbook_id not in turn.playbooks:
        raise turn.fail("stale_button")
    if await _ask_same_or_new(turn, playbook_id):
        return
    offered = turn.pending if isinstance(turn.pending, ConfirmingStart) else ConfirmingStart()
    playbook = turn.playbooks[playbook_id]
    inbound = turn.inbound
    origin = inbound.address or Address(
        channel=inbound.channel,
        tenant_id=inbound.tenant_id,
        conversation_id=inbound.conversation_id,
        user_id=inbound.user_id,
    )
    incident = Incident(
        id=new_incident_id(),
        tenant_id=inbound.tenant_id,
        org_id=turn.org.id,
        playbook_id=playbook.id,
        lang=turn.lang,
        status=IncidentStatus.OPEN,
        reported_at=turn.now,
        reported_by=turn.actor,
        reporter_name=turn.actor_name,
        lead=turn.actor,
        conversation=address_to_json(origin),
    )
    await turn.tx.create_incident(incident)
    await turn.record(
        incident.id,
        IncidentOpened(
            playbook=playbook.id,
            playbook_version=playbook.version,
            title=playbook.title.get(turn.lang),
            organisation=turn.org.name,
            language=turn.lang,
            reported_text=offered.trigger or "",
        ),
    )
    await turn.add_participant(incident, role=Role.REPORTER)
    evidence = offered.evidence
    if evidence:
        await turn.record(incident.id, _evidence_added(evidence))
        if "evidence_text_chars" in evidence:
            turn.say_text(
                "evidence_cut",
                limit=f"{MAX_EVIDENCE:,}",
                length=f"{evidence['evidence_text_chars']:,}",
            )
    planned = []
    for position, spec in enumerate(playbook.steps):
        owner = {
            Owner.REPORTER: incident.reported_by,
            Owner.LEAD: incident.lead,
            Owner.MANAGER: MANAGERS,
        }[spec.owner]
        planned.append(
            Step(
                incident_id=incident.id,
                step_id=spec.id,
                position=position,
                status=StepStatus.OPEN,
                due_at=incident.reported_at + spec.due,
                owner=owner,
                plan=playbook.id,
            )
        )
    await turn.tx.add_steps(planned)
    for step in planned:
        await reminders.schedule_step(turn, incident, step)
    await turn.record(incident.id, StepsPlanned(steps=tuple(PlannedStep.of(s) for s in planned)))
    turn.say_text(
        "incident_opened",
        incident_id=incident.id,
        time=clock_time(turn.now, tz=turn.org.tz, now=turn.now, lang=turn.lang),
    )
    # The action whose minutes count (call the bank) comes before any question.
    for step in planned:
        if playbook.step(step.step_id).urgent:
            await steps.show_card(turn, incident, step)
    await facts.ask_next(turn, incident)


async def join(turn: Turn, incident_id: str) -> None:
    incident = await turn.tx.get_incident(incident_id, lock=True)
    if (
        incident is None
        or incident.org_id != turn.org.id
        or incident.status is not IncidentStatus.OPEN
    ):
        raise turn.fail("join_unknown", incident_id=incident_id)
    await turn.add_participant(incident, role=Role.COLLEAGUE)
    turn.say_text("joined", incident_id=incident.id)
    await steps.show_checklist(turn, incident)


async def choose(turn: Turn, purpose: PickFor, *, closed_too: bool = False) -> Incident | None:
    """The incident a typed command is about: one the person takes part in, or one opened
    in this very chat (a channel); asks with buttons when there are several. With
    ``closed_too`` (export), the closed ones they took part in when none is open."""
    inbound = turn.inbound
    mine = await turn.tx.open_incidents_for(org_id=turn.org.id, user_key=turn.actor)
    here = await turn.tx.open_incidents_here(
        org_id=turn.org.id,
        channel=inbound.channel.value,
        conversation_id=inbound.conversation_id,
    )
    incidents = mine + [i for i in here if i.id not in {m.id for m in mine}]
    if not incidents and closed_too:
        incidents = await turn.tx.closed_incidents(org_id=turn.org.id, user_key=turn.actor)
    if not incidents:
        turn.say_text("no_incident")
        return None
    if len(incidents) == 1:
        return incidents[0]
    buttons = tuple(
        Button(
            turn.t(
                "incident_label",
                incident_id=i.id,
                title=turn.playbooks[i.playbook_id].title.get(turn.lang),
                time=clock_time(i.reported_at, tz=turn.org.tz, now=turn.now, lang=turn.lang),
            ),
            PickIncident(i.id, purpose),
        )
        for i in incidents
    )
    turn.say(Reply(kind=ReplyKind.QUESTION, text=turn.t("pick_incident"), buttons=buttons))
    return None


async def ask_stop(turn: Turn, incident: Incident) -> None:
    await turn.ensure_participant(incident)
    turn.expect(ConfirmingStop(incident.id))
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            text=turn.t("confirm_stop", incident_id=incident.id),
            buttons=(
                Button(
                    turn.t("yes_stop"),
                    ConfirmStop(incident.id),
                    ButtonStyle.DANGER,
                ),
                Button(turn.t("no_stop"), KeepGoing(incident.id)),
            ),
            incident_id=incident.id,
        )
    )


async def confirm_stop(turn: Turn, incident_id: str | None, reason: str | None) -> None:
    """Ends the incident once a reason is known; asks for one first."""
    incident = await turn.lock_incident(incident_id)
    await turn.ensure_participant(incident)
    reason = (reason or "").strip()
    if not reason:
        turn.expect(AwaitingStopReason(incident.id))
        turn.say(
            Reply(
                kind=ReplyKind.QUESTION,
                text=turn.t("ask_stop_reason"),
                incident_id=incident.id,
                inputs=(
                    InputRequest(
                        "reason",
                        turn.t("ask_stop_reason"),
                        ConfirmStop(incident.id),
                    ),
                ),
            )
        )
        return
    incident.status = IncidentStatus.CANCELLED
    incident.closed_at = turn.now
    incident.close_reason = reason[:500]
    await turn.tx.update_incident(incident)
    await turn.tx.cancel_deadlines(incident_id=incident.id)
    await turn.record(incident.id, IncidentStopped(reason=incident.close_reason))
    await turn.tell(incident, "tell_stopped", everyone=True, reason=incident.close_reason)
    turn.expect(Idle())
    turn.say_text("stopped", incident_id=incident.id, reason=incident.close_reason)


async def keep_going(turn: Turn, incident_id: str | None) -> None:
    turn.expect(Idle())
    turn.say_text("kept_going")
    incident = await turn.lock_incident(incident_id)
    await facts.resume(turn, incident)  # questions not asked yet first, then the next step


def _evidence_added(evidence: Mapping[str, str | int]) -> EvidenceAdded:
    """The first evidence a channel handed over, as the conversation state kept it."""

    def text(key: str) -> str | None:
        value = evidence.get(key)
        return value if isinstance(value, str) else None

    chars = evidence.get("evidence_text_chars")
    return EvidenceAdded(
        evidence_text=text("evidence_text"),
        evidence_author=text("evidence_author"),
        evidence_time=text("evidence_time"),
        evidence_permalink=text("evidence_permalink"),
        evidence_text_chars=chars if isinstance(chars, int) else None,
    )
