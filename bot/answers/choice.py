"""Picking one of a few options by typing its number, its words, or something close.

Matching goes from certain to fuzzy: the option's id, its label, its number, (for yes/no)
every way of saying yes or no that ``bot.intents`` knows, and only then a fuzzy comparison.
A fuzzy match must be clearly better than the runner-up; when two options fit equally the
person is asked to type the number, because a wrong pick is recorded as a fact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.answers.base import Parsed, fail, structured_input
from bot.answers.texts import say
from bot.intents import Command, match_command, normalise
from bot.messages import Lang

FUZZY_MIN: Final = 80.0
"""Lowest score (0-100) for a fuzzy pick: one typo in a word of five or more letters passes
("Andres" for "Anders", "jaa" for "Ja"), a different word does not."""
FUZZY_MARGIN: Final = 10.0
"""How far the best option must be ahead of the next one to be picked without asking."""

_NUMBER: Final = re.compile(r"(?:optie|option|keuze|choice|nummer|number|nr|no)?\s*(\d{1,3})")
_YES_NO: Final = {Command.YES: "yes", Command.NO: "no"}


def yes_no_options(lang: Lang) -> tuple[tuple[str, str], ...]:
    """The options a yes/no question has when the caller passes none."""
    return (("yes", say("choice.yes", lang)), ("no", say("choice.no", lang)))


def parse_choice(
    text: str, *, lang: Lang, options: Sequence[tuple[str, str]], yes_no: bool = False
) -> Parsed:
    """``value`` the chosen option's id; ``display`` its label.

    Raises ``ValueError`` (not ``AnswerError``) when there are no options: that is a
    playbook error, to be caught when playbooks are loaded, not something to tell the user.
    """
    if yes_no and not options:
        options = yes_no_options(lang)
    if not options:
        raise ValueError("a choice question needs options")
    listing = "; ".join(f"{n}. {label}" for n, (_, label) in enumerate(options, start=1))
    raw = structured_input(text, unreadable="choice.no_match", lang=lang, options=listing)
    typed = normalise(raw)
    index = _pick(typed, raw, options, yes_no=yes_no)
    if index is None:
        index = _fuzzy_pick(typed, options, lang=lang, listing=listing)
    option_id, label = options[index]
    return Parsed(value=option_id, display=label)


def _pick(typed: str, raw: str, options: Sequence[tuple[str, str]], *, yes_no: bool) -> int | None:
    """The option named exactly: by id, by label, by number, or by a yes/no word."""
    for by in (0, 1):
        for index, option in enumerate(options):
            if typed and normalise(option[by]) == typed:
                return index
    number = _NUMBER.fullmatch(typed)
    if number and 1 <= int(number.group(1)) <= len(options):
        return int(number.group(1)) - 1
    if yes_no:
        command = match_command(raw)
        wanted = _YES_NO.get(command) if command else None
        for index, (option_id, _) in enumerate(options):
            if wanted is not None and option_id == wanted:
                return index
    return None


def _fuzzy_pick(typed: str, options: Sequence[tuple[str, str]], *, lang: Lang, listing: str) -> int:
    """The option clearly closest to ``typed``, or ``AnswerError`` listing the options.

    Word cover lets "mail directeur" pick "Mail van de 'directeur' of een leidinggevende";
    the margin stops "gebeld" from picking between "bank gebeld" and "politie gebeld".
    """
    if not typed:
        raise fail("choice.no_match", lang, options=listing)
    scores = sorted(
        (
            (_similarity(typed, option_id, label), index)
            for index, (option_id, label) in enumerate(options)
        ),
        reverse=True,
    )
    best, index = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best < FUZZY_MIN:
        raise fail("choice.no_match", lang, options=listing)
    if best - runner_up < FUZZY_MARGIN:
        tied = [options[i][1] for score, i in scores if best - score < FUZZY_MARGIN]
        raise fail("choice.ambiguous", lang, matches=", ".join(tied), options=listing)
    return index


def _similarity(typed: str, option_id: str, label: str) -> float:
    """0-100: the whole text against the id and the label (a swapped pair of letters counts
    as one typo), or every typed word found in the label, allowing typos and prefixes
    ("telefoon" in "Telefoontje of videogesprek")."""
    words = normalise(label)
    return max(
        fuzz.ratio(typed, normalise(option_id)),
        fuzz.ratio(typed, words),
        OSA.normalized_similarity(typed, words) * 100,
        _word_cover(typed.split(), words.split()),
    )


def _word_cover(typed: Sequence[str], label: Sequence[str]) -> float:
    """Mean over the typed words of how well each is found among the label's words."""
    if not typed or not label:
        return 0.0
    return sum(max(_word_score(t, w) for w in label) for t in typed) / len(typed)


def _word_score(typed: str, word: str) -> float:
    if typed == word or (len(typed) >= 4 and word.startswith(typed)):
        return 100.0
    return fuzz.ratio(typed, word)
