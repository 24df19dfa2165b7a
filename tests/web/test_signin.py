"""Signing in to the web chat by mailed link, end to end: the real app, engine and
playbooks over HTTP, links sent through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from bot.clock import ManualClock
from tests.harness import RunningApp, incident_named, naming_incident, running_app
from tests.smtp import Inbox, smtp_server
from tests.test_flow import incident_id_in, open_incident
from tests.web.test_browser import open_page
from tests.webclient import WebUser, browser_session, request_link, texts, use_link

PUBLIC_URL = "http://noodrem.acme.example"
ORG = """
organisations:
  - id: acme
    name: Bakkerij Acme B.V.
    sign_in:
      email_domains: [acme.example]
      emails: [boekhouder@elders.example]
      session_hours: 8
    managers:
      - name: Anna de Vries
        email: Anna@Acme.example
        web: Anna de Vries
  - id: other
    name: Ander Bedrijf
    sign_in:
      email_domains: [other.example]
    managers:
      - name: Baas Ander
        email: baas@other.example
"""


@dataclass
class SignInApp:
    app: RunningApp
    inbox: Inbox
    clock: ManualClock

    @property
    def url(self) -> str:
        return self.app.url

    async def sign_in(self, http: aiohttp.ClientSession, email: str) -> None:
        before = len(self.inbox.to(email))
        await request_link(http, self.url, email)
        for _ in range(250):
            if len(self.inbox.to(email)) > before:
                break
            await asyncio.sleep(0.02)
        response = await use_link(http, self.url, await self.link_for(email))
        assert response.status == 303, response.status

    async def link_for(self, email: str) -> str:
        return self.inbox.link_to(email, prefix=f"{PUBLIC_URL}/auth/link?")

    async def events(self, incident_id: str) -> list[tuple[str, str, str]]:
        async with self.app.runtime.require_store().transaction() as tx:
            return [(e.kind, e.actor, e.actor_name) for e in await tx.get_events(incident_id)]


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
async def signin_app(
    database_url: str, tmp_path: Path, smtp: tuple[Inbox, int]
) -> AsyncIterator[SignInApp]:
    inbox, port = smtp
    inbox.received.clear()
    org_file = tmp_path / "organisation.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    env = {**mail_env(port), "ORGANISATION_FILE": str(org_file), "PUBLIC_URL": PUBLIC_URL}
    async with running_app(database_url, clock=clock, env=env) as app:
        yield SignInApp(app, inbox, clock)


def mail_env(port: int) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "noodrem@acme.example",
    }


async def settle(inbox: Inbox, count: int) -> None:
    """Wait until ``count`` mails have arrived (they are sent after the HTTP answer)."""
    for _ in range(250):
        if len(inbox.received) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(inbox.received)} mails arrived, expected {count}")


async def test_a_mailed_link_signs_in_once_and_the_timeline_names_the_address(
    signin_app: SignInApp,
) -> None:
    async with browser_session() as http:
        answer = await request_link(http, signin_app.url, "Jan@Acme.example ")
        assert "inloglink" in answer["message"]
        await settle(signin_app.inbox, 1)
        [mail] = signin_app.inbox.to("jan@acme.example")
        assert mail["From"] == "noodrem@acme.example"
        assert mail["Subject"] == "Je inloglink voor Noodrem"
        link = await signin_app.link_for("jan@acme.example")
        async with signin_app.app.runtime.require_store().transaction() as tx:
            # The store has only the token's hash: the link's token is nowhere in it.
            token = link.partition("t=")[2].partition("&")[0]
            assert await tx.take_pending_sign_in(token, now=signin_app.clock.now()) is None

        # Another site cannot post a link for this browser (it would sign it in as someone
        # else); the link still works from its own page afterwards.
        for origin in ("https://evil.example", "null"):  # null: a sandboxed frame's
            async with (
                browser_session() as other,
                other.post(
                    f"{signin_app.url}/auth/link",
                    data={"t": token},
                    headers={"Origin": origin},
                    allow_redirects=False,
                ) as res,
            ):
                assert res.status == 400
                assert not [c for c in other.cookie_jar if c.key == "noodrem_session"]

        response = await use_link(http, signin_app.url, link)
        assert response.status == 303 and response.headers["Location"] == "/?lang=nl"
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

        # The page's id and typed name are ignored: the manager's name gives nothing away.
        jan = WebUser(http, signin_app.url, "Anna de Vries", user_id="anna@acme.example")
        incident = await open_incident(jan)
        async with http.get(f"{signin_app.url}/api/web/config") as res:
            config = await res.json()
        assert config["mode"] == "sign_in"
        assert config["person"] == {
            "name": "jan@acme.example",
            "email": "jan@acme.example",
            "organisation": "Bakkerij Acme B.V.",
        }

        # The second use of the same link is refused with a page that says why.
        async with browser_session() as other:
            again = await use_link(other, signin_app.url, link)
            assert again.status == 400

    actors = {(actor, name) for _, actor, name in await signin_app.events(incident)}
    assert actors == {("web:acme:jan@acme.example", "jan@acme.example")}


async def test_unknown_addresses_get_the_same_answer_and_no_mail(signin_app: SignInApp) -> None:
    async with browser_session() as http:
        known = await request_link(http, signin_app.url, "piet@acme.example")
        unknown = await request_link(http, signin_app.url, "piet@elsewhere.example")
        listed = await request_link(http, signin_app.url, "boekhouder@elders.example")
        async with http.post(f"{signin_app.url}/auth/mail", json={"email": "geen adres"}) as bad:
            assert bad.status == 400
            assert (await bad.json())["error"].startswith("Vul een e-mailadres in")
    assert known == unknown == listed
    await settle(signin_app.inbox, 2)
    assert sorted(r for e in signin_app.inbox.received for r in e.rcpt_tos) == [
        "boekhouder@elders.example",
        "piet@acme.example",
    ]


async def test_links_per_address_are_limited(signin_app: SignInApp) -> None:
    async with browser_session() as http:
        for _ in range(5):
            await request_link(http, signin_app.url, "kees@acme.example")
        await settle(signin_app.inbox, 3)
        assert len(signin_app.inbox.to("kees@acme.example")) == 3
        signin_app.clock.advance(timedelta(minutes=16))
        await request_link(http, signin_app.url, "kees@acme.example")
        await settle(signin_app.inbox, 4)
    assert len(signin_app.inbox.to("kees@acme.example")) == 4


async def test_a_link_expires_after_15_minutes(signin_app: SignInApp) -> None:
    async with browser_session() as http:
        await request_link(http, signin_app.url, "laat@acme.example")
        await settle(signin_app.inbox, 1)
        signin_app.clock.advance(timedelta(minutes=15, seconds=1))
        response = await use_link(
            http, signin_app.url, await signin_app.link_for("laat@acme.example")
        )
        assert response.status == 400
        async with http.get(f"{signin_app.url}/api/web/messages") as res:
            assert res.status == 401


async def test_nobody_reads_another_persons_chat(signin_app: SignInApp) -> None:
    async with browser_session() as jan_http, browser_session() as piet_http:
        await signin_app.sign_in(jan_http, "jan@acme.example")
        jan = WebUser(jan_http, signin_app.url, "Jan")
        await open_incident(jan)
        await signin_app.sign_in(piet_http, "piet@acme.example")

        for user_id in ("jan@acme.example", "web:acme:jan@acme.example", jan.user_id):
            piet = WebUser(piet_http, signin_app.url, "Jan", user_id=user_id)
            assert await piet.inbox() == [] and piet.history == []

        async with aiohttp.ClientSession() as anonymous:
            params = {"user_id": "jan@acme.example"}
            async with anonymous.get(f"{signin_app.url}/api/web/messages", params=params) as res:
                assert res.status == 401
                assert (await res.json())["sign_in"] is True
            body = {
                "user_id": "jan@acme.example",
                "user_name": "Jan",
                "client_id": "x",
                "text": "hoi",
            }
            async with anonymous.post(f"{signin_app.url}/api/web/messages", json=body) as res:
                assert res.status == 401
        assert len(jan.history) > 2  # Jan's own chat is there for Jan


async def test_a_typed_manager_name_is_nothing_the_signed_in_address_is(
    signin_app: SignInApp,
) -> None:
    async with (
        browser_session() as jan_http,
        browser_session() as fake_http,
        browser_session() as anna_http,
    ):
        await signin_app.sign_in(jan_http, "jan@acme.example")
        incident = await open_incident(WebUser(jan_http, signin_app.url, "Jan"))

        await signin_app.sign_in(fake_http, "piet@acme.example")
        fake = WebUser(fake_http, signin_app.url, "Anna de Vries")
        assert incident not in texts(await fake.say("lijst"))

        await signin_app.sign_in(anna_http, "anna@acme.example")
        anna = WebUser(anna_http, signin_app.url, "whatever she types")
        assert incident in texts(await anna.say("lijst"))
        joined = await anna.say(f"doe mee {incident}")
        assert incident_id_in(joined) == incident

    joins = [e for e in await signin_app.events(incident) if e[0] == "participant_joined"]
    assert joins[-1][1:] == ("web:acme:anna@acme.example", "Anna de Vries")


async def test_logout_and_expiry_end_the_session(signin_app: SignInApp) -> None:
    async with browser_session() as http:
        await signin_app.sign_in(http, "jan@acme.example")
        jan = WebUser(http, signin_app.url, "Jan")
        await jan.say("hallo")
        cookies = {c.key: c.value for c in http.cookie_jar}
        async with http.post(f"{signin_app.url}/auth/logout") as res:
            assert res.status == 200
        async with http.get(f"{signin_app.url}/api/web/messages") as res:
            assert res.status == 401
    # The old cookie, kept by someone, opens nothing: the session is gone from the store.
    async with browser_session() as stolen:
        stolen.cookie_jar.update_cookies(cookies)
        async with stolen.get(f"{signin_app.url}/api/web/messages") as res:
            assert res.status == 401

    async with browser_session() as http:
        await signin_app.sign_in(http, "jan@acme.example")
        async with http.get(f"{signin_app.url}/api/web/messages") as res:
            assert res.status == 200
            assert len((await res.json())["messages"]) >= 2  # the same chat as before
        signin_app.clock.advance(timedelta(hours=8, seconds=1))  # session_hours: 8
        async with http.get(f"{signin_app.url}/api/web/messages") as res:
            assert res.status == 401


async def test_each_organisation_has_its_own_chats(signin_app: SignInApp) -> None:
    async with browser_session() as http:
        await signin_app.sign_in(http, "jan@other.example")
        async with http.get(f"{signin_app.url}/api/web/config") as res:
            assert (await res.json())["person"]["organisation"] == "Ander Bedrijf"
        incident = await open_incident(WebUser(http, signin_app.url, "Jan"))
    events = await signin_app.events(incident)
    assert {actor for _, actor, _ in events} == {"web:other:jan@other.example"}


async def test_another_organisations_incident_is_out_of_reach_even_for_its_manager(
    signin_app: SignInApp,
) -> None:
    """Whatever the other organisation's manager types or presses with Acme's incident id
    gets the answer an id that never existed gets, and Acme's timeline stays as it was."""
    never = "NR-ZZZZZZ"
    async with browser_session() as jan_http, browser_session() as boss_http:
        await signin_app.sign_in(jan_http, "jan@acme.example")
        jan = WebUser(jan_http, signin_app.url, "Jan")
        incident = await open_incident(jan)
        await jan.say("€ 12.500")
        await jan.say("status")
        before = await signin_app.events(incident)
        payloads = {
            b["action"]
            for m in jan.history
            for b in m.get("buttons", [])
            if incident_named(b["action"]) == incident
        }
        assert len(payloads) >= 5, payloads

        await signin_app.sign_in(boss_http, "baas@other.example")
        boss = WebUser(boss_http, signin_app.url, "Baas Ander")
        for typed in ("status", "lijst", "lijst gesloten", "export"):
            said = texts(await boss.say(typed))
            assert incident not in said and "12.500" not in said, (typed, said)
        for command in ("doe mee {}", "export {}", "heropen {}"):
            real = texts(await boss.say(command.format(incident)))
            unknown = texts(await boss.say(command.format(never)))
            assert real.replace(incident, never) == unknown and unknown, command
        for raw in sorted(payloads):
            swapped = naming_incident(raw, never)
            real = texts(await boss._post({"action": raw, "form": {}}))
            unknown = texts(await boss._post({"action": swapped, "form": {}}))
            assert real.replace(incident, never) == unknown, raw
            assert "12.500" not in real and "Bakkerij Acme" not in real
    assert await signin_app.events(incident) == before


async def test_a_public_https_address_makes_the_cookie_secure(
    database_url: str, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    inbox.received.clear()
    org_file = tmp_path / "organisation.yaml"
    org_file.write_text(ORG, encoding="utf-8")
    env = {**mail_env(port), "ORGANISATION_FILE": str(org_file)}
    env["PUBLIC_URL"] = "https://noodrem.acme.example"
    async with running_app(database_url, env=env) as app, browser_session() as http:
        await request_link(http, app.url, "jan@acme.example")
        await settle(inbox, 1)
        link = inbox.link_to("jan@acme.example", prefix="https://noodrem.acme.example/auth/link?")
        response = await use_link(http, app.url, link)
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.browser
async def test_in_the_browser_link_chat_reload_logout(
    browser: Browser, signin_app: SignInApp
) -> None:
    errors: list[str] = []
    page = await open_page(browser, signin_app.url, errors=errors)
    await expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    await expect(page.get_by_role("note")).to_be_hidden()  # no trial-mode notice
    await page.get_by_label("E-mailadres").fill("jan@acme.example")
    await page.get_by_role("button", name="Stuur inloglink").click()
    await expect(page.get_by_role("status").filter(has_text="inloglink")).to_be_visible()

    await settle(signin_app.inbox, 1)
    link = await signin_app.link_for("jan@acme.example")
    await page.goto(signin_app.url + "/auth/link" + link.partition("/auth/link")[2])
    await page.get_by_role("button", name="Inloggen").click()

    logout = page.get_by_role("button", name="jan@acme.example · uitloggen")
    await expect(logout).to_be_visible()
    message = page.get_by_role("textbox", name="Bericht")
    await message.fill("ik denk dat we een oplichter hebben betaald")
    await message.press("Enter")
    await expect(page.get_by_role("button", name="Ja, start")).to_be_visible()

    await page.reload()
    await expect(logout).to_be_visible()
    log = page.get_by_role("log")
    await expect(log.get_by_text("ik denk dat we een oplichter hebben betaald")).to_be_visible()

    await logout.click()
    await expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    await expect(log.get_by_text("oplichter")).to_have_count(0)
    await page.reload()
    await expect(page.get_by_label("E-mailadres")).to_be_visible()
    answer = await page.context.request.get(f"{signin_app.url}/api/web/messages")
    assert answer.status == 401  # with the browser's own cookies: none is left
    assert errors == []
