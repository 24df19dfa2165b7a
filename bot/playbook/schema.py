"""The JSON Schema of the YAML form of a playbook, for editors and for ``schema.json``.

Draft-07 is declared because it is what the editors' YAML tooling (yaml-language-server,
used by VS Code's YAML extension) fully supports; the schema uses nothing newer, and its
shared parts live under ``definitions`` where draft-07 expects them. Regenerate the
committed copy with ``python -m bot.playbook > playbooks/schema.json``.
"""

from __future__ import annotations

import json
from typing import Any

from bot.playbook.models import Playbook

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def playbook_json_schema() -> dict[str, Any]:
    """A fresh copy each call, so a caller may change it freely."""
    schema = Playbook.model_json_schema(by_alias=True, ref_template="#/definitions/{model}")
    definitions = schema.pop("$defs", {})
    return {"$schema": DRAFT_07, **schema, "definitions": definitions}


def render_json_schema() -> str:
    """The exact text of ``playbooks/schema.json``."""
    return json.dumps(playbook_json_schema(), indent=2, ensure_ascii=False) + "\n"
