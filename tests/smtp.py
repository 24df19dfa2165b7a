"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives: the inbox of tests."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Inbox:
    """Keeps what arrives; refuses mail for addresses at ``refused.example``."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusing = [a for a in envelope.rcpt_tos if a.endswith("@rejects-data.example")]
        if refusing:  # a refusal that quotes the address, as real servers do
            return f"554 5.7.1 message for <{refusing[0]}> rejected as spam"
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages that arrived for one address, oldest first, parsed."""
        return [
            message_from_bytes(bytes(e.original_content or b""), policy=policy.default)  # type: ignore[misc]
            for e in self.received
            if address in e.rcpt_tos
        ]

    def link_to(self, address: str, *, prefix: str) -> str:
        """The newest link starting with ``prefix`` in a mail for ``address``."""
        [*_, newest] = self.to(address)
        body = newest.get_body(("plain",))
        assert body is not None
        [link] = re.findall(re.escape(prefix) + r"\S+", body.get_content())
        return link


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
