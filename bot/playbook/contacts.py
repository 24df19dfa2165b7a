"""The contacts every organisation configures itself, named once.

A playbook names them (``contacts: [bank]``) without defining them; the organisation
config holds each one's name, phone, e-mail and, for a hand-off, its mail or webhook.
Every other contact a plan needs (police, Fraudehelpdesk, a carrier, an insurer) is the
playbook's own data.
"""

from __future__ import annotations

from enum import StrEnum


class OrgContactKind(StrEnum):
    BANK = "bank"  # the organisation's own bank: stop or recall a payment
    IT_PROVIDER = "it_provider"  # who runs its mail and computers: the hand-off goes here


ORG_CONTACT_IDS: frozenset[str] = frozenset(OrgContactKind)
"""The ids a playbook may name without defining them."""
