"""The organisations in the store, and how each process keeps its copy current.

The store holds each organisation's config entry as a JSON document (the same structure
as the YAML file, validated by the same models before it is written and again when it is
read back). ``app.py org import`` and the first start on an empty table write them; every
process reads ``max(version)`` every few seconds (``Refresh``) and reloads when it moved.

Why a poll and not PostgreSQL's LISTEN/NOTIFY: the poll is one indexed ``max()`` on a
table of a few hundred rows, the same on SQLite and PostgreSQL, and it cannot miss a change
(a notification sent while a replica's listening connection was down is lost, so a
listener would need this poll anyway). A change is in effect everywhere within one period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import ValidationError

from bot.organisation import (
    DEFAULT_ORGANISATION,
    Organisation,
    OrganisationError,
    Organisations,
)
from bot.organisation_file import check_together, document
from bot.ports import Incident, IncidentStatus, Store, Transaction

log = logging.getLogger(__name__)


class Severity(StrEnum):
    """What a problem with a set of organisations does to it in this process."""

    REFUSES = "refuses"
    """Not served: the start stops, a change is not taken into use (a secret the
    environment lacks, no sign-in on a public address)."""
    WARNS = "warns"
    """Served without what the problem names, and logged at the start and at every change
    (mail sign-in without a mail relay: no link goes out, the rest works)."""


@dataclass(frozen=True, slots=True)
class Problem:
    text: str
    severity: Severity = Severity.REFUSES

    def __str__(self) -> str:
        return self.text


Problems = Callable[[Organisations], list[Problem]]
"""What this process cannot do (fully) with a set of organisations; empty when it can
serve all of it."""


def refusing(problems: Sequence[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.REFUSES]


def warn(problems: Sequence[Problem], *, version: int) -> None:
    """Log what a set taken into use lacks, one line each, as errors: an operator must act."""
    for problem in problems:
        if problem.severity is Severity.WARNS:
            log.error("organisations version %d: %s", version, problem.text)


@dataclass(frozen=True, slots=True)
class Stored:
    organisations: tuple[Organisation, ...]
    version: int


async def load(store: Store) -> Stored:
    """The stored organisations, validated; ``OrganisationError`` names a bad one."""
    async with store.snapshot() as tx:
        return await _read(tx)


async def version(store: Store) -> int:
    async with store.snapshot() as tx:
        return await tx.organisations_version()


async def seed(store: Store, organisations: Sequence[Organisation], *, at: datetime) -> bool:
    """Write the file's organisations into a table that never had any; whether it did.
    ``OrganisationError`` when incidents of the built-in organisation would lose theirs
    (``_keeps_the_built_in_incidents``)."""
    documents = [(o.id, document(o)) for o in organisations]
    async with store.transaction() as tx:
        if await tx.organisations_version():
            return False
        await _keeps_the_built_in_incidents(tx, organisations)
        await _take_over_the_built_in_incidents(tx, organisations)
        return await tx.seed_organisations(documents, at=at)


async def import_organisations(
    store: Store, organisations: Sequence[Organisation], *, at: datetime
) -> int:
    """Create or replace each one, after checking them together with those that stay and
    against the incidents there are; returns the new version. Nothing is written when a
    check fails."""
    documents = [(o.id, document(o)) for o in organisations]
    async with store.transaction() as tx:
        current = await _read(tx, lock=True)
        incoming = {o.id for o in organisations}
        kept = [o for o in current.organisations if o.id not in incoming]
        check_together([*kept, *organisations])
        if not current.organisations:
            await _keeps_the_built_in_incidents(tx, organisations)
            await _take_over_the_built_in_incidents(tx, organisations)
        else:
            before = Organisations(current.organisations)
            moves = await _moves(tx, before, [*kept, *organisations])
            if moves:
                # Its timeline, register entry and reminders would go to other people.
                raise OrganisationError(
                    f"this would move {len(moves)} incident(s) to another organisation or "
                    f"to none: {_some(str(m) for m in moves)}; keep their workspace or "
                    "tenant ids with the organisation they are in"
                )
        await _adopt(tx, Organisations([*kept, *organisations]))
        return await tx.put_organisations(documents, at=at)


async def remove(store: Store, org_id: str, *, at: datetime) -> bool:
    """Remove one; whether it was there. ``OrganisationError`` for the last one (a store
    with none would serve every workspace as the built-in default), for one with open
    incidents (an open incident whose organisation is gone still sends reminders, to the
    default organisation's managers: another customer's people), and when its incidents
    would fall to another (a sole organisation that names no workspace serves them all)."""
    async with store.transaction() as tx:
        current = await _read(tx, lock=True)
        ids = [o.id for o in current.organisations]
        if org_id not in ids:
            return False
        if ids == [org_id]:
            raise OrganisationError(
                f"{org_id} is the only organisation: import the one that replaces it first"
            )
        before = Organisations(current.organisations)
        after = [o for o in current.organisations if o.id != org_id]
        moves = await _moves(tx, before, after)
        still_open = [m.incident for m in moves if m.incident.status is IncidentStatus.OPEN]
        if still_open:
            raise OrganisationError(
                f"{org_id} has {len(still_open)} open incident(s) "
                f"({_some(i.id for i in still_open)}): they must be closed first (in the "
                "chat, by their lead or a manager)"
            )
        taken = [m for m in moves if m.now is not None]
        if taken:
            raise OrganisationError(
                f"removing {org_id} would give {len(taken)} of its incidents to another "
                f"organisation: {_some(str(m) for m in taken)}; give that one its own "
                "slack_team_ids / teams_tenant_ids first"
            )
        await _adopt(tx, Organisations(after))
        return await tx.remove_organisation(org_id, at=at)


@dataclass(frozen=True, slots=True)
class _Move:
    incident: Incident
    was: str
    now: str | None

    def __str__(self) -> str:
        return f"{self.incident.id} ({self.was} -> {self.now or 'none'})"


async def _moves(
    tx: Transaction, before: Organisations, after: Sequence[Organisation]
) -> list[_Move]:
    """The incidents a change would move to another organisation or to none: whose
    workspace or tenant would no longer be their organisation's (an incident keeps the
    organisation stored with it, but its people would be refused, or be another's)."""
    changed = Organisations(after)
    moves = []
    for incident in await tx.incidents():
        was = before.owner_of(incident)
        now = changed.of_origin(incident)
        if was is not None and (now is None or now.id != was.id):
            moves.append(_Move(incident, was.id, now.id if now is not None else None))
    return moves


async def _keeps_the_built_in_incidents(
    tx: Transaction, organisations: Sequence[Organisation]
) -> None:
    """The first organisations stored: until now Noodrem served its built-in organisation
    (``DEFAULT_ORGANISATION``, id ``default``), and every incident opened meanwhile is its.
    Refused with what to do when one of them would belong to no organisation after this
    (its reminders would go to another customer's managers, its register entry nowhere).

    The way to keep them is explicit and needs no rewriting: an organisation with the id
    ``default`` in the file takes the web chat's (their tenant is that id, also in their
    hash-chained timeline), and a Slack workspace or Entra tenant named by an organisation
    of the file takes that platform's: their owner is then the organisation the operator
    named, which is also what the built-in one served them as."""
    orphaned = [
        m
        for m in await _moves(tx, Organisations([DEFAULT_ORGANISATION]), organisations)
        if m.now is None
    ]
    if orphaned:
        raise OrganisationError(
            f"Noodrem has so far served its built-in organisation (id "
            f"{DEFAULT_ORGANISATION.id!r}), and {len(orphaned)} of its incident(s) would "
            f"belong to no organisation after this first import: "
            f"{_some(m.incident.id for m in orphaned)}; add an organisation with "
            f"'id: {DEFAULT_ORGANISATION.id}' to the file to keep them (web chat incidents "
            "are the organisation's by that id; give it the name, managers and sign_in "
            "you want), or list their Slack workspace / Entra tenant ids with the "
            "organisation that takes them over"
        )


async def adopt_incidents(store: Store, organisations: Organisations) -> int:
    """Store its organisation with every incident that has none yet and that one of these
    serves (``Organisations.owner_of``: made before r0012, which knew only its tenant); how
    many. At each start, after the organisations are loaded: idempotent, and two replicas
    starting together adopt each incident once (the rows are locked in one order)."""
    async with store.transaction() as tx:
        return await _adopt(tx, organisations)


async def _adopt(tx: Transaction, organisations: Organisations) -> int:
    """Also in the transaction that changes the organisations: an incident that no one
    served until this change is its organisation's from the version that serves it."""
    owners: dict[str, list[str]] = {}
    for incident in await tx.unowned_incidents():
        owner = organisations.owner_of(incident)
        if owner is not None:
            owners.setdefault(owner.id, []).append(incident.id)
    return sum([await tx.adopt_incidents(org, ids) for org, ids in owners.items()])


async def _take_over_the_built_in_incidents(
    tx: Transaction, organisations: Sequence[Organisation]
) -> None:
    """The first organisations stored take over the incidents opened under the built-in
    one, each by its workspace or tenant (``_keeps_the_built_in_incidents`` made sure one
    does, or that an organisation with its id keeps it); then the ones without any."""
    first = Organisations(organisations)
    owners: dict[str, list[str]] = {}
    for incident in await tx.incidents():
        now = first.of_origin(incident)
        if incident.org_id == DEFAULT_ORGANISATION.id and now is not None:
            owners.setdefault(now.id, []).append(incident.id)
    for org, ids in owners.items():
        if org != DEFAULT_ORGANISATION.id:
            await tx.adopt_incidents(org, ids, was=DEFAULT_ORGANISATION.id)
    await _adopt(tx, first)


def _some(items: Iterable[str]) -> str:
    listed = list(items)
    return ", ".join(listed[:5]) + (", ..." if len(listed) > 5 else "")


async def _read(tx: Transaction, *, lock: bool = False) -> Stored:
    rows = await tx.stored_organisations(lock=lock)
    at = await tx.organisations_version()
    organisations = []
    for row in rows:
        try:
            organisations.append(Organisation.model_validate(row.document))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise OrganisationError(
                f"stored organisation {row.id} (version {row.version}): {where}: {first['msg']}"
            ) from None
    return Stored(tuple(organisations), at)


class Refresh:
    """Keeps one process's ``Organisations`` at the stored version: ``start()`` checks
    every ``every`` seconds; a set that does not validate, or that this process cannot
    serve (``problems``), is logged and the one in use stays."""

    def __init__(
        self,
        *,
        organisations: Organisations,
        store: Store,
        every: float,
        problems: Problems,
    ) -> None:
        self._organisations = organisations
        self._store = store
        self._every = every
        self._problems = problems
        self._refused = -1  # the version last refused, logged once
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._changed = asyncio.Condition()

    async def refresh(self) -> bool:
        """Reload if the stored version moved; whether the set in use changed."""
        at = await version(self._store)
        if at in (self._organisations.version, self._refused):
            return False
        try:
            stored = await load(self._store)
        except OrganisationError as exc:
            return self._refuse(stored_version=at, why=str(exc))
        if not stored.organisations:
            return self._refuse(stored_version=at, why="no organisation is stored")
        candidate = Organisations(stored.organisations, version=stored.version)
        problems = self._problems(candidate)
        refused = refusing(problems)
        if refused:
            return self._refuse(stored_version=stored.version, why="; ".join(map(str, refused)))
        self._organisations.replace(stored.organisations, version=stored.version)
        warn(problems, version=stored.version)
        log.info(
            "organisations: version %d in effect (%d organisations)",
            stored.version,
            len(stored.organisations),
        )
        async with self._changed:
            self._changed.notify_all()
        return True

    async def wait_for(self, stored_version: int) -> None:
        """Return once the set in use is at least this version (tests, and a caller that
        wrote a change and must not be answered from the old one)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._organisations.version >= stored_version)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop checking; a check under way finishes first (cancelled mid-query, a
        database driver's thread would answer a loop that is gone)."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self._every)
                return
            except TimeoutError:
                pass
            try:
                await self.refresh()
            except Exception as exc:  # the store is down: keep serving what we have
                log.warning("could not check the stored organisations: %s", exc)

    def _refuse(self, *, stored_version: int, why: str) -> bool:
        if self._refused != stored_version:
            log.error(
                "organisations version %d not taken into use, version %d stays: %s",
                stored_version,
                self._organisations.version,
                why,
            )
        self._refused = stored_version
        return False
