"""Organisations in the database: each one's config entry as a JSON document.

Until now the organisations came from a YAML file read once at start; now they are rows a
command changes at run time, which every replica picks up. ``version`` grows with every
change (one per row written; a removal empties ``document`` and takes a version too), so
``max(version)`` is all a process reads to know it must reload. The file seeds an empty
table at the first start. A new table only: existing rows are untouched.

Revision ID: r0011_organisations
Revises: r0009_slack_installations
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0011_organisations"
down_revision = "r0009_slack_installations"
branch_labels = None
depends_on = None

# storage.models.UTCDateTime as DDL: timestamptz on PostgreSQL, fixed-width text on SQLite.
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(27), "sqlite")


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("version", name=op.f("uq_organisations_version")),
    )


def downgrade() -> None:
    op.drop_table("organisations")
