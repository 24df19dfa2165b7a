"""Outgoing e-mail over SMTP: the one mail path (IT-provider hand-off, web sign-in links).

Settings come from the environment (``MailSettings.from_env``); with no ``SMTP_HOST`` there
is no mail, and callers say so to the person instead of pretending it went. A send returns
what happened (``bot.ports.Delivery``) so it can be recorded as such; it never raises for
a refused or unreachable server.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum

import aiosmtplib

from bot.config import SettingsError
from bot.ports import Delivery

log = logging.getLogger(__name__)

PLATFORM = "SMTP"


class Security(StrEnum):
    """How the connection is protected: SMTP_SECURITY."""

    NONE = "none"  # loopback relays and tests
    STARTTLS = "starttls"  # port 587
    TLS = "tls"  # implicit TLS, port 465


@dataclass(frozen=True, slots=True)
class MailSettings:
    host: str
    sender: str
    port: int = 587
    security: Security = Security.STARTTLS
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_seconds: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MailSettings | None:
        """``None`` when ``SMTP_HOST`` is unset: this installation sends no mail."""
        host = env.get("SMTP_HOST", "").strip()
        if not host:
            return None
        sender = env.get("SMTP_FROM", "").strip()
        if "@" not in sender:
            raise SettingsError(
                "SMTP_FROM must be the address Noodrem sends from, e.g. noodrem@example.nl"
            )
        security_text = env.get("SMTP_SECURITY", Security.STARTTLS.value).strip().lower()
        try:
            security = Security(security_text)
        except ValueError:
            choices = ", ".join(s.value for s in Security)
            raise SettingsError(
                f"SMTP_SECURITY must be one of {choices}, got {security_text!r}"
            ) from None
        default_port = {Security.NONE: 25, Security.STARTTLS: 587, Security.TLS: 465}[security]
        port_text = env.get("SMTP_PORT", str(default_port))
        try:
            port = int(port_text)
        except ValueError:
            raise SettingsError(f"SMTP_PORT must be a number, got {port_text!r}") from None
        if not 0 < port <= 65535:
            raise SettingsError(f"SMTP_PORT must be between 1 and 65535, got {port}")
        return cls(
            host=host,
            sender=sender,
            port=port,
            security=security,
            username=env.get("SMTP_USERNAME") or None,
            password=env.get("SMTP_PASSWORD") or None,
        )


class Mailer:
    """Sends one message at a time; ``From`` is always the configured sender."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> Delivery:
        settings = self.settings
        del message["From"]
        message["From"] = settings.sender
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.security is Security.TLS,
                start_tls=settings.security is Security.STARTTLS,
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused:
            return Delivery.failed(PLATFORM, "recipient refused")
        except aiosmtplib.SMTPResponseException as refused:
            # The code says what went wrong; the server's words may quote the address, and
            # this outcome goes into the evidence.
            return Delivery.failed(PLATFORM, f"refused with {refused.code}")
        except (aiosmtplib.SMTPException, OSError) as unreachable:
            # The class names the failure (timeout, refused connection); the text may hold
            # addresses, which stay out of the log and the evidence.
            log.warning("mail not sent: %s", type(unreachable).__name__)
            return Delivery.failed(PLATFORM, type(unreachable).__name__)
        return Delivery.delivered()
