"""One Slack app, many workspaces: the OAuth install end to end over real HTTP.

A browser (an aiohttp session with a cookie jar) opens ``/slack/install``, is sent to
Slack's authorize page with a ``state``; the fake Slack plays the admin pressing Allow
(``approve``) and the test follows Slack's redirect back to ``/slack/oauth_redirect``. The
app trades the code at the fake's ``oauth.v2.access`` and stores the installation in our
database; from then on each workspace's requests, and the reminders for its people, go
out with that workspace's token, which the fake records per call. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import yaml
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, Index, MetaData, select, update
from yarl import URL

from bot.channels import slack_oauth
from bot.channels.slack_blocks import FORM_ACTION_PREFIX
from bot.clock import ManualClock
from storage.models import slack_bots, slack_installations, slack_oauth_states
from tests.harness import RunningApp, incident_named, naming_incident, running_app
from tests.slack.conftest import START
from tests.slack.driver import (
    SIGNING_SECRET,
    SignedSlack,
    SlackUser,
    buttons,
    event_body,
    texts,
)
from tests.slack.fake_slack import (
    BOT_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    TEAM_ID,
    Call,
    FakeSlack,
    Outage,
)
from tests.slack.test_slack_manifest import manifest

BETA = "T0BETA"
STATE_COOKIE = "slack-app-oauth-state"  # Bolt's
AUTHORIZE = "https://slack.com/oauth/v2/authorize"


def two_organisations(path: Path) -> str:
    """Two customers of one IT provider, each with its own workspace."""
    path.write_text(
        yaml.safe_dump(
            {
                "organisations": [
                    {"id": "acme", "name": "Bakkerij Acme B.V.", "slack_team_ids": [TEAM_ID]},
                    {"id": "beta", "name": "Beta Bouw B.V.", "slack_team_ids": [BETA]},
                ]
            }
        ),
        encoding="utf-8",
    )
    return str(path)


def oauth_env(fake: FakeSlack, org_file: str) -> dict[str, str]:
    return {
        "ORGANISATION_FILE": org_file,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
    }


@dataclass
class Browser:
    """An admin's browser: keeps the install's state cookie, follows no redirect itself."""

    http: aiohttp.ClientSession
    app_url: str

    async def start_install(self) -> dict[str, list[str]]:
        """``/slack/install``: the query of the Slack authorize URL it redirects to."""
        async with self.http.get(
            f"{self.app_url}{slack_oauth.INSTALL_PATH}", allow_redirects=False
        ) as response:
            assert response.status == 302, await response.text()
            location = response.headers["Location"]
        assert location.startswith(AUTHORIZE + "?")
        return parse_qs(urlsplit(location).query)

    async def come_back(self, **query: str) -> tuple[int, str]:
        """Slack redirecting the browser back to the app."""
        async with self.http.get(
            f"{self.app_url}{slack_oauth.REDIRECT_PATH}", params=query, allow_redirects=False
        ) as response:
            return response.status, await response.text()

    def keep_cookie(self, state: str) -> None:
        """The state cookie as if ``/slack/install`` had set it for ``state``."""
        self.http.cookie_jar.update_cookies({STATE_COOKIE: state}, response_url=URL(self.app_url))

    async def install(self, fake: FakeSlack, team: str) -> tuple[int, str]:
        """The whole way: install, Allow in Slack for ``team``, back to the app."""
        authorize = await self.start_install()
        return await self.come_back(code=fake.approve(team), state=authorize["state"][0])


@pytest.fixture
async def oauth_bot(
    database_url: str, fake: FakeSlack, tmp_path: Path
) -> AsyncIterator[RunningApp]:
    fake.add_team(BETA, "Beta Bouw")
    env = oauth_env(fake, two_organisations(tmp_path / "orgs.yaml"))
    async with running_app(database_url, clock=ManualClock(START), env=env) as app:
        yield app


@pytest.fixture
async def browser(oauth_bot: RunningApp) -> AsyncIterator[Browser]:
    # Bolt's state cookie is Secure: a browser sends it to https, or to a local http origin.
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=oauth_bot.url)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        yield Browser(http, oauth_bot.url)


def teams_of(fake: FakeSlack, calls: list[Call]) -> set[str | None]:
    """The workspaces whose tokens these calls carried."""
    return {fake.team_of_token(c.token) for c in calls}


async def installed_teams(app: RunningApp) -> list[tuple[str, str]]:
    async with app.runtime.require_store().engine.connect() as conn:
        rows = await conn.execute(select(slack_bots.c.team_id, slack_bots.c.bot_token))
        return sorted((str(team), str(token)) for team, token in rows)


async def test_install_stores_the_workspace_and_its_dm_is_answered_with_its_token(
    oauth_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    jan = SlackUser(SignedSlack(http, oauth_bot), fake, "U0JAN", "Jan Jansen")
    mark = len(fake.calls)
    assert await jan.slack.event(_dm(jan, "help")) == 200
    await oauth_bot.handled()
    assert fake.outputs(mark) == [], "not installed yet: no token, no answer"

    authorize = await browser.start_install()
    assert authorize["client_id"] == [CLIENT_ID]
    assert set(authorize["scope"][0].split(",")) == set(slack_oauth.BOT_SCOPES)
    state = authorize["state"][0]
    assert len(state) >= 32
    status, page = await browser.come_back(code=fake.approve(TEAM_ID), state=state)
    assert status == 200, page
    assert "Noodrem is geïnstalleerd" in page and "Noodrem is installed" in page
    assert "Bakkerij Acme" in page and TEAM_ID in page
    [exchange] = fake.calls_of("oauth.v2.access")
    assert exchange.result["ok"] is True
    assert await installed_teams(oauth_bot) == [(TEAM_ID, BOT_TOKEN)]

    said = await jan.say("ik denk dat we een oplichter hebben betaald")
    assert "starten" in texts(said)
    assert teams_of(fake, fake.calls[mark:]) >= {TEAM_ID}
    used = {c.token for c in fake.calls[mark:] if c.method != "oauth.v2.access"}
    assert used == {BOT_TOKEN}, "every call for Acme carries Acme's token"


async def test_a_workspaces_token_is_checked_with_slack_once_not_per_event(
    oauth_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    """Bolt asks ``auth.test`` about the token it found in the installations; one answer
    per token serves every later event (each still reads the installation: see the
    uninstall test), so an event costs no round trip to Slack before its answer."""
    assert (await browser.install(fake, TEAM_ID))[0] == 200
    jan = SlackUser(SignedSlack(http, oauth_bot), fake, "U0JAN", "Jan Jansen")
    assert "stap voor stap" in texts(await jan.say("help"))
    mark = len(fake.calls)
    for _ in range(3):
        assert "stap voor stap" in texts(await jan.say("help"))
    assert [c for c in fake.calls[mark:] if c.method == "auth.test"] == []


async def test_two_workspaces_each_get_their_own_token_and_never_each_others_data(
    oauth_bot: RunningApp,
    browser: Browser,
    fake: FakeSlack,
    http: aiohttp.ClientSession,
) -> None:
    """Cross-tenant: Acme and Beta installed the same app; every call for one carries its
    token only, each sees only its own incident, and reminders go out the same way."""
    assert (await browser.install(fake, TEAM_ID))[0] == 200
    assert (await browser.install(fake, BETA))[0] == 200
    assert [team for team, _ in await installed_teams(oauth_bot)] == [TEAM_ID, BETA]
    slack = SignedSlack(http, oauth_bot)
    jan = SlackUser(slack, fake, "U0JAN", "Jan Jansen", team=TEAM_ID)
    bea = SlackUser(slack, fake, "U0BEA", "Bea Beta", team=BETA)

    for user in (jan, bea):
        mark = len(fake.calls)
        await user.say("ik denk dat we een oplichter hebben betaald")
        await user.press("Ja")
        assert teams_of(fake, fake.calls[mark:]) == {user.team}, user.team
    jan_incidents = await _open_incidents(oauth_bot, TEAM_ID)
    bea_incidents = await _open_incidents(oauth_bot, BETA)
    assert len(jan_incidents) == len(bea_incidents) == 1

    mark = len(fake.calls)
    bea_sees = texts(await bea.say("lijst"))
    jan_sees = texts(await jan.say("lijst"))
    assert bea_incidents[0] in bea_sees and jan_incidents[0] not in bea_sees
    assert jan_incidents[0] in jan_sees and bea_incidents[0] not in jan_sees
    assert_own_tokens(fake, fake.calls[mark:], jan, bea)

    mark = len(fake.calls)
    clock = oauth_bot.runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(minutes=10))
    assert await oauth_bot.run_reminders() >= 2
    reminders = fake.outputs(mark)
    assert {c.args["channel"] for c in reminders} == {jan.dm, bea.dm}
    assert_own_tokens(fake, fake.calls[mark:], jan, bea)  # conversations.open, chat.postMessage


async def test_beta_gets_nothing_of_acmes_incident_by_any_command_or_button(
    oauth_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    """Cross-tenant, beyond the list: whatever Beta types or presses with Acme's incident id
    (button values copied from Acme's messages) gets the answer an id that never existed
    gets, and Acme's timeline stays as it was."""
    never = "NR-ZZZZZZ"
    assert (await browser.install(fake, TEAM_ID))[0] == 200
    assert (await browser.install(fake, BETA))[0] == 200
    slack = SignedSlack(http, oauth_bot)
    jan = SlackUser(slack, fake, "U0JAN", "Jan Jansen", team=TEAM_ID)
    bea = SlackUser(slack, fake, "U0BEA", "Bea Beta", team=BETA)
    await jan.say("ik denk dat we een oplichter hebben betaald")
    await jan.press("Ja")
    await jan.say("€ 12.500")
    await jan.say("status")
    [incident] = await _open_incidents(oauth_bot, TEAM_ID)
    values = set()
    for message in list(fake.messages.values()):
        for button in buttons(message.blocks) if message.channel == jan.dm else ():
            if button["action_id"].startswith(FORM_ACTION_PREFIX):
                continue  # opens a modal; its submit is the same kind of Action
            if incident_named(button["value"]) == incident:
                values.add(button["value"])
    assert len(values) >= 5, values
    async with oauth_bot.runtime.require_store().transaction() as tx:
        before = [(e.seq, e.kind) for e in await tx.get_events(incident)]

    await bea.say("hallo")  # a message of her own with a button, to press from
    for typed in ("status", "lijst", "lijst gesloten", "export"):
        said = texts(await bea.say(typed))
        assert incident not in said and "12.500" not in said, (typed, said)
    for command in ("doe mee {}", "export {}", "heropen {}"):
        real = texts(await bea.say(command.format(incident)))
        unknown = texts(await bea.say(command.format(never)))
        assert real.replace(incident, never) == unknown and unknown, command
    for value in sorted(values):
        swapped = naming_incident(value, never)
        said = []
        for sent in (value, swapped):
            payload = bea.click_payload("")  # her newest button, carrying Acme's value
            payload["actions"][0]["value"] = sent
            said.append(texts(await bea.send_click(payload)))
        assert said[0].replace(incident, never) == said[1] and said[1], value
        assert "12.500" not in said[0]
    async with oauth_bot.runtime.require_store().transaction() as tx:
        assert [(e.seq, e.kind) for e in await tx.get_events(incident)] == before
        assert [i for i in await tx.open_incidents() if i.tenant_id == BETA] == []


def assert_own_tokens(fake: FakeSlack, calls: list[Call], *users: SlackUser) -> None:
    """Each call is about one workspace (its user, its DM, or its team id, as in Bolt's
    ``auth.test``) and carries that workspace's token."""
    assert calls
    for call in calls:
        about = {u.team for u in users if u.user_id in str(call.args)}
        about |= {u.team for u in users if call.args.get("team_id") == u.team}
        assert len(about) == 1, (call.method, call.args)
        assert {fake.team_of_token(call.token)} == about, (call.method, call.args)


async def test_after_an_uninstall_nothing_more_goes_to_that_workspace(
    oauth_bot: RunningApp, browser: Browser, fake: FakeSlack, http: aiohttp.ClientSession
) -> None:
    """``app_uninstalled`` deletes the workspace's installation (Beta's stays): its due
    reminder is recorded as not delivered, and nothing is sent with its old token."""
    assert (await browser.install(fake, TEAM_ID))[0] == 200
    assert (await browser.install(fake, BETA))[0] == 200
    slack = SignedSlack(http, oauth_bot)
    jan = SlackUser(slack, fake, "U0JAN", "Jan Jansen")
    await jan.say("ik denk dat we een oplichter hebben betaald")
    await jan.press("Ja")
    [incident] = await _open_incidents(oauth_bot, TEAM_ID)
    uninstalled = event_body({"type": "app_uninstalled", "event_ts": "1780000000.1"})
    assert await slack.event(uninstalled) == 200
    # Bolt's own uninstall listener runs after the 200 and outside the listeners that
    # handled() counts: what can be seen of it is the table, so wait for that, with a limit.
    async with asyncio.timeout(10):
        while [team for team, _ in await installed_teams(oauth_bot)] != [BETA]:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    mark = len(fake.calls)
    clock = oauth_bot.runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(minutes=10))
    await oauth_bot.run_reminders()
    assert fake.outputs(mark) == []
    async with oauth_bot.runtime.require_store().transaction() as tx:
        events = await tx.get_events(incident)
    outcomes = [e.data["error"] for e in events if e.kind == "delivery_attempted"]
    assert outcomes == ["Slack: not_installed"]
    assert await slack.event(_dm(jan, "help")) == 200
    await oauth_bot.handled()
    assert fake.outputs(mark) == [], "a message from there is no longer answered"


@pytest.mark.parametrize(
    "case", ["unknown_state", "expired_state", "used_state", "other_browser", "denied"]
)
async def test_a_bad_install_return_gets_a_clear_page_and_stores_nothing(
    case: str, oauth_bot: RunningApp, browser: Browser, fake: FakeSlack
) -> None:
    authorize = await browser.start_install()
    state = authorize["state"][0]
    code = fake.approve(TEAM_ID)
    if case == "unknown_state":
        browser.keep_cookie("forged")
        status, page = await browser.come_back(code=code, state="forged")
        expected, text = 400, "verlopen of al gebruikt"
    elif case == "expired_state":
        async with oauth_bot.runtime.require_store().engine.begin() as conn:
            await conn.execute(
                update(slack_oauth_states).values(expire_at=datetime(2020, 1, 1, 0, 0))
            )
        status, page = await browser.come_back(code=code, state=state)
        expected, text = 400, "has expired or was used already"
    elif case == "used_state":
        assert (await browser.come_back(code=code, state=state))[0] == 200
        await _uninstall_all(oauth_bot)
        browser.keep_cookie(state)
        status, page = await browser.come_back(code=fake.approve(TEAM_ID), state=state)
        expected, text = 400, "verlopen of al gebruikt"
    elif case == "other_browser":
        browser.http.cookie_jar.clear()
        status, page = await browser.come_back(code=code, state=state)
        expected, text = 400, "andere browser"
    else:
        status, page = await browser.come_back(error="access_denied", state=state)
        expected, text = 200, "afgebroken (access_denied)"
    assert (status, text in page) == (expected, True), page
    assert "Installeren is niet gelukt" in page and "did not complete" in page
    assert slack_oauth.INSTALL_PATH in page, "the page offers to start again"
    assert await installed_teams(oauth_bot) == []


async def test_slack_unreachable_during_the_exchange_gets_a_try_again_page(
    oauth_bot: RunningApp, browser: Browser, fake: FakeSlack
) -> None:
    fake.outages.append(Outage(method="oauth.v2.access", drop=True))
    status, page = await browser.install(fake, TEAM_ID)
    assert status == 503, page
    assert "Probeer het over een paar minuten opnieuw" in page and "Try again" in page
    assert await installed_teams(oauth_bot) == []
    fake.outages.clear()
    assert (await browser.install(fake, TEAM_ID))[0] == 200, "a new attempt works"


async def test_a_forged_error_is_shown_escaped() -> None:
    page = slack_oauth._html(
        "slack_install_failed_title",
        "slack_install_cancelled",
        {"reason": "<script>x</script>"},
        again=True,
    )
    assert "<script>" not in page and "&lt;script&gt;" in page


async def test_an_installation_survives_a_restart(
    database_url: str, fake: FakeSlack, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """A new process on the same database (another replica, or after an upgrade) serves
    the workspace with the token the first one stored, and takes an install begun there."""
    env = oauth_env(fake, two_organisations(tmp_path / "orgs.yaml"))
    fake.add_team(BETA, "Beta Bouw")
    async with running_app(database_url, clock=ManualClock(START), env=env) as first:
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=first.url)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            assert (await Browser(session, first.url).install(fake, TEAM_ID))[0] == 200
            beta_started = await Browser(session, first.url).start_install()
            cookies = {c.key: c.value for c in jar}
    async with running_app(database_url, clock=ManualClock(START), env=env) as second:
        jan = SlackUser(SignedSlack(http, second), fake, "U0JAN", "Jan Jansen")
        mark = len(fake.calls)
        assert "starten" in texts(await jan.say("ik denk dat we een oplichter hebben betaald"))
        assert {c.token for c in fake.calls[mark:]} == {BOT_TOKEN}
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=second.url)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            same_browser = Browser(session, second.url)
            same_browser.keep_cookie(cookies[STATE_COOKIE])
            status, page = await same_browser.come_back(
                code=fake.approve(BETA), state=beta_started["state"][0]
            )
        assert status == 200, page
        assert [team for team, _ in await installed_teams(second)] == [TEAM_ID, BETA]


def test_our_tables_are_the_ones_slack_sdk_reads_and_writes() -> None:
    """storage.models copies slack_sdk's tables (storage knows no SDK): a new slack_sdk
    that changes them fails here, and then needs a migration."""
    theirs = MetaData()
    built = {
        "slack_installations": SQLAlchemyInstallationStore.build_installations_table(
            theirs, "slack_installations"
        ),
        "slack_bots": SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots"),
        "slack_oauth_states": SQLAlchemyOAuthStateStore.build_oauth_states_table(
            theirs, "slack_oauth_states"
        ),
    }
    for ours in (slack_installations, slack_bots, slack_oauth_states):
        table = built[ours.name]
        assert [_column(c) for c in ours.columns] == [_column(c) for c in table.columns]
        assert {_index(i) for i in ours.indexes} == {_index(i) for i in table.indexes}


def test_the_install_asks_for_the_manifests_bot_scopes() -> None:
    assert sorted(slack_oauth.BOT_SCOPES) == sorted(manifest()["oauth_config"]["scopes"]["bot"])
    assert (
        f"https://YOUR-HOST{slack_oauth.REDIRECT_PATH}"
        in manifest()["oauth_config"]["redirect_urls"]
    )


def _column(column: Column[Any]) -> tuple[object, ...]:
    return (column.name, repr(column.type), column.nullable, column.primary_key)


def _index(index: Index) -> tuple[object, ...]:
    return (index.name, tuple(c.name for c in index.columns))


def _dm(user: SlackUser, text: str) -> str:
    event = {
        "type": "message",
        "channel": user.dm,
        "user": user.user_id,
        "text": text,
        "ts": "1780000000.000001",
        "channel_type": "im",
    }
    return event_body(event, team=user.team)


async def _open_incidents(app: RunningApp, team: str) -> list[str]:
    async with app.runtime.require_store().transaction() as tx:
        return [i.id for i in [i for i in await tx.open_incidents() if i.tenant_id == team]]


async def _uninstall_all(app: RunningApp) -> None:
    async with app.runtime.require_store().engine.begin() as conn:
        await conn.execute(slack_bots.delete())
        await conn.execute(slack_installations.delete())
