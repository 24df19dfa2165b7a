"""Waking the process when a deadline falls due.

APScheduler runs in memory only: the deadlines table is the truth, so there is nothing
to persist and no job store to share between replicas (see PLATFORM-NOTES). A poll
every ``poll_seconds`` catches rows written by other processes; ``wake_at`` adds an exact
wake-up for a deadline this process just planned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler


class Wakeups:
    def __init__(self, run: Callable[[], Awaitable[object]], *, poll_seconds: float) -> None:
        self._run = run
        self._poll_seconds = poll_seconds
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._passes: set[asyncio.Task[object]] = set()

    async def _pass(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._passes.add(task)
        try:
            await self._run()
        except asyncio.CancelledError:
            # Shutdown cancels a pass mid-way; what it had claimed is claimed again once
            # the lease runs out, so there is nothing to report.
            return
        finally:
            if task is not None:
                self._passes.discard(task)

    def start(self) -> None:
        """Start polling; the first run is now, so what fell due while down goes out."""
        self._scheduler.start()
        self._scheduler.add_job(
            self._pass,
            "interval",
            seconds=self._poll_seconds,
            id="poll",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    def wake_at(self, when: datetime) -> None:
        if not self._scheduler.running:
            return
        self._scheduler.add_job(
            self._pass,
            "date",
            run_date=when,
            id=f"wake:{when.isoformat()}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def stop(self) -> None:
        """Stop waking, and end a pass still running: the store closes after this, and a
        pass left behind would wait on a pool that is gone."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        running = list(self._passes)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
