"""The evidence file's own words and how it writes times.

A document handed to the police or an insurer reads differently from a chat message, so
its words have their own table in the catalogue (``[evidence]`` in ``bot/locales/*.toml``);
they are read by the view model and the renderers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import i18n
from bot.i18n import t
from bot.messages import Lang
from bot.timefmt import day_month


def say(key: str, lang: Lang, **values: Any) -> str:
    """The evidence text ``key`` (``evidence.<key>`` in ``bot/locales``), filled in."""
    return t(f"evidence.{key}", lang, **values)


def has(key: str) -> bool:
    return i18n.has(f"evidence.{key}")


def local_long(when: datetime, *, tz: ZoneInfo, lang: Lang) -> str:
    """ "vr 20 nov 2026 10:07" / "Fri 20 Nov 2026 10:07": for people, with the weekday."""
    local = when.astimezone(tz)
    return f"{day_month(local, lang)} {local.year} {local:%H:%M}"


def local_stamp(when: datetime, *, tz: ZoneInfo) -> str:
    """ "20-11-2026 10:07:03 CET": numeric, to the second, with the zone's abbreviation."""
    local = when.astimezone(tz)
    return f"{local:%d-%m-%Y %H:%M:%S} {local.tzname()}"


def utc_stamp(when: datetime) -> str:
    """ "2026-11-20 09:07:03Z": the same instant in UTC, to the second."""
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"


def span(delta: timedelta, lang: Lang) -> str:
    """A positive span rounded up to whole minutes: "4 min", "1 u 5 min", "3 d 0 u"."""
    minutes = max(0, int(-(-delta.total_seconds() // 60)))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    h = say("hour", lang)
    if hours < 48:
        return f"{hours} {h} {rest} min" if rest else f"{hours} {h}"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} {h}" if hours else f"{days} d"
