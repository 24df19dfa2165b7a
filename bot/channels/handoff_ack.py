"""The IT provider says they have the hand-off: the signed link in the mail, or a callback.

The link (``GET /handoff/ack/{id}?expires=…&sig=…``, HMAC with NOODREM_SECRET) shows a page
with one button; only pressing it (a POST) records the acknowledgement, because mail
filters open links to scan them and a scan is not someone confirming. The callback
(``POST /api/handoff/ack``, JSON ``{"handoff_id": 12, "by": "…"}``) is signed like the
webhook itself: ``X-Noodrem-Timestamp`` and ``X-Noodrem-Signature: sha256=<hmac>`` over
``<timestamp>.<body>`` with the webhook's secret, at most five minutes old. A second
acknowledgement changes nothing and says when the first one was. Whatever is wrong with a
request gets a plain 4xx, never a 5xx.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot import signing
from bot.events import AckVia
from bot.evidence.texts import local_long
from bot.handoff import (
    CALLBACK_PATH,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Handoffs,
    link_message,
    shown_recipient,
    signed_part,
)
from bot.i18n import t
from bot.messages import LANGS, Lang
from bot.organisation import Organisations
from bot.ports import Clock, HandoffMessage, Transport

LINK_ROUTE = "/handoff/ack/{handoff_id}"
MAX_SKEW = 300  # seconds a callback's timestamp may be off
MAX_BODY = 16 * 1024
MAX_BY = 200
_ID = re.compile(r"[0-9]{1,18}")
_EXPIRES = re.compile(r"[0-9]{1,11}")
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")


HandoffsGetter = Callable[[], Handoffs]


class HandoffAcks:
    def __init__(
        self,
        *,
        handoffs: HandoffsGetter,
        clock: Clock,
        secret: bytes,
        organisations: Organisations,
    ) -> None:
        self._handoffs = handoffs
        self._clock = clock
        self._secret = secret
        self._organisations = organisations

    def install(self, app: web.Application) -> None:
        app.router.add_get(LINK_ROUTE, self._page)
        app.router.add_post(LINK_ROUTE, self._confirm)
        app.router.add_post(CALLBACK_PATH, self._callback)

    # The link in the mail -----------------------------------------------------------------
    async def _linked(self, request: web.Request) -> HandoffMessage | web.Response:
        """The mailed hand-off a valid, unexpired link names, or the page that says why not."""
        raw_id = request.match_info["handoff_id"]
        raw_expires = request.query.get("expires", "")
        given = request.query.get("sig", "")
        if not (_ID.fullmatch(raw_id) and _EXPIRES.fullmatch(raw_expires)):
            return _page(403, _said("invalid"))
        handoff_id, expires = int(raw_id), int(raw_expires)
        if not signing.matches(self._secret, link_message(handoff_id, expires), given):
            return _page(403, _said("invalid"))
        if datetime.fromtimestamp(expires, UTC) <= self._clock.now():
            return _page(410, _said("expired"))
        async with self._handoffs().store.transaction() as tx:
            message = await tx.get_handoff(handoff_id)
        if message is None or message.transport is not Transport.MAIL:
            return _page(404, _said("invalid"))
        return message

    async def _page(self, request: web.Request) -> web.Response:
        message = await self._linked(request)
        if isinstance(message, web.Response):
            return message
        incident_id = str(message.content.get("incident_id"))
        if message.acknowledged_at is not None:
            return _page(200, self._already(message.acknowledged_at, message.content))
        button = " / ".join(html.escape(t("handoff_ack.confirm_button", lang)) for lang in LANGS)
        form = f'<form method="post"><button type="submit">{button}</button></form>'
        return _page(200, _said("confirm", incident_id=incident_id), extra=form)

    async def _confirm(self, request: web.Request) -> web.Response:
        message = await self._linked(request)
        if isinstance(message, web.Response):
            return message
        # Who: the address the mail went to; whoever holds the link read that mailbox.
        done = await self._handoffs().acknowledge(
            message.id, via=AckVia.MAIL_LINK, by=message.recipient
        )
        if done is None:
            return _page(404, _said("invalid"))
        if not done.first:
            return _page(200, self._already(done.at, message.content))
        tz = self._tz(message.content)
        incident_id = str(message.content.get("incident_id"))
        recorded = {
            lang: t(
                "handoff_ack.recorded",
                lang,
                incident_id=incident_id,
                time=local_long(done.at, tz=tz, lang=lang),
            )
            for lang in LANGS
        }
        return _page(200, recorded)

    def _already(self, at: datetime, content: dict[str, Any]) -> dict[Lang, str]:
        tz = self._tz(content)
        return {
            lang: t("handoff_ack.already", lang, time=local_long(at, tz=tz, lang=lang))
            for lang in LANGS
        }

    def _tz(self, content: dict[str, Any]) -> ZoneInfo:
        """The organisation's time zone, for times with the date: the reader may be days later."""
        org_info = content.get("organisation")
        org_id = org_info.get("id") if isinstance(org_info, dict) else None
        org = self._organisations.get(str(org_id)) or self._organisations.default
        return org.tz

    # The webhook's callback -----------------------------------------------------------------
    async def _callback(self, request: web.Request) -> web.Response:
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _json(413, error="body too large")
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _json(400, error="body must be JSON")
        raw_id = data.get("handoff_id") if isinstance(data, dict) else None
        if not isinstance(raw_id, int) or isinstance(raw_id, bool) or raw_id < 1:
            return _json(400, error="handoff_id must be the number from the hand-off")
        by = data.get("by", "")
        if not isinstance(by, str):
            return _json(400, error="by must be a text")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not (timestamp.isdigit() and len(timestamp) <= 11 and _SIGNATURE.fullmatch(signature)):
            return _json(401, error=f"sign the request: {TIMESTAMP_HEADER}, {SIGNATURE_HEADER}")
        if abs(time.time() - int(timestamp)) > MAX_SKEW:
            return _json(401, error="timestamp too old or in the future")
        handoffs = self._handoffs()
        async with handoffs.store.transaction() as tx:
            message = await tx.get_handoff(raw_id)
            incident = await tx.get_incident(message.incident_id) if message else None
        secret = None
        if message is not None and incident is not None:
            org = self._organisations.of_incident(incident)
            secret = handoffs.webhook_secret(org, str(message.content.get("to")))
        # An unknown id and a wrong signature get the same answer: ids cannot be probed.
        given = signature.removeprefix("sha256=")
        if (
            message is None
            or secret is None
            or not signing.matches(secret, signed_part(timestamp, body), given)
        ):
            return _json(401, error="signature does not match")
        # Without a name: where the hand-off went (for a webhook only its host).
        named = " ".join(by.split())[:MAX_BY] or shown_recipient(
            message.transport, message.recipient
        )
        done = await handoffs.acknowledge(raw_id, via=AckVia.WEBHOOK, by=named)
        if done is None:
            return _json(401, error="signature does not match")
        return _json(
            200,
            acknowledged=True,
            first=done.first,
            incident_id=message.incident_id,
            at=done.at.isoformat(),
        )


def _said(key: str, **values: str) -> dict[Lang, str]:
    """``handoff_ack.<key>`` in every language: the IT provider's is not known."""
    return {lang: t(f"handoff_ack.{key}", lang, **values) for lang in LANGS}


def _page(status: int, text: Mapping[Lang, str], *, extra: str = "") -> web.Response:
    paragraphs = "".join(
        f"<p lang='{lang}'>{html.escape(part, quote=False)}</p>" for lang, part in text.items()
    )
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Noodrem</title></head><body style='font-family:sans-serif;max-width:40em;"
        f"margin:2em auto'>{paragraphs}{extra}</body></html>"
    )
    return web.Response(
        status=status,
        text=body,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def _json(status: int, **body: object) -> web.Response:
    return web.json_response(body, status=status)
