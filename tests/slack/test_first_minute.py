"""A new install: no organisation file, or several organisations and a stranger's workspace."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.clock import ManualClock
from tests.harness import RunningApp, running_app
from tests.slack.conftest import MakePerson, open_incident_ids, slack_env
from tests.slack.driver import SignedSlack, SlackUser, texts
from tests.slack.fake_slack import FakeSlack


@pytest.fixture
async def bot(
    schema_at_head: None, database_url: str, clock: ManualClock, fake: FakeSlack
) -> AsyncIterator[RunningApp]:
    env = slack_env(fake)
    del env["ORGANISATION_FILE"]  # what docs/slack.md has a new user set: tokens only
    async with running_app(database_url, clock=clock, env=env) as app:
        yield app


async def test_without_an_organisation_file_any_workspace_can_start(
    bot: RunningApp, person: MakePerson
) -> None:
    jan = person("U0JAN", "Jan Jansen", locale="en-GB")
    offered = await jan.say("I think we paid a fraudster")
    assert "Start the plan" in texts(offered)
    opened = await jan.press("Yes, start")
    assert "is open" in texts(opened) or "opened" in texts(opened)
    assert len(await open_incident_ids(bot)) == 1


async def test_several_organisations_refuse_a_stranger_and_say_what_to_add(
    database_url: str,
    clock: ManualClock,
    fake: FakeSlack,
    http: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = tmp_path / "organisation.yaml"
    config.write_text(
        "organisations:\n"
        "  - {id: acme, name: Acme, slack_team_ids: [T0ACME]}\n"
        "  - {id: other, name: Other, slack_team_ids: [T0OTHER]}\n",
        encoding="utf-8",
    )
    async with running_app(
        database_url, clock=clock, env=slack_env(fake, ORGANISATION_FILE=str(config))
    ) as app:
        slack = SignedSlack(http, app)
        stranger = SlackUser(slack, fake, "U0EVE", "Eve", locale="en-GB", team="T0ELSEWHERE")
        with caplog.at_level(logging.WARNING, logger="bot.engine"):
            said = await stranger.say("I think we paid a fraudster")
        assert "not linked to an organisation" in texts(said)
        assert "T0ELSEWHERE" in texts(said) and "slack_team_ids" in texts(said)
        assert any(
            "T0ELSEWHERE" in r.getMessage() and "slack_team_ids" in r.getMessage()
            for r in caplog.records
        )
        async with app.runtime.require_store().transaction() as tx:
            assert await tx.open_incidents() == []
