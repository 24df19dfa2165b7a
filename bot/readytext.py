"""A text ready to send, filled with what the incident knows, and the event that records it.

Filling never guesses: a placeholder whose value is not known yet becomes a marker
("[nog onbekend: Bedrag]"), and the filled text says which ones those are, so the person
can add them before sending. What was shown is recorded as ``text_prepared`` exactly as
shown, with the values it used and what was missing: the evidence file carries the text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.i18n import t
from bot.messages import Lang
from bot.playbook.placeholders import PLACEHOLDER


@dataclass(frozen=True, slots=True)
class Missing:
    """A placeholder with no value yet: as written, and as the person reads it."""

    placeholder: str
    label: str


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A filled text as shown; ``bot.events.TextPrepared.of`` records it."""

    text_id: str
    lang: Lang
    title: str
    body: str
    used: Mapping[str, str]  # placeholder as written -> the value put in its place
    missing: tuple[Missing, ...]


def marker(label: str, lang: Lang) -> str:
    return t("text_missing_marker", lang, label=label)


def fill(
    *,
    text_id: str,
    title: str,
    body: str,
    lang: Lang,
    value_of: Callable[[str], str | None],
    label_of: Callable[[str], str],
) -> PreparedText:
    """``body`` with each placeholder replaced by ``value_of`` it, or by a marker with
    ``label_of`` it when there is no value (None or empty)."""
    used: dict[str, str] = {}
    missing: dict[str, Missing] = {}
    for match in PLACEHOLDER.finditer(body):
        raw = match.group(1)
        if raw in used or raw in missing:
            continue
        value = value_of(raw)
        if value:
            used[raw] = value
        else:
            missing[raw] = Missing(raw, label_of(raw))

    def replace(match: Any) -> str:
        raw = match.group(1)
        return used[raw] if raw in used else marker(missing[raw].label, lang)

    return PreparedText(
        text_id=text_id,
        lang=lang,
        title=title,
        body=PLACEHOLDER.sub(replace, body),
        used=used,
        missing=tuple(missing.values()),
    )
