"""Schema migrations: a fresh database gets exactly the models' schema, a database made by
release 95b9a7c (``create_all``, no version) is stamped with its data and chains intact,
and replicas upgrading at once both succeed.

``RELEASE_95B9A7C`` is that release's schema written out here, frozen: it must not follow
``storage.models``, because it stands for databases already deployed. When a later
revision changes a table, add its data to ``_fill_release_db``-style fixtures and assert
it survives, as the test of the old release does here.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    inspect,
)
from sqlalchemy.engine import Connection

from bot import chain
from bot.clock import ManualClock
from bot.evidence.jsonexport import event_json
from bot.evidence.verify import verify_document
from bot.ports import (
    LEAD,
    DeadlineKind,
    DeadlineStatus,
    FollowUp,
    FollowUpStatus,
    IncidentPlan,
    IncidentStatus,
    NewDeadline,
    NewHandoff,
    Payment,
    PendingSignIn,
    PlanRole,
    RecallStatus,
    SignInMethod,
    StepStatus,
    Transport,
    WebSession,
)
from bot.retention import Pruned, Retention
from storage import SqlStore, StoreError, create_store, schema
from storage.models import Base

T0 = datetime(2026, 11, 21, 19, 35, 51, 123456, tzinfo=UTC)

# The release's column types as DDL: timestamptz on PostgreSQL, 27 characters on SQLite.
_TIME = DateTime(timezone=True).with_variant(String(27), "sqlite")
_ID = BigInteger().with_variant(Integer(), "sqlite")


def _release_95b9a7c() -> MetaData:
    """What ``Base.metadata.create_all`` created at release 95b9a7c."""
    md = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )

    def col(name: str, type_: Any, *, pk: bool = False, null: bool = False) -> Column[Any]:
        return Column(name, type_, primary_key=pk, nullable=null)

    def incident_fk() -> Column[Any]:
        return Column("incident_id", String, ForeignKey("incidents.id"), primary_key=True)

    Table(
        "inbound_claims", md, col("channel", String, pk=True),
        col("event_id", String, pk=True), col("at", _TIME),
    )  # fmt: skip
    Table(
        "conversations", md, col("key", String, pk=True), col("state", JSON),
        col("version", Integer),
    )  # fmt: skip
    Table(
        "addresses", md, col("user_key", String, pk=True), col("address", JSON),
        col("updated_at", _TIME),
    )  # fmt: skip
    Table(
        "message_refs", md, col("key", String, pk=True), col("ref", JSON),
        col("updated_at", _TIME),
    )  # fmt: skip
    Table(
        "files", md, col("id", String(64), pk=True), col("filename", String),
        col("content_type", String), col("data", LargeBinary), col("owner", String),
        col("created_at", _TIME), col("expires_at", _TIME), Index(None, "expires_at"),
    )  # fmt: skip
    Table(
        "incidents", md, col("id", String, pk=True), col("tenant_id", String),
        col("playbook_id", String), col("lang", String(8)), col("status", String(16)),
        col("reported_at", _TIME), col("reported_by", String), col("reporter_name", String),
        col("lead", String), col("conversation", JSON), col("closed_at", _TIME, null=True),
        col("close_reason", String, null=True),
        Index(None, "status", "tenant_id", "reported_at"),
    )  # fmt: skip
    Table(
        "participants", md, incident_fk(),
        Column("user_key", String, primary_key=True, index=True),
        col("name", String), col("joined_at", _TIME),
    )  # fmt: skip
    Table(
        "facts", md, incident_fk(), col("fact_id", String, pk=True), col("status", String(16)),
        col("value", String, null=True), col("updated_at", _TIME), col("updated_by", String),
    )  # fmt: skip
    Table(
        "steps", md, incident_fk(), col("step_id", String, pk=True), col("position", Integer),
        col("status", String(16)), col("due_at", _TIME), col("owner", String),
        col("version", Integer), col("done_at", _TIME, null=True),
        col("done_by", String, null=True), col("done_by_name", String, null=True),
        col("reason", String, null=True), col("records", JSON),
    )  # fmt: skip
    Table(
        "events", md, incident_fk(), col("seq", Integer, pk=True), col("at", _TIME),
        col("actor", String), col("actor_name", String), col("kind", String), col("data", JSON),
        col("prev_hash", String(64)), col("hash", String(64)),
    )  # fmt: skip
    Table(
        "deadlines", md, Column("id", _ID, primary_key=True, autoincrement=True),
        Column("incident_id", String, ForeignKey("incidents.id"), nullable=False),
        col("step_id", String), col("kind", String(16)), col("due_at", _TIME),
        col("recipient", String), col("status", String(16)),
        col("lease_until", _TIME, null=True), col("sent_at", _TIME, null=True),
        col("late", Boolean), Index(None, "status", "due_at"),
        Index(None, "status", "lease_until"), Index(None, "incident_id", "step_id"),
    )  # fmt: skip
    Table(
        "outbox", md, Column("id", _ID, primary_key=True, autoincrement=True),
        col("mailbox", String), col("created_at", _TIME), col("payload", JSON),
        Index(None, "mailbox", "id"), sqlite_autoincrement=True,
    )  # fmt: skip
    return md


RELEASE_95B9A7C = _release_95b9a7c()


def _schema_of(conn: Connection) -> dict[str, Any]:
    """Everything about the tables a migration could get wrong, as comparable data."""
    insp = inspect(conn)
    tables: dict[str, Any] = {}
    for name in sorted(set(insp.get_table_names()) - {"alembic_version"}):
        pk = insp.get_pk_constraint(name)
        tables[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in insp.get_columns(name)
            ],
            "pk": (pk.get("name"), tuple(pk["constrained_columns"])),
            "fks": sorted(
                (fk.get("name") or "", tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in insp.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (ix["name"] or "", tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in insp.get_indexes(name)
            ),
        }
    if conn.dialect.name == "sqlite":  # the CREATE statements themselves, AUTOINCREMENT too
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') "
            "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY name"
        )
        tables["sqlite_master"] = [(n, " ".join(sql.split())) for n, sql in rows if sql]
    return tables


def _diff(conn: Connection) -> list[Any]:
    return list(
        compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    )


# (a) a fresh database ---------------------------------------------------------------------


async def test_fresh_database_upgrades_to_exactly_the_models(database_url: str) -> None:
    """The drift test: it fails when a model changes without a migration."""
    store = await create_store(database_url)
    try:
        assert await store.schema_revision() is None
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []
    finally:
        await store.close()


async def test_baseline_is_byte_for_byte_what_create_all_made(database_url: str) -> None:
    """Revision 0001 makes the same tables, types, keys and indexes as release 95b9a7c."""
    store = await create_store(database_url)
    try:

        def upgrade_to_baseline(conn: Connection) -> Any:
            from alembic import command

            command.upgrade(schema.config(conn), schema.BASELINE)
            return _schema_of(conn)

        migrated = await store.run_schema(upgrade_to_baseline)

        def recreate_with_create_all(conn: Connection) -> Any:
            for table in reversed(RELEASE_95B9A7C.sorted_tables):
                conn.exec_driver_sql(f"DROP TABLE {table.name}")
            conn.exec_driver_sql("DROP TABLE alembic_version")
            RELEASE_95B9A7C.create_all(conn)
            return _schema_of(conn)

        made = await store.run_schema(recreate_with_create_all)
    finally:
        await store.close()
    assert set(migrated) - {"sqlite_master"} == schema.BASELINE_TABLES
    assert migrated == made


async def test_upgrade_twice_changes_nothing(database_url: str) -> None:
    store = await create_store(database_url)
    try:
        await store.create_schema()
        before = await store.run_schema(_schema_of)
        await store.create_schema()
        assert await store.run_schema(_schema_of) == before
    finally:
        await store.close()


# (b) a database made by release 95b9a7c ---------------------------------------------------


def _time(conn: Connection, at: datetime) -> Any:
    return chain.format_utc(at) if conn.dialect.name == "sqlite" else at


async def _release_db_at_head(database_url: str) -> SqlStore:
    """A database with the release's schema and rows, upgraded to head, its schema checked
    against the models; the caller closes it."""
    old = await create_store(database_url)
    try:
        await old.run_schema(_fill_release_db)
    finally:
        await old.close()
    store = await create_store(database_url)
    try:
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []
    except BaseException:
        await store.close()
        raise
    return store


def _fill_release_db(conn: Connection) -> list[dict[str, Any]]:
    """Release 95b9a7c's tables with one incident and its timeline, written as that release
    wrote them; returns the events as stored."""
    RELEASE_95B9A7C.create_all(conn)
    t = RELEASE_95B9A7C.tables
    conn.execute(
        t["incidents"].insert(),
        {
            "id": "NR-OLD1",
            "tenant_id": "T1",
            "playbook_id": "paid-fraudster",
            "lang": "nl",
            "status": IncidentStatus.OPEN.value,
            "reported_at": _time(conn, T0),
            "reported_by": "slack:T1:U1",
            "reporter_name": "Anna",
            "lead": "slack:T1:U1",
            "conversation": {"channel": "slack", "tenant_id": "T1", "conversation_id": "C1"},
            "closed_at": None,
            "close_reason": None,
        },
    )
    conn.execute(
        t["steps"].insert(),
        {
            "incident_id": "NR-OLD1",
            "step_id": "call-bank",
            "position": 0,
            "status": StepStatus.OPEN.value,
            "due_at": _time(conn, T0 + timedelta(minutes=15)),
            "owner": "slack:T1:U1",
            "version": 1,
            "records": {},
        },
    )
    conn.execute(
        t["deadlines"].insert(),
        {
            "incident_id": "NR-OLD1",
            "step_id": "call-bank",
            "kind": "remind_before",
            "due_at": _time(conn, T0 + timedelta(minutes=10)),
            "recipient": "slack:T1:U1",
            "status": "pending",
            "lease_until": None,
            "sent_at": None,
            "late": False,
        },
    )
    conn.execute(
        t["outbox"].insert(),
        {"mailbox": "web:T1:u1", "created_at": _time(conn, T0), "payload": {"text": "hoi"}},
    )
    conn.execute(
        t["inbound_claims"].insert(),
        {"channel": "slack", "event_id": "Ev1", "at": _time(conn, T0)},
    )
    events: list[dict[str, Any]] = []
    prev = chain.GENESIS
    for seq, (kind, data) in enumerate(
        [
            ("incident_opened", {"playbook": "paid-fraudster", "text": "nepfactuur €4.312,50"}),
            ("fact_set", {"fact": "beneficiary_iban", "value": "NL91ABNA0417164300"}),
            ("step_done", {"step": "call-bank", "case": "ZAAK-ë-17"}),
        ],
        start=1,
    ):
        at = T0 + timedelta(seconds=seq, microseconds=seq)
        fields = {
            "incident_id": "NR-OLD1",
            "seq": seq,
            "at": at,
            "actor": "slack:T1:U1",
            "actor_name": "Anna",
            "kind": kind,
            "data": data,
            "prev_hash": prev,
        }
        prev = chain.event_hash(**fields)
        events.append({**fields, "hash": prev})
        conn.execute(t["events"].insert(), {**fields, "at": _time(conn, at), "hash": prev})
    return events


async def test_release_database_is_stamped_and_keeps_data_and_chain(database_url: str) -> None:
    old = await create_store(database_url)
    try:
        written = await old.run_schema(_fill_release_db)
    finally:
        await old.close()

    store = await create_store(database_url)  # what a start of the new release does
    try:
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []
        async with store.transaction() as tx:
            incident = await tx.get_incident("NR-OLD1")
            events = await tx.get_events("NR-OLD1")
            steps = await tx.get_steps("NR-OLD1")
            outbox = await tx.read_outbox(mailbox="web:T1:u1", after_id=0)
            redelivered = await tx.claim_inbound(channel="slack", event_id="Ev1", at=T0)
    finally:
        await store.close()
    assert incident is not None and incident.reported_at == T0
    assert [s.step_id for s in steps] == ["call-bank"]
    assert [(m.id, m.payload) for m in outbox] == [(1, {"text": "hoi"})]
    assert redelivered is False  # the de-duplication rows survived too
    assert [(e.seq, e.at, e.kind, e.data, e.hash) for e in events] == [
        (w["seq"], w["at"], w["kind"], w["data"], w["hash"]) for w in written
    ]
    verdict = verify_document({"events": [event_json(e) for e in events]})
    assert verdict.intact, verdict.message


async def test_r0002_release_deadlines_become_first_attempts_and_take_retries(
    database_url: str,
) -> None:
    """r0002 (delivery attempts): a deadline from before it is a first attempt meant for
    its own recipient; after it, a failed attempt's retry and redirect are stored."""
    old = await create_store(database_url)
    try:
        await old.run_schema(_fill_release_db)
    finally:
        await old.close()
    store = await create_store(database_url)
    try:
        await store.create_schema()
        now = T0 + timedelta(minutes=10)
        async with store.transaction() as tx:
            [claimed] = await tx.claim_due_deadlines(now=now, lease_until=now, limit=10)
            await tx.mark_deadline_sent(
                claimed.id, at=now, late=False, status=DeadlineStatus.FAILED
            )
            await tx.add_deadlines(
                "NR-OLD1",
                [
                    NewDeadline(claimed.step_id, claimed.kind, now, "slack:T1:U1", attempt=2),
                    NewDeadline(claimed.step_id, claimed.kind, now, LEAD, instead_of="x:y"),
                ],
            )
        async with store.transaction() as tx:
            rows = await tx.get_deadlines("NR-OLD1")
    finally:
        await store.close()
    assert (claimed.attempt, claimed.instead_of) == (1, None)
    assert [(r.status, r.recipient, r.attempt, r.instead_of) for r in rows] == [
        (DeadlineStatus.FAILED, "slack:T1:U1", 1, None),
        (DeadlineStatus.PENDING, "slack:T1:U1", 2, None),
        (DeadlineStatus.PENDING, LEAD, 1, "x:y"),
    ]


async def test_upgrade_fills_the_origin_of_existing_incidents(database_url: str) -> None:
    """r0003 (incident origin): an incident made before it is found by its chat."""
    old = await create_store(database_url)
    try:
        await old.run_schema(_fill_release_db)
    finally:
        await old.close()
    store = await create_store(database_url)
    try:
        await store.create_schema()
        async with store.transaction() as tx:  # as the app does at start (r0012)
            assert await tx.adopt_incidents("acme", ["NR-OLD1"]) == 1
        async with store.transaction() as tx:
            here = await tx.open_incidents_here(
                org_id="acme", channel="slack", conversation_id="C1"
            )
            elsewhere = await tx.open_incidents_here(
                org_id="acme", channel="slack", conversation_id="C2"
            )
            count = await tx.count_open_incidents(org_id="acme")
    finally:
        await store.close()
    assert [i.id for i in here] == ["NR-OLD1"]
    assert elsewhere == [] and count == 1


async def test_release_database_keeps_counting_ids_after_stamp(database_url: str) -> None:
    """Stamped, not re-created: a new outbox message gets the next id, not 1 again."""
    old = await create_store(database_url)
    try:
        await old.run_schema(_fill_release_db)
    finally:
        await old.close()
    store = await create_store(database_url)
    try:
        await store.create_schema()
        async with store.transaction() as tx:
            (new_id,) = await tx.put_outbox(
                mailbox="web:T1:u1", payloads=[{"text": "nieuw"}], at=T0
            )
    finally:
        await store.close()
    assert new_id == 2


async def test_database_with_only_some_tables_is_left_alone(database_url: str) -> None:
    store = await create_store(database_url)
    try:
        await store.run_schema(lambda conn: RELEASE_95B9A7C.tables["incidents"].create(conn))
        with pytest.raises(StoreError, match="some of Noodrem's tables") as caught:
            await store.create_schema()
        assert "outbox" in str(caught.value)
        assert await store.schema_revision() is None
    finally:
        await store.close()


async def test_database_from_a_newer_release_is_refused(database_url: str) -> None:
    store = await create_store(database_url)
    try:
        await store.create_schema()
        await store.run_schema(
            lambda conn: conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        )
        with pytest.raises(StoreError, match="revision 9999, which this version"):
            await store.create_schema()
    finally:
        await store.close()


# (c) replicas starting together -----------------------------------------------------------


async def test_concurrent_upgrades_of_a_fresh_database_both_succeed(database_url: str) -> None:
    stores: list[SqlStore] = [await create_store(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(s.create_schema() for s in stores))
        assert [await s.schema_revision() for s in stores] == [schema.head()] * 3
        assert await stores[0].run_schema(_diff) == []
        versions = await stores[0].run_schema(
            lambda conn: conn.exec_driver_sql("SELECT COUNT(*) FROM alembic_version").scalar()
        )
        assert versions == 1
    finally:
        for s in stores:
            await s.close()


async def test_concurrent_upgrades_of_a_release_database_stamp_once(database_url: str) -> None:
    old = await create_store(database_url)
    try:
        await old.run_schema(_fill_release_db)
    finally:
        await old.close()
    stores: list[SqlStore] = [await create_store(database_url) for _ in range(2)]
    try:
        await asyncio.gather(*(s.create_schema() for s in stores))
        async with stores[1].transaction() as tx:
            assert len(await tx.get_events("NR-OLD1")) == 3
        assert await stores[0].schema_revision() == schema.head()
    finally:
        for s in stores:
            await s.close()


# (d) r0004_retention_indexes: the indexes retention prunes by -----------------------------------


async def test_retention_indexes_are_added_to_a_baseline_database_with_its_rows(
    database_url: str,
) -> None:
    store = await create_store(database_url)
    try:

        def baseline_with_rows(conn: Connection) -> None:
            from alembic import command

            command.upgrade(schema.config(conn), schema.BASELINE)
            t = RELEASE_95B9A7C.tables
            conn.execute(
                t["outbox"].insert(),
                [
                    {"mailbox": "web:T1:u1", "created_at": _time(conn, T0), "payload": {"n": 1}},
                    {"mailbox": "web:T1:u1", "created_at": _time(conn, T0 + timedelta(days=200)),
                     "payload": {"n": 2}},
                ],
            )  # fmt: skip
            conn.execute(
                t["inbound_claims"].insert(),
                {"channel": "slack", "event_id": "Ev1", "at": _time(conn, T0)},
            )

        await store.run_schema(baseline_with_rows)
        assert await store.schema_revision() == schema.BASELINE
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []
        indexes = await store.run_schema(
            lambda conn: {
                table: {ix["name"] for ix in inspect(conn).get_indexes(table)}
                for table in ("outbox", "inbound_claims")
            }
        )
        assert "ix_outbox_created_at" in indexes["outbox"]
        assert "ix_inbound_claims_at" in indexes["inbound_claims"]
        async with store.transaction() as tx:
            kept = await tx.read_outbox(mailbox="web:T1:u1", after_id=0)
        assert [m.payload for m in kept] == [{"n": 1}, {"n": 2}]  # the upgrade kept the rows
        retention = Retention(
            store=store,
            clock=ManualClock(T0 + timedelta(days=201)),
            chat=timedelta(days=90),
            dedup=timedelta(days=30),
        )
        assert await retention.run() == Pruned(chat_messages=1, inbound_claims=1)
        async with store.transaction() as tx:
            kept = await tx.read_outbox(mailbox="web:T1:u1", after_id=0)
        assert [m.payload for m in kept] == [{"n": 2}]
    finally:
        await store.close()


# (e) r0006_handoff: the durable outbox of hand-offs to the IT provider ------------------------


async def test_handoffs_table_is_added_and_takes_hand_offs_of_existing_incidents(
    database_url: str,
) -> None:
    """An incident made before r0006 can be handed off after it: the new table, with its
    foreign key and indexes, on a database that has the old rows."""
    store = await _release_db_at_head(database_url)
    try:
        indexes = await store.run_schema(
            lambda conn: {ix["name"] for ix in inspect(conn).get_indexes("handoffs")}
        )
        assert {"ix_handoffs_status_due_at", "ix_handoffs_status_lease_until"} <= indexes
        now = T0 + timedelta(days=1)
        async with store.transaction() as tx:
            [handoff_id] = await tx.add_handoffs(
                "NR-OLD1",
                [NewHandoff("alert-it", Transport.WEBHOOK, "https://it.example/h", {"a": 1})],
                at=now,
                lease_until=now,
            )
        async with store.transaction() as tx:
            [taken] = await tx.claim_due_handoffs(
                now=now + timedelta(seconds=1), lease_until=now + timedelta(minutes=2), limit=5
            )
            events = await tx.get_events("NR-OLD1")
    finally:
        await store.close()
    assert (taken.id, taken.incident_id, taken.content) == (handoff_id, "NR-OLD1", {"a": 1})
    assert len(events) == 3  # the old timeline is untouched


# (f) r0005_payments: the recall state of payments -----------------------------------------------


async def test_payments_table_is_added_to_an_r0004_database_with_its_incidents(
    database_url: str,
) -> None:
    """A database at r0004 (with an incident and a pending step reminder) gets an empty
    payments table; a payment of that incident is saved, overwritten on a status change,
    and its check-ins are cancelled by kind without touching the step's reminders."""
    store = await create_store(database_url)
    try:

        def r0004_with_rows(conn: Connection) -> None:
            from alembic import command

            command.upgrade(schema.config(conn), "r0004_retention_indexes")
            t = RELEASE_95B9A7C.tables
            conn.execute(
                t["incidents"].insert(),
                {
                    "id": "NR-OLD1", "tenant_id": "T1", "playbook_id": "paid-fraudster",
                    "lang": "nl", "status": IncidentStatus.OPEN.value,
                    "reported_at": _time(conn, T0), "reported_by": "web:T1:u1",
                    "reporter_name": "Anna", "lead": "web:T1:u1",
                    "conversation": {"channel": "web", "tenant_id": "T1", "conversation_id": "u1"},
                    "closed_at": None, "close_reason": None,
                },
            )  # fmt: skip

        await store.run_schema(r0004_with_rows)
        assert await store.schema_revision() == "r0004_retention_indexes"
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []
        async with store.transaction() as tx:
            assert await tx.get_payments("NR-OLD1") == []
            payment = Payment(
                incident_id="NR-OLD1",
                payment_id=1,
                step_id="call-bank",
                status=RecallStatus.ASKED_TO_STOP,
                updated_at=T0,
                updated_by="web:T1:u1",
                amount="12500.00 EUR",
                paid=T0 - timedelta(minutes=20),
                receiving_iban="NL91ABNA0417164300",
                case_number="ING-7781",
            )
            await tx.save_payment(payment)
            await tx.add_deadlines(
                "NR-OLD1",
                [
                    NewDeadline("call-bank", DeadlineKind.RECALL_CHECK, T0, "web:T1:u1"),
                    NewDeadline("call-bank", DeadlineKind.DUE, T0, "web:T1:u1"),
                ],
            )
        async with store.transaction() as tx:
            payment.status, payment.returned_amount = RecallStatus.PARTLY_RETURNED, "4000.00 EUR"
            payment.updated_at = T0 + timedelta(days=2)
            await tx.save_payment(payment)
            cancelled = await tx.cancel_deadlines(
                incident_id="NR-OLD1", step_id="call-bank", kind=DeadlineKind.RECALL_CHECK
            )
        async with store.transaction() as tx:
            [stored] = await tx.get_payments("NR-OLD1")
            rows = await tx.get_deadlines("NR-OLD1")
    finally:
        await store.close()
    assert stored == payment  # one row, overwritten, times to the microsecond
    assert stored.paid == T0 - timedelta(minutes=20) and stored.status.settled
    assert cancelled == 1
    assert {(r.kind, r.status) for r in rows} == {
        (DeadlineKind.RECALL_CHECK, DeadlineStatus.CANCELLED),
        (DeadlineKind.DUE, DeadlineStatus.PENDING),
    }


# (g) r0007_web_identity: pending sign-ins and web sessions ------------------------------------


async def test_web_identity_tables_are_added_next_to_the_rows_of_r0004(database_url: str) -> None:
    store = await create_store(database_url)
    try:

        def at_r0004_with_rows(conn: Connection) -> None:
            from alembic import command

            command.upgrade(schema.config(conn), "r0004_retention_indexes")
            t = RELEASE_95B9A7C.tables
            conn.execute(
                t["outbox"].insert(),
                {"mailbox": "web:acme:u1", "created_at": _time(conn, T0), "payload": {"n": 1}},
            )

        await store.run_schema(at_r0004_with_rows)
        tables = await store.run_schema(lambda conn: set(inspect(conn).get_table_names()))
        assert "web_sessions" not in tables and "web_sign_ins" not in tables
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []
        async with store.transaction() as tx:
            kept = await tx.read_outbox(mailbox="web:acme:u1", after_id=0)
            assert [m.payload for m in kept] == [{"n": 1}]
            pending = PendingSignIn(
                token_hash="a" * 64,
                org_id="acme",
                method=SignInMethod.MAIL,
                created_at=T0,
                expires_at=T0 + timedelta(minutes=15),
                email="jan@acme.example",
            )
            await tx.add_pending_sign_in(pending)
            session = WebSession(
                token_hash="b" * 64,
                org_id="acme",
                email="jan@acme.example",
                name="Jan",
                method=SignInMethod.MAIL,
                created_at=T0,
                expires_at=T0 + timedelta(hours=8),
            )
            await tx.add_web_session(session)
        async with store.transaction() as tx:
            assert await tx.take_pending_sign_in("a" * 64, now=T0) == pending
            assert await tx.take_pending_sign_in("a" * 64, now=T0) is None  # once only
            assert await tx.count_mail_sign_ins(email="jan@acme.example", since=T0) == 1
            assert await tx.get_web_session("b" * 64, now=T0) == session
            assert await tx.get_web_session("b" * 64, now=session.expires_at) is None
    finally:
        await store.close()


# (h) r0008_plan_switch: each step knows its plan, each incident its plans ------------------


async def test_plan_columns_are_filled_for_existing_incidents_and_steps(database_url: str) -> None:
    """An incident from before r0008 has one plan, the main one, since its report, and each
    of its steps comes from that plan; a step of a second plan can then be added."""
    store = await _release_db_at_head(database_url)
    try:
        raw = await store.run_schema(
            lambda conn: conn.exec_driver_sql("SELECT plans FROM incidents").scalar_one()
        )
        async with store.transaction() as tx:
            incident = await tx.get_incident("NR-OLD1")
            steps = await tx.get_steps("NR-OLD1")
            assert incident is not None
            incident.plans = (
                *incident.plan_list(),
                IncidentPlan("hacked-mailbox", PlanRole.ADDED, T0 + timedelta(hours=1)),
            )
            await tx.update_incident(incident)
            added = replace(steps[0], step_id="it-lockout", position=1, plan="hacked-mailbox")
            await tx.add_steps([added])
        async with store.transaction() as tx:
            again = await tx.get_incident("NR-OLD1")
            after = await tx.get_steps("NR-OLD1")
    finally:
        await store.close()
    stored = raw if isinstance(raw, list) else json.loads(raw)
    assert stored == [{"id": "paid-fraudster", "role": "main", "since": chain.format_utc(T0)}]
    assert incident.plans[0] == IncidentPlan("paid-fraudster", PlanRole.MAIN, T0)
    assert [(s.step_id, s.plan) for s in steps] == [("call-bank", "paid-fraudster")]
    assert again is not None and [p.playbook_id for p in again.plan_list()] == [
        "paid-fraudster",
        "hacked-mailbox",
    ]
    assert [(s.step_id, s.plan) for s in after] == [
        ("call-bank", "paid-fraudster"),
        ("it-lockout", "hacked-mailbox"),
    ]


# (i) r0009_slack_installations: the tables of slack_sdk's installation and state stores ---------


async def test_slack_installation_tables_are_added_to_a_database_with_its_rows(
    database_url: str,
) -> None:
    """A database at r0004 with chat history gains the three Slack tables, keeps its rows,
    and the new tables take and give back an installation's row (the SDK's naive UTC)."""
    store = await create_store(database_url)
    try:

        def at_r0004_with_rows(conn: Connection) -> None:
            from alembic import command

            command.upgrade(schema.config(conn), "r0004_retention_indexes")
            conn.execute(
                RELEASE_95B9A7C.tables["outbox"].insert(),
                {"mailbox": "web:T1:u1", "created_at": _time(conn, T0), "payload": {"n": 1}},
            )

        await store.run_schema(at_r0004_with_rows)
        assert await store.schema_revision() == "r0004_retention_indexes"
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []

        installed = T0.replace(tzinfo=None)

        def write_and_read_a_bot(conn: Connection) -> Any:
            from storage.models import slack_bots

            names = set(inspect(conn).get_table_names())
            assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= names
            conn.execute(
                slack_bots.insert(),
                {"client_id": "1.2", "app_id": "A1", "team_id": "T1", "bot_token": "xoxb-1",
                 "is_enterprise_install": False, "installed_at": installed},
            )  # fmt: skip
            return conn.execute(slack_bots.select()).mappings().one()

        row = await store.run_schema(write_and_read_a_bot)
        assert (row["id"], row["team_id"], row["bot_token"]) == (1, "T1", "xoxb-1")
        assert row["installed_at"] == installed  # microseconds kept
        async with store.transaction() as tx:
            kept = await tx.read_outbox(mailbox="web:T1:u1", after_id=0)
        assert [m.payload for m in kept] == [{"n": 1}]
    finally:
        await store.close()


# (j) r0011_organisations: the organisations as stored documents, with a version ------------


async def test_organisations_table_is_added_to_a_release_database_and_versions_each_change(
    database_url: str,
) -> None:
    store = await _release_db_at_head(database_url)
    try:
        async with store.transaction() as tx:
            assert await tx.organisations_version() == 0
            assert await tx.stored_organisations() == []
            seeded = await tx.seed_organisations(
                [("a", {"id": "a", "name": "A"}), ("b", {"id": "b", "name": "B"})], at=T0
            )
        async with store.transaction() as tx:
            again = await tx.seed_organisations([("c", {"id": "c", "name": "C"})], at=T0)
            replaced = await tx.put_organisations([("a", {"id": "a", "name": "A2"})], at=T0)
        async with store.transaction() as tx:
            assert await tx.remove_organisation("a", at=T0 + timedelta(seconds=1))
            assert not await tx.remove_organisation("a", at=T0)  # gone already
            removed_at = await tx.organisations_version()
            back = await tx.put_organisations([("a", {"id": "a", "name": "A3"})], at=T0)
            stored = await tx.stored_organisations()
            events = await tx.get_events("NR-OLD1")
    finally:
        await store.close()
    assert seeded and not again  # a table that had rows is never seeded again
    assert (replaced, removed_at, back) == (3, 4, 5)  # every change, a removal too, moves it
    # A removed organisation that comes back is new: last in the order, so not the default.
    assert [(o.id, o.document["name"], o.version) for o in stored] == [
        ("b", "B", 2),
        ("a", "A3", 5),
    ]
    assert stored[0].updated_at == T0  # UTC with microseconds, as written
    assert len(events) == 3  # the release's timeline is untouched


# (k) r0010_followups: the follow-ups proposed at a close, after r0011 ----------------------


async def test_follow_ups_table_is_added_and_takes_follow_ups_of_an_existing_incident(
    database_url: str,
) -> None:
    """A release database at r0011 (its organisations stored) upgrades to r0010 after it:
    the organisations stay, and an incident made before can be closed after it: the new
    table, with its index, takes its follow-ups (times with microseconds), marks one done
    once and lists the open ones across incidents; the old timeline is untouched."""
    old = await create_store(database_url)
    try:
        await old.run_schema(_fill_release_db)

        def at_r0011(conn: Connection) -> None:
            from alembic import command

            cfg = schema.config(conn)
            command.stamp(cfg, schema.BASELINE)
            command.upgrade(cfg, "r0011_organisations")

        await old.run_schema(at_r0011)
        assert await old.schema_revision() == "r0011_organisations"
        assert not await old.run_schema(lambda conn: inspect(conn).has_table("follow_ups"))
        async with old.transaction() as tx:
            assert await tx.seed_organisations([("a", {"id": "a", "name": "A"})], at=T0)
    finally:
        await old.close()
    store = await create_store(database_url)
    try:
        await store.create_schema()
        assert await store.schema_revision() == schema.head()
        assert await store.run_schema(_diff) == []
        async with store.transaction() as tx:
            kept = await tx.stored_organisations()
        assert [(o.id, o.document["name"]) for o in kept] == [("a", "A")]
        indexes = await store.run_schema(
            lambda conn: {ix["name"] for ix in inspect(conn).get_indexes("follow_ups")}
        )
        assert "ix_follow_ups_status_due_at" in indexes
        due = T0 + timedelta(days=30, microseconds=7)
        proposed = [
            FollowUp(
                incident_id="NR-OLD1",
                follow_up_id=follow_up_id,
                position=position,
                plan="paid-fraudster",
                status=FollowUpStatus.OPEN,
                owner="web:T1:u1",
                owner_name="Jan",
                due_at=due + timedelta(days=position),
                proposed_at=T0,
            )
            for position, follow_up_id in enumerate(("four-eyes-payments", "code-word"))
        ]
        async with store.transaction() as tx:
            await tx.add_follow_ups(proposed)
        done = replace(proposed[0], status=FollowUpStatus.DONE, version=1, done_at=due)
        async with store.transaction() as tx:
            assert await tx.update_follow_up(done, expected_version=0)
            assert not await tx.update_follow_up(done, expected_version=0), "once"
        async with store.transaction() as tx:
            stored = await tx.get_follow_ups("NR-OLD1")
            still_open = await tx.open_follow_ups()
            events = await tx.get_events("NR-OLD1")
    finally:
        await store.close()
    assert [(f.follow_up_id, f.status, f.version) for f in stored] == [
        ("four-eyes-payments", FollowUpStatus.DONE, 1),
        ("code-word", FollowUpStatus.OPEN, 0),
    ]
    assert stored[0].due_at == due and stored[0].done_at == due, "microseconds kept"
    assert [f.follow_up_id for f in still_open] == ["code-word"]
    assert len(events) == 3


# (l) r0012_incident_org: each incident names its organisation --------------------------------

ACME_TEAMS = "6f1c2d3e-0000-4000-8000-00000000acme"


def _r0010_with_incidents(conn: Connection) -> None:
    """r0010 with open incidents of the web chat (two organisations), of Slack and Teams
    tenants of one organisation, and of a Slack workspace no organisation names."""
    from alembic import command

    command.upgrade(schema.config(conn), "r0010_followups")
    incidents = Table("incidents", MetaData(), autoload_with=conn)
    origins = [
        ("NR-WEB1", "web", "acme", "u1"),
        ("NR-WEB2", "web", "beta", "u2"),
        ("NR-SLK1", "slack", "TACME1", "C1"),
        ("NR-TMS1", "teams", ACME_TEAMS, "19:abc"),
        ("NR-LOST", "slack", "TGONE1", "C9"),
    ]
    for n, (incident_id, channel, tenant, conversation) in enumerate(origins):
        user = f"{channel}:{tenant}:u{n}"
        reported = T0 + timedelta(minutes=n)
        conn.execute(
            incidents.insert(),
            {
                "id": incident_id, "tenant_id": tenant, "playbook_id": "paid-fraudster",
                "lang": "nl", "status": IncidentStatus.OPEN.value,
                "reported_at": _time(conn, reported), "reported_by": user,
                "reporter_name": "Anna", "lead": user,
                "conversation": {
                    "channel": channel, "tenant_id": tenant, "conversation_id": conversation
                },
                "closed_at": None, "close_reason": None, "origin_channel": channel,
                "origin_conversation": conversation,
                "plans": [
                    {"id": "paid-fraudster", "role": "main", "since": chain.format_utc(reported)}
                ],
            },
        )  # fmt: skip


async def test_incidents_get_their_organisation_web_by_the_upgrade_others_at_the_start(
    database_url: str,
) -> None:
    """r0012: web chat incidents are their organisation's after the upgrade; the Slack and
    Teams ones are adopted by the start's ``adopt_incidents`` (two replicas at once adopt
    each once), by the organisations' own rules; one no organisation serves keeps none
    until an import names its workspace. The tenant index is replaced by the org index."""
    from bot import organisation_store
    from bot.organisation import Organisation, Organisations
    from bot.organisation_file import document

    organisations = Organisations(
        [
            Organisation(
                id="acme", name="Acme", slack_team_ids=("TACME1",), teams_tenant_ids=(ACME_TEAMS,)
            ),
            Organisation(id="beta", name="Beta", slack_team_ids=("TBETA1",)),
        ]
    )
    store = await create_store(database_url)
    try:
        await store.run_schema(_r0010_with_incidents)
        assert await store.schema_revision() == "r0010_followups"
        async with store.transaction() as tx:  # stored before (r0011)
            assert await tx.seed_organisations([(o.id, document(o)) for o in organisations], at=T0)
        await store.create_schema()
        assert await store.schema_revision() == schema.head() == "r0012_incident_org"
        assert await store.run_schema(_diff) == []
        indexes = await store.run_schema(
            lambda conn: {ix["name"] for ix in inspect(conn).get_indexes("incidents")}
        )
        assert "ix_incidents_org_id_status_reported_at" in indexes
        assert "ix_incidents_status_tenant_id_reported_at" not in indexes
        async with store.snapshot() as tx:
            upgraded = {i.id: i.org_id for i in await tx.incidents()}
        assert upgraded == {
            "NR-WEB1": "acme", "NR-WEB2": "beta", "NR-SLK1": None, "NR-TMS1": None,
            "NR-LOST": None,
        }  # fmt: skip
    finally:
        await store.close()

    replicas = [await create_store(database_url) for _ in range(2)]
    try:
        adopted = await asyncio.gather(
            *(organisation_store.adopt_incidents(r, organisations) for r in replicas)
        )
        assert sorted(adopted) == [0, 2], "each incident once, by one of the two"
        assert await organisation_store.adopt_incidents(replicas[0], organisations) == 0
        async with replicas[0].snapshot() as tx:
            owners = {i.id: i.org_id for i in await tx.incidents()}
            acme = [i.id for i in await tx.open_incidents(org_id="acme")]
        assert owners == {
            "NR-WEB1": "acme", "NR-WEB2": "beta", "NR-SLK1": "acme", "NR-TMS1": "acme",
            "NR-LOST": None,
        }  # fmt: skip
        assert acme == ["NR-TMS1", "NR-SLK1", "NR-WEB1"], "every channel, newest first"
        # An import that gives the unserved workspace to an organisation adopts its incident
        # in the same transaction.
        gamma = Organisation(id="gamma", name="Gamma", slack_team_ids=("TGONE1",))
        await organisation_store.import_organisations(replicas[0], [gamma], at=T0)
        async with replicas[0].snapshot() as tx:
            lost = await tx.get_incident("NR-LOST")
        assert lost is not None and lost.org_id == "gamma"
    finally:
        for r in replicas:
            await r.close()
