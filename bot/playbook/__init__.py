"""Playbooks: YAML files in ``playbooks/`` loaded into frozen, validated models.

A broken playbook is refused with a ``PlaybookError`` naming the file, the line and what
is wrong; see ``docs/playbooks.md`` for how to write one.
"""

from __future__ import annotations

from bot.playbook.contacts import ORG_CONTACT_IDS, OrgContactKind
from bot.playbook.errors import PlaybookError
from bot.playbook.loader import load_playbook, load_playbooks, playbook_files, validate_paths
from bot.playbook.models import (
    AccountRole,
    AllOf,
    AnyOf,
    ApState,
    BreachQuestion,
    Condition,
    Contact,
    FactCondition,
    FactSpec,
    FactType,
    FollowUpSpec,
    Handoff,
    HandoffTarget,
    LocalText,
    NotOf,
    Option,
    Owner,
    Playbook,
    RecallSpec,
    RecordSpec,
    RegisterColumn,
    StepSpec,
)
from bot.playbook.schema import playbook_json_schema

__all__ = [
    "ORG_CONTACT_IDS",
    "AccountRole",
    "AllOf",
    "AnyOf",
    "ApState",
    "BreachQuestion",
    "Condition",
    "Contact",
    "FactCondition",
    "FactSpec",
    "FactType",
    "FollowUpSpec",
    "Handoff",
    "HandoffTarget",
    "LocalText",
    "NotOf",
    "Option",
    "OrgContactKind",
    "Owner",
    "Playbook",
    "PlaybookError",
    "RecallSpec",
    "RecordSpec",
    "RegisterColumn",
    "StepSpec",
    "load_playbook",
    "load_playbooks",
    "playbook_files",
    "playbook_json_schema",
    "validate_paths",
]
