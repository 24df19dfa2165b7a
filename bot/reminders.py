"""Deadlines become reminders and escalations.

The deadlines table is the truth; this module plans rows when a step opens and, when
woken, claims the due ones (so each is sent once, even with two processes), sends them
through the channels and records that it did. A reminder that fell due while Noodrem was
down goes out once on start, marked late.

Each person a deadline is for gets one ``delivery_attempted`` event with the platform's
answer. A refused delivery is retried as a new deadline row (attempt 2, 3, ... after the
policy's waits); after the last attempt the message goes to the next person (owner →
lead → managers), and the timeline says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import cards, followups, payments
from bot.delivery import Attempt, Purpose, Recipient, Via, retry_delay
from bot.events import (
    DeliveryAbandoned,
    DeliveryAttempted,
    DeliveryRedirected,
    EventData,
    append_event,
)
from bot.flows.turn import SYSTEM_ACTOR, Turn
from bot.i18n import t
from bot.messages import (
    Button,
    Lang,
    Outbound,
    Reply,
    ReplyKind,
    Snooze,
    StepShow,
    address_from_json,
)
from bot.organisation import Organisation, Organisations, ReminderPolicy
from bot.playbook import Playbook
from bot.ports import (
    LEAD,
    MANAGERS,
    Clock,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    Delivery,
    Incident,
    IncidentStatus,
    NewDeadline,
    Notifier,
    Payment,
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
class _Target:
    """One person a claimed deadline is for, and which of its messages carries theirs."""

    recipient: Recipient
    via: Via
    message: int  # index into ``_Planned.messages``


@dataclass(frozen=True, slots=True)
class _Planned:
    deadline: Deadline
    incident: Incident
    org: Organisation
    messages: tuple[Outbound, ...]
    targets: tuple[_Target, ...]
    instead_of: Recipient | None
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
            planned = [(d, await self._prepare(tx, d, now)) for d in claimed]
        # Sending and committing cannot be one transaction: a crash between the two
        # resends the batch once after the lease runs out, which beats losing a reminder.
        outcomes = {
            deadline.id: [await self._send(m) for m in plan.messages]
            for deadline, plan in planned
            if plan is not None
        }
        if self._on_sent is not None:
            for deadline, plan in planned:
                if plan is not None:
                    self._on_sent(now - deadline.due_at)
        async with self._store.transaction() as tx:
            # Lock in a fixed order, so two processes recording batches never deadlock.
            for incident_id in sorted({d.incident_id for d in claimed}):
                await tx.get_incident(incident_id, lock=True)
            for deadline, plan in planned:
                if plan is None:  # dropped: the step or the incident is closed
                    await tx.mark_deadline_sent(deadline.id, at=now, late=False)
                    continue
                all_ok = await self._record(tx, plan, outcomes[deadline.id], now)
                status = DeadlineStatus.SENT if all_ok else DeadlineStatus.FAILED
                await tx.mark_deadline_sent(deadline.id, at=now, late=plan.late, status=status)
                if deadline.kind is DeadlineKind.RECALL_CHECK:
                    await self._next_check_in(tx, deadline, plan.incident, now)

    async def _send(self, message: Outbound) -> Delivery:
        try:
            return await self._notifier.deliver(message)
        except Exception as exc:  # a Notifier should not raise; record it if one does
            log.exception("could not deliver a reminder to %s", message.address.channel)
            return Delivery.failed(message.address.channel.value, type(exc).__name__)

    async def _record(
        self, tx: Transaction, plan: _Planned, outcomes: list[Delivery], now: datetime
    ) -> bool:
        """One event per person with what happened; a retry row for each failure, or the
        next person once the retries ran out. True when everyone got it."""
        deadline, policy = plan.deadline, plan.org.reminders
        all_ok = True
        for target in plan.targets:
            outcome = outcomes[target.message]
            attempt = Attempt(
                purpose=Purpose.of(deadline.kind),
                recipient=target.recipient,
                via=target.via,
                outcome=outcome,
                attempt=deadline.attempt,
                attempts=policy.delivery_attempts,
                step=None if deadline.kind.is_follow_up else deadline.step_id,
                follow_up=deadline.step_id if deadline.kind.is_follow_up else None,
                deadline=deadline.kind,
                planned_at=deadline.due_at,
                late=plan.late,
                instead_of=plan.instead_of,
            )
            await self._event(tx, deadline, DeliveryAttempted.of(attempt), now)
            if outcome.ok:
                continue
            all_ok = False
            if deadline.attempt < policy.delivery_attempts:
                retry_at = now + retry_delay(deadline.attempt, policy.retry_after)
                await tx.add_deadlines(
                    deadline.incident_id,
                    [
                        NewDeadline(
                            deadline.step_id,
                            deadline.kind,
                            retry_at,
                            target.recipient.key,
                            attempt=deadline.attempt + 1,
                            instead_of=deadline.instead_of,
                        )
                    ],
                )
            else:
                await self._redirect(tx, plan, target.recipient, outcome, now)
        return all_ok

    async def _redirect(
        self, tx: Transaction, plan: _Planned, failed: Recipient, outcome: Delivery, now: datetime
    ) -> None:
        """Out of retries: the owner's message goes to the lead, the lead's to the managers;
        a manager's has nobody after them."""
        deadline, incident, org = plan.deadline, plan.incident, plan.org
        manager_keys = {org.manager_key(m) for m in org.managers}
        to: str | None = None
        if failed.key in manager_keys:
            to = None
        elif failed.key != incident.lead:
            to = LEAD
        elif org.managers:
            to = MANAGERS
        purpose, kind, attempts = Purpose.of(deadline.kind), deadline.kind, deadline.attempt
        # What the message was about: the step, or the follow-up.
        step, follow_up = (
            (None, deadline.step_id) if kind.is_follow_up else (deadline.step_id, None)
        )
        if to is None:
            abandoned = DeliveryAbandoned(
                purpose=purpose, step=step, follow_up=follow_up, deadline=kind,
                recipient=failed.key, recipient_name=failed.name, attempts=attempts,
                error=outcome.error,
            )  # fmt: skip
            await self._event(tx, deadline, abandoned, now)
            return
        names = await _names(tx, incident, org)
        await tx.add_deadlines(
            deadline.incident_id,
            [NewDeadline(deadline.step_id, deadline.kind, now, to, instead_of=failed.key)],
        )
        redirected = DeliveryRedirected(
            purpose=purpose, step=step, follow_up=follow_up, deadline=kind,
            recipient=failed.key, recipient_name=failed.name, attempts=attempts,
            error=outcome.error,
            to=to, to_name=names.get(incident.lead, incident.lead) if to == LEAD else None,
        )  # fmt: skip
        await self._event(tx, deadline, redirected, now)

    async def _next_check_in(
        self, tx: Transaction, deadline: Deadline, incident: Incident, now: datetime
    ) -> None:
        """Check in again after the plan's interval while the recall is not settled, unless
        a check-in is already pending (a retry, a redirected copy, or one planned when the
        person changed the status meanwhile): one chain of check-ins, never two."""
        if await _unsettled(tx, deadline) is None:
            return
        pending = [
            d
            for d in await tx.get_deadlines(incident.id)
            if d.kind is DeadlineKind.RECALL_CHECK
            and d.step_id == deadline.step_id
            and d.status in (DeadlineStatus.PENDING, DeadlineStatus.CLAIMED)
            and d.id != deadline.id
        ]
        recall = self._playbooks[incident.playbook_id].step(deadline.step_id).recall
        if pending or recall is None:
            return
        recipient = deadline.instead_of or deadline.recipient
        await tx.add_deadlines(
            incident.id,
            [NewDeadline(deadline.step_id, DeadlineKind.RECALL_CHECK, now + recall.check_in_every,
                         recipient)],
        )  # fmt: skip

    @staticmethod
    async def _event(tx: Transaction, deadline: Deadline, event: EventData, now: datetime) -> None:
        await append_event(
            tx, deadline.incident_id, event, at=now, actor=SYSTEM_ACTOR, actor_name="Noodrem"
        )

    async def _prepare(self, tx: Transaction, deadline: Deadline, now: datetime) -> _Planned | None:
        incident = await tx.get_incident(deadline.incident_id)
        if incident is None:
            return None
        org = self._organisations.of_incident(incident)
        names = await _names(tx, incident, org)
        late = now - deadline.due_at > LATE_AFTER
        if deadline.kind.is_follow_up:  # sent though the incident is closed
            reply = await followups.reminder(
                tx, incident, deadline, playbooks=self._playbooks, tz=org.tz, now=now
            )
        else:
            reply = await self._step_reply(
                tx, incident, deadline, org=org, names=names, now=now, late=late
            )
        if reply is None:
            return None
        return await self._targets(tx, incident, deadline, reply, org=org, names=names, late=late)

    async def _step_reply(
        self, tx: Transaction, incident: Incident, deadline: Deadline, *, org: Organisation,
        names: dict[str, str], now: datetime, late: bool,
    ) -> Reply | None:  # fmt: skip
        """A step's reminder, escalation or recall check-in; None when it must not go: the
        incident or the step is closed, or the recall settled."""
        step = await tx.get_step(deadline.incident_id, deadline.step_id)
        if step is None or incident.status is not IncidentStatus.OPEN:
            return None
        check_in = deadline.kind is DeadlineKind.RECALL_CHECK
        if step.status.is_closed and not check_in:
            return None  # a reminder for a finished step must never arrive
        if check_in:  # the bank step is done; the recall it opened may not be
            row = await _unsettled(tx, deadline)
            if row is None:
                return None
            playbook = self._playbooks[incident.playbook_id]
            payment = payments.described(
                playbook, playbook.step(step.step_id), incident_id=incident.id,
                facts=await tx.get_facts(incident.id), step=step, status=row.status,
                at=row.updated_at, by=row.updated_by,
            )  # fmt: skip
            payment.returned_amount = row.returned_amount
            lang: Lang = "en" if incident.lang == "en" else "nl"
            return cards.recall_card(
                payment, incident=incident, org=org, now=now, lang=lang, recorded=True,
                check_in=True,
            )  # fmt: skip
        return self._reply(
            incident,
            deadline,
            step,
            org=org,
            now=now,
            late=late,
            owner=names.get(step.owner, incident.reporter_name),
        )

    async def _targets(
        self, tx: Transaction, incident: Incident, deadline: Deadline, reply: Reply, *,
        org: Organisation, names: dict[str, str], late: bool,
    ) -> _Planned:  # fmt: skip
        """Who gets ``reply``, through which chat: their own, else the incident's."""
        instead_of = None
        if deadline.instead_of is not None:
            instead_of = Recipient(
                deadline.instead_of, names.get(deadline.instead_of, deadline.instead_of)
            )
            note = t("delivery_redirected", incident.lang, name=instead_of.name)
            reply = _with_note(reply, note)
        origin = address_from_json(incident.conversation)
        manager_keys = {org.manager_key(m): m.name for m in org.managers}
        if deadline.recipient == MANAGERS and org.managers:
            people = [Recipient(key, name) for key, name in manager_keys.items()]
        elif deadline.recipient in (MANAGERS, LEAD):
            people = [Recipient(incident.lead, names.get(incident.lead, incident.lead))]
        else:
            key = deadline.recipient
            people = [Recipient(key, names.get(key, key))]
        messages: list[Outbound] = []
        targets: list[_Target] = []
        unreachable: list[Recipient] = []
        for person in people:
            stored = await tx.get_address(person.key)
            if stored is None:
                unreachable.append(person)
                continue
            messages.append(Outbound(address_from_json(stored), (reply,)))
            targets.append(_Target(person, Via.DIRECT, len(messages) - 1))
        if unreachable:
            # Nowhere of their own: their copy goes to the incident's chat, saying for whom.
            managers = [p.name for p in unreachable if p.key in manager_keys]
            note = t("escalation_fallback", incident.lang, manager=", ".join(managers))
            messages.append(Outbound(origin, (_with_note(reply, note) if managers else reply,)))
            targets.extend(_Target(p, Via.INCIDENT_CHAT, len(messages) - 1) for p in unreachable)
        return _Planned(deadline, incident, org, tuple(messages), tuple(targets), instead_of, late)

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
        title = self._playbooks[step.plan].step(step.step_id).title.get(lang)
        time = clock_time(step.due_at, tz=org.tz, now=now, lang=lang)
        # A retry or a redirected copy goes out later than planned: count from now.
        as_planned = deadline.attempt == 1 and deadline.instead_of is None
        left = step.due_at - (deadline.due_at if as_planned else now)
        if deadline.kind is DeadlineKind.REMIND_BEFORE and left > timedelta(0):
            text = t(
                "reminder_before",
                lang,
                left=duration(left, lang),
                title=title,
                incident_id=incident.id,
                time=time,
            )
        elif deadline.kind is not DeadlineKind.ESCALATE:  # due, or a reminder now overdue
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

        def snooze(minutes: int | None) -> Snooze:
            return Snooze(incident.id, step.step_id, minutes, step.version)

        buttons = (
            Button(t("btn_open_step", lang), StepShow(incident.id, step.step_id, step.version)),
            Button(t("btn_snooze_15m", lang), snooze(15)),
            Button(t("btn_snooze_1h", lang), snooze(60)),
            Button(t("btn_snooze_until", lang), snooze(None)),
        )
        return Reply(kind=kind, text=text, incident_id=incident.id, late=late, buttons=buttons)


async def _unsettled(tx: Transaction, deadline: Deadline) -> Payment | None:
    """The payment a check-in asks about, while its recall is not settled."""
    return next(
        (
            p
            for p in await tx.get_payments(deadline.incident_id)
            if p.step_id == deadline.step_id and not p.status.settled
        ),
        None,
    )


async def _names(tx: Transaction, incident: Incident, org: Organisation) -> dict[str, str]:
    """Display names by key: the incident's participants and the organisation's managers."""
    names = {org.manager_key(m): m.name for m in org.managers}
    names.update((p.user_key, p.name) for p in await tx.get_participants(incident.id))
    return names


def _with_note(reply: Reply, note: str) -> Reply:
    return replace(reply, text=f"{reply.text}\n{note}")
