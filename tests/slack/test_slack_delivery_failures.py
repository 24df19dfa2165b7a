"""Every reminder is recorded as what happened: Slack refusing, failing or unreachable.

The fake Slack Web API fails on purpose; the tests read the incident's timeline (the
events, and the evidence file's sentences) and the deadline rows: each attempt with
Slack's error, the retry after the policy's wait, the next person after the last one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp

from bot.clock import ManualClock
from bot.evidence.csvexport import render_csv
from bot.evidence.pdf import render_pdf
from bot.evidence.source import read_evidence
from bot.ports import DeadlineStatus
from tests.harness import RunningApp, running_app
from tests.slack.conftest import MakePerson, events_of, open_incident_ids, slack_env
from tests.slack.driver import SignedSlack, SlackUser, texts
from tests.slack.fake_slack import FakeSlack, Outage

STEP = "call-bank"  # due 15 minutes after the report: the owner is reminded after 10
TITLE_EN = "Call your bank and have the payment stopped"
TITLE_NL = "Bel je bank en laat de betaling stoppen"


def attempts(events: list[Any], *, deadline: str = "remind_before") -> list[tuple[Any, ...]]:
    return [
        (e.data["recipient_name"], e.data["attempt"], e.data["outcome"], e.data["error"])
        for e in events
        if e.kind == "delivery_attempted"
        and e.data.get("step") == STEP
        and e.data.get("deadline") == deadline
    ]


async def sentences(app: RunningApp, incident: str, lang: str = "en") -> list[str]:
    """The evidence file's timeline sentences; the CSV export must carry each one."""
    async with app.runtime.require_store().transaction() as tx:
        evidence = await read_evidence(
            tx,
            incident,
            organisations=app.runtime.organisations,
            playbooks=app.runtime.playbooks,
            generated_at=app.runtime.clock.now(),
            lang="en" if lang == "en" else "nl",
        )
    said = [line.text for line in evidence.timeline.events]
    csv = render_csv(evidence.timeline).decode("utf-8-sig")
    assert all(s.replace('"', '""') in csv for s in said)
    assert render_pdf(evidence.timeline).startswith(b"%PDF")  # the same lines, rendered
    return said


async def deadline_rows(app: RunningApp, incident: str) -> list[tuple[Any, ...]]:
    async with app.runtime.require_store().transaction() as tx:
        rows = await tx.get_deadlines(incident)
    return [
        (r.kind.value, r.recipient, r.attempt, r.status, r.instead_of)
        for r in rows
        if r.step_id == STEP and r.kind.value == "remind_before"
    ]


async def test_a_refused_reminder_is_retried_then_goes_to_the_managers(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, clock: ManualClock
) -> None:
    mira = person("U0MIRA", "Mira Manager")
    await mira.say("help")  # Noodrem can reach her
    jan = person("U0JAN", "Jan Jansen")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    await jan.press("Ja")
    [incident] = await open_incident_ids(bot)
    fake.outages.append(Outage("chat.postMessage", channel=jan.dm, error="channel_not_found"))

    clock.advance(timedelta(minutes=10))
    assert await bot.run_reminders() == 1
    events = await events_of(bot, incident)
    assert attempts(events) == [("Jan Jansen", 1, "failed", "Slack: channel_not_found")]
    assert "reminder_sent" not in {e.kind for e in events}, "nothing claims it was sent"
    jan_key = events[-1].data["recipient"]
    assert await deadline_rows(bot, incident) == [
        ("remind_before", jan_key, 1, DeadlineStatus.FAILED, None),
        ("remind_before", jan_key, 2, DeadlineStatus.PENDING, None),
    ]

    clock.advance(timedelta(seconds=59))
    assert await bot.run_reminders() == 0, "the first retry waits a minute"
    clock.advance(timedelta(seconds=1))
    assert await bot.run_reminders() == 1
    clock.advance(timedelta(minutes=5))  # 10:16: the third and last try
    await bot.run_reminders()
    mark = len(fake.calls)
    await bot.run_reminders()  # the managers' copy, due at once
    events = await events_of(bot, incident)
    assert attempts(events)[:3] == [
        ("Jan Jansen", n, "failed", "Slack: channel_not_found") for n in (1, 2, 3)
    ]
    [redirected] = [e.data for e in events if e.kind == "delivery_redirected"
                    and e.data["deadline"] == "remind_before"]  # fmt: skip
    assert (redirected["recipient_name"], redirected["to"], redirected["attempts"]) == (
        "Jan Jansen",
        "role:managers",
        3,
    )
    to_managers = attempts(events)[3:]
    assert ("Mira Manager", 1, "delivered", None) in to_managers
    [for_mira] = [c for c in fake.outputs(mark) if c.args["channel"] == mira.dm]
    assert "Bedoeld voor Jan Jansen" in texts([for_mira]) and "verstreken" in texts([for_mira])

    said = await sentences(bot, incident)
    assert (
        f"Reminder before the deadline to Jan Jansen ({TITLE_EN}): delivery failed "
        "(Slack: channel_not_found), attempt 2 of 3." in said
    )
    assert any(
        s.startswith(f"Reminder before the deadline for Jan Jansen ({TITLE_EN}) not delivered "
                     "after 3 attempts (Slack: channel_not_found): sent to managers instead")
        for s in said
    ), said  # fmt: skip
    assert any(
        s.startswith("Reminder before the deadline to Mira Manager (meant for Jan Jansen)")
        and s.endswith(": delivered, attempt 1 of 3.")
        for s in said
    ), said


async def test_a_slack_outage_recovers_on_the_retry(
    bot: RunningApp, person: MakePerson, fake: FakeSlack, clock: ManualClock
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    await jan.press("Ja")
    [incident] = await open_incident_ids(bot)
    fake.outages.append(Outage("chat.postMessage", status=503, times=1))

    clock.advance(timedelta(minutes=10))
    await bot.run_reminders()
    mark = len(fake.calls)
    clock.advance(timedelta(minutes=1))
    await bot.run_reminders()
    [reminder] = fake.outputs(mark)
    assert reminder.args["channel"] == jan.dm and "Nog 4 min" in texts([reminder])
    events = await events_of(bot, incident)
    [(_, _, _, error), delivered] = attempts(events)
    assert error is not None and error.startswith("Slack: ") and "503" in error
    assert delivered == ("Jan Jansen", 2, "delivered", None)
    assert [row[2:4] for row in await deadline_rows(bot, incident)] == [
        (1, DeadlineStatus.FAILED),
        (2, DeadlineStatus.SENT),
    ]
    said = await sentences(bot, incident, lang="nl")
    assert (
        f"Herinnering vóór de deadline aan Jan Jansen ({TITLE_NL}): afgeleverd, poging 2 van 3."
        in said
    )


async def test_a_failed_attempt_pending_at_a_restart_is_still_retried(
    database_url: str, fake: FakeSlack, clock: ManualClock, http: aiohttp.ClientSession
) -> None:
    """Slack unreachable (the connection dies), Noodrem stops, starts again: the retry is
    a row in the store, so the new process sends it."""
    async with running_app(database_url, clock=clock, env=slack_env(fake)) as first:
        jan = SlackUser(SignedSlack(http, first), fake, "U0JAN", "Jan Jansen")
        await jan.say("ik denk dat we een oplichter hebben betaald")
        await jan.press("Ja")
        [incident] = await open_incident_ids(first)
        fake.outages.append(Outage("chat.postMessage", drop=True))
        clock.advance(timedelta(minutes=10))
        await first.run_reminders()
        [(_, _, outcome, error)] = attempts(await events_of(first, incident))
        assert outcome == "failed" and error is not None and error.startswith("Slack: ")
    fake.outages.clear()  # Slack is back

    clock.advance(timedelta(minutes=1))
    async with running_app(database_url, clock=clock, env=slack_env(fake)) as second:
        mark = len(fake.calls)
        assert await second.run_reminders() == 1
        [reminder] = fake.outputs(mark)
        assert reminder.args["channel"] == jan.dm
        assert attempts(await events_of(second, incident))[1] == (
            "Jan Jansen",
            2,
            "delivered",
            None,
        )


async def test_a_step_card_slack_refuses_is_recorded_as_not_delivered(
    bot: RunningApp, person: MakePerson, fake: FakeSlack
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    await jan.press("Ja")
    [incident] = await open_incident_ids(bot)
    await jan.say("status")
    await jan.press("▶ Doe aangifte")
    await jan.press("Toewijzen")
    piet = person("U0PIET", "Piet de Vries")
    fake.outages.append(Outage("chat.postMessage", channel=piet.dm, error="cannot_dm_bot"))
    await jan.submit(piet.user_id)

    cards = [
        (e.data["recipient_name"], e.data["outcome"], e.data["error"])
        for e in await events_of(bot, incident)
        if e.kind == "delivery_attempted" and e.data["purpose"] == "card"
    ]
    assert cards == [("Piet de Vries", "failed", "Slack: cannot_dm_bot")]
    said = await sentences(bot, incident)
    assert "Step card to Piet de Vries: delivery failed (Slack: cannot_dm_bot)." in said
