"""One rule for every export, chat or command line: it is recorded on the timeline.

An ``evidence_exported`` event names the event the file covers (the last one before the
export: its ``covers_seq`` and hash, ``final_hash``), so the hash printed on a PDF stays
findable: ``verify`` on any later JSON of the same incident lists every earlier export
with the sequence number and hash it covers, and checks that those are in the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import EvidenceExported, ExportVia


@dataclass(frozen=True, slots=True)
class Covered:
    """The last event a file covers: what its final hash means."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class PriorExport:
    """An earlier export as recorded: when, by whom, which format, what it covered."""

    seq: int  # of the evidence_exported event itself
    at: str
    actor_name: str
    format: str
    via: str
    covered: Covered


def exported(*, fmt: str, via: ExportVia, covered: Covered) -> EvidenceExported:
    """The ``evidence_exported`` event of a file that covers up to ``covered``."""
    return EvidenceExported(
        format=fmt, via=via, covers_seq=covered.seq, final_hash=covered.hash, events=covered.seq
    )


def prior_export(*, seq: int, at: str, actor_name: str, exported: EvidenceExported) -> PriorExport:
    """Read an ``evidence_exported`` event, old (no ``covers_seq``, no ``via``) or new."""
    return PriorExport(
        seq=seq,
        at=at,
        actor_name=actor_name,
        format=exported.format or "?",
        via=(exported.via or ExportVia.CHAT).value,  # only the chat recorded before
        covered=Covered(
            seq=exported.events if exported.covers_seq is None else exported.covers_seq,
            hash=exported.final_hash,
        ),
    )
