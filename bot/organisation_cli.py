"""``python app.py org import | list | show | remove``: the provider's staff change the
organisations at run time; every replica picks a change up within its refresh period.

``app.py`` opens the store and hands it in. Every outcome is one or a few lines, never a
traceback:

    0  done
    1  the answer is no: unknown organisation, removal refused
    2  cannot run: a bad file (nothing written), no database
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import yaml

from bot import organisation_store
from bot.organisation import Organisation, OrganisationError
from bot.organisation_file import document, read_organisation_file
from bot.ports import Store


async def import_command(store: Store, path: Path, *, now: datetime, refresh_seconds: float) -> int:
    """Create or replace every organisation of the file, all or none."""
    try:
        organisations = read_organisation_file(path)
    except OrganisationError as exc:
        return _fail(f"{exc}; nothing was imported", 2)
    before = {o.id for o in (await organisation_store.load(store)).organisations}
    try:
        version = await organisation_store.import_organisations(store, organisations, at=now)
    except OrganisationError as exc:
        return _fail(f"{path}: {exc}; nothing was imported", 2)
    for org in organisations:
        print(f"{org.id}: {'replaced' if org.id in before else 'new'} ({org.name})")
    noun = "organisation" if len(organisations) == 1 else "organisations"
    print(
        f"imported {len(organisations)} {noun} from {path}: version {version}, in effect on "
        f"every running Noodrem within {refresh_seconds:g} s"
    )
    return 0


async def list_command(store: Store) -> int:
    stored = await organisation_store.load(store)
    if not stored.organisations:
        print("no organisations stored: Noodrem serves its built-in default organisation")
        return 0
    rows = [("id", "name", "slack", "teams", "sign-in", "managers")]
    for org in stored.organisations:
        rows.append(
            (
                org.id,
                org.name,
                ",".join(org.slack_team_ids) or "-",
                ",".join(org.teams_tenant_ids) or "-",
                _sign_in(org),
                str(len(org.managers)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    print(f"version {stored.version}")
    return 0


async def show_command(store: Store, org_id: str) -> int:
    """The organisation as a file ``org import`` takes back: show, edit, import."""
    stored = await organisation_store.load(store)
    org = next((o for o in stored.organisations if o.id == org_id), None)
    if org is None:
        return _fail(f"no organisation {org_id!r}; 'app.py org list' shows them", 1)
    text = yaml.safe_dump({"organisations": [document(org)]}, allow_unicode=True, sort_keys=False)
    sys.stdout.write(text)
    return 0


async def remove_command(store: Store, org_id: str, *, now: datetime) -> int:
    """Refused for the last organisation and for one with open incidents (their reminders
    would go to another organisation's managers); its closed incidents stay, in no
    organisation's register but the provider's (``register --all``)."""
    try:
        removed = await organisation_store.remove(store, org_id, at=now)
    except OrganisationError as exc:
        return _fail(str(exc), 1)
    if not removed:
        return _fail(f"no organisation {org_id!r}; 'app.py org list' shows them", 1)
    print(f"{org_id} removed; its incidents and their timelines stay in the database")
    return 0


def _sign_in(org: Organisation) -> str:
    if org.sign_in is None:
        return "-"
    ways = ["mail"] if org.sign_in.by_mail else []
    ways += [login.provider.value for login in org.sign_in.oidc]
    return ",".join(ways) or "-"


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
