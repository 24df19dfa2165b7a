"""The paid-fraudster flow in Teams, end to end: activities POSTed to ``/api/messages`` on a
real port, replies arriving at a fake Bot Connector over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from bot.clock import ManualClock
from bot.messages import Channel, user_key
from bot.ports import Event
from tests.harness import RunningApp, running_app
from tests.teams.fakes import (
    LOCAL,
    MIRA,
    START,
    TENANT,
    FakeConnector,
    People,
    Sent,
    TeamsUser,
    cards,
    channel_thread,
    personal_chat,
    texts,
)


async def events_of(app: RunningApp, incident_id: str) -> list[Event]:
    async with app.runtime.require_store().transaction() as tx:
        return await tx.get_events(incident_id)


async def open_incident(user: TeamsUser, text: str = "we hebben een oplichter betaald") -> str:
    confirm = await user.say(text)
    assert cards([s.body for s in confirm]), "the question comes as a card with buttons"
    opened = await user.press("Ja" if user.locale.startswith("nl") else "Yes")
    return incident_in(opened)


def incident_in(sent: list[Sent]) -> str:
    ids = {
        word.strip("*.,")
        for word in texts(sent).split()
        if word.strip("*.,").startswith("NR-") and len(word.strip("*.,")) == 9
    }
    assert len(ids) == 1, ids
    return ids.pop()


def input_fields(sent: list[Sent]) -> list[dict]:
    return [
        e
        for card in cards([s.body for s in sent])
        for e in card["body"]
        if e["type"] == "Input.Text"
    ]


async def skip_facts(user: TeamsUser) -> None:
    """Answer the six questions with "don't know" and "no mailbox hacked"."""
    for _ in range(5):
        await user.press("Weet ik nog niet")
    await user.press("Nee")


async def finish_step(user: TeamsUser) -> list[Sent]:
    """Press Done on the newest step card and fill in whatever it asks."""
    sent = await user.press("Gedaan")
    while fields := input_fields(sent):
        sent = await user.submit("REF-123" if fields[-1]["isRequired"] else "-")
    return sent


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
    assert "Vraag 1 van 6" in texts(opened)

    noted = await jan.say("€ 12.500,00")
    assert "12.500" in texts(noted) and "Vraag 2 van 6" in texts(noted)
    await jan.say("vandaag 09:15")
    foreign = await jan.say("DE89 3704 0044 0532 0130 00")
    assert "buitenlandse" in texts(foreign)
    await jan.say("Fraud Holding GmbH")
    await jan.say("2")
    first_step = await jan.press("Ja")  # the mailbox may be hacked
    card = cards([first_step[-1].body])[0]
    assert "Rabobank fraudelijn" in texts(first_step) and "088-722 67 67" in texts(first_step)
    assert "10:15 (nog 15 min)" in texts(first_step)
    assert [a["title"] for a in card["actions"]] == ["Gedaan", "Lukt nu niet", "Overslaan", "Help"]
    assert all(a["type"] == "Action.Submit" for a in card["actions"])

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
    await jan.press("Ja")  # notify the AP
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
    assert "Question 1 of 6" in texts(opened)
    for _ in range(5):
        await ann.press("Don't know yet")
    step = await ann.press("No")
    assert "Step 1: " in texts(step)
    assert cards([step[-1].body])[0]["actions"][0]["title"] == "Done"


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
        incidents = await tx.open_incidents(tenant_id=TENANT)
    assert [i.id for i in incidents] == [incident]


async def test_reminders_and_escalations_arrive_proactively(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    mira = person("Mira Manager", aad_object_id=MIRA)
    await mira.say("help")  # now Noodrem knows her personal chat
    jan = person("Jan")
    incident = await open_incident(jan)
    before = len(connector.calls)

    clock.advance(timedelta(minutes=10))
    assert await bot.run_reminders() == 1
    reminder = connector.calls[before:]
    assert [(s.kind, s.conversation_id) for s in reminder] == [("send", jan.conversation.id)]
    assert "Nog 5 min" in texts(reminder) and not reminder[0].body.get("attachments")

    clock.advance(timedelta(minutes=5))
    await bot.run_reminders()
    due = connector.calls[before + 1 :]
    to_mira = [s for s in due if s.conversation_id == mira.conversation.id]
    assert len(to_mira) == 1 and "Te laat in incident" in texts(to_mira)
    to_jan = texts([s for s in due if s.conversation_id == jan.conversation.id])
    assert "verstreken" in to_jan
    assert "Otto Offline" in to_jan, "Otto never talked to the bot: his copy goes to the incident"
    assert all(s.kind == "send" for s in due)
    assert await bot.run_reminders() == 0
    events = await events_of(bot, incident)
    assert [e.kind for e in events].count("escalation_sent") == 1


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


async def test_installing_the_bot_remembers_the_personal_chat(
    bot: RunningApp, person: People, connector: FakeConnector
) -> None:
    mira = person("Mira Manager", aad_object_id=MIRA)
    update = mira.activity(
        "conversationUpdate",
        membersAdded=[{"id": "28:bot-id-is-replaced"}, {"id": f"29:{MIRA}", "aadObjectId": MIRA}],
    )
    update["membersAdded"][0]["id"] = update["recipient"]["id"]
    assert await mira.post(update) == [], "an install is answered with nothing"
    async with bot.runtime.require_store().transaction() as tx:
        stored = await tx.get_address(user_key(Channel.TEAMS, TENANT, MIRA))
    assert stored is not None and stored["reference"]["conversation"]["id"] == mira.conversation.id
    assert stored["reference"]["serviceUrl"] == connector.url


async def test_unknown_tenant_and_the_emulator(person: People) -> None:
    stranger = person("Eve", tenant_id="00000000-0000-0000-0000-00000000dead")
    assert "niet gekoppeld" in texts(await stranger.say("help"))

    emulated = person("Dev", locale="en-US")
    activity = emulated.activity(text="help")
    activity["channelId"] = "emulator"
    del activity["channelData"], activity["conversation"]["tenantId"]
    assert "step by step" in texts(await emulated.post(activity))
