"""Old cards of a closed or stopped incident (issue 11): a button pressed on them changes
nothing and says plainly that the incident is closed, with the evidence file one tap away
and, for a manager, the way to reopen it. Real HTTP, signed requests, the real engine."""

from __future__ import annotations

from tests.harness import RunningApp
from tests.slack.conftest import MakePerson, events_of, open_incident_ids
from tests.slack.driver import buttons, texts
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack_export import uploads_after
from tests.slack.test_slack_manage import open_incident


async def test_old_cards_of_a_closed_incident_say_so_and_offer_export_or_reopen(
    bot: RunningApp, person: MakePerson
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    incident = await open_incident(bot, jan)  # his DM has the bank step's card
    mira = person("U0MIRA", "Mira Manager")
    await mira.command("list")
    await mira.press(incident)  # the checklist, in her DM
    await mira.press("Incident sluiten")
    await mira.press("Ja, sluiten")
    await mira.submit("dubbele melding")
    before = len(await events_of(bot, incident))

    pressed = await jan.press("Gedaan")  # on the old step card
    said = texts(pressed)
    assert f"Incident {incident} is gesloten: deze knop doet niets meer" in said
    assert "heropenen" not in said.lower(), "only a manager is offered to reopen"
    labels = [b["text"]["text"] for c in pressed for b in buttons(c.args.get("blocks") or [])]
    assert labels == ["Dossier (PDF)"]
    assert len(await events_of(bot, incident)) == before, "the old card changed nothing"

    pressed = await mira.press("▶ ")  # a step on her old checklist
    said = texts(pressed)
    assert f"Incident {incident} is gesloten" in said and "heropen " + incident in said
    reopened = await mira.press("Heropenen")
    assert f"Incident {incident} is heropend" in texts(reopened)
    assert await open_incident_ids(bot) == [incident]


async def test_a_stopped_incident_says_it_is_stopped(
    bot: RunningApp, person: MakePerson, fake: FakeSlack
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    incident = await open_incident(bot, jan)
    await jan.say("stop")
    await jan.press("Ja")
    await jan.submit("loos alarm")
    pressed = await jan.press("Gedaan")
    assert f"Incident {incident} is gestopt: deze knop doet niets meer" in texts(pressed)
    mark = len(fake.calls)
    await jan.press("Dossier (PDF)")
    [upload] = await uploads_after(jan, mark)
    assert upload.channel == jan.dm and upload.data.startswith(b"%PDF"), "the file is still there"
