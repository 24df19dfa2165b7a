"""The 72-hour AP assessment as the evidence file reads it from ``ap_assessed`` events.

The assessment is asked in the chat and recorded as an event; the summary page, the
timeline and the breach register all read it from there. Before the first assessment an
incident reads "not assessed yet", which is itself what the register must show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chain import parse_utc
from bot.evidence.model import Row
from bot.evidence.texts import local_long, say
from bot.messages import Lang
from bot.ports import Event

RISKS = ("none", "risk", "high")


@dataclass(frozen=True, slots=True)
class ApAssessment:
    """One ``ap_assessed`` event, read tolerantly: a missing field reads as empty, so a
    half-filled assessment still shows what is known."""

    at: datetime
    by: str
    personal_data: str  # "yes" | "no" | "unknown"
    data_kinds: str
    people: str
    approx_count: str
    risk: str  # "none" | "risk" | "high"
    notify_ap: bool
    ap_notification_number: str | None
    notified_at: datetime | None
    reason: str  # why not notified
    inform_people: bool
    measures: str
    late: bool  # assessed after the 72-hour deadline
    delay_reason: str

    @classmethod
    def from_event(cls, event: Event) -> ApAssessment:
        data = event.data

        def text(name: str, default: str = "") -> str:
            value = data.get(name)
            return default if value is None else str(value)

        notified = data.get("notified_at")
        try:
            notified_at = parse_utc(notified) if isinstance(notified, str) else None
        except ValueError:
            notified_at = None
        number = data.get("ap_notification_number")
        return cls(
            at=event.at,
            by=event.actor_name,
            personal_data=text("personal_data", "unknown"),
            data_kinds=text("data_kinds"),
            people=text("people"),
            approx_count=text("approx_count"),
            risk=text("risk"),
            notify_ap=data.get("notify_ap") is True,
            ap_notification_number=None if number in (None, "") else str(number),
            notified_at=notified_at,
            reason=text("reason"),
            inform_people=data.get("inform_people") is True,
            measures=text("measures"),
            late=data.get("late") is True,
            delay_reason=text("delay_reason"),
        )


def ap_decision(ap: ApAssessment | None, *, tz: ZoneInfo, lang: Lang) -> str:
    """ "gemeld bij de AP op ..., meldnummer ..." / "niet gemeld" / "nog niet beoordeeld"."""
    if ap is None:
        return say("ap_not_assessed", lang)
    if not ap.notify_ap:
        return say("ap_not_notified", lang)
    when = "—" if ap.notified_at is None else local_long(ap.notified_at, tz=tz, lang=lang)
    return say("ap_notified", lang, time=when, number=ap.ap_notification_number or "—")


def risk_text(ap: ApAssessment, lang: Lang) -> str:
    return say(f"risk.{ap.risk}", lang) if ap.risk in RISKS else ap.risk


def inform_text(ap: ApAssessment, lang: Lang) -> str:
    return say("ap_inform_yes" if ap.inform_people else "ap_inform_no", lang)


def personal_data_text(ap: ApAssessment, lang: Lang) -> str:
    """ "ja — namen, IBAN's — van klanten (ongeveer 250)": the what and whom in one line."""
    answer = ap.personal_data if ap.personal_data in ("yes", "no") else "unknown"
    parts = [say(answer, lang)]
    if ap.data_kinds:
        parts.append(ap.data_kinds)
    if ap.people:
        count = f" ({ap.approx_count})" if ap.approx_count else ""
        parts.append(say("ap_of_whom", lang, people=ap.people) + count)
    return " — ".join(parts)


def ap_rows(ap: ApAssessment | None, *, tz: ZoneInfo, lang: Lang) -> tuple[Row, ...]:
    """The assessment as summary rows; one row saying so when there is none yet."""
    decision = Row(say("ap_decision", lang), ap_decision(ap, tz=tz, lang=lang))
    if ap is None:
        return (decision,)
    rows = [
        decision,
        Row(say("ap_reason", lang), ap.reason),
        Row(say("ap_delay_reason", lang), ap.delay_reason),
        Row(say("ap_personal_data", lang), personal_data_text(ap, lang)),
        Row(say("ap_risk", lang), f"{risk_text(ap, lang)}; {inform_text(ap, lang)}"),
        Row(say("ap_measures", lang), ap.measures),
        Row(
            say("ap_assessed_by", lang),
            say("ap_by", lang, time=local_long(ap.at, tz=tz, lang=lang), name=ap.by),
        ),
    ]
    return tuple(row for row in rows if row.value)
