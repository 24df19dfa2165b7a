"""Every fixed sentence Noodrem says, in Dutch and English, in one place.

Playbook texts come from the playbooks; these are the engine's own words. Keeping them
together makes a missing translation a test failure rather than a surprise in a crisis.
"""

from __future__ import annotations

from typing import Any

from bot.messages import Lang

TEXTS: dict[str, tuple[str, str]] = {
    # key: (nl, en)
    "confirm_start": (
        "Zal ik het plan *{title}* starten? Dan open ik een incident en start de klok.",
        "Start the plan *{title}*? I will open an incident and start the clock.",
    ),
    "yes_start": ("Ja, start", "Yes, start"),
    "choose_plan": (
        "Wat is er gebeurd? Kies wat het best past; dan open ik een incident en start de "
        "klok.\nPast niets? Kies *Iets anders*. Betaal intussen niets, en bel meteen je bank "
        "als er geld is overgemaakt.",
        "What happened? Choose what fits best; I will open an incident and start the "
        "clock.\nNothing fits? Choose *Something else*. Meanwhile pay nothing, and call your "
        "bank at once if money was transferred.",
    ),
    "something_else": ("Iets anders", "Something else"),
    "show_plans": ("Wat is er gebeurd?", "What happened?"),
    "first_advice": (
        "Wat je nu meteen kunt doen, wat er ook gebeurd is:\n"
        "• Betaal niets (meer), en klik niet op links of bijlagen in het verdachte bericht.\n"
        "• Is er geld overgemaakt? Bel meteen je bank:\n{bank}\n"
        "• Gaat het om mail, computers of accounts? Bel je IT-dienstverlener:\n{it_provider}\n"
        "• Bewaar het verdachte bericht; verwijder niets.\n"
        "• Aangifte doen of advies van de politie: 0900-8844.\n"
        "{people}"
        "Vertel me in je eigen woorden wat er gebeurde, of kies hieronder wat er het meest "
        "op lijkt.",
        "What to do right now, whatever happened:\n"
        "• Pay nothing (more), and do not click links or attachments in the suspicious "
        "message.\n"
        "• Was money transferred? Call your bank at once:\n{bank}\n"
        "• Is it about mail, computers or accounts? Call your IT provider:\n{it_provider}\n"
        "• Keep the suspicious message; delete nothing.\n"
        "• To report it or for advice from the police: 0900-8844.\n"
        "{people}"
        "Tell me in your own words what happened, or choose below what comes closest.",
    ),
    "pick_plan": ("Kies wat er het meest op lijkt:", "Choose what comes closest:"),
    "first_advice_people": (
        "• Wil je met iemand overleggen? {names}\n",
        "• Want to talk it over with someone? {names}\n",
    ),
    "no_start": ("Nee", "No"),
    "already_started": (
        "Dit is al gestart: incident *{incident_id}*. Typ *status* voor het overzicht.",
        "This has already started: incident *{incident_id}*. Type *status* for the checklist.",
    ),
    "start_declined": (
        "Oké, ik start niets. Typ *help* als je wilt zien wat ik kan.",
        "OK, nothing started. Type *help* to see what I can do.",
    ),
    "incident_opened": (
        "Incident *{incident_id}* is geopend om {time}. De klok loopt.\n"
        "Collega's kunnen meedoen door te typen: *doe mee {incident_id}*",
        "Incident *{incident_id}* opened at {time}. The clock is running.\n"
        "Colleagues can join by typing: *join {incident_id}*",
    ),
    "facts_intro": (
        "Nu een paar vragen; je kunt ze ook tijdens het bellen beantwoorden. Weet je iets "
        "nog niet? Kies *Weet ik nog niet*; je kunt het later aanvullen.",
        "Now a few questions; you can answer them during the call too. Don't know something "
        "yet? Choose *Don't know yet*; you can fill it in later.",
    ),
    "question_title": ("Vraag {n} van {total}", "Question {n} of {total}"),
    "dont_know": ("Weet ik nog niet", "Don't know yet"),
    "answer_noted": ("Genoteerd: {value}", "Noted: {value}"),
    "fact_skipped": ("Oké, dat vullen we later in.", "OK, we'll fill that in later."),
    "facts_done": (
        "Dank je. Nu de stappen, de belangrijkste eerst.",
        "Thank you. Now the steps, most urgent first.",
    ),
    "fill_facts": ("Gegevens aanvullen", "Fill in details"),
    "no_missing_facts": ("Alle gegevens zijn ingevuld.", "All details are filled in."),
    "step_title": ("Stap {n}: {title}", "Step {n}: {title}"),
    "step_title_urgent": ("Nu meteen — stap {n}: {title}", "Right now — step {n}: {title}"),
    "why": ("Waarom", "Why"),
    "contact": ("Bellen / contact", "Call / contact"),
    "have_ready": ("Houd bij de hand", "Have ready"),
    "known_facts": ("Wat je al hebt doorgegeven", "What you have told me"),
    "deadline": ("Deadline", "Deadline"),
    "deadline_value": ("{time} (nog {left})", "{time} ({left} left)"),
    "deadline_overdue": ("{time} (te laat: {late})", "{time} (overdue by {late})"),
    "owner": ("Wie", "Who"),
    "btn_done": ("Gedaan", "Done"),
    "btn_blocked": ("Lukt nu niet", "Not possible right now"),
    "btn_skip": ("Overslaan", "Skip"),
    "btn_help": ("Help", "Help"),
    "btn_status": ("Overzicht", "Checklist"),
    "ask_reason_blocked": ("Waarom lukt het nu niet?", "Why is it not possible right now?"),
    "ask_reason_skip": ("Waarom sla je deze stap over?", "Why are you skipping this step?"),
    "reason_required": (
        "Een reden is nodig. Typ kort waarom.",
        "A reason is needed. Type briefly why.",
    ),
    "ask_record": ("Vul in: {label}", "Please enter: {label}"),
    "record_optional": ("(typ *-* als je het niet hebt)", "(type *-* if you don't have it)"),
    "step_done": ("Gedaan om {time}: {title} ({timing}).", "Done at {time}: {title} ({timing})."),
    # The AP assessment's states ---------------------------------------------------------
    "btn_ap_not_yet": ("Nog niet gemeld", "Not notified yet"),
    "ap_not_yet_understood": (
        "Begrepen: nog niet gemeld bij de AP. Dat leg ik zo vast, niet als meldnummer.",
        "Understood: not notified to the AP yet. I record it as that, not as a number.",
    ),
    "ap_number_without_digits": (
        "“{text}” lijkt geen meldnummer van de AP (er staat geen cijfer in). Typ het nummer "
        "uit de bevestiging van de AP, of kies *Nog niet gemeld*.",
        "“{text}” does not look like an AP notification number (it has no digits). Type the "
        "number from the AP's confirmation, or choose *Not notified yet*.",
    ),
    "ap_time_before_incident": (
        "Die tijd ligt vóór de melding van dit incident ({reported}). Typ wanneer je de AP "
        "hebt ingelicht, of kies *Nog niet gemeld*.",
        "That time is before this incident was reported ({reported}). Type when you notified "
        "the AP, or choose *Not notified yet*.",
    ),
    "ap_notify_later": (
        "Vastgelegd: je meldt het datalek bij de AP, maar dat is nog niet gedaan. De stap "
        "blijft open; de deadline is {deadline}.{reminders} Heb je gemeld? Druk dan op "
        "*Gedaan* bij deze stap en vul het meldnummer en de tijd in. Weet je nog niet alles: "
        "een voorlopige melding mag, die vul je later aan.",
        "Recorded: you will notify the AP of the data breach, but it is not done yet. The "
        "step stays open; the deadline is {deadline}.{reminders} Notified? Press *Done* on "
        "this step and enter the notification number and time. Don't know everything yet: a "
        "provisional notification is allowed, and you complete it later.",
    ),
    "ap_notify_later_reminders": (
        " Ik herinner je eraan {leads} vóór de deadline.",
        " I will remind you {leads} before the deadline.",
    ),
    "and": (" en ", " and "),
    "hours": ("{hours} uur", "{hours} hours"),
    "ap_provisional_done": (
        "Voorlopig gemeld: vergeet niet de melding bij de AP later aan te vullen.",
        "Provisionally notified: remember to complete the notification with the AP later.",
    ),
    "on_time": ("op tijd", "on time"),
    "late_by": ("{late} te laat", "{late} late"),
    "step_blocked": (
        "Genoteerd dat *{title}* nu niet lukt: {reason}. De deadline loopt door; "
        "ik kom erop terug.",
        "Noted that *{title}* is not possible right now: {reason}. The deadline still runs; "
        "I'll come back to it.",
    ),
    "step_skipped": ("*{title}* overgeslagen: {reason}.", "*{title}* skipped: {reason}."),
    "already_closed": (
        "Deze knop is verouderd: *{title}* is al {status} door {who} om {time}.",
        "This button is out of date: *{title}* was already {status} by {who} at {time}.",
    ),
    "status_done": ("afgerond", "done"),
    "status_skipped": ("overgeslagen", "skipped"),
    "status_not_applicable": ("niet van toepassing", "not applicable"),
    "stale_button": (
        "Deze knop is verouderd. Typ *status* voor het actuele overzicht.",
        "This button is out of date. Type *status* for the current checklist.",
    ),
    "incident_not_open": (
        "Incident {incident_id} is {status}; er kan niets meer aan veranderen.",
        "Incident {incident_id} is {status}; nothing can be changed any more.",
    ),
    "incident_status_closed": ("gesloten", "closed"),
    "incident_status_cancelled": ("gestopt", "stopped"),
    "all_steps_closed": (
        "Alle stappen zijn afgerond of overgeslagen. Goed gedaan.",
        "Every step is done or skipped. Well done.",
    ),
    "further_reporting": ("Meld het ook bij", "Also report to"),
    "evidence_cut": (
        "Let op: het geplakte bericht was {length} tekens; alleen de eerste {limit} zijn "
        "bewaard (dat staat ook in het dossier). Bewaar het volledige bericht zelf.",
        "Note: the pasted message was {length} characters; only the first {limit} were kept "
        "(the evidence file says so too). Keep the full message yourself.",
    ),
    "all_done_export": (
        "Het dossier voor bank, politie en verzekeraar: de knop hieronder, of typ *export*.",
        "The evidence file for the bank, the police and the insurer: the button below, or "
        "type *export*.",
    ),
    "list_closed_title": (
        "Gesloten incidenten ({count}) · pagina {page} van {pages}",
        "Closed incidents ({count}) · page {page} of {pages}",
    ),
    "list_closed_empty": (
        "Je hebt geen gesloten incidenten waaraan je meedeed.",
        "You have no closed incidents you took part in.",
    ),
    "list_closed_hint": (
        "Gesloten incidenten: typ *lijst gesloten*.",
        "Closed incidents: type *list closed*.",
    ),
    "checklist_title": ("Overzicht {incident_id}: {title}", "Checklist {incident_id}: {title}"),
    "checklist_reported": ("Gemeld om {time} door {who}", "Reported at {time} by {who}"),
    "cl_done": ("✅ {title}: gedaan {time} door {who}", "✅ {title}: done {time} by {who}"),
    "cl_open": ("⏳ {title}: open, deadline {deadline}", "⏳ {title}: open, due {deadline}"),
    "cl_overdue": (
        "⚠️ {title}: TE LAAT, deadline was {deadline}",
        "⚠️ {title}: OVERDUE, was due {deadline}",
    ),
    "cl_blocked": (
        "⏸ {title}: lukt nu niet ({reason}), deadline {deadline}",
        "⏸ {title}: not possible now ({reason}), due {deadline}",
    ),
    "cl_skipped": ("⏭ {title}: overgeslagen ({reason})", "⏭ {title}: skipped ({reason})"),
    "cl_not_applicable": ("➖ {title}: niet van toepassing", "➖ {title}: not applicable"),
    "cl_facts": ("Gegevens", "Details"),
    "unknown_yet": ("nog onbekend", "not known yet"),
    "help": (
        "Ik help je stap voor stap als er iets mis is: een betaling aan een oplichter, een "
        "verdacht betaalverzoek, een gehackt account.\n"
        "• Vertel in je eigen woorden wat er is gebeurd, of kies hieronder wat er het meest "
        "op lijkt\n"
        "• *status*: het overzicht met deadlines\n"
        "• *doe mee NR-…*: meewerken aan een incident van een collega\n"
        "• *stop*: een incident beëindigen (ik vraag eerst of je het zeker weet)\n"
        "• *export*: het dossier (PDF) voor bank, politie en verzekeraar; ook de knop "
        "*Dossier* bij het overzicht\n"
        "• *lijst* / *lijst gesloten*: je lopende / gesloten incidenten, met een knop voor "
        "het dossier\n"
        "• *english*: switch to English\n"
        "Alles wat je doet wordt met tijd vastgelegd als bewijs voor bank, politie en "
        "verzekeraar.",
        "I help you step by step when something is wrong: a payment to a fraudster, a "
        "suspicious payment request, a hacked account.\n"
        "• Tell me in your own words what happened, or choose below what comes closest\n"
        "• *status*: the checklist with deadlines\n"
        "• *join NR-…*: work on a colleague's incident\n"
        "• *stop*: end an incident (I'll ask you to confirm first)\n"
        "• *export*: the evidence file (PDF) for the bank, the police and the insurer; "
        "also the *Evidence file* button on the checklist\n"
        "• *list* / *list closed*: your open / closed incidents, with a button for the "
        "evidence file\n"
        "• *nederlands*: schakel naar Nederlands\n"
        "Everything you do is recorded with its time, as evidence for the bank, the police "
        "and the insurer.",
    ),
    "welcome": (
        "Hallo, ik ben Noodrem. Is er iets mis, zoals een betaling aan een oplichter, een "
        "verdacht betaalverzoek of een gehackt account? Vertel het me in je eigen woorden, "
        "of kies *Wat is er gebeurd?*. Ik help je stap voor stap, het belangrijkste eerst.",
        "Hello, I am Noodrem. Has something gone wrong, like a payment to a fraudster, a "
        "suspicious payment request or a hacked account? Tell me in your own words, or "
        "choose *What happened?*. I help you step by step, most urgent first.",
    ),
    "not_understood": (
        "Dat begreep ik niet. Is er iets mis gegaan? Kies *Wat is er gebeurd?* of vertel het "
        "in je eigen woorden. Typ *help* om te zien wat ik kan, of *status* voor het overzicht.",
        "I didn't understand that. Has something gone wrong? Choose *What happened?* or tell "
        "me in your own words. Type *help* to see what I can do, or *status* for the "
        "checklist.",
    ),
    "empty_message": ("Typ een bericht, of *help*.", "Type a message, or *help*."),
    "too_long": (
        "Dat bericht is te lang ({length} tekens; maximaal {limit}). Niets is veranderd. "
        "Vat het kort samen.",
        "That message is too long ({length} characters; at most {limit}). Nothing was "
        "changed. Please summarise it.",
    ),
    "no_incident": (
        "Je hebt geen open incident. Vertel wat er is gebeurd om er een te starten.",
        "You have no open incident. Tell me what happened to start one.",
    ),
    "pick_incident": ("Over welk incident gaat het?", "Which incident do you mean?"),
    "incident_label": ("{incident_id} ({title}, {time})", "{incident_id} ({title}, {time})"),
    "confirm_stop": (
        "Weet je zeker dat je incident *{incident_id}* wilt beëindigen? Open stappen "
        "worden dan niet meer opgevolgd.",
        "Are you sure you want to end incident *{incident_id}*? Open steps will no longer "
        "be followed up.",
    ),
    "yes_stop": ("Ja, beëindigen", "Yes, end it"),
    "no_stop": ("Nee, doorgaan", "No, keep going"),
    "ask_stop_reason": ("Waarom beëindig je het incident?", "Why are you ending the incident?"),
    "stopped": (
        "Incident {incident_id} is beëindigd: {reason}.",
        "Incident {incident_id} has been ended: {reason}.",
    ),
    "kept_going": ("Goed, we gaan door.", "Good, let's carry on."),
    "joined": (
        "Je doet nu mee aan incident {incident_id}.",
        "You are now part of incident {incident_id}.",
    ),
    "unknown_incident": (
        "Ik ken geen incident {incident_id} in jouw organisatie.",
        "I know no incident {incident_id} in your organisation.",
    ),
    "join_unknown": (
        "Ik ken geen open incident {incident_id} in jouw organisatie.",
        "I know no open incident {incident_id} in your organisation.",
    ),
    "not_participant": (
        "Je doet niet mee aan incident {incident_id}. Typ *doe mee {incident_id}* als je "
        "wilt helpen.",
        "You are not part of incident {incident_id}. Type *join {incident_id}* if you want "
        "to help.",
    ),
    "language_set": ("Ik praat nu Nederlands met je.", "I'll speak English with you now."),
    "unknown_org": (
        "Deze werkruimte is niet gekoppeld aan een organisatie in Noodrem, dus ik kan hier "
        "nog niets starten. Vraag je IT-beheerder om *{tenant_id}* toe te voegen aan "
        "`{setting}` van jullie organisatie.\n"
        "Is er nu iets mis? Betaal niets, bel meteen je bank als er geld is overgemaakt, "
        "en bel je IT-beheerder.",
        "This workspace is not linked to an organisation in Noodrem, so I cannot start "
        "anything here yet. Ask your IT administrator to add *{tenant_id}* to `{setting}` "
        "of your organisation.\n"
        "Is something wrong right now? Do not pay anything, call your bank at once if money "
        "was transferred, and call your IT administrator.",
    ),
    "internal_error": (
        "Er ging iets mis aan mijn kant; er is niets verloren. Probeer het nog eens.",
        "Something went wrong on my side; nothing was lost. Please try again.",
    ),
    "reminder_before": (
        "⏰ Nog {left}: *{title}* (incident {incident_id}), deadline {time}.",
        "⏰ {left} left: *{title}* (incident {incident_id}), due {time}.",
    ),
    "reminder_due": (
        "⏰ De deadline van *{title}* (incident {incident_id}) is nu verstreken ({time}).",
        "⏰ The deadline for *{title}* (incident {incident_id}) has passed ({time}).",
    ),
    "escalation": (
        "🚨 Te laat in incident {incident_id}: *{title}* had om {time} klaar moeten zijn. "
        "Verantwoordelijk: {owner}. Help je mee?",
        "🚨 Overdue in incident {incident_id}: *{title}* was due at {time}. "
        "Responsible: {owner}. Can you help?",
    ),
    "escalation_fallback": (
        "(Bedoeld voor {manager}, die ik nog niet rechtstreeks kan bereiken.)",
        "(Meant for {manager}, whom I cannot reach directly yet.)",
    ),
    "delivery_redirected": (
        "(Bedoeld voor {name}, die ik na herhaalde pogingen niet kon bereiken.)",
        "(Meant for {name}, whom I could not reach after repeated attempts.)",
    ),
    "late_marker": (
        "Dit bericht is later verstuurd dan gepland ({planned}), omdat Noodrem even niet draaide.",
        "This message is later than planned ({planned}) because Noodrem was not running.",
    ),
    "list_empty": ("Er zijn geen open incidenten.", "There are no open incidents."),
    "list_title": (
        "Open incidenten: {count} (pagina {page} van {pages})",
        "Open incidents: {count} (page {page} of {pages})",
    ),
    "list_more": ("Volgende pagina", "Next page"),
    "list_counts": (
        "{done} stappen klaar, {open} open, {overdue} te laat",
        "{done} steps done, {open} open, {overdue} overdue",
    ),
    "list_next": ("Eerstvolgende deadline: {deadline}", "Next deadline: {deadline}"),
    "list_ap": ("AP-deadline (datalek): {deadline}", "AP deadline (data breach): {deadline}"),
    "btn_assign": ("Toewijzen", "Assign"),
    "btn_open_step": ("Open stap", "Open step"),
    "btn_snooze_15m": ("Later: 15 min", "Snooze 15 min"),
    "btn_snooze_1h": ("Later: 1 uur", "Snooze 1 h"),
    "btn_snooze_until": ("Later: tot…", "Snooze until…"),
    "btn_take_lead": ("Leiding overnemen", "Take the lead"),
    "btn_hand_over_lead": ("Leiding overdragen", "Hand over the lead"),
    "btn_close": ("Incident sluiten", "Close incident"),
    "btn_reopen": ("Heropenen", "Reopen"),
    "btn_timeline": ("Tijdlijn", "Timeline"),
    "btn_export": ("Dossier (PDF)", "Evidence file (PDF)"),
    "ask_assignee": (
        "Aan wie? Noem de persoon (@naam) of typ de naam van iemand die meedoet, of *mij*.",
        "To whom? Mention the person (@name) or type the name of someone taking part, or *me*.",
    ),
    "person": ("Persoon", "Person"),
    "unknown_person": (
        'Ik ken niemand die "{name}" heet in incident {incident_id}. Laat diegene eerst '
        "meedoen (*doe mee {incident_id}*), of noem de persoon met @.",
        'I know no one called "{name}" in incident {incident_id}. Have them join first '
        "(*join {incident_id}*), or mention them with @.",
    ),
    "step_assigned": ("*{title}* is toegewezen aan {name}.", "*{title}* is assigned to {name}."),
    "you_were_assigned": (
        "{by} heeft je een stap toegewezen in incident {incident_id}: *{title}*.",
        "{by} assigned you a step in incident {incident_id}: *{title}*.",
    ),
    "assigned_to_named": (
        "{by} heeft *{title}* (incident {incident_id}) toegewezen aan {name}. Ik kan "
        "{name} nog niet rechtstreeks bereiken: wil iemand het doorgeven?",
        "{by} assigned *{title}* (incident {incident_id}) to {name}. I cannot reach {name} "
        "directly yet: could someone pass it on?",
    ),
    "already_lead": ("{name} heeft de leiding al.", "{name} already leads this incident."),
    "lead_changed": (
        "{name} heeft nu de leiding over incident {incident_id}.",
        "{name} now leads incident {incident_id}.",
    ),
    "only_lead_or_manager": (
        "Dat kan alleen de leider van het incident of een manager.",
        "Only the incident lead or a manager can do that.",
    ),
    "snooze_not_yours": (
        "Je kunt alleen je eigen herinneringen uitstellen; deze zijn voor iemand anders.",
        "You can only snooze your own reminders; these are for someone else.",
    ),
    "ask_snooze_until": ("Tot hoe laat? (bijv. 14:30)", "Until when? (e.g. 14:30)"),
    "snooze_until_invalid": ("Typ een tijd als 14:30.", "Type a time like 14:30."),
    "ask_snooze_reason": (
        "Waarom stel je de herinneringen uit?",
        "Why are you snoozing the reminders?",
    ),
    "snoozed": (
        "Herinneringen uitgesteld tot {until} ({reason}). De deadline blijft {due}.",
        "Reminders snoozed until {until} ({reason}). The deadline stays {due}.",
    ),
    "close_needs_manager": (
        "Er staan nog {count} stappen open. Rond ze af of sla ze over met een reden; alleen "
        "een manager kan het incident nu al sluiten.",
        "{count} steps are still open. Finish them or skip them with a reason; only a "
        "manager can close the incident now.",
    ),
    "ask_close_reason": (
        "Er staan nog {count} stappen open. Waarom sluit je het incident toch?",
        "{count} steps are still open. Why close the incident anyway?",
    ),
    "confirm_close": (
        "Weet je zeker dat je incident *{incident_id}* wilt sluiten? Iedereen in het "
        "incident krijgt bericht.",
        "Are you sure you want to close incident *{incident_id}*? Everyone in the incident "
        "will be told.",
    ),
    "yes_close": ("Ja, sluiten", "Yes, close it"),
    "ask_close_reason_done": (
        "Waarom sluit je het incident? (bijv. afgehandeld, geld teruggeboekt)",
        "Why are you closing the incident? (e.g. handled, money returned)",
    ),
    "tell_closed": (
        "{name} heeft incident {incident_id} gesloten: {reason}.",
        "{name} closed incident {incident_id}: {reason}.",
    ),
    "tell_stopped": (
        "{name} heeft incident {incident_id} beëindigd: {reason}.",
        "{name} ended incident {incident_id}: {reason}.",
    ),
    "tell_reopened": (
        "{name} heeft incident {incident_id} heropend.",
        "{name} reopened incident {incident_id}.",
    ),
    "tell_joined": (
        "{name} doet nu mee aan incident {incident_id}.",
        "{name} joined incident {incident_id}.",
    ),
    "tell_step_done": (
        "{name} heeft de stap '{title}' afgerond (incident {incident_id}).",
        "{name} finished the step '{title}' (incident {incident_id}).",
    ),
    "tell_step_skipped": (
        "{name} heeft de stap '{title}' overgeslagen (incident {incident_id}): {reason}.",
        "{name} skipped the step '{title}' (incident {incident_id}): {reason}.",
    ),
    "tell_step_blocked": (
        "{name} kan de stap '{title}' nu niet doen (incident {incident_id}): {reason}.",
        "{name} cannot do the step '{title}' now (incident {incident_id}): {reason}.",
    ),
    "question_again": ("Terug naar de vraag:", "Back to the question:"),
    "reason": ("Reden", "Reason"),
    "closed": ("Incident {incident_id} is gesloten.", "Incident {incident_id} is closed."),
    "already_open": ("Incident {incident_id} is al open.", "Incident {incident_id} is open."),
    "reopened": ("Incident {incident_id} is heropend.", "Incident {incident_id} is reopened."),
    "timeline_title": ("Tijdlijn {incident_id}", "Timeline {incident_id}"),
    "timeline_more": (
        "({count} eerdere gebeurtenissen staan in het dossier: typ *export*)",
        "({count} earlier events are in the evidence file: type *export*)",
    ),
    "digest_title": (
        "Goedemorgen: {count} open incident(en)",
        "Good morning: {count} open incident(s)",
    ),
    "digest_due": ("• vandaag: {title}, deadline {time}", "• today: {title}, due {time}"),
    "exported": (
        "Het dossier van incident {incident_id}, voor bank, politie en verzekeraar. "
        "Vingerafdruk van de tijdlijn: {hash}… (gebeurtenis 1 t/m {seq}).",
        "The evidence file of incident {incident_id}, for the bank, the police and the "
        "insurer. Fingerprint of the timeline: {hash}… (events 1 to {seq}).",
    ),
    # The pages of Slack's OAuth install (bot/channels/slack_oauth.py), shown in both.
    "slack_installed_title": ("Noodrem is geïnstalleerd", "Noodrem is installed"),
    "slack_installed": (
        "Noodrem is toegevoegd aan de Slack-werkruimte {team}. Open Noodrem onder Apps in "
        "Slack en vertel wat er gebeurd is. Hoort deze werkruimte bij een van meerdere "
        "organisaties, dan zet je IT-dienstverlener haar id {team_id} bij die organisatie "
        "(slack_team_ids).",
        "Noodrem was added to the Slack workspace {team}. Open Noodrem under Apps in Slack "
        "and tell it what happened. If this workspace is one of several organisations, your "
        "IT provider adds its id {team_id} to that organisation (slack_team_ids).",
    ),
    "slack_install_failed_title": (
        "Installeren is niet gelukt",
        "The installation did not complete",
    ),
    "slack_install_state": (
        "Deze installatielink is verlopen of al gebruikt (hij werkt {minutes} minuten en één "
        "keer). Begin opnieuw.",
        "This install link has expired or was used already (it works for {minutes} minutes, "
        "once). Start again.",
    ),
    "slack_install_browser": (
        "De installatie is in een andere browser begonnen, of de browser bewaarde het cookie "
        "niet. Begin opnieuw in deze browser.",
        "The installation was started in another browser, or the browser did not keep its "
        "cookie. Start again in this browser.",
    ),
    "slack_install_code": (
        "Slack gaf geen geldige toestemming mee (de code ontbreekt, is verlopen of al "
        "gebruikt). Begin opnieuw.",
        "Slack sent no valid permission along (the code is missing, expired or used "
        "already). Start again.",
    ),
    "slack_install_cancelled": (
        "De installatie is in Slack afgebroken ({reason}). Er is niets veranderd.",
        "The installation was cancelled in Slack ({reason}). Nothing was changed.",
    ),
    "slack_install_unavailable": (
        "Noodrem kon de installatie nu niet afronden of opslaan. Probeer het over een paar "
        "minuten opnieuw.",
        "Noodrem could not complete or save the installation just now. Try again in a few minutes.",
    ),
    "slack_install_again": ("Opnieuw installeren", "Install again"),
    "minutes": ("{n} min", "{n} min"),
    "hours_minutes": ("{h} u {m} min", "{h} h {m} min"),
    "days_hours": ("{d} d {h} u", "{d} d {h} h"),
}


def t(key: str, lang: Lang | str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (Dutch when the language is unknown)."""
    nl, en = TEXTS[key]
    template = en if lang == "en" else nl
    return template.format(**values) if values else template
