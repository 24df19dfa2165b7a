"""How well does free text find the right plan? Trains the recognizer, runs the dev set.

    python -m bench.intents [--tune]

Prints, per plan, how often the right plan was proposed or offered in the chooser, the
confusion matrix (what was proposed for what), the share sent to the chooser, false starts on
ordinary chat, confident wrong plans, and how long import and training took. ``--tune`` runs
5-fold cross-validation on the *training* examples (never the dev set) and prints what each
candidate set of thresholds would do: that is where the thresholds in bot/recognition.py
come from.

Targets: >= 97% right plan proposed or offered, 0 plans offered on ordinary chat, 0 wrong
plans proposed with confidence.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.messages import LANGS
from bot.recognition import (
    ORDINARY,
    Band,
    Example,
    Recognition,
    Recognizer,
    Thresholds,
    TrainingSet,
    band,
    load_training_set,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "playbooks" / "examples"
DEV_SET = ROOT / "tests" / "data" / "intents_dev.yaml"
NONE_LABEL = "none"
CHOOSER = "(chooser)"


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    label: str
    """A plan id, or ``none`` for ordinary chat."""


def example_plan_ids(directory: Path = EXAMPLES) -> list[str]:
    """The plan ids that have an examples file: the bench needs no playbook files."""
    return sorted(p.stem for p in directory.glob("*.yaml") if not p.stem.startswith("_"))


def training_set(directory: Path = EXAMPLES) -> TrainingSet:
    return load_training_set(directory, {pid: {} for pid in example_plan_ids(directory)})


def load_dev_set(path: Path = DEV_SET) -> list[Labelled]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Labelled(text, label)
        for label, by_lang in data.items()
        for lang in LANGS
        for text in by_lang.get(lang, ())
    ]


@dataclass
class Report:
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    """Plan messages whose plan was proposed, or offered in the chooser."""
    confident: Counter[str] = field(default_factory=Counter)
    chooser: Counter[str] = field(default_factory=Counter)
    confident_wrong: list[tuple[Labelled, Recognition]] = field(default_factory=list)
    missed: list[tuple[Labelled, Recognition]] = field(default_factory=list)
    """Plan messages without the right plan: NONE, or a chooser without it."""
    false_starts: list[tuple[Labelled, Recognition]] = field(default_factory=list)
    """Ordinary chat that was offered a plan."""
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def plan_messages(self) -> int:
        return sum(n for label, n in self.total.items() if label != NONE_LABEL)

    @property
    def right_share(self) -> float:
        return sum(self.right.values()) / max(1, self.plan_messages)

    @property
    def chooser_share(self) -> float:
        return sum(self.chooser.values()) / max(1, sum(self.total.values()))


def evaluate(results: Iterable[tuple[Labelled, Recognition]]) -> Report:
    report = Report()
    for item, result in results:
        report.total[item.label] += 1
        ids = [c.playbook_id for c in result.candidates]
        outcome = {Band.NONE: NONE_LABEL, Band.UNSURE: CHOOSER}.get(result.band) or ids[0]
        report.confusion[(item.label, outcome)] += 1
        if result.band is Band.UNSURE:
            report.chooser[item.label] += 1
        if item.label == NONE_LABEL:
            if result.band is not Band.NONE:
                report.false_starts.append((item, result))
            continue
        if result.band is Band.CONFIDENT:
            report.confident[item.label] += 1
            if ids[0] != item.label:
                report.confident_wrong.append((item, result))
        if item.label in ids:
            report.right[item.label] += 1
        else:
            report.missed.append((item, result))
    return report


def run_dev(recognizer: Recognizer, dev: Sequence[Labelled]) -> Report:
    return evaluate((item, recognizer.recognise(item.text)) for item in dev)


def _show(result: Recognition) -> str:
    return ", ".join(f"{c.playbook_id} {c.score:.2f}" for c in result.candidates) or "-"


def print_report(report: Report) -> None:
    labels = sorted(report.total, key=lambda label: (label == NONE_LABEL, label))
    print(f"{'label':22} {'n':>4} {'right':>6} {'confident':>10} {'chooser':>8}")
    for label in labels:
        n = report.total[label]
        right = "" if label == NONE_LABEL else f"{report.right[label] / n:6.1%}"
        print(f"{label:22} {n:4} {right:>6} {report.confident[label]:10} {report.chooser[label]:8}")
    columns = [label for label in labels if label != NONE_LABEL] + [CHOOSER, NONE_LABEL]
    print("\nconfusion (rows: expected; columns: proposed plan, chooser, none)")
    print(" " * 22 + "".join(f"{c[:8]:>9}" for c in columns))
    for label in labels:
        cells = "".join(f"{report.confusion[(label, c)]:9}" for c in columns)
        print(f"{label:22}{cells}")
    print(
        f"\nright plan proposed or offered: {sum(report.right.values())}/{report.plan_messages}"
        f" = {report.right_share:.1%}   (target >= 97%)"
    )
    print(f"sent to the chooser: {report.chooser_share:.1%} of all messages")
    print(f"false starts on ordinary chat: {len(report.false_starts)}   (target 0)")
    print(f"confident wrong plans: {len(report.confident_wrong)}   (target 0)")
    for title, rows in (
        ("confident wrong", report.confident_wrong),
        ("missed", report.missed),
        ("false starts", report.false_starts),
    ):
        for item, result in rows:
            print(f"  {title}: [{item.label}] {item.text!r} -> {result.band.name} {_show(result)}")


# Tuning -----------------------------------------------------------------------------------


def out_of_fold(training: TrainingSet, *, folds: int = 5) -> list[tuple[str, dict[str, float]]]:
    """(true label, scores) for every training example, each scored by a model that did not
    see it. Stratified and seeded, so a rerun gives the same numbers."""
    from sklearn.model_selection import StratifiedKFold

    items: list[tuple[str, Example]] = [
        (label, example)
        for label, examples in [*training.plans.items(), (ORDINARY, training.ordinary)]
        for example in examples
    ]
    labels = [label for label, _ in items]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    scored: list[tuple[str, dict[str, float]]] = []
    for train_idx, test_idx in splitter.split(labels, labels):
        plans: dict[str, list[Example]] = {pid: [] for pid in training.plans}
        ordinary: list[Example] = []
        for i in train_idx:
            label, example = items[i]
            (ordinary if label == ORDINARY else plans[label]).append(example)
        fold = TrainingSet(
            plans={pid: tuple(e) for pid, e in plans.items()},
            ordinary=tuple(ordinary),
            ask_between=training.ask_between,
        )
        recognizer = Recognizer.train(fold)
        for i in test_idx:
            label, example = items[i]
            scored.append((label, recognizer.scores(example.text)))
    return scored


def tune(training: TrainingSet) -> None:
    scored = out_of_fold(training)
    rows = [
        (Labelled("", NONE_LABEL if label == ORDINARY else label), scores)
        for label, scores in scored
    ]
    print(f"{len(rows)} out-of-fold scores (5 folds)")
    print(
        f"{'none_at':>8} {'conf_at':>8} {'runner':>7} {'right':>7} {'chooser':>8} "
        f"{'false':>6} {'confwrong':>10}"
    )
    for none_at, confident_at, runner_up in product(
        (0.4, 0.5, 0.6, 0.7), (0.6, 0.7, 0.8), (0.1, 0.15, 0.25)
    ):
        thresholds = Thresholds(none_at=none_at, confident_at=confident_at, runner_up_max=runner_up)
        report = evaluate(
            (item, band(scores, ask_between=training.ask_between, thresholds=thresholds))
            for item, scores in rows
        )
        print(
            f"{none_at:8} {confident_at:8} {runner_up:7} {report.right_share:7.1%} "
            f"{report.chooser_share:8.1%} {len(report.false_starts):6} "
            f"{len(report.confident_wrong):10}"
        )
    ordinary = sorted(s.get(ORDINARY, 0.0) for label, s in scored if label == ORDINARY)
    fraud = sorted(s.get(ORDINARY, 0.0) for label, s in scored if label != ORDINARY)
    print(
        f"ordinary-class score on ordinary chat: min {ordinary[0]:.2f}, "
        f"5th pct {ordinary[len(ordinary) // 20]:.2f}"
    )
    print(
        f"ordinary-class score on plan examples: max {fraud[-1]:.2f}, "
        f"95th pct {fraud[len(fraud) * 19 // 20]:.2f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="cross-validate thresholds")
    args = parser.parse_args(argv)
    training = training_set()
    started = time.perf_counter()
    import sklearn.linear_model  # noqa: F401  (measured apart from training)

    imported = time.perf_counter()
    recognizer = Recognizer.train(training)
    trained = time.perf_counter()
    sizes: Mapping[str, int] = {pid: len(e) for pid, e in training.plans.items()}
    print(f"examples: {sum(sizes.values())} plan, {len(training.ordinary)} ordinary; {sizes}")
    print(f"import scikit-learn: {imported - started:.2f} s; train: {trained - imported:.2f} s")
    if args.tune:
        tune(training)
        return 0
    dev = load_dev_set()
    began = time.perf_counter()
    report = run_dev(recognizer, dev)
    per_message = (time.perf_counter() - began) / len(dev)
    print(f"dev set: {len(dev)} messages, {per_message * 1000:.1f} ms a message\n")
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
