"""The web chat adapter over real HTTP on a loopback port, against a real store."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from yarl import URL

from bot.channels.web import HANDLER_FAILED, RECHECK_SECONDS, reply_to_json
from bot.messages import (
    Address,
    Button,
    ButtonStyle,
    Channel,
    Field,
    InputKind,
    InputRequest,
    Outbound,
    Reply,
    ReplyKind,
    ShowPlans,
    encode_action,
    user_key,
)
from bot.ports import DeliveryStatus
from storage import create_store
from tests.web.conftest import CONFIRM, DONE, TENANT, ChatServer, FakeHandler, trial_chat


def text_body(user_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "user_name": "Anna de Vries",
        "client_id": str(uuid.uuid4()),
        "text": text,
        **extra,
    }


def reminder_for(user_id: str) -> Outbound:
    address = Address(Channel.WEB, TENANT, conversation_id=user_id, user_id=user_id)
    reply = Reply(kind=ReplyKind.REMINDER, text="Nog 5 minuten: bel je bank.", late=True)
    return Outbound(address=address, replies=(reply,))


async def test_text_round_trip(server: ChatServer) -> None:
    user = server.new_user()
    body = text_body(user, "  volgens mij hebben we een oplichter betaald ", locale="nl")
    before = datetime.now(UTC)

    status, answer = await server.post(body)

    assert status == 200
    [inbound] = server.handler.inbounds
    assert inbound.channel is Channel.WEB
    assert inbound.tenant_id == TENANT
    assert inbound.user_id == inbound.conversation_id == user
    assert inbound.user_name == "Anna de Vries"
    assert inbound.locale == "nl"
    assert inbound.event_id == body["client_id"]
    assert inbound.text == "volgens mij hebben we een oplichter betaald"
    assert inbound.action is None and inbound.form == {}
    assert inbound.address == Address(Channel.WEB, TENANT, conversation_id=user, user_id=user)
    assert inbound.received_at is not None and inbound.received_at >= before

    status, polled = await server.poll(user)
    assert status == 200
    mine, reply = polled["messages"]
    assert mine["kind"] == "user"
    assert mine["text"] == "volgens mij hebben we een oplichter betaald"
    assert mine["user_name"] == "Anna de Vries"
    assert mine["client_id"] == body["client_id"]
    assert reply["kind"] == "question"
    assert reply["title"] == "Mogelijk een oplichter betaald"
    assert reply["buttons"][0] == {
        "label": "Ja",
        "action": encode_action(CONFIRM),
        "style": "primary",
    }
    assert reply["incident_id"] == "inc-1" and reply["late"] is False
    assert mine["id"] < reply["id"] == answer["last_id"] == polled["last_id"]


async def test_action_with_form(server: ChatServer) -> None:
    user = server.new_user()
    body = {
        "user_id": user,
        "user_name": "Anna",
        "client_id": str(uuid.uuid4()),
        "action": encode_action(DONE),
        "form": {"bank_case_number": " 2024-118 "},
        "label": "Zaaknummer van de bank: 2024-118",
        "locale": "en",
    }

    status, answer = await server.post(body)

    assert status == 200
    [inbound] = server.handler.inbounds
    assert inbound.action == DONE
    assert inbound.text is None
    assert inbound.form == {"bank_case_number": "2024-118"}
    assert inbound.locale == "en"
    _, polled = await server.poll(user)
    kinds = [m["kind"] for m in polled["messages"]]
    assert kinds == ["user", "text", "checklist"]
    mine = polled["messages"][0]
    assert mine["text"] == "Zaaknummer van de bank: 2024-118"
    assert mine["action"] == encode_action(DONE)
    assert polled["messages"][1]["text"] == "Genoteerd: 2024-118"
    assert polled["messages"][2]["card_key"] == "checklist:inc-1"
    assert answer["last_id"] == polled["messages"][-1]["id"]


BAD_BODIES = [
    ({"user_name": "Anna", "client_id": "c", "text": "hoi"}, "missing user_id"),
    ({"user_id": "u", "client_id": "c", "text": "hoi"}, "missing user_name"),
    ({"user_id": "u", "user_name": "  ", "client_id": "c", "text": "hoi"}, "missing user_name"),
    (
        {"user_id": "u", "user_name": "A" * 81, "client_id": "c", "text": "hoi"},
        "user_name too long (max 80 characters)",
    ),
    (
        {"user_id": "u", "user_name": "A", "client_id": "c", "text": "hoi", "action": "status||||"},
        "send either text or action, not both",
    ),
    ({"user_id": "u", "user_name": "A", "client_id": "c"}, "send text or action"),
    (
        {"user_id": "u", "user_name": "A", "client_id": "c", "action": "rm -rf /"},
        "unknown action",
    ),
    (
        {"user_id": "u", "user_name": "A", "client_id": "c", "action": 'n3:[1,"NR-ABC234"]'},
        "unknown action",
    ),
    (
        {"user_id": "u", "user_name": "A", "client_id": "c", "text": "x" * 20_001},
        "message too long (max 20,000 characters)",
    ),
    ({"user_id": "u", "user_name": "A", "client_id": "c", "text": ""}, "empty message"),
    ({"user_id": "u", "user_name": "A", "client_id": "c", "text": " \n\t "}, "empty message"),
    ({"user_id": "u", "user_name": "A", "text": "hoi"}, "missing client_id"),
    (
        {"user_id": "u", "user_name": "A", "client_id": "c", "text": "hoi", "locale": "de"},
        'locale must be "nl" or "en"',
    ),
    (
        {"user_id": "u", "user_name": "A", "client_id": "c", "action": "status||||", "form": [1]},
        "form must map field ids to text",
    ),
    (["not", "an", "object"], "request body must be a JSON object"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
async def test_bad_input_is_a_clear_400(
    server: ChatServer, body: dict[str, Any], message: str
) -> None:
    status, answer = await server.post(body)

    assert (status, answer) == (400, {"error": message})
    assert server.handler.inbounds == []
    _, polled = await server.poll("u")
    assert polled["messages"] == []


async def test_body_that_is_not_json_is_a_400(server: ChatServer) -> None:
    async with server.http.post(
        f"{server.base_url}/api/web/messages", data=b"{not json", headers={"Content-Type": "text"}
    ) as res:
        assert res.status == 400
        assert await res.json() == {"error": "request body must be JSON"}


async def test_longest_message_is_accepted(server: ChatServer) -> None:
    user = server.new_user()

    status, _ = await server.post(text_body(user, "é" * 20_000))

    assert status == 200
    assert server.handler.inbounds[0].text == "é" * 20_000


async def test_handler_failure_is_a_500_and_writes_nothing(
    server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    user = server.new_user()

    with caplog.at_level(logging.ERROR, logger="bot.channels.web"):
        status, answer = await server.post(text_body(user, "boom"))

    assert (status, answer) == (500, {"error": HANDLER_FAILED})
    _, polled = await server.poll(user)
    assert polled == {"messages": [], "last_id": 0}
    [record] = caplog.records
    assert record.exc_info is not None and "scripted failure" in caplog.text
    assert "boom" not in caplog.text  # what a person wrote stays out of the log


async def test_trial_mode_says_so_in_the_config(server: ChatServer) -> None:
    async with server.http.get(f"{server.base_url}/api/web/config") as res:
        assert (res.status, await res.json()) == (
            200,
            {
                "mode": "trial",
                "time_zone": "Europe/Amsterdam",
                "menu_action": encode_action(ShowPlans()),
            },
        )


async def parked(server: ChatServer, user: str) -> None:
    """Until ``user``'s long poll has read its mailbox, found nothing and waits."""
    async with asyncio.timeout(5):
        await server.chat.parked(user_key(Channel.WEB, TENANT, user))


async def test_long_poll_wakes_when_deliver_writes(server: ChatServer) -> None:
    user = server.new_user()
    poll = asyncio.create_task(server.poll(user, wait=20))
    await parked(server, user)

    written = time.monotonic()
    delivered = await server.chat.deliver(reminder_for(user))
    status, polled = await poll
    woke = time.monotonic() - written

    assert delivered.ok
    assert status == 200
    # Well under the re-read every RECHECK_SECONDS: the write itself woke the poll.
    assert woke < 0.5, f"long poll answered {woke:.2f}s after the write"
    [message] = polled["messages"]
    assert message["kind"] == "reminder" and message["late"] is True
    assert polled["last_id"] == message["id"]


async def test_long_poll_sees_writes_by_another_process(
    server: ChatServer, database_url: str
) -> None:
    """A write this chat did not make: PostgreSQL's NOTIFY wakes the poll at once; SQLite
    has no such signal, and the poll finds it when it reads again."""
    user = server.new_user()
    poll = asyncio.create_task(server.poll(user, wait=20))
    await parked(server, user)
    written = time.monotonic()
    async with server.store.transaction() as tx:
        await tx.put_outbox(
            mailbox=user_key(Channel.WEB, TENANT, user),
            payloads=[{"kind": "reminder", "text": "van elders"}],
            at=datetime.now(UTC),
        )

    _, polled = await poll

    limit = 0.5 if database_url.startswith("postgresql") else RECHECK_SECONDS + 1.5
    assert time.monotonic() - written < limit
    assert [m["text"] for m in polled["messages"]] == ["van elders"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: one process
async def test_a_second_replica_wakes_the_poll(server: ChatServer, database_url: str) -> None:
    """Two app instances on one PostgreSQL database: the other one's write wakes this one's
    poll, well before it would read again by itself."""
    other_store = await create_store(database_url)
    other = trial_chat(FakeHandler(), other_store)
    try:
        user = server.new_user()
        poll = asyncio.create_task(server.poll(user, wait=20))
        await parked(server, user)
        written = time.monotonic()
        delivered = await other.deliver(reminder_for(user))
        _, polled = await poll
        woke = time.monotonic() - written
    finally:
        await other_store.close()

    assert delivered.ok
    assert woke < 0.5, f"the other replica's write woke the poll after {woke:.2f}s"
    assert [m["text"] for m in polled["messages"]] == ["Nog 5 minuten: bel je bank."]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: no listener
async def test_the_poll_is_woken_again_after_the_listener_reconnects(
    server: ChatServer, database_url: str
) -> None:
    """PostgreSQL drops the listening connection: the listener connects again, and a later
    write by another process still wakes a poll at once."""
    first = server.new_user()
    await server.poll(first)  # the first poll starts the listener
    listening = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND query LIKE 'LISTEN %'"
    )
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        [old] = [row["pid"] for row in await admin.fetch(listening)]
        await admin.execute("SELECT pg_terminate_backend($1)", old)
        async with asyncio.timeout(10):
            # Another process's connection: nothing here to wait on but its row.
            while [row["pid"] for row in await admin.fetch(listening)] in ([], [old]):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        user = server.new_user()
        poll = asyncio.create_task(server.poll(user, wait=20))
        await parked(server, user)
        written = time.monotonic()
        async with server.store.transaction() as tx:
            await tx.put_outbox(
                mailbox=user_key(Channel.WEB, TENANT, user),
                payloads=[{"kind": "reminder", "text": "na de onderbreking"}],
                at=datetime.now(UTC),
            )
        _, polled = await poll
    finally:
        await admin.close()
    assert time.monotonic() - written < 0.5
    assert [m["text"] for m in polled["messages"]] == ["na de onderbreking"]


async def test_long_poll_times_out_empty(server: ChatServer) -> None:
    started = time.monotonic()

    status, polled = await server.poll(server.new_user(), after=7, wait=0.5)

    assert time.monotonic() - started >= 0.45
    assert (status, polled) == (200, {"messages": [], "last_id": 7})


async def test_poll_returns_only_messages_after_the_given_id(server: ChatServer) -> None:
    user = server.new_user()
    _, first = await server.post(text_body(user, "hoi"))
    await server.chat.deliver(reminder_for(user))

    _, polled = await server.poll(user, after=int(first["last_id"]))

    assert [m["kind"] for m in polled["messages"]] == ["reminder"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after=0", "missing user_id"),
        ("user_id=u&after=x", "after must be a whole number"),
        ("user_id=u&after=-1", "after must not be negative"),
        ("user_id=u&wait=soon", "wait must be a number of seconds"),
        ("user_id=u&wait=nan", "wait must be a number of seconds"),
    ],
)
async def test_bad_poll_is_a_clear_400(server: ChatServer, query: str, message: str) -> None:
    async with server.http.get(f"{server.base_url}/api/web/messages?{query}") as res:
        assert (res.status, await res.json()) == (400, {"error": message})


async def test_deliver_to_another_channel_is_refused(server: ChatServer) -> None:
    address = Address(Channel.SLACK, TENANT, conversation_id="C1", user_id="U1")
    reply = Reply(kind=ReplyKind.TEXT, text="x")

    refused = await server.chat.deliver(Outbound(address=address, replies=(reply,)))
    assert refused.status is DeliveryStatus.NO_ADDRESS


async def test_page_and_static_files_are_served(server: ChatServer) -> None:
    for path, content_type, needle in [
        ("/", "text/html", "Noodrem"),
        ("/static/app.js", "javascript", "use strict"),
        ("/static/style.css", "text/css", ":root"),
    ]:
        async with server.http.get(server.base_url + path) as res:
            assert res.status == 200, path
            assert content_type in res.headers["Content-Type"]
            assert "default-src 'self'" in res.headers["Content-Security-Policy"]
            assert needle in await res.text()


@pytest.mark.parametrize(
    "raw_path",
    [
        "/static/../web.py",
        "/static/..%2Fweb.py",
        "/static/%2e%2e%2fweb.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/app.js/../../web.py",
        "/static/..%5cweb.py",
        "/static/index.html",
        "/static/",
        "/static/.",
        "/static/%2fetc%2fpasswd",
    ],
)
async def test_static_path_traversal_is_404(server: ChatServer, raw_path: str) -> None:
    url = URL(server.base_url + raw_path, encoded=True)
    async with server.http.get(url) as res:
        assert res.status == 404, raw_path


def test_a_reply_renders_every_field_of_its_parts_in_order() -> None:
    """Fields, buttons and inputs as the page reads them, each part's fields in their
    declared order, the actions encoded."""
    reply = Reply(
        kind=ReplyKind.CHECKLIST,
        text="Stappen",
        fields=(Field("Feiten", "IBAN: NL91"),),
        buttons=(Button("Klaar", DONE, ButtonStyle.PRIMARY),),
        inputs=(InputRequest("reason", "Waarom?", CONFIRM, False, InputKind.PERSON),),
    )

    rendered = reply_to_json(reply, at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))

    assert rendered["fields"] == [{"label": "Feiten", "value": "IBAN: NL91"}]
    assert [list(b.items()) for b in rendered["buttons"]] == [
        [("label", "Klaar"), ("action", encode_action(DONE)), ("style", "primary")]
    ]
    assert [list(i.items()) for i in rendered["inputs"]] == [
        [
            ("field_id", "reason"),
            ("label", "Waarom?"),
            ("submit", encode_action(CONFIRM)),
            ("required", False),
            ("kind", "person"),
        ]
    ]
