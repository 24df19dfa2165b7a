"""A real web chat on a loopback port, with a small scripted handler instead of the engine.

The handler answers like the engine does in shape (a question with buttons, a step card
with an input, an updated checklist), so the adapter and the page are tested on the kinds of
replies they will really get, without depending on a playbook.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright

from bot.channels.web import WebChat
from bot.channels.web_signin import SignIn
from bot.clock import SystemClock
from bot.messages import (
    Button,
    ButtonStyle,
    ConfirmStart,
    DeclineStart,
    Field,
    Inbound,
    InputRequest,
    Reply,
    ReplyKind,
    StepDone,
    StepHelp,
)
from bot.organisation import Organisation, Organisations
from bot.ports import ReplySink, Store

TENANT = "test-tenant"


def trial_chat(handler: FakeHandler, store: Store) -> WebChat:
    """The adapter alone, in the trial mode as a loopback start with no sign-in has it,
    in the organisation ``TENANT``."""
    organisations = Organisations([Organisation(id=TENANT, name="Test B.V.")])
    sign_in = SignIn(
        organisations=lambda: organisations,
        store=lambda: store,
        clock=SystemClock(),
        mailer=None,
        public_url="http://127.0.0.1",
        loopback=True,
    )
    # The store is given lazily, as app.py does when it opens the store on startup.
    return WebChat(handler=handler, store=lambda: store, clock=SystemClock(), sign_in=sign_in)


INCIDENT = "inc-1"
CONFIRM = ConfirmStart("paid-fraudster")
DECLINE = DeclineStart()
DONE = StepDone(INCIDENT, "call-bank", 1)
HELP = StepHelp(INCIDENT, "call-bank", 1)


class HandlerFailed(RuntimeError):
    """What the scripted handler raises for the text "boom"."""


@dataclass
class FakeHandler:
    """Records every ``Inbound`` and answers from a tiny script."""

    inbounds: list[Inbound] = field(default_factory=list)

    async def __call__(self, inbound: Inbound, *, sink: ReplySink | None = None) -> list[Reply]:
        """Commits no turn, so it leaves ``sink`` alone: the adapter writes every reply."""
        self.inbounds.append(inbound)
        if inbound.text == "boom":
            raise HandlerFailed("scripted failure")
        if inbound.action is None:
            return [
                Reply(
                    kind=ReplyKind.QUESTION,
                    title="Mogelijk een oplichter betaald",
                    text="Klopt het dat jullie een oplichter hebben betaald?\n<b>niet vet</b>",
                    buttons=(
                        Button("Ja", CONFIRM, ButtonStyle.PRIMARY),
                        Button("Nee", DECLINE, ButtonStyle.DANGER),
                    ),
                    incident_id=INCIDENT,
                )
            ]
        if isinstance(inbound.action, ConfirmStart):
            return [checklist(done=False), step_card()]
        if isinstance(inbound.action, StepDone):
            number = inbound.form.get("bank_case_number", "")
            return [
                Reply(kind=ReplyKind.TEXT, text=f"Genoteerd: {number}", incident_id=INCIDENT),
                checklist(done=True),
            ]
        return [Reply(kind=ReplyKind.TEXT, text="Hulp: bel je bank.", incident_id=INCIDENT)]


def step_card() -> Reply:
    return Reply(
        kind=ReplyKind.STEP,
        title="Stap 1: bel je bank",
        text="Bel *nu* de fraudelijn van je bank: 0900-8844.\nMeer op https://example.org/fraude.",
        fields=(Field("Deadline", "12:15"), Field("IBAN", "NL91 ABNA 0417 1643 00")),
        buttons=(Button("Gedaan", DONE, ButtonStyle.PRIMARY), Button("Hulp", HELP)),
        inputs=(InputRequest("bank_case_number", "Zaaknummer van de bank", DONE),),
        incident_id=INCIDENT,
    )


def checklist(*, done: bool) -> Reply:
    mark = "✅" if done else "⬜"
    return Reply(
        kind=ReplyKind.CHECKLIST,
        title="Checklist",
        text=f"{mark} Bank gebeld\n⬜ Aangifte bij de politie",
        incident_id=INCIDENT,
        card_key=f"checklist:{INCIDENT}",
    )


@dataclass
class ChatServer:
    base_url: str
    chat: WebChat
    handler: FakeHandler
    http: aiohttp.ClientSession
    store: Store

    def new_user(self) -> str:
        """A user id of its own per test, so tests never read each other's mailbox."""
        return f"user-{uuid.uuid4()}"

    async def post(self, body: object) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.base_url}/api/web/messages", json=body) as res:
            return res.status, await res.json()

    async def poll(
        self, user_id: str, *, after: int = 0, wait: float = 0
    ) -> tuple[int, dict[str, Any]]:
        params = {"user_id": user_id, "after": str(after), "wait": str(wait)}
        async with self.http.get(f"{self.base_url}/api/web/messages", params=params) as res:
            return res.status, await res.json()


StartChat = Callable[..., Awaitable[ChatServer]]


@pytest.fixture
async def start_chat(store: Store) -> AsyncIterator[StartChat]:
    """Start the adapter on 127.0.0.1 with a free port, in trial mode (no sign-in)."""
    runners: list[web.AppRunner] = []
    sessions: list[aiohttp.ClientSession] = []

    async def start() -> ChatServer:
        handler = FakeHandler()
        chat = trial_chat(handler, store)
        app = web.Application()
        chat.install(app)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        http = aiohttp.ClientSession()
        sessions.append(http)
        return ChatServer(f"http://{host}:{port}", chat, handler, http, store)

    yield start
    for http in sessions:
        await http.close()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def server(start_chat: StartChat) -> ChatServer:
    return await start_chat()


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> str:
    """Debian's chromium; a skip on a developer machine without it, a failure under CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()
