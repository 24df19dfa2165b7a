"""The engine's messages as neutral ``Reply`` objects: questions, step cards, checklists.

Adapters decide how a card looks on their platform; this module decides what is on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from bot.answers.iban import bank_of
from bot.answers.money import stored_money_text
from bot.evidence.describe import answer_text, fact_label
from bot.i18n import t
from bot.messages import (
    Action,
    AssignStep,
    Button,
    ButtonStyle,
    Close,
    FactOption,
    Field,
    FillFacts,
    HandOff,
    HandOverLead,
    Lang,
    PickFor,
    PickIncident,
    RecallUpdate,
    Reply,
    ReplyKind,
    ShowStatus,
    ShowTimeline,
    SkipFact,
    StepBlocked,
    StepDone,
    StepHelp,
    StepShow,
    StepSkip,
    StepText,
    TakeLead,
)
from bot.organisation import Organisation
from bot.playbook import (
    ORG_CONTACT_IDS,
    FactSpec,
    FactType,
    OrgContactKind,
    Playbook,
    RecordSpec,
    StepSpec,
)
from bot.ports import (
    Fact,
    FactStatus,
    HandoffMessage,
    HandoffStatus,
    Incident,
    IncidentPlan,
    Payment,
    PlanRole,
    RecallStatus,
    Step,
    StepStatus,
)
from bot.timefmt import clock_time, duration


def contact_lines(
    ids: Sequence[str], *, playbook: Playbook | None, org: Organisation, lang: Lang
) -> str:
    """One line per contact: name, phone, e-mail, website; organisation contacts first.

    Without a playbook (advice before any plan is chosen) only the organisation's own
    contacts, or where to find them, are known."""
    lines = []
    for contact_id in ids:
        org_contact = (
            org.contacts.get(OrgContactKind(contact_id)) if contact_id in ORG_CONTACT_IDS else None
        )
        if org_contact is not None:
            parts = [org_contact.name, org_contact.phone, org_contact.email, org_contact.url]
        elif playbook is not None and contact_id in playbook.contacts:
            c = playbook.contacts[contact_id]
            parts = [c.name.get(lang), c.phone, c.email, c.url]
        else:
            parts = [t(f"org_contact_{contact_id}", lang)]
        lines.append(" · ".join(p for p in parts if p))
    return "\n".join(lines)


def fact_question(
    fact: FactSpec, *, incident: Incident, lang: Lang, number: int, total: int
) -> Reply:
    buttons: list[Button] = []
    if fact.type in (FactType.CHOICE, FactType.YES_NO):
        labels = option_labels(fact, lang)
        buttons = [
            Button(label, FactOption(incident.id, fact.id, option_id))
            for option_id, label in labels
        ]
    buttons.append(Button(t("dont_know", lang), SkipFact(incident.id, fact.id)))
    text = fact.ask.get(lang)
    if fact.hint is not None:
        text += "\n" + fact.hint.get(lang)
    return Reply(
        kind=ReplyKind.QUESTION,
        title=t("question_title", lang, n=number, total=total),
        text=text,
        buttons=tuple(buttons),
        incident_id=incident.id,
    )


def option_labels(fact: FactSpec | RecordSpec, lang: Lang) -> list[tuple[str, str]]:
    """(option id, label) pairs for choice and yes/no facts, in the person's language."""
    if fact.type is FactType.YES_NO:
        return [("yes", t("answers.choice.yes", lang)), ("no", t("answers.choice.no", lang))]
    return [(o.id, o.label.get(lang)) for o in fact.options]


def deadline_text(due_at: datetime, *, now: datetime, org: Organisation, lang: Lang) -> str:
    time = clock_time(due_at, tz=org.tz, now=now, lang=lang)
    if due_at >= now:
        return t("deadline_value", lang, time=time, left=duration(due_at - now, lang))
    return t("deadline_overdue", lang, time=time, late=duration(now - due_at, lang))


def step_card(
    spec: StepSpec,
    step: Step,
    *,
    incident: Incident,
    playbook: Playbook,
    org: Organisation,
    now: datetime,
    lang: Lang,
    facts: Mapping[str, Fact],
    owner_name: str,
    handoffs: Sequence[HandoffMessage] = (),
    can_hand_off: bool = False,
) -> Reply:
    """``handoffs``: this step's hand-off messages so far; ``can_hand_off``: the
    organisation config says where a hand-off goes and this installation can send it."""
    fields = [Field(t("why", lang), spec.why.get(lang))]
    known = _known_facts(spec, playbook, facts, org=org, lang=lang)
    if known:
        fields.insert(0, Field(t("known_facts", lang), known))
    if spec.contacts:
        fields.append(
            Field(
                t("contact", lang),
                contact_lines(spec.contacts, playbook=playbook, org=org, lang=lang),
            )
        )
    if spec.have_ready:
        fields.append(
            Field(
                t("have_ready", lang), "\n".join(f"• {item.get(lang)}" for item in spec.have_ready)
            )
        )
    deadline = deadline_text(step.due_at, now=now, org=org, lang=lang)
    since = next(
        (p.since for p in incident.plan_list() if p.playbook_id == step.plan and p.running), None
    )
    if since is not None and since != incident.reported_at:  # a plan brought in later
        deadline += "\n" + t(
            "deadline_from_plan", lang, time=clock_time(since, tz=org.tz, now=now, lang=lang)
        )
    fields.append(Field(t("deadline", lang), deadline))
    fields.append(Field(t("owner", lang), owner_name))
    handoff_button: tuple[Button, ...] = ()
    if spec.handoff is not None:
        contact = org.contacts.get(spec.handoff.to.contact)
        name = contact.name if contact is not None else t("handoff_default_name", lang)
        live = [h for h in handoffs if h.status is not HandoffStatus.FAILED]
        if handoffs:
            lines = "\n".join(handoff_line(h, org=org, now=now, lang=lang) for h in handoffs)
            fields.append(Field(t("handoff_field", lang), lines))
        elif not can_hand_off:
            why_not = t("handoff_not_configured", lang, name=name)
            fields.append(Field(t("handoff_field", lang), why_not[:1].upper() + why_not[1:]))
        if can_hand_off and not live:
            handoff_button = (
                Button(
                    t("btn_handoff", lang, name=name),
                    HandOff(incident.id, spec.id, step.version),
                ),
            )

    def action(kind: type[StepDone | StepBlocked | StepSkip | StepHelp | AssignStep]) -> Action:
        return kind(incident.id, spec.id, step.version)

    return Reply(
        kind=ReplyKind.STEP,
        title=t(
            "step_title_urgent" if spec.urgent else "step_title",
            lang,
            n=step.position + 1,
            title=spec.title.get(lang),
        ),
        text=spec.do.get(lang),
        fields=tuple(fields),
        buttons=(
            *handoff_button,
            Button(t("btn_done", lang), action(StepDone), ButtonStyle.PRIMARY),
            Button(t("btn_blocked", lang), action(StepBlocked)),
            Button(t("btn_skip", lang), action(StepSkip)),
            Button(t("btn_help", lang), action(StepHelp)),
            Button(t("btn_assign", lang), action(AssignStep)),
            *(
                text_button(incident.id, text_id, playbook.texts[text_id].title.get(lang))
                for text_id in spec.texts
            ),
        ),
        incident_id=incident.id,
    )


def handoff_line(message: HandoffMessage, *, org: Organisation, now: datetime, lang: Lang) -> str:
    """ "Per e-mail: afgeleverd om 14:02 · ontvangst bevestigd om 14:10"."""
    via = t(f"handoff_via_{message.transport.value}", lang)
    via = via[:1].upper() + via[1:]

    def at(when: datetime) -> str:
        return clock_time(when, tz=org.tz, now=now, lang=lang)

    error = message.error or "?"
    if message.status is HandoffStatus.DELIVERED and message.delivered_at is not None:
        line = t("handoff_line_delivered", lang, via=via, time=at(message.delivered_at))
    elif message.status is HandoffStatus.PENDING:
        line = t("handoff_line_pending", lang, via=via, error=error, time=at(message.due_at))
    elif message.status is HandoffStatus.FAILED:
        line = t("handoff_line_failed", lang, via=via, n=message.attempts, error=error)
    else:
        line = t("handoff_line_sending", lang, via=via)
    if message.acknowledged_at is not None:
        line += t("handoff_line_ack", lang, time=at(message.acknowledged_at))
    return line


def text_button(incident_id: str, text_id: str, title: str) -> Button:
    """A text ready to send, filled and shown in one tap (in the person's language)."""
    return Button(f"📋 {title}", StepText(incident_id, text_id))


#: The order the recall statuses are offered in: the usual course first.
RECALL_ORDER: tuple[RecallStatus, ...] = (
    RecallStatus.ASKED_TO_STOP,
    RecallStatus.RECALLED,
    RecallStatus.STOPPED,
    RecallStatus.RETURNED,
    RecallStatus.PARTLY_RETURNED,
    RecallStatus.REFUSED,
    RecallStatus.UNKNOWN,
)


def recall_card(
    payment: Payment,
    *,
    incident: Incident,
    org: Organisation,
    now: datetime,
    lang: Lang,
    recorded: bool,
    check_in: bool = False,
) -> Reply:
    """Where the recall of a payment stands, with a button for each status it can move
    to: asked after the bank step, and again at each check-in until it is settled.
    ``recorded``: ``payment.status`` was recorded (else it is a draft, every status goes)."""
    missing = t("recall_not_known", lang)
    iban = payment.receiving_iban
    to = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if iban else missing
    if iban:
        to += f" ({payment.receiving_bank or t('recall_bank_unknown', lang)})"
    fields = [
        Field(t("recall_amount", lang), stored_money_text(payment.amount, lang) or missing),
        Field(
            t("recall_paid_at", lang),
            clock_time(payment.paid, tz=org.tz, now=now, lang=lang) if payment.paid else missing,
        ),
        Field(t("recall_to", lang), to),
    ]
    if payment.payee:
        fields.append(Field(t("recall_name", lang), payment.payee))
    fields.append(Field(t("recall_case_number", lang), payment.case_number or missing))
    offered: tuple[RecallStatus, ...] = RECALL_ORDER
    if recorded:
        since = clock_time(payment.updated_at, tz=org.tz, now=now, lang=lang)
        status = t(f"recall.{payment.status.value}", lang)
        if payment.returned_amount:
            status += f" ({stored_money_text(payment.returned_amount, lang)})"
        fields.append(
            Field(t("recall_status_now", lang), t("recall_since", lang, status=status, time=since))
        )
        offered = tuple(s for s in RECALL_ORDER if payment.status.can_become(s))
    buttons = tuple(
        Button(
            t(f"btn_recall.{status.value}", lang),
            RecallUpdate(incident.id, payment.step_id, status.value),
        )
        for status in offered
    )
    key = "recall_check_in" if check_in else "recall_ask"
    return Reply(
        kind=ReplyKind.REMINDER if check_in else ReplyKind.QUESTION,
        title=t("recall_title", lang, incident_id=incident.id),
        text=t(key, lang) + "\n" + t("recall_window", lang),
        fields=tuple(fields),
        buttons=buttons,
        incident_id=incident.id,
    )


def export_button(incident_id: str, lang: Lang, *, with_id: bool = False) -> Button:
    """The evidence file, one tap away (open or closed: the engine checks who may)."""
    label = t("btn_export", lang) + (f" {incident_id}" if with_id else "")
    return Button(label, PickIncident(incident_id, PickFor.EXPORT))


def checklist(
    *,
    incident: Incident,
    playbook: Playbook,
    steps: Sequence[Step],
    facts: Mapping[str, Fact],
    org: Organisation,
    now: datetime,
    lang: Lang,
    plan_titles: Mapping[str, str] | None = None,
    asked: Collection[str] | None = None,
) -> Reply:
    """The whole incident at a glance; one card per incident, updated in place. With
    several plans (``plan_titles``: id -> title), each plan's steps under its title;
    ``asked``: the facts still asked (a plan switched away from asks none), all if None."""
    tz = org.tz
    lines = [
        t(
            "checklist_reported",
            lang,
            time=clock_time(incident.reported_at, tz=tz, now=now, lang=lang),
            who=incident.reporter_name,
        )
    ]
    plans = incident.plan_list()
    titles = plan_titles or {}
    for plan in plans if len(plans) > 1 else ():
        lines.append("")
        lines.append(
            _plan_heading(plan, titles.get(plan.playbook_id, ""), now=now, org=org, lang=lang)
        )
        for step in steps:
            if step.plan == plan.playbook_id:
                lines.append(_checklist_line(step, playbook, org=org, now=now, lang=lang))
    for step in steps if len(plans) == 1 else ():
        lines.append(_checklist_line(step, playbook, org=org, now=now, lang=lang))
    shown = [
        spec for spec in playbook.facts if asked is None or spec.id in asked or spec.id in facts
    ]
    fact_lines = [
        f"{fact_label(spec, lang)}: {_fact_display(facts.get(spec.id), spec, org, lang)}"
        for spec in shown
    ]
    missing = any(
        f is None or f.status is FactStatus.UNKNOWN
        for f in (facts.get(s.id) for s in shown if asked is None or s.id in asked)
    )
    buttons = [
        Button(
            "▶ " + playbook.step(s.step_id).title.get(lang),
            StepShow(incident.id, s.step_id, s.version),
        )
        for s in steps
        if s.status in (StepStatus.OPEN, StepStatus.BLOCKED)
    ]
    recall = playbook.recall_step()
    if recall is not None and any(
        s.step_id == recall.id and s.status is StepStatus.DONE for s in steps
    ):
        action = RecallUpdate(incident.id, recall.id)
        buttons.append(Button(t("btn_recall_status", lang), action))
    buttons.append(Button(t("btn_status", lang), ShowStatus(incident.id)))
    if missing:
        buttons.append(Button(t("fill_facts", lang), FillFacts(incident.id)))
    for key, kind in (
        ("btn_timeline", ShowTimeline),
        ("btn_take_lead", TakeLead),
        ("btn_hand_over_lead", HandOverLead),
        ("btn_close", Close),
    ):
        buttons.append(Button(t(key, lang), kind(incident.id)))
    buttons.append(export_button(incident.id, lang))
    return Reply(
        kind=ReplyKind.CHECKLIST,
        title=t(
            "checklist_title",
            lang,
            incident_id=incident.id,
            title=_joined(incident, titles) if titles else playbook.title.get(lang),
        ),
        text="\n".join(lines),
        fields=(Field(t("cl_facts", lang), "\n".join(fact_lines)),),
        buttons=tuple(buttons),
        incident_id=incident.id,
        card_key=f"checklist:{incident.id}",
    )


def plans_title(incident: Incident, playbooks: Mapping[str, Playbook], lang: Lang) -> str:
    """What an incident is called: its running plans' titles, the main plan first
    ("Betaald aan een oplichter + Gehackte mailbox")."""
    titles = {p.playbook_id: playbooks[p.playbook_id].title.get(lang) for p in incident.plan_list()}
    return _joined(incident, titles)


def _joined(incident: Incident, titles: Mapping[str, str]) -> str:
    running = [p.playbook_id for p in incident.plan_list() if p.running]
    ordered = sorted(running, key=lambda pid: pid != incident.playbook_id)  # stable: main first
    return " + ".join(titles.get(pid, pid) for pid in ordered)


def _plan_heading(
    plan: IncidentPlan, title: str, *, now: datetime, org: Organisation, lang: Lang
) -> str:
    """ "*Plan title*", and since when, or that the incident switched away from it."""
    time = clock_time(plan.since, tz=org.tz, now=now, lang=lang)
    key = {
        PlanRole.MAIN: "cl_plan_main",
        PlanRole.ADDED: "cl_plan_added",
        PlanRole.SWITCHED_FROM: "cl_plan_switched_from",
    }[plan.role]
    return t(key, lang, title=title, time=time)


def _known_facts(
    step: StepSpec, playbook: Playbook, facts: Mapping[str, Fact], *, org: Organisation, lang: Lang
) -> str:
    """The answers a step shows on its card, one per line; the unknown ones left out."""
    lines = []
    for fact_id in step.shows:
        fact, spec = facts.get(fact_id), playbook.fact(fact_id)
        if fact is None or fact.status is FactStatus.UNKNOWN or fact.value is None:
            continue
        value = _fact_display(fact, spec, org, lang)
        bank = bank_of(fact.value) if spec.type is FactType.IBAN else None
        lines.append(f"{fact_label(spec, lang)}: {value}" + (f" ({bank})" if bank else ""))
    return "\n".join(lines)


def _fact_display(fact: Fact | None, spec: FactSpec, org: Organisation, lang: Lang) -> str:
    """Said the way the evidence file says it: "€ 24.750,00", "za 21 nov 2026 09:40"."""
    if fact is None or fact.status is FactStatus.UNKNOWN or fact.value is None:
        return f"({t('unknown_yet', lang)})"
    return answer_text(spec, fact.value, fact.value, lang=lang, tz=org.tz)


def _checklist_line(
    step: Step, playbook: Playbook, *, org: Organisation, now: datetime, lang: Lang
) -> str:
    title = playbook.step(step.step_id).title.get(lang)
    deadline = deadline_text(step.due_at, now=now, org=org, lang=lang)
    match step.status:
        case StepStatus.DONE:
            time = clock_time(step.done_at or now, tz=org.tz, now=now, lang=lang)
            return t("cl_done", lang, title=title, time=time, who=step.done_by_name or "?")
        case StepStatus.SKIPPED:
            return t("cl_skipped", lang, title=title, reason=step.reason or "")
        case StepStatus.NOT_APPLICABLE:
            return t("cl_not_applicable", lang, title=title)
        case StepStatus.BLOCKED:
            return t("cl_blocked", lang, title=title, reason=step.reason or "", deadline=deadline)
        case _ if step.due_at < now:
            return t("cl_overdue", lang, title=title, deadline=deadline)
        case _:
            return t("cl_open", lang, title=title, deadline=deadline)


def incident_summary(
    *,
    incident: Incident,
    title: str,
    playbook: Playbook,
    steps: Sequence[Step],
    org: Organisation,
    now: datetime,
    lang: Lang,
) -> str:
    """A few lines a manager steers by: what it is (``title``: ``plans_title``), who
    reported when, progress, the next deadline and the data-breach (AP) deadline."""
    waiting = [s for s in steps if s.status in (StepStatus.OPEN, StepStatus.BLOCKED)]
    overdue = [s for s in waiting if s.due_at < now]
    done = sum(1 for s in steps if s.status.is_closed)
    reported = clock_time(incident.reported_at, tz=org.tz, now=now, lang=lang)
    lines = [
        f"*{incident.id}* {title}",
        t("checklist_reported", lang, time=reported, who=incident.reporter_name),
        t("list_counts", lang, done=done, open=len(waiting), overdue=len(overdue)),
    ]

    def deadline(step: Step) -> str:
        title = playbook.step(step.step_id).title.get(lang)
        return f"{deadline_text(step.due_at, now=now, org=org, lang=lang)}: {title}"

    upcoming = sorted((s for s in waiting if s.due_at >= now), key=lambda s: s.due_at)
    if upcoming:
        lines.append(t("list_next", lang, deadline=deadline(upcoming[0])))
    breach = [s for s in waiting if playbook.step(s.step_id).breach_assessment]
    if breach and (not upcoming or breach[0] is not upcoming[0]):
        lines.append(t("list_ap", lang, deadline=deadline(breach[0])))
    return "\n".join(lines)
