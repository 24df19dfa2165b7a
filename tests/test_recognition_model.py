"""The trained recognizer as plain weights (``bot.recognition.Model``): scored without
scikit-learn, exactly as the fitted pipeline scores, and kept between starts."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from bench.intents import load_dev_set, training_set
from bot.recognition import (
    ORDINARY,
    Example,
    Model,
    Recognizer,
    TrainingSet,
    char_features,
    fitted,
    prepare,
)


def test_the_weights_score_as_the_fitted_pipeline_does() -> None:
    pipeline = fitted(training_set())
    model = Model.of(pipeline)
    texts = [item.text for item in load_dev_set()]
    texts += ["", "!!!", "x", "8.000", "  twee   spaties  ", "a" * 2000]
    expected = pipeline.predict_proba(texts)
    for text, row in zip(texts, expected, strict=True):
        assert model.scores(text) == pytest.approx(list(row), abs=1e-12), text
    assert Model.from_bytes(model.to_bytes()) == model


def test_char_features_are_scikit_learns_char_wb() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for text in ("ik  heb betaald", "a bc def ghij", "x", "", "nep\tfactuur"):
        assert char_features(prepare(text)) == analyse(prepare(text)), text


def _small(extra: str = "") -> TrainingSet:
    """Two labels (a single row of weights) and few examples: trained in milliseconds."""
    plan = (Example("we hebben een oplichter betaald", "nl"), Example("paid a fraudster", "en"))
    ordinary = (Example("de factuur van de schilder" + extra, "nl"), Example("lunch", "en"))
    return TrainingSet(plans={"some-plan": plan}, ordinary=ordinary)


def test_a_start_reads_the_weights_a_start_before_trained(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trained = Recognizer.cached(_small(), tmp_path)
    [kept] = tmp_path.iterdir()
    again = Recognizer.cached(_small(), tmp_path)
    text = "ik denk dat we een oplichter hebben betaald"
    assert again.scores(text) == trained.scores(text)
    assert set(again.scores(text)) == {"some-plan", ORDINARY}

    Recognizer.cached(_small(extra=" en de loodgieter"), tmp_path)  # other examples
    assert len(list(tmp_path.iterdir())) == 2, "other examples are kept apart"
    month_old = time.time() - 31 * 24 * 3600
    for path in tmp_path.iterdir():
        os.utime(path, (month_old, month_old))
    Recognizer.cached(_small(), tmp_path)  # read: in use again
    Recognizer.cached(_small(extra=" en de elektricien"), tmp_path)  # kept: prunes the unused
    assert len(list(tmp_path.iterdir())) == 2
    assert kept.exists(), "weights in use were pruned"

    kept.write_bytes(kept.read_bytes()[:100])  # cut off mid-write elsewhere
    with caplog.at_level(logging.WARNING, logger="bot.recognition"):
        retrained = Recognizer.cached(_small(), tmp_path)
    assert "cannot be used" in caplog.text
    assert retrained.scores(text) == trained.scores(text)
    assert Model.from_bytes(kept.read_bytes()).labels == ("_ordinary", "some-plan")
    kept.write_bytes(b"not the weights")
    assert Recognizer.cached(_small(), tmp_path).scores(text) == trained.scores(text)


def test_a_cache_that_cannot_be_written_only_costs_a_training(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    recognizer = Recognizer.cached(_small(), blocked / "cache")
    assert recognizer.playbook_ids == ("some-plan",)
