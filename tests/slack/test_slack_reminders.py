"""Reminders and escalations leave through the Slack adapter as direct messages."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from tests.harness import RunningApp
from tests.slack.conftest import MakePerson, events_of, open_incident_ids
from tests.slack.driver import texts
from tests.slack.fake_slack import FakeSlack


async def test_reminders_and_escalations_arrive_as_direct_messages(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, clock: ManualClock
) -> None:
    mira = person("U0MIRA", "Mira Manager")
    await mira.say("help")  # now Noodrem knows where to reach her
    jan = person("U0JAN", "Jan Jansen")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    await jan.press("Ja")
    [incident] = await open_incident_ids(bot)

    mark = len(fake.calls)
    clock.advance(timedelta(minutes=9, seconds=59))
    assert await bot.run_reminders() == 0, "nothing before it is due"
    clock.advance(timedelta(seconds=1))
    assert await bot.run_reminders() == 1
    opened, [reminder] = fake.calls_of("conversations.open")[-1], fake.outputs(mark)
    assert opened.args["users"] == jan.user_id
    assert reminder.method == "chat.postMessage" and reminder.args["channel"] == jan.dm
    assert "Nog 5 min" in texts([reminder]) and "later verstuurd" not in texts([reminder])

    mark = len(fake.calls)
    clock.advance(timedelta(minutes=5))  # the deadline: the owner, and the lead (also Jan)
    await bot.run_reminders()
    due = fake.outputs(mark)
    assert {c.args["channel"] for c in due} == {jan.dm}
    assert "verstreken" in texts(due)

    mark = len(fake.calls)
    clock.advance(timedelta(minutes=15))  # then the managers
    await bot.run_reminders()
    sent = fake.outputs(mark)
    to_mira = [c for c in sent if c.args["channel"] == mira.dm]
    assert len(to_mira) == 1 and "Jan Jansen" in texts(to_mira)
    to_jan = texts([c for c in sent if c.args["channel"] == jan.dm])
    assert "Otto Offline" in to_jan, "Otto never wrote to Noodrem: his copy goes to the incident"
    assert await bot.run_reminders() == 0, "each reminder is sent once"
    escalated = [
        (e.data["recipient_name"], e.data["via"], e.data["outcome"])
        for e in await events_of(bot, incident)
        if e.kind == "delivery_attempted"
        and e.data["purpose"] == "escalation"
        and e.data["step"] == "call-bank"
    ]
    assert escalated == [  # the lead, then each manager
        ("Jan Jansen", "direct", "delivered"),
        ("Mira Manager", "direct", "delivered"),
        ("Otto Offline", "incident_chat", "delivered"),
    ]


async def test_an_incident_opened_in_a_channel_is_reminded_in_the_reporters_dm(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, clock: ManualClock
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    await jan.mention("C0FINANCE", "ik denk dat we een oplichter hebben betaald")
    await jan.press("Ja", channel="C0FINANCE")
    mark = len(fake.calls)
    clock.advance(timedelta(minutes=10))
    await bot.run_reminders()
    [reminder] = fake.outputs(mark)
    # Reported in a channel, reminded in private: a DM opened by his user id.
    assert reminder.args["channel"] == jan.dm
