"""A payment as the plan describes it: the facts its recall step names, the IBAN facts
with an account role, and the case number the step recorded.

Shared by the recall flow (which records it) and the check-ins (which show it as the
facts say now, answered perhaps after the status was recorded).
"""

from __future__ import annotations

from datetime import datetime

from bot.answers.iban import bank_of
from bot.chain import parse_utc
from bot.playbook import AccountRole, Playbook, StepSpec
from bot.ports import Fact, FactStatus, Payment, RecallStatus, Step

PAYMENT_ID = 1
"""One payment per incident: the shipped plan's facts describe one (several are added up
in its amount question); the table and the events carry the number for more."""


def described(
    playbook: Playbook,
    spec: StepSpec,
    *,
    incident_id: str,
    facts: dict[str, Fact],
    step: Step,
    status: RecallStatus,
    at: datetime,
    by: str,
) -> Payment:
    """The payment as the facts and the step's records describe it now."""
    recall = spec.recall
    assert recall is not None

    def value(fact_id: str | None) -> str | None:
        fact = facts.get(fact_id) if fact_id else None
        return fact.value if fact is not None and fact.status is FactStatus.ANSWERED else None

    def account(role: AccountRole) -> str | None:
        fact = playbook.account_fact(role)
        return value(fact.id) if fact is not None else None

    paid_text = value(recall.paid)
    try:
        paid = parse_utc(paid_text) if paid_text else None
    except ValueError:  # "time unknown" is stored as a date: no time to show
        paid = None
    receiving = account(AccountRole.RECEIVING)
    case_number = step.records.get(recall.case_number) if recall.case_number else None
    return Payment(
        incident_id=incident_id,
        payment_id=PAYMENT_ID,
        step_id=spec.id,
        status=status,
        updated_at=at,
        updated_by=by,
        amount=value(recall.amount),
        paid=paid,
        own_iban=account(AccountRole.OWN),
        receiving_iban=receiving,
        receiving_bank=bank_of(receiving) if receiving else None,
        payee=value(recall.payee),
        case_number=case_number or None,
    )
