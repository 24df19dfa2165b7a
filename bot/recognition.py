"""Free text to the plan that fits what happened: one plan, a short list, or none.

People describe an emergency in their own words ("de rekening die we betaalden bleek van
criminelen"), in Dutch or English, on a phone, with typos. A list of trigger phrases only
catches the wordings someone thought of; this module learns from labelled examples of every
plan (``playbooks/examples/<plan-id>.yaml``, plus each plan's triggers) and from examples of
ordinary chat that mention money, invoices, directors or WhatsApp without any fraud.

The answer comes in three bands (see ``Band``), so the engine can propose one plan, offer a
chooser, or stay out of the way. Nothing here knows a platform, a playbook id or the store:
plans are only labels, and which plans must never be confused confidently is data too
(``ask_when_also`` in an examples file).

scikit-learn only fits the model: a trained recognizer is its weights (``Model``), scored
here in plain Python, so scoring needs no scikit-learn. Its import (about a second of CPU,
as much as the rest of the application's) and the fit (another second) are paid only where
the examples changed: ``Recognizer.cached`` keeps the weights in a file named by a digest of
everything they depend on, and a restart with the same examples reads that file (0.02 s)
instead. Training is synchronous and CPU-bound; an application runs it with
``asyncio.to_thread`` once the server is up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import marshal
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Final, Protocol, TypeAlias

import yaml

from bot.errors import ConfigError
from bot.intents import MAX_SCAN_CHARS, detect_language, normalise
from bot.messages import LANGS, Lang

log = logging.getLogger(__name__)

ORDINARY: Final = "_ordinary"
"""The label of ordinary chat, and the stem of its examples file. It starts with ``_`` so no
playbook id (a slug) can take it."""


class Band(Enum):
    CONFIDENT = "confident"
    """One plan clearly fits: propose it (Yes / No / something else happened)."""
    UNSURE = "unsure"
    """About fraud, but not clearly one plan, or a plan that must not be guessed: offer a
    chooser of the 2-4 plans that fit best."""
    NONE = "none"
    """Ordinary chat: offer no plan."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    lang: Lang


@dataclass(frozen=True, slots=True)
class Candidate:
    playbook_id: str
    score: float
    """Calibrated probability that the message is about this plan (0..1)."""


@dataclass(frozen=True, slots=True)
class Recognition:
    band: Band
    candidates: tuple[Candidate, ...]
    """Best first. CONFIDENT: exactly one; UNSURE: two to four; NONE: empty."""
    lang: Lang | None
    """The message's language when it is clear: the language to answer in when nothing better
    (a user preference) is known."""


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """What a recognizer learns from: examples per plan, ordinary chat, and the pairs of plans
    a confident guess must never pick between (one was paid, the other not yet)."""

    plans: Mapping[str, tuple[Example, ...]]
    ordinary: tuple[Example, ...]
    ask_between: frozenset[frozenset[str]] = frozenset()


class ExamplesError(ConfigError):
    """An examples file that cannot be used, or a training set that cannot be learnt from;
    ``str()`` names the file and says what is wrong."""


# Thresholds -------------------------------------------------------------------------------
#
# Chosen by 5-fold cross-validation on the training examples (``python -m bench.intents
# --tune``: 1,042 out-of-fold scores), never on the dev set, which only measures. The grid
# (none_at 0.4-0.7 x confident_at 0.6-0.8 x runner-up 0.1-0.25) showed:
#
# - Ordinary chat: every step of ``NONE_AT`` up from 0.4 sends more ordinary chat to the
#   chooser (37, 54, 86, 132 of 358 held-out ordinary messages at 0.4, 0.5, 0.6, 0.7) for a
#   little more plan recall (98.1% -> 99.6%). 0.4 keeps the right plan offered for >= 97% of
#   held-out plan examples, the target, with the fewest false starts. Going lower would let
#   the ordinary class swallow real emergencies (5% of plan examples leave it >= 0.26), and a
#   person describing an emergency must never be ignored; a chooser on ordinary chat costs
#   one click on "something else".
# - Proposing one plan: a wrong plan proposed with confidence costs trust, and for
#   paid-fraudster it sends someone to recall a payment that never happened. With
#   ``CONFIDENT_AT`` 0.6 or 0.7 there were 1-3 confident wrong plans out of fold; with 0.8
#   none, whatever the runner-up limit. ``RUNNER_UP_MAX`` = 0.15 is there for the day a
#   plan's examples grow weak: it costs nothing today (same figures as 0.25) and keeps two
#   close plans in the chooser.
# - Plans that the person must tell apart (``ask_when_also``, paid vs not paid yet): if the
#   other plan of such a pair scores at least ``ASK_BETWEEN_AT`` = 0.05, the chooser is
#   shown, even above 0.8. That is why paid-fraudster goes to the chooser more often than
#   other plans (about a third of its dev messages); the chooser lists it first.
# - The chooser lists plans down to ``CANDIDATE_FLOOR`` = 0.05, never fewer than two (the
#   best plan and an alternative) nor more than four (a phone screen).

NONE_AT: Final = 0.4
CONFIDENT_AT: Final = 0.8
RUNNER_UP_MAX: Final = 0.15
ASK_BETWEEN_AT: Final = 0.05
CANDIDATE_FLOOR: Final = 0.05
MIN_CHOICES: Final = 2
MAX_CHOICES: Final = 4


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The lines between the bands; the defaults are the ones chosen above. Only the bench
    (tuning) passes others."""

    none_at: float = NONE_AT
    confident_at: float = CONFIDENT_AT
    runner_up_max: float = RUNNER_UP_MAX
    ask_between_at: float = ASK_BETWEEN_AT
    candidate_floor: float = CANDIDATE_FLOOR


_C: Final = 10.0
"""Inverse regularisation of the logistic regression: chosen with the thresholds (above)."""
ORDINARY_WEIGHT: Final = 1.0
"""How much more an ordinary-chat example counts than a plan's, on top of balancing the
classes by size. Out of fold, 2 cut the ordinary chat sent to the chooser (37 -> 22 of 358)
but lost plan recall (98.1% -> 97.4%), and with typos it lost far more: 93% of typo'd dev
plan messages still reached their plan, against >= 95% at 1. Ignoring an emergency is the
worse error, so ordinary chat counts the same as a plan."""
_RANDOM_STATE: Final = 0


# Text features ----------------------------------------------------------------------------

_DIGITS: Final = re.compile(r"\d")


def prepare(text: str) -> str:
    """Lowercase, accents folded, punctuation gone (as commands are matched), and every digit
    a ``0``: "8.000" and "12.500" both say "an amount", which is what matters here."""
    return _prepare(text[:MAX_SCAN_CHARS])


@lru_cache(maxsize=4096)
def _prepare(text: str) -> str:
    """Cached: both feature sets prepare every text, and training prepares each one twice."""
    return _DIGITS.sub("0", normalise(text))


class _Stemmer(Protocol):
    """What is used of a Snowball stemmer (snowballstemmer ships no types)."""

    def stemWord(self, word: str) -> str: ...


class _Fitted(Protocol):
    """What is used of the fitted scikit-learn pipeline (scikit-learn ships no types)."""

    classes_: Sequence[object]

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> object: ...

    def predict_proba(self, texts: Sequence[str]) -> Sequence[Sequence[float]]: ...


@lru_cache(maxsize=2)
def _stemmer(lang: Lang) -> _Stemmer:
    import snowballstemmer

    stemmer: _Stemmer = snowballstemmer.stemmer({"nl": "dutch", "en": "english"}[lang])
    return stemmer


@lru_cache(maxsize=65536)
def _stem(word: str, lang: Lang) -> str:
    """Cached: the Snowball stemmers are pure Python, and most words recur in every text."""
    return _stemmer(lang).stemWord(word)


def word_features(text: str) -> list[str]:
    """Stems and stem pairs of a prepared text, in the message's language, or in both when the
    language is unclear (a short "whatsapp gehackt" is both)."""
    words = text.split()
    lang = detect_language(text)
    features: list[str] = []
    for stem_lang in LANGS if lang is None else (lang,):
        stems = [_stem(word, stem_lang) for word in words]
        features.extend(stems)
        features.extend(f"{a} {b}" for a, b in pairwise(stems))
    return features


_WHITE_SPACES: Final = re.compile(r"\s\s+")


def char_features(text: str) -> list[str]:
    """Character 2- to 5-grams within the words of a prepared text, each word padded with a
    space: scikit-learn's ``char_wb`` analyzer, the feature set the model was fitted on
    (``_pipeline``), written out so that scoring does not need scikit-learn."""
    features: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        for n in range(_MIN_N, _MAX_N + 1):
            if len(padded) <= n:
                features.append(padded)  # a short word counts once, as scikit-learn does
                break
            features.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return features


_MIN_N: Final = 2
_MAX_N: Final = 5


# The model ----------------------------------------------------------------------------------

_Weights: TypeAlias = "dict[str, tuple[float, ...]]"
"""One feature set of a trained model: feature -> (its idf, its weight for each row)."""


@dataclass(frozen=True, slots=True)
class Model:
    """A trained model as plain data, scored without scikit-learn: TF-IDF (sublinear tf, l2
    per feature set) of the character n-grams and of the stems, then the logistic
    regression's rows (one per label; a single row for two labels) and a softmax."""

    labels: tuple[str, ...]
    intercept: tuple[float, ...]
    chars: _Weights
    words: _Weights

    def scores(self, text: str) -> list[float]:
        """The probability of each label, in the order of ``labels``."""
        prepared = prepare(text)
        logits = list(self.intercept)
        for weights, features in (
            (self.chars, char_features(prepared)),
            (self.words, word_features(prepared)),
        ):
            counts = Counter(f for f in features if f in weights)
            values = {f: (1.0 + math.log(n)) * weights[f][0] for f, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in values.values()))
            if norm == 0.0:
                continue
            for feature, value in values.items():
                row = weights[feature]
                for k in range(len(logits)):
                    logits[k] += value / norm * row[k + 1]
        if len(logits) == 1:  # two labels: one row, for the second
            second = 1.0 / (1.0 + math.exp(-logits[0]))
            return [1.0 - second, second]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @classmethod
    def of(cls, fitted: _Fitted) -> Model:
        """The weights of a fitted ``_pipeline``."""
        union, regression = fitted.steps[0][1], fitted.steps[1][1]  # type: ignore[attr-defined]
        (_, chars), (_, words) = union.transformer_list
        coef = regression.coef_.T.tolist()  # a row per feature: the chars', then the words'
        offset = len(chars.vocabulary_)

        def weights(vectorizer: object, start: int) -> _Weights:
            idf = vectorizer.idf_.tolist()  # type: ignore[attr-defined]
            return {
                str(feature): (idf[j], *coef[start + j])
                for feature, j in vectorizer.vocabulary_.items()  # type: ignore[attr-defined]
            }

        return cls(
            labels=tuple(str(label) for label in fitted.classes_),
            intercept=tuple(float(b) for b in regression.intercept_),
            chars=weights(chars, 0),
            words=weights(words, offset),
        )

    def to_bytes(self) -> bytes:
        """In ``marshal``'s format: read back four times faster than JSON (0.02 s against
        0.08 s for these weights), and no less trusted than the byte-code Python itself
        reads from ``__pycache__`` in the same format. Bound to the Python version, which
        is in the file's name (``_digest``)."""
        return marshal.dumps((self.labels, self.intercept, self.chars, self.words))

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        """Raises ``ValueError`` (or ``EOFError``/``TypeError``) for a file that is no model."""
        labels, intercept, chars, words = marshal.loads(data)
        rows = len(intercept)
        if (
            not all(isinstance(label, str) for label in labels)
            or not all(isinstance(b, float) for b in intercept)
            or rows not in (1, len(labels))
            or not all(
                isinstance(f, str) and isinstance(w, tuple) and len(w) == rows + 1
                for block in (chars, words)
                for f, w in block.items()
            )
        ):
            raise ValueError("the weights do not fit the labels")
        return cls(labels=tuple(labels), intercept=tuple(intercept), chars=chars, words=words)


# The recognizer ---------------------------------------------------------------------------


class Recognizer:
    """A text classifier over every plan and ordinary chat, with the three bands on top.

    Features: character n-grams (2-5, within words) of the prepared text, which survive
    typos and find "nepfactuur" in "nep factuur", plus stems and stem pairs, which carry
    inflections ("betaald", "betaalden") and word order. A multinomial logistic regression
    gives probabilities that are close to calibrated for a corpus this size.
    """

    def __init__(self, *, model: Model, ask_between: frozenset[frozenset[str]]) -> None:
        for lang in LANGS:
            _stemmer(lang)  # imported where the recognizer is made (a warm-up), not on use
        self._model = model
        self._labels = model.labels
        self._ask_between = ask_between

    @property
    def playbook_ids(self) -> tuple[str, ...]:
        return tuple(label for label in self._labels if label != ORDINARY)

    @classmethod
    def train(cls, training: TrainingSet) -> Recognizer:
        """Learn from ``training``. Deterministic: the same examples give the same answers."""
        return cls(model=Model.of(fitted(training)), ask_between=training.ask_between)

    @classmethod
    def cached(cls, training: TrainingSet, directory: Path | None) -> Recognizer:
        """``train``, or the same weights from ``directory`` when a start trained on the same
        examples before (the file's name is a digest of all that the weights depend on).
        A cache that cannot be read or written is only slower: it is trained again."""
        if directory is None:
            return cls.train(training)
        path = directory / f"recognizer-{_digest(training)}.marshal"
        try:
            model = Model.from_bytes(path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, ValueError, EOFError, TypeError, AttributeError) as err:
            log.warning("%s cannot be used (%s): training again", path, err)
        else:
            with contextlib.suppress(OSError):  # read-only is fine: it is only never pruned
                os.utime(path)  # in use: kept by the pruning below
            return cls(model=model, ask_between=training.ask_between)
        trained = cls.train(training)
        try:
            _write_atomically(path, trained._model.to_bytes())
            _prune(directory, keep=path)
        except OSError as err:
            log.info("the trained recognizer is not kept (%s): the next start trains again", err)
        return trained

    def scores(self, text: str) -> dict[str, float]:
        """Probability of each label (plans and ``ORDINARY``), summing to 1."""
        row = self._model.scores(text)
        return dict(zip(self._labels, row, strict=True))

    def ranked(self, text: str) -> tuple[str, ...]:
        """Every plan, the likeliest for ``text`` first (ordinary chat left out)."""
        scores = self.scores(text)
        return tuple(sorted(self.playbook_ids, key=lambda pid: -scores[pid]))

    def recognise(self, text: str) -> Recognition:
        lang = detect_language(text)
        if not prepare(text):
            return Recognition(Band.NONE, (), lang)
        return band(self.scores(text), ask_between=self._ask_between, lang=lang)


def band(
    scores: Mapping[str, float],
    *,
    ask_between: Collection[frozenset[str]] = (),
    lang: Lang | None = None,
    thresholds: Thresholds = Thresholds(),
) -> Recognition:
    """The band for one message's label probabilities (see the thresholds above)."""
    t = thresholds
    if scores.get(ORDINARY, 0.0) >= t.none_at:
        return Recognition(Band.NONE, (), lang)
    ranked = sorted(
        (Candidate(label, score) for label, score in scores.items() if label != ORDINARY),
        key=lambda c: (-c.score, c.playbook_id),
    )
    top, rest = ranked[0], ranked[1:]
    runner_up = rest[0].score if rest else 0.0
    ambiguous = any(
        frozenset((top.playbook_id, other.playbook_id)) in ask_between
        and other.score >= t.ask_between_at
        for other in rest
    )
    if top.score >= t.confident_at and runner_up <= t.runner_up_max and not ambiguous:
        return Recognition(Band.CONFIDENT, (top,), lang)
    choices = [c for i, c in enumerate(ranked) if i < MIN_CHOICES or c.score >= t.candidate_floor]
    return Recognition(Band.UNSURE, tuple(choices[:MAX_CHOICES]), lang)


def _flatten(training: TrainingSet) -> tuple[list[str], list[str]]:
    if not training.ordinary:
        raise ExamplesError("there are no examples of ordinary chat: nothing could be told apart")
    if not training.plans:
        raise ExamplesError("there are no plans to recognise")
    texts: list[str] = []
    labels: list[str] = []
    for label, examples in [*training.plans.items(), (ORDINARY, training.ordinary)]:
        if not examples:
            raise ExamplesError(f"{label}: no examples and no triggers")
        for example in examples:
            texts.append(example.text)
            labels.append(label)
    return texts, labels


def _class_weights(labels: Sequence[str]) -> dict[str, float]:
    """Balanced by class size (every plan counts the same however many examples it has),
    ordinary chat ``ORDINARY_WEIGHT`` times more."""
    counts = Counter(labels)
    weights = {label: len(labels) / (len(counts) * n) for label, n in counts.items()}
    weights[ORDINARY] = weights.get(ORDINARY, 1.0) * ORDINARY_WEIGHT
    return weights


def fitted(training: TrainingSet) -> _Fitted:
    """The scikit-learn pipeline fitted on ``training`` (``Model.of`` takes its weights)."""
    texts, labels = _flatten(training)
    pipeline = _pipeline(_class_weights(labels))
    pipeline.fit(texts, labels)
    return pipeline


def _pipeline(class_weight: Mapping[str, float]) -> _Fitted:
    """The untrained model. scikit-learn is imported here, on first training (see above)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(_MIN_N, _MAX_N), preprocessor=prepare, sublinear_tf=True
    )
    words = TfidfVectorizer(analyzer=lambda text: word_features(prepare(text)), sublinear_tf=True)
    classifier = LogisticRegression(
        C=_C,
        solver="newton-cg",
        max_iter=200,
        class_weight=dict(class_weight),
        random_state=_RANDOM_STATE,
    )
    pipeline: _Fitted = make_pipeline(make_union(chars, words), classifier)
    return pipeline


# The weights kept between starts -------------------------------------------------------------

_SOURCES: Final = (Path(__file__), Path(__file__).with_name("intents.py"))
"""The code the features come from (``prepare``, ``normalise``, the stems): a change there
changes what the kept weights mean."""


def _digest(training: TrainingSet) -> str:
    """What the weights depend on: the examples and their labels, this module and the
    text normalisation (their source), and the versions of scikit-learn (the fit), of the
    stemmer (the features) and of Python (the file's format). Read from the package
    metadata: importing either package would cost what the cache saves."""
    from importlib.metadata import version

    texts, labels = _flatten(training)
    digest = hashlib.sha256()
    for part in (
        json.dumps([texts, labels], ensure_ascii=False),
        version("scikit-learn"),
        version("snowballstemmer"),
        sys.version,
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    for source in _SOURCES:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:32]


_UNUSED_FOR: Final = 30 * 24 * 3600.0
"""Weights no start has read for this long (seconds) are deleted when new ones are kept:
each change of the examples leaves a file of ~2 MB behind."""


def _prune(directory: Path, *, keep: Path) -> None:
    cutoff = time.time() - _UNUSED_FOR
    for old in directory.glob("recognizer-*.marshal"):
        with contextlib.suppress(OSError):  # another process pruned it first
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()


def _write_atomically(path: Path, data: bytes) -> None:
    """Another process starting at the same moment reads the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".recognizer-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Examples on disk -------------------------------------------------------------------------

_KEYS: Final = frozenset({*LANGS, "ask_when_also"})
_YamlLoader: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_training_set(
    directory: Path, triggers: Mapping[str, Mapping[Lang, Sequence[str]]]
) -> TrainingSet:
    """The training set for the plans that are loaded (``triggers``: plan id → its triggers).

    A plan's examples are its triggers plus ``<directory>/<plan-id>.yaml`` when that exists,
    so a new plan is recognised from its YAML alone and gets better with an examples file.
    Examples files of plans that are not loaded are ignored. ``_ordinary.yaml`` holds the
    ordinary chat.
    """
    plans: dict[str, tuple[Example, ...]] = {}
    pairs: set[frozenset[str]] = set()
    for playbook_id, by_lang in triggers.items():
        examples = [Example(t, lang) for lang in LANGS for t in by_lang.get(lang, ())]
        path = directory / f"{playbook_id}.yaml"
        if path.is_file():
            file_examples, also = _read(path)
            examples.extend(file_examples)
            pairs.update(frozenset((playbook_id, other)) for other in also if other in triggers)
        plans[playbook_id] = tuple(dict.fromkeys(examples))
    path = directory / f"{ORDINARY}.yaml"
    ordinary = _read(path)[0] if path.is_file() else ()
    return TrainingSet(plans=plans, ordinary=ordinary, ask_between=frozenset(pairs))


def _read(path: Path) -> tuple[tuple[Example, ...], tuple[str, ...]]:
    """One examples file: ``{nl: [...], en: [...], ask_when_also: [plan-id, ...]}``."""
    try:
        # libyaml (as the playbooks are read): PyYAML's own parser takes ~0.1 s for these.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ExamplesError(f"{path}: cannot be read: {err}") from err
    if not isinstance(data, dict):
        raise ExamplesError(f"{path}: expected a mapping with nl and en lists")
    unknown = set(data) - _KEYS
    if unknown:
        raise ExamplesError(f"{path}: unknown keys {sorted(map(str, unknown))}")
    examples: list[Example] = []
    for lang in LANGS:
        texts = data.get(lang) or []
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ExamplesError(f"{path}: {lang} must be a list of texts")
        examples.extend(Example(t, lang) for t in texts if t.strip())
    also = data.get("ask_when_also") or []
    if not isinstance(also, list) or not all(isinstance(t, str) for t in also):
        raise ExamplesError(f"{path}: ask_when_also must be a list of plan ids")
    return tuple(dict.fromkeys(examples)), tuple(also)
