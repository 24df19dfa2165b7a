"""``python -m bot.playbook > playbooks/schema.json`` regenerates the editors' schema."""

from __future__ import annotations

import sys

from bot.playbook.schema import render_json_schema

sys.stdout.write(render_json_schema())
