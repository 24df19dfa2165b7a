"""The evidence file, handed over in the conversation ("export")."""

from __future__ import annotations

import asyncio

from bot.evidence.cli import Format, render
from bot.evidence.exports import EXPORTED, ExportVia, covered_by, export_data
from bot.evidence.source import read_evidence
from bot.flows.turn import Turn
from bot.messages import Attachment, Reply, ReplyKind
from bot.organisation import Organisations
from bot.ports import Incident


async def export(turn: Turn, incident: Incident) -> None:
    """Only the people in the incident and the organisation's managers may take it out
    (the caller checks; ``export_by_id`` for closed incidents)."""
    evidence = await read_evidence(
        turn.tx,
        incident.id,
        organisations=Organisations([turn.org]),
        playbooks=turn.playbooks,
        generated_at=turn.now,
        lang=turn.lang,
        generated_by=turn.actor_name,
    )
    # Drawing a long timeline takes a moment: off the event loop, so other chats go on.
    data = await asyncio.to_thread(render, evidence, Format.PDF)
    covered = covered_by(evidence.events)
    await turn.record(
        incident.id,
        EXPORTED,
        **export_data(fmt=Format.PDF.value, via=ExportVia.CHAT, covered=covered),
    )
    stamp = turn.now.astimezone(turn.org.tz).strftime("%Y%m%d-%H%M")
    turn.say(
        Reply(
            kind=ReplyKind.TEXT,
            incident_id=incident.id,
            text=turn.t(
                "exported", incident_id=incident.id, seq=covered.seq, hash=covered.hash[:16]
            ),
            attachment=Attachment(
                filename=f"noodrem-{incident.id}-{stamp}.pdf",
                content_type="application/pdf",
                data=data,
            ),
        )
    )


async def export_by_id(turn: Turn, incident_id: str) -> None:
    """Closed incidents too: the file is most wanted once the incident is over."""
    await export(turn, await turn.readable_incident(incident_id))
