"""A manager steers incidents from Slack: the list, assigning by mention, snoozing a
reminder with a reason, closing (and force-closing) and reopening. Real HTTP, signed
requests, the real engine and store; what each person sees is what reached the fake."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from tests.harness import RunningApp
from tests.slack.conftest import MakePerson, events_of, open_incident_ids
from tests.slack.driver import SlackUser, texts
from tests.slack.fake_slack import Call, FakeSlack

START_NL = "ik denk dat we een oplichter hebben betaald"


async def open_incident(bot: RunningApp, user: SlackUser) -> str:
    """``user`` reports in their DM and confirms; the new incident's id."""
    before = set(await open_incident_ids(bot))
    await user.say(START_NL)
    await user.press("Ja")
    [incident] = set(await open_incident_ids(bot)) - before
    return incident


def to(user: SlackUser, calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.args.get("channel") == user.dm]


async def test_list_shows_a_manager_every_open_incident_and_others_their_own(
    bot: RunningApp, person: MakePerson
) -> None:
    jan, piet = person("U0JAN", "Jan Jansen"), person("U0PIET", "Piet de Vries")
    first = await open_incident(bot, jan)
    second = await open_incident(bot, piet)
    mine = texts(await jan.command("list"))
    assert first in mine and second not in mine
    mira = person("U0MIRA", "Mira Manager")
    everything = texts(await mira.command("list"))
    assert first in everything and second in everything
    assert "Open incidenten: 2 (pagina 1 van 1)" in everything
    assert "0 stappen klaar, 7 open, 0 te laat" in everything


async def test_a_manager_assigns_a_step_by_mention_and_its_reminders_follow(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, clock: ManualClock
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    incident = await open_incident(bot, jan)
    mira = person("U0MIRA", "Mira Manager")
    await mira.command("list")
    await mira.press(incident)  # its checklist, in her DM
    await mira.press("▶ Doe aangifte")
    asked = await mira.press("Toewijzen")
    assert [c.method for c in asked] == ["views.open"]
    [picker] = mira.modal_inputs()
    assert picker["element"]["type"] == "users_select", "pick a person, as with @"

    piet = person("U0PIET", "Piet de Vries")  # has never written to Noodrem
    _, assigned = await mira.submit(piet.user_id)
    assert "toegewezen aan Piet de Vries" in texts(to(mira, assigned))
    assert fake.calls_of("conversations.open")[-1].args["users"] == piet.user_id
    card = texts(to(piet, assigned))
    assert "Mira Manager heeft je een stap toegewezen" in card and "Stap 3" in card

    # Reassigned by a mention typed in her DM: Slack sends it as <@U…>.
    await mira.press("Toewijzen")
    sanne = person("U0SANNE", "Sanne Smit")
    typed = await mira.say(f"<@{sanne.user_id}>")
    assert "toegewezen aan Sanne Smit" in texts(to(mira, typed))
    assert "Mira Manager heeft je een stap toegewezen" in texts(to(sanne, typed))

    mark = len(fake.calls)
    clock.advance(timedelta(minutes=55))  # 5 minutes before the police report is due
    await bot.run_reminders()
    about_it = [c for c in fake.outputs(mark) if "aangifte" in texts([c]).lower()]
    assert [c.args["channel"] for c in about_it] == [sanne.dm]
    assert "Nog 5 min" in texts(about_it)

    moves = [e for e in await events_of(bot, incident) if e.kind == "step_assigned"]
    assert [(e.data["to"], e.data["to_name"]) for e in moves] == [
        ("slack:T0ACME:U0PIET", "Piet de Vries"),
        ("slack:T0ACME:U0SANNE", "Sanne Smit"),
    ]
    assert moves[1].actor_name == "Mira Manager"


async def test_snooze_from_the_reminder_asks_the_reason_in_a_modal(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, clock: ManualClock
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    incident = await open_incident(bot, jan)
    clock.advance(timedelta(minutes=10))
    await bot.run_reminders()
    asked = await jan.press("Later: 15 min")  # on the reminder in his DM
    assert [c.method for c in asked] == ["views.open"]
    ack, after = await jan.submit("")
    assert ack == {"response_action": "errors", "errors": {"reason": "Vul dit in."}}
    assert after == [], "an empty reason never reaches the engine"
    _, done = await jan.submit("ik hang in de wacht bij de bank")
    assert "uitgesteld tot 10:25" in texts(done) and "deadline blijft 10:15" in texts(done)

    mark = len(fake.calls)
    clock.advance(timedelta(minutes=5))  # the deadline itself: its reminders wait
    await bot.run_reminders()
    assert "Bel je bank" not in texts(fake.outputs(mark))
    clock.advance(timedelta(minutes=10))
    await bot.run_reminders()
    assert "Bel je bank" in texts(to(jan, fake.outputs(mark)))

    # Someone else sending Jan's button (values travel through the client) is refused.
    piet = person("U0PIET", "Piet de Vries")
    await piet.say(f"doe mee {incident}")
    stolen = jan.click_payload("Later: 1 uur")
    stolen["user"] = {"id": piet.user_id, "username": piet.name, "team_id": piet.team}
    stolen["container"]["channel_id"] = stolen["channel"]["id"] = piet.dm
    refused = await piet.send_click(stolen)
    assert "alleen je eigen herinneringen" in texts(refused)
    snoozes = [e for e in await events_of(bot, incident) if e.kind == "reminder_snoozed"]
    assert [e.data["reason"] for e in snoozes] == ["ik hang in de wacht bij de bank"]


async def test_only_a_manager_force_closes_with_a_reason_and_it_can_be_reopened(
    bot: RunningApp, person: MakePerson
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    incident = await open_incident(bot, jan)
    await jan.say("status")
    refused = await jan.press("Incident sluiten")
    assert "alleen een manager kan het incident nu al sluiten" in texts(refused)

    mira = person("U0MIRA", "Mira Manager")
    await mira.command("list")
    await mira.press(incident)
    confirm = await mira.press("Incident sluiten")
    assert "Weet je zeker dat je incident" in texts(confirm)
    asked = await mira.press("Ja, sluiten")
    assert [c.method for c in asked] == ["views.open"] and "Waarom sluit je" in texts(asked)
    _, closed = await mira.submit("dubbele melding, zie NR-elders")
    assert f"Incident {incident} is gesloten" in texts(closed)
    assert await open_incident_ids(bot) == []
    reopened = await mira.press("Heropenen")
    assert f"Incident {incident} is heropend" in texts(reopened)
    assert await open_incident_ids(bot) == [incident]

    events = await events_of(bot, incident)
    closing = next(e for e in events if e.kind == "incident_closed")
    assert closing.data["forced"] is True and closing.data["reason"].startswith("dubbele")
    assert closing.actor_name == "Mira Manager"
    assert [e.kind for e in events[-2:]] == ["incident_reopened", "delivery_attempted"]
    assert events[-1].data["recipient_name"] == "Jan Jansen", "the lead was told"
