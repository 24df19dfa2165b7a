"""Baseline: exactly the schema of release 95b9a7c, the last one made by ``create_all``.

A database that release made has these tables and no ``alembic_version``; ``storage.schema``
stamps it with this revision instead of running it. The types are written out (not taken
from ``storage.models``) so that this file keeps meaning the same schema when models change.

Revision ID: 0001
Revises:
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# storage.models.UTCDateTime as DDL: timestamptz on PostgreSQL, fixed-width text on SQLite.
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(length=27), "sqlite")
# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TABLES = (
    "inbound_claims",
    "conversations",
    "addresses",
    "message_refs",
    "files",
    "incidents",
    "participants",
    "facts",
    "steps",
    "events",
    "deadlines",
    "outbox",
)


def upgrade() -> None:
    op.create_table(
        "addresses",
        sa.Column("user_key", sa.String(), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_addresses")),
    )
    op.create_table(
        "conversations",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_conversations")),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    op.create_index(op.f("ix_files_expires_at"), "files", ["expires_at"])

    op.create_table(
        "inbound_claims",
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", "event_id", name=op.f("pk_inbound_claims")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("playbook_id", sa.String(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reported_at", UTC_TIME, nullable=False),
        sa.Column("reported_by", sa.String(), nullable=False),
        sa.Column("reporter_name", sa.String(), nullable=False),
        sa.Column("lead", sa.String(), nullable=False),
        sa.Column("conversation", sa.JSON(), nullable=False),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("close_reason", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(
        op.f("ix_incidents_status_tenant_id_reported_at"),
        "incidents",
        ["status", "tenant_id", "reported_at"],
    )

    op.create_table(
        "message_refs",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("ref", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_message_refs")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_outbox_mailbox_id"), "outbox", ["mailbox", "id"])

    op.create_table(
        "deadlines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("step_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lease_until", UTC_TIME, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_deadlines_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
    )
    op.create_index(
        op.f("ix_deadlines_incident_id_step_id"), "deadlines", ["incident_id", "step_id"]
    )
    op.create_index(op.f("ix_deadlines_status_due_at"), "deadlines", ["status", "due_at"])
    op.create_index(op.f("ix_deadlines_status_lease_until"), "deadlines", ["status", "lease_until"])

    op.create_table(
        "events",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("actor_name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_events_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "seq", name=op.f("pk_events")),
    )
    op.create_table(
        "facts",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("fact_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_facts_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "fact_id", name=op.f("pk_facts")),
    )
    op.create_table(
        "participants",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("user_key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("joined_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_participants_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "user_key", name=op.f("pk_participants")),
    )
    op.create_index(op.f("ix_participants_user_key"), "participants", ["user_key"])

    op.create_table(
        "steps",
        sa.Column("incident_id", sa.String(), nullable=False),
        sa.Column("step_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", UTC_TIME, nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("done_at", UTC_TIME, nullable=True),
        sa.Column("done_by", sa.String(), nullable=True),
        sa.Column("done_by_name", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_steps_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("incident_id", "step_id", name=op.f("pk_steps")),
    )


def downgrade() -> None:
    # Children first: the foreign keys point at incidents.
    for table in reversed(TABLES):
        op.drop_table(table)
