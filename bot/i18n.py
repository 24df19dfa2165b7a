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
    "same_or_new": (
        "Je hebt al een open incident:\n{incidents}\nGaat dit (*{title}*) over {first}? Dan "
        "voeg ik dat plan aan het incident toe, met hetzelfde nummer en dezelfde tijdlijn. Of "
        "is het een nieuw incident?",
        "You already have an open incident:\n{incidents}\nIs this (*{title}*) about {first}? "
        "Then I add that plan to the incident, with the same number and timeline. Or is it "
        "a new incident?",
    ),
    "same_incident": ("Ja, over {incident_id}", "Yes, about {incident_id}"),
    "new_incident": ("Nee, een nieuw incident", "No, a new incident"),
    "plan_already_in": (
        "Incident {incident_id} volgt dat plan al. Hier is het overzicht:",
        "Incident {incident_id} already follows that plan. Here is the checklist:",
    ),
    "because_described": (
        "{name} beschreef in de chat: “{text}”",
        "{name} described in the chat: “{text}”",
    ),
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
    "deadline_from_plan": (
        "geteld vanaf {time}, toen dit plan erbij kwam",
        "counted from {time}, when this plan came in",
    ),
    "cl_plan_main": ("*{title}*", "*{title}*"),
    "cl_plan_added": ("*{title}* (erbij sinds {time})", "*{title}* (added at {time})"),
    "cl_plan_switched_from": (
        "*{title}* (gevolgd tot {time}, toen overgestapt)",
        "*{title}* (followed until {time}, then switched)",
    ),
    "plan_switched": (
        "{because}: incident {incident_id} gaat nu verder met het plan *{title}*. Wat al "
        "gedaan is blijft staan; {count} stappen komen erbij, met termijnen vanaf nu "
        "({time}).",
        "{because}: incident {incident_id} now continues with the plan *{title}*. What is "
        "done stays done; {count} steps are added, with deadlines counted from now "
        "({time}).",
    ),
    "plan_added": (
        "{because}: ik heb het plan *{title}* aan incident {incident_id} toegevoegd. "
        "{count} stappen staan nu ook op het overzicht, met termijnen vanaf nu ({time}).",
        "{because}: I added the plan *{title}* to incident {incident_id}. {count} steps are "
        "now on the checklist too, with deadlines counted from now ({time}).",
    ),
    "tell_plan_switched": (
        "{name}: {because}. Incident {incident_id} gaat nu verder met het plan '{title}'; "
        "typ *status* voor het nieuwe overzicht.",
        "{name}: {because}. Incident {incident_id} now continues with the plan '{title}'; "
        "type *status* for the new checklist.",
    ),
    "tell_plan_added": (
        "{name}: {because}. Het plan '{title}' is toegevoegd aan incident {incident_id}; "
        "typ *status* voor het overzicht.",
        "{name}: {because}. The plan '{title}' was added to incident {incident_id}; type "
        "*status* for the checklist.",
    ),
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
    # The recall of a payment ------------------------------------------------------------
    "recall_title": (
        "Terughalen van de betaling · {incident_id}",
        "Recall of the payment · {incident_id}",
    ),
    "recall_ask": (
        "Wat zei de bank over de betaling? Kies wat nu klopt; je kunt het later bijwerken.",
        "What did the bank say about the payment? Choose what is true now; you can update it "
        "later.",
    ),
    "recall_check_in": (
        "Vraag je bank hoe het staat met het terughalen van de betaling, en kies hieronder "
        "wat de bank nu zegt.",
        "Ask your bank for the recall status of the payment, and choose below what the bank "
        "says now.",
    ),
    "recall_window": (
        "Hoe lang het terughalen duurt en tot wanneer het nog kan, verschilt per bank: vraag "
        "het je bank. Wel geldt: hoe eerder de bank het weet, hoe groter de kans.",
        "How long a recall takes, and until when it is still possible, differs per bank: ask "
        "your bank. What holds everywhere: the sooner the bank knows, the better the chance.",
    ),
    "recall_not_known": ("nog niet bekend", "not known yet"),
    "recall_bank_unknown": ("bank onbekend", "bank unknown"),
    "recall_amount": ("Bedrag", "Amount"),
    "recall_paid_at": ("Betaald op", "Paid at"),
    "recall_to": ("Naar rekening", "To account"),
    "recall_name": ("Naam ontvanger", "Receiving name"),
    "recall_case_number": ("Dossiernummer bank", "Bank case number"),
    "recall_status_now": ("Status nu", "Status now"),
    "recall_since": ("{status} (sinds {time})", "{status} (since {time})"),
    "recall.asked_to_stop": (
        "bank gevraagd de betaling te stoppen",
        "bank asked to stop the payment",
    ),
    "recall.stopped": ("gestopt: het geld is niet weg", "stopped: the money did not leave"),
    "recall.recalled": (
        "teruggevraagd bij de bank van de ontvanger",
        "recall sent to the receiving bank",
    ),
    "recall.returned": ("alles terug", "all of it returned"),
    "recall.partly_returned": ("deels terug", "partly returned"),
    "recall.refused": (
        "geweigerd: het geld komt niet terug",
        "refused: the money will not come back",
    ),
    "recall.unknown": ("onbekend: de bank weet het nog niet", "unknown: the bank cannot say yet"),
    "btn_recall_status": ("Terughalen: status", "Recall: status"),
    "btn_recall.asked_to_stop": ("Gevraagd te stoppen", "Asked to stop"),
    "btn_recall.stopped": ("Gestopt", "Stopped"),
    "btn_recall.recalled": ("Teruggevraagd", "Recall sent"),
    "btn_recall.returned": ("Alles terug", "All returned"),
    "btn_recall.partly_returned": ("Deels terug", "Partly returned"),
    "btn_recall.refused": ("Geweigerd", "Refused"),
    "btn_recall.unknown": ("Weet de bank nog niet", "Bank cannot say yet"),
    "recall_recorded": (
        "Vastgelegd: {status}. Op {time} vraag ik je opnieuw om bij je bank na te vragen hoe "
        "het staat, tot het geld terug is of zeker weg.",
        "Recorded: {status}. At {time} I will ask you again to check with your bank how it "
        "stands, until the money is back or surely lost.",
    ),
    "recall_settled": (
        "Vastgelegd: {status}. Het terughalen is afgerond; ik vraag er niet meer naar.",
        "Recorded: {status}. The recall is settled; I will not ask about it again.",
    ),
    "tell_recall": (
        "{name} legde vast hoe het terughalen van de betaling van {incident_id} staat: {status}.",
        "{name} recorded where the recall of the payment of {incident_id} stands: {status}.",
    ),
    "recall_impossible": (
        "Dat kan niet: de status is “{old}”, en van daar kan hij niet naar “{new}”.",
        "That is not possible: the status is “{old}”, and it cannot go from there to “{new}”.",
    ),
    "recall_same": ("De status is al “{old}”.", "The status already is “{old}”."),
    "recall_is_settled": (
        "Het terughalen is afgerond; daar verandert niets meer aan.",
        "The recall is settled; nothing changes it any more.",
    ),
    "recall_case_number_too_long": (
        "Een dossiernummer is hoogstens {limit} tekens, dit zijn er {length}. Typ alleen het "
        "nummer dat de bank je gaf.",
        "A case number has at most {limit} characters; this has {length}. Type only the "
        "number the bank gave you.",
    ),
    "recall_ask_returned": (
        "Hoeveel is er teruggekomen? Bijvoorbeeld € 4.000.",
        "How much came back? For example € 4,000.",
    ),
    "recall_returned_all": (
        "Dat is het hele bedrag ({paid}) of meer. Kwam alles terug? Kies dan *Alles terug*.",
        "That is the whole amount ({paid}) or more. Did all of it come back? Then choose "
        "*All returned*.",
    ),
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
        "Incident {incident_id} is {status}: deze knop doet niets meer. Het dossier kun je "
        "nog altijd downloaden.",
        "Incident {incident_id} is {status}: this button does nothing any more. You can "
        "still download the evidence file.",
    ),
    "reopen_hint": (
        "Als manager kun je het heropenen (knop hieronder, of typ *heropen {incident_id}*).",
        "As a manager you can reopen it (button below, or type *reopen {incident_id}*).",
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
    "quiet_nudge": (
        "In incident {incident_id} is al {days} dagen niets gebeurd (sinds {since}). Is het "
        "afgehandeld? Sluit het dan. Zo niet: open het overzicht en zeg wat er nog open staat.",
        "Nothing has happened in incident {incident_id} for {days} days (since {since}). Is "
        "it handled? Then close it. If not: open the checklist and say what is still open.",
    ),
    "follow_ups_proposed": (
        "Om herhaling te voorkomen stellen de plannen {count} vervolgactie(s) voor. Elke "
        "actie heeft een eigenaar en een uiterste datum; ik herinner de eigenaar eraan, ook "
        "nu het incident gesloten is.",
        "To keep this from happening again, the plans propose {count} follow-up(s). Each "
        "has an owner and a due date; I will remind the owner, even though the incident "
        "is closed.",
    ),
    "follow_ups_yours": (
        "Incident {incident_id} is gesloten. Als leider ben jij eigenaar van {count} "
        "vervolgactie(s) om herhaling te voorkomen; geef ze gerust aan een ander.",
        "Incident {incident_id} is closed. As its lead you own {count} follow-up(s) to keep "
        "it from happening again; feel free to give them to someone else.",
    ),
    "follow_up_title": ("Vervolgactie: {title}", "Follow-up: {title}"),
    "follow_up_owner": ("Eigenaar", "Owner"),
    "follow_up_due": ("Uiterlijk", "Due"),
    "follow_up_state": ("Status", "State"),
    "follow_up_done_by": ("afgerond {time} door {name}", "done {time} by {name}"),
    "btn_follow_up_done": ("Geregeld", "Mark done"),
    "follow_up_marked_done": (
        "✅ Vervolgactie *{title}* staat op afgerond. De herinneringen stoppen.",
        "✅ Follow-up *{title}* is marked done. Its reminders stop.",
    ),
    "follow_up_already_done": (
        "Vervolgactie *{title}* is al afgerond door {name}.",
        "Follow-up *{title}* was already done by {name}.",
    ),
    "tell_follow_up_done": (
        "{name} heeft vervolgactie *{title}* van incident {incident_id} afgerond.",
        "{name} finished follow-up *{title}* of incident {incident_id}.",
    ),
    "you_were_assigned_follow_up": (
        "{by} heeft je een vervolgactie van incident {incident_id} gegeven: *{title}*.",
        "{by} gave you a follow-up of incident {incident_id}: *{title}*.",
    ),
    "reminder_follow_up_soon": (
        "⏰ Nog {left}: vervolgactie *{title}* van incident {incident_id}.",
        "⏰ {left} left: follow-up *{title}* of incident {incident_id}.",
    ),
    "reminder_follow_up_due": (
        "⏰ Vervolgactie *{title}* van incident {incident_id} moet vandaag af zijn.",
        "⏰ Follow-up *{title}* of incident {incident_id} is due today.",
    ),
    "digest_follow_ups": ("Open vervolgacties:", "Open follow-ups:"),
    "digest_follow_up": (
        "• {incident_id}: {title}, {owner}, uiterlijk {time}",
        "• {incident_id}: {title}, {owner}, due {time}",
    ),
    "digest_follow_up_overdue": (
        "• {incident_id}: {title}, {owner}, ⚠️ te laat sinds {time}",
        "• {incident_id}: {title}, {owner}, ⚠️ overdue since {time}",
    ),
    "digest_title_follow_ups": (
        "Goedemorgen: {count} open vervolgactie(s)",
        "Good morning: {count} open follow-up(s)",
    ),
    "digest_due": ("• vandaag: {title}, deadline {time}", "• today: {title}, due {time}"),
    "exported": (
        "Het dossier van incident {incident_id}, voor bank, politie en verzekeraar. "
        "Vingerafdruk van de tijdlijn: {hash}… (gebeurtenis 1 t/m {seq}).",
        "The evidence file of incident {incident_id}, for the bank, the police and the "
        "insurer. Fingerprint of the timeline: {hash}… (events 1 to {seq}).",
    ),
    # Hand-off to the IT provider ---------------------------------------------------------
    "btn_handoff": ("Stuur naar {name}", "Send to {name}"),
    "handoff_field": ("Overdracht", "Hand-off"),
    "handoff_default_name": ("je IT-dienstverlener", "your IT provider"),
    "handoff_not_configured": (
        "{name} kan nog niet vanuit Noodrem worden ingeschakeld: zet een e-mailadres (met "
        "SMTP_HOST) of een webhook bij it_provider in de organisatieconfiguratie. Bel ze "
        "intussen zelf.",
        "{name} cannot be reached from Noodrem yet: add an e-mail address (with SMTP_HOST) "
        "or a webhook to it_provider in the organisation config. Call them yourself meanwhile.",
    ),
    "handoff_via_mail": ("per e-mail", "by e-mail"),
    "handoff_via_webhook": ("via de webhook", "by webhook"),
    "handoff_sent": ("Verstuurd naar {name} {via}.", "Sent to {name} {via}."),
    "handoff_retrying": (
        "Nog niet aangekomen bij {name} {via} ({error}). In de wachtrij: Noodrem probeert "
        "het opnieuw om {time} (poging {n} van {of}).",
        "Not delivered to {name} {via} yet ({error}). Queued: Noodrem tries again at "
        "{time} (attempt {n} of {of}).",
    ),
    "handoff_failed_now": (
        "Niet aangekomen bij {name} {via} ({error}); Noodrem probeert het niet meer. Bel ze zelf.",
        "Not delivered to {name} {via} ({error}); Noodrem will not try again. Call them yourself.",
    ),
    "handoff_queued": (
        "De overdracht aan {name} staat in de wachtrij; Noodrem verstuurt hem binnen een "
        "paar minuten. Lukt dat niet, dan hoort de leiding van het incident het.",
        "The hand-off to {name} is queued; Noodrem sends it within a few minutes. If that "
        "fails, the incident lead is told.",
    ),
    "handoff_already": (
        "Dit is al aan {name} overgedragen. De stapkaart laat zien hoe het ervoor staat.",
        "This has already been handed to {name}. The step card shows where it stands.",
    ),
    "handoff_line_sending": ("{via}: wordt verstuurd", "{via}: being sent"),
    "handoff_line_delivered": ("{via}: afgeleverd om {time}", "{via}: delivered at {time}"),
    "handoff_line_pending": (
        "{via}: nog niet afgeleverd ({error}), volgende poging om {time}",
        "{via}: not delivered yet ({error}), next attempt at {time}",
    ),
    "handoff_line_failed": (
        "{via}: niet afgeleverd na {n} pogingen ({error})",
        "{via}: not delivered after {n} attempts ({error})",
    ),
    "handoff_line_ack": (" · ontvangst bevestigd om {time}", " · receipt confirmed at {time}"),
    "handoff_gave_up": (
        "De overdracht aan {to_name} {via} (incident {incident_id}, {step}) is na {n} "
        "pogingen niet aangekomen ({error}). Noodrem probeert het niet meer: neem zelf "
        "contact op.",
        "The hand-off to {to_name} {via} (incident {incident_id}, {step}) did not arrive "
        "after {n} attempts ({error}). Noodrem will not try again: contact them yourself.",
    ),
    "handoff_acknowledged": (
        "{to_name} heeft de overdracht van incident {incident_id} ({step}) om {time} "
        "bevestigd ({by}).",
        "{to_name} confirmed the hand-off of incident {incident_id} ({step}) at {time} ({by}).",
    ),
    "handoff_fact_unknown": ("nog niet bekend", "not known yet"),
    "handoff_mail_subject": (
        "Noodrem: {org} vraagt je hulp bij incident {incident_id}",
        "Noodrem: {org} asks for your help with incident {incident_id}",
    ),
    "handoff_mail_body": (
        "Beste {to_name},\n\n"
        "{org} heeft een incident gemeld in Noodrem en draagt dit deel aan jullie over.\n\n"
        "Incident: {incident_id}\nPlan: {plan}\nStap: {step}\n"
        "Gemeld: {reported} door {reported_by}\nLeiding: {lead}\n"
        "Overgedragen door: {requested_by}\n\n"
        "Wat we weten:\n{facts}\n\n"
        "Wat we jullie vragen na te lopen:\n{checklist}\n\n"
        "Bevestig dat jullie dit hebben ontvangen (de tijd wordt vastgelegd in het "
        "dossier van het incident):\n{link}\n"
        "De link werkt tot {valid_until}.\n\n"
        "-- \nVerstuurd door Noodrem voor {org}.",
        "Dear {to_name},\n\n"
        "{org} reported an incident in Noodrem and hands this part to you.\n\n"
        "Incident: {incident_id}\nPlan: {plan}\nStep: {step}\n"
        "Reported: {reported} by {reported_by}\nLead: {lead}\n"
        "Handed over by: {requested_by}\n\n"
        "What we know:\n{facts}\n\n"
        "What we ask you to check:\n{checklist}\n\n"
        "Please confirm you received this (the time goes into the incident's evidence "
        "file):\n{link}\n"
        "The link works until {valid_until}.\n\n"
        "-- \nSent by Noodrem for {org}.",
    ),
    # Texts ready to send ------------------------------------------------------------
    "text_missing_marker": ("[nog onbekend: {label}]", "[not known yet: {label}]"),
    "text_missing": ("Nog onbekend", "Not known yet"),
    "text_missing_value": (
        "{labels}. Die staan als [nog onbekend] in de tekst: vul ze aan (en druk dan "
        "opnieuw op de knop) of vul ze zelf in voor je verstuurt.",
        "{labels}. They are marked [not known yet] in the text: fill them in (and press "
        "the button again) or complete them yourself before you send it.",
    ),
    "text_recorded_label": ("Dossier", "Evidence file"),
    "text_recorded": (
        "Kopieer de tekst en verstuur hem zelf. Hij staat precies zo in het dossier.",
        "Copy the text and send it yourself. It is in the evidence file exactly like this.",
    ),
    "text_in_en": ("In English", "In English"),
    "text_in_nl": ("In het Nederlands", "In Dutch"),
    "text_label_bank": ("bank van {of}", "bank of {of}"),
    "text_label_account.own": ("eigen rekening", "own account"),
    "text_label_account.receiving": ("rekening ontvanger", "receiving account"),
    "text_label_incident.id": ("incidentnummer", "incident id"),
    "text_label_incident.organisation": ("naam organisatie", "name of the organisation"),
    "text_label_incident.title": ("soort incident", "kind of incident"),
    "text_label_incident.reported_at": ("tijd van de melding", "time of the report"),
    "text_label_incident.reporter": ("melder", "reporter"),
    "text_label_incident.people": ("betrokkenen", "people involved"),
    "text_label_incident.facts": ("gegevens van het incident", "details of the incident"),
    "text_label_incident.timeline": ("tijdlijn", "timeline"),
    "text_label_incident.evidence": ("bewaarde berichten", "messages saved as evidence"),
    "text_timeline_reported": ("{time}: gemeld door {who}", "{time}: reported by {who}"),
    "text_timeline_done": ("{time}: {title}, gedaan door {who}", "{time}: {title}, done by {who}"),
    "text_timeline_skipped": (
        "{time}: {title}, overgeslagen door {who} ({reason})",
        "{time}: {title}, skipped by {who} ({reason})",
    ),
    "text_evidence_item": (
        "bericht van {author} ({time}), bewaard in Noodrem",
        "message from {author} ({time}), saved in Noodrem",
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
    # Web chat sign-in (the pages and the mail; the chat page has its own strings in app.js)
    "signin_mail_subject": ("Je inloglink voor Noodrem", "Your Noodrem sign-in link"),
    "signin_mail_body": (
        "Hallo,\n\nMet deze link log je in op de Noodrem-chat van {org}. Hij werkt één keer "
        "en {minutes} minuten lang:\n\n{link}\n\nHeb je niet om een link gevraagd? Dan kun "
        "je dit bericht negeren; zonder de link kan niemand inloggen.\n\nNoodrem",
        "Hello,\n\nThis link signs you in to the Noodrem chat of {org}. It works once, for "
        "{minutes} minutes:\n\n{link}\n\nDid you not ask for a link? Then ignore this "
        "message; nobody can sign in without the link.\n\nNoodrem",
    ),
    "signin_mail_requested": (
        "Als dit adres bij een organisatie in Noodrem hoort, is er nu een inloglink naartoe "
        "gestuurd. Kijk in je mail (ook bij spam); de link werkt {minutes} minuten.",
        "If this address belongs to an organisation in Noodrem, a sign-in link is on its way "
        "to it. Check your mail (and the spam folder); the link works for {minutes} minutes.",
    ),
    "signin_bad_email": (
        "Vul een e-mailadres in, zoals naam@bedrijf.nl.",
        "Enter an e-mail address, such as name@company.com.",
    ),
    "signin_confirm_title": ("Inloggen bij Noodrem", "Sign in to Noodrem"),
    "signin_confirm_text": (
        "Klik op de knop om in te loggen op deze computer.",
        "Press the button to sign in on this computer.",
    ),
    "signin_confirm_button": ("Inloggen", "Sign in"),
    "signin_link_invalid": (
        "Deze inloglink werkt niet (meer): hij is al gebruikt of verlopen. Vraag een nieuwe aan.",
        "This sign-in link does not work (any more): it was used already or has expired. "
        "Ask for a new one.",
    ),
    "signin_failed_title": ("Inloggen is niet gelukt", "Signing in did not work"),
    "signin_oidc_failed": (
        "Het antwoord van {provider} kon niet worden gecontroleerd ({reason}). Je bent niet "
        "ingelogd. Probeer het opnieuw, of vraag je beheerder om hulp.",
        "The answer from {provider} could not be verified ({reason}). You are not signed "
        "in. Try again, or ask your administrator for help.",
    ),
    "signin_not_admitted": (
        "Het account {email} hoort niet bij een organisatie in Noodrem. Log in met je "
        "werkaccount, of vraag je beheerder om je toe te voegen.",
        "The account {email} does not belong to an organisation in Noodrem. Sign in with "
        "your work account, or ask your administrator to add you.",
    ),
    "signin_back": ("Terug naar Noodrem", "Back to Noodrem"),
    # Why an OpenID Connect answer was refused (bot.channels.web_oidc.Refusal)
    "oidc_state": (
        "deze aanmelding is onbekend, al gebruikt of verlopen",
        "this sign-in is unknown, used already or expired",
    ),
    "oidc_provider": (
        "de dienst weigerde of was niet bereikbaar",
        "the service refused or could not be reached",
    ),
    "oidc_signature": ("de handtekening klopt niet", "the signature is not valid"),
    "oidc_issuer": ("het komt van een andere uitgever", "it comes from another issuer"),
    "oidc_audience": ("het is niet voor Noodrem bedoeld", "it is not meant for Noodrem"),
    "oidc_nonce": (
        "het hoort niet bij deze aanmelding (nonce)",
        "it does not belong to this sign-in (nonce)",
    ),
    "oidc_expired": ("het is verlopen", "it has expired"),
    "oidc_token": ("het bewijs van inloggen is onleesbaar", "the sign-in proof is unreadable"),
    "oidc_email": (
        "er staat geen (bevestigd) e-mailadres in",
        "it holds no (verified) e-mail address",
    ),
}


def t(key: str, lang: Lang | str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (Dutch when the language is unknown)."""
    nl, en = TEXTS[key]
    template = en if lang == "en" else nl
    return template.format(**values) if values else template
