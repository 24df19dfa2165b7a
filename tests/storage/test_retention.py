"""Retention on SQLite and PostgreSQL: rows past it go in bounded batches, newer rows and the
incident timeline stay, and an event id claimed again after its row went counts as new.
Expired sign-ins and sessions go too, whatever the settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.ports import Incident, PendingSignIn, SignInMethod, WebSession
from bot.retention import SIGN_IN_KEPT, Pruned, Retention
from storage import SqlStore
from storage.models import InboundClaimRow, OutboxRow, PendingSignInRow, WebSessionRow

NOW = datetime(2026, 12, 2, 12, 0, 0, 123456, tzinfo=UTC)
CHAT = timedelta(days=90)
DEDUP = timedelta(days=30)


Table = type[OutboxRow] | type[InboundClaimRow] | type[PendingSignInRow] | type[WebSessionRow]


async def _count(store: SqlStore, table: Table) -> int:
    async with store.transaction() as tx:
        conn = tx._conn  # the test reads the table itself, not through the code under test
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _fill(store: SqlStore) -> None:
    """11 old and 2 recent chat messages; 7 old and 2 recent claims, of several kinds."""
    async with store.transaction() as tx:
        for i in range(11):
            at = NOW - CHAT - timedelta(days=1, minutes=i)
            await tx.put_outbox(mailbox=f"web:T1:u{i % 3}", payloads=[{"n": i}], at=at)
        for i in range(2):
            at = NOW - CHAT + timedelta(microseconds=1 + i)  # just inside the retention
            await tx.put_outbox(mailbox="web:T1:u0", payloads=[{"recent": i}], at=at)
        for i, channel in enumerate(["slack", "teams", "web", "web-history", "digest"] * 2):
            old = i < 7
            at = NOW - DEDUP - timedelta(seconds=1 + i) if old else NOW - timedelta(hours=i)
            await tx.claim_inbound(channel=channel, event_id=f"ev{i}", at=at)


async def test_old_rows_go_in_batches_and_recent_ones_stay(
    store: SqlStore, make_incident: Callable[..., Incident]
) -> None:
    async with store.transaction() as tx:
        await tx.create_incident(make_incident("inc-1", reported_at=NOW - timedelta(days=400)))
        await tx.append_event(
            incident_id="inc-1",
            at=NOW - timedelta(days=400),
            actor="web:T1:u0",
            actor_name="Anna",
            kind="incident_opened",
            data={},
        )
    await _fill(store)
    retention = Retention(store=store, clock=ManualClock(NOW), chat=CHAT, dedup=DEDUP, batch=3)

    assert await retention.run() == Pruned(chat_messages=11, inbound_claims=7)

    async with store.transaction() as tx:
        left = await tx.read_outbox(mailbox="web:T1:u0", after_id=0)
        others = await tx.read_outbox(mailbox="web:T1:u1", after_id=0)
        events = await tx.get_events("inc-1")
    assert [m.payload for m in left] == [{"recent": 0}, {"recent": 1}]
    assert others == []
    assert await _count(store, InboundClaimRow) == 3
    assert [e.kind for e in events] == ["incident_opened"]  # the timeline is never pruned
    assert await retention.run() == Pruned()  # nothing left to do


async def test_no_retention_keeps_everything(store: SqlStore) -> None:
    await _fill(store)
    keep = Retention(store=store, clock=ManualClock(NOW), chat=None, dedup=None)
    assert await keep.run() == Pruned()
    assert await _count(store, OutboxRow) == 13
    assert await _count(store, InboundClaimRow) == 10


async def test_an_event_id_resent_after_its_row_went_is_handled_as_new(store: SqlStore) -> None:
    """The trade-off: the de-duplication window is the retention."""
    old = NOW - DEDUP - timedelta(days=1)
    async with store.transaction() as tx:
        assert await tx.claim_inbound(channel="slack", event_id="Ev1", at=old)
        assert not await tx.claim_inbound(channel="slack", event_id="Ev1", at=old)
    retention = Retention(store=store, clock=ManualClock(NOW), chat=CHAT, dedup=DEDUP)
    assert (await retention.run()).inbound_claims == 1
    async with store.transaction() as tx:
        assert await tx.claim_inbound(channel="slack", event_id="Ev1", at=NOW)
    async with store.transaction() as tx:
        assert not await tx.claim_inbound(channel="slack", event_id="Ev1", at=NOW)
    # The new claim is recent: the next run keeps it.
    assert (await retention.run()).inbound_claims == 0


async def test_retention_runs_at_the_first_tick_and_then_once_per_interval(
    store: SqlStore,
) -> None:
    await _fill(store)
    clock = ManualClock(NOW)
    retention = Retention(
        store=store, clock=clock, chat=CHAT, dedup=DEDUP, every=timedelta(hours=1)
    )
    assert await retention.run_if_due() == Pruned(chat_messages=11, inbound_claims=7)
    async with store.transaction() as tx:  # becomes old, but the hour is not over
        await tx.put_outbox(mailbox="web:T1:u9", payloads=[{}], at=NOW - CHAT - timedelta(days=1))
    clock.advance(timedelta(minutes=59))
    assert await retention.run_if_due() is None
    clock.advance(timedelta(minutes=1))
    # The new old row, and the two that were just inside the retention an hour ago.
    assert await retention.run_if_due() == Pruned(chat_messages=3)
    assert await _count(store, OutboxRow) == 0


def _sign_in(n: int, *, expires_at: datetime, method: SignInMethod) -> PendingSignIn:
    return PendingSignIn(
        token_hash=f"{n:064x}",
        org_id="acme",
        method=method,
        created_at=expires_at - timedelta(minutes=15),
        expires_at=expires_at,
        email="jan@acme.example" if method is SignInMethod.MAIL else None,
        nonce=None if method is SignInMethod.MAIL else f"nonce-{n}",
        code_verifier=None if method is SignInMethod.MAIL else f"verifier-{n}",
    )


def _session(n: int, *, expires_at: datetime) -> WebSession:
    return WebSession(
        token_hash=f"{n:064x}",
        org_id="acme",
        email=f"p{n}@acme.example",
        name=f"P{n}",
        method=SignInMethod.MAIL,
        created_at=expires_at - timedelta(hours=12),
        expires_at=expires_at,
    )


async def test_expired_sign_ins_and_sessions_go_in_batches_whatever_the_settings(
    store: SqlStore,
) -> None:
    """Links and OIDC logins a day past their expiry go (used or not: the limit on mailed
    links counts the recent ones), sessions as soon as they expired; live ones stay usable.
    ``chat=None, dedup=None`` keeps the history, not these."""
    long_ago = NOW - SIGN_IN_KEPT - timedelta(microseconds=1)
    async with store.transaction() as tx:
        for n in range(7):  # mail links and OIDC states long expired, some used
            method = [SignInMethod.MAIL, SignInMethod.MICROSOFT, SignInMethod.GOOGLE][n % 3]
            await tx.add_pending_sign_in(
                _sign_in(n, expires_at=long_ago - timedelta(minutes=n), method=method)
            )
            if n % 2:
                await tx.take_pending_sign_in(f"{n:064x}", now=long_ago - timedelta(minutes=20))
        # Expired, but within the day that the rate limit may still look back on.
        await tx.add_pending_sign_in(
            _sign_in(100, expires_at=NOW - SIGN_IN_KEPT, method=SignInMethod.MAIL)
        )
        await tx.add_pending_sign_in(
            _sign_in(101, expires_at=NOW + timedelta(minutes=10), method=SignInMethod.MAIL)
        )
        for n in range(200, 205):
            await tx.add_web_session(_session(n, expires_at=NOW - timedelta(seconds=n - 199)))
        await tx.add_web_session(
            _session(300, expires_at=NOW)
        )  # ends this very moment: the next run
        await tx.add_web_session(_session(301, expires_at=NOW + timedelta(hours=1)))

    keep = Retention(store=store, clock=ManualClock(NOW), chat=None, dedup=None, batch=2)
    assert await keep.run() == Pruned(sign_ins=7, web_sessions=5)

    assert await _count(store, PendingSignInRow) == 2
    assert await _count(store, WebSessionRow) == 2
    async with store.transaction() as tx:
        assert await tx.get_web_session(f"{301:064x}", now=NOW) is not None
        live = await tx.take_pending_sign_in(f"{101:064x}", now=NOW)
        assert live is not None and live.email == "jan@acme.example"
    assert await keep.run() == Pruned()
    later = Retention(
        store=store, clock=ManualClock(NOW + timedelta(hours=2)), chat=None, dedup=None
    )
    assert await later.run() == Pruned(sign_ins=1, web_sessions=2)
