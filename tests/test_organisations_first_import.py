"""The first organisations stored on a deployment that so far ran with the built-in one
(``DEFAULT_ORGANISATION``, id ``default``): its incidents must not end up in no
organisation. ``app.py org import`` refuses such a file with what to do, and writes
nothing; an organisation with ``id: default`` keeps the web chat's, a workspace the file
names takes that platform's. A start whose organisation file would orphan them stops the
same way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import organisation_store
from bot.messages import Address, Channel, address_to_json
from bot.organisation import OrganisationError, Organisations
from bot.ports import Incident, IncidentStatus
from storage import create_store
from tests.harness import running_app
from tests.test_organisation_cli import TWO, Run, error_line, run

__all__ = ["run"]  # the fixture, shared with the other command tests

KEEPS_THEM = (
    TWO
    + """  - id: default
    name: Bakkerij Acme (proef)
"""
)


def incident(incident_id: str, address: Address) -> Incident:
    user = f"{address.channel.value}:{address.tenant_id}:{address.user_id}"
    return Incident(
        id=incident_id,
        tenant_id=address.tenant_id,
        playbook_id="paid-fraudster",
        lang="nl",
        status=IncidentStatus.OPEN,
        reported_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        reported_by=user,
        reporter_name="Jan",
        lead=user,
        conversation=address_to_json(address),
    )


WEB = incident("NR-WEB001", Address(Channel.WEB, "default", "u1", "u1"))
SLACK = incident("NR-SLACK1", Address(Channel.SLACK, "TACME0001", "D1", "U1"))


async def with_built_in_incidents(database_url: str) -> None:
    """What a deployment has after running with the built-in organisation: no
    organisation stored, incidents from the web chat and from a Slack workspace."""
    store = await create_store(database_url)
    try:
        async with store.transaction() as tx:
            await tx.create_incident(WEB)
            await tx.create_incident(SLACK)
    finally:
        await store.close()


async def test_the_first_import_keeps_the_built_in_organisations_incidents(
    schema_at_head: None, database_url: str, tmp_path: Path, run: Run
) -> None:
    await with_built_in_incidents(database_url)
    two = tmp_path / "two.yaml"
    two.write_text(TWO, encoding="utf-8")

    refused = await run(database_url, "org", "import", str(two))
    assert refused.returncode == 2
    line = error_line(refused)
    assert "served its built-in organisation (id 'default')" in line
    assert "1 of its incident(s) would belong to no organisation" in line
    # The web chat's is named; the Slack one is acme's by the workspace the file names.
    assert "NR-WEB001" in line and "NR-SLACK1" not in line
    assert "add an organisation with 'id: default' to the file" in line
    assert "nothing was imported" in line
    assert "no organisations stored" in (await run(database_url, "org", "list")).stdout

    kept = tmp_path / "kept.yaml"
    kept.write_text(KEEPS_THEM, encoding="utf-8")
    imported = await run(database_url, "org", "import", str(kept))
    assert imported.returncode == 0, imported.stderr
    store = await create_store(database_url)
    try:
        stored = await organisation_store.load(store)
    finally:
        await store.close()
    organisations = Organisations(stored.organisations)
    owners = {i.id: organisations.owner_of(i) for i in (WEB, SLACK)}
    assert {k: o.id if o else None for k, o in owners.items()} == {
        "NR-WEB001": "default",
        "NR-SLACK1": "acme",
    }


async def test_a_workspace_the_file_leaves_out_is_refused_too(
    schema_at_head: None, database_url: str, tmp_path: Path, run: Run
) -> None:
    await with_built_in_incidents(database_url)
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(KEEPS_THEM.replace("[TACME0001]", "[TACME0002]"), encoding="utf-8")
    refused = await run(database_url, "org", "import", str(elsewhere))
    assert refused.returncode == 2
    line = error_line(refused)
    assert "NR-SLACK1" in line and "NR-WEB001" not in line
    assert "list their Slack workspace / Entra tenant ids" in line


async def test_a_start_whose_file_would_orphan_them_stops(
    schema_at_head: None, database_url: str, tmp_path: Path
) -> None:
    """The file is seeded at the start with none stored: the same first import."""
    await with_built_in_incidents(database_url)
    org_file = tmp_path / "organisation.yaml"
    org_file.write_text(TWO, encoding="utf-8")
    with pytest.raises(OrganisationError, match="NR-WEB001"):
        async with running_app(database_url, env={"ORGANISATION_FILE": str(org_file)}):
            pass
    store = await create_store(database_url)
    try:
        assert (await organisation_store.load(store)).organisations == ()
    finally:
        await store.close()
