"""Noodrem's one exception tree, and the one table of what each branch means to a person.

Every exception Noodrem raises on purpose derives from ``NoodremError``; a third-party
error is converted into one of these at the boundary where it happens. The classes stay
next to the code that raises them (``SettingsError`` in ``bot/config.py``, ``StoreError``
in ``storage/errors.py``, ...); each derives from one branch here:

    NoodremError
    ├── ConfigError       a file or setting is wrong: whoever runs Noodrem fixes it
    ├── InputError        what was sent cannot be used: whoever sent it fixes it
    │   └── NotFound      it names nothing there is
    ├── Refused           it may not be done (now, by this person)
    │   └── SignInNeeded  not without signing in first
    ├── StoreFailure      the database failed or is not the one this code can use
    ├── EvidenceError     an evidence file cannot be made, read or written
    └── LimitExceeded     our own output breaks a platform's limit: a bug where it is made

``outcome`` says, in one place, what an error becomes: the command line's exit code, the
HTTP status an endpoint answers with, and whether its message may be shown as is to the
person who caused it (a 5xx says something generic; the log gets the message).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Final


class NoodremError(Exception):
    """The root: anything Noodrem refuses or cannot do on purpose. ``str()`` is one line a
    person can act on, never a secret."""


class ConfigError(NoodremError):
    """A configuration file or setting cannot be used; the message says where and why."""


class InputError(NoodremError, ValueError):
    """What someone sent (a request body, a typed answer, a file to check) cannot be used.
    A ``ValueError`` too, for the parsers that are written against that."""


class NotFound(InputError):
    """What was asked for names nothing there is: fixed by retyping."""


class Refused(NoodremError):
    """The request is understood but may not be done, by this person or in this state."""


class SignInNeeded(Refused):
    """Not without signing in first."""


class StoreFailure(NoodremError):
    """The database cannot do what was asked (unreachable, a schema this code must not
    touch, a row that should be there and is not)."""


class EvidenceError(NoodremError):
    """An export or check cannot be made: no fonts, a file that cannot be read or written,
    events that are no incident's timeline."""


class LimitExceeded(NoodremError, ValueError):
    """Something Noodrem made is larger than a platform takes: a bug where it is made."""


class ExitCode(IntEnum):
    """What ``python app.py <command>`` exits with."""

    OK = 0
    NO = 1  # the answer is no: unknown incident, altered file, refused
    CANNOT_RUN = 2  # bad configuration or input, no database, a file that cannot be written


@dataclass(frozen=True, slots=True)
class Outcome:
    exit_code: ExitCode
    http_status: int
    shown: bool
    """The message may go as is to whoever caused the error (else it is only logged)."""


_OUTCOMES: Final[Mapping[type[NoodremError], Outcome]] = {
    NotFound: Outcome(ExitCode.NO, 404, shown=True),
    InputError: Outcome(ExitCode.CANNOT_RUN, 400, shown=True),
    SignInNeeded: Outcome(ExitCode.NO, 401, shown=True),
    Refused: Outcome(ExitCode.NO, 403, shown=True),
    ConfigError: Outcome(ExitCode.CANNOT_RUN, 500, shown=False),
    StoreFailure: Outcome(ExitCode.CANNOT_RUN, 503, shown=False),
    EvidenceError: Outcome(ExitCode.CANNOT_RUN, 500, shown=False),
    LimitExceeded: Outcome(ExitCode.CANNOT_RUN, 500, shown=False),
    NoodremError: Outcome(ExitCode.CANNOT_RUN, 500, shown=False),
}


def outcome(error: NoodremError) -> Outcome:
    """The row of the nearest branch ``error`` derives from (its own class first)."""
    for cls in type(error).__mro__:
        if issubclass(cls, NoodremError) and cls in _OUTCOMES:
            return _OUTCOMES[cls]
    raise AssertionError("every NoodremError derives from NoodremError")  # pragma: no cover
