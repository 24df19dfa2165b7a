"""The one mail path against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from bot.config import SettingsError
from bot.mail import Mailer, MailSettings, Security
from bot.ports import DeliveryStatus
from tests.smtp import Inbox, free_port, smtp_server


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as running:
        yield running


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = to
    message["From"] = "someone-else@example.nl"  # replaced: Noodrem sends as itself
    message["Subject"] = "Incident NR-ABC123"
    message.set_content("Bel de bank.")
    return message


def _settings(port: int) -> MailSettings:
    return MailSettings(
        host="127.0.0.1", port=port, sender="noodrem@acme.example", security=Security.NONE
    )


async def test_a_message_arrives_from_the_configured_sender(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    before = len(inbox.received)
    outcome = await Mailer(_settings(port)).send(_message("it@provider.example"))
    assert outcome.ok
    [arrived] = inbox.received[before:]
    assert arrived.mail_from == "noodrem@acme.example"
    assert arrived.rcpt_tos == ["it@provider.example"]
    assert b"Bel de bank." in arrived.original_content


async def test_a_refused_recipient_is_a_failure_with_the_reason(smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    outcome = await Mailer(_settings(port)).send(_message("nobody@refused.example"))
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.error == "SMTP: recipient refused"


async def test_a_refused_message_names_the_code_not_the_servers_words(
    smtp: tuple[Inbox, int],
) -> None:
    _, port = smtp
    outcome = await Mailer(_settings(port)).send(_message("jan@rejects-data.example"))
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.error == "SMTP: refused with 554", "the address stays out of the evidence"


async def test_an_unreachable_server_is_a_failure_not_an_exception() -> None:
    port = free_port()  # closed again before the send: nothing listens
    outcome = await Mailer(_settings(port)).send(_message("it@provider.example"))
    assert outcome.status is DeliveryStatus.FAILED
    assert outcome.error is not None and outcome.error.startswith("SMTP: ")
    assert "provider.example" not in outcome.error


def test_no_smtp_host_means_no_mail() -> None:
    assert MailSettings.from_env({}) is None


def test_settings_from_the_environment() -> None:
    settings = MailSettings.from_env(
        {"SMTP_HOST": "smtp.example.nl", "SMTP_FROM": "noodrem@acme.nl", "SMTP_SECURITY": "tls"}
    )
    assert settings is not None
    assert (settings.port, settings.security) == (465, Security.TLS)
    assert "geheim" not in repr(MailSettings("h", "a@b", password="geheim"))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMTP_HOST": "h"}, "SMTP_FROM must be the address"),
        ({"SMTP_HOST": "h", "SMTP_FROM": "a@b", "SMTP_PORT": "x"}, "SMTP_PORT must be a number"),
        (
            {"SMTP_HOST": "h", "SMTP_FROM": "a@b", "SMTP_SECURITY": "ssl3"},
            "SMTP_SECURITY must be one of",
        ),
    ],
)
def test_wrong_settings_say_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        MailSettings.from_env(env)
