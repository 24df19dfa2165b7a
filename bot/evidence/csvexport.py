"""The timeline as CSV for spreadsheets: one row per event.

Written for Excel as people open it by double-clicking: UTF-8 with a byte-order mark (or
"ë" turns into "Ã«"), and ";" between fields in Dutch, because Excel with Dutch regional
settings expects that and would otherwise put a whole row in one cell. A cell that
starts like a formula (=, +, -, @) gets a leading apostrophe, so a reason typed in the
chat can never run as a formula on the reader's machine.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import BinaryIO

from bot.chain import format_utc
from bot.evidence.model import EventLine, Timeline
from bot.evidence.texts import say
from bot.messages import Lang

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def delimiter(lang: Lang) -> str:
    """What a spreadsheet in that language splits fields on (Dutch Excel: ";")."""
    return say("csv_delimiter", lang)


def safe(text: str) -> str:
    """``text`` that a spreadsheet shows as text, never evaluates."""
    return "'" + text if text.startswith(FORMULA_START) else text


def render_csv(timeline: Timeline) -> bytes:
    out = io.BytesIO()
    writer = CsvWriter(out, timeline=timeline)
    writer.add(timeline.events)
    return out.getvalue()


class CsvWriter:
    """The CSV written as it goes: the header row, then each chunk of lines as it comes."""

    def __init__(self, out: BinaryIO, *, timeline: Timeline) -> None:
        lang = timeline.lang
        self._out = out
        self._text = io.StringIO()
        self._writer = csv.writer(self._text, delimiter=delimiter(lang), lineterminator="\r\n")
        self._writer.writerow(
            [
                "seq",
                f"{say('col_local', lang)} ({timeline.tz.key})",
                say("col_utc", lang),
                say("col_who", lang),
                "kind",
                say("col_what", lang),
                "data",
                "hash",
            ]
        )
        self._flush(BOM)

    def add(self, lines: Iterable[EventLine]) -> None:
        for line in lines:
            self._writer.writerow(
                [
                    line.seq,
                    line.local,
                    format_utc(line.at),
                    safe(line.actor_name),
                    line.kind,
                    safe(line.text),
                    json.dumps(line.data, ensure_ascii=False, sort_keys=True),
                    line.hash,
                ]
            )
        self._flush()

    def _flush(self, prefix: str = "") -> None:
        self._out.write((prefix + self._text.getvalue()).encode("utf-8"))
        self._text.seek(0)
        self._text.truncate()
