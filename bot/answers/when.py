"""Points in time as people type them, read in the organisation's time zone.

"vandaag 10:15", "gisteren 4pm", "21-11-2026 10:15", "21 nov", "vanochtend", "net",
"10 minuten geleden" ... The text is read piece by piece (a date, a day word, a time, a part
of the day); every piece found is cut out, and if anything but filler words is left over the
answer is refused rather than half-understood: a wrong time on a fraud report misleads the
bank, a question asked twice costs ten seconds.

Numeric dates are day-month-year (this is a Dutch product; English speakers here write the
same). A date without a year is the most recent one that is not in the future. A date
without a time is stored at 12:00 local time (or now, if that is earlier today): noon is at
most twelve hours off either way, whereas midnight would put the payment on the previous day
in UTC. The person is told so in a note and the display says "tijd onbekend".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.answers.base import Parsed, fail, fold, structured_input
from bot.answers.texts import say
from bot.messages import Lang
from bot.timefmt import day_month

FUTURE_GRACE: Final = timedelta(minutes=5)
MAX_AGE: Final = timedelta(days=365)
UNKNOWN_TIME: Final = time(12, 0)

_MONTHS: Final = {
    **dict.fromkeys(("januari", "january", "jan"), 1),
    **dict.fromkeys(("februari", "february", "feb"), 2),
    **dict.fromkeys(("maart", "march", "mrt", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mei", "may"), 5),
    **dict.fromkeys(("juni", "june", "jun"), 6),
    **dict.fromkeys(("juli", "july", "jul"), 7),
    **dict.fromkeys(("augustus", "august", "aug"), 8),
    **dict.fromkeys(("september", "sept", "sep"), 9),
    **dict.fromkeys(("oktober", "october", "okt", "oct"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("december", "dec"), 12),
}
_WEEKDAYS: Final = {
    **dict.fromkeys(("maandag", "monday", "mon"), 0),
    **dict.fromkeys(("dinsdag", "tuesday", "tue", "tues"), 1),
    **dict.fromkeys(("woensdag", "wednesday", "wed"), 2),
    **dict.fromkeys(("donderdag", "thursday", "thu", "thur", "thurs"), 3),
    **dict.fromkeys(("vrijdag", "friday", "fri"), 4),
    **dict.fromkeys(("zaterdag", "saturday", "sat"), 5),
    **dict.fromkeys(("zondag", "sunday", "sun"), 6),
}
_DAY_OFFSETS: Final = {
    **dict.fromkeys(("eergisteren", "eergister", "day before yesterday"), 2),
    **dict.fromkeys(("gisteren", "gister", "yesterday", "last"), 1),
    **dict.fromkeys(("vandaag", "today", "van", "this"), 0),
}
_DAYPARTS: Final = {
    **dict.fromkeys(("ochtend", "morgen", "morning", "ochtends", "morgens"), 9),
    **dict.fromkeys(("middag", "afternoon", "middags"), 14),
    **dict.fromkeys(("avond", "evening", "night", "avonds"), 19),
    **dict.fromkeys(("nacht", "nachts"), 3),
}
_LATER_PARTS: Final = frozenset({"middag", "afternoon", "middags", "avond", "evening", "avonds"})
_NIGHT_PARTS: Final = frozenset({"night", "nacht", "nachts"})


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation, longest first so "september" wins over "sep"."""
    return "|".join(sorted(words, key=len, reverse=True))


_MONTH: Final = _alternatives(_MONTHS)
_PART: Final = _alternatives(_DAYPARTS)
_ISO_DATETIME: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:z|[+-]\d{2}:?\d{2})?"
)
_DATES: Final = (
    re.compile(r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[-/.](?P<mo>\d{1,2})[-/.](?P<y>\d{4}|\d{2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[-/](?P<mo>\d{1,2})\b"),
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th|ste|de|e)?\s*(?:of\s+)?(?P<mon>{_MONTH})\b\.?"
        r"(?:\s*(?P<y>\d{4})\b)?"
    ),
    re.compile(
        rf"\b(?P<mon>{_MONTH})\b\.?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(?P<y>\d{{4}})\b)?"
    ),
)
_AGO: Final = re.compile(
    r"\b(?P<n>\d{1,3}|een\s+half|half\s+an|anderhalf|half|een|an|a)\s*"
    r"(?P<unit>minuten|minuut|minutes|minute|mins|min|kwartier|uren|uur|hours|hour|hrs|"
    r"dagen|dag|days|day)\s+(?:geleden|ago)\b"
)
_FEW_AGO: Final = re.compile(
    r"\b(?:een\s+paar|a\s+few|a\s+couple\s+of|enkele)\s+(?:minuten|minutes)\s+(?:geleden|ago)\b"
)
_RELATIVE: Final = re.compile(
    r"\b(?P<day>eergisteren|eergister|(?:the\s+)?day\s+before\s+yesterday|gisteren|gister|"
    rf"yesterday|vandaag|today|van|this|last)\s*(?P<part>{_PART})?\b"
)
_TONIGHT: Final = re.compile(r"\btonight\b")
_TOMORROW: Final = re.compile(r"\b(?:overmorgen|morgen|tomorrow)\b")
_WEEKDAY: Final = re.compile(
    rf"\b(?:(?:vorige|afgelopen|last|past|op|on)\s+)?(?P<wd>{_alternatives(_WEEKDAYS)})\b"
)
_PART_ALONE: Final = re.compile(rf"\b(?:s\s+|in\s+the\s+|at\s+)?(?P<part>{_PART})\b")
_TIMES: Final = (
    re.compile(
        r"\b(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.]\d{2})?\b\s*(?P<ampm>am|pm)?(?:\s*(?:uur|u|h)\b)?"
    ),
    re.compile(r"\b(?P<h>\d{1,2})\s*[uh]\s*(?P<m>\d{2})\b"),
    re.compile(r"\b(?P<h>\d{1,2})\s*(?P<ampm>am|pm)\b"),
    re.compile(r"\b(?P<h>\d{1,2})\s*(?:uur|u|h|oclock)\b"),
    re.compile(r"\b(?:om|at|rond|around|omstreeks|tegen)\s+(?P<h>\d{1,2})\b"),
)
_NOW: Final = re.compile(
    r"\b(?:net\s+nu|right\s+now|just\s+now|zojuist|zonet|daarnet|net|nu|now|just)\b"
)
_FILLER_WORDS: Final = (
    "om at rond rondom around about approx approximately ongeveer circa ca omstreeks tegen "
    "ergens sometime precies exactly on op de the van of in s het was it is ik denk i think "
    "volgens mij en and dat that uur u h hrs ma di wo do vr za zo plm"
)
_FILLER: Final = frozenset(_FILLER_WORDS.split())
"""Words that may surround a time without changing it (Dutch two-letter day names included:
they come with a date, as in our own display, and "zo" also just means "so")."""


@dataclass(slots=True)
class _Reading:
    """What was found in the text so far."""

    day: date | None = None
    hour: int | None = None
    minute: int = 0
    ampm: str | None = None
    part: str | None = None
    part_word: str = ""
    exact: datetime | None = None


def parse_datetime(text: str, *, lang: Lang, now: datetime, tz: ZoneInfo) -> Parsed:
    """``value`` "2026-11-21T09:15:00.000000Z" (UTC); ``display`` local, in ``lang``."""
    raw = structured_input(text, unreadable="when.unreadable", lang=lang)
    now_utc = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    now_local = now_utc.astimezone(tz)
    rest = " " + " ".join(fold(raw).replace("a.m.", "am").replace("p.m.", "pm").split()) + " "
    rest = re.sub(r"['’`]", "", rest).replace(",", " ").rstrip(" .!?") + " "
    iso = _ISO_DATETIME.fullmatch(rest.strip())
    if iso:
        return _finish(_from_iso(iso.group(0), tz=tz, lang=lang), (), now_utc, tz, lang)
    reading = _Reading()
    rest = _read_days(rest, reading, now_local=now_local, lang=lang)
    rest = _read_time(rest, reading, lang=lang)
    found_now = _NOW.search(rest) is not None
    rest = _NOW.sub(" ", rest)
    if any(word not in _FILLER for word in re.findall(r"[^\W_]+", rest)):
        raise fail("when.unreadable", lang)
    return _combine(reading, found_now=found_now, now_local=now_local, tz=tz, lang=lang)


def _read_days(rest: str, reading: _Reading, *, now_local: datetime, lang: Lang) -> str:
    """Cut out everything that says which day (or exactly when); return what is left."""
    today = now_local.date()
    few = _FEW_AGO.search(rest)
    if few:
        reading.exact = now_local
        rest = _cut(rest, few)
    ago = _AGO.search(rest)
    if ago:
        rest = _cut(rest, ago)
        amount = _amount(ago.group("n"))
        unit = ago.group("unit")
        if unit.startswith(("dag", "day")):
            reading.day = today - timedelta(days=int(amount))
        else:
            minutes = 15 if unit == "kwartier" else 60 if unit[0] in "uh" else 1
            reading.exact = now_local - timedelta(minutes=amount * minutes)
    for pattern in _DATES:
        match = pattern.search(rest)
        if match and reading.day is None:
            reading.day = _explicit_date(match, today=today, lang=lang)
            rest = _cut(rest, match)
    for match in _RELATIVE.finditer(rest):
        word = " ".join(match.group("day").split()).removeprefix("the ")
        part = match.group("part")
        if not _is_day_phrase(word, part):
            continue
        if reading.day is None:
            reading.day = today - timedelta(days=_DAY_OFFSETS[word])
        if part:
            reading.part, reading.part_word = part, match.group(0).strip()
        rest = _cut(rest, match)
        break
    tonight = _TONIGHT.search(rest)
    if tonight:
        reading.day = reading.day or today
        reading.part, reading.part_word = "evening", "tonight"
        rest = _cut(rest, tonight)
    tomorrow = _TOMORROW.search(rest)
    if tomorrow:
        raise fail("when.future", lang, when=tomorrow.group(0))
    weekday = _WEEKDAY.search(rest)
    if weekday:
        if reading.day is None:
            reading.day = today - timedelta(days=(today.weekday() - _WEEKDAYS[weekday["wd"]]) % 7)
        rest = _cut(rest, weekday)
    part = _PART_ALONE.search(rest)
    if part and reading.part is None:
        reading.part, reading.part_word = part.group("part"), part.group(0).strip()
        rest = _cut(rest, part)
    return rest


def _read_time(rest: str, reading: _Reading, *, lang: Lang) -> str:
    """Cut out the time of day, if any; return what is left."""
    for pattern in _TIMES:
        match = pattern.search(rest)
        if match is None:
            continue
        groups = match.groupdict()
        reading.hour = int(groups["h"])
        reading.minute = int(groups.get("m") or 0)
        reading.ampm = groups.get("ampm")
        if reading.hour > 23 or reading.minute > 59 or (reading.ampm and reading.hour > 12):
            raise fail("when.bad_time", lang, time=match.group(0).strip())
        return _cut(rest, match)
    return rest


def _combine(
    reading: _Reading, *, found_now: bool, now_local: datetime, tz: ZoneInfo, lang: Lang
) -> Parsed:
    """Turn the pieces into one local moment, with notes for every assumption made."""
    has_time = reading.hour is not None
    if reading.exact is not None:
        if has_time or reading.day is not None or reading.part is not None:
            raise fail("when.unreadable", lang)
        return _finish(reading.exact.replace(second=0, microsecond=0), (), now_local, tz, lang)
    if reading.day is None and not has_time and reading.part is None:
        if not found_now:
            raise fail("when.unreadable", lang)
        return _finish(now_local.replace(second=0, microsecond=0), (), now_local, tz, lang)
    day = reading.day or now_local.date()
    if reading.hour is not None:
        hour = _twelve_hour(reading.hour, ampm=reading.ampm, part=reading.part)
        moment = datetime.combine(day, time(hour, reading.minute), tzinfo=tz)
        return _finish(moment, (), now_local, tz, lang)
    if reading.part is not None:
        moment = datetime.combine(day, time(_DAYPARTS[reading.part]), tzinfo=tz)
        note = say("when.note.daypart", lang, time=f"{moment:%H:%M}", word=reading.part_word)
        return _finish(moment, (note,), now_local, tz, lang)
    moment = min(datetime.combine(day, UNKNOWN_TIME, tzinfo=tz), now_local)
    moment = moment.replace(second=0, microsecond=0)
    note = say("when.note.no_time", lang, time=f"{moment.astimezone(tz):%H:%M}")
    return _finish(moment, (note,), now_local, tz, lang, time_known=False)


def _finish(
    moment: datetime,
    notes: tuple[str, ...],
    now: datetime,
    tz: ZoneInfo,
    lang: Lang,
    *,
    time_known: bool = True,
) -> Parsed:
    """Check the moment is plausible (not future, not older than a year) and render it."""
    local = moment.astimezone(tz)
    display = format_moment(local, lang, time_known=time_known)
    if moment > now + FUTURE_GRACE:
        raise fail("when.future", lang, when=display)
    if moment < now - MAX_AGE:
        raise fail("when.too_old", lang, when=display)
    value = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return Parsed(value=value, display=display, notes=notes)


def format_moment(local: datetime, lang: Lang, *, time_known: bool = True) -> str:
    """ "za 21 nov 2026, 10:15" / "Sat 21 Nov 2026, 10:15", without system locales."""
    day = day_month(local, lang)
    if time_known:
        return f"{day} {local.year}, {local:%H:%M}"
    return f"{day} {local.year} ({say('when.unknown_time', lang)})"


def _is_day_phrase(word: str, part: str | None) -> bool:
    """ "van" and "this" only name a day with a part of it ("vanochtend", "this morning");
    "last" only in "last night" ("last friday" is a weekday)."""
    if word in ("van", "this"):
        return part is not None
    if word == "last":
        return part == "night"
    return True


def _twelve_hour(hour: int, *, ampm: str | None, part: str | None) -> int:
    """Apply "pm" or a later part of the day ("'s middags", "in the evening") to the hour."""
    if ampm == "am":
        return 0 if hour == 12 else hour
    if ampm == "pm":
        return hour if hour == 12 else hour + 12
    if part in _LATER_PARTS and 1 <= hour < 12:
        return hour + 12
    if part in _NIGHT_PARTS and 6 <= hour < 12:
        return hour + 12
    return hour


def _explicit_date(match: re.Match[str], *, today: date, lang: Lang) -> date:
    """A written date; without a year, the most recent one not after ``today``."""
    groups = match.groupdict()
    day = int(groups["d"])
    month = _MONTHS[groups["mon"]] if groups.get("mon") else int(groups["mo"])
    year_text = groups.get("y")
    written = match.group(0).strip()
    year = int(year_text) + (2000 if len(year_text) == 2 else 0) if year_text else None
    if year is not None and year > today.year:
        raise fail("when.future", lang, when=written)
    if year is not None and year < today.year - 1:  # also keeps year 1 from overflowing
        raise fail("when.too_old", lang, when=written)
    try:
        if year is not None:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate <= today else date(today.year - 1, month, day)
    except ValueError:
        raise fail("when.bad_date", lang, date=written) from None


def _from_iso(text: str, *, tz: ZoneInfo, lang: Lang) -> datetime:
    """A machine-written timestamp (a web form's datetime field); naive means local."""
    try:
        parsed = datetime.fromisoformat(text.upper())
        return (parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed).astimezone(UTC)
    except (ValueError, OverflowError):  # year 1 or 9999 shifted out of range by the offset
        raise fail("when.unreadable", lang) from None


def _amount(word: str) -> float:
    if word.isdigit():
        return float(word)
    if word.startswith("anderhalf"):
        return 1.5
    return 0.5 if "half" in word else 1.0


def _cut(rest: str, match: re.Match[str]) -> str:
    return rest[: match.start()] + " " + rest[match.end() :]
