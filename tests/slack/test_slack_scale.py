"""A thousand open incidents: ``/noodrem list`` and the Home tab page through them within
Block Kit's limits (50 blocks a message, 100 a Home view, 3,000 characters a text)."""

from __future__ import annotations

from datetime import timedelta

from bot.ports import Incident, IncidentStatus, Participant, Step, StepStatus
from tests.harness import RunningApp
from tests.slack.conftest import START, MakePerson
from tests.slack.driver import TEAM, block_texts, slack_limit_problems, texts
from tests.slack.fake_slack import Call

COUNT = 1000


async def create_open_incidents(bot: RunningApp, count: int, *, reporters: list[str]) -> None:
    """Straight into the store, in one transaction: the engine's start flow a thousand
    times over would test the start flow, not the list. Reported one minute apart, so
    some steps are overdue by now and some are not."""
    playbook = bot.runtime.playbooks["paid-fraudster"]
    async with bot.runtime.require_store().transaction() as tx:
        for n in range(count):
            reporter = reporters[n % len(reporters)]
            key = f"slack:{TEAM}:{reporter}"
            reported_at = START - timedelta(minutes=n)
            incident = Incident(
                id=f"NR-{n:06d}",
                tenant_id=TEAM,
                org_id="acme",
                playbook_id=playbook.id,
                lang="nl",
                status=IncidentStatus.OPEN,
                reported_at=reported_at,
                reported_by=key,
                reporter_name=reporter,
                lead=key,
                conversation={"channel": "slack", "tenant_id": TEAM, "conversation_id": "C0X"},
            )
            await tx.create_incident(incident)
            await tx.add_participant(Participant(incident.id, key, reporter, reported_at))
            await tx.add_steps(
                [
                    Step(
                        incident.id,
                        spec.id,
                        i,
                        StepStatus.OPEN,
                        reported_at + spec.due,
                        key,
                        playbook.id,
                    )
                    for i, spec in enumerate(playbook.steps)
                ]
            )


def assert_fits(calls: list[Call]) -> None:
    for call in calls:
        assert slack_limit_problems(call) == [], call.method


async def test_a_thousand_open_incidents_page_within_slack_limits(
    bot: RunningApp, person: MakePerson
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    await create_open_incidents(bot, COUNT, reporters=["U0OTHER"] * 9 + [jan.user_id])
    mira = person("U0MIRA", "Mira Manager")

    listed = await mira.command("list")
    assert [c.method for c in listed] == ["chat.postMessage"]
    assert_fits(listed)
    assert "Open incidenten: 1000 (pagina 1 van 100)" in texts(listed)
    assert "\n".join(block_texts(listed[0].args["blocks"])).count("stappen klaar") == 10
    turned = await mira.press("Volgende pagina")
    assert_fits(turned)
    assert "pagina 2 van 100" in texts(turned) and "NR-000010" in texts(turned)

    home = await mira.open_home()
    assert [c.method for c in home] == ["views.publish"]
    assert_fits(home)
    assert "Open incidenten: 1000 (pagina 1 van 100)" in texts(home)
    for page in (2, 3):  # the Home's own "Next page" republishes the Home with that page
        paged = await mira.press_on_home("Volgende pagina")
        assert [c.method for c in paged] == ["views.publish"]
        assert paged[0].args["user_id"] == mira.user_id
        assert_fits(paged)
        assert f"pagina {page} van 100" in texts(paged)

    theirs = await jan.open_home()  # not a manager: only the ones he takes part in
    assert_fits(theirs)
    assert "Open incidenten: 100 (pagina 1 van 10)" in texts(theirs)
