"""Retention: index the times that old chat history and de-duplication rows are pruned by.

The scheduler deletes ``outbox`` rows older than the chat-history retention and
``inbound_claims`` rows older than the de-duplication retention, in bounded batches
(``storage.retention``). Without these indexes every batch would scan the whole table.

Revision ID: r0004_retention_indexes
Revises: r0003_incident_origin
Created: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "r0004_retention_indexes"
down_revision = "r0003_incident_origin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_outbox_created_at"), "outbox", ["created_at"])
    op.create_index(op.f("ix_inbound_claims_at"), "inbound_claims", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_claims_at"), table_name="inbound_claims")
    op.drop_index(op.f("ix_outbox_created_at"), table_name="outbox")
