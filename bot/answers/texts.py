"""Every sentence the answer parsers say, in Dutch and English, in one place.

Each message says what went wrong in plain words and what to type instead, and ends with
the way out ("weet ik niet"), because the person reading it is under stress and the
question can always be answered later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.messages import Lang

MESSAGES: Final[Mapping[str, Mapping[Lang, str]]] = {
    # Any type -------------------------------------------------------------------------
    "empty": {
        "nl": 'Ik zie geen antwoord. Typ je antwoord, of typ "weet ik niet".',
        "en": "I didn't get an answer. Type your answer, or type \"don't know\".",
    },
    "text.too_long": {
        "nl": "Dat is te lang: maximaal {limit} tekens, dit zijn er {count}. "
        'Maak het korter, of typ "weet ik niet".',
        "en": "That is too long: at most {limit} characters, this is {count}. "
        'Please make it shorter, or type "don\'t know".',
    },
    # Money ----------------------------------------------------------------------------
    "money.unreadable": {
        "nl": "Ik kan hier geen bedrag in lezen. Typ het bedrag, bijvoorbeeld "
        '"12.500" of "€ 12.500,50", of typ "weet ik niet".',
        "en": "I can't read an amount in that. Type the amount, for example "
        '"12,500" or "€12,500.50", or type "don\'t know".',
    },
    "money.ambiguous": {
        "nl": 'Ik weet niet zeker welk bedrag je bedoelt ("{amount}"). Typ het zonder '
        'punten, bijvoorbeeld "12500" of "12500,50", of typ "weet ik niet".',
        "en": 'I\'m not sure which amount you mean ("{amount}"). Type it without thousands '
        'separators, for example "12500" or "12500.50", or type "don\'t know".',
    },
    "money.currencies": {
        "nl": "Ik zie meer dan één munteenheid. Typ één bedrag, bijvoorbeeld "
        '"€ 12.500", of typ "weet ik niet".',
        "en": "I see more than one currency. Type one amount, for example "
        '"€12,500", or type "don\'t know".',
    },
    "money.not_positive": {
        "nl": "Het bedrag moet groter zijn dan nul. Typ het betaalde bedrag, bijvoorbeeld "
        '"12.500", of typ "weet ik niet".',
        "en": "The amount must be more than zero. Type the amount that was paid, for example "
        '"12,500", or type "don\'t know".',
    },
    "money.too_large": {
        "nl": 'Dat bedrag is te groot om te kloppen. Controleer het, of typ "weet ik niet".',
        "en": 'That amount is too large to be right. Please check it, or type "don\'t know".',
    },
    "money.note.estimate": {
        "nl": "Genoteerd als schatting; pas het aan als je het precieze bedrag weet.",
        "en": "Noted as an estimate; update it when you know the exact amount.",
    },
    # Date and time --------------------------------------------------------------------
    "when.unreadable": {
        "nl": 'Ik begrijp dit tijdstip niet. Typ bijvoorbeeld "vandaag 10:15", '
        '"gisteren 16:00" of "21-11-2026 10:15", of typ "weet ik niet".',
        "en": 'I don\'t understand that time. Type for example "today 10:15", '
        '"yesterday 4pm" or "21-11-2026 10:15", or type "don\'t know".',
    },
    "when.future": {
        "nl": "Dat tijdstip ({when}) ligt in de toekomst. Typ wanneer het gebeurd is, "
        'bijvoorbeeld "gisteren 10:15", of typ "weet ik niet".',
        "en": "That time ({when}) is in the future. Type when it happened, for example "
        '"yesterday 10:15", or type "don\'t know".',
    },
    "when.too_old": {
        "nl": 'Dat is meer dan een jaar geleden ({when}). Controleer de datum, of typ "weet ik '
        'niet".',
        "en": "That is more than a year ago ({when}). Please check the date, or type \"don't "
        'know".',
    },
    "when.bad_date": {
        "nl": "Die datum bestaat niet ({date}). Typ de datum als dag-maand-jaar, bijvoorbeeld "
        '"21-11-2026", of typ "weet ik niet".',
        "en": "That date does not exist ({date}). Type the date as day-month-year, for example "
        '"21-11-2026", or type "don\'t know".',
    },
    "when.bad_time": {
        "nl": "Dat is geen geldige tijd ({time}). Typ de tijd als uren:minuten, bijvoorbeeld "
        '"10:15", of typ "weet ik niet".',
        "en": "That is not a valid time ({time}). Type the time as hours:minutes, for example "
        '"10:15", or type "don\'t know".',
    },
    "when.note.no_time": {
        "nl": "Geen tijd opgegeven: ik noteer {time}. Weet je de tijd, typ dan datum en tijd.",
        "en": "No time given: I noted {time}. If you know the time, type the date and time.",
    },
    "when.note.daypart": {
        "nl": 'Ik ga uit van {time} ("{word}"). Weet je de precieze tijd, typ die dan.',
        "en": 'I assumed {time} ("{word}"). If you know the exact time, please type it.',
    },
    "when.unknown_time": {"nl": "tijd onbekend", "en": "time not given"},
    # IBAN -----------------------------------------------------------------------------
    "iban.not_iban": {
        "nl": "Dat lijkt geen IBAN. Een IBAN begint met een landcode en twee cijfers, "
        'bijvoorbeeld NL91 ABNA 0417 1643 00. Controleer het nummer, of typ "weet ik niet".',
        "en": "That doesn't look like an IBAN. An IBAN starts with a country code and two "
        "digits, for example NL91 ABNA 0417 1643 00. Please check the number, or type "
        '"don\'t know".',
    },
    "iban.country": {
        "nl": 'Dat lijkt geen geldig IBAN: "{code}" is geen landcode die IBAN gebruikt. '
        'Controleer het nummer, of typ "weet ik niet".',
        "en": 'That doesn\'t look like a valid IBAN: "{code}" is not a country code that uses '
        'IBANs. Please check the number, or type "don\'t know".',
    },
    "iban.length": {
        "nl": "Dat lijkt geen geldig IBAN: een IBAN uit {country} heeft {expected} tekens, "
        'dit nummer heeft er {actual}. Controleer het nummer, of typ "weet ik niet".',
        "en": "That doesn't look like a valid IBAN: an IBAN from {country} has {expected} "
        'characters, this one has {actual}. Please check the number, or type "don\'t know".',
    },
    "iban.structure": {
        "nl": "Dat lijkt geen geldig IBAN: de letters en cijfers staan niet op de plek die bij "
        'een IBAN uit {country} hoort. Controleer het nummer, of typ "weet ik niet".',
        "en": "That doesn't look like a valid IBAN: the letters and digits are not where they "
        'belong in an IBAN from {country}. Please check the number, or type "don\'t know".',
    },
    "iban.checksum": {
        "nl": "Dat lijkt geen geldig IBAN: het controlegetal klopt niet. Controleer het "
        'nummer, of typ "weet ik niet".',
        "en": "That doesn't look like a valid IBAN: the check digits don't match. Please check "
        'the number for a typo, or type "don\'t know".',
    },
    "iban.note.foreign": {
        "nl": "Let op: dit is een buitenlandse rekening ({where}). Terughalen duurt daar vaak "
        "langer; zeg dit tegen je bank.",
        "en": "Note: this is a foreign account ({where}). Getting money back from abroad often "
        "takes longer; tell your bank.",
    },
    # Choices --------------------------------------------------------------------------
    "choice.no_match": {
        "nl": "Dat herken ik niet als keuze. Kies uit: {options}. Typ het nummer of de tekst, "
        'of typ "weet ik niet".',
        "en": "I don't recognise that as one of the choices. Choose from: {options}. Type the "
        'number or the words, or type "don\'t know".',
    },
    "choice.ambiguous": {
        "nl": "Dat past bij meer dan één keuze ({matches}). Typ het nummer: {options}.",
        "en": "That fits more than one choice ({matches}). Type the number: {options}.",
    },
    "choice.yes": {"nl": "Ja", "en": "Yes"},
    "choice.no": {"nl": "Nee", "en": "No"},
}


def say(key: str, lang: Lang, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in."""
    return MESSAGES[key][lang].format(**values)


COUNTRIES: Final[Mapping[str, tuple[str, str]]] = {
    # EU
    "AT": ("Oostenrijk", "Austria"),
    "BE": ("België", "Belgium"),
    "BG": ("Bulgarije", "Bulgaria"),
    "CY": ("Cyprus", "Cyprus"),
    "CZ": ("Tsjechië", "Czechia"),
    "DE": ("Duitsland", "Germany"),
    "DK": ("Denemarken", "Denmark"),
    "EE": ("Estland", "Estonia"),
    "ES": ("Spanje", "Spain"),
    "FI": ("Finland", "Finland"),
    "FR": ("Frankrijk", "France"),
    "GR": ("Griekenland", "Greece"),
    "HR": ("Kroatië", "Croatia"),
    "HU": ("Hongarije", "Hungary"),
    "IE": ("Ierland", "Ireland"),
    "IT": ("Italië", "Italy"),
    "LT": ("Litouwen", "Lithuania"),
    "LU": ("Luxemburg", "Luxembourg"),
    "LV": ("Letland", "Latvia"),
    "MT": ("Malta", "Malta"),
    "NL": ("Nederland", "the Netherlands"),
    "PL": ("Polen", "Poland"),
    "PT": ("Portugal", "Portugal"),
    "RO": ("Roemenië", "Romania"),
    "SE": ("Zweden", "Sweden"),
    "SI": ("Slovenië", "Slovenia"),
    "SK": ("Slowakije", "Slovakia"),
    # EEA, and the neighbours whose IBANs turn up most
    "IS": ("IJsland", "Iceland"),
    "LI": ("Liechtenstein", "Liechtenstein"),
    "NO": ("Noorwegen", "Norway"),
    "CH": ("Zwitserland", "Switzerland"),
    "GB": ("het Verenigd Koninkrijk", "the United Kingdom"),
    "GI": ("Gibraltar", "Gibraltar"),
    "MC": ("Monaco", "Monaco"),
    "SM": ("San Marino", "San Marino"),
    "AD": ("Andorra", "Andorra"),
    "VA": ("Vaticaanstad", "Vatican City"),
    "AL": ("Albanië", "Albania"),
    "BA": ("Bosnië en Herzegovina", "Bosnia and Herzegovina"),
    "ME": ("Montenegro", "Montenegro"),
    "MK": ("Noord-Macedonië", "North Macedonia"),
    "RS": ("Servië", "Serbia"),
    "XK": ("Kosovo", "Kosovo"),
    "MD": ("Moldavië", "Moldova"),
    "UA": ("Oekraïne", "Ukraine"),
    "GE": ("Georgië", "Georgia"),
    "TR": ("Turkije", "Turkey"),
    "IL": ("Israël", "Israel"),
    "AE": ("de Verenigde Arabische Emiraten", "the United Arab Emirates"),
    "SA": ("Saoedi-Arabië", "Saudi Arabia"),
}


def country_name(code: str, lang: Lang) -> str:
    """The country's name in ``lang``; the code itself when we have no name for it."""
    names = COUNTRIES.get(code.upper())
    if names is None:
        return code.upper()
    return names[0] if lang == "nl" else names[1]
