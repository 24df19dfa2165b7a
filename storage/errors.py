"""The one exception storage lets out.

Database drivers raise dozens of exception types; the engine and ``app.py`` catch this one
and show its message, which says what is wrong and never contains a password.
"""

from __future__ import annotations

from bot.errors import StoreFailure


class StoreError(StoreFailure):
    """The store cannot do what was asked; the message says why, for a person to act on."""
