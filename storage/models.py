"""The tables, as SQLAlchemy 2 declarative classes.

These classes describe the schema and give the data-access modules typed column names;
rows are always turned into the plain records of ``bot.ports`` before they leave
``storage``, so nothing outside it ever sees a SQLAlchemy object. Enum-valued columns are
plain strings (not database enums) so adding a value never needs a schema migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from bot.chain import format_utc, parse_utc


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime with microseconds, on every database.

    PostgreSQL gets ``TIMESTAMP WITH TIME ZONE``. SQLite has no time type, so it gets
    ``format_utc`` text: fixed width, so ``ORDER BY`` and ``<=`` on the text order by time.
    Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(27))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = format_utc(value)  # raises on a naive datetime
        return text if dialect.name == "sqlite" else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return parse_utc(value)
        stored: datetime = value  # PostgreSQL's driver gives an aware datetime
        return stored.astimezone(UTC)


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    # Named constraints, so a later migration tool can refer to them.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class InboundClaimRow(Base):
    """A platform event id already handled, so a redelivery is not handled twice."""

    __tablename__ = "inbound_claims"
    __table_args__ = (Index(None, "at"),)  # retention prunes by age

    channel: Mapped[str] = mapped_column(String, primary_key=True)
    event_id: Mapped[str] = mapped_column(String, primary_key=True)
    at: Mapped[datetime]


class ConversationRow(Base):
    __tablename__ = "conversations"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    state: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)


class AddressRow(Base):
    __tablename__ = "addresses"

    user_key: Mapped[str] = mapped_column(String, primary_key=True)
    address: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class MessageRefRow(Base):
    """Where an adapter posted a card, so it can update it in place later."""

    __tablename__ = "message_refs"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    ref: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class FileRow(Base):
    """A file handed out by a signed, expiring link (the evidence PDF where a chat cannot
    carry the file itself). Kept in the store so any replica can serve the link."""

    __tablename__ = "files"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    filename: Mapped[str] = mapped_column(String)
    content_type: Mapped[str] = mapped_column(String)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    owner: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class IncidentRow(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index(None, "org_id", "status", "reported_at"),
        Index(None, "origin_channel", "origin_conversation", "status"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    # The platform tenant it was opened in (Slack workspace, Entra tenant; the web chat's
    # organisation id): part of its people's user keys. Who may see it is ``org_id``.
    tenant_id: Mapped[str] = mapped_column(String)
    # The organisation it belongs to on every channel (r0012); NULL only for an incident
    # from before r0012 that no organisation serves (adopted once one does).
    org_id: Mapped[str | None] = mapped_column(String)
    playbook_id: Mapped[str] = mapped_column(String)
    lang: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    reported_at: Mapped[datetime]
    reported_by: Mapped[str] = mapped_column(String)
    reporter_name: Mapped[str] = mapped_column(String)
    lead: Mapped[str] = mapped_column(String)
    conversation: Mapped[dict[str, Any]]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String)
    # ``conversation``'s channel and conversation id, as columns with an index: "the open
    # incidents of this chat" must not read every open incident of the tenant.
    origin_channel: Mapped[str | None] = mapped_column(String)
    origin_conversation: Mapped[str | None] = mapped_column(String)
    # Every plan of the incident in the order they came in: [{"id", "role", "since"}];
    # ``playbook_id`` is the one whose role is "main".
    plans: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class ParticipantRow(Base):
    __tablename__ = "participants"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    user_key: Mapped[str] = mapped_column(String, primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String)
    joined_at: Mapped[datetime]


class FactRow(Base):
    __tablename__ = "facts"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    fact_id: Mapped[str] = mapped_column(String, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String)


class StepRow(Base):
    __tablename__ = "steps"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    step_id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    owner: Mapped[str] = mapped_column(String)
    playbook_id: Mapped[str] = mapped_column(String)  # the plan the step comes from
    version: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String)
    done_by_name: Mapped[str | None] = mapped_column(String)
    reason: Mapped[str | None] = mapped_column(String)
    records: Mapped[dict[str, Any]]


class FollowUpRow(Base):
    """A prevention measure proposed at the close, as it stands now (its history is the
    timeline's ``follow_up_*`` events)."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index(None, "status", "due_at"),)  # the open ones, across incidents

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    follow_up_id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    playbook_id: Mapped[str] = mapped_column(String)  # the plan that proposed it
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String)
    owner_name: Mapped[str] = mapped_column(String)
    due_at: Mapped[datetime]
    proposed_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String)
    done_by_name: Mapped[str | None] = mapped_column(String)


class EventRow(Base):
    """The append-only timeline; the primary key (incident_id, seq) forbids forks."""

    __tablename__ = "events"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String)
    actor_name: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    data: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class DeadlineRow(Base):
    __tablename__ = "deadlines"
    __table_args__ = (
        Index(None, "status", "due_at"),
        Index(None, "status", "lease_until"),
        Index(None, "incident_id", "step_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    step_id: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    recipient: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(16))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean)
    # A failed delivery is retried as a new row: its attempt number, and (when the retries
    # ran out and it went to the next person) whom it was meant for.
    attempt: Mapped[int] = mapped_column(Integer, server_default="1")
    instead_of: Mapped[str | None] = mapped_column(String)


class PaymentRow(Base):
    """A payment's recall as it stands now; its history is the timeline's
    ``recall_status_changed`` events."""

    __tablename__ = "payments"
    __table_args__ = (Index(None, "status"),)  # the unsettled ones, across incidents

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    payment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    step_id: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[str | None] = mapped_column(String)
    paid: Mapped[datetime | None]
    own_iban: Mapped[str | None] = mapped_column(String(34))
    receiving_iban: Mapped[str | None] = mapped_column(String(34))
    receiving_bank: Mapped[str | None] = mapped_column(String)
    payee: Mapped[str | None] = mapped_column(String)
    case_number: Mapped[str | None] = mapped_column(String)
    returned_amount: Mapped[str | None] = mapped_column(String)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String)


class OutboxRow(Base):
    """Web chat messages; the browser polls by mailbox for ids after the last it saw."""

    __tablename__ = "outbox"
    # AUTOINCREMENT: SQLite never reuses an id, so a reader's "after id" stays valid.
    __table_args__ = (
        Index(None, "mailbox", "id"),
        Index(None, "created_at"),  # retention prunes by age
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    mailbox: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]


class HandoffRow(Base):
    """The durable outbox of hand-offs (mail, webhook): a row stays until it is delivered
    or its tries ran out; claimed with a lease like a deadline, so a crash resends once."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index(None, "status", "due_at"),
        Index(None, "status", "lease_until"),
        Index(None, "incident_id", "step_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    step_id: Mapped[str] = mapped_column(String)
    transport: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String)
    content: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String)
    acknowledged_at: Mapped[datetime | None]


class PendingSignInRow(Base):
    """A mailed sign-in link or an OpenID Connect login under way; only a hash of the
    token (the link's, or the OIDC state) is kept. ``used_at`` makes it single use and
    stays, so the rate limit still counts a used link."""

    __tablename__ = "web_sign_ins"
    __table_args__ = (Index(None, "email", "created_at"), Index(None, "expires_at"))

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String)
    method: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String)
    nonce: Mapped[str | None] = mapped_column(String)
    code_verifier: Mapped[str | None] = mapped_column(String)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A signed-in browser, server side: logout and expiry hold on every replica."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index(None, "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String)
    email: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    oid: Mapped[str | None] = mapped_column(String)
    method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class OrganisationRow(Base):
    """An organisation's config entry as a JSON document. A removed one keeps its row with
    no document, so ``max(version)`` grows with every change, removals too: each process
    compares that one number to see that it must reload (``bot/organisation_store.py``)."""

    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    version: Mapped[int] = mapped_column(BigInteger)
    created_version: Mapped[int] = mapped_column(BigInteger)
    """The version that first wrote it: the order of the organisations (the first one is
    the default)."""
    updated_at: Mapped[datetime]


# Tables that a platform SDK reads and writes with its own SQL (slack_sdk's
# ``AsyncSQLAlchemyInstallationStore`` and ``AsyncSQLAlchemyOAuthStateStore``, wired in
# ``bot/channels/slack_oauth.py``). They are written out here, column for column as that
# SDK's ``build_installations_table`` / ``build_bots_table`` / ``build_oauth_states_table``
# make them, so that they are part of our schema and come from our migrations (r0009);
# ``tests/slack/test_slack_oauth.py`` fails when the SDK's definition drifts from these.
# Storage stays free of the SDK: to it these are plain tables. Their times are the SDK's
# naive UTC ``DateTime``, not ``UTCDateTime``: the SDK compares and writes them itself.

slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
