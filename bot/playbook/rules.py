"""Rules that span several parts of a playbook: ids that must exist, answers a condition
may name, steps that must not wait for each other in a circle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

from bot.playbook.contacts import ORG_CONTACT_IDS
from bot.playbook.duration import format_duration
from bot.playbook.errors import rule_error
from bot.playbook.placeholders import UnknownPlaceholder, parse, placeholders_in

if TYPE_CHECKING:
    from bot.playbook.models import Condition, FactSpec, PlanMove, Playbook, StepSpec


def check_references(playbook: Playbook) -> None:
    for index, step in enumerate(playbook.steps):
        _check_step(playbook, index, step)
        _check_records(index, step)
        _check_register(index, step)
        _check_recall(playbook, index, step)
    _check_contacts(playbook, playbook.further_reporting, "further_reporting")
    _check_texts(playbook)
    _check_no_cycle(playbook)
    for index, move in enumerate(playbook.moves):
        _check_move(playbook, index, move)


def _check_step(playbook: Playbook, index: int, step: StepSpec) -> None:
    _check_contacts(playbook, step.contacts, "steps", index, "contacts")
    if step.when is not None:
        _check_condition(playbook, step.when, "steps", index, "when")
    fact_ids = [fact.id for fact in playbook.facts]
    for position, fact_id in enumerate(step.shows):
        if fact_id not in fact_ids:
            raise _no_such_fact("shows", fact_id, fact_ids, "steps", index, "shows", position)
    if step.urgent and (step.after or step.when is not None):
        raise rule_error(
            "an urgent step is shown before any question is asked, so it cannot wait for "
            'another step ("after") or depend on a fact ("when")',
            "steps",
            index,
            "urgent",
        )
    step_ids = {other.id for other in playbook.steps}
    for position, other in enumerate(step.after):
        at = ("steps", index, "after", position)
        if other == step.id:
            raise rule_error(f'step "{step.id}" cannot wait for itself', *at)
        if other not in step_ids:
            raise rule_error(f'"after" names step "{other}", which does not exist', *at)
    for position, lead in enumerate(step.remind_before):
        if lead >= step.due:
            raise rule_error(
                f"a reminder {format_duration(lead)} before the deadline would come before "
                f"the report (the deadline is {format_duration(step.due)} after it)",
                "steps",
                index,
                "remind_before",
                position,
            )


def _check_condition(playbook: Playbook, condition: Condition, *at: str | int) -> None:
    """Every test inside a condition names a fact of the playbook, by one of its answers."""
    from bot.playbook.models import FactCondition  # models imports this module

    if not isinstance(condition, FactCondition):
        for place, part in condition.parts():
            _check_condition(playbook, part, *at, *place)
        return
    known = {fact.id: fact for fact in playbook.facts}
    fact = known.get(condition.fact)
    if fact is None:
        raise _no_such_fact("when", condition.fact, known, *at, "fact")
    _check_values(
        condition.values,
        fact.option_ids(),
        f'fact "{fact.id}"',
        *at,
        "equals" if condition.equals else "in",
    )


def _check_records(index: int, step: StepSpec) -> None:
    """A record's condition names an earlier record of the same step, by one of its answers."""
    earlier: dict[str, tuple[str, ...]] = {}
    for position, record in enumerate(step.record):
        if record.when is not None:
            at = ("steps", index, "record", position, "when")
            if record.when.record not in earlier:
                raise rule_error(
                    f'"when" names record "{record.when.record}", which is not an earlier '
                    f"record of this step ({', '.join(earlier) or 'there are none'})",
                    *at,
                    "record",
                )
            _check_values(
                record.when.values,
                earlier[record.when.record],
                f'record "{record.when.record}"',
                *at,
                "equals" if record.when.equals else "in",
            )
        earlier[record.id] = record.option_ids()


def _check_values(
    values: tuple[str, ...], allowed: tuple[str, ...], what: str, *at: str | int
) -> None:
    for value in values:
        if allowed and value not in allowed:
            raise rule_error(
                f'"{value}" is not an answer of {what}; use one of: {", ".join(allowed)}', *at
            )


def _check_register(index: int, step: StepSpec) -> None:
    """A breach assessment names the records the register reads, each of a fitting type."""
    from bot.playbook.models import (  # models imports this module
        ApState,
        BreachQuestion,
        FactType,
    )

    at = ("steps", index)
    if not step.breach_assessment:
        if step.breach_register:
            raise rule_error(
                '"breach_register" is only for a step with "breach_assessment: true"',
                *at,
                "breach_register",
            )
        return
    records = {record.id: record for record in step.record}
    for question in BreachQuestion:
        if question.required and question not in step.breach_register:
            raise rule_error(
                f'a breach assessment must say which record answers "{question.value}": '
                f"add breach_register: {{{question.value}: <record id>}}",
                *at,
                "breach_assessment",
            )
    for question, record_id in step.breach_register.items():
        where = (*at, "breach_register", question.value)
        record = records.get(record_id)
        if record is None:
            raise rule_error(
                f'"breach_register" names record "{record_id}", which is not a record of this'
                f" step ({', '.join(records) or 'it has none'})",
                *where,
            )
        if record.type not in question.types:
            allowed = " or ".join(f'"{t.value}"' for t in question.types)
            raise rule_error(
                f'record "{record_id}" is "{record.type.value}", but "{question.value}" needs '
                f"a {allowed} record",
                *where,
            )
        if question is BreachQuestion.PERSONAL and record.type is FactType.CHOICE:
            missing = {"yes", "no"} - set(record.option_ids())
            if missing:
                raise rule_error(
                    f'record "{record_id}" answers "personal", so its options need the ids '
                    f'"yes" and "no" (missing: {", ".join(sorted(missing))})',
                    *where,
                )
        if question is BreachQuestion.DECISION:
            wanted, given = {state.value for state in ApState}, set(record.option_ids())
            if wanted != given:
                raise rule_error(
                    f'record "{record_id}" answers "decision", so its options are exactly the '
                    f"ids {', '.join(state.value for state in ApState)} (missing: "
                    f"{', '.join(sorted(wanted - given)) or 'none'}; unknown: "
                    f"{', '.join(sorted(given - wanted)) or 'none'})",
                    *where,
                )


def _check_texts(playbook: Playbook) -> None:
    """Every text a step offers exists, every text is offered by a step (else it could
    never be shown), and every placeholder names something the incident can know."""
    offered: set[str] = set()
    for index, step in enumerate(playbook.steps):
        for position, text_id in enumerate(step.texts):
            if text_id not in playbook.texts:
                raise rule_error(
                    f'"texts" names text "{text_id}", which is not among the playbook\'s texts'
                    f" ({', '.join(playbook.texts) or 'there are none'})",
                    "steps",
                    index,
                    "texts",
                    position,
                )
            offered.add(text_id)
    for text_id, text in playbook.texts.items():
        if text_id not in offered:
            raise rule_error(
                f'text "{text_id}" is offered by no step; add it to a step\'s texts: [...]',
                "texts",
                text_id,
            )
        for lang in ("nl", "en"):
            for raw in placeholders_in(getattr(text.body, lang)):
                try:
                    parse(raw, playbook)
                except UnknownPlaceholder as problem:
                    raise rule_error(str(problem), "texts", text_id, "body", lang) from None


def _check_recall(playbook: Playbook, index: int, step: StepSpec) -> None:
    """A recall names facts of the right type, a record of its own step, and the plan
    says which IBAN fact is the receiving account; only one step opens the recall."""
    from bot.playbook.models import AccountRole, FactType  # models imports this module

    recall = step.recall
    if recall is None:
        return
    at = ("steps", index, "recall")
    first = next(position for position, s in enumerate(playbook.steps) if s.recall is not None)
    if first != index:
        raise rule_error(
            f'only one step can open the recall; "{playbook.steps[first].id}" already does', *at
        )
    facts = {fact.id: fact for fact in playbook.facts}
    wanted = (
        ("amount", recall.amount, FactType.MONEY),
        ("paid", recall.paid, FactType.DATETIME),
        ("payee", recall.payee, FactType.TEXT),
    )
    for key, fact_id, fact_type in wanted:
        if fact_id is None:
            continue
        fact = facts.get(fact_id)
        if fact is None:
            raise rule_error(
                f'"{key}" names fact "{fact_id}", which is not among the facts'
                f" ({', '.join(facts) or 'there are none'})",
                *at,
                key,
            )
        if fact.type is not fact_type:
            raise rule_error(
                f'fact "{fact_id}" is "{fact.type.value}", but "{key}" needs a '
                f'"{fact_type.value}" fact',
                *at,
                key,
            )
    records = [record.id for record in step.record]
    if recall.case_number is not None and recall.case_number not in records:
        raise rule_error(
            f'"case_number" names record "{recall.case_number}", which is not a record of '
            f"this step ({', '.join(records) or 'it has none'})",
            *at,
            "case_number",
        )
    if not any(fact.account is AccountRole.RECEIVING for fact in playbook.facts):
        raise rule_error(
            'a recall needs to know where the money went: give an "iban" fact "account: receiving"',
            *at,
        )


def _check_contacts(playbook: Playbook, ids: tuple[str, ...], *at: str | int) -> None:
    for position, contact_id in enumerate(ids):
        if contact_id not in playbook.contacts and contact_id not in ORG_CONTACT_IDS:
            known = ", ".join(sorted({*playbook.contacts, *ORG_CONTACT_IDS}))
            raise rule_error(f'unknown contact "{contact_id}"; use one of: {known}', *at, position)


def _check_no_cycle(playbook: Playbook) -> None:
    """Steps waiting for each other in a circle would never be offered."""
    index = {step.id: position for position, step in enumerate(playbook.steps)}
    waits_for = {step.id: step.after for step in playbook.steps}
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

    for step in playbook.steps:
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


def _check_move(playbook: Playbook, index: int, move: PlanMove) -> None:
    """A move's condition and what it carries name this plan's own facts and answers; the
    other plan's side is checked once every plan is loaded (``check_moves``)."""
    _check_condition(playbook, move.when, "moves", index, "when")
    at = ("moves", index, "switch_to" if move.switch_to else "add")
    if move.target == playbook.id:
        raise rule_error(f'a plan cannot move to itself ("{playbook.id}")', *at)
    known = {fact.id: fact for fact in playbook.facts}
    for position, carry in enumerate(move.carry):
        fact = known.get(carry.from_)
        if fact is None:
            raise _no_such_fact(
                "from", carry.from_, known, "moves", index, "carry", position, "from"
            )
        _check_values(
            tuple(carry.values), fact.option_ids(), f'fact "{fact.id}"',
            "moves", index, "carry", position, "values",
        )  # fmt: skip


def check_moves(playbook: Playbook, plans: Mapping[str, Playbook]) -> None:
    """The other plan of each move exists and takes what is carried to it; raised at the
    move (``moves``, index, ...) in ``playbook``'s file."""
    for index, move in enumerate(playbook.moves):
        target = plans.get(move.target)
        at = ("moves", index, "switch_to" if move.switch_to else "add")
        if target is None:
            raise rule_error(
                f'there is no plan "{move.target}"; use one of: '
                f"{', '.join(sorted(p for p in plans if p != playbook.id))}",
                *at,
            )
        theirs = {fact.id: fact for fact in target.facts}
        for position, carry in enumerate(move.carry):
            here = ("moves", index, "carry", position)
            fact = theirs.get(carry.to)
            if fact is None:
                raise _no_such_fact("to", carry.to, theirs, *here, "to", plan=target.id)
            ours = playbook.fact(carry.from_)
            if carry.values:
                _check_values(
                    tuple(carry.values.values()), fact.option_ids(),
                    f'fact "{fact.id}" of plan "{target.id}"', *here, "values",
                )  # fmt: skip
            elif ours.type is not fact.type or ours.option_ids() != fact.option_ids():
                raise rule_error(
                    f'fact "{ours.id}" ({ours.type}) and fact "{fact.id}" of plan '
                    f'"{target.id}" ({fact.type}) do not take the same answers; map them '
                    'with "values: {our_answer: their_answer}"',
                    *here,
                )


def check_shared_facts(playbook: Playbook, plans: Mapping[str, Playbook]) -> None:
    """An incident keeps one answer per fact id, whichever of its plans asked it: a fact
    id that two plans use must take the same answers in both."""
    for index, fact in enumerate(playbook.facts):
        for other in plans.values():
            theirs = _fact_or_none(other, fact.id)
            if other.id == playbook.id or theirs is None:
                continue
            if theirs.type is not fact.type or theirs.option_ids() != fact.option_ids():
                raise rule_error(
                    f'fact "{fact.id}" is also in plan "{other.id}" with other answers '
                    f"({theirs.type}: {', '.join(theirs.option_ids()) or 'free text'}); one "
                    "incident keeps one answer per fact id, so give it another id here and "
                    "carry it with a move if needed",
                    "facts",
                    index,
                    "id",
                )


def check_shared_follow_ups(playbook: Playbook, plans: Mapping[str, Playbook]) -> None:
    """An incident of two plans that both propose a follow-up id gets it once, as the
    first plan words it: the id must mean the same follow-up in both."""
    for index, follow_up in enumerate(playbook.follow_ups):
        for other in plans.values():
            theirs = next((f for f in other.follow_ups if f.id == follow_up.id), None)
            if other.id == playbook.id or theirs is None or theirs == follow_up:
                continue
            raise rule_error(
                f'follow-up "{follow_up.id}" is also in plan "{other.id}", worded or timed '
                "differently; an incident with both plans proposes it once, so write it the "
                "same in both or give it another id",
                "follow_ups",
                index,
                "id",
            )


def _fact_or_none(playbook: Playbook, fact_id: str) -> FactSpec | None:
    return next((fact for fact in playbook.facts if fact.id == fact_id), None)


def _no_such_fact(
    key: str, fact_id: str, known: Iterable[str], *at: str | int, plan: str | None = None
) -> PydanticCustomError:
    """ "<key>" names a fact that this plan (or ``plan``) does not ask, with the ones it does."""
    where = f'which plan "{plan}" does not ask' if plan else "which is not among the facts"
    listed = ", ".join(known) or ("it asks none" if plan else "there are none")
    return rule_error(f'"{key}" names fact "{fact_id}", {where} ({listed})', *at)
