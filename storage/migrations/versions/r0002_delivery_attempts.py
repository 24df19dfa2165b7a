"""Deadlines remember which delivery attempt they are and whom a redirected one was for.

A failed reminder or escalation is retried as a new deadline row (``attempt`` 2, 3, ...);
after the last attempt it goes to the next person, and ``instead_of`` keeps the user key
it was meant for. Rows from before this revision are first attempts, never redirected.

Revision ID: r0002_delivery_attempts
Revises: 0001
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0002_delivery_attempts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "deadlines",
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
    )
    op.add_column("deadlines", sa.Column("instead_of", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deadlines") as batch:
        batch.drop_column("instead_of")
        batch.drop_column("attempt")
