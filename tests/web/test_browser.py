"""The web chat page in a real headless Chromium, as a stressed person would use it.

Everything is found by role and visible text, the way a person finds it, so a test fails
when the page stops making sense to a person and not when a CSS class is renamed.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.messages import Address, Channel, Outbound, Reply, ReplyKind
from tests.web.conftest import TENANT, ChatServer, StartChat

pytestmark = pytest.mark.browser

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
SCREENSHOTS = Path("/tmp/noodrem-screens")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def open_page(browser: Browser, url: str, *, locale: str = "nl-NL") -> Page:
    context = await browser.new_context(locale=locale, viewport={"width": 420, "height": 860})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(url)
    return page


def screenshot(name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / name)


async def test_conversation_in_the_browser(browser: Browser, server: ChatServer) -> None:
    page = await open_page(browser, server.base_url)
    await expect(page.get_by_text("Hulp bij fraude – stap voor stap")).to_be_visible()

    await page.get_by_label("Wat is je naam?").fill("Anna de Vries")
    await page.get_by_role("button", name="Verder").click()
    message = page.get_by_role("textbox", name="Bericht")
    await message.fill("volgens mij hebben we een oplichter betaald")
    await message.press("Enter")

    log = page.get_by_role("log")
    await expect(
        log.get_by_text("Klopt het dat jullie een oplichter hebben betaald?")
    ).to_be_visible()
    await expect(log.get_by_text("volgens mij hebben we een oplichter betaald")).to_be_visible()
    await expect(log.get_by_text("<b>niet vet</b>")).to_be_visible()  # shown, never parsed
    [inbound] = server.handler.inbounds
    assert (inbound.user_name, inbound.locale) == ("Anna de Vries", "nl")

    await page.get_by_role("button", name="Ja").click()
    await expect(page.get_by_role("heading", name="Stap 1: bel je bank")).to_be_visible()
    await expect(page.get_by_role("link", name="0900-8844")).to_have_attribute(
        "href", "tel:09008844"
    )
    await expect(page.get_by_role("link", name="https://example.org/fraude")).to_be_visible()
    await expect(page.locator("strong", has_text="nu")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile("0417"))).to_have_count(0)  # an IBAN

    case_number = page.get_by_label("Zaaknummer van de bank")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.get_by_text("Vul dit veld in.")).to_be_visible()
    assert len(server.handler.inbounds) == 2  # nothing sent for an empty required field
    await case_number.fill("2024-118")
    await page.screenshot(path=screenshot("before-submit.png"))
    await page.get_by_role("button", name="Opslaan").click()
    await expect(log.get_by_text("Genoteerd: 2024-118")).to_be_visible()
    assert server.handler.inbounds[-1].form == {"bank_case_number": "2024-118"}
    # The checklist is one card, updated in place, not posted twice.
    await expect(page.get_by_role("heading", name="Checklist")).to_have_count(1)
    await expect(log.get_by_text("✅ Bank gebeld")).to_be_visible()

    user = inbound.user_id
    address = Address(Channel.WEB, TENANT, conversation_id=user, user_id=user)
    reminder = Reply(kind=ReplyKind.REMINDER, text="Heb je de aangifte al gedaan?", late=True)
    escalation = Reply(kind=ReplyKind.ESCALATION, text="De bank is na 15 minuten nog niet gebeld.")
    await server.chat.deliver(Outbound(address=address, replies=(reminder, escalation)))
    await expect(log.get_by_text("Heb je de aangifte al gedaan?")).to_be_visible()
    await expect(log.get_by_text("⏰ Herinnering")).to_be_visible()
    await expect(log.get_by_text("(te laat)")).to_be_visible()
    await expect(log.get_by_text("⏰ Escalatie")).to_be_visible()
    await page.screenshot(path=screenshot("conversation-phone.png"))
    await page.set_viewport_size({"width": 1100, "height": 1000})
    await page.screenshot(path=screenshot("conversation-desktop.png"))

    await page.reload()
    await expect(log.get_by_text("Heb je de aangifte al gedaan?")).to_be_visible()
    await expect(log.get_by_text("volgens mij hebben we een oplichter betaald")).to_be_visible()
    await expect(log.get_by_text("Genoteerd: 2024-118")).to_be_visible()
    await expect(page.get_by_role("heading", name="Checklist")).to_have_count(1)
    await expect(page.get_by_role("button", name=re.compile("Anna de Vries"))).to_be_visible()
    assert len(server.handler.inbounds) == 3  # a reload sends nothing


async def test_access_token_and_english(browser: Browser, start_chat: StartChat) -> None:
    server = await start_chat(access_token="open-sesame")
    page = await open_page(browser, server.base_url, locale="en-GB")
    await expect(page.get_by_text("Fraud response – step by step")).to_be_visible()

    token = page.get_by_label("Access token")
    await token.fill("wrong")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_text("That access token was not accepted")).to_be_visible()
    await token.fill("open-sesame")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("What is your name?").fill("Sam")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("textbox", name="Message").fill("we paid a fake invoice")
    await page.get_by_role("button", name="Send").click()

    await expect(page.get_by_role("button", name="Ja")).to_be_visible()
    assert server.handler.inbounds[0].locale == "en"
    await page.get_by_role("button", name="Sam · change name").click()
    await page.get_by_label("What is your name?").fill("Sam Jansen")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("button", name="Sam Jansen · change name")).to_be_visible()
    await expect(page.get_by_role("log").get_by_text("we paid a fake invoice")).to_be_visible()
