"""The placeholders of a ready text: which answer of the incident goes where.

A text ready to send (the bank's recall request, the police summary) is written in a
playbook with ``{placeholders}``. Each one names something the incident knows, in the
playbook's own terms, so the code never names a plan's fact:

- ``{<fact id>}``: the answer to one of the playbook's facts, said as the evidence says it;
- ``{<fact id>.bank}``: the bank of an IBAN fact, read from the IBAN;
- ``{record.<record id>}``: what a step recorded (a case number, an assessment answer);
- ``{account.own}``, ``{account.receiving}`` (and ``.bank``): the IBAN fact the playbook
  marks with ``account: own`` / ``receiving``;
- ``{incident.<value>}``: what every incident has (``IncidentValue``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.playbook.models import FactSpec, Playbook

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
BANK = "bank"


class PlaceholderKind(StrEnum):
    FACT = "fact"  # {fact_id}
    FACT_BANK = "fact_bank"  # {fact_id.bank}
    RECORD = "record"  # {record.record_id}
    ACCOUNT = "account"  # {account.own}
    ACCOUNT_BANK = "account_bank"  # {account.receiving.bank}
    INCIDENT = "incident"  # {incident.reported_at}


class IncidentValue(StrEnum):
    """What every incident knows, whatever its plan."""

    ID = "id"
    ORGANISATION = "organisation"  # the organisation's configured name
    TITLE = "title"  # the kind of incident: the plan's title
    REPORTED_AT = "reported_at"
    REPORTER = "reporter"
    PEOPLE = "people"  # everyone who took part, the reporter first
    FACTS = "facts"  # every answered fact, one "label: answer" per line
    TIMELINE = "timeline"  # the report and each step done or skipped, with its time
    EVIDENCE = "evidence"  # the messages saved as evidence in Noodrem


class UnknownPlaceholder(ConfigError, ValueError):
    """A placeholder that names no fact, record, account or incident value of the plan."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One ``{...}`` of a text: ``raw`` as written, ``name`` the id it names."""

    raw: str
    kind: PlaceholderKind
    name: str


def placeholders_in(body: str) -> list[str]:
    """The placeholders of a text as written, in order, each once."""
    return list(dict.fromkeys(match.group(1) for match in PLACEHOLDER.finditer(body)))


def parse(raw: str, playbook: Playbook) -> Placeholder:
    """What ``raw`` names in ``playbook``; ``UnknownPlaceholder`` says what to write instead."""
    from bot.playbook.models import AccountRole, FactType  # models imports this module

    facts = {fact.id: fact for fact in playbook.facts}
    head, _, rest = raw.partition(".")
    if head == "incident":
        if rest in IncidentValue.__members__.values():
            return Placeholder(raw, PlaceholderKind.INCIDENT, rest)
        raise _unknown(raw, [f"incident.{value}" for value in IncidentValue])
    if head == "record":
        records = {record.id for step in playbook.steps for record in step.record}
        if rest in records:
            return Placeholder(raw, PlaceholderKind.RECORD, rest)
        raise _unknown(raw, sorted(f"record.{record}" for record in records))
    if head == "account":
        role, _, bank = rest.partition(".")
        if role in AccountRole.__members__.values() and bank in ("", BANK):
            kind = PlaceholderKind.ACCOUNT_BANK if bank else PlaceholderKind.ACCOUNT
            return Placeholder(raw, kind, role)
        raise _unknown(raw, [f"account.{r}{s}" for r in AccountRole for s in ("", ".bank")])
    fact = facts.get(head)
    if fact is None:
        raise _unknown(raw, _known(facts))
    if rest == "":
        return Placeholder(raw, PlaceholderKind.FACT, head)
    if rest == BANK and fact.type is FactType.IBAN:
        return Placeholder(raw, PlaceholderKind.FACT_BANK, head)
    if rest == BANK:
        raise UnknownPlaceholder(
            f'"{{{raw}}}": only an IBAN fact has a bank; "{head}" is a "{fact.type.value}" fact'
        )
    raise _unknown(raw, [head, *([f"{head}.bank"] if fact.type is FactType.IBAN else [])])


def _known(facts: Mapping[str, FactSpec]) -> list[str]:
    return [*facts, "record.<record id>", "account.own", "account.receiving", "incident.<value>"]


def _unknown(raw: str, allowed: list[str]) -> UnknownPlaceholder:
    close = difflib.get_close_matches(raw, allowed, n=1)
    hint = f'did you mean "{{{close[0]}}}"? ' if close else ""
    return UnknownPlaceholder(
        f'"{{{raw}}}" names nothing this playbook knows; {hint}use one of: {", ".join(allowed)}'
    )
