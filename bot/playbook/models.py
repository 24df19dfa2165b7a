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
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from bot.playbook import rules
from bot.playbook.contacts import ORG_CONTACT_IDS, OrgContactKind
from bot.playbook.duration import DURATION_EXAMPLES, Duration
from bot.playbook.errors import rule_error

SLUG_PATTERN = r"^[a-z][a-z0-9_]*$"
STEP_SLUG_PATTERN = r"^[a-z][a-z0-9-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL_PATTERN = r"^https?://\S+$"
MAX_ID = 64  # ids travel in buttons (bot/messages.py): bounded, so every button fits
MAX_TEXT_TITLE = 32  # with "📋 " in front it still fits a Teams button row of one at 360 px


Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=MAX_ID)]
StepSlug = Annotated[str, StringConstraints(pattern=STEP_SLUG_PATTERN, max_length=MAX_ID)]
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


class _Test(BaseModel):
    """A test on one answer: equal to a value, or one of several."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        json_schema_extra={"oneOf": [{"required": ["equals"]}, {"required": ["in"]}]},
    )

    equals: Text | None = None
    in_: tuple[Text, ...] | None = Field(None, alias="in", min_length=1)

    @property
    def values(self) -> tuple[str, ...]:
        """The answers for which the condition holds."""
        if self.equals is not None:
            return (self.equals,)
        return self.in_ or ()

    def _holds_for(self, answer: str | None) -> bool:
        return answer is None or answer in self.values

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Self:
        if self.equals is not None and self.in_ is not None:
            raise rule_error('give either "equals" or "in", not both')
        if self.equals is None and self.in_ is None:
            raise rule_error('give "equals" (one answer) or "in" (a list of answers)')
        return self


class FactCondition(_Test):
    """Show a step only for some answers to a fact. While the fact is unanswered the step
    is shown: showing a step too many is safer than hiding one."""

    fact: Slug

    def decide(self, answers: Mapping[str, str | None]) -> bool | None:
        """True or False once the fact is answered; None while it is not known yet."""
        answer = answers.get(self.fact)
        return None if answer is None else answer in self.values

    def holds(self, answers: Mapping[str, str | None]) -> bool:
        """Whether the step applies, given the answers so far (None: not known yet)."""
        return self.decide(answers) is not False


class _Combined(BaseModel):
    """What all, any and not share: a step applies unless the answers known so far rule
    it out, so an unanswered fact never hides a step."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data: object) -> object:
        if isinstance(data, Mapping):
            forms = [key for key in ("fact", "all", "any", "not") if key in data]
            if len(forms) > 1:
                raise rule_error(
                    f"one condition has {' and '.join(forms)}; a condition is either a test "
                    "on a fact or one of all/any/not: put the others inside it, e.g. "
                    "all: [{fact: a, equals: x}, {any: [...]}]",
                    forms[1],
                )
        return data

    def decide(self, answers: Mapping[str, str | None]) -> bool | None:
        raise NotImplementedError

    def holds(self, answers: Mapping[str, str | None]) -> bool:
        """Whether the step applies, given the answers so far (None: not known yet)."""
        return self.decide(answers) is not False

    def parts(self) -> tuple[tuple[tuple[str | int, ...], Condition], ...]:
        """The conditions inside, each with its place below this one (for error lines)."""
        raise NotImplementedError


class AllOf(_Combined):
    """Every condition in the list holds (and)."""

    all_: tuple[Condition, ...] = Field(alias="all", min_length=1)

    def decide(self, answers: Mapping[str, str | None]) -> bool | None:
        results = [part.decide(answers) for part in self.all_]
        if False in results:
            return False
        return None if None in results else True

    def parts(self) -> tuple[tuple[tuple[str | int, ...], Condition], ...]:
        return tuple((("all", index), part) for index, part in enumerate(self.all_))


class AnyOf(_Combined):
    """At least one condition in the list holds (or)."""

    any_: tuple[Condition, ...] = Field(alias="any", min_length=1)

    def decide(self, answers: Mapping[str, str | None]) -> bool | None:
        results = [part.decide(answers) for part in self.any_]
        if True in results:
            return True
        return None if None in results else False

    def parts(self) -> tuple[tuple[tuple[str | int, ...], Condition], ...]:
        return tuple((("any", index), part) for index, part in enumerate(self.any_))


class NotOf(_Combined):
    """The condition does not hold (not). While its facts are unanswered the step is
    shown, as with any other condition."""

    not_: Condition = Field(alias="not")

    def decide(self, answers: Mapping[str, str | None]) -> bool | None:
        result = self.not_.decide(answers)
        return None if result is None else not result

    def parts(self) -> tuple[tuple[tuple[str | int, ...], Condition], ...]:
        return ((("not",), self.not_),)


#: How a condition's form is told apart: by its one key (all, any, not) or else a test
#: on a fact. The tags are pydantic's names for the forms; they show up in error
#: locations, which the loader strips (see ``diagnostics``).
_FORMS: tuple[tuple[str, str], ...] = (("all", "<AllOf>"), ("any", "<AnyOf>"), ("not", "<NotOf>"))
CONDITION_TAGS: frozenset[str] = frozenset({"<FactCondition>", *(tag for _, tag in _FORMS)})


def _condition_form(value: object) -> str:
    if isinstance(value, BaseModel):
        return f"<{type(value).__name__}>"
    keys = value.keys() if isinstance(value, Mapping) else ()
    return next((tag for key, tag in _FORMS if key in keys), "<FactCondition>")


Condition = Annotated[
    Annotated[FactCondition, Tag("<FactCondition>")]
    | Annotated[AllOf, Tag("<AllOf>")]
    | Annotated[AnyOf, Tag("<AnyOf>")]
    | Annotated[NotOf, Tag("<NotOf>")],
    Discriminator(_condition_form),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class RecordCondition(_Test):
    """Ask a record only for some answers to an earlier record of the same step."""

    record: Slug

    def holds(self, answers: Mapping[str, str | None]) -> bool:
        return self._holds_for(answers.get(self.record) or None)


class _Answered(BaseModel):
    """What facts and records share: a type, and options for a choice."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "if": {"properties": {"type": {"const": "choice"}}, "required": ["type"]},
            "then": {"required": ["options"], "properties": {"options": {"minItems": 1}}},
            "else": {"properties": {"options": {"maxItems": 0}}},
        },
    )

    _noun: ClassVar[str] = "answer"

    id: Slug
    type: FactType
    options: tuple[Option, ...] = Field(
        (), description='The answers to choose from; only, and always, for type "choice".'
    )

    def option_ids(self) -> tuple[str, ...]:
        """The answers a condition may name; () when any answer goes."""
        if self.type is FactType.YES_NO:
            return ("yes", "no")
        return tuple(option.id for option in self.options)

    @model_validator(mode="after")
    def _options_match_type(self) -> Self:
        if self.type is FactType.CHOICE and not self.options:
            raise rule_error(f'a "choice" {self._noun} needs "options" to choose from')
        if self.type is not FactType.CHOICE and self.options:
            raise rule_error(
                f'only a "choice" {self._noun} has options; this {self._noun} is "{self.type}"',
                "options",
            )
        duplicate = _first_duplicate(option.id for option in self.options)
        if duplicate is not None:
            index, option_id = duplicate
            raise rule_error(f'option id "{option_id}" is used twice', "options", index, "id")
        return self


class AccountRole(StrEnum):
    """Which bank account an IBAN fact is: the reader of the evidence file asks for both."""

    OWN = "own"  # the victim's own account the money left from
    RECEIVING = "receiving"  # where the money went


class RegisterColumn(StrEnum):
    """Where a fact goes in the breach register: what happened, or when."""

    WHAT = "what"
    WHEN = "when"


class FactSpec(_Answered):
    """A fact asked up front. The answers go on the first page of the evidence file."""

    _noun: ClassVar[str] = "fact"
    type: FactType
    ask: LocalText
    hint: LocalText | None = None
    short: LocalText | None = Field(
        None,
        description="A short label for the evidence file and the breach register "
        '(e.g. "Bedrag" / "Amount"); the question itself when left out.',
    )
    first_page: bool = Field(
        True,
        description="The fact describes the incident: it is on the first page of the "
        "evidence file.",
    )
    breach_register: RegisterColumn | None = Field(
        None,
        description='The fact goes into the breach register: "what" (what happened) or '
        '"when" (when it happened); left out: not in the register.',
    )
    account: AccountRole | None = Field(
        None,
        description='An IBAN fact that names the organisation\'s "own" account or the '
        '"receiving" one: the first page of the evidence file shows it (and the receiving '
        "bank's name) under that heading.",
    )

    def label(self, lang: str) -> str:
        """The short label, or the question itself."""
        return self.short.get(lang) if self.short else self.ask.get(lang)


class ApState(StrEnum):
    """What was decided about notifying the AP (GDPR art. 33): the option ids of the record
    that answers the breach register's "decision". "Not yet" is always one of them."""

    NOTIFY_LATER = "notify_later"  # decided to notify, not done yet: the 72 h still run
    NOTIFIED = "notified"  # notified: the AP's number and the time
    PROVISIONAL = "provisional"  # a provisional notification (number, time), to be completed
    NOT_NOTIFYING = "not_notifying"  # decided not to notify: the reason is required

    @property
    def notified(self) -> bool:
        """The AP has a notification, complete or provisional."""
        return self in (ApState.NOTIFIED, ApState.PROVISIONAL)

    @property
    def closes_step(self) -> bool:
        """Only "not yet" leaves the step open, its deadline and reminders running."""
        return self is not ApState.NOTIFY_LATER


class BreachQuestion(StrEnum):
    """The questions of the breach register (GDPR art. 33(5)) a record can answer."""

    PERSONAL = "personal"  # could personal data be involved: yes / no / unknown
    WHICH_DATA = "which_data"
    WHOSE = "whose"
    HOW_MANY = "how_many"
    RISK = "risk"  # a choice: none / risk / high, or the plan's own options
    DECISION = "decision"  # a choice whose options are the ApState ids
    NOTIFICATION_NUMBER = "notification_number"
    NOTIFICATION_TIME = "notification_time"
    REASON_NOT_NOTIFIED = "reason_not_notified"
    PEOPLE_INFORMED = "people_informed"  # yes: the people themselves are told (art. 34)
    MEASURES = "measures"

    @property
    def required(self) -> bool:
        """Without these two a register entry says nothing: whether it is a breach of
        personal data, and whether it was reported."""
        return self in (BreachQuestion.PERSONAL, BreachQuestion.DECISION)

    @property
    def types(self) -> tuple[FactType, ...]:
        """The record types that can answer this question."""
        if self is BreachQuestion.DECISION:
            return (FactType.CHOICE,)
        if self is BreachQuestion.PEOPLE_INFORMED:
            return (FactType.YES_NO,)
        if self is BreachQuestion.PERSONAL:
            return (FactType.YES_NO, FactType.CHOICE)
        if self is BreachQuestion.RISK:
            return (FactType.CHOICE, FactType.TEXT)
        if self is BreachQuestion.NOTIFICATION_TIME:
            return (FactType.DATETIME,)
        return (FactType.TEXT,)


class RecordSpec(_Answered):
    """Something to write down when a step is done: a case number, or one answer of a
    guided assessment (typed, with options, asked only when an earlier answer says so)."""

    _noun: ClassVar[str] = "record"
    label: LocalText
    required: bool = True
    type: FactType = FactType.TEXT
    when: RecordCondition | None = Field(
        None, description="Ask only for some answers to an earlier record of this step."
    )


class ReadyText(BaseModel):
    """A text ready to send (the bank's recall request, the police summary, a warning to
    contacts), filled with the incident's answers when a step's button is pressed. In the
    body, {placeholders} name what goes where: {fact_id} (the answer to a fact),
    {fact_id.bank} (the bank of an IBAN fact), {record.record_id} (what a step recorded),
    {account.own} / {account.receiving} (and .bank: the IBAN facts marked with account:),
    or {incident.id|organisation|title|reported_at|reporter|people|facts|timeline|evidence}.
    What is not known yet is shown as such, never made up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: LocalText = Field(
        description=f'What it is, e.g. "Verzoek aan de bank": the label of its button, so at '
        f"most {MAX_TEXT_TITLE} characters (a longer one is cut on a phone)."
    )
    body: LocalText = Field(description="The text itself, with {placeholders}.")

    @model_validator(mode="after")
    def _short_title(self) -> Self:
        for lang in ("nl", "en"):
            title = getattr(self.title, lang)
            if len(title) > MAX_TEXT_TITLE:
                raise rule_error(
                    f"the title is the label of the text's button: at most {MAX_TEXT_TITLE} "
                    f'characters, so a phone shows it whole ("{title}" has {len(title)})',
                    "title",
                    lang,
                )
        return self


class RecallSpec(BaseModel):
    """The step that asks the bank to stop or recall a payment. After it is done, the
    person records what the bank said (asked to stop, stopped, recalled, returned, partly
    returned, refused, unknown), and until the money is back or lost they are asked again
    every ``check_in_every`` to ask their bank. The payment is made of the facts named here
    and the IBAN facts with ``account: own`` / ``receiving``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Slug = Field(description='The "money" fact with the amount paid.')
    paid: Slug | None = Field(None, description='The "datetime" fact: when it was paid.')
    payee: Slug | None = Field(
        None, description='The "text" fact with the name on the receiving account.'
    )
    case_number: Slug | None = Field(
        None, description="The record of this step that holds the bank's case number."
    )
    check_in_every: Duration = Field(
        description="How often to ask for the recall status until it is settled, e.g. 2d."
    )


class Contact(BaseModel):
    """Someone to call or write to: shown on the steps that name it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: LocalText
    phone: Text | None = None
    email: Annotated[str, StringConstraints(pattern=EMAIL_PATTERN)] | None = None
    url: Annotated[str, StringConstraints(pattern=URL_PATTERN)] | None = None
    note: LocalText | None = None


class HandoffTarget(StrEnum):
    """Whom a step can hand the incident to: of the organisation's own contacts, only the
    one whose mail or webhook it configures for that (not the bank)."""

    IT_PROVIDER = OrgContactKind.IT_PROVIDER.value

    @property
    def contact(self) -> OrgContactKind:
        return OrgContactKind(self.value)


class Handoff(BaseModel):
    """Hand the incident to someone outside: by e-mail and/or a signed webhook, as the
    organisation config says, with the incident's facts and this checklist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: HandoffTarget = Field(
        HandoffTarget.IT_PROVIDER,
        description="The organisation contact that gets the incident (it_provider).",
    )
    checklist: tuple[LocalText, ...] = Field(
        min_length=1,
        description="What they are asked to check or do, one item each (sent with the facts).",
    )


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
    handoff: Handoff | None = Field(
        None,
        description="The step can hand the incident to the organisation's IT provider "
        "(its e-mail and/or webhook in the organisation config), with the facts and a "
        "checklist; their acknowledgement is recorded on the timeline.",
    )
    when: Condition | None = Field(
        None,
        description="When the step applies: a test on one fact ({fact: x, equals: a} or "
        "{fact: x, in: [a, b]}), or all: / any: (a list of conditions), or not: (one "
        "condition). While a fact is unanswered the step is shown.",
    )
    after: tuple[StepSlug, ...] = Field(
        (), description="Step ids that must be closed before this step is offered."
    )
    remind_before: tuple[Duration, ...] = Field(
        (),
        description="Remind the owner this long before the deadline, e.g. [48h, 24h, 4h] "
        "(default: 5m for a deadline within the hour, else 30m).",
    )
    urgent: bool = Field(
        False,
        description="Shown the moment the incident opens, before any question: the action "
        "whose minutes decide the outcome (call the bank). The facts are asked after it.",
    )
    shows: tuple[Slug, ...] = Field(
        (),
        description="Fact ids whose answers are shown on this step's card once known, so "
        "the person on the phone does not have to scroll for them.",
    )
    texts: tuple[StepSlug, ...] = Field(
        (),
        description="Ids of the playbook's texts this step offers, one button each, e.g. "
        "[bank-recall-request].",
    )
    breach_assessment: bool = Field(
        False,
        description="The records are the data-breach assessment (GDPR art. 33): they go into "
        "the breach register, and completing it late asks for the reason of the delay.",
    )
    recall: RecallSpec | None = Field(
        None,
        description="This step asks the bank to stop or recall a payment: afterwards the "
        "recall status is recorded and checked in on until the money is back or lost.",
    )
    breach_register: dict[BreachQuestion, Slug] = Field(
        default_factory=dict,
        description="Only with breach_assessment: which record answers each question of the "
        "breach register, e.g. {personal: data_seen, decision: report_to_ap}. personal and "
        "decision are required; a question left out reads as empty.",
        json_schema_extra={"additionalProperties": {"type": "string", "pattern": SLUG_PATTERN}},
    )

    @model_validator(mode="after")
    def _handoff_names_its_contact(self) -> Self:
        if self.handoff is not None and self.handoff.to.value not in self.contacts:
            raise rule_error(
                f'a hand-off to "{self.handoff.to}" needs "{self.handoff.to}" in the '
                "step's contacts, so the card says who gets it",
                "handoff",
                "to",
            )
        return self

    @model_validator(mode="after")
    def _unique_records(self) -> Self:
        duplicate = _first_duplicate(record.id for record in self.record)
        if duplicate is not None:
            index, record_id = duplicate
            raise rule_error(f'record id "{record_id}" is used twice', "record", index, "id")
        return self


FOLLOW_UP_DUE = timedelta(days=30)
FOLLOW_UP_REMIND = timedelta(days=7)


class FollowUpSpec(BaseModel):
    """A prevention measure the plan proposes when the incident is closed (four-eyes
    approval of payments, calling back on a known number, ...). It gets an owner (the
    incident lead, until someone assigns it) and a due date counted from the close, and
    its owner is reminded, though the incident is closed, until it is marked done. When
    two plans of one incident propose the same id, the incident gets it once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StepSlug
    title: LocalText
    do: LocalText = Field(description="What to put in place, in short concrete sentences.")
    why: LocalText = Field(description="What it prevents, so nobody shelves it.")
    due: Duration = Field(FOLLOW_UP_DUE, description="Due this long after the close (default 30d).")
    remind_before: tuple[Duration, ...] = Field(
        (FOLLOW_UP_REMIND,),
        description="Remind the owner this long before the due date (default [7d]); the "
        "owner is reminded at the due date too.",
    )


class Carry(BaseModel):
    """An answer taken along when the incident moves to another plan whose fact has a
    different id or other answers. Facts with the same id in both plans need no carry:
    an incident keeps one answer per fact id."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)

    from_: Slug = Field(alias="from", description="A fact of this plan.")
    to: Slug = Field(description="The fact of the other plan that gets its answer.")
    values: dict[Slug, Slug] = Field(
        default_factory=dict,
        description="For a choice or yes/no: this plan's answer -> the other plan's answer. "
        "An answer left out is not carried (the other plan asks it).",
        json_schema_extra={"additionalProperties": {"type": "string", "pattern": SLUG_PATTERN}},
    )


class MoveKind(StrEnum):
    """What a move does to the incident."""

    SWITCH = "switch"  # the incident continues under the other plan; this one stops
    ADD = "add"  # the other plan runs alongside this one, in the same incident


class PlanMove(BaseModel):
    """Once the answers make ``when`` true, the incident switches to another plan (an
    attempt that turns out paid) or adds one (the mailbox itself is hacked). Same incident
    number and timeline; the other plan's deadlines count from that moment."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"oneOf": [{"required": ["switch_to"]}, {"required": ["add"]}]},
    )

    when: Condition = Field(description="The answers that make the move, as a step's when.")
    switch_to: StepSlug | None = Field(None, description="The plan the incident switches to.")
    add: StepSlug | None = Field(None, description="The plan added to the incident.")
    because: LocalText = Field(
        description="Why, in a few words: said in the chat and on the timeline "
        '(e.g. "Er is toch al betaald" / "Money has gone after all").'
    )
    carry: tuple[Carry, ...] = ()

    @property
    def kind(self) -> MoveKind:
        return MoveKind.SWITCH if self.switch_to is not None else MoveKind.ADD

    @property
    def target(self) -> str:
        return self.switch_to or self.add or ""

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.switch_to is None) == (self.add is None):
            raise rule_error('give either "switch_to" (a plan id) or "add" (a plan id)')
        return self


class Playbook(BaseModel):
    """A playbook: the facts to ask and the steps to take for one kind of incident."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StepSlug = Field(description="Same as the file name without .yaml.")
    version: int = Field(1, ge=1)
    title: LocalText
    summary: LocalText
    menu_position: int = Field(
        100,
        ge=0,
        description='Place in the "what happened?" menu of all plans: lower comes first. '
        "Put the situations where minutes count (money already gone) at the top.",
    )
    triggers: Triggers = Field(description="Phrases that start this playbook, per language.")
    facts: tuple[FactSpec, ...]
    steps: tuple[StepSpec, ...] = Field(min_length=1)
    contacts: dict[Slug, Contact] = Field(
        default_factory=dict, json_schema_extra={"additionalProperties": False}
    )
    texts: dict[StepSlug, ReadyText] = Field(
        default_factory=dict,
        description="Texts ready to send, by id; a step offers them with texts: [id].",
        json_schema_extra={"additionalProperties": False},
    )
    further_reporting: tuple[Slug, ...] = Field(
        (), description="Contact ids to report to once the first hour is over."
    )
    closing: LocalText | None = None
    facts_heading: LocalText | None = Field(
        None,
        description="Heading of the facts on the first page of the evidence file "
        '(default: "Gegevens van het incident" / "Details of the incident").',
    )
    moves: tuple[PlanMove, ...] = Field(
        (),
        description="When the answers show the incident is another situation: switch to "
        "another plan, or add one to run alongside.",
    )
    follow_ups: tuple[FollowUpSpec, ...] = Field(
        (),
        description="What to put in place afterwards so it does not happen again: proposed "
        "when the incident is closed, each with an owner and a due date.",
    )

    def breach_step(self) -> StepSpec | None:
        """The step whose records are the breach assessment, if the playbook has one."""
        return next((step for step in self.steps if step.breach_assessment), None)

    def recall_step(self) -> StepSpec | None:
        """The step that opens the recall of the payment, if the playbook has one."""
        return next((step for step in self.steps if step.recall is not None), None)

    def account_fact(self, role: AccountRole) -> FactSpec | None:
        """The IBAN fact that names the own or the receiving account, if any."""
        return next((fact for fact in self.facts if fact.account is role), None)

    def follow_up(self, follow_up_id: str) -> FollowUpSpec:
        for follow_up in self.follow_ups:
            if follow_up.id == follow_up_id:
                return follow_up
        raise KeyError(follow_up_id)

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
            ("follow_ups", [follow_up.id for follow_up in self.follow_ups]),
        ):
            duplicate = _first_duplicate(ids)
            if duplicate is not None:
                index, item_id = duplicate
                noun = "follow-up" if field == "follow_ups" else field[:-1]
                raise rule_error(f'duplicate {noun} id "{item_id}"', field, index, "id")
        for contact_id in self.contacts:
            if contact_id in ORG_CONTACT_IDS:
                raise rule_error(
                    f'"{contact_id}" comes from the organisation config; do not define it here',
                    "contacts",
                    contact_id,
                )
        rules.check_references(self)
        return self
