"""Payments and where their recall stands: one row per payment, overwritten on each change.

The history is the timeline's; this table answers "what is the status now" without
reading every event, for the check-ins and the chat.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import Payment, RecallStatus
from storage.models import PaymentRow
from storage.sql import AnyRow, insert

_PAYMENT = PaymentRow.__table__
_KEY = ("incident_id", "payment_id")


async def save(conn: AsyncConnection, *, payment: Payment) -> None:
    """Insert the payment, or overwrite its current state."""
    values = _values(payment)
    stmt = insert(conn, PaymentRow).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[PaymentRow.incident_id, PaymentRow.payment_id],
            set_={k: getattr(stmt.excluded, k) for k in values if k not in _KEY},
        )
    )


async def get_all(conn: AsyncConnection, *, incident_id: str) -> list[Payment]:
    stmt = (
        select(_PAYMENT)
        .where(PaymentRow.incident_id == incident_id)
        .order_by(PaymentRow.payment_id)
    )
    return [_payment(row) for row in await conn.execute(stmt)]


def _values(payment: Payment) -> dict[str, Any]:
    return {
        "incident_id": payment.incident_id,
        "payment_id": payment.payment_id,
        "step_id": payment.step_id,
        "status": payment.status.value,
        "amount": payment.amount,
        "paid": payment.paid,
        "own_iban": payment.own_iban,
        "receiving_iban": payment.receiving_iban,
        "receiving_bank": payment.receiving_bank,
        "payee": payment.payee,
        "case_number": payment.case_number,
        "returned_amount": payment.returned_amount,
        "updated_at": payment.updated_at,
        "updated_by": payment.updated_by,
    }


def _payment(row: AnyRow) -> Payment:
    return Payment(
        incident_id=row.incident_id,
        payment_id=row.payment_id,
        step_id=row.step_id,
        status=RecallStatus(row.status),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        amount=row.amount,
        paid=row.paid,
        own_iban=row.own_iban,
        receiving_iban=row.receiving_iban,
        receiving_bank=row.receiving_bank,
        payee=row.payee,
        case_number=row.case_number,
        returned_amount=row.returned_amount,
    )
