"""Files in Teams: the evidence PDF by file consent in a personal chat, by link elsewhere.

Teams lets a bot put a file into a person's OneDrive only in a personal chat, and only
after they press *Allow* on a file consent card. Between that card and the press, which
may come hours later or on another Noodrem process, the bytes wait in the store behind a
signed, expiring download link (``publish_link``). The card's ``acceptContext`` carries
that link; on *Allow* the file is read back through the store by the id in the link,
not fetched over HTTP from Noodrem's own public URL: a server behind a TLS-terminating
proxy often cannot reach its own public address, the 15 seconds Teams waits for the
invoke are better spent on the upload, and the store lets us check that the person
pressing *Allow* is the one the file was made for (the link alone is a bearer token).

In channels and group chats Teams offers no file consent: the person gets the link
itself, which everyone in that conversation can see until it expires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.channels.teams_cards import markdown
from bot.i18n import t
from bot.messages import Attachment, Lang

log = logging.getLogger(__name__)

CONSENT_CONTENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
INFO_CONTENT_TYPE = "application/vnd.microsoft.teams.card.file.info"
INVOKE_NAME = "fileConsent/invoke"
UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=12)  # Teams gives up on the invoke after 15 s
_MARK = "noodrem.export"  # in the card's contexts: this consent card is ours


def text(key: str, lang: Lang, **values: str) -> str:
    return markdown(t(f"teams.files.{key}", lang, **values))


def consent_card(attachment: Attachment, *, link: str, lang: Lang) -> dict[str, Any]:
    """The FileConsentCard attachment (plain JSON) asking to put the file in OneDrive."""
    return {
        "contentType": CONSENT_CONTENT_TYPE,
        "name": attachment.filename,
        "content": {
            "description": text("description", lang),
            "sizeInBytes": len(attachment.data),
            "acceptContext": {_MARK: True, "link": link},
            "declineContext": {_MARK: True, "filename": attachment.filename},
        },
    }


def link_text(attachment: Attachment, *, link: str, now: datetime, lang: Lang) -> str:
    """The message with the download link, saying how long it works and who can see it."""
    return text("link", lang, filename=attachment.filename, link=link, hours=_hours_left(link, now))


@dataclass(frozen=True, slots=True)
class Consent:
    """A press on one of our consent cards: *Allow* (with where to upload) or *Decline*."""

    accepted: bool
    link: str = ""
    filename: str = ""
    upload_url: str = ""
    content_url: str = ""
    name: str = ""
    unique_id: str = ""
    file_type: str = ""

    @property
    def file_id(self) -> str:
        """The stored file's id: the last part of the link's path (``…/files/{id}``)."""
        return urlsplit(self.link).path.rstrip("/").rpartition("/")[2]


def read_consent(value: object) -> Consent | None:
    """The value of a ``fileConsent/invoke``; None if it is not a press on our card."""
    if not isinstance(value, dict):
        return None
    context = value.get("context")
    if not isinstance(context, dict) or context.get(_MARK) is not True:
        return None
    if value.get("action") == "decline":
        return Consent(accepted=False, filename=_str(context, "filename"))
    info = value.get("uploadInfo")
    if value.get("action") != "accept" or not isinstance(info, dict):
        return None
    consent = Consent(
        accepted=True,
        link=_str(context, "link"),
        upload_url=_str(info, "uploadUrl"),
        content_url=_str(info, "contentUrl"),
        name=_str(info, "name"),
        unique_id=_str(info, "uniqueId"),
        file_type=_str(info, "fileType"),
    )
    return consent if consent.link and consent.upload_url else None


def info_card(consent: Consent) -> dict[str, Any]:
    """The FileInfoCard attachment that shows the uploaded file in the chat."""
    return {
        "contentType": INFO_CONTENT_TYPE,
        "contentUrl": consent.content_url,
        "name": consent.name,
        "content": {"uniqueId": consent.unique_id, "fileType": consent.file_type},
    }


def upload_failed_text(consent: Consent, *, filename: str, now: datetime, lang: Lang) -> str:
    return text(
        "upload_failed",
        lang,
        filename=filename,
        link=consent.link,
        hours=_hours_left(consent.link, now),
    )


async def upload(url: str, data: bytes) -> bool:
    """PUT the whole file into the OneDrive upload session Teams opened; True when stored.

    One request is enough: OneDrive takes up to 60 MiB per request and the evidence PDF is
    far smaller. 200 or 201 means the upload is complete; 202 would mean more is expected.
    """
    headers = {
        "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}",
        "Content-Type": "application/octet-stream",
    }
    try:
        async with (
            aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as session,
            session.put(url, data=data, headers=headers) as response,
        ):
            if response.status in (200, 201):
                return True
            log.warning("Teams: the OneDrive upload was refused (HTTP %s)", response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("Teams: the OneDrive upload failed (%s)", type(exc).__name__)
    return False


def _hours_left(link: str, now: datetime) -> str:
    """Whole hours until the link's ``expires`` (at least 1), for the person to plan by."""
    try:
        expires = int(parse_qs(urlsplit(link).query)["expires"][0])
    except (KeyError, ValueError):
        return "?"
    left = datetime.fromtimestamp(expires, UTC) - now
    return str(max(1, round(left.total_seconds() / 3600)))


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""
