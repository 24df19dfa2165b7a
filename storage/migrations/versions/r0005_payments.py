"""Payments and their recall status: the state the recall check-ins read.

One row per payment to a fraudster: amount, time, own and receiving account, the bank's
case number and where the recall stands (``bot.ports.RecallStatus``). The timeline's
``recall_status_changed`` events are its history; incidents from before this revision
have no payments, so the table starts empty.

Revision ID: r0005_payments
Revises: r0004_retention_indexes
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0005_payments"
down_revision = "r0006_handoff"
branch_labels = None
depends_on = None

# storage.models.UTCDateTime as DDL: timestamptz on PostgreSQL, fixed-width text on SQLite.
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(length=27), "sqlite")


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("payment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("step_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.String(), nullable=True),
        sa.Column("paid", UTC_TIME, nullable=True),
        sa.Column("own_iban", sa.String(length=34), nullable=True),
        sa.Column("receiving_iban", sa.String(length=34), nullable=True),
        sa.Column("receiving_bank", sa.String(), nullable=True),
        sa.Column("payee", sa.String(), nullable=True),
        sa.Column("case_number", sa.String(), nullable=True),
        sa.Column("returned_amount", sa.String(), nullable=True),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_payments_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "payment_id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_status"), "payments", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_status"), table_name="payments")
    op.drop_table("payments")
