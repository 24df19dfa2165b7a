"""Two customers of one IT provider on one Noodrem, each with its own Entra tenant: nothing
of one organisation's incident can be read or changed from the other's Teams.

Bot Framework activities as Teams sends them (``channelData.tenant.id`` and
``conversation.tenantId`` naming the tenant), posted to the real app over loopback; replies
go to the fake Bot Connector. Whatever Beta's people try with Acme's incident id (typed
commands, card payloads copied from Acme's cards) gets exactly the answer an incident id
that never existed gets, so the answer does not even tell that the incident exists; and
Acme's timeline stays as it was. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.channels.teams_cards import ACTION_KEY
from bot.clock import ManualClock
from bot.messages import (
    Channel,
    Close,
    Reopen,
    ShowStatus,
    ShowTimeline,
    StepShow,
    decode_action,
    encode_action,
    user_key,
)
from tests.harness import RunningApp, incident_named, naming_incident, running_app
from tests.teams.chat import events_of, open_incident
from tests.teams.fakes import (
    CONSENT,
    MIRA,
    TENANT,
    FakeConnector,
    Sent,
    TeamsUser,
    actions,
    cards,
    personal_chat,
    texts,
)

BETA_TENANT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
UNBOUND_TENANT = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
BEA = "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a"  # Beta's manager
NEVER = "NR-ZZZZZZ"  # a well-formed incident id that no organisation has
ACME_ONLY = ("Bakkerij Acme", "Jan Acme", "12.500", "Rabobank")  # what only Acme's incident says


def organisation_file(path: Path) -> str:
    path.write_text(
        yaml.safe_dump(
            {
                "organisations": [
                    {
                        "id": "acme",
                        "name": "Bakkerij Acme B.V.",
                        "teams_tenant_ids": [TENANT],
                        "managers": [{"name": "Mira Manager", "teams": MIRA}],
                        "contacts": {"bank": {"name": "Rabobank fraudelijn", "phone": "088"}},
                    },
                    {
                        "id": "beta",
                        "name": "Beta Bouw B.V.",
                        "teams_tenant_ids": [BETA_TENANT],
                        "managers": [{"name": "Bea Beta", "teams": BEA}],
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture
async def two_tenants(
    schema_at_head: None, database_url: str, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[RunningApp]:
    env = {"ORGANISATION_FILE": organisation_file(tmp_path / "orgs.yaml"), "TEAMS_LOCAL": "1"}
    async with running_app(database_url, clock=clock, env=env) as app:
        yield app


def user(
    app: RunningApp,
    connector: FakeConnector,
    http: aiohttp.ClientSession,
    name: str,
    *,
    tenant_id: str,
    aad_object_id: str | None = None,
) -> TeamsUser:
    return TeamsUser(
        http,
        bot_url=app.url,
        connector=connector,
        name=name,
        conversation=personal_chat(),
        tenant_id=tenant_id,
        aad_object_id=aad_object_id,
    )


def key(person: TeamsUser) -> str:
    return user_key(Channel.TEAMS, person.tenant_id, person.aad_object_id)


async def acme_incident(jan: TeamsUser) -> str:
    """Jan (Acme) opens an incident, gives the amount and shows the checklist: his
    conversation then holds cards with every kind of button an open incident has."""
    incident = await open_incident(jan)
    await jan.say("€ 12.500")
    await jan.say("status")
    return incident


def payloads_for(jan: TeamsUser, incident: str) -> list[dict[str, Any]]:
    """Every distinct card payload in Jan's conversation that names his incident."""
    found: dict[str, dict[str, Any]] = {}
    for message in jan.connector.in_conversation(jan.conversation.id):
        for card in cards([message]):
            for button in actions(card):
                data = button.get("data") or {}
                raw = data.get(ACTION_KEY)
                if isinstance(raw, str) and incident_named(raw) == incident:
                    found.setdefault(raw, data)
    return list(found.values())


def swapped(data: dict[str, Any], incident: str) -> dict[str, Any]:
    """The same payload naming an incident that does not exist."""
    return {**data, ACTION_KEY: naming_incident(data[ACTION_KEY], NEVER)}


def said(sent: list[Sent], *, incident: str) -> str:
    """What the bot said, with Acme's incident id written as the never-existing one."""
    return texts(sent).replace(incident, NEVER)


def assert_nothing_of_acme(sent: list[Sent], incident: str) -> None:
    shown = texts(sent) + repr([s.body for s in sent])
    assert not [word for word in ACME_ONLY if word in shown], shown


async def test_beta_cannot_read_or_act_on_acmes_incident(
    two_tenants: RunningApp,
    connector: FakeConnector,
    http: aiohttp.ClientSession,
) -> None:
    jan = user(two_tenants, connector, http, "Jan Acme", tenant_id=TENANT)
    incident = await acme_incident(jan)
    before = [(e.seq, e.kind, e.actor) for e in await events_of(two_tenants, incident)]
    payloads = payloads_for(jan, incident)
    kinds = {type(decode_action(p[ACTION_KEY])) for p in payloads}
    # The checklist's buttons and the question's: open a step, the timeline, take the lead,
    # close, the evidence file, the facts. Each one is tried below.
    assert {StepShow, ShowTimeline, Close} <= kinds, kinds

    bea = user(two_tenants, connector, http, "Bea Beta", tenant_id=BETA_TENANT, aad_object_id=BEA)
    # Someone in Beta's tenant with the very object id Jan has in Acme's: a person is
    # their tenant and their id together, never the id alone.
    twin = user(
        two_tenants,
        connector,
        http,
        "Jan Tweeling",
        tenant_id=BETA_TENANT,
        aad_object_id=jan.aad_object_id,
    )
    for attacker in (bea, twin):
        for typed in ("status", "lijst", "lijst gesloten", "export"):
            sent = await attacker.say(typed)
            assert incident not in texts(sent), (typed, texts(sent))
            assert_nothing_of_acme(sent, incident)
        for command in ("doe mee {}", "export {}", "heropen {}", "join {}"):
            real = await attacker.say(command.format(incident))
            never = await attacker.say(command.format(NEVER))
            assert said(real, incident=incident) == said(never, incident=incident), command
            assert said(real, incident=incident), "a refusal, not silence"
            assert_nothing_of_acme(real, incident)
        for data in payloads:
            card_id = attacker.connector.calls[-1].activity_id
            real = await attacker.click(card_id, data)
            never = await attacker.click(card_id, swapped(data, incident))
            name = type(decode_action(data[ACTION_KEY])).__name__
            assert said(real, incident=incident) == said(never, incident=incident), name
            assert_nothing_of_acme(real, incident)

    after = [(e.seq, e.kind, e.actor) for e in await events_of(two_tenants, incident)]
    assert after == before, "nothing was recorded on Acme's timeline"
    async with two_tenants.runtime.require_store().transaction() as tx:
        assert [i for i in await tx.open_incidents() if i.tenant_id == BETA_TENANT] == []
        people = {p.user_key for p in await tx.get_participants(incident)}
    assert people == {key(jan)}, "nobody from Beta joined"

    # Beta's own incident is Beta's alone, and Acme's manager does not see it either.
    own = await open_incident(bea)
    listed = texts(await bea.say("lijst"))
    assert own in listed and incident not in listed
    mira = user(two_tenants, connector, http, "Mira Manager", tenant_id=TENANT, aad_object_id=MIRA)
    listed = texts(await mira.say("lijst"))
    assert incident in listed and own not in listed


async def test_a_closed_incident_stays_out_of_reach_too(
    two_tenants: RunningApp,
    connector: FakeConnector,
    http: aiohttp.ClientSession,
) -> None:
    """Closed, an incident can still be looked back on, exported and reopened, by its own
    organisation: from Beta, as unknown as before."""
    mira = user(two_tenants, connector, http, "Mira Manager", tenant_id=TENANT, aad_object_id=MIRA)
    incident = await acme_incident(mira)
    await mira.press("Incident sluiten")
    await mira.press("Ja, sluiten")
    await mira.submit("afgehandeld met de bank")
    closed = texts(await mira.say("lijst gesloten"))
    assert incident in closed, closed

    bea = user(two_tenants, connector, http, "Bea Beta", tenant_id=BETA_TENANT, aad_object_id=BEA)
    listed = await bea.say("lijst gesloten")
    assert incident not in texts(listed)
    for command in ("export {}", "heropen {}", "doe mee {}"):
        real = await bea.say(command.format(incident))
        never = await bea.say(command.format(NEVER))
        assert said(real, incident=incident) == said(never, incident=incident), command
    for name in (ShowTimeline, Reopen, ShowStatus):
        data = {ACTION_KEY: encode_action(name(incident))}
        card_id = connector.calls[-1].activity_id
        real = await bea.click(card_id, data)
        never = await bea.click(card_id, swapped(data, incident))
        assert said(real, incident=incident) == said(never, incident=incident), name
        assert_nothing_of_acme(real, incident)
    async with two_tenants.runtime.require_store().transaction() as tx:
        [still] = await tx.closed_incidents(org_id="acme", user_key=key(mira))
    assert still.id == incident and still.status.value == "closed"


async def test_acmes_evidence_file_is_not_handed_to_beta(
    two_tenants: RunningApp,
    connector: FakeConnector,
    http: aiohttp.ClientSession,
) -> None:
    """The file consent card's context names a stored file; Beta answering it with Acme's
    context (copied, guessed) uploads nothing."""
    jan = user(two_tenants, connector, http, "Jan Acme", tenant_id=TENANT)
    await acme_incident(jan)
    exported = await jan.say("export")
    [(card_id, card)] = [(s.activity_id, a) for s in exported for a in cards([s.body], CONSENT)]

    bea = user(two_tenants, connector, http, "Bea Beta", tenant_id=BETA_TENANT, aad_object_id=BEA)
    value = {
        "type": "fileUpload",
        "action": "accept",
        "context": card["content"]["acceptContext"],
        "uploadInfo": {
            "name": card["name"],
            "uploadUrl": connector.upload_url("stolen.pdf"),
            "contentUrl": "https://beta.sharepoint.com/personal/x/stolen.pdf",
            "uniqueId": "0D1F3C5B-7A9E-4B2D-8C6F-1A3E5C7B9D0F",
            "fileType": "pdf",
        },
    }
    refused = await bea.post(
        bea.activity("invoke", name="fileConsent/invoke", value=value, replyToId=card_id)
    )
    assert connector.uploads == []
    assert "niet meer beschikbaar" in texts(refused), texts(refused)
    assert card_id in connector.messages, "Acme's card stays in Acme's chat"


async def test_a_tenant_bound_to_no_organisation_is_told_so_and_shown_nothing(
    two_tenants: RunningApp,
    connector: FakeConnector,
    http: aiohttp.ClientSession,
) -> None:
    jan = user(two_tenants, connector, http, "Jan Acme", tenant_id=TENANT)
    incident = await acme_incident(jan)
    before = len(await events_of(two_tenants, incident))
    eve = user(two_tenants, connector, http, "Eve", tenant_id=UNBOUND_TENANT)
    tries = [
        await eve.say(t) for t in ("help", "status", f"doe mee {incident}", f"export {incident}")
    ]
    tries += [
        await eve.click(connector.calls[-1].activity_id, p) for p in payloads_for(jan, incident)
    ]
    for sent in tries:
        assert len(sent) == 1, "one answer"
        shown = texts(sent)
        assert "niet gekoppeld aan een organisatie" in shown, shown
        assert UNBOUND_TENANT in shown and "teams_tenant_ids" in shown, "what to ask for"
        assert incident not in shown
        assert_nothing_of_acme(sent, incident)
    assert len(await events_of(two_tenants, incident)) == before
    async with two_tenants.runtime.require_store().transaction() as tx:
        assert [i for i in await tx.open_incidents() if i.tenant_id == UNBOUND_TENANT] == []
