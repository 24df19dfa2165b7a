"""Times as people read them: the organisation's clock, in their language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.messages import Lang

# The catalogue's keys of the short names, Monday and January first (Python's order).
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def day_month(local: datetime, lang: Lang | str) -> str:
    """ "za 21 nov" / "Sat 21 Nov", without system locales."""
    day = t(f"calendar.day.{_DAYS[local.weekday()]}", lang)
    month = t(f"calendar.month.{_MONTHS[local.month - 1]}", lang)
    return f"{day} {local.day} {month}"


def clock_time(when: datetime, *, tz: ZoneInfo, now: datetime, lang: Lang | str) -> str:
    """ "14:05" on the same local day, else "za 21 nov 14:05"."""
    local = when.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    return f"{day_month(local, lang)} {local:%H:%M}"


def duration(delta: timedelta, lang: Lang | str) -> str:
    """A positive span rounded up to whole minutes: "4 min", "1 h 5 min", "2 d 3 h"."""
    minutes = max(0, int(-(-delta.total_seconds() // 60)))
    if minutes < 60:
        return t("minutes", lang, n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t("hours_minutes", lang, h=hours, m=rest)
    days, hours = divmod(hours, 24)
    return t("days_hours", lang, d=days, h=hours)
