"""A step's hand-off to the IT provider, from the chat: stored, then sent after the commit.

The turn freezes what is handed over into the durable outbox (claimed by this turn) and
records that the person asked for it; after the commit the messages are sent, and only
then does the person hear what happened: sent, or queued for another try, and when.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime

from bot import handoff as outbox
from bot.events import HandoffRequested
from bot.flows import steps
from bot.flows.turn import Turn
from bot.i18n import t
from bot.messages import HandOff, Reply, ReplyKind
from bot.ports import HandoffStatus, HandoffTry, Store
from bot.timefmt import clock_time

log = logging.getLogger(__name__)


async def hand_off(turn: Turn, action: HandOff) -> None:
    incident = await turn.lock_incident(action.incident_id)
    await turn.ensure_participant(incident)
    step = await steps.open_step(turn, incident, action.step_id)
    if step is None:
        return
    playbook = turn.playbook_of(incident)
    spec = playbook.step(step.step_id)
    if spec.handoff is None:
        raise turn.fail("stale_button")
    target = spec.handoff.to.value
    contact = turn.org.contacts.get(spec.handoff.to.contact)
    name = contact.name if contact is not None else t("handoff_default_name", turn.lang)
    earlier = [
        h
        for h in await turn.tx.get_handoffs(incident.id)
        if h.step_id == spec.id and h.status is not HandoffStatus.FAILED
    ]
    if earlier:
        turn.say_text("handoff_already", name=name)
        return
    found = outbox.routes(spec.handoff, turn.org, turn.handoffs)
    if not found:
        turn.say_text("handoff_not_configured", name=name)
        return
    people = {p.user_key: p.name for p in await turn.tx.get_participants(incident.id)}
    content = outbox.compose(
        handoff=spec.handoff,
        spec=spec,
        playbook=playbook,
        incident=incident,
        org=turn.org,
        facts=await turn.tx.get_facts(incident.id),
        lead_name=people.get(incident.lead, incident.reporter_name),
        requested_by=turn.actor_name,
    )
    ids = await turn.tx.add_handoffs(
        incident.id,
        outbox.new_handoffs(spec.id, content, found),
        at=turn.now,
        lease_until=turn.now + outbox.LEASE,
    )
    await turn.record(
        incident.id,
        HandoffRequested(
            step=spec.id,
            to=target,
            to_name=name,
            via=tuple(outbox.VIA[transport] for transport, _ in found),
            handoffs=tuple(ids),
            facts=tuple(f["id"] for f in content["facts"] if f["value"] is not None),
            checklist=len(content["checklist"]),
        ),
    )
    turn.after_commit.append(functools.partial(_send, turn, ids, name, position=turn.reply_later()))


async def _send(
    turn: Turn, ids: Sequence[int], name: str, store: Store, now: datetime, *, position: int
) -> None:
    """Send what the turn stored; say what happened to each message, not what was meant."""
    if turn.handoffs is None:
        return
    try:
        tries = await turn.handoffs.send_now(ids)
    except Exception:  # the rows are stored: once their lease runs out the scheduler sends them
        log.exception("could not send a hand-off right after the turn")
        turn.say_at(position, Reply(kind=ReplyKind.TEXT, text=turn.t("handoff_queued", name=name)))
        return
    lines = [_said(turn, name, tried) for tried in tries]
    turn.wake_times.extend(tried.next_at for tried in tries if tried.next_at is not None)
    turn.say_at(position, Reply(kind=ReplyKind.TEXT, text="\n".join(lines)))


def _said(turn: Turn, name: str, tried: HandoffTry) -> str:
    via = turn.t(f"handoff_via_{tried.transport.value}")
    if tried.outcome.ok:
        return turn.t("handoff_sent", name=name, via=via)
    error = tried.outcome.error or "?"
    if tried.next_at is None:
        return turn.t("handoff_failed_now", name=name, via=via, error=error)
    return turn.t(
        "handoff_retrying",
        name=name,
        via=via,
        error=error,
        time=clock_time(tried.next_at, tz=turn.org.tz, now=turn.now, lang=turn.lang),
        n=tried.attempt,
        of=tried.attempts,
    )
