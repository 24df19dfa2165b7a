"""Free text to what the person wants: a typed command, or a playbook to start.

``parse_command`` is the one parser of typed commands: a whole-message word (``Command``,
typo-tolerant) or a command that names an incident (``Join``, ``ExportOf``, ``ReopenOf``) or
closes one (``CloseIncident``); the engine only dispatches on the type it returns.

People write here in the worst hour of their working year, on a phone, in Slack, Teams or
the web chat. So everything is forgiving about case, accents, punctuation and small typos,
and strict about one thing: a command is only ever the *whole* message ("stop the payment"
is a request for help, not STOP). Everything here is pure and bounded: only the first
``MAX_SCAN_CHARS`` characters of a message are ever looked at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Final

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.messages import LANGS, Lang

MAX_SCAN_CHARS: Final = 500
"""Only this much of a message is read: a pasted e-mail must not cost more than a sentence."""


class Command(StrEnum):
    HELP = "help"
    STATUS = "status"
    STOP = "stop"
    YES = "yes"
    NO = "no"
    SKIP = "skip"
    LIST = "list"
    LIST_CLOSED = "list_closed"
    EXPORT = "export"
    LANGUAGE_NL = "lang_nl"
    LANGUAGE_EN = "lang_en"


@dataclass(frozen=True, slots=True)
class CommandMatch:
    command: Command


@dataclass(frozen=True, slots=True)
class PlaybookMatch:
    """``lang`` is the language of the trigger that matched best: the language to answer in
    when nothing better (a user preference) is known."""

    playbook_id: str
    score: float
    lang: Lang


Intent = CommandMatch | PlaybookMatch


@dataclass(frozen=True, slots=True)
class Join:
    """ "join NR-4K7Q2M": become one of the incident's people."""

    incident_id: str


@dataclass(frozen=True, slots=True)
class ExportOf:
    """ "export NR-4K7Q2M": that incident's evidence file (plain "export" asks which)."""

    incident_id: str


@dataclass(frozen=True, slots=True)
class ReopenOf:
    incident_id: str


@dataclass(frozen=True, slots=True)
class CloseIncident:
    """ "close" / "sluit het incident": close the incident of this chat (asked which)."""


TypedCommand = Command | Join | ExportOf | ReopenOf | CloseIncident
"""What ``parse_command`` makes of a message; the closed set the engine matches on."""


def _word_set(*chunks: str) -> frozenset[str]:
    """Space-separated word lists, so long vocabularies stay readable."""
    return frozenset(" ".join(chunks).split())


_APOSTROPHES: Final = str.maketrans("", "", "'’‘`´")
_NON_WORD: Final = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Lowercase, accents and apostrophes removed, punctuation turned into single spaces.

    Apostrophes are dropped rather than spaced so "don't" and "dont" are the same word.
    """
    decomposed = unicodedata.normalize("NFKD", text[:MAX_SCAN_CHARS])
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", plain.casefold().translate(_APOSTROPHES)).split())


# Commands ---------------------------------------------------------------------------------

_COMMAND_PHRASES: Final[Mapping[Command, str]] = {
    Command.HELP: "help|hulp|help me|helpen|hulp nodig|wat kan je|wat kun je|wat kan jij|"
    "wat kun jij|what can you do|menu|commands",
    Command.STATUS: "status|checklist|overzicht|stand van zaken|waar staan we|where are we|"
    "voortgang|progress|stappen|steps",
    Command.STOP: "stop|cancel|annuleer|annuleren|stoppen|afbreken|abort",
    Command.YES: "yes|ja|jaa|jep|yep|yeah|yup|ja graag|ja hoor|jawel|jazeker|ok|oké|okay|okee|y|j|"
    "akkoord|prima|sure|yes please",
    Command.NO: "no|nee|neee|neen|nope|nah|n|niet|nee hoor|no thanks",
    Command.SKIP: "skip|weet ik niet|weet ik nog niet|weet niet|don't know|dont know yet|"
    "i don't know|i dont know yet|idk|no idea|geen idee|overslaan|later|onbekend|unknown",
    Command.LIST: "list|lijst|incidenten|incidents",
    Command.LIST_CLOSED: "list closed|lijst gesloten|gesloten incidenten|closed incidents",
    Command.EXPORT: "export|exporteer|exporteren",
    Command.LANGUAGE_NL: "nederlands|dutch|in het nederlands",
    Command.LANGUAGE_EN: "english|engels|in english",
}
"""Whole-message phrases, ``|``-separated; written as people type them (normalised below)."""

_EMOJI_COMMANDS: Final[Mapping[str, Command]] = {
    "👍": Command.YES,
    ":+1:": Command.YES,
    ":thumbsup:": Command.YES,
    "👎": Command.NO,
    ":-1:": Command.NO,
    ":thumbsdown:": Command.NO,
}
_SKIN_TONES: Final = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f]")

_PHRASE_COMMAND: Final[dict[tuple[str, ...], Command]] = {
    tuple(normalise(phrase).split()): command
    for command, phrases in _COMMAND_PHRASES.items()
    for phrase in phrases.split("|")
}
_MAX_COMMAND_WORDS: Final = max(len(words) for words in _PHRASE_COMMAND)
_FUZZY_MIN_LETTERS: Final = 5


def _typo_budget(word: str) -> int:
    """Edits tolerated in a command word: none under five letters ("nee" vs "nu" must stay
    apart), one up to seven, two from eight ("annuleeer")."""
    if len(word) < _FUZZY_MIN_LETTERS:
        return 0
    return 1 if len(word) < 8 else 2


def _phrase_distance(words: tuple[str, ...], phrase: tuple[str, ...]) -> int | None:
    """Total edits to turn ``words`` into ``phrase`` word by word, or None if any word is
    beyond its typo budget."""
    total = 0
    for typed, wanted in zip(words, phrase, strict=True):
        if typed == wanted:
            continue
        budget = _typo_budget(wanted)
        if budget == 0 or len(typed) < _FUZZY_MIN_LETTERS:
            return None
        distance = OSA.distance(typed, wanted, score_cutoff=budget)
        if distance > budget:
            return None
        total += distance
    return total


def match_command(text: str) -> Command | None:
    """The command the whole message asks for, or None.

    Exact phrases win; otherwise the phrase with the fewest typos (OSA distance, so a swapped
    pair like "stauts" is one edit). If two different commands are equally close, it is not
    a command: guessing wrong between, say, STOP and STATUS is worse than asking again.
    """
    stripped = _SKIN_TONES.sub("", text.strip())
    if stripped in _EMOJI_COMMANDS:
        return _EMOJI_COMMANDS[stripped]
    if stripped and set(stripped) == {"?"}:
        return Command.HELP
    words = tuple(normalise(stripped).split())
    if not words or len(words) > _MAX_COMMAND_WORDS:
        return None
    exact = _PHRASE_COMMAND.get(words)
    if exact is not None:
        return exact
    best: dict[Command, int] = {}
    for phrase, command in _PHRASE_COMMAND.items():
        if len(phrase) != len(words):
            continue
        distance = _phrase_distance(words, phrase)
        if distance is not None and distance < best.get(command, distance + 1):
            best[command] = distance
    if not best:
        return None
    ranked = sorted(best.items(), key=lambda item: item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


# Commands that name an incident: exact forms, no typos (an id is not a word to guess at)

_ID: Final = r"\s+(\S+(?:\s\S+)?)"  # "NR-4K7Q2M", "nr 4k7q2m"
_NAMED: Final[tuple[tuple[re.Pattern[str], type[Join | ExportOf | ReopenOf]], ...]] = (
    (re.compile(r"(?:join|doe\s+mee(?:\s+met)?|meedoen(?:\s+met)?)" + _ID, re.I), Join),
    (re.compile(r"(?:export|exporteer|dossier)" + _ID, re.I), ExportOf),
    (re.compile(r"(?:reopen|heropen(?:en)?)" + _ID, re.I), ReopenOf),
)
_CLOSE: Final = re.compile(r"(?:close|sluit|sluiten)(?:\s+(?:het\s+)?incident)?", re.I)


def normalise_incident_id(text: str) -> str:
    """ "nr 4k7q2m", "NR-4K7Q2M" and "4k7q2m" all name the same incident."""
    core = text.strip().upper().replace(" ", "").replace("-", "")
    return "NR-" + core.removeprefix("NR")


def parse_command(text: str) -> TypedCommand | None:
    """The command the whole message (already stripped) is, or None.

    A word command wins; then a command with an incident id ("export nr 4k7q2m"), the id
    normalised; then "close". Only the first ``MAX_SCAN_CHARS`` are read.
    """
    command = match_command(text)
    if command is not None:
        return command
    scanned = text[:MAX_SCAN_CHARS]
    for pattern, kind in _NAMED:
        found = pattern.fullmatch(scanned)
        if found:
            return kind(normalise_incident_id(found.group(1)))
    return CloseIncident() if _CLOSE.fullmatch(scanned) else None


# Playbooks --------------------------------------------------------------------------------

DEFAULT_THRESHOLD: Final = 0.8
"""Lowest score that starts a playbook.

A trigger's score is the mean, over its key words, of how well each is found in the message
(1.0 exact, 1 - edits/length with a typo, 0 when absent). So with the two key words most
triggers have, one missing word caps the score at 0.5; with three, at 0.67; with four, at
0.75. Real messages with typos in every key word score 0.87-0.94 (see the table in
tests/test_intents.py). 0.8 sits between the two groups: any trigger of up to four key words
needs all of them, and two-typo messages still pass. Missing a playbook costs one more
question; starting the wrong one costs a stressed person's trust, so the line errs strict.
"""

_FILLER: Final = _word_set(
    # Dutch
    "ik wij we ze hij zij je jij u mij me ons onze mijn jullie het de een dat die dit deze "
    "er is zijn ben bent was waren hebben heb hebbe heeft had hadden wordt worden geworden "
    "denk denken dacht volgens lijkt misschien waarschijnlijk geloof vermoed vrees net "
    "al ook nog toch wel even zo aan naar op van voor met bij in uit om te tot per "
    # English
    "i you he she it they us our my your the a an that this these those is are was were be "
    "been being have has had got get gotten think thought believe guess seems maybe "
    "probably fear afraid just already also still so to of for on in at by with from",
)
"""Words a trigger may contain that say nothing about *which* incident it is."""

_SPELLING: Final[Mapping[str, str]] = {"payed": "paid"}
"""Misspellings too far from the right word for the typo budget but very common."""

_PREFIX_SIMILARITY: Final = 0.9
"""A message word that starts with a key word ("betaalden" for "betaald") is nearly as good
as the word itself; it is not 1.0 so that an exact trigger still ranks first."""


def _words(text: str) -> list[str]:
    return [_SPELLING.get(w, w) for w in normalise(text).split()]


@lru_cache(maxsize=4096)
def _key_words(trigger: str) -> tuple[str, ...]:
    """The words of a trigger that must be present. A trigger made only of filler keeps all
    its words, so it still means something."""
    words = _words(trigger)
    keys = [w for w in words if w not in _FILLER]
    return tuple(dict.fromkeys(keys or words))


def _edit_budget(word: str) -> int:
    """Edits tolerated in a key word, like a search engine's "AUTO" fuzziness: none for one
    or two letters, one for up to five, two beyond."""
    if len(word) <= 2:
        return 0
    return 1 if len(word) <= 5 else 2


def _found(
    word: str, words: Sequence[str], exact: frozenset[str], prefixes: frozenset[str]
) -> float:
    """How well one key word is present in the message (0..1).

    ``exact`` holds the message's words and each pair of neighbours joined, so "nep factuur"
    finds the Dutch compound "nepfactuur". Joined pairs only count when exact: fuzzily,
    "de factuur" is two edits from "nepfactuur", which would turn an ordinary paid invoice
    into fraud. ``prefixes``: every start of five letters or more of a message word.
    """
    if word in exact:
        return 1.0
    similarity = 0.0
    budget = _edit_budget(word)
    if budget:
        best = process.extractOne(word, words, scorer=OSA.distance, score_cutoff=budget)
        if best is not None:
            similarity = 1.0 - best[1] / len(word)
    if len(word) >= 5 and word in prefixes:
        similarity = max(similarity, _PREFIX_SIMILARITY)
    return similarity


def match_playbook(
    text: str,
    triggers: Mapping[str, Mapping[str, Sequence[str]]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> PlaybookMatch | None:
    """The playbook whose trigger the message matches best, if it scores at least
    ``threshold``.

    Word order and filler ("volgens mij", "I think", "hebben we") do not matter: only a
    trigger's key words are looked for, each anywhere in the message and with a few typos
    allowed. Ties go to the trigger with more key words (it is more specific), then to a
    trigger in the message's own language, then to the first playbook given.
    """
    words = list(dict.fromkeys(_words(text)))
    if not words:
        return None
    exact = frozenset([*words, *(a + b for a, b in pairwise(words))])
    # A set, not a scan of the words per key word: the ~140 key words of the shipped
    # playbooks made that scan a third of the time of a message that starts a plan.
    prefixes = frozenset(w[:n] for w in words for n in range(5, len(w) + 1))
    detected = detect_language(text)
    cache: dict[str, float] = {}
    best: tuple[float, int, bool] | None = None
    best_match: PlaybookMatch | None = None
    for playbook_id, by_lang in triggers.items():
        for lang in LANGS:
            for trigger in by_lang.get(lang, ()):
                keys = _key_words(trigger)
                if not keys:
                    continue
                total = 0.0
                for key in keys:
                    found = cache.get(key)
                    if found is None:
                        found = cache[key] = _found(key, words, exact, prefixes)
                    total += found
                score = total / len(keys)
                rank = (score, len(keys), lang == detected)
                if best is None or rank > best:
                    best = rank
                    best_match = PlaybookMatch(playbook_id=playbook_id, score=score, lang=lang)
    if best_match is None or best_match.score <= 0.0 or best_match.score < threshold:
        return None
    return best_match


# Language ---------------------------------------------------------------------------------

_DUTCH: Final = _word_set(
    "de het een ik jij je wij ons onze mijn niet geen wel dat die dit deze van voor naar met "
    "op en maar ook zijn ben hebben heb heeft hebbe betaald betaalt overgemaakt volgens denk "
    "wat hoe waar wanneer waarom graag hallo hoi dank bedankt alstublieft gisteren vandaag "
    "nee ja factuur rekening geld oplichter opgelicht er nog al kan kun moet",
)
_ENGLISH: Final = _word_set(
    "the a an i you my our us not no yes and but also have has had paid sent transferred "
    "think what how where when why please hello hi thanks thank yesterday today invoice "
    "account money fraudster scammer scammed it this that there of for with to can must "
    "are were do does did",
)


def detect_language(text: str) -> Lang | None:
    """ "nl" or "en" by counting very common words of each; None when neither wins.

    Deliberately cheap and conservative: it only breaks ties and picks a first reply
    language, and a user can always type "english" or "nederlands".
    """
    words = normalise(text).split()
    dutch = sum(w in _DUTCH for w in words)
    english = sum(w in _ENGLISH for w in words)
    if dutch == english:
        return None
    return "nl" if dutch > english else "en"
