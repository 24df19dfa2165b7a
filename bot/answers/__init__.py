"""A typed answer to a fact question, validated and normalised.

``parse_answer`` is the one entry point: it returns a ``Parsed`` (what to store, what to say
back, any remarks) or raises ``AnswerError`` whose message tells the person, in their
language, what to type instead. No other exception escapes for any text; the only other
error is ``ValueError`` for a call no playbook should make (an unknown fact type, a choice
without options), which playbook loading is expected to rule out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from bot.answers.base import AnswerError, Parsed, fail
from bot.answers.choice import parse_choice, yes_no_options
from bot.answers.iban import parse_iban
from bot.answers.money import format_money, parse_money
from bot.answers.when import format_moment, parse_datetime
from bot.messages import Lang
from bot.playbook.models import FactType

__all__ = [
    "FACT_TYPES",
    "MAX_TEXT_CHARS",
    "AnswerError",
    "FactType",
    "Parsed",
    "format_moment",
    "format_money",
    "parse_answer",
    "yes_no_options",
]

FACT_TYPES: Final = frozenset(FactType)
MAX_TEXT_CHARS: Final = 500

_UNSTORABLE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""Control characters and lone surrogates: PostgreSQL rejects NUL in text and no encoder
takes a lone surrogate, and neither is anything a person meant to type."""


def parse_answer(
    fact_type: str,
    text: str,
    *,
    lang: Lang,
    now: datetime,
    tz: ZoneInfo,
    options: Sequence[tuple[str, str]] = (),
) -> Parsed:
    """Parse ``text`` as an answer of ``fact_type`` (one of ``FACT_TYPES``).

    ``now`` and ``tz`` are only used for "datetime" (relative times are read in the
    organisation's zone); ``options`` only for "choice" and "yes_no", as
    ``(option_id, label in lang)``.
    """
    kind = FactType(fact_type)
    if kind is FactType.TEXT:
        return parse_text(text, lang=lang)
    if kind is FactType.MONEY:
        return parse_money(text, lang=lang)
    if kind is FactType.DATETIME:
        return parse_datetime(text, lang=lang, now=now, tz=tz)
    if kind is FactType.IBAN:
        return parse_iban(text, lang=lang)
    return parse_choice(text, lang=lang, options=options, yes_no=kind is FactType.YES_NO)


def parse_text(text: str, *, lang: Lang) -> Parsed:
    """Free text, trimmed and cleaned of characters that cannot be stored."""
    cleaned = _UNSTORABLE.sub("", text).replace("\r\n", "\n").strip()
    if not cleaned:
        raise fail("empty", lang)
    if len(cleaned) > MAX_TEXT_CHARS:
        raise fail("text.too_long", lang, limit=MAX_TEXT_CHARS, count=len(cleaned))
    return Parsed(value=cleaned, display=cleaned)
