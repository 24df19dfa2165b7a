"""The web chat page in a real headless Chromium, as a stressed person would use it.

Everything is found by role and visible text, the way a person finds it, so a test fails
when the page stops making sense to a person and not when a CSS class is renamed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Route, expect

from bot.clock import ManualClock
from bot.messages import Address, Channel, Outbound, Reply, ReplyKind
from tests.harness import running_app
from tests.web.conftest import TENANT, ChatServer

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp/noodrem-screens")
ORGANISATION = str(Path(__file__).parent.parent / "fixtures" / "organisation.yaml")


async def open_page(
    browser: Browser, url: str, *, locale: str = "nl-NL", errors: list[str] | None = None
) -> Page:
    """A fresh context (no saved name or token); script errors and CSP reports go to ``errors``."""
    # The engine writes times in the organisation's zone; so does a browser in the Netherlands.
    context = await browser.new_context(
        locale=locale, timezone_id="Europe/Amsterdam", viewport={"width": 420, "height": 860}
    )
    page = await context.new_page()
    page.set_default_timeout(10_000)
    if errors is not None:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await page.goto(url)
    return page


def screenshot(name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / name)


async def test_conversation_in_the_browser(browser: Browser, server: ChatServer) -> None:
    errors: list[str] = []
    page = await open_page(browser, server.base_url, errors=errors)
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
    assert errors == []


async def test_connection_lost_and_recovered(browser: Browser, server: ChatServer) -> None:
    page = await open_page(browser, server.base_url)
    await page.get_by_label("Wat is je naam?").fill("Anna")
    await page.get_by_role("button", name="Verder").click()
    await page.get_by_role("textbox", name="Bericht").fill("hallo")
    await page.get_by_role("button", name="Verstuur").click()
    await expect(page.get_by_role("button", name="Ja")).to_be_visible()
    user = server.handler.inbounds[0].user_id
    address = Address(Channel.WEB, TENANT, conversation_id=user, user_id=user)

    async def cut(route: Route) -> None:
        await route.abort("connectionreset")

    await page.route("**/api/web/messages?*", cut)
    reminder = Reply(kind=ReplyKind.REMINDER, text="Eerste herinnering")
    await server.chat.deliver(Outbound(address=address, replies=(reminder,)))  # ends the poll
    status = page.get_by_role("status")
    await expect(status).to_have_text("Verbinding verbroken, opnieuw proberen…")

    await page.unroute("**/api/web/messages?*", cut)
    await expect(status).to_be_hidden()
    await expect(page.get_by_role("log").get_by_text("Eerste herinnering")).to_be_visible()
    later = Reply(kind=ReplyKind.REMINDER, text="Tweede herinnering")
    await server.chat.deliver(Outbound(address=address, replies=(later,)))
    await expect(page.get_by_role("log").get_by_text("Tweede herinnering")).to_be_visible()


async def test_trial_mode_says_so_and_english(browser: Browser, server: ChatServer) -> None:
    page = await open_page(browser, server.base_url, locale="en-GB")
    await expect(page.get_by_text("Fraud response – step by step")).to_be_visible()
    await expect(page.get_by_role("note")).to_contain_text(
        "Trial mode: nobody signs in, and Noodrem works only on this computer"
    )

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


async def test_first_steps_of_the_real_flow(browser: Browser, database_url: str) -> None:
    """The real app and playbook: report, confirm, answer the questions, call the bank."""
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))  # 10:00 in Amsterdam
    env = {"ORGANISATION_FILE": ORGANISATION}
    async with running_app(database_url, clock=clock, env=env) as app:
        errors: list[str] = []
        page = await open_page(browser, app.url, errors=errors)
        await page.get_by_label("Wat is je naam?").fill("Jan Jansen")
        await page.get_by_role("button", name="Verder").click()
        message = page.get_by_role("textbox", name="Bericht")
        log = page.get_by_role("log")

        async def say(text: str) -> None:
            await message.fill(text)
            await message.press("Enter")

        async def question(n: int) -> None:
            await expect(page.get_by_role("heading", name=f"Vraag {n} van 7")).to_be_visible()

        await say("volgens mij hebben we een oplichter betaald")
        await expect(log.get_by_text("Zal ik het plan")).to_be_visible()
        await page.get_by_role("button", name="Ja, start").click()
        opened = re.compile(r"Incident \S+ is geopend om 10:00")
        await expect(log.get_by_text(opened)).to_be_visible()

        await question(1)
        await say("€ 12.500")
        await expect(log.get_by_text("Genoteerd: € 12.500,00")).to_be_visible()
        await question(2)
        await page.get_by_role("button", name="Weet ik nog niet").last.click()
        await question(3)
        await say("NL91 ABNA 0417 1643 00")
        await question(4)
        await page.get_by_role("button", name="Weet ik nog niet").last.click()
        await question(5)
        await page.get_by_role("button", name="Factuur met een ander rekeningnummer").click()
        await question(6)
        await page.get_by_role("button", name="Ja", exact=True).last.click()
        await question(7)
        await say("NL20 INGB 0001 2345 67")

        # The bank card came first, before the questions, and again after them.
        step = page.get_by_role("heading", name=re.compile("^Nu meteen — stap 1: Bel je bank"))
        await expect(step).to_have_count(2)
        bank = page.get_by_role("link", name="088-722 67 67").last
        await expect(bank).to_have_attribute("href", "tel:0887226767")
        await page.get_by_role("button", name="Gedaan").last.click()
        case_number = page.get_by_label("Dossiernummer van de bank")
        await case_number.fill("RABO-2026-4711")
        await page.screenshot(path=screenshot("real-flow-phone.png"))
        await page.get_by_role("button", name="Opslaan").click()
        await expect(log.get_by_text(re.compile("Gedaan om 10:00: .*op tijd"))).to_be_visible()
        await expect(page.get_by_role("heading", name="Stap 2", exact=False)).to_be_visible()
        await page.screenshot(path=screenshot("real-flow-step-2.png"))

        await page.reload()
        await expect(step).to_have_count(2)
        # Once as typed, once on the recall question that repeats it; not again on reload.
        await expect(log.get_by_text("RABO-2026-4711")).to_have_count(2)
        assert errors == []


async def test_an_empty_chat_offers_the_menu_of_plans(browser: Browser, database_url: str) -> None:
    """A new person who does not know what to type: one tap shows every plan, a second opens
    the incident."""
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    env = {"ORGANISATION_FILE": ORGANISATION}
    async with running_app(database_url, clock=clock, env=env) as app:
        errors: list[str] = []
        page = await open_page(browser, app.url, errors=errors)
        await page.get_by_label("Wat is je naam?").fill("Jan Jansen")
        await page.get_by_role("button", name="Verder").click()
        menu = page.get_by_role("button", name="Wat is er gebeurd? Kies uit de lijst")
        await expect(menu).to_be_visible()
        await menu.click()
        log = page.get_by_role("log")
        await expect(log.get_by_text("Kies wat het best past")).to_be_visible()
        await expect(menu).to_be_hidden()  # the chat is no longer empty
        await page.screenshot(path=screenshot("menu-of-plans-phone.png"))
        await page.get_by_role("button", name="Iemand anders zit in een mailbox").click()
        await expect(
            log.get_by_text(re.compile(r"Incident \S+ is geopend om 10:00"))
        ).to_be_visible()
        async with app.runtime.require_store().transaction() as tx:
            [incident] = await tx.open_incidents()
        assert incident.playbook_id == "hacked-mailbox"
        assert errors == []
