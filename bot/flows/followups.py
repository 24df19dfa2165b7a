"""Follow-ups in the chat: proposed when an incident is closed, marked done, given to
someone else. They outlive the close, so these flows work on a closed incident without
reopening it (``Turn.readable_incident``, not ``lock_incident``); ``bot/followups.py`` has
their reminders and their card."""

from __future__ import annotations

from bot import followups, messages
from bot.events import FollowUpAssigned, FollowUpDone, FollowUpProposed
from bot.flows import people
from bot.flows.state import AwaitingFollowUpAssignee, Idle
from bot.flows.turn import ForOther, Turn
from bot.i18n import t
from bot.messages import (
    AssignFollowUp,
    InputKind,
    InputRequest,
    Lang,
    Outbound,
    Reply,
    ReplyKind,
    address_from_json,
)
from bot.playbook import FollowUpSpec
from bot.ports import DeadlineKind, FollowUp, FollowUpStatus, Incident


async def propose(turn: Turn, incident: Incident) -> list[FollowUp]:
    """On a close: each plan's follow-ups the incident does not have yet (one per id, the
    first plan that proposes it giving it), owned by the lead and due from now; the open
    ones get their reminders again (closing cancelled every deadline). The open ones."""
    playbook = turn.playbook_of(incident)
    existing = await turn.tx.get_follow_ups(incident.id)
    known = {f.follow_up_id for f in existing}
    names = {p.user_key: p.name for p in await turn.tx.get_participants(incident.id)}
    lead_name = names.get(incident.lead, incident.reporter_name)
    new: list[FollowUp] = []
    for spec in playbook.follow_ups:
        if spec.id in known:
            continue
        new.append(
            FollowUp(
                incident_id=incident.id,
                follow_up_id=spec.id,
                position=len(existing) + len(new),
                plan=_proposed_by(turn, incident, spec.id),
                status=FollowUpStatus.OPEN,
                owner=incident.lead,
                owner_name=lead_name,
                due_at=turn.now + spec.due,
                proposed_at=turn.now,
            )
        )
    await turn.tx.add_follow_ups(new)
    for follow_up in new:
        await turn.record(
            incident.id,
            FollowUpProposed(
                follow_up=follow_up.follow_up_id,
                plan=follow_up.plan,
                owner=follow_up.owner,
                owner_name=follow_up.owner_name,
                due_at=follow_up.due_at,
            ),
        )
    still_open = [f for f in (*existing, *new) if f.status is FollowUpStatus.OPEN]
    for follow_up in still_open:
        await _schedule(turn, follow_up, playbook.follow_up(follow_up.follow_up_id))
    return still_open


def _proposed_by(turn: Turn, incident: Incident, follow_up_id: str) -> str:
    """The first of the incident's plans that proposes it (the combined plan does not say)."""
    return next(
        plan.playbook_id
        for plan in incident.plan_list()
        if any(f.id == follow_up_id for f in turn.playbooks[plan.playbook_id].follow_ups)
    )


async def _schedule(turn: Turn, follow_up: FollowUp, spec: FollowUpSpec) -> None:
    rows = followups.plan(follow_up, spec, now=turn.now)
    await turn.tx.add_deadlines(follow_up.incident_id, rows)
    turn.wake_times.extend(row.due_at for row in rows)


async def _cancel(turn: Turn, follow_up: FollowUp) -> None:
    for kind in (DeadlineKind.FOLLOW_UP_SOON, DeadlineKind.FOLLOW_UP_DUE):
        await turn.tx.cancel_deadlines(
            incident_id=follow_up.incident_id, step_id=follow_up.follow_up_id, kind=kind
        )


def cards_for(turn: Turn, incident: Incident, open_ones: list[FollowUp]) -> list[Reply]:
    """A card per open follow-up, in the incident's plans' words."""
    playbook = turn.playbook_of(incident)
    return [
        followups.card(
            f, playbook.follow_up(f.follow_up_id), tz=turn.org.tz, now=turn.now, lang=turn.lang
        )
        for f in open_ones
    ]


async def send_to_owner(turn: Turn, incident: Incident, open_ones: list[FollowUp]) -> None:
    """The lead owns what is proposed: when someone else closed, the cards go to the
    lead's own chat too (after the commit, like every message for someone else)."""
    lead = incident.lead
    stored = await turn.tx.get_address(lead) if lead != turn.actor and open_ones else None
    if stored is None:
        return
    lang: Lang = "en" if incident.lang == "en" else "nl"
    playbook = turn.playbook_of(incident)
    intro = Reply(
        kind=ReplyKind.TEXT,
        incident_id=incident.id,
        text=t("follow_ups_yours", lang, incident_id=incident.id, count=len(open_ones)),
    )
    cards = tuple(
        followups.card(
            f, playbook.follow_up(f.follow_up_id), tz=turn.org.tz, now=turn.now, lang=lang
        )
        for f in open_ones
    )
    message = Outbound(address_from_json(stored), (intro, *cards))
    name = open_ones[0].owner_name
    turn.outbound.append(ForOther(incident.id, lead, name, direct=True, message=message))


async def _find(turn: Turn, incident: Incident, follow_up_id: str) -> FollowUp:
    for follow_up in await turn.tx.get_follow_ups(incident.id):
        if follow_up.follow_up_id == follow_up_id:
            return follow_up
    raise turn.fail("stale_button")


async def done(turn: Turn, action: messages.FollowUpDone) -> None:
    """Mark a follow-up done (anyone in the incident, or a manager); its reminders stop."""
    incident = await turn.readable_incident(action.incident_id, lock=True)
    follow_up = await _find(turn, incident, action.follow_up_id)
    spec = turn.playbook_of(incident).follow_up(follow_up.follow_up_id)
    title = spec.title.get(turn.lang)
    if follow_up.status is FollowUpStatus.DONE:
        turn.say_text("follow_up_already_done", title=title, name=follow_up.done_by_name or "?")
        return
    expected = follow_up.version
    follow_up.status, follow_up.version = FollowUpStatus.DONE, expected + 1
    follow_up.done_at, follow_up.done_by = turn.now, turn.actor
    follow_up.done_by_name = turn.actor_name
    if not await turn.tx.update_follow_up(follow_up, expected_version=expected):
        raise turn.fail("stale_button")  # cannot happen under the incident lock; be safe
    await _cancel(turn, follow_up)
    await turn.record(incident.id, FollowUpDone(follow_up=follow_up.follow_up_id))
    await turn.tell(incident, "tell_follow_up_done", everyone=False, title=title)
    turn.say(
        followups.card(
            follow_up,
            spec,
            tz=turn.org.tz,
            now=turn.now,
            lang=turn.lang,
            kind=ReplyKind.TEXT,
            intro=turn.t("follow_up_marked_done", title=title),
        )
    )


async def ask_assignee(turn: Turn, action: AssignFollowUp) -> None:
    incident = await turn.readable_incident(action.incident_id, lock=True)
    follow_up = await _open(turn, incident, action.follow_up_id)
    if follow_up is None:
        return
    turn.expect(AwaitingFollowUpAssignee(incident.id, follow_up.follow_up_id))
    submit = AssignFollowUp(incident.id, follow_up.follow_up_id)
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            incident_id=incident.id,
            text=turn.t("ask_assignee"),
            inputs=(InputRequest("person", turn.t("person"), submit, kind=InputKind.PERSON),),
        )
    )


async def assign(turn: Turn, incident_id: str, follow_up_id: str, named: str) -> None:
    """Give a follow-up to someone else: their reminders from now on, the old owner's stop."""
    incident = await turn.readable_incident(incident_id, lock=True)
    follow_up = await _open(turn, incident, follow_up_id)
    if follow_up is None:
        return
    person = await people.resolve(turn, incident, named)
    if person is None:
        turn.expect(AwaitingFollowUpAssignee(incident.id, follow_up.follow_up_id))
        raise turn.fail("unknown_person", name=named.strip(), incident_id=incident.id)
    key, name = person
    await people.join_assignee(turn, incident, key, name)
    previous, expected = follow_up.owner, follow_up.version
    follow_up.owner, follow_up.owner_name, follow_up.version = key, name, expected + 1
    if not await turn.tx.update_follow_up(follow_up, expected_version=expected):
        raise turn.fail("stale_button")
    spec = turn.playbook_of(incident).follow_up(follow_up.follow_up_id)
    await _cancel(turn, follow_up)
    await _schedule(turn, follow_up, spec)
    await turn.record(
        incident.id,
        FollowUpAssigned(follow_up=follow_up.follow_up_id, previous=previous, to=key, to_name=name),
    )
    turn.expect(Idle())
    turn.say_text("step_assigned", title=spec.title.get(turn.lang), name=name)
    stored = await turn.tx.get_address(key) if key != turn.actor else None
    if stored is not None:  # the new owner gets the card in their own chat
        lang: Lang = "en" if incident.lang == "en" else "nl"
        intro = t(
            "you_were_assigned_follow_up",
            lang,
            by=turn.actor_name,
            incident_id=incident.id,
            title=spec.title.get(lang),
        )
        card = followups.card(follow_up, spec, tz=turn.org.tz, now=turn.now, lang=lang, intro=intro)
        message = Outbound(address_from_json(stored), (card,))
        turn.outbound.append(ForOther(incident.id, key, name, direct=True, message=message))


async def _open(turn: Turn, incident: Incident, follow_up_id: str) -> FollowUp | None:
    """The follow-up if it is still open; otherwise says it is done and returns None."""
    follow_up = await _find(turn, incident, follow_up_id)
    if follow_up.status is FollowUpStatus.OPEN:
        return follow_up
    title = turn.playbook_of(incident).follow_up(follow_up.follow_up_id).title.get(turn.lang)
    turn.say_text("follow_up_already_done", title=title, name=follow_up.done_by_name or "?")
    return None
