"""Seeded fuzz of every HTTP endpoint that takes input from outside (issue 14, point 5).

Each endpoint gets >= 2,000 requests made from real payloads (the Slack events and
interactions the Slack tests send, the Teams activities of ``tests/teams/fakes.py``, web
chat messages) by ``mutate``; Slack requests are signed so the fuzz gets past the
signature into the parser, with a share left unsigned or badly signed. Over real HTTP
on loopback against the real app, none may answer >= 500, no traceback and no request
body may reach a log, and the endpoint must still answer a valid request afterwards.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from bot.messages import FillFacts, ShowStatus, encode_action
from tests.fuzz.conftest import Fuzzed, Records
from tests.fuzz.mutate import AWKWARD_STRINGS, CANARY, encode, mutate
from tests.slack.driver import APP_ID, SIGNING_SECRET, TEAM, event_body, signature
from tests.teams.fakes import FakeConnector, TeamsUser, personal_chat

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(autouse=True)
def fresh_logs(logs: Records) -> None:
    logs.records.clear()  # each endpoint answers for its own log lines


REQUESTS = 2000
CONCURRENCY = 16
SEED = 14  # the number; change it to explore, keep it to replay
STATUS = encode_action(ShowStatus("NR-AAAAAA"))
ANSWER = encode_action(FillFacts("NR-AAAAAA"))


async def fire(requests: list[Callable[[], Awaitable[int]]]) -> Counter[int]:
    """Run the requests CONCURRENCY at a time; the statuses, counted."""
    statuses: Counter[int] = Counter()
    queue = list(reversed(requests))

    async def worker() -> None:
        while queue:
            statuses[await queue.pop()()] += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return statuses


def assert_clean(statuses: Counter[int], logs: Records) -> None:
    assert sum(statuses.values()) >= REQUESTS
    assert not [s for s in statuses if s >= 500], "\n".join([str(statuses), *logs.tracebacks()])
    assert logs.tracebacks() == []
    assert logs.containing(CANARY) == []  # no request body in any log line


# Slack ----------------------------------------------------------------------------------


def slack_seeds() -> list[tuple[str, Any]]:
    """(content type, payload) pairs as ``tests/slack/driver.py`` sends them."""
    now = f"{time.time():.6f}"
    user = {"id": "U0JAN", "username": "jan", "name": "jan", "team_id": TEAM}
    message = {
        "type": "message",
        "channel": "DU0JAN",
        "user": "U0JAN",
        "text": f"help {CANARY}",
        "ts": now,
        "event_ts": now,
        "channel_type": "im",
        "client_msg_id": str(uuid.uuid4()),
    }
    mention = {
        "type": "app_mention",
        "user": "U0JAN",
        "text": f"<@UBOT> status {CANARY}",
        "ts": now,
        "channel": "C0FIN",
        "event_ts": now,
    }
    home = {"type": "app_home_opened", "user": "U0JAN", "channel": "DU0JAN", "tab": "home"}
    click = {
        "type": "block_actions",
        "user": user,
        "api_app_id": APP_ID,
        "container": {"type": "message", "channel_id": "DU0JAN", "message_ts": now},
        "trigger_id": "1.U0JAN.trigger",
        "team": {"id": TEAM, "domain": "acme"},
        "channel": {"id": "DU0JAN"},
        "message": {"ts": now, "text": CANARY, "blocks": []},
        "actions": [
            {
                "action_id": "noodrem:0",
                "block_id": "b",
                "value": STATUS,
                "type": "button",
                "action_ts": now,
            }
        ],
    }
    submit = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": user,
        "api_app_id": APP_ID,
        "trigger_id": "2.U0JAN.trigger",
        "view": {
            "id": "V0MODAL",
            "type": "modal",
            "callback_id": "noodrem:form",
            "private_metadata": json.dumps({"action": ANSWER, "channel": "DU0JAN"}),
            "state": {"values": {"b0": {"a0": {"type": "plain_text_input", "value": CANARY}}}},
        },
        "response_urls": [],
    }
    shortcut = {
        "type": "message_action",
        "callback_id": "noodrem_report",
        "trigger_id": "3.U0JAN.trigger",
        "team": {"id": TEAM, "domain": "acme"},
        "user": user,
        "channel": {"id": "C0FIN", "name": "financien"},
        "message": {"type": "message", "user": "U0PIET", "ts": now, "text": CANARY},
        "response_url": "http://127.0.0.1:9/response",
    }
    command = {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "channel_id": "DU0JAN",
        "user_id": "U0JAN",
        "user_name": "jan",
        "command": "/noodrem",
        "text": f"status {CANARY}",
        "api_app_id": APP_ID,
        "trigger_id": "4.U0JAN.trigger",
    }
    events = [json.loads(event_body(e)) for e in (message, mention, home)]
    return (
        [("application/json", e) for e in events]
        + [("payload", p) for p in (click, submit, shortcut)]
        + [("command", command)]
    )


def slack_request(rng: random.Random, kind: str, seed: Any) -> tuple[bytes, dict[str, str]]:
    if kind == "application/json":
        body, content_type = encode(mutate(seed, rng), rng), kind
    elif kind == "payload":
        inner = encode(mutate(seed, rng), rng).decode("utf-8", "surrogateescape")
        form = f"payload={quote(inner, errors='surrogateescape')}"
        body, content_type = form.encode(), "application/x-www-form-urlencoded"
    else:
        fields = {
            k: v if rng.random() < 0.8 else rng.choice(AWKWARD_STRINGS) for k, v in seed.items()
        }
        body = urlencode(fields, errors="surrogatepass").encode()
        if rng.random() < 0.2:
            body += rng.choice((b"&text=%FF", b"&%ZZ", b"\xff", b"&payload=%7B"))
        content_type = "application/x-www-form-urlencoded"
    if rng.random() < 0.05:
        content_type = rng.choice(("text/plain", "application/json", "", "multipart/form-data"))
    timestamp = str(int(time.time()))
    text = body.decode("utf-8", "surrogateescape")
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(SIGNING_SECRET, timestamp, text)
        if body.isascii() or _utf8(body)
        else _sign_bytes(timestamp, body),
    }
    roll = rng.random()
    if roll < 0.04:
        del headers["X-Slack-Signature"]
    elif roll < 0.08:
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif roll < 0.10:
        headers["X-Slack-Request-Timestamp"] = str(int(time.time()) - 3600)
    elif roll < 0.12:
        headers["X-Slack-Request-Timestamp"] = rng.choice(("abc", "1e9", " 12", "-5", "9" * 40))
    elif roll < 0.14:
        headers["X-Slack-Signature"] = "v0=é" + "a" * 62
    return body, headers


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sign_bytes(timestamp: str, body: bytes) -> str:
    """Slack signs bytes; sign invalid UTF-8 too, so it reaches the parser."""
    import hashlib
    import hmac

    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


async def test_slack_events_never_answer_5xx(fuzzed: Fuzzed, logs: Records) -> None:
    rng = random.Random(SEED)
    seeds = slack_seeds()
    url = f"{fuzzed.url}/slack/events"

    def one(body: bytes, headers: dict[str, str]) -> Callable[[], Awaitable[int]]:
        async def send() -> int:
            async with fuzzed.http.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        return send

    requests = [one(*slack_request(rng, *rng.choice(seeds))) for _ in range(REQUESTS)]
    statuses = await fire(requests)
    assert statuses[200] > 100 and statuses[400] > 100 and statuses[401] > 100, statuses
    await fuzzed.app.handled()
    assert_clean(statuses, logs)

    body = event_body(slack_seeds()[0][1]["event"])
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(SIGNING_SECRET, timestamp, body),
    }
    async with fuzzed.http.post(url, data=body, headers=headers) as response:
        assert response.status == 200


# Teams ----------------------------------------------------------------------------------


def teams_seeds(fuzzed: Fuzzed) -> list[dict[str, Any]]:
    user = TeamsUser(
        fuzzed.http,
        bot_url=fuzzed.url,
        connector=fuzzed.connector,
        name="Jan",
        conversation=personal_chat(),
    )
    return [
        user.activity(textFormat="plain", text=f"help {CANARY}"),
        user.activity("installationUpdate", action="add"),
        user.activity(
            "conversationUpdate",
            membersAdded=[{"id": "28:bot"}, {"id": user.teams_id, "aadObjectId": "x"}],
        ),
        user.activity(value={"noodrem": STATUS, "f0": CANARY}, replyToId="1700000000001"),
        user.activity(
            "invoke",
            name="fileConsent/invoke",
            value={"type": "fileUpload", "action": "decline", "context": {"file": CANARY}},
            replyToId="1700000000002",
        ),
    ]


async def test_teams_local_never_answers_5xx(fuzzed: Fuzzed, logs: Records) -> None:
    rng = random.Random(SEED + 1)
    seeds = teams_seeds(fuzzed)
    url = f"{fuzzed.url}/api/messages"

    def one(body: bytes) -> Callable[[], Awaitable[int]]:
        async def send() -> int:
            headers = {"Content-Type": "application/json"}
            async with fuzzed.http.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        return send

    statuses = await fire(
        [one(encode(mutate(rng.choice(seeds), rng), rng)) for _ in range(REQUESTS)]
    )
    assert statuses[200] > 100 and statuses[400] > 100, statuses
    assert_clean(statuses, logs)
    await assert_teams_answers(fuzzed.connector, seeds[0], url, fuzzed)


async def assert_teams_answers(
    connector: FakeConnector, seed: dict[str, Any], url: str, fuzzed: Fuzzed
) -> None:
    before = len(connector.calls)
    async with fuzzed.http.post(url, json={**seed, "id": str(uuid.uuid4())}) as response:
        assert response.status == 200
    assert len(connector.calls) > before  # it answered in the conversation


# Web chat ---------------------------------------------------------------------------------


def web_seeds() -> list[dict[str, Any]]:
    base = {"user_id": "u-fuzz", "user_name": "Anna", "client_id": "c", "locale": "nl"}
    return [
        {**base, "text": f"help {CANARY}"},
        {**base, "action": STATUS, "label": CANARY},
        {**base, "action": ANSWER, "form": {"f0": CANARY}},
        {**base, "action": "status||||", "label": CANARY},  # a button of format 1
    ]


async def test_web_chat_never_answers_5xx(fuzzed: Fuzzed, logs: Records) -> None:
    rng = random.Random(SEED + 2)
    seeds = web_seeds()
    url = f"{fuzzed.url}/api/web/messages"

    def post(body: bytes) -> Callable[[], Awaitable[int]]:
        async def send() -> int:
            headers = {"Content-Type": "application/json"}
            async with fuzzed.http.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        return send

    def poll(query: str) -> Callable[[], Awaitable[int]]:
        async def send() -> int:
            async with fuzzed.http.get(f"{url}?{query}") as response:
                await response.read()
                return response.status

        return send

    def post_body() -> bytes:
        seed = {**rng.choice(seeds), "client_id": uuid.uuid4().hex}
        if rng.random() < 0.01:
            return b'{"text": "' + b"x" * (1024 * 1024 + 10) + b'"}'  # over the 1 MiB limit
        return encode(mutate(seed, rng), rng)

    def poll_query() -> str:
        values = {"user_id": "u-fuzz", "after": "0", "wait": "0"}
        key = rng.choice(list(values))
        values[key] = str(rng.choice((*AWKWARD_STRINGS, 2**63, 2**64, -1, "1e3", "inf")))
        return urlencode(values, errors="surrogatepass")

    requests = [post(post_body()) for _ in range(REQUESTS)]
    requests += [poll(poll_query()) for _ in range(REQUESTS // 4)]
    rng.shuffle(requests)
    statuses = await fire(requests)
    assert statuses[200] > 100 and statuses[400] > 100 and statuses[413] > 0, statuses
    assert_clean(statuses, logs)

    async with fuzzed.http.post(url, json={**seeds[0], "client_id": "after-fuzz"}) as response:
        assert response.status == 200


# File links -------------------------------------------------------------------------------


async def test_file_links_never_answer_5xx(fuzzed: Fuzzed, logs: Records) -> None:
    rng = random.Random(SEED + 3)
    # No "..": the client normalises it away and asks for the chat page instead.
    parts = ("abc", "é", "%C3%A9", "%00", "%FF", "x" * 300, "-1", "9" * 30, "", "%ZZ", "%2E")

    def one(path: str) -> Callable[[], Awaitable[int]]:
        async def send() -> int:
            async with fuzzed.http.get(f"{fuzzed.url}{path}") as response:
                await response.read()
                return response.status

        return send

    def path() -> str:
        file_id = rng.choice((*parts, "Zm9vYmFyYmF6cXV4cXV1eA"))
        expires = rng.choice((*parts, "1893456000", str(2**63), "99999999999999"))
        sig = rng.choice((*parts, "a" * 64, "v0=" + "a" * 64))
        return f"/files/{file_id or 'x'}?expires={expires}&sig={sig}"

    statuses = await fire([one(path()) for _ in range(REQUESTS)])
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {403, 404, 410}, statuses
    assert_clean(statuses, logs)
