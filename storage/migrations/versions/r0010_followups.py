"""Follow-ups: the prevention measures an incident's plans propose when it is closed.

One row per follow-up (four-eyes approval, calling back on a known number, MFA, ...):
which plan proposed it, its owner and due date, done or not. The timeline's
``follow_up_*`` events are its history; incidents closed before this revision proposed
none, so the table starts empty. The deadlines table gains no column: a follow-up's
reminders are rows of the kinds ``follow_up_soon``/``follow_up_due``, whose ``step_id``
is the follow-up's id.

Revision ID: r0010_followups
Revises: r0011_organisations
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0010_followups"
down_revision = "r0011_organisations"
branch_labels = None
depends_on = None

# storage.models.UTCDateTime as DDL: timestamptz on PostgreSQL, fixed-width text on SQLite.
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(length=27), "sqlite")


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("follow_up_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("owner_name", sa.String(), nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("proposed_at", UTC_TIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("done_at", UTC_TIME, nullable=True),
        sa.Column("done_by", sa.String(), nullable=True),
        sa.Column("done_by_name", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_follow_ups_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "follow_up_id", name=op.f("pk_follow_ups")),
    )
    op.create_index(op.f("ix_follow_ups_status_due_at"), "follow_ups", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_follow_ups_status_due_at"), table_name="follow_ups")
    op.drop_table("follow_ups")
