"""Hand-offs: the durable outbox of mail and webhooks to the IT provider.

A step can hand the incident to the organisation's IT provider; each message (one per
transport) is a row here until it is delivered or its tries run out, claimed with a lease
like a deadline, so a restart or a crash loses none. Existing databases get the empty table.

Revision ID: r0006_handoff
Revises: r0004_retention_indexes
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0006_handoff"
down_revision = "r0004_retention_indexes"
branch_labels = None
depends_on = None

# As r0001: storage.models.UTCDateTime as DDL, and the id SQLite auto-increments.
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(length=27), "sqlite")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("step_id", sa.String(), nullable=False),
        sa.Column("transport", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("lease_until", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("delivered_at", UTC_TIME, nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("acknowledged_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_handoffs_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index(op.f("ix_handoffs_status_due_at"), "handoffs", ["status", "due_at"])
    op.create_index(op.f("ix_handoffs_status_lease_until"), "handoffs", ["status", "lease_until"])
    op.create_index(op.f("ix_handoffs_incident_id_step_id"), "handoffs", ["incident_id", "step_id"])


def downgrade() -> None:
    op.drop_table("handoffs")
