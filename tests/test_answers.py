"""Typed answers to fact questions: parsed, normalised, or refused in plain words."""

from __future__ import annotations

import random
import re
import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from schwifty import IBAN

from bot.answers import FACT_TYPES, AnswerError, Parsed, parse_answer
from bot.answers.texts import country_name
from bot.i18n import has
from bot.messages import Lang

TZ = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 21, 14, 30, 12, 345678, tzinfo=UTC)  # Saturday 15:30:12 in Amsterdam
YES_NO_NL = (("yes", "Ja"), ("no", "Nee"))
CHANNELS = (
    ("director_mail", "Mail van de 'directeur' of een leidinggevende"),
    ("changed_invoice", "Factuur met een ander rekeningnummer"),
    ("supplier_new_bank", "Leverancier meldde een nieuwe bank"),
    ("phone_or_video", "Telefoontje of videogesprek"),
    ("other", "Anders"),
)


def parse(
    fact_type: str, text: str, lang: Lang = "nl", options: tuple[tuple[str, str], ...] = ()
) -> Parsed:
    return parse_answer(fact_type, text, lang=lang, now=NOW, tz=TZ, options=options)


def refusal(
    fact_type: str, text: str, lang: Lang = "nl", options: tuple[tuple[str, str], ...] = ()
) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        parse(fact_type, text, lang, options)
    return caught.value


# Text -------------------------------------------------------------------------------------


def test_text_is_trimmed_and_cleaned() -> None:
    assert parse("text", "  Jansen B.V. \x00 ") == Parsed("Jansen B.V.", "Jansen B.V.")
    assert parse("text", "a" * 500).value == "a" * 500


@pytest.mark.parametrize(("lang", "words"), [("nl", "maximaal 500 tekens"), ("en", "at most 500")])
def test_text_too_long_says_the_limit(lang: Lang, words: str) -> None:
    error = refusal("text", "a" * 20_000, lang)
    assert error.reason == "text.too_long"
    assert words in error.message and "20000" in error.message


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\n\t"])
def test_text_empty(text: str) -> None:
    assert refusal("text", text).reason == "empty"


# Money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "display_nl", "display_en"),
    [
        ("12500", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("€ 12.500,00", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("12,500.00", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("EUR 12.500", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("€12.500,50", "12500.50 EUR", "€ 12.500,50", "€12,500.50"),
        ("12.500", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),  # Dutch thousands
        ("12,500", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),  # English thousands
        ("12.50", "12.50 EUR", "€ 12,50", "€12.50"),
        ("12,5", "12.50 EUR", "€ 12,50", "€12.50"),
        ("12.5k", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("12,5k", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("€ 12.500,-", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("12 500 euro", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("12500 euro's", "12500.00 EUR", "€ 12.500,00", "€12,500.00"),
        ("1.234.567,89", "1234567.89 EUR", "€ 1.234.567,89", "€1,234,567.89"),
        ("$ 1,234.56", "1234.56 USD", "$ 1.234,56", "$1,234.56"),
        ("USD 800", "800.00 USD", "$ 800,00", "$800.00"),
        ("£99", "99.00 GBP", "£ 99,00", "£99.00"),
        ("0,01", "0.01 EUR", "€ 0,01", "€0.01"),
    ],
)
def test_money(text: str, value: str, display_nl: str, display_en: str) -> None:
    assert parse("money", text, "nl") == Parsed(value, display_nl)
    assert parse("money", text, "en") == Parsed(value, display_en)


def test_money_estimate_is_noted() -> None:
    parsed = parse("money", "ongeveer 12.500 euro")
    assert parsed.value == "12500.00 EUR"
    assert parsed.notes == (
        "Genoteerd als schatting; pas het aan als je het precieze bedrag weet.",
    )
    assert parse("money", "about €12,500", "en").notes[0].startswith("Noted as an estimate")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "money.not_positive"),
        ("0,00", "money.not_positive"),
        ("-500", "money.not_positive"),
        ("€ −500", "money.not_positive"),
        ("10000000000000", "money.too_large"),
        ("1.000.000.000.001", "money.too_large"),
        ("9" * 150, "money.too_large"),
        ("12.5000", "money.ambiguous"),
        ("1234.567", "money.ambiguous"),
        ("12.500,505", "money.ambiguous"),
        ("1,2,3", "money.ambiguous"),
        ("€ 5 of $ 5", "money.currencies"),
        ("€ 5 $", "money.currencies"),
        ("weet ik veel", "money.unreadable"),
        ("1e13", "money.unreadable"),
        ("12-500", "money.unreadable"),
        ("", "empty"),
        ("1" * 300, "money.unreadable"),
    ],
)
def test_money_refused(text: str, reason: str) -> None:
    assert refusal("money", text).reason == reason


def test_money_refusal_says_what_to_type() -> None:
    assert refusal("money", "veel").message == (
        'Ik kan hier geen bedrag in lezen. Typ het bedrag, bijvoorbeeld "12.500" of '
        '"€ 12.500,50", of typ "weet ik niet".'
    )
    assert refusal("money", "lots", "en").message.startswith("I can't read an amount")


# Date and time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "display"),
    [
        ("vandaag 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("today 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("10.15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("gisteren 16:00", "2026-11-20T15:00:00.000000Z", "vr 20 nov 2026, 16:00"),
        ("yesterday 4pm", "2026-11-20T15:00:00.000000Z", "vr 20 nov 2026, 16:00"),
        ("Yesterday 4 p.m.", "2026-11-20T15:00:00.000000Z", "vr 20 nov 2026, 16:00"),
        ("gisteren om 4 uur 's middags", "2026-11-20T15:00:00.000000Z", "vr 20 nov 2026, 16:00"),
        ("gisteren rond 10.30 uur", "2026-11-20T09:30:00.000000Z", "vr 20 nov 2026, 10:30"),
        ("21-11-2026 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("21/11 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("2026-11-21 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("21 november 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("21 nov. 2026, 10u15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("Nov 20th 9am", "2026-11-20T08:00:00.000000Z", "vr 20 nov 2026, 09:00"),
        ("1 januari 10:00", "2026-01-01T09:00:00.000000Z", "do 1 jan 2026, 10:00"),
        ("21-07-2026 10:15", "2026-07-21T08:15:00.000000Z", "di 21 jul 2026, 10:15"),  # summer
        ("21 dec 9:00", "2025-12-21T08:00:00.000000Z", "zo 21 dec 2025, 09:00"),  # last year
        ("eergisteren 09:30", "2026-11-19T08:30:00.000000Z", "do 19 nov 2026, 09:30"),
        ("vrijdag 14:00", "2026-11-20T13:00:00.000000Z", "vr 20 nov 2026, 14:00"),
        ("last friday 2pm", "2026-11-20T13:00:00.000000Z", "vr 20 nov 2026, 14:00"),
        ("3 dagen geleden 10:00", "2026-11-18T09:00:00.000000Z", "wo 18 nov 2026, 10:00"),
        ("net", "2026-11-21T14:30:00.000000Z", "za 21 nov 2026, 15:30"),
        ("just now", "2026-11-21T14:30:00.000000Z", "za 21 nov 2026, 15:30"),
        ("zojuist", "2026-11-21T14:30:00.000000Z", "za 21 nov 2026, 15:30"),
        ("10 minuten geleden", "2026-11-21T14:20:00.000000Z", "za 21 nov 2026, 15:20"),
        ("een kwartier geleden", "2026-11-21T14:15:00.000000Z", "za 21 nov 2026, 15:15"),
        ("2 hours ago", "2026-11-21T12:30:00.000000Z", "za 21 nov 2026, 13:30"),
        ("za 21 nov 2026, 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("Sat 21 Nov 2026, 10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("2026-11-21T09:15:00Z", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
        ("2026-11-21T10:15", "2026-11-21T09:15:00.000000Z", "za 21 nov 2026, 10:15"),
    ],
)
def test_datetime(text: str, value: str, display: str) -> None:
    assert parse("datetime", text) == Parsed(value, display)


def test_datetime_display_in_english() -> None:
    assert parse("datetime", "yesterday 4pm", "en") == Parsed(
        "2026-11-20T15:00:00.000000Z", "Fri 20 Nov 2026, 16:00"
    )


@pytest.mark.parametrize(
    ("text", "lang", "value", "display", "note"),
    [
        (
            "vanochtend",
            "nl",
            "2026-11-21T08:00:00.000000Z",
            "za 21 nov 2026, 09:00",
            'Ik ga uit van 09:00 ("vanochtend"). Weet je de precieze tijd, typ die dan.',
        ),
        (
            "this morning",
            "en",
            "2026-11-21T08:00:00.000000Z",
            "Sat 21 Nov 2026, 09:00",
            'I assumed 09:00 ("this morning"). If you know the exact time, please type it.',
        ),
        (
            "gisteravond",
            "nl",
            "2026-11-20T18:00:00.000000Z",
            "vr 20 nov 2026, 19:00",
            'Ik ga uit van 19:00 ("gisteravond"). Weet je de precieze tijd, typ die dan.',
        ),
        (
            "gisteren",
            "nl",
            "2026-11-20T11:00:00.000000Z",
            "vr 20 nov 2026 (tijd onbekend)",
            "Geen tijd opgegeven: ik noteer 12:00. Weet je de tijd, typ dan datum en tijd.",
        ),
        (
            "21 nov",
            "en",
            "2026-11-21T11:00:00.000000Z",
            "Sat 21 Nov 2026 (time not given)",
            "No time given: I noted 12:00. If you know the time, type the date and time.",
        ),
        (
            "eergisteren",
            "nl",
            "2026-11-19T11:00:00.000000Z",
            "do 19 nov 2026 (tijd onbekend)",
            "Geen tijd opgegeven: ik noteer 12:00. Weet je de tijd, typ dan datum en tijd.",
        ),
    ],
)
def test_datetime_assumptions_are_said(
    text: str, lang: Lang, value: str, display: str, note: str
) -> None:
    assert parse("datetime", text, lang) == Parsed(value, display, (note,))


def test_date_of_today_without_time_is_never_in_the_future() -> None:
    morning = datetime(2026, 11, 21, 7, 5, tzinfo=UTC)  # 08:05 in Amsterdam
    parsed = parse_answer("datetime", "vandaag", lang="nl", now=morning, tz=TZ)
    assert parsed.value == "2026-11-21T07:05:00.000000Z"
    assert parsed.notes == (
        "Geen tijd opgegeven: ik noteer 08:05. Weet je de tijd, typ dan datum en tijd.",
    )


@pytest.mark.parametrize(
    ("text", "reason", "detail"),
    [
        ("16:00", "when.future", "(za 21 nov 2026, 16:00)"),
        ("morgen 10:00", "when.future", "(morgen)"),
        ("21-11-2027", "when.future", "(21-11-2027)"),
        ("20-11-2025 10:00", "when.too_old", "(do 20 nov 2025, 10:00)"),
        ("1-1-0001 00:00", "when.too_old", "(1-1-0001)"),
        ("25:00", "when.bad_time", "(25:00)"),
        ("10:75", "when.bad_time", "(10:75)"),
        ("13pm", "when.bad_time", "(13pm)"),
        ("31-02-2026 10:00", "when.bad_date", "(31-02-2026)"),
        ("30 feb", "when.bad_date", "(30 feb)"),
        ("vorige week", "when.unreadable", ""),
        ("ik weet het niet precies", "when.unreadable", ""),
        ("10:15 11:15", "when.unreadable", ""),
        ("21-11 22-11", "when.unreadable", ""),
        ("10 minuten geleden 10:15", "when.unreadable", ""),
        ("9999-12-31T23:59-14:00", "when.unreadable", ""),
        ("", "empty", ""),
    ],
)
def test_datetime_refused(text: str, reason: str, detail: str) -> None:
    error = refusal("datetime", text)
    assert error.reason == reason
    assert detail in error.message


def test_datetime_future_grace_is_five_minutes() -> None:
    assert parse("datetime", "15:35").value == "2026-11-21T14:35:00.000000Z"
    assert refusal("datetime", "15:36").reason == "when.future"


def test_datetime_refusals_in_english() -> None:
    assert refusal("datetime", "16:00", "en").message == (
        "That time (Sat 21 Nov 2026, 16:00) is in the future. Type when it happened, for "
        'example "yesterday 10:15", or type "don\'t know".'
    )


# IBAN -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "NL91ABNA0417164300",
        "NL91 ABNA 0417 1643 00",
        "nl91 abna 0417 1643 00",
        "NL91.ABNA.0417.1643.00",
        "NL91-ABNA-0417-1643-00",
        "IBAN: NL91ABNA0417164300",
    ],
)
def test_iban_dutch(text: str) -> None:
    assert parse("iban", text) == Parsed(
        "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00 (ABN AMRO BANK N.V.)"
    )


def test_iban_foreign_is_valid_with_a_note() -> None:
    nl = parse("iban", "DE89 3704 0044 0532 0130 00", "nl")
    en = parse("iban", "de89370400440532013000", "en")
    assert nl.value == en.value == "DE89370400440532013000"
    assert nl.display == "DE89 3704 0044 0532 0130 00 (Commerzbank)"
    assert nl.notes == (
        "Let op: dit is een buitenlandse rekening (Duitsland, Commerzbank). Terughalen duurt "
        "daar vaak langer; zeg dit tegen je bank.",
    )
    assert en.notes == (
        "Note: this is a foreign account (Germany, Commerzbank). Getting money back from "
        "abroad often takes longer; tell your bank.",
    )


def test_iban_foreign_without_known_bank() -> None:
    parsed = parse("iban", "BE68 5390 0754 7034", "en")
    assert parsed == Parsed(
        "BE68539007547034",
        "BE68 5390 0754 7034",
        (
            "Note: this is a foreign account (Belgium). Getting money back from abroad often "
            "takes longer; tell your bank.",
        ),
    )


def test_iban_bank_lookup_failure_is_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: IBAN) -> str:
        raise RuntimeError("registry missing")

    monkeypatch.setattr(IBAN, "bank_name", property(broken))
    assert parse("iban", "NL91ABNA0417164300") == Parsed(
        "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00"
    )


@pytest.mark.parametrize(
    ("text", "reason", "nl", "en"),
    [
        (
            "NL91ABNA0417164301",
            "iban.checksum",
            "Dat lijkt geen geldig IBAN: het controlegetal klopt niet. Controleer het nummer, "
            'of typ "weet ik niet".',
            "the check digits don't match",
        ),
        (
            "NL91ABNA041716430",
            "iban.length",
            "een IBAN uit Nederland heeft 18 tekens, dit nummer heeft er 17",
            "an IBAN from the Netherlands has 18 characters, this one has 17",
        ),
        ("XX89370400440532013000", "iban.country", '"XX" is geen landcode', '"XX" is not'),
        ("US12345678901234", "iban.country", '"US" is geen landcode', '"US" is not'),
        ("NL91ABNA04171643OO", "iban.structure", "uit Nederland hoort", "from the Netherlands"),
        ("hallo", "iban.not_iban", "Dat lijkt geen IBAN.", "doesn't look like an IBAN."),
        ("0417164300", "iban.not_iban", "begint met een landcode", "starts with a country"),
        ("NL91 ABNA 0417 1643 00 ✓", "iban.not_iban", "geen IBAN", "an IBAN"),
        ("N" * 300, "iban.not_iban", "geen IBAN", "an IBAN"),
    ],
)
def test_iban_refused(text: str, reason: str, nl: str, en: str) -> None:
    dutch, english = refusal("iban", text, "nl"), refusal("iban", text, "en")
    assert dutch.reason == english.reason == reason
    assert nl in dutch.message
    assert en in english.message


def test_country_names_cover_the_eea() -> None:
    eea = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
    for code in [*eea.split(), "IS", "LI", "NO", "GB", "CH"]:
        assert country_name(code, "nl") != code != country_name(code, "en")


# Choices ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("1", "director_mail"),
        ("5", "other"),
        ("optie 2", "changed_invoice"),
        ("director_mail", "director_mail"),
        ("Anders", "other"),
        ("anders.", "other"),
        ("Andres", "other"),  # swapped letters
        ("factuur", "changed_invoice"),
        ("telefoon", "phone_or_video"),  # a prefix of "telefoontje"
        ("mail directeur", "director_mail"),
        ("leverancier nieuwe bank", "supplier_new_bank"),
        ("TELEFOONTJE OF VIDEOGESPREK", "phone_or_video"),
    ],
)
def test_choice(text: str, option: str) -> None:
    parsed = parse("choice", text, options=CHANNELS)
    assert parsed == Parsed(option, dict(CHANNELS)[option])


@pytest.mark.parametrize("text", ["6", "0", "banaan", "weet niet", "😀"])
def test_choice_no_match_lists_the_options(text: str) -> None:
    error = refusal("choice", text, options=CHANNELS)
    assert error.reason == "choice.no_match"
    assert "1. Mail van de 'directeur' of een leidinggevende; 2. Factuur met" in error.message
    assert "5. Anders" in error.message


def test_choice_ambiguous_asks_for_the_number() -> None:
    error = refusal("choice", "een", options=CHANNELS)
    assert error.reason == "choice.ambiguous"
    assert error.message.startswith("Dat past bij meer dan één keuze (")
    assert "Typ het nummer: 1. Mail" in error.message


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("ja", "yes"),
        ("Ja!", "yes"),
        ("j", "yes"),
        ("jaa", "yes"),
        ("yes", "yes"),
        ("y", "yes"),
        ("Jawel", "yes"),
        ("1", "yes"),
        ("nee", "no"),
        ("Nee hoor", "no"),
        ("n", "no"),
        ("no", "no"),
        ("neee", "no"),
        ("niet", "no"),
        ("2", "no"),
    ],
)
def test_yes_no(text: str, option: str) -> None:
    assert parse("yes_no", text, options=YES_NO_NL) == Parsed(option, dict(YES_NO_NL)[option])


def test_yes_no_without_options_uses_the_defaults() -> None:
    assert parse("yes_no", "yes", "en") == Parsed("yes", "Yes")
    assert parse("yes_no", "nee", "nl") == Parsed("no", "Nee")


def test_yes_no_refused_in_both_languages() -> None:
    assert refusal("yes_no", "misschien", options=YES_NO_NL).message == (
        "Dat herken ik niet als keuze. Kies uit: 1. Ja; 2. Nee. Typ het nummer of de tekst, of "
        'typ "weet ik niet".'
    )
    english = refusal("yes_no", "maybe", "en", options=(("yes", "Yes"), ("no", "No")))
    assert "Choose from: 1. Yes; 2. No." in english.message


def test_programming_errors_are_not_answer_errors() -> None:
    with pytest.raises(ValueError) as unknown:
        parse("colour", "red")
    assert not isinstance(unknown.value, AnswerError)
    with pytest.raises(ValueError) as no_options:
        parse("choice", "1")
    assert not isinstance(no_options.value, AnswerError)


# No input crashes -------------------------------------------------------------------------

_PIECES = [
    *string.printable,
    "€", "$", "£", "−", "½", "١", "²", "ß", "İ", "é", "\u00a0", "\u202f", "\x00", "\ud800",
    "😀", "👍", "\u200b", "ﬁ", "Ⅻ", "𝟗", "k", "uur", "am", "pm", "nov", "mei", "gisteren",
    "vanochtend", "geleden", "ago", "minuten", "dagen", "morgen", "vrijdag", "sat", "t", "z",
    "NL91", "ABNA", "DE89", "0417164300", "12.500", "12,50", "10:15", "21-11", "2026-",
    "9999", "0000", "iban:", "ja", "nee", "optie", "ongeveer", " ", "  ", "-", "/", ".", ",",
]  # fmt: skip


_SEEDS = {
    "text": ["Jansen B.V."],
    "money": ["€ 12.500,50", "12,500.00", "12.5k", "ongeveer 12.500 euro", "$ 1,234.56"],
    "datetime": ["gisteren 16:00", "21-11-2026 10:15", "21 nov", "vanochtend", "2 uur geleden"],
    "iban": ["NL91 ABNA 0417 1643 00", "DE89370400440532013000", "GB29NWBK60161331926819"],
    "choice": ["2", "Anders", "mail directeur", "telefoon"],
    "yes_no": ["ja", "nee", "Ja graag", "1"],
}


def _random_text(rng: random.Random, fact_type: str) -> str:
    """Half pure noise, half a valid answer with a few random edits (to reach the deep
    paths that noise never gets past the first check to)."""
    if rng.random() < 0.5:
        size = rng.choice((1, 2, 3, 5, 8, 13, 40, 250))
        return "".join(rng.choice(_PIECES) for _ in range(size))
    text = rng.choice(_SEEDS[fact_type])
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        cut = rng.choice((0, 0, 1))
        text = text[:at] + rng.choice(_PIECES) + text[at + cut :]
    return text


@pytest.mark.parametrize("fact_type", sorted(FACT_TYPES))
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_any_text_parses_or_is_refused(fact_type: str, lang: Lang) -> None:
    """hypothesis is not installed, so a seeded random loop stands in for it."""
    rng = random.Random(f"{fact_type}-{lang}")
    options = YES_NO_NL if fact_type == "yes_no" else CHANNELS
    for _ in range(1500):
        text = _random_text(rng, fact_type)
        try:
            parsed = parse_answer(fact_type, text, lang=lang, now=NOW, tz=TZ, options=options)
        except AnswerError as error:
            assert error.message and has(f"answers.{error.reason}")
            continue
        _check_invariants(fact_type, parsed, options)


def _check_invariants(fact_type: str, parsed: Parsed, options: tuple[tuple[str, str], ...]) -> None:
    assert isinstance(parsed, Parsed) and parsed.display
    if fact_type == "money":
        assert re.fullmatch(r"\d+\.\d{2} (EUR|USD|GBP)", parsed.value)
    elif fact_type == "datetime":
        moment = datetime.strptime(parsed.value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert NOW - timedelta(days=366) <= moment <= NOW + timedelta(minutes=5)
    elif fact_type == "iban":
        assert IBAN(parsed.value).compact == parsed.value
    elif fact_type in ("choice", "yes_no"):
        assert (parsed.value, parsed.display) in options
    else:
        assert 0 < len(parsed.value) <= 500
