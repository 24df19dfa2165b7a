"""What the retention pass costs on a large chat history, with and without its index.

Fills a fresh database with ``--rows`` web chat messages, ``--old`` of them past the
retention, then times in the same run: (1) a pass that deletes the old ones in batches,
(2) the hourly pass that then finds nothing to delete, with the ``ix_outbox_created_at``
index of migration r0002_ops_retention, and (3) the same empty pass after dropping that
index: the baseline the ratio is taken against.

    python bench/retention.py [--database-url URL] [--rows 200000] [--old 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from bot.clock import ManualClock
from bot.retention import Retention
from storage import create_store
from storage.models import OutboxRow

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KEEP = timedelta(days=90)


def _fill(conn: Connection, *, rows: int, old: int) -> None:
    chunk = []
    for i in range(rows):
        at = NOW - KEEP - timedelta(days=1) if i < old else NOW - timedelta(minutes=i % 10_000)
        chunk.append(
            {
                "mailbox": f"web:T1:u{i % 500}",
                "created_at": at,
                "payload": {"kind": "user", "text": "hallo"},
            }
        )
        if len(chunk) == 5_000:
            conn.execute(insert(OutboxRow), chunk)
            chunk = []
    if chunk:
        conn.execute(insert(OutboxRow), chunk)


async def _timed_pass(retention: Retention, repeat: int) -> tuple[float, int]:
    best = float("inf")
    deleted = 0
    for _ in range(repeat):
        started = time.perf_counter()
        deleted = (await retention.run()).chat_messages
        best = min(best, time.perf_counter() - started)
    return best, deleted


async def main(url: str, *, rows: int, old: int) -> None:
    store = await create_store(url)
    try:
        await store.create_schema()
        started = time.perf_counter()
        await store.run_schema(lambda conn: _fill(conn, rows=rows, old=old))
        print(f"filled {rows} rows ({old} past retention) in {time.perf_counter() - started:.1f} s")
        retention = Retention(store=store, clock=ManualClock(NOW), chat=KEEP, dedup=None)
        prune_s, deleted = await _timed_pass(retention, 1)
        print(f"prune pass: {deleted} rows deleted in {prune_s * 1000:.0f} ms")
        with_index, _ = await _timed_pass(retention, 5)
        await store.run_schema(lambda conn: conn.exec_driver_sql("DROP INDEX ix_outbox_created_at"))
        without_index, _ = await _timed_pass(retention, 5)
        print(f"empty hourly pass: {with_index * 1000:.2f} ms with the index, "
              f"{without_index * 1000:.2f} ms without (baseline); "
              f"ratio {without_index / with_index:.0f}x")  # fmt: skip
    finally:
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--old", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        asyncio.run(main(url, rows=args.rows, old=args.old))
