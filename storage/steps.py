"""The playbook steps of an incident, written with optimistic concurrency.

Two people can press "done" on the same step at once; each write names the version it
read, and only the first one still matching wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ports import Step, StepStatus
from storage.models import StepRow
from storage.sql import AnyRow, insert

_STEP = StepRow.__table__
# Read by every checklist, built once: building it cost more Python than running it.
_ALL = (
    select(_STEP).where(StepRow.incident_id == bindparam("incident_id")).order_by(StepRow.position)
)


async def add(conn: AsyncConnection, *, steps: Sequence[Step]) -> None:
    if steps:
        await conn.execute(
            insert(conn, StepRow),
            [{**_mutable(s), "incident_id": s.incident_id, "step_id": s.step_id} for s in steps],
        )


async def get_all(conn: AsyncConnection, *, incident_id: str) -> list[Step]:
    """In playbook order."""
    return [_step(row) for row in await conn.execute(_ALL, {"incident_id": incident_id})]


async def get_one(conn: AsyncConnection, *, incident_id: str, step_id: str) -> Step | None:
    stmt = select(_STEP).where(StepRow.incident_id == incident_id, StepRow.step_id == step_id)
    row = (await conn.execute(stmt)).first()
    return None if row is None else _step(row)


async def update_if_version(conn: AsyncConnection, *, step: Step, expected_version: int) -> bool:
    """Write ``step`` with ``version = expected_version + 1`` if the stored version is
    still ``expected_version``. On PostgreSQL a concurrent writer waits for the row lock
    and then finds the version changed, so exactly one of two racers gets True."""
    values = {**_mutable(step), "version": expected_version + 1}
    stmt = (
        update(StepRow)
        .where(
            StepRow.incident_id == step.incident_id,
            StepRow.step_id == step.step_id,
            StepRow.version == expected_version,
        )
        .values(**values)
    )
    return (await conn.execute(stmt)).rowcount == 1


def _mutable(step: Step) -> dict[str, Any]:
    return {
        "position": step.position,
        "status": step.status.value,
        "due_at": step.due_at,
        "owner": step.owner,
        "playbook_id": step.plan,
        "version": step.version,
        "done_at": step.done_at,
        "done_by": step.done_by,
        "done_by_name": step.done_by_name,
        "reason": step.reason,
        "records": step.records,
    }


def _step(row: AnyRow) -> Step:
    return Step(
        incident_id=row.incident_id,
        step_id=row.step_id,
        position=row.position,
        status=StepStatus(row.status),
        due_at=row.due_at,
        owner=row.owner,
        plan=row.playbook_id,
        version=row.version,
        done_at=row.done_at,
        done_by=row.done_by,
        done_by_name=row.done_by_name,
        reason=row.reason,
        records=row.records,
    )
