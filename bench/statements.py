"""How many SQL statements does each kind of web chat message cost, and which?

    python -m bench.statements [--database-url URL] [--show KIND]

Serves the real app on loopback (the same harness as the end-to-end tests), walks one
person through an incident's first messages over HTTP and counts, with SQLAlchemy's
``before_cursor_execute``, the statements of each POST (the engine's turn and the outbox
write) and of the poll that reads the answers. ``--show status`` lists that message's
statements. ``--database-url`` must name an empty scratch database; without it, a fresh
SQLite file. (A ``BEGIN``/``COMMIT`` the driver sends itself, as asyncpg does, is not a
cursor statement and is not counted.)
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import create_store
from tests.harness import RunningApp, running_app

# (label, typed text); None: press the offer's first button (start the plan).
MESSAGES: list[tuple[str, str | None]] = [
    ("offer", "ik denk dat we een oplichter hebben betaald"),
    ("confirm start", None),
    ("status", "status"),
    ("help", "help"),
    ("lijst", "lijst"),
    ("not understood", "wat is het weer morgen"),
]


async def walk(app: RunningApp, show: str | None) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(app.runtime.require_store().engine.sync_engine, "before_cursor_execute", count)
    user, after = f"bench-{uuid.uuid4().hex[:8]}", 0
    buttons: list[dict[str, Any]] = []
    print(f"{'message':16} {'POST':>5}  {'kinds':46} {'poll':>4}")
    async with aiohttp.ClientSession() as http:
        for label, text in MESSAGES:
            body: dict[str, Any] = {"user_id": user, "user_name": "Bench", "client_id": label}
            if text is None:
                body |= {"action": buttons[0]["action"], "label": buttons[0]["label"]}
            else:
                body["text"] = text
            statements.clear()
            async with http.post(f"{app.url}/api/web/messages", json=body) as res:
                res.raise_for_status()
            posted = list(statements)
            statements.clear()
            query = {"user_id": user, "after": str(after)}
            async with http.get(f"{app.url}/api/web/messages", params=query) as res:
                polled = await res.json()
            after = polled["last_id"]
            buttons = [b for m in polled["messages"] for b in m.get("buttons", [])]
            kinds = collections.Counter(s.split()[0].upper() for s in posted)
            print(f"{label:16} {len(posted):5}  {dict(kinds)!s:46} {len(statements):4}")
            if show == label:
                print("\n".join(f"    {s[:120]}" for s in posted))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--show", choices=[label for label, _ in MESSAGES])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/statements.db"
        store = await create_store(url)
        await store.create_schema()
        await store.close()
        async with running_app(url) as app:
            await walk(app, args.show)


if __name__ == "__main__":
    asyncio.run(main())
