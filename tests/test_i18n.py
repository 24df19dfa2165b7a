"""The translation catalogue: one file per language, checked against Dutch when it loads."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.catalogue import LOCALES, REFERENCE, CatalogueError, load
from bot.i18n import catalogue, t
from bot.messages import LANGS

ROOT = Path(__file__).resolve().parent.parent


def _locales(tmp_path: Path) -> Path:
    """A copy of the shipped files to break or extend."""
    directory = tmp_path / "locales"
    shutil.copytree(LOCALES, directory)
    return directory


def _problems(directory: Path) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load(directory)
    return [str(problem) for problem in caught.value.problems]


def _line(path: Path, key_line: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(key_line) + 1


def test_the_shipped_files_are_the_products_languages_with_dutch_first() -> None:
    # A new file without its language in bot.messages.Lang would never be chosen (see
    # docs/architecture.md, "Languages"): this fails until both are there.
    assert catalogue().languages == LANGS
    assert catalogue().languages[0] == REFERENCE


def test_every_text_is_filled_in_and_an_unknown_language_gets_dutch() -> None:
    assert t("incident_opened", "en", incident_id="NR-1", time="10:07").startswith(
        "Incident *NR-1* opened at 10:07."
    )
    assert t("yes_start", "de") == t("yes_start", "nl") == "Ja, start"
    assert t("evidence.doc_title", "nl", incident_id="NR-1") == "Dossier NR-1"
    assert t("calendar.day.sat", "en") == "Sat"


def test_a_third_language_is_a_file(tmp_path: Path) -> None:
    directory = _locales(tmp_path)
    english = (directory / "en.toml").read_text(encoding="utf-8")
    german = english.replace('yes_start = "Yes, start"', 'yes_start = "Ja, starten"').replace(
        '[calendar]\nday.mon = "Mon"', '[calendar]\nday.mon = "Mo"'
    )
    (directory / "de.toml").write_text(german, encoding="utf-8")
    loaded = load(directory)
    assert loaded.languages == ("nl", "de", "en")
    assert loaded.template("yes_start", "de") == "Ja, starten"
    assert loaded.template("calendar.day.mon", "de") == "Mo"
    assert loaded.template("yes_start", "fr") == "Ja, start"


def test_a_third_language_missing_texts_says_which(tmp_path: Path) -> None:
    directory = _locales(tmp_path)
    english = (directory / "en.toml").read_text(encoding="utf-8")
    kept = [
        line
        for line in english.splitlines()
        if not line.startswith(("yes_start =", "fill_in =", "doc_title ="))
    ]
    (directory / "de.toml").write_text("\n".join(kept) + "\n", encoding="utf-8")
    de = directory / "de.toml"
    assert _problems(directory) == [
        f"{de}: evidence.doc_title: missing (it is in nl.toml)",
        f"{de}: slack.fill_in: missing (it is in nl.toml)",
        f"{de}: teams.fill_in: missing (it is in nl.toml)",
        f"{de}: yes_start: missing (it is in nl.toml)",
    ]


def test_a_changed_placeholder_an_unknown_key_and_a_number_point_at_their_line(
    tmp_path: Path,
) -> None:
    directory = _locales(tmp_path)
    en = directory / "en.toml"
    renamed = 'same_incident = "Yes, about {incident}"'
    unknown = 'fill_out = "Fill out"'
    number = "csv_delimiter = 44"
    text = en.read_text(encoding="utf-8")
    text = text.replace('same_incident = "Yes, about {incident_id}"', renamed)
    text = text.replace("[slack]\n", f"[slack]\n{unknown}\n")
    text = text.replace('csv_delimiter = ","', number)
    en.write_text(text, encoding="utf-8")
    assert _problems(directory) == [
        f"{en}:{_line(en, renamed)}: same_incident: "
        "placeholders {incident}, but nl.toml has {incident_id}",
        f"{en}:{_line(en, number)}: evidence.csv_delimiter: is 44, not a text in quotes",
        f"{en}:{_line(en, unknown)}: slack.fill_out: unknown key: nl.toml has no such text",
    ]


def test_broken_files_and_stray_files_are_reported(tmp_path: Path) -> None:
    directory = _locales(tmp_path)
    (directory / "de.json").write_text("{}", encoding="utf-8")
    (directory / "fr.toml").write_text('yes_start = "Oui\n', encoding="utf-8")
    nl = directory / "nl.toml"
    brace = 'no_start = "Nee {"'
    nl.write_text(
        nl.read_text(encoding="utf-8").replace('no_start = "Nee"', brace), encoding="utf-8"
    )
    problems = _problems(directory)
    assert problems[0] == (
        f"{directory / 'de.json'}: not a language file: name one <code>.toml, e.g. de.toml"
    )
    assert problems[1].startswith(f"{directory / 'fr.toml'}: cannot be read: ")
    assert "line 1" in problems[1]
    assert problems[2].startswith(f"{nl}:{_line(nl, brace)}: no_start: not a valid template")
    assert len(problems) == 3, problems


def test_without_the_dutch_file_nothing_loads(tmp_path: Path) -> None:
    directory = _locales(tmp_path)
    (directory / "nl.toml").unlink()
    assert _problems(directory) == [
        f"{directory / 'nl.toml'}: missing: the other files are checked against it"
    ]


# Keys written literally in the code: each is in the catalogue (a typo is a test failure,
# not a KeyError in the middle of an incident). Keys built at run time are not seen here.
_LITERAL = {
    r"(?<![\w.])t\(\s*\"([\w.]+)\"": "",
    r"\bturn\.t\(\s*\"([\w.]+)\"": "",
    r"\badapter_text\(\s*\"([\w.]+)\"": "teams.",
    r"\bteams_files\.text\(\s*\"([\w.]+)\"": "teams.files.",
    r"\b_said\(\s*\"([\w.]+)\"": "handoff_ack.",
    r"\b_refuse\(\s*\d+,\s*\"([\w.]+)\"": "downloads.",
}
_LITERAL_IN = {
    "bot/evidence": r"(?<![\w.])say\(\s*\"([\w.]+)\"",
    "bot/answers": r"\b(?:say|fail)\(\s*\"([\w.]+)\"",
}


def test_every_key_written_in_the_code_is_in_the_catalogue() -> None:
    keys = catalogue().texts[REFERENCE]
    used: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for pattern, prefix in _LITERAL.items():
            used |= {prefix + key for key in re.findall(pattern, source)}
        for folder, pattern in _LITERAL_IN.items():
            if path.is_relative_to(ROOT / folder):
                prefix = "evidence." if folder.endswith("evidence") else "answers."
                used |= {prefix + key for key in re.findall(pattern, source)}
    assert len(used) > 200
    assert sorted(used - keys.keys()) == []
