"""The evidence file's own words, in Dutch and English, and how it writes times.

A document handed to the police or an insurer reads differently from a chat message, so
these are kept apart from ``bot.i18n``; they are read by the view model and the renderers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.answers.when import DAY_NAMES, MONTH_NAMES
from bot.messages import Lang

TEXTS: dict[str, tuple[str, str]] = {
    # key: (nl, en)
    "doc_title": ("Dossier {incident_id}", "Evidence file {incident_id}"),
    "page_header": ("Noodrem-dossier {incident_id}", "Noodrem evidence file {incident_id}"),
    "page_footer": (
        "{incident_id} · gemaakt {time} · pagina {page} van {pages}",
        "{incident_id} · generated {time} · page {page} of {pages}",
    ),
    # Summary --------------------------------------------------------------------------
    "sec_incident": ("Incident", "Incident"),
    "sec_facts": ("Gegevens van het incident", "Details of the incident"),
    "sec_records": ("Vastgelegde nummers", "Numbers recorded"),
    "sec_ap": ("Datalek: Autoriteit Persoonsgegevens (AP)", "Data breach: Dutch DPA (AP)"),
    "sec_people": ("Betrokkenen", "People involved"),
    "sec_checklist": ("Stappen", "Checklist"),
    "sec_picture": ("De eerste uren in beeld", "The first hours at a glance"),
    "sec_timeline": ("Volledige tijdlijn", "Full timeline"),
    "sec_verify": ("Controle", "Verification"),
    "organisation": ("Organisatie", "Organisation"),
    "incident_id": ("Incidentnummer", "Incident id"),
    "kind": ("Soort incident", "Kind of incident"),
    "reported_at": ("Gemeld op", "Reported at"),
    "reported_by": ("Gemeld door", "Reported by"),
    "status": ("Status", "Status"),
    "status_open": ("loopt nog", "still open"),
    "status_stopped": ("beëindigd op {time}", "stopped at {time}"),
    "status_closed": ("gesloten op {time}", "closed at {time}"),
    "events_count": ("Gebeurtenissen", "Events"),
    "final_hash": ("Eindhash (SHA-256)", "Final hash (SHA-256)"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "unknown": ("onbekend", "unknown"),
    "not_known_yet": ("nog niet bekend", "not known yet"),
    "not_asked": ("niet gevraagd", "not asked"),
    "not_recorded": ("niet vastgelegd", "not recorded"),
    "person": ("{name} ({role}), sinds {time}", "{name} ({role}), since {time}"),
    "role.reporter": ("melder", "reporter"),
    "role.colleague": ("collega", "colleague"),
    "role.manager": ("manager", "manager"),
    "role.assignee": ("uitvoerder van een stap", "assignee of a step"),
    "managers": ("managers", "managers"),
    # AP assessment --------------------------------------------------------------------
    "ap_not_assessed": ("nog niet beoordeeld", "not assessed yet"),
    "ap_decision": ("Besluit", "Decision"),
    "ap_notified": (
        "gemeld bij de AP op {time}, meldnummer {number}",
        "reported to the AP at {time}, notification number {number}",
    ),
    "ap_not_notified": ("niet gemeld bij de AP", "not reported to the AP"),
    "ap_reason": ("Reden", "Reason"),
    "ap_delay_reason": ("Reden van de vertraging", "Reason for the delay"),
    "ap_involved": ("Persoonsgegevens betrokken", "Personal data involved"),
    "ap_of_whom": ("van {people}", "about {people}"),
    "ap_risk": ("Risico voor betrokkenen", "Risk for the people"),
    "ap_inform_yes": ("zij worden geïnformeerd (art. 34)", "they are told (Art. 34)"),
    "ap_inform_no": ("zij worden niet geïnformeerd", "they are not told"),
    "ap_measures": ("Maatregelen", "Measures"),
    "ap_assessed_by": ("Beoordeeld", "Assessed"),
    "ap_by": ("{time} door {name}", "{time} by {name}"),
    "risk.none": ("geen risico", "no risk"),
    "risk.risk": ("risico", "a risk"),
    "risk.high": ("hoog risico", "a high risk"),
    # Checklist ------------------------------------------------------------------------
    "col_step": ("Stap", "Step"),
    "col_deadline": ("Deadline", "Deadline"),
    "col_done": ("Gedaan / door", "Done / by"),
    "col_result": ("Resultaat", "Result"),
    "state.on_time": ("op tijd", "on time"),
    "state.late": ("{late} te laat", "{late} late"),
    "state.open": ("open", "open"),
    "state.overdue": ("open, {late} over de deadline", "open, {late} past the deadline"),
    "state.blocked": ("lukt nu niet", "not possible now"),
    "state.skipped": ("overgeslagen", "skipped"),
    "state.not_applicable": ("niet van toepassing", "not applicable"),
    "done_by": ("{time} door {name}", "{time} by {name}"),
    "reason": ("Reden: {reason}", "Reason: {reason}"),
    "note.blocked": ("{time} lukt nu niet: {reason}", "{time} not possible now: {reason}"),
    "note.reminder": ("{time} herinnering verstuurd", "{time} reminder sent"),
    "note.delivery": ("{time} {what} aan {to}: {outcome}", "{time} {what} to {to}: {outcome}"),
    "note.redirected": (
        "{time} {name} niet bereikt na {n} pogingen; naar {to}",
        "{time} {name} not reached after {n} attempts; sent to {to}",
    ),
    "note.abandoned": (
        "{time} {name} niet bereikt na {n} pogingen; niemand meer om het naar te sturen",
        "{time} {name} not reached after {n} attempts; nobody left to send it to",
    ),
    "note.escalation": ("{time} escalatie aan {to}", "{time} escalated to {to}"),
    "note.not_applicable": ("{time} niet van toepassing", "{time} not applicable"),
    "note.applicable": ("{time} weer van toepassing", "{time} applicable again"),
    "note.assigned": ("{time} toegewezen aan {name}", "{time} assigned to {name}"),
    "note.snoozed": (
        "{time} herinneringen uitgesteld tot {until}: {reason}",
        "{time} reminders put off until {until}: {reason}",
    ),
    "notes_more": ("… en nog {n}: zie de tijdlijn", "… and {n} more: see the timeline"),
    # Picture --------------------------------------------------------------------------
    "picture_intro": (
        "Elke regel is een stap. Grijs: de tijd tot de deadline (|). Het teken laat zien "
        "wanneer de stap gedaan is.",
        "Each row is a step. Grey: the time until its deadline (|). The mark shows when "
        "the step was done.",
    ),
    "legend_on_time": ("op tijd gedaan", "done on time"),
    "legend_late": ("te laat gedaan", "done late"),
    "legend_open": ("nog open", "still open"),
    "legend_skipped": ("overgeslagen", "skipped"),
    "legend_deadline": ("deadline", "deadline"),
    "axis_label": ("tijd na de melding", "time after the report"),
    "beyond": ("deadline na {span}", "due after {span}"),
    "picture_now": ("nu", "now"),
    # Timeline -------------------------------------------------------------------------
    "col_local": ("Lokale tijd", "Local time"),
    "col_utc": ("UTC", "UTC"),
    "col_who": ("Wie", "Who"),
    "col_what": ("Wat er gebeurde", "What happened"),
    "verify_sentence": (
        "Controleer het dossier met de JSON-export van hetzelfde incident: "
        "'python app.py verify BESTAND.json' rekent de keten opnieuw uit en moet 'intact' "
        "en deze eindhash tonen.",
        "Check this file with the JSON export of the same incident: "
        "'python app.py verify FILE.json' recomputes the chain and must say 'intact' and "
        "show this final hash.",
    ),
    # Events in plain words ------------------------------------------------------------
    "ev.incident_opened": ("Incident geopend: {title}.", "Incident opened: {title}."),
    "ev.reported_text": ("Melding: “{text}”", "Report: “{text}”"),
    "ev.participant_joined": ("{name} doet mee als {role}.", "{name} joined as {role}."),
    "ev.steps_planned": (
        "{n} stappen gepland; eerste deadline {time}.",
        "{n} steps planned; first deadline {time}.",
    ),
    "ev.fact_answered": ("{label}: {value}", "{label}: {value}"),
    "ev.fact_unknown": ("{label}: nog niet bekend", "{label}: not known yet"),
    "ev.step_done": ("Gedaan: {title} ({timing}).", "Done: {title} ({timing})."),
    "ev.step_blocked": (
        "Lukt nu niet: {title}. Reden: {reason}",
        "Not possible now: {title}. Reason: {reason}",
    ),
    "ev.step_skipped": (
        "Overgeslagen: {title}. Reden: {reason}",
        "Skipped: {title}. Reason: {reason}",
    ),
    "ev.step_not_applicable": ("Niet van toepassing: {title}", "Not applicable: {title}"),
    "ev.step_applicable": ("Weer van toepassing: {title}", "Applicable again: {title}"),
    "ev.reminder_sent.remind_before": (
        "Herinnering vóór de deadline verstuurd: {title}, aan {to}.",
        "Reminder before the deadline sent: {title}, to {to}.",
    ),
    "ev.reminder_sent.due": (
        "Herinnering bij de deadline verstuurd: {title}, aan {to}.",
        "Reminder at the deadline sent: {title}, to {to}.",
    ),
    "ev.escalation_sent": (
        "Escalatie verstuurd: {title}, aan {to}.",
        "Escalation sent: {title}, to {to}.",
    ),
    "ev.not_recorded": (
        " (Of het aankwam is in deze versie niet vastgelegd.)",
        " (Whether it arrived was not recorded by this version.)",
    ),
    "purpose.remind_before": ("Herinnering vóór de deadline", "Reminder before the deadline"),
    "purpose.due": ("Herinnering bij de deadline", "Reminder at the deadline"),
    "purpose.escalation": ("Escalatie", "Escalation"),
    "purpose.digest": ("Ochtendoverzicht", "Morning digest"),
    "purpose.card": ("Stapkaart", "Step card"),
    "outcome.delivered": ("afgeleverd", "delivered"),
    "outcome.failed": ("aflevering mislukt ({error})", "delivery failed ({error})"),
    "outcome.no_address": ("geen adres bekend ({error})", "no address known ({error})"),
    "outcome.attempt": (", poging {n} van {of}", ", attempt {n} of {of}"),
    "via.incident_chat": (" (in de chat van het incident)", " (in the incident's chat)"),
    "delivery.instead_of": (" (bedoeld voor {name})", " (meant for {name})"),
    "ev.delivery_attempted": (
        "{what} aan {to}{about}: {outcome}.",
        "{what} to {to}{about}: {outcome}.",
    ),
    "ev.delivery_redirected": (
        "{what} voor {name}{about} na {n} pogingen niet afgeleverd ({error}): "
        "in plaats daarvan naar {to}.",
        "{what} for {name}{about} not delivered after {n} attempts ({error}): "
        "sent to {to} instead.",
    ),
    "ev.delivery_abandoned": (
        "{what} voor {name}{about} na {n} pogingen niet afgeleverd ({error}); "
        "er is niemand meer om het naar te sturen.",
        "{what} for {name}{about} not delivered after {n} attempts ({error}); "
        "nobody is left to send it to.",
    ),
    "ev.sent_late": (
        " Later verstuurd dan gepland ({planned}).",
        " Sent later than planned ({planned}).",
    ),
    "ev.incident_stopped": (
        "Incident beëindigd. Reden: {reason}",
        "Incident stopped. Reason: {reason}",
    ),
    "ev.step_assigned": ("Toegewezen: {title}, aan {name}.", "Assigned: {title}, to {name}."),
    "ev.lead_changed": ("{name} heeft nu de leiding.", "{name} now leads the incident."),
    "ev.reminder_snoozed": (
        "Herinneringen uitgesteld tot {until}: {title}. Reden: {reason}",
        "Reminders put off until {until}: {title}. Reason: {reason}",
    ),
    "ev.incident_closed": ("Incident gesloten.", "Incident closed."),
    "ev.closed_open_steps": (
        " Met {n} stappen nog open. Reden: {reason}",
        " With {n} steps still open. Reason: {reason}",
    ),
    "ev.incident_reopened": ("Incident heropend.", "Incident reopened."),
    "ev.evidence_exported": (
        "Dossier gemaakt ({format}, {events} gebeurtenissen, eindhash {hash}…).",
        "Evidence file made ({format}, {events} events, final hash {hash}…).",
    ),
    "ev.evidence_added": (
        "Bewijs vastgelegd: bericht van {author} ({time}): “{text}”",
        "Evidence saved: message from {author} ({time}): “{text}”",
    ),
    "ev.ap_assessed": (
        "AP-beoordeling vastgelegd: {decision}",
        "AP assessment recorded: {decision}",
    ),
    "ev.other": ("{kind}: {data}", "{kind}: {data}"),
    # Breach register ------------------------------------------------------------------
    "register_title": ("Datalekregister (art. 33 lid 5 AVG)", "Breach register (Art. 33(5) GDPR)"),
    "register_generated": ("Gemaakt {time}", "Generated {time}"),
    "register_empty": ("Er zijn nog geen incidenten.", "There are no incidents yet."),
    "reg_what": ("Wat er gebeurde", "What happened"),
    "reg_when": ("Wanneer", "When"),
    "reg_data": ("Welke gegevens", "Which data"),
    "reg_people": ("Van wie", "About whom"),
    "reg_consequences": ("Gevolgen", "Consequences"),
    "reg_measures": ("Genomen maatregelen", "Measures taken"),
    "reg_decision": ("Besluit", "Decision"),
    "reg_when_value": ("gemeld bij Noodrem {reported}", "reported to Noodrem {reported}"),
    "reg_steps_done": ("Stappen gedaan: {steps}", "Steps done: {steps}"),
    "footer_register": (
        "Datalekregister · gemaakt {time} · pagina {page} van {pages}",
        "Breach register · generated {time} · page {page} of {pages}",
    ),
}


def say(key: str, lang: Lang, **values: Any) -> str:
    """The text for ``key`` in ``lang``, filled in with ``values``."""
    nl, en = TEXTS[key]
    template = en if lang == "en" else nl
    return template.format(**values) if values else template


def has(key: str) -> bool:
    return key in TEXTS


def local_long(when: datetime, *, tz: ZoneInfo, lang: Lang) -> str:
    """ "vr 20 nov 2026 10:07" / "Fri 20 Nov 2026 10:07": for people, with the weekday."""
    local = when.astimezone(tz)
    day = DAY_NAMES[lang][local.weekday()]
    month = MONTH_NAMES[lang][local.month - 1]
    return f"{day} {local.day} {month} {local.year} {local:%H:%M}"


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
    h = "u" if lang == "nl" else "h"
    if hours < 48:
        return f"{hours} {h} {rest} min" if rest else f"{hours} {h}"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} {h}" if hours else f"{days} d"
