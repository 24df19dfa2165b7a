"""The paid-fraudster flow through Slack, end to end over real HTTP: signed requests in,
Web API calls out to the fake, the real engine and store in between."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.messages import StepDone, decode_action
from tests.harness import RunningApp
from tests.slack.conftest import MakePerson, events_of, open_incident_ids
from tests.slack.driver import SlackUser, block_texts, buttons, texts
from tests.slack.fake_slack import Call, FakeSlack


def headers_of(call: Call) -> list[str]:
    blocks = call.args.get("blocks") or []
    return [b["text"]["text"] for b in blocks if b["type"] == "header"]


def checklist_posts(fake: FakeSlack) -> list[Call]:
    return [
        c
        for c in fake.calls_of("chat.postMessage")
        if any(h.startswith(("Overzicht NR-", "Checklist NR-")) for h in headers_of(c))
    ]


async def finish_step(user: SlackUser, done: str) -> None:
    """Press Done and type "REF-123" into every field the step then asks for."""
    await user.press(done)
    while user.modal is not None:
        await user.submit(*("REF-123" for _ in user.modal_inputs()))


async def test_whole_flow_in_dutch_by_direct_message(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, clock: ManualClock
) -> None:
    jan = person("U0JAN", "Jan Jansen", locale="nl-NL")
    confirm = await jan.say("ik denk dat we een oplichter hebben betaald")
    assert [c.method for c in confirm] == ["chat.postMessage"]
    assert confirm[0].args["channel"] == jan.dm
    assert "starten" in texts(confirm)
    opened = await jan.press("Ja")
    said = texts(opened)
    assert "is geopend om 10:00" in said and "Vraag 1 van 7" in said
    incident = (await open_incident_ids(bot))[0]

    assert "12.500" in texts(await jan.say("€ 12.500,00"))
    await jan.say("vandaag 09:15")
    assert "buitenlandse" in texts(await jan.say("DE89 3704 0044 0532 0130 00"))
    await jan.say("Fraud Holding GmbH")
    await jan.say("2")
    await jan.press("Ja")  # the mailbox may be hacked
    first_step = await jan.press("Weet ik nog niet")  # our own account
    card = first_step[-1]
    assert "Rabobank fraudelijn" in texts([card]) and "088-722 67 67" in texts([card])
    assert "10:15 (nog 15 min)" in texts([card])
    labels = [b["text"]["text"] for b in buttons(card.args["blocks"])]
    assert labels[:4] == ["Gedaan", "Lukt nu niet", "Overslaan", "Help"]
    done = next(b for b in buttons(card.args["blocks"]) if b["text"]["text"] == "Gedaan")
    pressed = decode_action(done["value"])
    assert isinstance(pressed, StepDone)
    assert (pressed.incident_id, pressed.step_id) == (incident, "call-bank")

    clock.advance(timedelta(minutes=7))
    asked = await jan.press("Gedaan")
    assert [c.method for c in asked] == ["views.open"], "the question is the modal, not a post"
    modal = asked[0].args["view"]
    assert asked[0].args["trigger_id"].endswith(".U0JAN.trigger")
    assert [b["label"]["text"] for b in modal["blocks"] if b["type"] == "input"] == [
        "Dossiernummer van de bank"
    ]
    _, done = await jan.submit("RABO-2026-4711")
    said = texts(done)
    assert "Gedaan om 10:07" in said and "op tijd" in said
    assert len(checklist_posts(fake)) == 1

    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        await finish_step(jan, "Gedaan")

    # The 72-hour data breach assessment: buttons in messages, typed answers in one modal
    # that moves on to the next question until a button question comes.
    assert "Stap 7" in texts(fake.outputs()[-1:])
    await jan.press("Gedaan")
    await jan.press("Ja")  # personal data could have been seen
    ack, _ = await jan.submit("namen, e-mailadressen, IBAN's")
    assert ack["response_action"] == "update"
    await jan.submit("klanten")
    ack, _ = await jan.submit("ongeveer 300")
    assert ack == {} and jan.modal is None
    await jan.press("Een risico")
    await jan.press("Ja, al gemeld")  # notified the AP
    await jan.submit("AP-2026-000123")
    await jan.submit("vandaag 10:10")
    await jan.press("Nee")  # no need to tell the people themselves
    _, last = await jan.submit("wachtwoorden gewijzigd, MFA aan")
    said = texts(last)
    assert "Alle stappen zijn afgerond" in said
    assert "Fraudehelpdesk" in said and "cert@ncsc.nl" in said

    posted = checklist_posts(fake)
    assert len(posted) == 1, "the checklist is posted once and then updated in place"
    checklist = fake.messages[(jan.dm, posted[0].result["ts"])]
    assert checklist.updates >= 6
    updates = [c for c in fake.calls_of("chat.update") if c.args["ts"] == checklist.ts]
    assert len(updates) == checklist.updates
    assert "\n".join(block_texts(checklist.blocks)).count("✅") == 7

    events = await events_of(bot, incident)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["incident_opened", "participant_joined"]
    assert kinds.count("fact_answered") == 6 and kinds.count("step_done") == 7
    assessed = next(e for e in events if e.kind == "ap_assessed")
    assert assessed.data["ap_notification_number"] == "AP-2026-000123"
    assert assessed.data["measures"] == "wachtwoorden gewijzigd, MFA aan"
    bank = next(e for e in events if e.kind == "step_done" and e.data["step"] == "call-bank")
    assert bank.data["records"] == {"bank_case_number": "RABO-2026-4711"}
    assert bank.actor == "slack:T0ACME:U0JAN" and bank.actor_name == "Jan Jansen"


async def test_english_flow_follows_the_slack_locale_and_can_switch(
    bot: RunningApp, person: MakePerson, fake: FakeSlack
) -> None:
    ann = person("U0ANN", "Ann Smith", locale="en-GB")
    assert "Start the plan" in texts(await ann.say("I think we paid a fraudster"))
    await ann.press("Yes")
    for _ in range(5):
        await ann.press("Don't know yet")
    await ann.press("No")  # no mailbox hacked
    steps = await ann.press("Don't know yet")  # our own account
    assert headers_of(steps[-1])[0].startswith("Right now — step 1")

    asked = await ann.press("Done")
    assert [c.method for c in asked] == ["views.open"]
    ack, after = await ann.submit("   ")
    assert ack == {
        "response_action": "errors",
        "errors": {"bank_case_number": "Please fill this in."},
    }
    assert after == [], "an empty required field never reaches the engine"
    _, done = await ann.submit("BANK-1")
    assert "Done at 10:00" in texts(done)
    first = checklist_posts(fake)
    assert len(first) == 1 and headers_of(first[0])[0].startswith("Checklist NR-")

    asked = await ann.press("Not possible right now")
    assert [
        b["label"]["text"] for b in asked[0].args["view"]["blocks"] if b["type"] == "input"
    ] == ["Why is it not possible right now?"]
    _, blocked = await ann.submit("waiting for the IT provider")
    assert [c.method for c in blocked][:2] == ["chat.postMessage", "chat.update"]
    assert "waiting for the IT provider" in texts(blocked)

    again = await ann.say("status")  # asked for by typing: shown again at the bottom
    assert [c.method for c in again] == ["chat.postMessage"]
    assert len(checklist_posts(fake)) == 2
    updated = await ann.press("Checklist")  # the refresh button on the new one
    assert [c.method for c in updated] == ["chat.update"]
    newest = [m for m in fake.messages.values() if m.channel == ann.dm][-1]
    assert updated[0].args["ts"] == newest.ts

    assert "Ik praat nu Nederlands" in texts(await ann.say("nederlands"))
    assert "Overzicht NR-" in texts(await ann.say("status"))


async def test_a_button_clicked_twice(bot: RunningApp, person: MakePerson, fake: FakeSlack) -> None:
    jan = person("U0JAN", "Jan Jansen")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    click = jan.click_payload("Ja")
    await jan.send_click(click)
    redelivered = await jan.send_click(click, expect_output=False)
    assert redelivered == [], "the same click delivered twice is handled once"
    assert len(await open_incident_ids(bot)) == 1

    for _ in range(5):
        await jan.press("Weet ik nog niet")
    await jan.press("Nee")
    await jan.press("Weet ik nog niet")  # our own account
    old_done = jan.click_payload("Gedaan")
    await jan.send_click(old_done)
    await jan.submit("CASE-9")
    old_done["actions"][0]["action_ts"] += "1"  # a second, later click on the same button
    second = await jan.send_click(old_done)
    assert "al afgerond door Jan Jansen" in texts(second)
    incident = (await open_incident_ids(bot))[0]
    assert [e.kind for e in await events_of(bot, incident)].count("step_done") == 1
