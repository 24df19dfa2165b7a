"""The evidence file: an incident's recorded timeline as a PDF, JSON or CSV, and a check.

Everything here is built from the incident's hash-chained events alone (plus the playbook
texts and the organisation's time zone), never from the tables the chat keeps changing,
so an export shows exactly what was recorded and ``verify`` can prove it unaltered.

``timeline`` turns events into a typed view model; ``pdf``, ``jsonexport``, ``csvexport``
and ``register`` render it; ``verify`` re-checks a JSON export; ``source`` reads an
incident through the store port; ``cli`` holds the command-line commands.
"""

from __future__ import annotations

from bot.errors import EvidenceError

__all__ = ["EvidenceError"]
