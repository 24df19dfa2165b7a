"""The paid-fraudster flow in Teams, end to end: activities POSTed to ``/api/messages`` on a
real port, replies arriving at a fake Bot Connector over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.messages import Channel, user_key
from tests.harness import RunningApp, running_app
from tests.teams.chat import (
    events_of,
    finish_step,
    incident_in,
    input_fields,
    open_incident,
    run_reminders,
    skip_facts,
    to,
)
from tests.teams.fakes import (
    LOCAL,
    MIRA,
    START,
    TENANT,
    FakeConnector,
    People,
    TeamsUser,
    actions,
    cards,
    channel_thread,
    personal_chat,
    texts,
)


async def test_whole_flow_in_dutch_in_a_personal_chat(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    jan = person("Jan Jansen")
    confirm = await jan.say("ik denk dat we een oplichter hebben betaald")
    assert [s.kind for s in confirm] == ["reply"], "answers go to the conversation, as replies"
    assert "oplichter" in texts(confirm).lower() and "starten" in texts(confirm)
    opened = await jan.press("Ja")
    incident = incident_in(opened)
    assert f"Incident *{incident}* is geopend om 10:00" in texts(opened)
    assert "Vraag 1 van 7" in texts(opened)

    noted = await jan.say("€ 12.500,00")
    assert "12.500" in texts(noted) and "Vraag 2 van 7" in texts(noted)
    await jan.say("vandaag 09:15")
    foreign = await jan.say("DE89 3704 0044 0532 0130 00")
    assert "buitenlandse" in texts(foreign)
    await jan.say("Fraud Holding GmbH")
    await jan.say("2")
    await jan.press("Ja")  # the mailbox may be hacked
    first_step = await jan.press("Weet ik nog niet")  # our own account
    card = cards([first_step[-1].body])[0]
    assert "Rabobank fraudelijn" in texts(first_step) and "088-722 67 67" in texts(first_step)
    assert "10:15 (nog 15 min)" in texts(first_step)
    assert [a["title"] for a in actions(card)] == [
        "Gedaan",
        "Lukt nu niet",
        "Overslaan",
        "Help",
        "Toewijzen",
        "📋 Verzoek aan de bank",
    ]
    assert all(a["type"] == "Action.Submit" for a in actions(card))

    clock.advance(timedelta(minutes=7))
    asked = await jan.press("Gedaan")
    assert input_fields(asked)[0]["isRequired"] is True, "the bank step needs a case number"
    done = await jan.submit("RABO-2026-4711")
    assert "Gedaan om 10:07" in texts(done) and "op tijd" in texts(done)
    assert f"Overzicht {incident}" in texts(done)

    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        await finish_step(jan)
    assert "Stap 7" in texts(jan.connector.in_conversation(jan.conversation.id)[-1:])
    await jan.press("Gedaan")  # the 72-hour assessment, asked one answer at a time
    await jan.press("Ja")  # personal data could have been seen
    for answer in ("namen, e-mailadressen, IBAN's", "klanten", "ongeveer 300"):
        await jan.submit(answer)
    await jan.press("Een risico")
    await jan.press("Ja, al gemeld")  # notified the AP
    await jan.submit("AP-2026-000123")
    await jan.submit("vandaag 10:10")
    await jan.press("Nee")  # no need to tell the people themselves
    last = await jan.submit("wachtwoorden gewijzigd, MFA aan")
    assert "Alle stappen zijn afgerond" in texts(last)
    assert "Fraudehelpdesk" in texts(last) and "cert@ncsc.nl" in texts(last)

    events = await events_of(bot, incident)
    kinds = [e.kind for e in events]
    assert kinds.count("fact_answered") == 6 and kinds.count("step_done") == 7
    assessed = next(e for e in events if e.kind == "ap_assessed")
    assert assessed.data["ap_notification_number"] == "AP-2026-000123"
    assert assessed.data["data_kinds"] == "namen, e-mailadressen, IBAN's"
    bank = next(e for e in events if e.kind == "step_done" and e.data["step"] == "call-bank")
    assert bank.data["records"] == {"bank_case_number": "RABO-2026-4711"}
    assert bank.at == START + timedelta(minutes=7) and bank.actor_name == "Jan Jansen"
    assert bank.actor == user_key(Channel.TEAMS, TENANT, jan.aad_object_id)


async def test_english_follows_the_teams_locale(person: People) -> None:
    ann = person("Ann", locale="en-US")
    confirm = await ann.say("I think we paid a fraudster")
    assert "Start the plan" in texts(confirm)
    opened = await ann.press("Yes")
    assert "Question 1 of 7" in texts(opened)
    for _ in range(5):
        await ann.press("Don't know yet")
    await ann.press("No")
    step = await ann.press("Don't know yet")  # our own account
    assert "Right now — step 1: Call your bank" in texts(step)
    assert actions(cards([step[-1].body])[0])[0]["title"] == "Done"


async def test_card_submit_carries_the_typed_values(bot: RunningApp, person: People) -> None:
    jan = person("Jan")
    incident = await open_incident(jan)
    await skip_facts(jan)
    asked = await jan.press("Lukt nu niet")
    assert input_fields(asked), "the reason is asked in a card input"
    empty = await jan.submit("   ")
    assert "Vul eerst in" in texts(empty), "an empty required field is refused by the adapter"
    noted = await jan.submit("de bank is gesloten")
    assert "nu niet lukt: de bank is gesloten" in texts(noted)
    events = await events_of(bot, incident)
    blocked = [e for e in events if e.kind == "step_blocked"]
    assert [e.data["reason"] for e in blocked] == ["de bank is gesloten"]


async def test_the_checklist_is_updated_in_place(person: People, connector: FakeConnector) -> None:
    jan = person("Jan")
    incident = await open_incident(jan)
    await skip_facts(jan)
    first = await finish_step(jan)
    posted = [s for s in first if "Overzicht" in texts([s])]
    assert [s.kind for s in posted] == ["reply"], "the checklist is posted the first time"
    checklist_id = posted[0].activity_id

    second = await finish_step(jan)
    updated = [s for s in second if "Overzicht" in texts([s])]
    assert [(s.kind, s.activity_id) for s in updated] == [("update", checklist_id)]
    shown = connector.messages[checklist_id]
    assert texts([shown]).count("gedaan") >= 2, "the card shows both completed steps"
    assert f"Overzicht {incident}" in texts([shown])

    typed = await jan.say("status")  # asked for: shown anew below, and updated from then on
    assert [s.kind for s in typed] == ["reply"]
    third = await finish_step(jan)
    assert [s.activity_id for s in third if s.kind == "update"] == [typed[0].activity_id]


async def test_where_the_checklist_stands_survives_a_restart(
    database_url: str, clock: ManualClock, connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    async with running_app(database_url, clock=clock, env=LOCAL) as first:
        jan = TeamsUser(
            http, bot_url=first.url, connector=connector, name="Jan", conversation=personal_chat()
        )
        await open_incident(jan)
        await skip_facts(jan)
        posted = [s for s in await finish_step(jan) if "Overzicht" in texts([s])]
    async with running_app(database_url, clock=clock, env=LOCAL) as second:
        jan.bot_url = second.url
        after = [s for s in await finish_step(jan) if "Overzicht" in texts([s])]
    assert [(s.kind, s.activity_id) for s in after] == [("update", posted[0].activity_id)]


async def test_a_stale_card_says_it_is_out_of_date(bot: RunningApp, person: People) -> None:
    jan = person("Jan")
    incident = await open_incident(jan)
    await skip_facts(jan)
    card_id, done = jan.buttons("Gedaan")[0]
    await finish_step(jan)
    again = await jan.click(card_id, done)
    assert "verouderd" in texts(again) and "al afgerond door Jan" in texts(again)
    events = await events_of(bot, incident)
    assert [e.kind for e in events].count("step_done") == 1


async def test_a_redelivered_activity_opens_no_second_incident(
    bot: RunningApp, person: People
) -> None:
    jan = person("Jan")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    card_id, data = jan.buttons("Ja")[0]
    first = await jan.post(jan.activity(value=data, replyToId=card_id), activity_id="f:same")
    again = await jan.post(jan.activity(value=data, replyToId=card_id), activity_id="f:same")
    incident = incident_in(first)
    assert again == [], "a redelivery is answered once"
    async with bot.runtime.require_store().transaction() as tx:
        incidents = [i for i in await tx.open_incidents() if i.tenant_id == TENANT]
    assert [i.id for i in incidents] == [incident]


async def test_reminders_and_escalations_arrive_proactively(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    """The default policy: the owner 5 minutes before a deadline within the hour and at
    it, the lead at it too, the managers 15 minutes later, then hourly, at most 3 times."""
    mira = person("Mira Manager", aad_object_id=MIRA)
    await mira.say("help")  # now Noodrem knows her personal chat
    jan = person("Jan")
    incident = await open_incident(jan)

    clock.advance(timedelta(minutes=10))  # 10:10, five minutes before the bank deadline
    before = await run_reminders(bot, connector)
    assert [(s.kind, s.conversation_id) for s in before] == [("send", jan.conversation.id)]
    assert before[0].body["summary"].startswith("⏰ Nog 5 min: Bel je bank"), (
        "a reminder card's notification says what it is about"
    )
    titles = [a["title"] for a in actions(cards([before[0].body])[0])]
    assert titles == ["Open stap", "Later: 15 min", "Later: 1 uur", "Later: tot…"]

    clock.advance(timedelta(minutes=5))  # 10:15, the deadline: the owner and the lead (Jan)
    due = await run_reminders(bot, connector)
    to_jan = texts(to(jan, due))
    assert "De deadline van *Bel je bank" in to_jan and "Te laat in incident" in to_jan
    assert to(mira, due) == [], "the managers only after a further 15 minutes"

    clock.advance(timedelta(minutes=15))  # 10:30
    later = await run_reminders(bot, connector)
    escalated = [s for s in to(mira, later) if "Bel je bank" in texts([s])]
    assert len(escalated) == 1 and "Te laat in incident" in texts(escalated)
    assert "Verantwoordelijk: Jan" in texts(escalated)
    fallback = texts(to(jan, later))
    assert "Otto Offline" in fallback, "Otto never talked to the bot: his copy goes to the incident"
    assert all(s.kind == "send" for s in due + later)

    repeats = []
    for _ in range(5):  # repeated every hour while overdue, at most 3 times
        clock.advance(timedelta(hours=1))
        repeats += [
            s for s in to(mira, await run_reminders(bot, connector)) if "Bel je bank" in texts([s])
        ]
    assert len(repeats) == 3
    assert await bot.run_reminders() == 0, "each reminder is sent once"
    events = await events_of(bot, incident)
    bank = [
        e.data["recipient_name"]
        for e in events
        if e.kind == "delivery_attempted"
        and e.data["purpose"] == "escalation"
        and e.data["step"] == "call-bank"
        and e.data["outcome"] == "delivered"
    ]
    managers = [name for name in bank if name != bank[0]]
    # The lead once, then each manager once and three repeats: one attempt per person.
    assert len(bank) - len(managers) == 1 and len(managers) == 4 * len(set(managers))


async def test_a_reminder_card_opens_the_step_and_snoozes_with_a_reason(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    jan = person("Jan")
    incident = await open_incident(jan)
    clock.advance(timedelta(minutes=10))
    await run_reminders(bot, connector)
    step = await jan.press("Open stap")
    assert "stap 1: Bel je bank" in texts(step)
    asked = await jan.press("Later: 15 min")
    assert input_fields(asked)[0]["id"] == "reason", "a snooze needs a reason"
    snoozed = await jan.submit("in de wacht bij de bank")
    assert "uitgesteld tot 10:25" in texts(snoozed) and "deadline blijft 10:15" in texts(snoozed)
    clock.advance(timedelta(minutes=5))  # 10:15: the owner's reminder now waits until 10:25
    assert not [
        s for s in to(jan, await run_reminders(bot, connector)) if "verstreken" in texts([s])
    ]
    events = await events_of(bot, incident)
    assert [e.data["reason"] for e in events if e.kind == "reminder_snoozed"] == [
        "in de wacht bij de bank"
    ]


async def test_a_channel_mention_starts_and_follows_an_incident(
    bot: RunningApp, person: People, connector: FakeConnector
) -> None:
    thread = channel_thread()
    jan = person("Jan", conversation=thread)
    confirm = await jan.say("we hebben een nepfactuur betaald")
    assert all(s.conversation_id == thread.id for s in confirm)
    incident = incident_in(await jan.press("Ja"))
    events = await events_of(bot, incident)
    assert events[0].data["reported_text"] == "we hebben een nepfactuur betaald"

    piet = person("Piet", conversation=thread)  # a colleague reading along in the thread
    joined = await piet.press("Weet ik nog niet")  # on the question card Jan got
    assert "later in" in texts(joined)
    elsewhere = channel_thread()
    elsewhere.id = f"{thread.channel_id};messageid=1699999000777"  # same channel, new thread
    piet.conversation = elsewhere
    status = await piet.say("status")
    assert f"Overzicht {incident}" in texts(status)
    assert all(s.conversation_id == elsewhere.id for s in status)
    events = await events_of(bot, incident)
    joins = [(e.data["name"], e.data["role"]) for e in events if e.kind == "participant_joined"]
    assert joins == [("Jan", "reporter"), ("Piet", "colleague")]


@pytest.mark.parametrize("how", ["installationUpdate", "conversationUpdate"])
async def test_installing_the_bot_remembers_the_personal_chat(
    bot: RunningApp, person: People, connector: FakeConnector, how: str
) -> None:
    mira = person("Mira Manager", aad_object_id=MIRA)
    welcome = await mira.install(how)
    assert "Hallo, ik ben Noodrem" in texts(welcome), "a personal install is greeted"
    async with bot.runtime.require_store().transaction() as tx:
        stored = await tx.get_address(user_key(Channel.TEAMS, TENANT, MIRA))
        as_manager = await tx.get_address("manager:acme:mira-manager")
    assert stored is not None and stored["reference"]["conversation"]["id"] == mira.conversation.id
    assert stored["reference"]["serviceUrl"] == connector.url
    assert as_manager == stored, "escalations for the manager find her personal chat"

    team = person("Piet", conversation=channel_thread())
    assert await team.install("conversationUpdate") == []
    async with bot.runtime.require_store().transaction() as tx:
        assert await tx.get_address(user_key(Channel.TEAMS, TENANT, team.aad_object_id)) is None


async def test_unknown_tenant_and_the_emulator(person: People) -> None:
    stranger = person("Eve", tenant_id="00000000-0000-0000-0000-00000000dead")
    assert "niet gekoppeld" in texts(await stranger.say("help"))

    emulated = person("Dev", locale="en-US")
    activity = emulated.activity(text="help")
    activity["channelId"] = "emulator"
    del activity["channelData"], activity["conversation"]["tenantId"]
    assert "step by step" in texts(await emulated.post(activity))


async def test_without_an_organisation_file_a_personal_chat_starts_the_flow(
    database_url: str, clock: ManualClock, connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    env = {"TEAMS_LOCAL": "1"}  # no ORGANISATION_FILE: a new install
    async with running_app(database_url, clock=clock, env=env) as app:
        jan = TeamsUser(
            http,
            bot_url=app.url,
            connector=connector,
            name="Jan",
            conversation=personal_chat(),
            tenant_id="a-tenant-nobody-named",
        )
        assert "starten" in texts(await jan.say("we hebben een oplichter betaald"))
        await jan.press("Ja, start")
        async with app.runtime.require_store().transaction() as tx:
            assert len(await tx.open_incidents()) == 1


async def test_the_welcome_menu_and_something_else_in_a_personal_chat(
    bot: RunningApp, person: People
) -> None:
    jan = person("Jan")
    welcome = await jan.install()
    [card] = cards([s.body for s in welcome])
    assert [a["title"] for a in actions(card)] == ["Wat is er gebeurd?"]
    menu = await jan.press("Wat is er gebeurd?")
    [menu_card] = cards([s.body for s in menu])
    [choices] = [e for e in menu_card["body"] if e["type"] == "Input.ChoiceSet"]
    titles = [c["title"] for c in choices["choices"]]
    assert titles[0] == "We hebben mogelijk een oplichter betaald" and len(titles) == 7, titles
    assert choices.get("style") == "expanded", "every plan visible, not hidden in a drop-down"
    assert "Iets anders" in [a["title"] for a in actions(menu_card)]
    advice = await jan.press("Iets anders")
    assert "Betaal niets" in texts(advice) and "Rabobank fraudelijn" in texts(advice)
    async with bot.runtime.require_store().transaction() as tx:
        assert await tx.open_incidents() == []
    await jan.press("Een WhatsApp-account is overgenomen")
    async with bot.runtime.require_store().transaction() as tx:
        [incident] = await tx.open_incidents()
    assert incident.playbook_id == "whatsapp-takeover"
