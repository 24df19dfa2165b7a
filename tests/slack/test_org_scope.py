"""Incidents belong to an organisation, not to the platform tenant they were opened in: an
MSSP's customer Acme has a Slack workspace and the web chat, and Acme's manager on Slack
sees, exports and joins the incident an Acme employee opened in the web chat. Beta, another
customer on the same installation, gets for that incident the very answers an id that never
existed gets, on typed commands and on buttons copied from Acme's chat.

The real app (web chat in trial mode: Acme's, the first organisation; Slack through the
fake Web API), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bot import organisation_store
from bot.clock import ManualClock
from bot.organisation_file import load_organisations
from bot.ports import Incident, Participant
from storage import create_store
from tests.harness import RunningApp, incident_named, naming_incident, running_app
from tests.slack.conftest import START, slack_env
from tests.slack.driver import SignedSlack, SlackUser, texts
from tests.slack.fake_slack import FakeSlack
from tests.test_flow import open_incident
from tests.webclient import WebUser
from tests.webclient import texts as web_texts

ACME_TEAM, BETA_TEAM = "T0ACME", "T0BETA"
NEVER = "NR-ZZZZZZ"  # a well-formed incident id that no organisation has
ORGANISATIONS = f"""
organisations:
  - id: acme
    name: Bakkerij Acme B.V.
    slack_team_ids: [{ACME_TEAM}]
    managers:
      - {{name: Mira Manager, slack: U0MIRA, web: Mira Manager}}
  - id: beta
    name: Beta Bouw B.V.
    slack_team_ids: [{BETA_TEAM}]
    managers:
      - {{name: Bea Beta, slack: U0BEA}}
"""


@pytest.fixture
def organisation_file(tmp_path: Path) -> str:
    path = tmp_path / "organisations.yaml"
    path.write_text(ORGANISATIONS, encoding="utf-8")
    return str(path)


@pytest.fixture
async def bot(
    schema_at_head: None, database_url: str, fake: FakeSlack, organisation_file: str
) -> AsyncIterator[RunningApp]:
    env = slack_env(fake, ORGANISATION_FILE=organisation_file)
    async with running_app(database_url, clock=ManualClock(START), env=env) as app:
        yield app


async def test_acmes_manager_on_slack_sees_exports_and_joins_a_web_chat_incident(
    bot: RunningApp, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    incident = await open_incident(jan)
    await jan.say("€ 12.500")
    slack = SignedSlack(http, bot)
    mira = SlackUser(slack, fake, "U0MIRA", "Mira Manager", team=ACME_TEAM)

    listed = texts(await mira.say("lijst"))
    assert incident in listed and "Jan Jansen" in listed, listed
    assert incident in texts(await mira.open_home()), "the Home tab"

    mark = len(fake.calls)
    exported = await mira.say(f"export {incident}")
    assert "Vingerafdruk van de tijdlijn" in texts(exported)
    await slack.handled()
    uploads = [c for c in fake.calls[mark:] if c.method == "files.completeUploadExternal"]
    assert [c.args["channel_id"] for c in uploads] == [mira.dm], "the PDF, in her DM"

    joined = texts(await mira.say(f"doe mee {incident}"))
    assert f"Je doet nu mee aan incident {incident}" in joined, joined
    async with bot.runtime.require_store().snapshot() as tx:
        people = [p.user_key for p in await tx.get_participants(incident)]
        stored = await tx.get_incident(incident)
    assert sorted(people) == [f"slack:{ACME_TEAM}:U0MIRA", f"web:acme:{jan.user_id}"]
    assert stored is not None and stored.org_id == "acme" and stored.tenant_id == "acme"
    # Joined, she is in it as herself on Slack: a colleague's "status" there lists it.
    status = texts(await mira.say("status"))
    assert incident in status, status


async def test_beta_gets_for_acmes_web_incident_what_an_unknown_id_gets(
    bot: RunningApp, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    jan = WebUser(http, bot.url, "Jan Jansen")
    incident = await open_incident(jan)
    await jan.say("€ 12.500")
    await jan.say("status")
    values = {
        button["action"]
        for message in jan.history
        for button in message.get("buttons", [])
        if incident_named(button["action"]) == incident
    }
    assert len(values) >= 3, values
    async with bot.runtime.require_store().snapshot() as tx:
        before = [(e.seq, e.kind) for e in await tx.get_events(incident)]

    slack = SignedSlack(http, bot)
    bea = SlackUser(slack, fake, "U0BEA", "Bea Beta", team=BETA_TEAM)
    await bea.say("hallo")  # a message of her own with a button, to press from
    for typed in ("lijst", "lijst gesloten", "status", "export"):
        said = texts(await bea.say(typed))
        assert incident not in said and "12.500" not in said, (typed, said)
    assert incident not in texts(await bea.open_home()), "her Home tab"
    for command in ("doe mee {}", "export {}", "heropen {}"):
        real = texts(await bea.say(command.format(incident)))
        unknown = texts(await bea.say(command.format(NEVER)))
        assert real.replace(incident, NEVER) == unknown and unknown, command
    for value in sorted(values):
        said = []
        for sent in (value, naming_incident(value, NEVER)):
            payload = bea.click_payload("")  # her newest button, carrying Acme's value
            payload["actions"][0]["value"] = sent
            said.append(texts(await bea.send_click(payload)))
        assert said[0].replace(incident, NEVER) == said[1] and said[1], value
        assert "12.500" not in said[0]
    async with bot.runtime.require_store().snapshot() as tx:
        assert [(e.seq, e.kind) for e in await tx.get_events(incident)] == before
        assert [p.user_key for p in await tx.get_participants(incident)] == [
            f"web:acme:{jan.user_id}"
        ]


async def test_an_incident_from_before_r0012_is_adopted_at_the_start(
    schema_at_head: None,
    database_url: str,
    fake: FakeSlack,
    organisation_file: str,
    http: aiohttp.ClientSession,
    make_incident: Callable[..., Incident],
) -> None:
    """A Slack incident stored without its organisation (as r0012 leaves it) is Acme's once
    the app has started: Acme's manager sees it from the web chat, and a workspace no
    organisation names keeps its incident out of everyone's list."""
    store = await create_store(database_url)
    try:
        # Stored before r0012, as the file's first import at that start (r0011) left them.
        stored = load_organisations(Path(organisation_file))
        assert await organisation_store.seed(store, list(stored), at=START)
        async with store.transaction() as tx:
            for incident_id, team in (("NR-OLD001", ACME_TEAM), ("NR-LOST01", "T0GONE")):
                key = f"slack:{team}:U0JAN"
                origin = {"channel": "slack", "tenant_id": team, "conversation_id": "DU0JAN"}
                await tx.create_incident(
                    make_incident(
                        incident_id,
                        tenant_id=team,
                        org_id=None,
                        reported_at=START,
                        reported_by=key,
                        reporter_name="Jan Jansen",
                        lead=key,
                        conversation={**origin, "user_id": "U0JAN"},
                    )
                )
                await tx.add_participant(Participant(incident_id, key, "Jan Jansen", START))
    finally:
        await store.close()
    env = slack_env(fake, ORGANISATION_FILE=organisation_file)
    async with running_app(database_url, clock=ManualClock(START), env=env) as app:
        mira = WebUser(http, app.url, "Mira Manager")
        listed = web_texts(await mira.say("lijst"))
        assert "NR-OLD001" in listed and "NR-LOST01" not in listed, listed
        async with app.runtime.require_store().snapshot() as tx:
            owners = {i.id: i.org_id for i in await tx.incidents()}
    assert owners == {"NR-OLD001": "acme", "NR-LOST01": None}


async def test_the_first_import_hands_the_built_in_organisations_incidents_over(
    schema_at_head: None, database_url: str, make_incident: Callable[..., Incident]
) -> None:
    """Incidents opened while the built-in organisation served (stored as ``default``)
    belong, after the first import, to the organisation that serves their workspace; the
    web chat's stay with the file's ``default``. Nothing else changes organisation."""
    from bot.organisation import Organisation

    store = await create_store(database_url)
    try:
        async with store.transaction() as tx:
            for incident_id, channel, tenant in (
                ("NR-WEB001", "web", "default"),
                ("NR-SLACK1", "slack", ACME_TEAM),
                ("NR-OLD001", "slack", BETA_TEAM),  # from before r0012: none stored
            ):
                key = f"{channel}:{tenant}:u1"
                origin = {"channel": channel, "tenant_id": tenant, "conversation_id": "c1"}
                await tx.create_incident(
                    make_incident(
                        incident_id,
                        tenant_id=tenant,
                        org_id=None if incident_id == "NR-OLD001" else "default",
                        reported_at=START,
                        reported_by=key,
                        reporter_name="Jan",
                        lead=key,
                        conversation={**origin, "user_id": "u1"},
                    )
                )
        first = [
            Organisation(id="acme", name="Acme", slack_team_ids=(ACME_TEAM,)),
            Organisation(id="beta", name="Beta", slack_team_ids=(BETA_TEAM,)),
            Organisation(id="default", name="Acme (proef)"),
        ]
        await organisation_store.import_organisations(store, first, at=START)
        async with store.snapshot() as tx:
            owners = {i.id: i.org_id for i in await tx.incidents()}
    finally:
        await store.close()
    assert owners == {"NR-WEB001": "default", "NR-SLACK1": "acme", "NR-OLD001": "beta"}
