"""Follow-ups after the incident in Teams (issue 11): the close proposes them as Adaptive
Cards with their buttons, the reminder arrives as a proactive message though the incident
is closed, and a click on its card marks it done."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from tests.harness import RunningApp
from tests.teams.chat import events_of, open_incident, run_reminders, to
from tests.teams.fakes import MIRA, FakeConnector, People, actions, cards, texts


async def test_follow_ups_are_cards_reminded_after_the_close_and_marked_done_in_teams(
    bot: RunningApp, person: People, connector: FakeConnector, clock: ManualClock
) -> None:
    mira = person("Mira Manager", aad_object_id=MIRA)
    incident_id = await open_incident(mira, "iemand is in onze mailbox")
    await mira.say("status")
    await mira.press("Incident sluiten")
    await mira.press("Ja, sluiten")
    closed = await mira.submit("IT heeft alles dichtgezet")
    said = texts(closed)
    assert f"Incident {incident_id} is gesloten." in said
    assert "stellen de plannen 2 vervolgactie(s) voor" in said
    follow_up_cards = [
        card
        for card in cards([s.body for s in closed])
        if any(a["title"] == "Geregeld" for a in actions(card))
    ]
    assert len(follow_up_cards) == 2
    assert [a["title"] for a in actions(follow_up_cards[0])] == ["Geregeld", "Toewijzen"]
    assert "Vervolgactie: Tweestapsverificatie (MFA) op alle mailboxen" in said
    assert "Eigenaar" in said and "Mira Manager" in said

    clock.advance(timedelta(days=14))  # MFA is due 14 days after the close
    sent = to(mira, await run_reminders(bot, connector))
    reminded = texts(sent)
    assert (
        f"⏰ Vervolgactie *Tweestapsverificatie (MFA) op alle mailboxen* van incident {incident_id}"
        in (reminded)
    )
    assert all(s.kind != "reply" for s in sent), "a proactive message, not a reply"

    done = await mira.press("Geregeld")  # on the reminder's card, the newest
    assert "✅ Vervolgactie *Tweestapsverificatie (MFA) op alle mailboxen* staat op afgerond" in (
        texts(done)
    )
    events = await events_of(bot, incident_id)
    assert [e.data["follow_up"] for e in events if e.kind == "follow_up_done"] == ["mfa"]
    clock.advance(timedelta(days=16))
    later = texts(to(mira, await run_reminders(bot, connector)))
    assert "Tweestapsverificatie" not in later and "Altijd terugbellen" in later
