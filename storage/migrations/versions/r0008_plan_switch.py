"""Several plans in one incident: an attempt that turns out paid switches plan, a hacked
mailbox adds one. Each step says which plan it comes from, and the incident lists its plans.

``steps.playbook_id`` is the plan of the step; ``incidents.plans`` is every plan of the
incident in the order they came in (``[{"id", "role", "since"}]``). Both are filled here
for the incidents that exist: one plan each, the main one, since the report.

Revision ID: r0008_plan_switch
Revises: r0004_retention_indexes
Created: 2026-12-03
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

from bot.chain import format_utc

revision = "r0008_plan_switch"
down_revision = "r0007_web_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("plans", sa.JSON(), nullable=True))
    op.add_column("steps", sa.Column("playbook_id", sa.String(), nullable=True))
    conn = op.get_bind()
    incidents = sa.table(
        "incidents",
        sa.column("id", sa.String()),
        sa.column("playbook_id", sa.String()),
        sa.column("reported_at"),
        sa.column("plans", sa.JSON()),
    )
    steps = sa.table("steps", sa.column("incident_id", sa.String()), sa.column("playbook_id"))
    rows = conn.execute(
        sa.select(incidents.c.id, incidents.c.playbook_id, incidents.c.reported_at)
    ).all()
    for incident_id, playbook_id, reported_at in rows:
        # PostgreSQL returns the time, SQLite the fixed-width UTC text it stores.
        since = format_utc(reported_at) if isinstance(reported_at, datetime) else reported_at
        conn.execute(
            incidents.update()
            .where(incidents.c.id == incident_id)
            .values(plans=[{"id": playbook_id, "role": "main", "since": since}])
        )
        conn.execute(
            steps.update().where(steps.c.incident_id == incident_id).values(playbook_id=playbook_id)
        )
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column("plans", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("steps") as batch:
        batch.alter_column("playbook_id", existing_type=sa.String(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("playbook_id")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("plans")
