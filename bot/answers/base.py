"""What every answer parser returns or raises, shared by the parsers of each fact type."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from bot.answers.texts import say
from bot.errors import InputError
from bot.messages import Lang

MAX_STRUCTURED_CHARS: Final = 200
"""Longer input cannot be an amount, a time, an IBAN or a choice: rejected before any regex
runs, so a pasted e-mail costs nothing."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """``value`` is the normalised machine form that is stored; ``display`` is how the bot
    says it back (in the requested language); ``notes`` are plain remarks to say with it."""

    value: str
    display: str
    notes: tuple[str, ...] = ()


class AnswerError(InputError):
    """The typed answer cannot be used. ``message`` is for the person (in their language,
    saying what to type instead); ``reason`` is a stable key for code and tests."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def fail(reason: str, lang: Lang, **values: object) -> AnswerError:
    """The ``AnswerError`` for ``reason``, its message taken from ``texts``."""
    return AnswerError(say(reason, lang, **values), reason=reason)


def fold(text: str) -> str:
    """Casefolded with accents removed: "Oké" and "oke" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def structured_input(text: str, *, unreadable: str, lang: Lang, **values: object) -> str:
    """``text`` trimmed, or ``AnswerError`` if empty or too long to be a structured answer
    (then the ``unreadable`` message, filled in with ``values``)."""
    stripped = text.strip()
    if not stripped:
        raise fail("empty", lang)
    if len(stripped) > MAX_STRUCTURED_CHARS:
        raise fail(unreadable, lang, **values)
    return stripped
