"""Organisations changed at run time: two app instances share one database; a change
through one is served by the other without a restart, and a bad change changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import organisation_cli, organisation_store
from bot.clock import ManualClock
from bot.messages import Address, Channel, Inbound, ReplyKind
from bot.organisation import OrganisationError
from tests.harness import RunningApp, running_app
from tests.smtp import Inbox, smtp_server
from tests.test_flow import open_incident
from tests.web.test_signin import ORG, PUBLIC_URL, SignInApp, mail_env
from tests.webclient import WebUser, browser_session

NEW_CUSTOMER = """
organisations:
  - id: nieuw
    name: Nieuwe Klant B.V.
    slack_team_ids: [TNIEUW01]
    sign_in:
      email_domains: [nieuw.example]
"""


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
async def two_apps(
    database_url: str, tmp_path: Path, smtp: tuple[Inbox, int]
) -> AsyncIterator[tuple[RunningApp, RunningApp, Inbox, ManualClock]]:
    inbox, port = smtp
    inbox.received.clear()
    org_file = tmp_path / "organisation.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    env = {
        **mail_env(port),
        "ORGANISATION_FILE": str(org_file),
        "PUBLIC_URL": PUBLIC_URL,
        "ORGANISATION_REFRESH_SECONDS": "0.05",
    }
    async with (
        running_app(database_url, clock=clock, env=env) as one,
        running_app(database_url, clock=clock, env=env) as other,
    ):
        yield one, other, inbox, clock


def slack_message(team: str) -> Inbound:
    return Inbound(
        channel=Channel.SLACK,
        tenant_id=team,
        user_id="U1",
        user_name="Jan",
        conversation_id="D1",
        address=Address(Channel.SLACK, team, "D1", "U1"),
        text="hallo",
    )


async def caught_up(app: RunningApp, version: int) -> None:
    refresh = app.runtime.organisation_refresh
    assert refresh is not None
    await asyncio.wait_for(refresh.wait_for(version), timeout=10)


async def test_an_import_through_one_instance_is_served_by_the_other_without_a_restart(
    two_apps: tuple[RunningApp, RunningApp, Inbox, ManualClock], tmp_path: Path
) -> None:
    one, other, inbox, clock = two_apps
    engine = other.runtime.engine
    assert engine is not None
    seeded = other.runtime.organisations.version
    assert seeded == 2 and [o.id for o in other.runtime.organisations] == ["acme", "other"]
    [refused] = await engine.handle(slack_message("TNIEUW01"))
    assert refused.kind is ReplyKind.ERROR and "TNIEUW01" in (refused.text or "")

    new_file = tmp_path / "nieuw.yaml"
    new_file.write_text(NEW_CUSTOMER, encoding="utf-8")
    code = await organisation_cli.import_command(
        one.runtime.require_store(), new_file, now=clock.now(), refresh_seconds=0.05
    )
    assert code == 0
    await caught_up(other, seeded + 1)

    # Slack: the new workspace is this organisation's now, on the instance nobody told.
    served = await engine.handle(slack_message("TNIEUW01"))
    assert served and all(r.kind is not ReplyKind.ERROR for r in served)
    # The web chat: an address at the new domain gets a link and is the new one's.
    async with browser_session() as http:
        await SignInApp(other, inbox, clock).sign_in(http, "jan@nieuw.example")
        incident = await open_incident(WebUser(http, other.url, "Jan"))
    async with other.runtime.require_store().transaction() as tx:
        events = await tx.get_events(incident)
        opened = await tx.get_incident(incident)
    assert events[0].actor == "web:nieuw:jan@nieuw.example"
    assert opened is not None and opened.tenant_id == "nieuw"
    assert [o.id for o in one.runtime.organisations] == ["acme", "other", "nieuw"]


async def test_a_bad_import_leaves_the_version_in_effect(
    two_apps: tuple[RunningApp, RunningApp, Inbox, ManualClock],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one, other, _, clock = two_apps
    store = one.runtime.require_store()
    before = await organisation_store.version(store)
    bad = tmp_path / "bad.yaml"
    bad.write_text(NEW_CUSTOMER + "    timezone: Europe/Amsterdamm\n", encoding="utf-8")
    assert (
        await organisation_cli.import_command(store, bad, now=clock.now(), refresh_seconds=1) == 2
    )
    said = capsys.readouterr().err
    assert f"{bad}:8: organisations[0].timezone: " in said and "nothing was imported" in said
    # A workspace another organisation already has: refused as a whole, nothing written.
    taken = tmp_path / "taken.yaml"
    taken.write_text(
        NEW_CUSTOMER.replace("email_domains: [nieuw.example]", "email_domains: [acme.example]"),
        encoding="utf-8",
    )
    assert (
        await organisation_cli.import_command(store, taken, now=clock.now(), refresh_seconds=1) == 2
    )
    said = capsys.readouterr().err
    assert "sign_in.email_domains acme.example is listed by both acme and nieuw" in said
    assert await organisation_store.version(store) == before

    # A stored document this release cannot read (written around the checks) is not
    # taken into use: the other instance keeps serving the version it has.
    async with store.transaction() as tx:
        version = await tx.put_organisations([("acme", {"id": "acme"})], at=clock.now())
    refresh = other.runtime.organisation_refresh
    assert refresh is not None
    assert await refresh.refresh() is False
    assert other.runtime.organisations.version == before
    acme = other.runtime.organisations.get("acme")
    assert acme is not None and acme.name == "Bakkerij Acme B.V."
    # Nor one this process cannot serve: a webhook secret its environment lacks.
    webhook = {
        "id": "acme",
        "name": "Acme",
        "contacts": {
            "it_provider": {
                "name": "IT",
                "webhook_url": "https://it.example/hook",
                "webhook_secret_env": "NOODREM_TEST_UNSET_SECRET",
            }
        },
    }
    async with store.transaction() as tx:
        await tx.put_organisations([("acme", webhook)], at=clock.now())
    assert await refresh.refresh() is False
    assert other.runtime.organisations.version == before
    # Repaired, it is taken into use.
    async with store.transaction() as tx:
        await tx.put_organisations([("acme", {"id": "acme", "name": "Acme"})], at=clock.now())
    await caught_up(other, version + 2)
    acme = other.runtime.organisations.get("acme")
    assert acme is not None and acme.name == "Acme" and not acme.contacts


async def test_a_turn_keeps_the_organisation_it_started_with(
    two_apps: tuple[RunningApp, RunningApp, Inbox, ManualClock],
) -> None:
    one, _, _, clock = two_apps
    organisations = one.runtime.organisations
    acme = organisations.get("acme")  # what the engine resolves once, at a turn's start
    listed = iter(organisations)  # a pass over all of them (the digest) under way
    store = one.runtime.require_store()
    async with store.transaction() as tx:
        version = await tx.put_organisations(
            [("acme", {"id": "acme", "name": "Acme Nieuw"})], at=clock.now()
        )
    await caught_up(one, version)
    assert acme is not None and acme.name == "Bakkerij Acme B.V."
    assert [o.name for o in listed] == ["Bakkerij Acme B.V.", "Ander Bedrijf"]
    renamed = organisations.get("acme")
    assert renamed is not None and renamed.name == "Acme Nieuw"


async def test_removing_empties_the_row_and_still_moves_the_version(
    two_apps: tuple[RunningApp, RunningApp, Inbox, ManualClock],
) -> None:
    one, other, _, clock = two_apps
    store = one.runtime.require_store()
    before = await organisation_store.version(store)
    assert await organisation_store.remove(store, "other", at=clock.now()) is True
    await caught_up(other, before + 1)
    assert [o.id for o in other.runtime.organisations] == ["acme"]
    with pytest.raises(OrganisationError, match="only organisation"):
        await organisation_store.remove(store, "acme", at=clock.now())
