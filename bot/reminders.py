"""Deadlines become reminders and escalations.

The deadlines table is the truth; this module plans rows when a step opens and, when
woken, claims the due ones (so each is sent once, even with two processes), sends them
through the channels and records that it did. A reminder that fell due while Noodrem was
down goes out once on start, marked late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.flows.turn import SYSTEM_ACTOR, Turn
from bot.i18n import t
from bot.messages import Action, ActionName, Button, Outbound, Reply, ReplyKind, address_from_json
from bot.organisation import Organisation, Organisations, ReminderPolicy
from bot.playbook import Playbook
from bot.ports import (
    LEAD,
    MANAGERS,
    Clock,
    Deadline,
    DeadlineKind,
    Incident,
    IncidentStatus,
    NewDeadline,
    Notifier,
    Step,
    Store,
    Transaction,
)
from bot.timefmt import clock_time, duration

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
LATE_AFTER = timedelta(seconds=60)  # a scheduler tick is not "late"; a restart is
BATCH = 100


def plan(
    step: Step,
    *,
    reported_at: datetime,
    policy: ReminderPolicy,
    lead_times: Sequence[timedelta] = (),
) -> list[NewDeadline]:
    """Every reminder and escalation of one step, from the organisation's policy.

    The owner is reminded before the deadline (the step's own lead times, else the
    policy's short or long one) and at it; an overdue step escalates to the incident lead
    at once, to all managers a little later, then again at intervals, a limited number
    of times.
    """
    span = step.due_at - reported_at
    if not lead_times:
        lead = policy.before_short if span <= timedelta(hours=1) else policy.before_long
        lead_times = (lead,) if span > lead * 2 else ()
    rows = [
        NewDeadline(step.step_id, DeadlineKind.REMIND_BEFORE, step.due_at - lead, step.owner)
        for lead in sorted(lead_times, reverse=True)
        if lead < span
    ]
    rows.append(NewDeadline(step.step_id, DeadlineKind.DUE, step.due_at, step.owner))
    rows.append(NewDeadline(step.step_id, DeadlineKind.ESCALATE, step.due_at, LEAD))
    managers_at = step.due_at + policy.managers_after
    rows.extend(
        NewDeadline(
            step.step_id,
            DeadlineKind.ESCALATE,
            managers_at + policy.repeat_every * repeat,
            MANAGERS,
        )
        for repeat in range(policy.repeat_max + 1)
    )
    return rows


async def schedule_step(
    turn: Turn, incident: Incident, step: Step, *, owner_only: bool = False, from_now: bool = False
) -> None:
    """Plan a step's reminders. ``owner_only``: just the owner's future ones (the step
    was assigned to someone else); ``from_now``: only those still ahead (reopened)."""
    spec = turn.playbook_of(incident).step(step.step_id)
    rows = plan(
        step,
        reported_at=incident.reported_at,
        policy=turn.org.reminders,
        lead_times=spec.remind_before,
    )
    if owner_only:
        rows = [r for r in rows if r.recipient == step.owner]
    if owner_only or from_now:
        rows = [r for r in rows if r.due_at > turn.now]
    await turn.tx.add_deadlines(incident.id, rows)
    turn.wake_times.extend(row.due_at for row in rows)


@dataclass(frozen=True, slots=True)
class _Delivery:
    deadline: Deadline
    messages: tuple[Outbound, ...]
    recipients: tuple[str, ...]
    late: bool


class Reminders:
    """Sends what is due. Safe to call often and from several processes at once."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        playbooks: Mapping[str, Playbook],
        organisations: Organisations,
        notifier: Notifier,
        on_sent: Callable[[timedelta], None] | None = None,
    ) -> None:
        """``on_sent(lateness)`` is told, for each reminder that went out, how long after
        its planned time (the metrics' lateness histogram)."""
        self._store = store
        self._clock = clock
        self._playbooks = playbooks
        self._organisations = organisations
        self._notifier = notifier
        self._on_sent = on_sent
        self._running = False
        self._again = False

    async def run_due(self) -> int:
        """Send every due reminder; returns how many deadlines were handled.

        A wake-up while a run is going on only asks that run for one more pass, so a
        burst of wake-ups does not queue a burst of runs behind each other.
        """
        if self._running:
            self._again = True
            return 0
        self._running = True
        handled = 0
        try:
            while True:
                self._again = False
                now = self._clock.now()
                async with self._store.transaction() as tx:
                    claimed = await tx.claim_due_deadlines(
                        now=now, lease_until=now + LEASE, limit=BATCH
                    )
                if claimed:
                    await self._handle(claimed)
                handled += len(claimed)
                if len(claimed) < BATCH and not self._again:
                    return handled
        finally:
            self._running = False

    async def next_due(self) -> datetime | None:
        async with self._store.transaction() as tx:
            return await tx.next_deadline_at()

    async def _handle(self, claimed: list[Deadline]) -> None:
        """Prepare a claimed batch in one transaction, send, then record it in one more."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            deliveries = [(d, await self._prepare(tx, d, now)) for d in claimed]
        # Sending and committing cannot be one transaction: a crash between the two
        # resends the batch once after the lease runs out, which beats losing a reminder.
        for deadline, delivery in deliveries:
            for message in delivery.messages if delivery else ():
                try:
                    await self._notifier.deliver(message)
                except Exception:
                    log.exception("could not deliver a reminder for deadline %s", deadline.id)
            if delivery is not None and self._on_sent is not None:
                self._on_sent(now - deadline.due_at)
        async with self._store.transaction() as tx:
            # Lock in a fixed order, so two processes recording batches never deadlock.
            for incident_id in sorted({d.incident_id for d in claimed}):
                await tx.get_incident(incident_id, lock=True)
            for deadline, delivery in deliveries:
                await tx.mark_deadline_sent(
                    deadline.id, at=now, late=bool(delivery and delivery.late)
                )
                if delivery is not None:
                    await self._record(tx, deadline, delivery, now)

    async def _record(
        self, tx: Transaction, deadline: Deadline, delivery: _Delivery, now: datetime
    ) -> None:
        kind = "escalation_sent" if deadline.kind is DeadlineKind.ESCALATE else "reminder_sent"
        await tx.append_event(
            incident_id=deadline.incident_id,
            at=now,
            actor=SYSTEM_ACTOR,
            actor_name="Noodrem",
            kind=kind,
            data={
                "step": deadline.step_id,
                "deadline": deadline.kind.value,
                "planned_at": deadline.due_at.isoformat(),
                "late": delivery.late,
                "recipients": list(delivery.recipients),
            },
        )

    async def _prepare(
        self, tx: Transaction, deadline: Deadline, now: datetime
    ) -> _Delivery | None:
        incident = await tx.get_incident(deadline.incident_id)
        step = await tx.get_step(deadline.incident_id, deadline.step_id)
        if incident is None or step is None or incident.status is not IncidentStatus.OPEN:
            return None
        if step.status.is_closed:
            return None  # a reminder for a finished step must never arrive
        org = self._organisations.of_incident(incident)
        late = now - deadline.due_at > LATE_AFTER
        reply = self._reply(
            incident,
            deadline,
            step,
            org=org,
            now=now,
            late=late,
            owner=await _owner_name(tx, incident, step),
        )
        origin = address_from_json(incident.conversation)
        messages: list[Outbound] = []
        recipients: list[str] = []
        if deadline.recipient == MANAGERS and org.managers:
            unreachable = []
            for manager in org.managers:
                recipients.append(manager.name)
                stored = await tx.get_address(org.manager_key(manager))
                if stored is None:
                    unreachable.append(manager.name)
                else:
                    messages.append(Outbound(address_from_json(stored), (reply,)))
            if unreachable:
                note = t("escalation_fallback", incident.lang, manager=", ".join(unreachable))
                messages.append(Outbound(origin, (_with_note(reply, note),)))
        else:
            key = incident.lead if deadline.recipient in (MANAGERS, LEAD) else deadline.recipient
            stored = await tx.get_address(key)
            recipients.append(key)
            messages.append(Outbound(address_from_json(stored) if stored else origin, (reply,)))
        return _Delivery(deadline, tuple(messages), tuple(recipients), late)

    def _reply(
        self,
        incident: Incident,
        deadline: Deadline,
        step: Step,
        *,
        org: Organisation,
        now: datetime,
        late: bool,
        owner: str,
    ) -> Reply:
        lang = incident.lang
        title = self._playbooks[incident.playbook_id].step(step.step_id).title.get(lang)
        time = clock_time(step.due_at, tz=org.tz, now=now, lang=lang)
        if deadline.kind is DeadlineKind.REMIND_BEFORE:
            text = t(
                "reminder_before",
                lang,
                left=duration(step.due_at - deadline.due_at, lang),
                title=title,
                incident_id=incident.id,
                time=time,
            )
        elif deadline.kind is DeadlineKind.DUE:
            text = t("reminder_due", lang, title=title, incident_id=incident.id, time=time)
        else:
            text = t(
                "escalation", lang, title=title, incident_id=incident.id, time=time, owner=owner
            )
        if late:
            planned = clock_time(deadline.due_at, tz=org.tz, now=now, lang=lang)
            text += "\n" + t("late_marker", lang, planned=planned)
        kind = (
            ReplyKind.ESCALATION if deadline.kind is DeadlineKind.ESCALATE else ReplyKind.REMINDER
        )

        def action(name: ActionName, value: str | None = None) -> Action:
            return Action(name, incident.id, step.step_id, value, stamp=step.version)

        buttons = (
            Button(t("btn_open_step", lang), action(ActionName.STEP_SHOW)),
            Button(t("btn_snooze_15m", lang), action(ActionName.SNOOZE, "15m")),
            Button(t("btn_snooze_1h", lang), action(ActionName.SNOOZE, "1h")),
            Button(t("btn_snooze_until", lang), action(ActionName.SNOOZE, "until")),
        )
        return Reply(kind=kind, text=text, incident_id=incident.id, late=late, buttons=buttons)


async def _owner_name(tx: Transaction, incident: Incident, step: Step) -> str:
    participants = await tx.get_participants(incident.id)
    return next((p.name for p in participants if p.user_key == step.owner), incident.reporter_name)


def _with_note(reply: Reply, note: str) -> Reply:
    return replace(reply, text=f"{reply.text}\n{note}")
