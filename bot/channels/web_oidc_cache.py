"""What OpenID Connect sign-in fetches from an issuer, kept for a while: the discovery
document and the key set (JWKS).

Each is kept as long as the answer's ``Cache-Control: max-age`` says (Microsoft and Google
send hours to a day), an hour when it says nothing, never more than a day, and not at all
with ``no-store`` or ``no-cache``. A failed fetch keeps nothing, so the next sign-in asks
again. Keys rotate: ``web_oidc`` asks for the key set anew once when an id token names a key
id the kept set does not have. Each process keeps its own; there are only as many entries
as the organisation config names issuers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from bot.ports import Clock

DEFAULT_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=1)

T = TypeVar("T")
Load = Callable[[], Awaitable[tuple[T, timedelta | None]]]
"""Fetch and check a value; with how long its source says it may be kept (None: not said).
Raises when it cannot: nothing is kept then."""


def max_age(cache_control: str | None) -> timedelta | None:
    """How long a response may be kept by its ``Cache-Control``; None when it does not say."""
    directives = [d.strip().lower() for d in (cache_control or "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return timedelta(0)
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age" and value.strip().isdigit():
            return timedelta(seconds=int(value.strip()))
    return None


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    until: datetime


class Kept(Generic[T]):
    """Values by key (an issuer, a JWKS address), each until its time is up."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry[T]] = {}

    async def get(self, key: str, load: Load[T], *, fresh: bool = False) -> T:
        """The kept value, or a newly loaded one (always with ``fresh``)."""
        entry = self._entries.get(key)
        if entry is not None and not fresh and self._clock.now() < entry.until:
            return entry.value
        value, age = await load()
        ttl = min(DEFAULT_TTL if age is None else age, MAX_TTL)
        if ttl > timedelta(0):
            self._entries[key] = _Entry(value, self._clock.now() + ttl)
        else:
            self._entries.pop(key, None)
        return value
