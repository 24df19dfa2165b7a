"""Slack Enterprise Grid end to end over real HTTP, on SQLite and PostgreSQL.

An admin of the Grid organisation ``E0NOORD`` installs the app org-wide through the OAuth
redirect (the fake's ``oauth.v2.access`` answers as Slack documents: no team, the
enterprise, ``is_enterprise_install: true``); people in two of its workspaces then write
in signed ``event_callback``\\ s carrying ``enterprise_id``, ``context_team_id`` and an
org-wide ``authorizations[0]``, and are served as the organisation that lists
``E0NOORD`` in ``slack_enterprise_ids``, with the org-wide token, reminders included. A
Grid organisation bound to no organisation gets the "not linked" answer, and so does a
person of another company in a channel the Grid organisation shares (Slack Connect); a
workspace of a Grid organisation that installed the app on its own is a tenant by its team
id; an org-wide uninstall stops delivery.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
import yaml
from sqlalchemy import select

from bot.clock import ManualClock
from bot.messages import Channel
from bot.organisation import Organisation, OrganisationError
from bot.organisation_file import load_organisations
from storage.models import slack_bots
from tests.harness import RunningApp, running_app
from tests.slack.conftest import START
from tests.slack.driver import SignedSlack, SlackUser, event_body, texts
from tests.slack.fake_slack import TEAM_ID, FakeSlack
from tests.slack.test_slack_oauth import Browser, oauth_env

NOORD = "E0NOORD"  # a Grid organisation: Noord Zorg, with two workspaces
NOORD_ZWOLLE, NOORD_ASSEN = "T0ZWOLLE", "T0ASSEN"
OTHER = "E0OTHER"  # another company's Grid organisation, in no organisation
OTHER_WORKSPACE = "T0OTHERWS"
SOLO, SOLO_WORKSPACE = "E0SOLO", "T0SOLOWS"  # a Grid org whose workspace installed alone


def organisations(path: Path) -> str:
    path.write_text(
        yaml.safe_dump(
            {
                "organisations": [
                    {"id": "acme", "name": "Bakkerij Acme B.V.", "slack_team_ids": [TEAM_ID]},
                    {
                        "id": "noord",
                        "name": "Noord Zorg",
                        "slack_enterprise_ids": [NOORD],
                        "managers": [{"name": "Anna Bakker", "slack": "W0ANNA"}],
                    },
                    {"id": "solo", "name": "Solo B.V.", "slack_team_ids": [SOLO_WORKSPACE]},
                ]
            }
        ),
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture
async def grid_bot(database_url: str, fake: FakeSlack, tmp_path: Path) -> AsyncIterator[RunningApp]:
    env = oauth_env(fake, organisations(tmp_path / "orgs.yaml"))
    async with running_app(database_url, clock=ManualClock(START), env=env) as app:
        yield app


@pytest.fixture
async def browser(grid_bot: RunningApp) -> AsyncIterator[Browser]:
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=grid_bot.url)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        yield Browser(http, grid_bot.url)


def in_grid(
    slack: SignedSlack,
    fake: FakeSlack,
    user_id: str,
    name: str,
    *,
    team: str,
    enterprise: str = NOORD,
    org_wide: bool = True,
) -> SlackUser:
    """A person in workspace ``team`` of the Grid organisation ``enterprise``."""
    return SlackUser(
        slack, fake, user_id, name, team=team, enterprise=enterprise, org_wide=org_wide
    )


async def bots(app: RunningApp) -> list[tuple[str | None, str | None, bool]]:
    async with app.runtime.require_store().engine.connect() as conn:
        c = slack_bots.c
        rows = await conn.execute(select(c.enterprise_id, c.team_id, c.is_enterprise_install))
        return sorted((e, t, bool(i)) for e, t, i in rows)


async def open_incidents(app: RunningApp, tenant: str) -> list[str]:
    async with app.runtime.require_store().transaction() as tx:
        return [i.id for i in [i for i in await tx.open_incidents() if i.tenant_id == tenant]]


async def test_an_org_wide_install_serves_every_workspace_of_the_grid_with_its_token(
    grid_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    token = fake.add_enterprise(NOORD, "Noord Zorg")
    status, page = await browser.install(fake, NOORD)
    assert status == 200, page
    assert "hele Enterprise Grid-organisatie Noord Zorg" in page and NOORD in page
    assert "slack_enterprise_ids" in page
    assert await bots(grid_bot) == [(NOORD, None, True)], "found by enterprise id, no team"

    piet = in_grid(SignedSlack(http, grid_bot), fake, "W0PIET", "Piet de Vries", team=NOORD_ZWOLLE)
    mark = len(fake.calls)
    said = await piet.say("ik denk dat we een oplichter hebben betaald")
    assert "starten" in texts(said)
    await piet.press("Ja")
    assert {c.token for c in fake.calls[mark:]} == {token}, "the org-wide token, every call"
    [incident] = await open_incidents(grid_bot, NOORD)
    assert await open_incidents(grid_bot, NOORD_ZWOLLE) == []

    # The manager, in another workspace of the same Grid organisation: the same
    # organisation (she is its manager there), the same token, Piet's incident in her list.
    anna = in_grid(SignedSlack(http, grid_bot), fake, "W0ANNA", "Anna Bakker", team=NOORD_ASSEN)
    mark = len(fake.calls)
    assert incident in texts(await anna.say("lijst"))
    assert {c.token for c in fake.calls[mark:]} == {token}

    # The reminder for Piet's step: no request to take a token from, only the address.
    mark = len(fake.calls)
    clock = grid_bot.runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(minutes=10))
    assert await grid_bot.run_reminders() >= 1
    reminders = fake.outputs(mark)
    assert reminders and {c.args["channel"] for c in reminders} == {piet.dm}
    assert {c.token for c in fake.calls[mark:]} == {token}


async def test_after_an_org_wide_uninstall_nothing_more_goes_to_the_grid(
    grid_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    """``app_uninstalled`` for the org-wide install deletes it (found by enterprise id, as
    Bolt reads it from the authorization): the due reminder is not sent."""
    fake.add_enterprise(NOORD, "Noord Zorg")
    assert (await browser.install(fake, NOORD))[0] == 200
    piet = in_grid(SignedSlack(http, grid_bot), fake, "W0PIET", "Piet de Vries", team=NOORD_ZWOLLE)
    await piet.say("ik denk dat we een oplichter hebben betaald")
    await piet.press("Ja")
    gone = {"type": "app_uninstalled", "event_ts": "1780000000.1"}
    body = event_body(gone, team=NOORD_ZWOLLE, enterprise=NOORD, org_wide=True)
    assert await piet.slack.event(body) == 200
    async with asyncio.timeout(10):  # Bolt's own listener, outside what handled() counts
        while await bots(grid_bot):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    mark = len(fake.calls)
    clock = grid_bot.runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(minutes=10))
    await grid_bot.run_reminders()
    assert fake.outputs(mark) == []


async def test_a_grid_organisation_bound_to_no_organisation_is_not_linked(
    grid_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    """Isolation: another company's Grid organisation installed the same app org-wide. Its
    people are served as no organisation (not as Noord Zorg, though it is also a Grid
    organisation, nor as the first one), and told what to link."""
    fake.add_enterprise(NOORD, "Noord Zorg")
    other_token = fake.add_enterprise(OTHER, "Other Corp")
    assert (await browser.install(fake, NOORD))[0] == 200
    assert (await browser.install(fake, OTHER))[0] == 200
    olga = in_grid(
        SignedSlack(http, grid_bot),
        fake,
        "W0OLGA",
        "Olga Other",
        team=OTHER_WORKSPACE,
        enterprise=OTHER,
    )
    mark = len(fake.calls)
    said = texts(await olga.say("ik denk dat we een oplichter hebben betaald"))
    assert "niet gekoppeld aan een organisatie" in said
    assert OTHER in said and "slack_enterprise_ids" in said
    assert {c.token for c in fake.calls[mark:]} == {other_token}
    for tenant in (OTHER, OTHER_WORKSPACE, NOORD):
        assert await open_incidents(grid_bot, tenant) == []


async def test_another_companys_person_in_a_shared_channel_is_not_served_as_the_grid(
    grid_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    """Slack Connect: someone of another company (``user_team`` not of the Grid
    organisation) mentions the app in a channel Noord Zorg shares. The event comes through
    Noord's org-wide installation, but the person is not Noord's: "not linked", with their
    own workspace's id, and no incident anywhere."""
    fake.add_enterprise(NOORD, "Noord Zorg")
    assert (await browser.install(fake, NOORD))[0] == 200
    guest = in_grid(SignedSlack(http, grid_bot), fake, "U0GUEST", "Gast", team=NOORD_ZWOLLE)
    event = {
        "type": "app_mention",
        "user": guest.user_id,
        "text": "<@UBOTNOODREM> we hebben een oplichter betaald",
        "ts": "1780000000.000100",
        "channel": "C0SHARED",
        "event_ts": "1780000000.000100",
        "team": NOORD_ZWOLLE,
        "user_team": "T0GUESTCO",
    }
    body = json.loads(event_body(event, team=NOORD_ZWOLLE, enterprise=NOORD, org_wide=True))
    said = texts(await guest.send_event(json.dumps(body | {"is_ext_shared_channel": True})))
    assert "niet gekoppeld aan een organisatie" in said and "T0GUESTCO" in said
    for tenant in (NOORD, NOORD_ZWOLLE, "T0GUESTCO"):
        assert await open_incidents(grid_bot, tenant) == []


async def test_a_grid_workspace_that_installed_alone_is_a_tenant_by_its_team_id(
    grid_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    """A workspace install inside a Grid organisation: stored with both ids, bound by its
    team id, and its reminders find the token by team id alone."""
    token = fake.add_team(SOLO_WORKSPACE, "Solo", enterprise=SOLO)
    status, page = await browser.install(fake, SOLO_WORKSPACE)
    assert status == 200 and "Slack-werkruimte Solo" in page, page
    assert await bots(grid_bot) == [(SOLO, SOLO_WORKSPACE, False)]
    sam = in_grid(
        SignedSlack(http, grid_bot),
        fake,
        "W0SAM",
        "Sam Solo",
        team=SOLO_WORKSPACE,
        enterprise=SOLO,
        org_wide=False,
    )
    await sam.say("ik denk dat we een oplichter hebben betaald")
    await sam.press("Ja")
    assert len(await open_incidents(grid_bot, SOLO_WORKSPACE)) == 1
    mark = len(fake.calls)
    clock = grid_bot.runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(minutes=10))
    assert await grid_bot.run_reminders() >= 1
    assert {c.args["channel"] for c in fake.outputs(mark)} == {sam.dm}
    assert {c.token for c in fake.calls[mark:]} == {token}


def test_an_enterprise_id_must_look_like_one(tmp_path: Path) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text(
        "organisations:\n  - {id: noord, name: Noord, slack_enterprise_ids: [T0ZWOLLE]}\n",
        encoding="utf-8",
    )
    with pytest.raises(OrganisationError, match=r"slack_enterprise_ids.*slack_team_ids"):
        load_organisations(path)
    assert Organisation.platform_setting(Channel.SLACK, OTHER) == "slack_enterprise_ids"
    assert Organisation.platform_setting(Channel.SLACK, OTHER_WORKSPACE) == "slack_team_ids"
    noord = Organisation(id="noord", name="Noord", slack_enterprise_ids=(NOORD,))
    assert noord.platform_ids(Channel.SLACK) == (NOORD,)
