"""Where an incident was opened, as indexed columns: "the open incidents of this chat"
(every typed status/stop/export/close) reads only those, not every open incident.

``incidents.origin_channel`` and ``incidents.origin_conversation`` copy the ``channel`` and
``conversation_id`` of the ``conversation`` JSON, filled here for the incidents that exist;
the index covers the lookup with its status filter.

Revision ID: r0003_incident_origin
Revises: r0002_delivery_attempts
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0003_incident_origin"
down_revision = "r0002_delivery_attempts"
branch_labels = None
depends_on = None

INDEX = "ix_incidents_origin_channel_origin_conversation_status"


def upgrade() -> None:
    op.add_column("incidents", sa.Column("origin_channel", sa.String(), nullable=True))
    op.add_column("incidents", sa.Column("origin_conversation", sa.String(), nullable=True))
    incidents = sa.table(
        "incidents",
        sa.column("id", sa.String()),
        sa.column("conversation", sa.JSON()),
        sa.column("origin_channel", sa.String()),
        sa.column("origin_conversation", sa.String()),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(incidents.c.id, incidents.c.conversation)).all()
    for incident_id, conversation in rows:
        conversation = conversation if isinstance(conversation, dict) else {}
        channel = conversation.get("channel")
        conversation_id = conversation.get("conversation_id")
        conn.execute(
            incidents.update()
            .where(incidents.c.id == incident_id)
            .values(
                origin_channel=channel if isinstance(channel, str) else None,
                origin_conversation=conversation_id if isinstance(conversation_id, str) else None,
            )
        )
    op.create_index(
        INDEX, "incidents", ["origin_channel", "origin_conversation", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("origin_conversation")
        batch.drop_column("origin_channel")
