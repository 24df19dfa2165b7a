"""Follow-ups: what an incident's plans propose at its close, so it does not happen again.

A plan declares them (``follow_ups`` in its playbook). Closing proposes each one once per
incident, owned by the lead and due ``due`` after the close. Their reminders are deadline
rows like a step's, of their own kinds (``DeadlineKind.FOLLOW_UP_SOON``/``FOLLOW_UP_DUE``,
the follow-up's id in ``step_id``), which, unlike a step's, are sent for a closed incident
as long as the follow-up is open. The card below is the same at the close, in a reminder
and on request, so its buttons are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.messages import (
    AssignFollowUp,
    Button,
    ButtonStyle,
    Field,
    FollowUpDone,
    Lang,
    Reply,
    ReplyKind,
)
from bot.playbook import FollowUpSpec, Playbook
from bot.ports import (
    Deadline,
    DeadlineKind,
    FollowUp,
    FollowUpStatus,
    Incident,
    NewDeadline,
    Transaction,
)
from bot.timefmt import clock_time, duration


def plan(follow_up: FollowUp, spec: FollowUpSpec, *, now: datetime) -> list[NewDeadline]:
    """The owner's reminders still ahead: ``remind_before`` the due date, and at it."""
    due = follow_up.due_at
    rows = [
        NewDeadline(
            follow_up.follow_up_id, DeadlineKind.FOLLOW_UP_SOON, due - lead, follow_up.owner
        )
        for lead in sorted(spec.remind_before, reverse=True)
        if due - lead > now
    ]
    if due > now:
        rows.append(
            NewDeadline(follow_up.follow_up_id, DeadlineKind.FOLLOW_UP_DUE, due, follow_up.owner)
        )
    return rows


def card(
    follow_up: FollowUp,
    spec: FollowUpSpec,
    *,
    tz: ZoneInfo,
    now: datetime,
    lang: Lang,
    kind: ReplyKind = ReplyKind.STEP,
    intro: str | None = None,
) -> Reply:
    """One follow-up: what to do and why, its owner and due date, and while it is open
    the buttons to mark it done or give it to someone else."""
    lines = [intro] if intro else []
    lines += [spec.do.get(lang), f"_{spec.why.get(lang)}_"]
    due = clock_time(follow_up.due_at, tz=tz, now=now, lang=lang)
    fields = [
        Field(t("follow_up_owner", lang), follow_up.owner_name),
        Field(t("follow_up_due", lang), due),
    ]
    buttons: tuple[Button, ...] = ()
    if follow_up.status is FollowUpStatus.DONE and follow_up.done_at is not None:
        done = clock_time(follow_up.done_at, tz=tz, now=now, lang=lang)
        fields.append(
            Field(
                t("follow_up_state", lang),
                t("follow_up_done_by", lang, time=done, name=follow_up.done_by_name or "?"),
            )
        )
    else:
        ids = (follow_up.incident_id, follow_up.follow_up_id, follow_up.version)
        buttons = (
            Button(t("btn_follow_up_done", lang), FollowUpDone(*ids), ButtonStyle.PRIMARY),
            Button(t("btn_assign", lang), AssignFollowUp(*ids)),
        )
    return Reply(
        kind=kind,
        title=t("follow_up_title", lang, title=spec.title.get(lang)),
        text="\n".join(lines),
        fields=tuple(fields),
        buttons=buttons,
        incident_id=follow_up.incident_id,
    )


async def reminder(
    tx: Transaction,
    incident: Incident,
    deadline: Deadline,
    *,
    playbooks: Mapping[str, Playbook],
    tz: ZoneInfo,
    now: datetime,
) -> Reply | None:
    """The card of the follow-up a deadline row is for, with the reminder above it; None
    once the follow-up is done (the row is then dropped, never sent)."""
    follow_up = next(
        (f for f in await tx.get_follow_ups(incident.id) if f.follow_up_id == deadline.step_id),
        None,
    )
    if follow_up is None or follow_up.status is not FollowUpStatus.OPEN:
        return None
    lang: Lang = "en" if incident.lang == "en" else "nl"
    spec = playbooks[follow_up.plan].follow_up(follow_up.follow_up_id)
    due = deadline.kind is DeadlineKind.FOLLOW_UP_DUE
    intro = t(
        "reminder_follow_up_due" if due else "reminder_follow_up_soon",
        lang,
        title=spec.title.get(lang),
        incident_id=incident.id,
        left=duration(follow_up.due_at - deadline.due_at, lang),
    )
    return card(follow_up, spec, tz=tz, now=now, lang=lang, kind=ReplyKind.REMINDER, intro=intro)
