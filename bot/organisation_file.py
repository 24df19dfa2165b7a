"""The organisation file: YAML with a list ``organisations``, read for an import or a seed.

The organisations live in the store (``bot/organisation_store.py``); this file is how they
get there, checked in full before anything is written. Every error names the file and the
line, and the key, like ``organisation.yaml:14: organisations[0].timezone: ...``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.organisation import DEFAULT_ORGANISATION, Organisation, OrganisationError, Organisations


def read_organisation_file(path: Path) -> list[Organisation]:
    """Every organisation of the file, validated; ``OrganisationError`` at the first fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrganisationError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise OrganisationError(f"{path}: not UTF-8 text") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise OrganisationError(f"{path}{where}: not valid YAML") from None
    if not isinstance(raw, Mapping) or "organisations" not in raw:
        raise OrganisationError(f"{path}: expected a mapping with the key 'organisations'")
    items = raw["organisations"]
    if not isinstance(items, list):
        raise OrganisationError(f"{path}: 'organisations' must be a list")
    organisations = []
    for index, item in enumerate(items):
        try:
            organisations.append(Organisation.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ("organisations", index, *first["loc"])
            where = ".".join(str(part) for part in first["loc"])
            raise OrganisationError(
                f"{path}:{_line(node, loc)}: organisations[{index}].{where}: {first['msg']}"
            ) from None
    try:
        check_together(organisations)
    except OrganisationError as exc:
        raise OrganisationError(f"{path}: {exc}") from None
    return organisations


def load_organisations(path: Path | None) -> Organisations:
    """The file's organisations as a set; without a file, one default organisation."""
    if path is None:
        return Organisations([DEFAULT_ORGANISATION])
    return Organisations(read_organisation_file(path))


def check_together(organisations: Sequence[Organisation]) -> None:
    """What no single organisation can get wrong on its own: an id twice, or a workspace,
    tenant or sign-in address claimed by two (its people would see the first one's data)."""
    ids = [o.id for o in organisations]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise OrganisationError(f"duplicate organisation id {', '.join(duplicates)}")
    owner: dict[tuple[str, str], str] = {}
    for org in organisations:
        claims = [("slack_team_ids", team) for team in org.slack_team_ids]
        claims += [("teams_tenant_ids", tenant) for tenant in org.teams_tenant_ids]
        if org.sign_in is not None:
            claims += [("sign_in.email_domains", d) for d in org.sign_in.email_domains]
            claims += [("sign_in.emails", e) for e in org.sign_in.emails]
        for claim in claims:
            first = owner.setdefault(claim, org.id)
            if first != org.id:
                key, value = claim
                raise OrganisationError(
                    f"{key} {value} is listed by both {first} and {org.id}: "
                    "each may belong to one organisation only"
                )


def document(organisation: Organisation) -> dict[str, Any]:
    """The organisation as the JSON document the store keeps: what was written (defaults
    left out, so a later release's default applies), checked to read back the same."""
    doc = organisation.model_dump(mode="json", exclude_unset=True)
    if Organisation.model_validate(doc) != organisation:
        raise OrganisationError(f"{organisation.id}: does not survive storing as JSON")
    return doc


def _line(node: yaml.Node | None, loc: Sequence[str | int]) -> int:
    """The line of the deepest node on ``loc`` that exists (a missing key: its mapping)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line
