"""Several plans of one incident read as one: the facts, steps, follow-ups and contacts of
each, the first plan that has an id giving it (one incident keeps one step, one answer and
one follow-up per id), under the main plan's title."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from bot.playbook.models import FactSpec, FollowUpSpec, Playbook, StepSpec


def combine_ids(
    plan_ids: Sequence[str], *, main: str, playbooks: Mapping[str, Playbook]
) -> Playbook:
    """``combine`` by playbook id."""
    return combine([playbooks[pid] for pid in plan_ids], main=playbooks[main])


def combine(plans: Sequence[Playbook], *, main: Playbook) -> Playbook:
    """``plans`` in the order they came into the incident; ``main`` names it."""
    if len(plans) == 1:
        return plans[0]
    contacts = {}
    for plan in reversed(plans):
        contacts.update(plan.contacts)
    # model_copy does not validate again: each plan was checked when it was loaded.
    return main.model_copy(
        update={
            "facts": _first_of_each(plan.facts for plan in plans),
            "steps": _first_of_each(plan.steps for plan in plans),
            "follow_ups": _first_of_each(plan.follow_ups for plan in plans),
            "contacts": contacts,
            "further_reporting": tuple(
                dict.fromkeys(c for plan in plans for c in plan.further_reporting)
            ),
            "moves": (),
        }
    )


_Item = TypeVar("_Item", FactSpec, StepSpec, FollowUpSpec)


def _first_of_each(groups: Iterable[Iterable[_Item]]) -> tuple[_Item, ...]:
    """Each id once, as the first plan that has it gives it."""
    seen: dict[str, _Item] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item.id, item)
    return tuple(seen.values())
