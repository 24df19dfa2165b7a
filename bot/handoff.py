"""Handing an incident to the organisation's IT provider, by e-mail and/or a signed webhook.

A step that declares ``handoff`` gets a button; pressing it freezes what is handed over
(the facts, the step's checklist) into one outbox row per transport (``storage.handoffs``),
claimed by that turn, which sends them after its commit (``send_now``). A failed try goes
back to the outbox with the next wait of the organisation's ``handoff`` policy; the
scheduler's tick sends what is due (``run_due``), also after a restart. Every try is a
``delivery_attempted`` event (purpose ``handoff``, via ``mail`` or ``webhook``); when the
tries run out the row is ``failed``, ``handoff_failed`` is recorded and the incident lead is
told in the chat. The IT provider acknowledges with the signed link in the mail or a signed
callback (``bot/channels/handoff_ack.py``): ``handoff_acknowledged``, with its time and who.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot import signing
from bot.delivery import Attempt, Purpose, Recipient, Via, retry_delay
from bot.events import (
    AckVia,
    DeliveryAttempted,
    EventData,
    HandoffAcknowledged,
    HandoffFailed,
    append_event,
)
from bot.evidence.describe import answer_text
from bot.flows.turn import SYSTEM_ACTOR
from bot.i18n import t
from bot.mail import Mailer
from bot.messages import (
    Button,
    Lang,
    Outbound,
    Reply,
    ReplyKind,
    StepShow,
    address_from_json,
)
from bot.organisation import Organisation, Organisations
from bot.playbook import ORG_CONTACT_IDS, Handoff, OrgContactKind, Playbook, StepSpec
from bot.ports import (
    Clock,
    Delivery,
    Fact,
    FactStatus,
    HandoffMessage,
    HandoffSender,
    HandoffStatus,
    HandoffTry,
    Incident,
    NewHandoff,
    Notifier,
    Store,
    Transaction,
    Transport,
)
from bot.timefmt import clock_time

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than a batch of BATCH tries that all time out
BATCH = 5
WEBHOOK_TIMEOUT = aiohttp.ClientTimeout(total=10)
LINK_TTL = timedelta(days=14)
"""How long the acknowledgement link in a mail is valid, counted from the send."""
SIGNATURE_HEADER = "X-Noodrem-Signature"
TIMESTAMP_HEADER = "X-Noodrem-Timestamp"
CALLBACK_PATH = "/api/handoff/ack"
LINK_PATH = "/handoff/ack/{handoff_id}"
PLATFORM = "Webhook"


VIA: dict[Transport, Via] = {Transport.MAIL: Via.MAIL, Transport.WEBHOOK: Via.WEBHOOK}


def signed_part(timestamp: str, body: bytes) -> bytes:
    """``<timestamp>.<body>``: the timestamp is signed too, so a captured request cannot
    be replayed later under a new one."""
    return timestamp.encode() + b"." + body


def webhook_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Noodrem-Signature`` header: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + signing.sign(secret, signed_part(timestamp, body))


def link_message(handoff_id: int, expires: int) -> bytes:
    return f"handoff:{handoff_id}:{expires}".encode()


def routes(
    handoff: Handoff, org: Organisation, sender: HandoffSender | None
) -> list[tuple[Transport, str]]:
    """Where a step's hand-off can go here: the contact's e-mail (when this installation
    sends mail) and its webhook; nowhere without a sender."""
    contact = org.contacts.get(handoff.to.contact)
    if contact is None or sender is None:
        return []
    found: list[tuple[Transport, str]] = []
    if contact.email and sender.sends_mail:
        found.append((Transport.MAIL, contact.email))
    if contact.webhook_url:
        found.append((Transport.WEBHOOK, contact.webhook_url))
    return found


def shown_recipient(transport: Transport, recipient: str) -> str:
    """What the timeline says it went to: the address, or only the webhook's host (a URL
    path may carry a token)."""
    return recipient if transport is Transport.MAIL else urlsplit(recipient).netloc


def compose(
    *,
    handoff: Handoff,
    spec: StepSpec,
    playbook: Playbook,
    incident: Incident,
    org: Organisation,
    facts: Mapping[str, Fact],
    lead_name: str,
    requested_by: str,
) -> dict[str, Any]:
    """What is handed over, frozen when the person asks: the facts as they read now and
    the step's checklist, in the incident's language."""
    lang: Lang = "en" if incident.lang == "en" else "nl"
    contact = org.contacts.get(handoff.to.contact)
    fact_items = []
    for fact_spec in playbook.facts:
        fact = facts.get(fact_spec.id)
        answered = fact is not None and fact.status is FactStatus.ANSWERED and fact.value
        value = fact.value if answered and fact is not None else None
        text = (
            answer_text(fact_spec, value, value, lang=lang, tz=org.tz)
            if value is not None
            else t("handoff_fact_unknown", lang)
        )
        fact_items.append(
            {"id": fact_spec.id, "label": fact_spec.label(lang), "value": value, "text": text}
        )
    return {
        "to": handoff.to.value,
        "to_name": contact.name if contact is not None else handoff.to.value,
        "lang": lang,
        "organisation": {"id": org.id, "name": org.name},
        "incident_id": incident.id,
        "plan": {"id": playbook.id, "title": playbook.title.get(lang)},
        "step": {"id": spec.id, "title": spec.title.get(lang)},
        "reported_at": incident.reported_at.isoformat(),
        "reported_by": incident.reporter_name,
        "lead": lead_name,
        "requested_by": requested_by,
        "facts": fact_items,
        "checklist": [item.get(lang) for item in handoff.checklist],
    }


def new_handoffs(
    step_id: str, content: dict[str, Any], found: Sequence[tuple[Transport, str]]
) -> list[NewHandoff]:
    return [NewHandoff(step_id, transport, to, content) for transport, to in found]


@dataclass(frozen=True, slots=True)
class _Notice:
    message: Outbound
    direct: bool  # to the lead's own chat; else the incident's chat


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What an acknowledgement did: ``first`` is False for a repeat (nothing recorded)."""

    handoff: HandoffMessage
    at: datetime
    first: bool


class Handoffs:
    """The outbox worker: sends hand-off messages, records every try, tells the lead."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        organisations: Organisations,
        playbooks: Mapping[str, Playbook],
        notifier: Notifier,
        mailer: Mailer | None,
        secret: bytes,
        public_url: str,
        env: Mapping[str, str],
    ) -> None:
        self._store = store
        self._clock = clock
        self._organisations = organisations
        self._playbooks = playbooks
        self._notifier = notifier
        self.mailer = mailer
        self._secret = secret
        self._public_url = public_url.rstrip("/")
        self._env = env
        self._http: aiohttp.ClientSession | None = None
        self._running = False

    @property
    def store(self) -> Store:
        return self._store

    @property
    def sends_mail(self) -> bool:
        return self.mailer is not None

    # What the app checks at start ---------------------------------------------------
    @staticmethod
    def missing_secrets(organisations: Organisations, env: Mapping[str, str]) -> list[str]:
        """The environment variables an organisation's webhook needs but that are unset."""
        names = [
            contact.webhook_secret_env
            for org in organisations
            for contact in org.contacts.values()
            if contact.webhook_url and contact.webhook_secret_env
        ]
        return sorted({name for name in names if name and not env.get(name)})

    def webhook_secret(self, org: Organisation, to: str) -> bytes | None:
        contact = org.contacts.get(OrgContactKind(to)) if to in ORG_CONTACT_IDS else None
        name = contact.webhook_secret_env if contact is not None else None
        value = self._env.get(name) if name else None
        return value.encode() if value else None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    # Sending --------------------------------------------------------------------------
    async def send_now(self, handoff_ids: Sequence[int]) -> list[HandoffTry]:
        """The rows a turn just stored (claimed by it): send and record them now."""
        async with self._store.transaction() as tx:
            rows = [await tx.get_handoff(i) for i in handoff_ids]
        claimed = [r for r in rows if r is not None and r.status is HandoffStatus.CLAIMED]
        return [await self._handle(message) for message in claimed]

    async def run_due(self) -> int:
        """Send every due row (the scheduler's tick); how many were tried."""
        if self._running:
            return 0
        self._running = True
        handled = 0
        try:
            while True:
                now = self._clock.now()
                async with self._store.transaction() as tx:
                    claimed = await tx.claim_due_handoffs(
                        now=now, lease_until=now + LEASE, limit=BATCH
                    )
                for message in claimed:
                    await self._handle(message)
                handled += len(claimed)
                if len(claimed) < BATCH:
                    return handled
        finally:
            self._running = False

    async def next_due(self) -> datetime | None:
        async with self._store.transaction() as tx:
            return await tx.next_handoff_at()

    async def _handle(self, message: HandoffMessage) -> HandoffTry:
        async with self._store.transaction() as tx:
            incident = await tx.get_incident(message.incident_id)
        if incident is None:  # cannot happen with the foreign key; say so rather than crash
            raise LookupError(f"hand-off {message.id} names no incident")
        org = self._organisations.of_incident(incident)
        outcome = await self._send(message, org)
        return await self._record(message, incident, org, outcome)

    async def _send(self, message: HandoffMessage, org: Organisation) -> Delivery:
        attempt = message.attempts + 1
        try:
            if message.transport is Transport.MAIL:
                if self.mailer is None:
                    return Delivery.no_address("SMTP", "SMTP_HOST not set")
                return await self.mailer.send(self._mail(message, org))
            return await self._post(message, org, attempt)
        except Exception as exc:  # a bug must not lose the row: it is recorded as a failure
            log.exception("could not send hand-off %s", message.id)
            return Delivery.failed(message.transport.value, type(exc).__name__)

    def _mail(self, message: HandoffMessage, org: Organisation) -> EmailMessage:
        content = message.content
        lang = str(content.get("lang", "nl"))
        now = self._clock.now()
        expires = int((now + LINK_TTL).timestamp())
        sig = signing.sign(self._secret, link_message(message.id, expires))
        link = self._public_url + LINK_PATH.format(handoff_id=message.id)
        link += f"?expires={expires}&sig={sig}"
        facts = "\n".join(f"- {f['label']}: {f['text']}" for f in content.get("facts", []))
        checklist = "\n".join(f"- [ ] {item}" for item in content.get("checklist", []))
        reported = datetime.fromisoformat(str(content["reported_at"]))
        body = t(
            "handoff_mail_body",
            lang,
            to_name=content.get("to_name"),
            org=org.name,
            incident_id=content.get("incident_id"),
            plan=content["plan"]["title"],
            step=content["step"]["title"],
            reported=clock_time(reported, tz=org.tz, now=reported, lang=lang),
            reported_by=content.get("reported_by"),
            lead=content.get("lead"),
            requested_by=content.get("requested_by"),
            facts=facts,
            checklist=checklist,
            link=link,
            valid_until=clock_time(now + LINK_TTL, tz=org.tz, now=now, lang=lang),
        )
        mail = EmailMessage()
        mail["To"] = message.recipient
        mail["Subject"] = t(
            "handoff_mail_subject", lang, org=org.name, incident_id=content.get("incident_id")
        )
        mail.set_content(body)
        return mail

    async def _post(self, message: HandoffMessage, org: Organisation, attempt: int) -> Delivery:
        secret = self.webhook_secret(org, str(message.content.get("to")))
        if secret is None:
            return Delivery.no_address(PLATFORM, "webhook secret not set")
        body = json.dumps(
            {
                "type": "noodrem.handoff",
                "handoff_id": message.id,
                "attempt": attempt,
                **message.content,
                "acknowledge": {"url": self._public_url + CALLBACK_PATH, "method": "POST"},
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
        }
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=WEBHOOK_TIMEOUT)
        try:
            async with self._http.post(message.recipient, data=body, headers=headers) as reply:
                if 200 <= reply.status < 300:
                    return Delivery.delivered()
                return Delivery.failed(PLATFORM, f"HTTP {reply.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The class names the failure; its text may hold the URL (and a token in it).
            return Delivery.failed(PLATFORM, type(exc).__name__)

    # Recording ------------------------------------------------------------------------
    async def _record(
        self, message: HandoffMessage, incident: Incident, org: Organisation, outcome: Delivery
    ) -> HandoffTry:
        now = self._clock.now()
        policy = org.handoff
        attempt = message.attempts + 1
        next_at: datetime | None = None
        if outcome.ok:
            status = HandoffStatus.DELIVERED
        elif attempt < policy.attempts:
            status = HandoffStatus.PENDING
            next_at = now + retry_delay(attempt, policy.retry_after)
        else:
            status = HandoffStatus.FAILED
        content = message.content
        to_name = str(content.get("to_name", ""))
        notice: _Notice | None = None
        async with self._store.transaction() as tx:
            await tx.get_incident(incident.id, lock=True)
            await tx.record_handoff_try(
                message.id,
                status=status,
                attempts=attempt,
                at=now,
                due_at=next_at or now,
                error=outcome.error,
            )
            tried = Attempt(
                purpose=Purpose.HANDOFF,
                recipient=Recipient(
                    str(content.get("to")),
                    f"{to_name} ({shown_recipient(message.transport, message.recipient)})",
                ),
                via=VIA[message.transport],
                outcome=outcome,
                attempt=attempt,
                attempts=policy.attempts,
                step=message.step_id,
                handoff=message.id,
            )
            await _event(tx, incident.id, DeliveryAttempted.of(tried, next_attempt_at=next_at), now)
            if status is HandoffStatus.FAILED:
                await _event(
                    tx,
                    incident.id,
                    HandoffFailed(
                        step=message.step_id,
                        handoff=message.id,
                        via=VIA[message.transport],
                        to=_text(content.get("to")),
                        to_name=to_name,
                        attempts=attempt,
                        error=outcome.error,
                    ),
                    now,
                )
                notice = await self._lead_message(
                    tx,
                    incident,
                    message,
                    t(
                        "handoff_gave_up",
                        incident.lang,
                        to_name=to_name,
                        via=t(f"handoff_via_{message.transport.value}", incident.lang),
                        incident_id=incident.id,
                        step=content["step"]["title"],
                        n=attempt,
                        error=outcome.error or "?",
                    ),
                )
        if notice is not None:
            await self._tell(incident, notice)
        return HandoffTry(message.transport, outcome, next_at, attempt, policy.attempts)

    async def acknowledge(self, handoff_id: int, *, via: AckVia, by: str) -> Acknowledged | None:
        """Record that the IT provider has the hand-off, once; tell the lead. None: no
        such hand-off."""
        now = self._clock.now()
        notice: _Notice | None = None
        async with self._store.transaction() as tx:
            message = await tx.get_handoff(handoff_id)
            if message is None:
                return None
            incident = await tx.get_incident(message.incident_id, lock=True)
            if incident is None:
                return None
            if not await tx.acknowledge_handoff(handoff_id, at=now):
                again = await tx.get_handoff(handoff_id)
                at = again.acknowledged_at if again is not None else None
                return Acknowledged(message, at or now, first=False)
            content = message.content
            await _event(
                tx,
                incident.id,
                HandoffAcknowledged(
                    step=message.step_id,
                    handoff=message.id,
                    via=via,
                    to=_text(content.get("to")),
                    to_name=_text(content.get("to_name")),
                    by=by,
                ),
                now,
            )
            org = self._organisations.of_incident(incident)
            notice = await self._lead_message(
                tx,
                incident,
                message,
                t(
                    "handoff_acknowledged",
                    incident.lang,
                    to_name=content.get("to_name"),
                    incident_id=incident.id,
                    step=content["step"]["title"],
                    time=clock_time(now, tz=org.tz, now=now, lang=incident.lang),
                    by=by,
                ),
            )
        await self._tell(incident, notice)
        return Acknowledged(message, now, first=True)

    async def _lead_message(
        self, tx: Transaction, incident: Incident, message: HandoffMessage, text: str
    ) -> _Notice:
        """For the lead's own chat, else the incident's chat; the step one tap away."""
        stored = await tx.get_address(incident.lead)
        address = address_from_json(stored if stored is not None else incident.conversation)
        step = await tx.get_step(incident.id, message.step_id)
        stamp = step.version if step is not None else 0
        reply = Reply(
            kind=ReplyKind.TEXT,
            text=text,
            incident_id=incident.id,
            buttons=(
                Button(
                    t("btn_open_step", incident.lang),
                    StepShow(incident.id, message.step_id, stamp),
                ),
            ),
        )
        return _Notice(Outbound(address, (reply,)), direct=stored is not None)

    async def _tell(self, incident: Incident, notice: _Notice) -> None:
        """Send it, then record what happened, as every message for someone else is."""
        try:
            outcome = await self._notifier.deliver(notice.message)
        except Exception as exc:  # a Notifier should not raise; record it if one does
            log.exception("could not tell the lead about a hand-off")
            outcome = Delivery.failed(notice.message.address.channel.value, type(exc).__name__)
        async with self._store.transaction() as tx:
            people = {p.user_key: p.name for p in await tx.get_participants(incident.id)}
            await tx.get_incident(incident.id, lock=True)
            attempt = Attempt(
                purpose=Purpose.HANDOFF_NOTICE,
                recipient=Recipient(incident.lead, people.get(incident.lead, incident.lead)),
                via=Via.DIRECT if notice.direct else Via.INCIDENT_CHAT,
                outcome=outcome,
            )
            await _event(tx, incident.id, DeliveryAttempted.of(attempt), self._clock.now())


async def _event(tx: Transaction, incident_id: str, event: EventData, now: datetime) -> None:
    await append_event(tx, incident_id, event, at=now, actor=SYSTEM_ACTOR, actor_name="Noodrem")


def _text(value: object) -> str | None:
    """A name or key from a hand-off's stored content (JSON), as the event records it."""
    return None if value is None else str(value)


def expired(expires: int, now: datetime) -> bool:
    return datetime.fromtimestamp(expires, UTC) <= now
