"""One Noodrem replica as a process of its own, for ``tests/test_replicas.py``.

It is ``app.py``'s server (``app.serve``: the same app, store, scheduler and channels) with
two times made short so that a test can watch them pass: the scheduler's poll
(``REPLICA_POLL_SECONDS`` instead of 30 s) and the reminder lease (``REPLICA_LEASE_SECONDS``
instead of 2 minutes), the time after which a batch a killed process claimed is sent again.

    python -m tests.replica   # with DATABASE_URL, PORT and the two settings above
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import replace
from datetime import timedelta

import app
from bot import reminders
from bot.config import Settings


def main() -> None:
    reminders.LEASE = timedelta(seconds=float(os.environ["REPLICA_LEASE_SECONDS"]))
    settings = replace(
        Settings.from_env(os.environ),
        reminder_poll_seconds=float(os.environ["REPLICA_POLL_SECONDS"]),
    )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(app.serve(settings))


if __name__ == "__main__":
    main()
