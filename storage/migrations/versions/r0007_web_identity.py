"""Web chat sign-in: pending sign-ins (mailed links, OpenID Connect logins) and sessions.

``web_sign_ins`` keeps a hash of each mailed link's token or OIDC ``state``, never the
token; ``used_at`` makes it single use. ``web_sessions`` is the server side of a signed-in
browser's cookie (again only a hash), so logout and expiry hold on every replica.
New tables only: existing rows are untouched.

Revision ID: r0007_web_identity
Revises: r0004_retention_indexes
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0007_web_identity"
down_revision = "r0005_payments"
branch_labels = None
depends_on = None

# storage.models.UTCDateTime as DDL: timestamptz on PostgreSQL, fixed-width text on SQLite.
UTC_TIME = sa.DateTime(timezone=True).with_variant(sa.String(27), "sqlite")


def upgrade() -> None:
    op.create_table(
        "web_sign_ins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("nonce", sa.String(), nullable=True),
        sa.Column("code_verifier", sa.String(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("used_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sign_ins")),
    )
    op.create_index(
        op.f("ix_web_sign_ins_email_created_at"), "web_sign_ins", ["email", "created_at"]
    )
    op.create_index(op.f("ix_web_sign_ins_expires_at"), "web_sign_ins", ["expires_at"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("oid", sa.String(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_expires_at"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_web_sign_ins_expires_at"), table_name="web_sign_ins")
    op.drop_index(op.f("ix_web_sign_ins_email_created_at"), table_name="web_sign_ins")
    op.drop_table("web_sign_ins")
