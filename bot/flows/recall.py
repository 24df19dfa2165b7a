"""The money until it is back or lost: the recall status of a payment and its check-ins.

The playbook's bank step (its ``recall`` block) names the facts that make up the payment.
Once that step is done the person records what the bank said (``RecallStatus``); while
the recall is not settled, a check-in (a ``recall_check`` deadline row, so it survives a
restart) asks them every ``check_in_every`` to ask their bank again, with the statuses it
can move to as buttons. Each change is one ``recall_status_changed`` event, so the hash
chain is the history; the ``payments`` table holds the state as it is now.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot import cards
from bot.answers import AnswerError, parse_answer
from bot.answers.money import stored_money_text
from bot.events import RecallStatusChanged
from bot.flows import facts
from bot.flows.state import AwaitingReturnedAmount, Idle
from bot.flows.turn import Turn
from bot.i18n import t
from bot.messages import InputRequest, RecallUpdate, Reply, ReplyKind
from bot.payments import PAYMENT_ID, described
from bot.playbook import StepSpec
from bot.ports import (
    DeadlineKind,
    Incident,
    NewDeadline,
    Payment,
    RecallStatus,
    Step,
    StepStatus,
)
from bot.timefmt import clock_time

MAX_CASE_NUMBER = 40
"""Characters in a bank's case number: bank references are far shorter; a longer text
is a sentence typed into the wrong field, and it would not fit the file's first page."""
RETURNED_FIELD = "returned_amount"


def case_number_error(spec: StepSpec, record_id: str, text: str) -> str | None:
    """Why a typed case number cannot be kept (too long), as a text key; None if it can."""
    if spec.recall is None or spec.recall.case_number != record_id:
        return None
    return "recall_case_number_too_long" if len(text) > MAX_CASE_NUMBER else None


async def ask_status(turn: Turn, incident: Incident, spec: StepSpec, step: Step) -> None:
    """What did the bank say? Right after the bank step is done, and from the checklist."""
    if spec.recall is None:
        return
    current = await _current(turn, incident)
    if current is None:
        payment = described(
            turn.playbook_of(incident),
            spec,
            incident_id=incident.id,
            facts=await turn.tx.get_facts(incident.id),
            step=step,
            status=RecallStatus.ASKED_TO_STOP,
            at=turn.now,
            by=turn.actor,
        )
    else:
        payment = current
    turn.say(
        cards.recall_card(
            payment,
            incident=incident,
            org=turn.org,
            now=turn.now,
            lang=turn.lang,
            recorded=current is not None,
        )
    )


async def set_status(turn: Turn, action: RecallUpdate, form: dict[str, str]) -> None:
    """Record what the bank says now, if the recall can go there from where it stands."""
    incident = await turn.lock_incident(action.incident_id)
    await turn.ensure_participant(incident)
    playbook = turn.playbook_of(incident)
    spec = playbook.recall_step()
    step = await turn.tx.get_step(incident.id, spec.id) if spec is not None else None
    if (
        spec is None
        or step is None
        or spec.id != action.step_id
        or step.status is not StepStatus.DONE
    ):
        raise turn.fail("stale_button")
    if action.status is None:  # the checklist's button: where it stands, what can follow
        await ask_status(turn, incident, spec, step)
        return
    try:
        new = RecallStatus(action.status)
    except ValueError:
        raise turn.fail("stale_button") from None
    current = await _current(turn, incident)
    old = current.status if current is not None else None
    if current is not None and not current.status.can_become(new):
        await _refuse(turn, incident, spec, step, current, new)
        return
    payment = described(
        playbook,
        spec,
        incident_id=incident.id,
        facts=await turn.tx.get_facts(incident.id),
        step=step,
        status=new,
        at=turn.now,
        by=turn.actor,
    )
    if new is RecallStatus.PARTLY_RETURNED:
        returned = _returned_amount(turn, incident, spec, payment, form.get(RETURNED_FIELD))
        if returned is None:
            return
        payment.returned_amount = returned
    await turn.tx.save_payment(payment)
    await turn.record(incident.id, changed(payment, old))
    await turn.tx.cancel_deadlines(
        incident_id=incident.id, step_id=spec.id, kind=DeadlineKind.RECALL_CHECK
    )
    label = turn.t(f"recall.{new.value}")
    if new.settled:
        turn.say_text("recall_settled", status=label)
    else:
        at = await _plan_check_in(turn, incident, spec, step)
        when = clock_time(at, tz=turn.org.tz, now=turn.now, lang=turn.lang)
        turn.say_text("recall_recorded", status=label, time=when)
    await turn.tell(
        incident, "tell_recall", everyone=False, status=t(f"recall.{new.value}", incident.lang)
    )
    if isinstance(turn.pending, AwaitingReturnedAmount):
        turn.expect(Idle())
        await facts.resume(turn, incident)


async def resume_check_ins(turn: Turn, incident: Incident) -> None:
    """A reopened incident asks again about a recall that is still open."""
    spec = turn.playbook_of(incident).recall_step()
    step = await turn.tx.get_step(incident.id, spec.id) if spec is not None else None
    current = await _current(turn, incident)
    if spec is None or step is None or current is None or current.status.settled:
        return
    await _plan_check_in(turn, incident, spec, step)


async def _plan_check_in(turn: Turn, incident: Incident, spec: StepSpec, step: Step) -> datetime:
    """The next check-in, for the bank step's owner, one interval from now."""
    assert spec.recall is not None
    at = turn.now + spec.recall.check_in_every
    await turn.tx.add_deadlines(
        incident.id, [NewDeadline(spec.id, DeadlineKind.RECALL_CHECK, at, step.owner)]
    )
    turn.wake_times.append(at)
    return at


def changed(payment: Payment, old: RecallStatus | None) -> RecallStatusChanged:
    """The event: the change, and the payment as it was described at that moment."""
    return RecallStatusChanged(
        payment=payment.payment_id,
        step=payment.step_id,
        from_=old,
        to=payment.status,
        case_number=payment.case_number,
        returned_amount=payment.returned_amount,
        amount=payment.amount,
        paid=payment.paid,
        own_iban=payment.own_iban,
        receiving_iban=payment.receiving_iban,
        receiving_bank=payment.receiving_bank,
        payee=payment.payee,
    )


async def _current(turn: Turn, incident: Incident) -> Payment | None:
    return next(
        (p for p in await turn.tx.get_payments(incident.id) if p.payment_id == PAYMENT_ID), None
    )


async def _refuse(
    turn: Turn, incident: Incident, spec: StepSpec, step: Step, current: Payment, new: RecallStatus
) -> None:
    """An old button, or a step back (returned → asked to stop): say where it stands."""
    old = current.status
    values = {
        "old": turn.t(f"recall.{old.value}"),
        "new": turn.t(f"recall.{new.value}"),
    }
    key = "recall_same" if old is new else "recall_impossible"
    text = turn.t(key, **values)
    final = not any(old.can_become(status) for status in RecallStatus)
    if final:
        text += " " + turn.t("recall_is_settled")
    turn.say(Reply(kind=ReplyKind.ERROR, text=text, incident_id=incident.id))
    if not final:
        await ask_status(turn, incident, spec, step)


def _returned_amount(
    turn: Turn, incident: Incident, spec: StepSpec, payment: Payment, raw: str | None
) -> str | None:
    """How much came back: an amount (more than nothing), less than was paid.
    Asks (again) and returns None while there is no such answer."""
    error: str | None = None
    if raw is not None and raw.strip():
        try:
            value = parse_answer("money", raw, lang=turn.lang, now=turn.now, tz=turn.org.tz).value
        except AnswerError as exc:
            error = exc.message
        else:
            error = _compare(turn, value, payment.amount)
            if error is None:
                return value
    if error is not None:
        turn.say(Reply(kind=ReplyKind.ERROR, text=error, incident_id=incident.id))
    submit = RecallUpdate(incident.id, spec.id, RecallStatus.PARTLY_RETURNED.value)
    turn.expect(AwaitingReturnedAmount(incident.id, spec.id))
    label = turn.t("recall_ask_returned")
    turn.say(
        Reply(
            kind=ReplyKind.QUESTION,
            text=label,
            incident_id=incident.id,
            inputs=(InputRequest(RETURNED_FIELD, label, submit),),
        )
    )
    return None


def _compare(turn: Turn, returned: str, paid: str | None) -> str | None:
    """Partly is less than all of it: "returned" is the button for all of it."""
    amount, _, currency = returned.partition(" ")  # more than 0: the money parser says so
    if not paid:
        return None
    paid_amount, _, paid_currency = paid.partition(" ")
    if currency == paid_currency and Decimal(amount) >= Decimal(paid_amount):
        return turn.t("recall_returned_all", paid=stored_money_text(paid, turn.lang))
    return None
