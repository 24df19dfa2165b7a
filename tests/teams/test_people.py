"""Reaching people in Teams: a manager who only installed the app, someone who writes in
both a channel and their personal chat, and a step assigned by @mention."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.messages import Channel, user_key
from tests.harness import RunningApp
from tests.teams.chat import (
    events_of,
    finish_step,
    open_incident,
    run_reminders,
    skip_facts,
    to,
)
from tests.teams.fakes import (
    MIRA,
    TENANT,
    FakeConnector,
    People,
    actions,
    cards,
    channel_thread,
    texts,
)


async def test_a_manager_who_only_installed_gets_escalations_in_her_personal_chat(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    mira = person("Mira Manager", aad_object_id=MIRA)
    assert "Hallo" in texts(await mira.install())  # installs Noodrem, never writes to it
    jan = person("Jan")
    await open_incident(jan)

    clock.advance(timedelta(minutes=30))  # the bank deadline (10:15) plus 15 minutes
    sent = await run_reminders(bot, connector)
    to_mira = [s for s in to(mira, sent) if "Bel je bank" in texts([s])]
    assert [s.kind for s in to_mira] == ["send"], "a proactive message in her own chat"
    assert "Te laat in incident" in texts(to_mira)
    fallback = texts(to(jan, sent))
    assert "Otto Offline" in fallback and "Mira Manager" not in fallback


async def test_reminders_stay_in_the_personal_chat_after_writing_in_a_channel(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    jan = person("Jan")
    await jan.say("help")  # his personal chat with Noodrem
    thread = channel_thread()
    jan_in_channel = person("Jan", conversation=thread, aad_object_id=jan.aad_object_id)
    incident = await open_incident(jan_in_channel)  # he reports in the team channel
    piet = person("Piet", conversation=thread)  # only ever writes in the channel
    await piet.say(f"doe mee {incident}")

    clock.advance(timedelta(minutes=10))
    sent = await run_reminders(bot, connector)
    assert [(s.kind, s.conversation_id) for s in sent] == [("send", jan.conversation.id)]
    assert "Nog 5 min" in texts(sent)
    async with bot.runtime.require_store().transaction() as tx:
        for_piet = await tx.get_address(user_key(Channel.TEAMS, TENANT, piet.aad_object_id))
    assert for_piet is not None and for_piet["conversation_id"] == thread.channel_id, (
        "someone without a personal chat is reached in the first chat Noodrem saw"
    )


async def test_a_step_assigned_by_mention_in_a_channel_reaches_the_assignee_privately(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    piet = person("Piet de Vries")
    await piet.say("help")  # Noodrem knows Piet's personal chat
    thread = channel_thread()
    jan = person("Jan", conversation=thread)
    incident = await open_incident(jan)
    await skip_facts(jan)  # the first step card in the channel: call the bank
    mira = person("Mira Manager", conversation=thread, aad_object_id=MIRA)
    asked = await mira.press("Toewijzen")
    assert "Aan wie?" in texts(asked)

    piet_in_team = person("Piet de Vries", conversation=thread, aad_object_id=piet.aad_object_id)
    assigned = await mira.say("", people=(piet_in_team,))  # "@Noodrem @Piet de Vries"
    assert "toegewezen aan Piet de Vries" in texts(to(mira, assigned))
    private = to(piet, assigned)
    assert [s.kind for s in private] == ["send", "send"], "proactively, in Piet's own chat"
    assert "Mira Manager heeft je een stap toegewezen" in texts(private)
    card = cards([private[-1].body])[0]
    assert "stap 1: Bel je bank" in texts(private) and actions(card)[0]["title"] == "Gedaan"
    events = await events_of(bot, incident)
    moved = next(e for e in events if e.kind == "step_assigned")
    assert moved.data["to"] == user_key(Channel.TEAMS, TENANT, piet.aad_object_id)

    clock.advance(timedelta(minutes=10))
    sent = await run_reminders(bot, connector)
    assert "Nog 5 min" in texts(to(piet, sent)) and to(jan, sent) == []
    clock.advance(timedelta(minutes=1))
    done = await finish_step(piet)  # on the card in his personal chat
    assert "Gedaan om 10:11" in texts(done)
    clock.advance(timedelta(minutes=4))
    late = await run_reminders(bot, connector)
    assert "Bel je bank" not in texts(late), "a finished step's reminders never arrive"
