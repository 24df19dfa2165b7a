"""Bank account numbers (IBAN), checked with schwifty and explained in plain words.

schwifty's errors are converted here into ours: one reason per way a typed IBAN goes wrong
(not an IBAN at all, unknown country, wrong length for the country, letters and digits in
the wrong places, check digits that do not match), each with what to do next. A valid
foreign IBAN is accepted with a warning, because getting money back from abroad is slower
and the person should say so to their bank.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from bot.answers.base import AnswerError, Parsed, fail, structured_input
from bot.answers.texts import country_name, say
from bot.messages import Lang

if TYPE_CHECKING:
    from schwifty import IBAN

# schwifty loads its bank registry on import: imported where an IBAN is checked, not at start.

HOME_COUNTRY: Final = "NL"

_SEPARATORS: Final = re.compile(r"[\s.\-_/]+")
_PREFIX: Final = re.compile(r"^iban\s*:?\s*", re.IGNORECASE)
_SHAPE: Final = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,40}")


def parse_iban(text: str, *, lang: Lang) -> Parsed:
    """``value`` the compact IBAN; ``display`` in groups of four, with the bank if known."""
    raw = structured_input(text, unreadable="iban.not_iban", lang=lang)
    compact = _SEPARATORS.sub("", _PREFIX.sub("", raw)).upper()
    if not compact.isascii() or not _SHAPE.fullmatch(compact):
        raise fail("iban.not_iban", lang)
    iban = _validated(compact, lang=lang)
    bank = _bank_name(iban)
    display = f"{iban.formatted} ({bank})" if bank else iban.formatted
    notes: tuple[str, ...] = ()
    if iban.country_code != HOME_COUNTRY:
        where = country_name(iban.country_code, lang)
        where = f"{where}, {bank}" if bank else where
        notes = (say("iban.note.foreign", lang, where=where),)
    return Parsed(value=iban.compact, display=display, notes=notes)


def _validated(compact: str, *, lang: Lang) -> IBAN:
    """schwifty's verdict, its exceptions turned into ``AnswerError`` with a plain reason."""
    from schwifty import IBAN
    from schwifty import exceptions as iban_errors

    code = compact[:2]
    try:
        return IBAN(compact)
    except iban_errors.InvalidCountryCode:
        raise fail("iban.country", lang, code=code) from None
    except iban_errors.InvalidLength:
        raise _length_error(compact, lang=lang) from None
    except iban_errors.InvalidChecksumDigits:
        raise fail("iban.checksum", lang) from None
    except iban_errors.InvalidStructure:
        raise fail("iban.structure", lang, country=country_name(code, lang)) from None
    except (iban_errors.SchwiftyException, ValueError):
        raise fail("iban.not_iban", lang) from None


def _length_error(compact: str, *, lang: Lang) -> AnswerError:
    from schwifty import registry

    code = compact[:2]
    try:
        expected = registry.get_iban_spec(code).iban_length
    except Exception:  # schwifty knew the country a moment ago; never crash on its data
        return fail("iban.not_iban", lang)
    return fail(
        "iban.length",
        lang,
        country=country_name(code, lang),
        expected=expected,
        actual=len(compact),
    )


def bank_of(compact: str) -> str | None:
    """The bank of a stored (compact) IBAN, for showing beside it; None when unknown."""
    from schwifty import IBAN
    from schwifty import exceptions as iban_errors

    try:
        return _bank_name(IBAN(compact))
    except iban_errors.SchwiftyException:
        return None


def _bank_name(iban: IBAN) -> str | None:
    """The bank's name from schwifty's registry; None when unknown or the lookup fails
    (the registry is data, and a missing entry must not block a fraud report)."""
    try:
        name = iban.bank_name
    except Exception:
        return None
    return name.strip() or None if isinstance(name, str) else None
