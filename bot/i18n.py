"""Every fixed sentence Noodrem says, one file per language: ``bot/locales/<code>.toml``.

Playbook texts come from the playbooks; these are Noodrem's own words: the chat's (keys
before the first table), the evidence file's (``evidence.``), the adapters' (``teams.``,
``slack.``), the answer parsers' (``answers.``), country and calendar names. The files are
read and checked (``bot.catalogue``) once, when the first text is needed, and kept; a
missing translation is a test failure rather than a surprise in a crisis.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from bot.messages import Lang

if TYPE_CHECKING:
    from bot.catalogue import Catalogue


@cache
def catalogue() -> Catalogue:
    """The catalogue of ``bot/locales``, read and checked on first use."""
    from bot.catalogue import LOCALES, load  # not at start: a start that says nothing skips it

    return load(LOCALES)


def t(key: str, lang: Lang | str, **values: Any) -> str:
    """The text for ``key`` in ``lang`` (Dutch when the language is unknown)."""
    template = catalogue().template(key, lang)
    return template.format(**values) if values else template


def has(key: str) -> bool:
    """Whether the catalogue has ``key`` (for texts named after an open set, e.g. a status)."""
    return catalogue().has(key)
