"""bench/slack_latency.py's third app, the Slack adapter alone: it must answer every event,
or the CPU it reports for the adapter would be that of refusing them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.common import ROOT, app_process, free_port
from bench.slack_latency import measure, serve_fake


async def test_the_adapter_alone_answers_every_signed_event(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    async with serve_fake() as fake:
        port = free_port()
        command = [
            sys.executable,
            str(ROOT / "bench" / "slack_latency.py"),
            "--serve-adapter",
            str(port),
            fake.url,
        ]
        async with app_process("adapter", command, env, port, tmp_path / "adapter.log") as app:
            result = await measure("adapter", app, fake, rate=50, count=20)
    assert (result.sent, len(result.response), len(result.first_call)) == (20, 20, 20)
    assert result.failed == result.unanswered == 0
    assert result.cpu > 0
