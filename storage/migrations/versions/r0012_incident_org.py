"""Each incident names its organisation: an organisation's managers see its incidents on
every channel (a web chat incident from Slack, a Teams one from the web), not only those
of the platform tenant they write from.

``incidents.org_id`` is the organisation; the index on (org_id, status, reported_at)
serves every "open incidents of the organisation" page and replaces the one on
(status, tenant_id, reported_at), which nothing filters by any more. A web chat
incident's tenant is its organisation's id, so it is filled here. Which organisation a
Slack workspace or Entra tenant belongs to is in the organisation documents, read by the
app's own rules (``Organisations.owner_of``: a sole organisation that names no ids of a
platform serves all of them), so the app adopts those incidents at its start
(``organisation_store.adopt_incidents``); one that no organisation serves keeps NULL,
which no one can reach, as before: its tenant is refused.

Revision ID: r0012_incident_org
Revises: r0010_followups
Created: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0012_incident_org"
down_revision = "r0010_followups"
branch_labels = None
depends_on = None

INDEX = "ix_incidents_org_id_status_reported_at"
TENANT_INDEX = "ix_incidents_status_tenant_id_reported_at"


def upgrade() -> None:
    op.add_column("incidents", sa.Column("org_id", sa.String(), nullable=True))
    incidents = sa.table(
        "incidents",
        sa.column("tenant_id", sa.String()),
        sa.column("org_id", sa.String()),
        sa.column("origin_channel", sa.String()),
    )
    op.get_bind().execute(
        incidents.update()
        .where(incidents.c.origin_channel == "web")
        .values(org_id=incidents.c.tenant_id)
    )
    op.create_index(INDEX, "incidents", ["org_id", "status", "reported_at"], unique=False)
    op.drop_index(TENANT_INDEX, table_name="incidents")


def downgrade() -> None:
    op.create_index(TENANT_INDEX, "incidents", ["status", "tenant_id", "reported_at"], unique=False)
    op.drop_index(INDEX, table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("org_id")
