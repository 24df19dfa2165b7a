"""The schema's version: Alembic migrations, run at start under a lock, and a small CLI.

``upgrade(connection)`` brings a database to the newest revision in ``migrations/versions``.
It runs on a connection the caller already holds inside a transaction and a lock
(``Database.create_schema``), so replicas starting together take turns and the second one
finds nothing to do. A database made by a release before migrations existed (tables made
by ``metadata.create_all``, no ``alembic_version``) is recognised and stamped as the
baseline, never created again. The Alembic configuration is built here, in code: nothing
but the Python package is needed where Noodrem runs.

    python -m storage.schema upgrade            bring DATABASE_URL to the newest revision
    python -m storage.schema current            print the revision DATABASE_URL is at
    python -m storage.schema revision "what"    write a new revision from the model changes
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic (with Mako and Pygments) costs a good part of a second to import: a start that
# finds the database at the newest revision, the usual one, does without it.
MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"""^revision(?:: *str)? *= *["']([^"']+)["']""", re.M)
_DOWN = re.compile(r"""^down_revision(?:: *[^=]+)? *= *(?:None|["']([^"']+)["'])""", re.M)
BASELINE = "0001"
"""The revision whose schema is that of release 95b9a7c, the last made by ``create_all``."""
BASELINE_TABLES = frozenset(
    {
        "inbound_claims",
        "conversations",
        "addresses",
        "message_refs",
        "files",
        "incidents",
        "participants",
        "facts",
        "steps",
        "events",
        "deadlines",
        "outbox",
    }
)
"""Every table release 95b9a7c created: all of them present means a deployed store."""


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What ``upgrade`` did, for the log line at start."""

    before: str | None
    after: str | None
    stamped: bool = False
    """The database had the baseline's tables but no version: it was stamped, not created."""

    @property
    def changed(self) -> bool:
        return self.stamped or self.before != self.after


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an ini file; ``env.py`` migrates ``connection``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # r0002_add_x.py: a module name mypy and imports accept, sorting in revision order.
    cfg.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head() -> str | None:
    """The newest revision this code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()


def quick_head() -> str | None:
    """The newest revision, read from the revision files' ``revision``/``down_revision``
    lines without importing Alembic; ``None`` unless there is exactly one head (then
    ``upgrade`` asks Alembic, which says what is wrong)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(source)
        if down is not None and down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def current(connection: Connection) -> str | None:
    """The revision the database is at (``None`` for no version table or an empty one)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def version(connection: Connection) -> str | None:
    """What ``current`` says, read with one plain query: for the readiness probe, which
    runs every few seconds and must not log Alembic's context lines each time."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(connection: Connection) -> Upgrade:
    """Bring the database on ``connection`` to the newest revision, in its transaction.

    Raises ``StoreError`` for a database this code must not touch: one with only some of
    our tables, or one already at a revision newer than this code knows.
    """
    newest = quick_head()
    if newest is not None and current(connection) == newest:
        return Upgrade(before=newest, after=newest)
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    cfg = config(connection)
    script = ScriptDirectory.from_config(cfg)
    before = current(connection)
    stamped = False
    if before is None:
        present = BASELINE_TABLES & set(inspect(connection).get_table_names())
        if present == BASELINE_TABLES:
            command.stamp(cfg, BASELINE)
            stamped = True
        elif present:
            missing = ", ".join(sorted(BASELINE_TABLES - present))
            raise StoreError(
                f"the database has some of Noodrem's tables but not {missing}, and no schema "
                "version: it was not made by Noodrem, or not completely; Noodrem leaves it alone"
            )
    elif _unknown(script, before):
        raise StoreError(
            f"the database is at schema revision {before}, which this version of Noodrem does "
            "not know: a newer Noodrem upgraded it; run that version (or newer)"
        )
    try:
        command.upgrade(cfg, "head")
    except CommandError as exc:
        raise StoreError(f"cannot upgrade the database schema: {exc}") from exc
    return Upgrade(before=before, after=current(connection), stamped=stamped)


def _unknown(script: ScriptDirectory, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is None
    except CommandError:
        return True


# Command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.schema")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="bring the database to the newest revision")
    commands.add_parser("current", help="print the revision the database is at")
    revision = commands.add_parser(
        "revision", help="write a new revision from what changed in storage/models.py"
    )
    revision.add_argument("message", help='what the revision does, e.g. "add outbox.read_at"')
    revision.add_argument(
        "--against",
        help="compare with this database (default: a scratch SQLite database at the head)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "revision":
            path = asyncio.run(_revision(args.message, against=args.against))
            print(f"wrote {path}: read it, then add a test in tests/storage/test_migrations.py")
            return 0
        url = os.environ.get("DATABASE_URL") or _default_url()
        print(asyncio.run(_upgrade_or_report(url, apply=args.command == "upgrade")))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _default_url() -> str:
    from bot.config import DEFAULT_DATABASE_URL  # the app's default, for a bare command line

    return DEFAULT_DATABASE_URL


async def _upgrade_or_report(url: str, *, apply: bool) -> str:
    from storage.db import create_store

    store = await create_store(url, must_exist=not apply)
    try:
        if apply:
            await store.create_schema()
        at = await store.schema_revision()
    finally:
        await store.close()
    return f"schema revision {at or 'none'} (newest: {head()})"


async def _revision(message: str, *, against: str | None) -> str:
    """Autogenerate against a database at the head, so the diff is only what changed."""
    from storage.db import create_store

    with tempfile.TemporaryDirectory() as scratch:
        url = against or f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
        store = await create_store(url)
        try:
            await store.create_schema()
            return await store.run_schema(lambda conn: _autogenerate(conn, message))
        finally:
            await store.close()


def _autogenerate(connection: Connection, message: str) -> str:
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = config(connection)
    count = sum(1 for _ in ScriptDirectory.from_config(cfg).walk_revisions())
    scripts = command.revision(cfg, message, autogenerate=True, rev_id=f"{count + 1:04d}")
    first = scripts[0] if isinstance(scripts, list) else scripts
    if first is None:
        raise StoreError("Alembic wrote no revision")
    return str(first.path)


if __name__ == "__main__":
    sys.exit(main())
