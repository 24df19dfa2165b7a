"""Amounts of money as people type them: "12500", "€ 12.500,00", "12,500.00", "12,5k".

Dutch and English swap the meaning of "." and ",". Money almost never has three decimals,
so one separator followed by exactly three digits is read as thousands ("12.500" and
"12,500" are both twelve thousand five hundred) and one followed by one or two digits as
decimals. Anything else that could be read two ways is refused with a request to type the
amount without separators, because a factor 1,000 in a fraud report is worse than asking.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from bot.answers.base import Parsed, fail, fold, structured_input
from bot.answers.texts import say
from bot.messages import Lang

MAX_AMOUNT: Final = Decimal(10) ** 12
CENT: Final = Decimal("0.01")
DEFAULT_CURRENCY: Final = "EUR"

_CURRENCY_WORDS: Final = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "pond": "GBP",
    "ponden": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
}
_SYMBOLS: Final = {"EUR": "€", "USD": "$", "GBP": "£"}
_SWAP_SEPARATORS: Final = str.maketrans(",.", ".,")
_CURRENCY_RE: Final = re.compile(
    r"us\$|[€$£]|\b(?:"
    + "|".join(sorted((w for w in _CURRENCY_WORDS if w.isalpha()), key=len, reverse=True))
    + r")\b"
)
_SPACES: Final = str.maketrans(
    {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " ", "'": "", "’": ""}
)
_MINUSES: Final = str.maketrans({"−": "-", "–": "-", "—": "-"})
_NO_CENTS: Final = re.compile(r"(?<=\d)[.,]-{1,2}$")  # Dutch "12.500,-"
_THOUSANDS: Final = re.compile(r"(\d)\s*k$")
_NUMBER: Final = re.compile(r"\d[\d., ]*")
_ESTIMATE: Final = re.compile(
    r"^(?:(?:ongeveer|ong|circa|ca|rond|about|around|approximately|approx|roughly)\b\.?|[~±])\s*"
)


def parse_money(text: str, *, lang: Lang) -> Parsed:
    """``value`` like "12500.00 EUR"; ``display`` "€ 12.500,00" (nl) or "€12,500.00" (en)."""
    raw = structured_input(text, unreadable="money.unreadable", lang=lang)
    cleaned = fold(raw).translate(_SPACES).translate(_MINUSES)
    currencies = {_CURRENCY_WORDS[m.group(0)] for m in _CURRENCY_RE.finditer(cleaned)}
    if len(currencies) > 1:
        raise fail("money.currencies", lang)
    currency = currencies.pop() if currencies else DEFAULT_CURRENCY
    number = " ".join(_CURRENCY_RE.sub(" ", cleaned).split()).rstrip("!?")
    number = re.sub(r"(?<=\d)\.$", "", number)
    number = _NO_CENTS.sub("", number).strip()
    estimate = _ESTIMATE.match(number)
    if estimate:
        number = number[estimate.end() :]
    multiplier = Decimal(1)
    thousands = _THOUSANDS.search(number)
    if thousands:
        multiplier = Decimal(1000)
        number = number[: thousands.start()] + thousands.group(1)
    if number.startswith("-") or number.startswith("min "):
        if _NUMBER.fullmatch(number.lstrip("-").removeprefix("min ").strip()):
            raise fail("money.not_positive", lang)
        raise fail("money.unreadable", lang)
    if not _NUMBER.fullmatch(number) or not number[-1].isdigit():
        raise fail("money.unreadable", lang)
    amount = _to_decimal(number, lang=lang) * multiplier
    if amount > MAX_AMOUNT:
        raise fail("money.too_large", lang)
    amount = amount.quantize(CENT)
    if amount <= 0:
        raise fail("money.not_positive", lang)
    notes = (say("money.note.estimate", lang),) if estimate else ()
    return Parsed(
        value=f"{amount} {currency}", display=format_money(amount, currency, lang), notes=notes
    )


def _to_decimal(number: str, *, lang: Lang) -> Decimal:
    """Digits with "." "," or " " separators to a Decimal, by the rules in the module doc."""
    ambiguous = fail("money.ambiguous", lang, amount=number)
    if " " in number:
        if not re.fullmatch(r"\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?", number):
            raise ambiguous
        number = number.replace(" ", "")
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal_sep = "." if number.rfind(".") > number.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        whole, _, cents = number.rpartition(decimal_sep)
        if number.count(decimal_sep) != 1 or not _grouped(whole, group_sep) or len(cents) > 2:
            raise ambiguous
        digits = whole.replace(group_sep, "") + "." + cents
    elif dots or commas:
        sep = "." if dots else ","
        head, _, tail = number.partition(sep)
        if number.count(sep) > 1 or len(tail) == 3:
            if not _grouped(number, sep):
                raise ambiguous
            digits = number.replace(sep, "")
        elif 1 <= len(tail) <= 2:
            digits = head + "." + tail
        else:
            raise ambiguous
    else:
        digits = number
    try:
        return Decimal(digits)
    except InvalidOperation:
        raise ambiguous from None


def _grouped(whole: str, sep: str) -> bool:
    """True for "12.500" or "1.250.000" (groups of three after the first), given ``sep``."""
    return re.fullmatch(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})*", whole) is not None


def format_money(amount: Decimal, currency: str, lang: Lang) -> str:
    """ "€ 12.500,50" in Dutch, "€12,500.50" in English; unknown currencies by code."""
    english = f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency, currency + " ")
    if lang == "nl":
        dutch = english.translate(_SWAP_SEPARATORS)
        return f"{symbol.strip()} {dutch}"
    return f"{symbol}{english}"


def stored_money_text(value: str | None, lang: Lang) -> str | None:
    """A stored amount ("12500.00 EUR", as a money answer's value) said in ``lang``; None
    for no amount, and the value itself when it cannot be read."""
    if not value:
        return None
    amount, _, currency = value.partition(" ")
    try:
        return format_money(Decimal(amount), currency, lang)
    except InvalidOperation:
        return value
