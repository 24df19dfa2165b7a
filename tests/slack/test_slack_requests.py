"""Every way into Noodrem from Slack, and the requests it must refuse or recognise again."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.channels import slack_listeners
from tests.harness import RunningApp
from tests.slack.conftest import MakePerson, events_of, open_incident_ids
from tests.slack.driver import (
    TEAM,
    SignedSlack,
    SlackUser,
    buttons,
    event_body,
    interaction_body,
    signed_headers,
    texts,
)
from tests.slack.fake_slack import FakeSlack

START_NL = "ik denk dat we een oplichter hebben betaald"


def dm_message(user: str, text: str) -> dict[str, str]:
    return {
        "type": "message",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
        "channel_type": "im",
    }


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: {"Content-Type": "application/json"}, id="unsigned"),
        pytest.param(
            lambda body: signed_headers(body, content_type="application/json", secret="wrong"),
            id="forged",
        ),
        pytest.param(
            lambda body: signed_headers(body, content_type="application/json", age=301),
            id="stale",
        ),
        pytest.param(
            lambda body: signed_headers(body + " ", content_type="application/json"),
            id="body-changed",
        ),
    ],
)
async def test_requests_without_a_valid_signature_get_401_and_change_nothing(
    bot: RunningApp, slack: SignedSlack, fake: FakeSlack, headers: Callable[[str], dict[str, str]]
) -> None:
    body = event_body(dm_message("U0JAN", START_NL), event_id="Ev0REFUSED")
    status, _ = await slack.post(body, content_type="application/json", headers=headers(body))
    assert status == 401
    await slack.handled()
    assert fake.calls == []
    async with bot.runtime.require_store().transaction() as tx:
        assert await tx.get_conversation(f"slack:{TEAM}:DU0JAN:U0JAN") is None
        assert await tx.get_address(f"slack:{TEAM}:U0JAN") is None
    assert await slack.event(body) == 200, "the refused request claimed nothing"
    await fake.wait_for(lambda: bool(fake.calls_of("chat.postMessage")))


async def test_a_redelivered_event_is_handled_once(
    bot: RunningApp, person: MakePerson, fake: FakeSlack
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    body = event_body(dm_message(jan.user_id, START_NL))
    first = await jan.send_event(body, retry=1)  # a retry may be the first delivery to arrive
    assert "starten" in texts(first)
    mark = len(fake.calls)
    assert await jan.slack.event(body, retry=2) == 200
    await jan.slack.handled()
    assert fake.outputs(mark) == []

    await jan.press("Ja")
    answer = event_body(dm_message(jan.user_id, "€ 5.000"))
    await jan.send_event(answer)
    for retry in (1, 2, 3):
        assert await jan.slack.event(answer, retry=retry) == 200
    await jan.slack.handled()
    [incident] = await open_incident_ids(bot)
    facts = [e for e in await events_of(bot, incident) if e.kind == "fact_answered"]
    assert len(facts) == 1


async def test_no_message_text_is_logged_even_at_debug(
    person: MakePerson, caplog: pytest.LogCaptureFixture
) -> None:
    """slack_sdk and Bolt build their debug lines (each Web API request with the blocks of
    the reply, each answer) whenever their logger's own level is NOTSET, and log them as
    soon as the root logs DEBUG. The Slack loggers have a level of their own: no line is
    built per call, and what people typed and were answered stays out of the log."""
    caplog.set_level(logging.DEBUG)
    jan = person("U0JAN", "Jan Jansen")
    [asked] = await jan.say(START_NL)
    answered = asked.args["text"].splitlines()[-1]
    slack = [r for r in caplog.records if r.name.startswith(("slack", "noodrem"))]
    assert not [r for r in slack if START_NL in r.getMessage() or answered in r.getMessage()]
    assert not [r.getMessage() for r in slack if r.levelno == logging.DEBUG]


async def test_a_user_from_another_workspace_is_told_it_is_not_linked(
    bot: RunningApp, person: MakePerson
) -> None:
    stranger = person("U0STRANGER", "Sam", team="T0ELSEWHERE", locale="en-US")
    said = await stranger.say("I think we paid a fraudster")
    assert "not linked to an organisation" in texts(said)
    assert await open_incident_ids(bot) == []


async def test_mention_in_a_channel_starts_there(bot: RunningApp, person: MakePerson) -> None:
    jan = person("U0JAN", "Jan Jansen")
    asked = await jan.mention("C0FINANCE", START_NL)
    assert asked[0].args["channel"] == "C0FINANCE" and "starten" in texts(asked)
    opened = await jan.press("Ja", channel="C0FINANCE")
    assert {c.args["channel"] for c in opened} == {"C0FINANCE"}
    [incident] = await open_incident_ids(bot)
    piet = person("U0PIET", "Piet")
    joined = await piet.mention("C0FINANCE", f"doe mee {incident}")
    assert "Je doet nu mee" in texts(joined)


async def test_slash_commands(bot: RunningApp, person: MakePerson, fake: FakeSlack) -> None:
    jan = person("U0JAN", "Jan Jansen")
    assert "geen open incident" in texts(await jan.command(""))
    assert "stap voor stap" in texts(await jan.command("help"))
    assert "geen open incidenten" in texts(await jan.command("list"))
    asked = await jan.command(START_NL, channel="C0FINANCE")
    assert asked[0].args["channel"] == "C0FINANCE"
    await jan.press("Ja", channel="C0FINANCE")
    [incident] = await open_incident_ids(bot)
    status = await jan.command("status", channel="C0FINANCE")
    assert f"Overzicht {incident}" in texts(status)
    assert incident in texts(await jan.command("list"))
    assert "zeker" in texts(await jan.command("stop", channel="C0FINANCE"))


async def test_slash_command_where_the_app_is_not_a_member_answers_privately(
    bot: RunningApp, person: MakePerson, fake: FakeSlack
) -> None:
    fake.not_member.add("C0PRIVATE")
    jan = person("U0JAN", "Jan Jansen")
    answered = await jan.command("help", channel="C0PRIVATE")
    refused = [c for c in answered if c.method == "chat.postMessage"]
    private = [c for c in answered if c.method == "response_url"]
    assert len(refused) == 1 and refused[0].result["error"] == "not_in_channel"
    assert len(private) == 2, "help and the menu of plans, both answered privately"
    assert all(p.args["response_type"] == "ephemeral" for p in private)
    assert "stap voor stap" in texts(private) and "Wat is er gebeurd?" in texts(private)


async def test_report_as_fraud_shortcut_starts_in_a_dm_with_the_message_as_evidence(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, slack: SignedSlack
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    person("U0FAKE", "Leverancier BV")
    payload = {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM, "domain": "acme"},
        "user": {"id": jan.user_id, "name": "jan"},
        "channel": {"id": "C0INVOICES", "name": "facturen"},
        "callback_id": "noodrem_report",
        "trigger_id": "99.U0JAN.trigger",
        "message_ts": "1763629200.000300",
        "message": {
            "type": "message",
            "text": "Ons rekeningnummer is gewijzigd: &lt;NL91 ABNA 0417 1643 00&gt;",
            "user": "U0FAKE",
            "ts": "1763629200.000300",
            "team": TEAM,
        },
        "response_url": f"{fake.base_url}/response/shortcut",
    }
    mark = len(fake.calls)
    status, _ = await slack.interaction(payload)
    assert status == 200
    await fake.wait_for(lambda: bool(fake.outputs(mark)))
    await slack.handled()
    asked = fake.outputs(mark)
    assert asked[0].args["channel"] == jan.dm and "Wat is er gebeurd?" in texts(asked)
    assert fake.calls_of("chat.getPermalink")[0].args == {
        "channel": "C0INVOICES",
        "message_ts": "1763629200.000300",
    }
    # The chooser, whatever the playbooks' triggers say: the best fit for the message first.
    labels = [b["text"]["text"] for b in buttons(asked[-1].args["blocks"])]
    assert labels[0] == "Leverancier meldt een nieuw rekeningnummer", labels
    assert "We hebben mogelijk een oplichter betaald" in labels and labels[-1] == "Iets anders"
    assert await open_incident_ids(bot) == [], "nothing opens before the person chooses"
    advice = await jan.press("Iets anders")  # the first advice; the message is still kept
    assert "Betaal niets" in texts(advice)
    await jan.press("Leverancier meldt een nieuw rekeningnummer")
    [incident] = await open_incident_ids(bot)
    evidence = next(e for e in await events_of(bot, incident) if e.kind == "evidence_added")
    assert evidence.data == {
        "evidence_text": "Ons rekeningnummer is gewijzigd: <NL91 ABNA 0417 1643 00>",
        "evidence_author": "Leverancier BV",
        "evidence_time": "2025-11-20T09:00:00.000300+00:00",
        "evidence_permalink": "https://acme.slack.com/archives/C0INVOICES/p1763629200000300",
    }
    redelivered = await jan.send_click(payload, expect_output=False)
    assert redelivered == []


async def test_home_tab_lists_open_incidents(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, slack: SignedSlack
) -> None:
    async def open_home(user: SlackUser) -> dict[str, Any]:
        event = {
            "type": "app_home_opened",
            "user": user.user_id,
            "channel": user.dm,
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        body = event_body(event)
        [published] = await user.send_event(body)
        assert published.method == "views.publish" and published.args["user_id"] == user.user_id
        mark = len(fake.calls)
        assert await slack.event(body, retry=1) == 200
        await slack.handled()
        assert fake.outputs(mark) == [], "a redelivery leaves the published view alone"
        return dict(published.args["view"])

    jan = person("U0JAN", "Jan Jansen")
    empty = await open_home(jan)
    assert empty["type"] == "home" and "geen open incidenten" in json.dumps(empty)
    await jan.say(START_NL)
    await jan.press("Ja")
    [incident] = await open_incident_ids(bot)

    mira, piet = person("U0MIRA", "Mira Manager"), person("U0PIET", "Piet")
    assert incident in json.dumps(await open_home(mira), ensure_ascii=False)  # a manager
    assert incident not in json.dumps(await open_home(piet), ensure_ascii=False)
    home = await open_home(jan)
    assert "Eerstvolgende deadline" in json.dumps(home, ensure_ascii=False)

    shown = await jan.press_on_home(incident)  # a button on the Home tab answers in the DM
    assert fake.calls_of("conversations.open")[-1].args["users"] == jan.user_id
    assert {c.args["channel"] for c in shown} == {jan.dm}
    assert f"Overzicht {incident}" in texts(shown)


async def test_url_verification_and_other_requests_bolt_answers(
    bot: RunningApp, slack: SignedSlack
) -> None:
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    status, text = await slack.post(body, content_type="application/json")
    assert status == 200 and json.loads(text) == {"challenge": "c-123"}
    unknown = interaction_body(
        {
            "type": "block_actions",
            "user": {"id": "U1"},
            "team": {"id": TEAM},
            "actions": [{"action_id": "elsewhere", "action_ts": "1.2"}],
        }
    )
    status, _ = await slack.post(unknown, content_type="application/x-www-form-urlencoded")
    assert status == 404
    form = urlencode({"command": "/other", "team_id": TEAM, "user_id": "U1", "channel_id": "C1"})
    status, _ = await slack.post(form, content_type="application/x-www-form-urlencoded")
    assert status == 404


async def test_a_slow_answer_to_a_modal_closes_it_and_asks_on_by_message(
    bot: RunningApp, person: MakePerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    await jan.say(START_NL)
    await jan.press("Ja")
    await jan.say("status")
    await jan.press("▶ Beoordeel")
    await jan.press("Gedaan")
    await jan.press("Ja")  # personal data could have been seen: typed questions follow
    ack, _ = await jan.submit("namen")
    assert ack["response_action"] == "update", "answered in time: the modal moves on"

    monkeypatch.setattr(slack_listeners, "SUBMIT_BUDGET", 0.0)
    ack, after = await jan.submit("klanten")
    assert ack == {} and jan.modal is None, "Slack's 3 s come first: the modal closes"
    said = texts(after)
    assert "Invullen" in said, "the next question arrives as a message with its Fill in"
