"""HMAC-SHA256 signatures: download links, hand-off acknowledgement links, webhooks.

One place, so every signature is made and checked the same way (hex digest, compared in
constant time).
"""

from __future__ import annotations

import hashlib
import hmac
import re

_HEX = re.compile(r"[0-9a-f]{64}")


def sign(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def matches(secret: bytes, message: bytes, given: str) -> bool:
    """Whether ``given`` is the signature of ``message``; a malformed one never is."""
    return bool(_HEX.fullmatch(given)) and hmac.compare_digest(given, sign(secret, message))
