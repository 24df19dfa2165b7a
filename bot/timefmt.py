"""Times as people read them: the organisation's clock, in their language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.messages import Lang

DAY_NAMES: dict[Lang, tuple[str, ...]] = {
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTH_NAMES: dict[Lang, tuple[str, ...]] = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def clock_time(when: datetime, *, tz: ZoneInfo, now: datetime, lang: Lang | str) -> str:
    """ "14:05" on the same local day, else "za 21 nov 14:05"."""
    local = when.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M")
    code: Lang = "en" if lang == "en" else "nl"
    day = DAY_NAMES[code][local.weekday()]
    month = MONTH_NAMES[code][local.month - 1]
    return f"{day} {local.day} {month} {local:%H:%M}"


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
