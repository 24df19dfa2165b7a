"""Files by signed, expiring link, for chats that cannot carry the file itself.

The evidence PDF goes into Slack as a file and into a Teams personal chat by file consent;
everywhere else (the web chat, Teams channels) the person gets a link. The link names a
stored copy and carries an HMAC over its id and expiry, so it cannot be guessed or
extended; it is handed only to the person who asked (a participant or a manager).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot import signing
from bot.channels.base import StoreGetter
from bot.i18n import t
from bot.messages import LANGS, Attachment
from bot.ports import Clock, StoredFile

ROUTE = "/files/{file_id}"
DEFAULT_TTL = timedelta(hours=24)
# What ``publish`` makes: a token_urlsafe id, Unix seconds, a hex HMAC-SHA256. Anything else
# is refused before it reaches compare_digest (ASCII only), fromtimestamp (overflows) or SQL.
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EXPIRES = re.compile(r"[0-9]{1,11}")  # to year 5138; more overflows datetime
_SIG = re.compile(r"[0-9a-f]{64}")


class Downloads:
    def __init__(
        self,
        *,
        store: StoreGetter,
        clock: Clock,
        secret: bytes,
        base_url: str,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._store = store
        self._clock = clock
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._ttl = ttl

    def install(self, app: web.Application) -> None:
        app.router.add_get(ROUTE, self._serve)

    async def publish(self, attachment: Attachment, *, owner: str, absolute: bool = False) -> str:
        """Store a copy and return its link, valid for the time-to-live: relative for the
        web chat (served from the same place), absolute for a message in another app."""
        now = self._clock.now()
        stored = StoredFile(
            id=secrets.token_urlsafe(18),
            filename=attachment.filename,
            content_type=attachment.content_type,
            data=attachment.data,
            owner=owner,
            created_at=now,
            expires_at=now + self._ttl,
        )
        async with self._store().transaction() as tx:
            await tx.put_file(stored)
        expires = int(stored.expires_at.timestamp())
        path = f"/files/{stored.id}?expires={expires}&sig={self._sign(stored.id, expires)}"
        return f"{self._base_url}{path}" if absolute else path

    def _sign(self, file_id: str, expires: int) -> str:
        return signing.sign(self._secret, f"{file_id}:{expires}".encode())

    async def _serve(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        raw_expires = request.query.get("expires", "")
        given = request.query.get("sig", "")
        if not (
            _FILE_ID.fullmatch(file_id)
            and _EXPIRES.fullmatch(raw_expires)
            and _SIG.fullmatch(given)
        ):
            return _refuse(403, "invalid")
        expires = int(raw_expires)
        if not signing.matches(self._secret, f"{file_id}:{expires}".encode(), given):
            return _refuse(403, "invalid")
        now = self._clock.now()
        if datetime.fromtimestamp(expires, UTC) <= now:
            return _refuse(410, "expired")
        async with self._store().transaction() as tx:
            stored = await tx.get_file(file_id, now=now)
        if stored is None:
            return _refuse(404, "gone")
        return web.Response(
            body=stored.data,
            content_type=stored.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{stored.filename}"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )


def _refuse(status: int, key: str) -> web.Response:
    """``downloads.<key>`` in every language: whoever opens a link, we do not know theirs."""
    message = " / ".join(t(f"downloads.{key}", lang) for lang in LANGS)
    return web.Response(status=status, text=message, content_type="text/plain")
