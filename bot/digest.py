"""The morning digest: on working days, one message per manager with the open incidents,
what falls due today and the follow-ups of any incident not done yet. Unlike reminders it
respects office hours, and it says nothing when nothing is open.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot import cards
from bot.delivery import Attempt, Purpose, Recipient, Via
from bot.events import DeliveryAttempted, QuietNudged, append_event, of
from bot.flows.turn import SYSTEM_ACTOR
from bot.i18n import t
from bot.messages import (
    Button,
    Close,
    Outbound,
    Reply,
    ReplyKind,
    ShowStatus,
    address_from_json,
)
from bot.organisation import WEEKDAYS, Organisation, Organisations
from bot.playbook import Playbook
from bot.playbook.combined import combine_ids
from bot.ports import (
    Clock,
    Delivery,
    FollowUp,
    Incident,
    Notifier,
    StepStatus,
    Store,
    Transaction,
)
from bot.timefmt import clock_time

log = logging.getLogger(__name__)

CLAIM_CHANNEL = "digest"  # the inbound claim table makes each day's digest go out once


def digest_moment(day: datetime, org: Organisation) -> datetime | None:
    """The digest time on the organisation's local date of ``day``, in UTC, or None when
    that is no digest day. Built from the local wall clock, so it stays 08:30 across a
    daylight-saving change."""
    local = day.astimezone(org.tz)
    if not org.digest.enabled or WEEKDAYS[local.weekday()] not in org.digest.days:
        return None
    moment = datetime.combine(local.date(), org.digest.time, tzinfo=org.tz)
    return moment.astimezone(UTC)


def next_digest_at(after: datetime, org: Organisation) -> datetime | None:
    """The first digest moment strictly after ``after``."""
    if not org.managers:
        return None
    for days in range(8):
        moment = digest_moment(after + timedelta(days=days), org)
        if moment is not None and moment > after:
            return moment
    return None


@dataclass(frozen=True, slots=True)
class Nudge:
    """The message for the lead of an incident that has gone quiet."""

    incident_id: str
    lead: Recipient
    message: Outbound | None  # None: no chat of the lead's known yet
    quiet_since: datetime


class Digests:
    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        playbooks: Mapping[str, Playbook],
        organisations: Organisations,
        notifier: Notifier,
    ) -> None:
        self._store = store
        self._clock = clock
        self._playbooks = playbooks
        self._organisations = organisations
        self._notifier = notifier

    def next_at(self) -> datetime | None:
        now = self._clock.now()
        moments = [m for org in self._organisations if (m := next_digest_at(now, org))]
        return min(moments, default=None)

    async def run_due(self) -> int:
        """Send today's digests that are due and not yet sent; returns messages delivered.

        What happened to each manager's copy is recorded on the timeline of every incident
        it listed, so the evidence says who was told, not who should have been."""
        sent = 0
        for org in self._organisations:
            claimed = await self._claim(org)
            if claimed is None:
                continue
            incident_ids, copies, nudges = claimed
            for nudge in nudges:
                sent += await self._nudge(nudge, org)
            attempts = []
            for recipient, message in copies:
                if message is None:
                    outcome = Delivery.no_address("Noodrem", "no chat known yet")
                else:
                    outcome = await self._send(message, org)
                sent += outcome.ok
                attempts.append(Attempt(Purpose.DIGEST, recipient, Via.DIRECT, outcome))
            await self._record(incident_ids, attempts)
        return sent

    async def _send(self, message: Outbound, org: Organisation) -> Delivery:
        try:
            return await self._notifier.deliver(message)
        except Exception as exc:  # a Notifier should not raise; record it if one does
            log.exception("could not deliver the digest of %s", org.id)
            return Delivery.failed(message.address.channel.value, type(exc).__name__)

    async def _record(self, incident_ids: list[str], attempts: list[Attempt]) -> None:
        now = self._clock.now()
        async with self._store.transaction() as tx:
            for incident_id in sorted(incident_ids):
                await tx.get_incident(incident_id, lock=True)
                for attempt in attempts:
                    await append_event(
                        tx,
                        incident_id,
                        DeliveryAttempted.of(attempt),
                        at=now,
                        actor=SYSTEM_ACTOR,
                        actor_name="Noodrem",
                    )

    async def _nudge(self, nudge: Nudge, org: Organisation) -> int:
        """Send one quiet incident's nudge to its lead and record that, and what happened
        to it, on its timeline; 1 when delivered."""
        if nudge.message is None:
            outcome = Delivery.no_address("Noodrem", "no chat known yet")
        else:
            outcome = await self._send(nudge.message, org)
        attempt = Attempt(Purpose.NUDGE, nudge.lead, Via.DIRECT, outcome)
        now = self._clock.now()
        async with self._store.transaction() as tx:
            await tx.get_incident(nudge.incident_id, lock=True)
            for event in (
                QuietNudged(quiet_since=nudge.quiet_since),
                DeliveryAttempted.of(attempt),
            ):
                await append_event(
                    tx, nudge.incident_id, event, at=now, actor=SYSTEM_ACTOR, actor_name="Noodrem"
                )
        return int(outcome.ok)

    async def _quiet(
        self, tx: Transaction, org: Organisation, incident: Incident, now: datetime
    ) -> Nudge | None:
        """The nudge for an incident nobody did anything in for ``quiet_after`` (system
        messages do not count), unless its lead was nudged less than that ago."""
        events = await tx.get_events(incident.id)
        people = [e.at for e in events if e.actor != SYSTEM_ACTOR]
        nudged = [e.at for e in events if isinstance(of(e), QuietNudged)]
        last = max(people, default=incident.reported_at)
        wait = org.digest.quiet_after
        if now - last < wait or (nudged and now - max(nudged) < wait):
            return None
        lang = "en" if incident.lang == "en" else "nl"
        reply = Reply(
            kind=ReplyKind.QUESTION,
            text=t(
                "quiet_nudge",
                lang,
                incident_id=incident.id,
                since=clock_time(last, tz=org.tz, now=now, lang=lang),
                days=(now - last).days,
            ),
            buttons=(
                Button(t("btn_status", lang), ShowStatus(incident.id)),
                Button(t("btn_close", lang), Close(incident.id)),
            ),
            incident_id=incident.id,
        )
        stored = await tx.get_address(incident.lead)
        people_in = {p.user_key: p.name for p in await tx.get_participants(incident.id)}
        return Nudge(
            incident_id=incident.id,
            lead=Recipient(incident.lead, people_in.get(incident.lead, incident.lead)),
            message=Outbound(address_from_json(stored), (reply,)) if stored else None,
            quiet_since=last,
        )

    async def _claim(
        self, org: Organisation
    ) -> tuple[list[str], list[tuple[Recipient, Outbound | None]], list[Nudge]] | None:
        """Today's digest of ``org`` if it is due and not yet claimed: the incidents it
        lists, per manager the message (None: no chat of theirs known yet), and the
        nudges for the leads of incidents that have gone quiet."""
        now = self._clock.now()
        moment = digest_moment(now, org)
        if moment is None or now < moment or not org.managers:
            return None
        day = now.astimezone(org.tz).date().isoformat()
        async with self._store.transaction() as tx:
            # Claimed before sending: a crash in between loses one digest rather than
            # sending it twice from two processes.
            if not await tx.claim_inbound(
                channel=CLAIM_CHANNEL, event_id=f"{org.id}:{day}", at=now
            ):
                return None
            incidents = await tx.open_incidents(org_id=org.id)
            follow_ups = await self._open_follow_ups(tx, org)
            if not incidents and not follow_ups:
                return None
            reply = await self._digest(tx, org, incidents, now)
            if follow_ups:
                reply = self._with_follow_ups(reply, org, follow_ups, now, count=len(incidents))
            copies: list[tuple[Recipient, Outbound | None]] = []
            for manager in org.managers:
                key = org.manager_key(manager)
                stored = await tx.get_address(key)
                message = Outbound(address_from_json(stored), (reply,)) if stored else None
                copies.append((Recipient(key, manager.name), message))
            nudges = [n for i in incidents if (n := await self._quiet(tx, org, i, now))]
            listed = dict.fromkeys(
                [*(i.id for i in incidents), *(f.incident_id for f in follow_ups)]
            )
            return list(listed), copies, nudges

    async def _open_follow_ups(self, tx: Transaction, org: Organisation) -> list[FollowUp]:
        """The follow-ups of ``org``'s incidents not done yet, soonest due first."""
        orgs: dict[str, bool] = {}
        mine = []
        for follow_up in await tx.open_follow_ups():
            if follow_up.incident_id not in orgs:
                incident = await tx.get_incident(follow_up.incident_id)
                orgs[follow_up.incident_id] = (
                    incident is not None and self._organisations.of_incident(incident).id == org.id
                )
            if orgs[follow_up.incident_id]:
                mine.append(follow_up)
        return mine

    def _with_follow_ups(
        self, reply: Reply, org: Organisation, follow_ups: list[FollowUp], now: datetime, *,
        count: int,
    ) -> Reply:  # fmt: skip
        """The digest with the open follow-ups below the open incidents (or alone)."""
        lang = org.language
        lines = [t("digest_follow_ups", lang)]
        for follow_up in follow_ups:
            spec = self._playbooks[follow_up.plan].follow_up(follow_up.follow_up_id)
            lines.append(
                t(
                    "digest_follow_up_overdue" if follow_up.due_at <= now else "digest_follow_up",
                    lang,
                    incident_id=follow_up.incident_id,
                    title=spec.title.get(lang),
                    owner=follow_up.owner_name,
                    time=clock_time(follow_up.due_at, tz=org.tz, now=now, lang=lang),
                )
            )
        text = "\n".join(lines)
        if count:
            return replace(reply, text=f"{reply.text}\n\n{text}")
        return replace(
            reply, text=text, title=t("digest_title_follow_ups", lang, count=len(follow_ups))
        )

    async def _digest(
        self, tx: Transaction, org: Organisation, incidents: list[Incident], now: datetime
    ) -> Reply:
        lang = org.language
        today = now.astimezone(org.tz).date()
        parts = []
        for incident in incidents:
            playbook = combine_ids(
                [p.playbook_id for p in incident.plan_list()],
                main=incident.playbook_id,
                playbooks=self._playbooks,
            )
            steps = await tx.get_steps(incident.id)
            lines = [
                cards.incident_summary(
                    incident=incident,
                    title=cards.plans_title(incident, self._playbooks, lang),
                    playbook=playbook,
                    steps=steps,
                    org=org,
                    now=now,
                    lang=lang,
                )
            ]
            due_today = [
                s
                for s in steps
                if s.status in (StepStatus.OPEN, StepStatus.BLOCKED)
                and s.due_at.astimezone(org.tz).date() <= today
            ]
            lines.extend(
                t(
                    "digest_due",
                    lang,
                    title=playbook.step(s.step_id).title.get(lang),
                    time=clock_time(s.due_at, tz=org.tz, now=now, lang=lang),
                )
                for s in sorted(due_today, key=lambda s: s.due_at)
            )
            parts.append("\n".join(lines))
        return Reply(
            kind=ReplyKind.TEXT,
            text="\n\n".join(parts),
            title=t("digest_title", lang, count=len(incidents)),
        )
