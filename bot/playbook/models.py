"""What a playbook may say, as frozen pydantic models checked once at load time.

Every model forbids unknown keys, so a typo in a YAML file is an error instead of a
setting that is silently ignored. Rules that span several parts of a playbook (ids that
must exist, steps that must not wait for each other in a circle) live on ``Playbook``
itself, so a playbook built in Python is held to them too. Class docstrings and field
descriptions end up in ``playbooks/schema.json``, where an editor shows them to the
person writing a playbook: they are written for that person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.playbook.duration import DURATION_EXAMPLES, Duration

#: Contacts every organisation configures itself (its own bank, its own IT provider);
#: a playbook may name them without defining them.
ORG_CONTACT_IDS: frozenset[str] = frozenset({"bank", "it_provider"})

#: Error type of a broken cross-reference rule; its context carries ``at``, the location
#: of the offending item below the model that raised it, so the loader can name its line.
RULE_ERROR = "playbook_rule"

SLUG_PATTERN = r"^[a-z][a-z0-9_]*$"
STEP_SLUG_PATTERN = r"^[a-z][a-z0-9-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL_PATTERN = r"^https?://\S+$"


def rule_error(message: str, *at: str | int) -> PydanticCustomError:
    """A broken playbook rule found at ``at``, relative to the model being validated."""
    return PydanticCustomError(RULE_ERROR, "{message}", {"message": message, "at": at})


Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
StepSlug = Annotated[str, StringConstraints(pattern=STEP_SLUG_PATTERN)]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    WithJsonSchema({"type": "string", "pattern": r"\S"}),
]
_TRIGGER_LIST = {"type": "array", "items": {"type": "string", "pattern": r"\S"}, "minItems": 1}
Triggers = Annotated[
    dict[Literal["nl", "en"], tuple[Text, ...]],
    WithJsonSchema(
        {
            "type": "object",
            "properties": {"nl": _TRIGGER_LIST, "en": _TRIGGER_LIST},
            "required": ["nl", "en"],
            "additionalProperties": False,
        }
    ),
]


def _first_duplicate(ids: Iterable[str]) -> tuple[int, str] | None:
    """Position and value of the first id seen before, so the error points at the copy."""
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            return index, value
        seen.add(value)
    return None


class LocalText(BaseModel):
    """A text in Dutch (nl) and English (en); both are required, so a reader never gets a
    mix of languages in the middle of an incident."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nl: Text
    en: Text

    def get(self, lang: str) -> str:
        """The English text for "en" or an English tag like "en-GB"; Dutch otherwise,
        Dutch being the product's first language."""
        return self.en if lang.lower().startswith("en") else self.nl


class FactType(StrEnum):
    TEXT = "text"
    MONEY = "money"
    DATETIME = "datetime"
    IBAN = "iban"
    CHOICE = "choice"
    YES_NO = "yes_no"


class Owner(StrEnum):
    """Who a step's reminders go to: the person who reported the incident, the incident
    lead, or the incident's manager."""

    REPORTER = "reporter"
    LEAD = "lead"
    MANAGER = "manager"


class Option(BaseModel):
    """One answer of a choice fact; the id is what conditions compare with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    label: LocalText


class FactSpec(BaseModel):
    """A fact asked up front. The answers go on the first page of the evidence file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "if": {"properties": {"type": {"const": "choice"}}, "required": ["type"]},
            "then": {"required": ["options"], "properties": {"options": {"minItems": 1}}},
            "else": {"properties": {"options": {"maxItems": 0}}},
        },
    )

    id: Slug
    type: FactType
    ask: LocalText
    hint: LocalText | None = None
    options: tuple[Option, ...] = Field(
        (), description='The answers to choose from; only, and always, for type "choice".'
    )

    def option_ids(self) -> tuple[str, ...]:
        """The answers a condition on this fact may name; () when any answer goes."""
        if self.type is FactType.YES_NO:
            return ("yes", "no")
        return tuple(option.id for option in self.options)

    @model_validator(mode="after")
    def _options_match_type(self) -> Self:
        if self.type is FactType.CHOICE and not self.options:
            raise rule_error('a "choice" fact needs "options" to choose from')
        if self.type is not FactType.CHOICE and self.options:
            raise rule_error(
                f'only a "choice" fact has options; this fact is "{self.type}"', "options"
            )
        duplicate = _first_duplicate(option.id for option in self.options)
        if duplicate is not None:
            index, option_id = duplicate
            raise rule_error(f'option id "{option_id}" is used twice', "options", index, "id")
        return self


class RecordSpec(BaseModel):
    """Something to write down when a step is done, such as a case number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    label: LocalText
    required: bool = True


class Condition(BaseModel):
    """Show a step only for some answers to a fact. While the fact is unanswered the step
    is shown: showing a step too many is safer than hiding one."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        json_schema_extra={"oneOf": [{"required": ["equals"]}, {"required": ["in"]}]},
    )

    fact: Slug
    equals: Text | None = None
    in_: tuple[Text, ...] | None = Field(None, alias="in", min_length=1)

    @property
    def values(self) -> tuple[str, ...]:
        """The answers for which the condition holds."""
        if self.equals is not None:
            return (self.equals,)
        return self.in_ or ()

    def holds(self, answers: Mapping[str, str | None]) -> bool:
        """Whether the step applies, given the answers so far (None: not known yet)."""
        answer = answers.get(self.fact)
        return answer is None or answer in self.values

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Self:
        if self.equals is not None and self.in_ is not None:
            raise rule_error('give either "equals" or "in", not both')
        if self.equals is None and self.in_ is None:
            raise rule_error('give "equals" (one answer) or "in" (a list of answers)')
        return self


class Contact(BaseModel):
    """Someone to call or write to: shown on the steps that name it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: LocalText
    phone: Text | None = None
    email: Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)] | None = None
    url: Annotated[str, StringConstraints(pattern=URL_PATTERN)] | None = None
    note: LocalText | None = None


class StepSpec(BaseModel):
    """One thing to do, with a deadline counted from the moment the incident was reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StepSlug
    title: LocalText
    do: LocalText = Field(description="What to do, in short concrete sentences.")
    why: LocalText = Field(description="Why it matters, so nobody skips it.")
    have_ready: tuple[LocalText, ...] = ()
    help: LocalText | None = Field(None, description="Longer explanation behind the Help button.")
    due: Duration = Field(description=f"Deadline after the report, e.g. {DURATION_EXAMPLES}.")
    owner: Owner = Owner.REPORTER
    contacts: tuple[Slug, ...] = Field(
        (), description="Contact ids: keys of the playbook's contacts, or bank / it_provider."
    )
    record: tuple[RecordSpec, ...] = ()
    when: Condition | None = None
    after: tuple[StepSlug, ...] = Field(
        (), description="Step ids that must be closed before this step is offered."
    )

    @model_validator(mode="after")
    def _unique_records(self) -> Self:
        duplicate = _first_duplicate(record.id for record in self.record)
        if duplicate is not None:
            index, record_id = duplicate
            raise rule_error(f'record id "{record_id}" is used twice', "record", index, "id")
        return self


class Playbook(BaseModel):
    """A playbook: the facts to ask and the steps to take for one kind of incident."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StepSlug = Field(description="Same as the file name without .yaml.")
    version: int = Field(1, ge=1)
    title: LocalText
    summary: LocalText
    triggers: Triggers = Field(description="Phrases that start this playbook, per language.")
    facts: tuple[FactSpec, ...]
    steps: tuple[StepSpec, ...] = Field(min_length=1)
    contacts: dict[Slug, Contact] = Field(
        default_factory=dict, json_schema_extra={"additionalProperties": False}
    )
    further_reporting: tuple[Slug, ...] = Field(
        (), description="Contact ids to report to once the first hour is over."
    )
    closing: LocalText | None = None

    def step(self, step_id: str) -> StepSpec:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def fact(self, fact_id: str) -> FactSpec:
        for fact in self.facts:
            if fact.id == fact_id:
                return fact
        raise KeyError(fact_id)

    @field_validator("triggers")
    @classmethod
    def _both_languages(
        cls, triggers: dict[Literal["nl", "en"], tuple[str, ...]]
    ) -> dict[Literal["nl", "en"], tuple[str, ...]]:
        for lang in ("nl", "en"):
            if lang not in triggers:
                raise rule_error(f'"{lang}" triggers are missing; give both nl and en')
            if not triggers[lang]:
                raise rule_error(f'"{lang}" has no triggers; give at least one', lang)
        return triggers

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        for field, ids in (
            ("facts", [fact.id for fact in self.facts]),
            ("steps", [step.id for step in self.steps]),
        ):
            duplicate = _first_duplicate(ids)
            if duplicate is not None:
                index, item_id = duplicate
                raise rule_error(f'duplicate {field[:-1]} id "{item_id}"', field, index, "id")
        for contact_id in self.contacts:
            if contact_id in ORG_CONTACT_IDS:
                raise rule_error(
                    f'"{contact_id}" comes from the organisation config; do not define it here',
                    "contacts",
                    contact_id,
                )
        for index, step in enumerate(self.steps):
            self._check_step(index, step)
        self._check_contacts(self.further_reporting, "further_reporting")
        self._check_no_cycle()
        return self

    def _check_step(self, index: int, step: StepSpec) -> None:
        self._check_contacts(step.contacts, "steps", index, "contacts")
        if step.when is not None:
            known = {fact.id: fact for fact in self.facts}
            fact = known.get(step.when.fact)
            if fact is None:
                raise rule_error(
                    f'"when" names fact "{step.when.fact}", which is not among the facts'
                    f" ({', '.join(known) or 'there are none'})",
                    "steps",
                    index,
                    "when",
                    "fact",
                )
            allowed = fact.option_ids()
            key = "equals" if step.when.equals is not None else "in"
            for value in step.when.values:
                if allowed and value not in allowed:
                    raise rule_error(
                        f'"{value}" is not an answer of fact "{fact.id}"; '
                        f"use one of: {', '.join(allowed)}",
                        "steps",
                        index,
                        "when",
                        key,
                    )
        step_ids = {other.id for other in self.steps}
        for position, other in enumerate(step.after):
            at = ("steps", index, "after", position)
            if other == step.id:
                raise rule_error(f'step "{step.id}" cannot wait for itself', *at)
            if other not in step_ids:
                raise rule_error(f'"after" names step "{other}", which does not exist', *at)

    def _check_contacts(self, ids: tuple[str, ...], *at: str | int) -> None:
        for position, contact_id in enumerate(ids):
            if contact_id not in self.contacts and contact_id not in ORG_CONTACT_IDS:
                known = ", ".join(sorted({*self.contacts, *ORG_CONTACT_IDS}))
                raise rule_error(
                    f'unknown contact "{contact_id}"; use one of: {known}', *at, position
                )

    def _check_no_cycle(self) -> None:
        """Steps waiting for each other in a circle would never be offered."""
        index = {step.id: position for position, step in enumerate(self.steps)}
        waits_for = {step.id: step.after for step in self.steps}
        done: set[str] = set()

        def visit(step_id: str, trail: list[str]) -> list[str] | None:
            if step_id in trail:
                return [*trail[trail.index(step_id) :], step_id]
            if step_id in done:
                return None
            for other in waits_for[step_id]:
                cycle = visit(other, [*trail, step_id])
                if cycle is not None:
                    return cycle
            done.add(step_id)
            return None

        for step in self.steps:
            cycle = visit(step.id, [])
            if cycle is not None:
                start = min(cycle[:-1], key=index.__getitem__)
                turn = cycle.index(start)
                ordered = [*cycle[turn:-1], *cycle[:turn], start]
                raise rule_error(
                    f"steps wait for each other in a circle: {' -> '.join(ordered)}",
                    "steps",
                    index[start],
                    "after",
                )
