"""What the answer parsers say: the catalogue's ``[answers]`` table (``bot/locales``).

Each message says what went wrong in plain words and what to type instead, and ends with
the way out ("weet ik niet"), because the person reading it is under stress and the
question can always be answered later.
"""

from __future__ import annotations

from bot import i18n
from bot.i18n import t
from bot.messages import Lang


def say(key: str, lang: Lang, **values: object) -> str:
    """The message ``answers.<key>`` in ``lang`` with ``values`` filled in."""
    return t(f"answers.{key}", lang, **values)


def country_name(code: str, lang: Lang) -> str:
    """The country's name in ``lang``; the code itself when we have no name for it."""
    key = f"countries.{code.upper()}"
    return t(key, lang) if i18n.has(key) else code.upper()
