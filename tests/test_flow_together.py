"""Working together (issue 11), end to end through the web chat's real HTTP interface:
closing asks confirmation and a reason, the people of an incident are told what others
did, a question interrupted by a command comes back, and steps that apply only under
an and/or condition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from tests.harness import FIXTURE_ORGANISATION, FRIDAY_MORNING, RunningApp, running_app
from tests.test_flow import events_of, incident_id_in, open_incident
from tests.webclient import WebUser, texts

FIXTURES = Path(__file__).parent / "fixtures"
CONDITIONS = str(FIXTURES / "playbooks_conditions")


# --- closing -------------------------------------------------------------------------


async def test_close_asks_confirmation_and_a_reason_and_everyone_is_told(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    incident = await open_incident(jan)
    mira = WebUser(http, bot.url, "Mira Manager")
    await mira.say("list")
    await mira.press(incident)
    asked = await mira.press("Incident sluiten")
    assert f"Weet je zeker dat je incident *{incident}* wilt sluiten" in texts(asked)
    assert [b["label"] for b in asked[-1]["buttons"]] == ["Ja, sluiten", "Nee, doorgaan"]
    kept = await mira.press("Nee, doorgaan")
    assert "we gaan door" in texts(kept)
    assert "incident_closed" not in [e.kind for e in await events_of(bot, incident)]
    # Jan, the lead, was told only that the manager joined: not closing tells nobody.
    assert texts(await jan.inbox()) == f"\nMira Manager doet nu mee aan incident {incident}."

    await mira.say("sluit")  # typed, confirmed by typing
    reason = await mira.say("ja")
    assert "Waarom sluit je" in texts(reason)
    await mira.say("dubbele melding")
    told = await jan.inbox()
    said = texts(told)
    assert said.startswith(f"\nMira Manager heeft incident {incident} gesloten: dubbele melding.")
    # ... and, as the lead, that the follow-ups the plan proposes are his
    assert f"Incident {incident} is gesloten. Als leider ben jij eigenaar van 5" in said
    assert await mira.inbox() == []  # the actor is not told what they did themselves

    await mira.press("Heropenen")
    assert f"Mira Manager heeft incident {incident} heropend." in texts(await jan.inbox())
    kinds = [e.kind for e in await events_of(bot, incident)]
    assert kinds.count("incident_closed") == 1
    assert kinds[-2:] == ["incident_reopened", "delivery_attempted"], "then Jan was told"


async def test_english_close_once_every_step_is_closed(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    await ann.say("I think we paid a fraudster")
    incident = incident_id_in(await ann.press("Yes"))
    bob = WebUser(http, bot.url, "Bob", locale="en")
    await bob.say(f"join {incident}")
    refused = await bob.say("close")
    assert "only a manager can close" in texts(refused)
    for _ in range(5):
        await ann.press("Don't know yet")
    await ann.press("No")
    await ann.press("Don't know yet")  # our own account
    for _ in range(20):  # skip every step, with a reason
        if ann.history[-1]["kind"] != "step":
            break
        await ann.press("Skip")
        await ann.submit("not relevant in this test")
    assert "Every step is done or skipped" in texts(ann.history[-3:])
    asked = await bob.say("close")
    assert f"Are you sure you want to close incident *{incident}*" in texts(asked)
    reason = await bob.press("Yes, close it")
    assert "Why are you closing the incident?" in texts(reason)
    closed = await bob.submit("handled, money returned")
    assert f"Incident {incident} is closed" in texts(closed)
    assert f"Bob closed incident {incident}: handled, money returned." in texts(await ann.inbox())
    closing = [e for e in await events_of(bot, incident) if e.kind == "incident_closed"]
    assert [(e.data["forced"], e.data["reason"]) for e in closing] == [
        (False, "handled, money returned")
    ]


# --- the lead is told ----------------------------------------------------------------


async def test_the_lead_is_told_who_joins_finishes_skips_or_cannot_do_a_step(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    await ann.say("I think we paid a fraudster")
    incident = incident_id_in(await ann.press("Yes"))
    bob = WebUser(http, bot.url, "Bob", locale="en")
    await bob.say(f"join {incident}")
    assert texts(await ann.inbox()) == f"\nBob joined incident {incident}."

    await bob.press("▶ Call your bank")
    await bob.press("Done")
    await bob.submit("RABO-1")
    done = texts(await ann.inbox())
    assert done == (
        f"\nBob finished the step 'Call your bank and have the payment stopped' "
        f"(incident {incident})."
    )
    await bob.press("▶ Keep the evidence")
    await bob.press("Not possible right now")
    await bob.submit("the mail server is down")
    blocked = texts(await ann.inbox())
    assert f"Bob cannot do the step 'Keep the evidence' now (incident {incident})" in blocked
    assert "the mail server is down" in blocked
    await bob.press("▶ Keep the evidence")
    await bob.press("Skip")
    await bob.submit("IT keeps it already")
    assert "Bob skipped the step 'Keep the evidence'" in texts(await ann.inbox())

    await ann.say("status")
    await ann.press("▶ Report it to the police")  # the lead's own work is not told to her
    await ann.press("Skip")
    await ann.submit("later")
    assert await ann.inbox() == []
    assert await bob.inbox() == []  # colleagues are not told about every step


# --- a question interrupted by a command ---------------------------------------------


async def test_status_halfway_through_the_questions_asks_the_question_again(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan")
    opened_text = texts(jan.history)
    await open_incident(jan)
    assert "Vraag 1 van 7" in texts(jan.history) and opened_text == ""
    await jan.say("€ 12.500,00")
    interrupted = await jan.say("status")
    assert interrupted[0]["card_key"].startswith("checklist:")
    assert "Terug naar de vraag:" in texts(interrupted)
    assert interrupted[-1]["kind"] == "question" and "Vraag 2 van 7" in texts(interrupted[-1:])
    going_on = await jan.say("vandaag 09:15")
    assert "Vraag 3 van 7" in texts(going_on)


async def test_help_and_a_declined_stop_keep_the_english_questions_going(
    bot: RunningApp, http: aiohttp.ClientSession
) -> None:
    ann = WebUser(http, bot.url, "Ann", locale="en")
    await ann.say("I think we paid a fraudster")
    await ann.press("Yes")
    helped = await ann.say("help")
    assert "Back to the question:" in texts(helped) and "Question 1 of 7" in texts(helped)
    await ann.say("stop")
    kept = await ann.press("No, keep going")
    assert "Question 1 of 7" in texts(kept)
    assert "Question 2 of 7" in texts(await ann.say("EUR 500"))


# --- conditions with and/or/not ------------------------------------------------------


@pytest.fixture
async def lost_phone_bot(schema_at_head: None, database_url: str) -> AsyncIterator[RunningApp]:
    env = {"ORGANISATION_FILE": FIXTURE_ORGANISATION, "PLAYBOOKS_DIR": CONDITIONS}
    async with running_app(database_url, clock=ManualClock(FRIDAY_MORNING), env=env) as app:
        yield app


@pytest.mark.parametrize(
    ("locale", "answers", "wipe", "warn"),
    [
        ("nl", ("Telefoon", "Nee", "Nee"), True, True),  # phone and not encrypted; or: unencrypted
        ("nl", ("Telefoon", "Ja", "Nee"), False, False),  # encrypted, no customer data
        ("en", ("Laptop", "Yes", "Yes"), False, True),  # a laptop; customer data on it
        ("en", ("Phone", "Yes", "No"), False, False),
    ],
)
async def test_a_step_appears_only_under_its_and_or_condition(
    lost_phone_bot: RunningApp,
    http: aiohttp.ClientSession,
    locale: str,
    answers: tuple[str, str, str],
    wipe: bool,
    warn: bool,
) -> None:
    user = WebUser(http, lost_phone_bot.url, "Kim", locale=locale)
    await user.say("telefoon kwijt" if locale == "nl" else "lost phone")
    incident = incident_id_in(await user.press("Ja" if locale == "nl" else "Yes"))
    before = texts(await user.say("status"))
    titles = {
        "nl": ("Wis de telefoon op afstand", "Beoordeel of klanten bericht krijgen"),
        "en": ("Wipe the phone remotely", "Decide whether to tell customers"),
    }[locale]
    not_applicable = "niet van toepassing" if locale == "nl" else "not applicable"
    for title in titles:  # nothing is known yet: every step is shown
        assert f"{title}: {not_applicable}" not in before
    for answer in answers:
        await user.press(answer)
    checklist = texts(await user.say("status"))
    for title, applies in zip(titles, (wipe, warn), strict=True):
        assert (f"➖ {title}: {not_applicable}" not in checklist) is applies, title
    hidden = {
        e.data["step"]
        for e in await events_of(lost_phone_bot, incident)
        if e.kind == "step_not_applicable"
    }
    expected = {
        s for s, applies in (("remote-wipe", wipe), ("warn-customers", warn)) if not applies
    }
    assert hidden == expected
