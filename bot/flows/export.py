"""The evidence file, handed over in the conversation ("export")."""

from __future__ import annotations

import functools
import io
import logging
from datetime import datetime

from bot.events import ExportVia, append_event
from bot.evidence.cli import Format, write_export
from bot.evidence.drawing import IN_THREAD
from bot.evidence.exports import exported
from bot.evidence.workers import DrawingStopped
from bot.flows.turn import Turn
from bot.messages import Attachment, Reply, ReplyKind
from bot.organisation import Organisations
from bot.ports import Incident, Store

log = logging.getLogger(__name__)


async def export(turn: Turn, incident: Incident) -> None:
    """Only the people in the incident and the organisation's managers may take it out
    (the caller checks; ``export_by_id`` for closed incidents).

    The turn only decides; the file is made after its commit (``_hand_over``), so a long
    timeline holds no transaction, and on SQLite no one else's turn waits for it.
    """
    turn.after_commit.append(
        functools.partial(_hand_over, turn, incident.id, position=turn.reply_later())
    )


async def _hand_over(
    turn: Turn, incident_id: str, store: Store, now: datetime, *, position: int
) -> None:
    """Stream the timeline from a read-only snapshot (no write lock: others go on), drawing
    each chunk where the app draws (a worker process, so this one keeps serving), then
    record that it was exported (with the seq and hash it covers) in a short transaction of
    its own. A worker that stopped is a sentence for the person, and nothing recorded."""
    out = io.BytesIO()
    try:
        async with store.snapshot() as tx:
            covered = await write_export(
                tx,
                incident_id,
                Format.PDF,
                out,
                organisations=Organisations([turn.org]),
                playbooks=turn.playbooks,
                generated_at=now,
                lang=turn.lang,
                generated_by=turn.actor_name,
                drawer=turn.drawer or IN_THREAD,
            )
    except DrawingStopped:
        log.exception("the evidence file of %s was not made", incident_id)
        text = turn.t("export_failed", incident_id=incident_id)
        turn.say_at(position, Reply(kind=ReplyKind.ERROR, incident_id=incident_id, text=text))
        return
    data = out.getvalue()
    async with store.transaction() as tx:
        await tx.get_incident(incident_id, lock=True)  # appends to the chain one at a time
        await append_event(
            tx,
            incident_id,
            exported(fmt=Format.PDF.value, via=ExportVia.CHAT, covered=covered),
            at=now,
            actor=turn.actor,
            actor_name=turn.actor_name,
        )
    stamp = now.astimezone(turn.org.tz).strftime("%Y%m%d-%H%M")
    turn.say_at(
        position,
        Reply(
            kind=ReplyKind.TEXT,
            incident_id=incident_id,
            text=turn.t(
                "exported", incident_id=incident_id, seq=covered.seq, hash=covered.hash[:16]
            ),
            attachment=Attachment(
                filename=f"noodrem-{incident_id}-{stamp}.pdf",
                content_type="application/pdf",
                data=data,
            ),
        ),
    )


async def export_by_id(turn: Turn, incident_id: str) -> None:
    """Closed incidents too: the file is most wanted once the incident is over."""
    await export(turn, await turn.readable_incident(incident_id))
