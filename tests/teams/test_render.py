"""The Teams cards as a phone shows them: every answer, step and button readable whole.

A schema-valid card can still be unusable: Teams lays all buttons of a row side by side and
cuts each label that does not fit ("Mail van d…", "▶ D…"). So the cards the real app sends
in a real conversation (over HTTP to the fake Bot Connector, Dutch and English) are
rendered with Microsoft's ``adaptivecards`` renderer (tests/teams/render, installed with
``npm ci``) in Debian's headless chromium, with a Teams host config, 360 px wide, and the
test reads the rendered DOM: no button or choice whose text needs more room than its box,
nothing wider than the phone, titles larger and bolder than the text, and no complaint from
the renderer's parser. Screenshots of the cards with a problem go to
/tmp/noodrem-screens/teams (of every card with ``NOODREM_SCREENSHOTS=1``: a screenshot
costs five times the card's rendering).

The database does not change what a card looks like, so the conversation runs once per
module on SQLite; the Teams flow tests run it on both databases.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Page, async_playwright

from bot.cards import checklist, fact_question, step_card
from bot.channels import teams_cards
from bot.clock import ManualClock
from bot.messages import Lang
from bot.organisation_file import load_organisations
from bot.playbook import load_playbooks
from bot.ports import Incident, IncidentStatus, Step, StepStatus
from tests.harness import ROOT, running_app
from tests.teams.chat import run_reminders
from tests.teams.fakes import LOCAL, ORG, START, FakeConnector, TeamsUser, cards, personal_chat
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

RENDER = Path(__file__).with_name("render")
DIST = RENDER / "node_modules" / "adaptivecards" / "dist"
HOST_CONFIG = json.loads((RENDER / "host-config.json").read_text(encoding="utf-8"))
PHONE = 360  # px: the narrowest common phone, the whole card (its 16 px padding included)
SCREENSHOTS = Path("/tmp/noodrem-screens/teams")
EVERY_SCREENSHOT = os.environ.get("NOODREM_SCREENSHOTS") == "1"
LANGUAGES = ("nl-NL", "en-US")
TEAMS_MAX_CARD = 28 * 1024  # bytes of a message, which Teams counts in UTF-16


@dataclass(frozen=True)
class Words:
    """What a person types and presses in one language."""

    unsure: str
    paid: str
    yes: str
    dont_know: str
    invoice: str
    done: str
    asked_to_stop: str


WORDS = {
    "nl-NL": Words(
        unsure="er is iets raars met een betaling aan een leverancier",
        paid="we hebben een oplichter betaald",
        yes="Ja",
        dont_know="Weet ik nog niet",
        invoice="Factuur met een ander rekeningnummer",
        done="Gedaan",
        asked_to_stop="Gevraagd te stoppen",
    ),
    "en-US": Words(
        unsure="something odd happened with a payment to a supplier",
        paid="we paid a fraudster",
        yes="Yes",
        dont_know="Don't know yet",
        invoice="Invoice with a different account number",
        done="Done",
        asked_to_stop="Asked to stop",
    ),
}


@dataclass
class Conversation:
    """Every card the bot sent in one language, oldest first, and the named ones."""

    locale: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    named: dict[str, dict[str, Any]] = field(default_factory=dict)


async def converse(locale: str, database_url: str) -> Conversation:
    """The first half hour of a paid-fraudster incident in Teams, as a person goes through
    it: the chooser, the offer, the bank step, the six questions, the checklist, then the
    reminders and escalations when the bank step is late."""
    words = WORDS[locale]
    clock = ManualClock(START)
    connector = FakeConnector()
    await connector.start()
    shown = Conversation(locale)

    def keep(name: str, before: int, test: str | None = None) -> None:
        new = cards([c.body for c in connector.calls[before:]])
        shown.sent.extend(new)
        if test is not None:
            found = [c for c in new if test in json.dumps(c, ensure_ascii=False)]
            assert found, f"no card with {test!r} for {name}"
            shown.named[name] = found[-1]

    try:
        async with (
            running_app(database_url, clock=clock, env=LOCAL) as app,
            aiohttp.ClientSession() as http,
        ):
            jan = TeamsUser(
                http,
                bot_url=app.url,
                connector=connector,
                name="Jan Jansen",
                conversation=personal_chat(),
                locale=locale,
            )
            n = len(connector.calls)
            await jan.say(words.unsure)
            keep("chooser", n, "start.yes")
            n = len(connector.calls)
            await jan.say(words.paid)
            keep("offer", n, "start.yes")
            n = len(connector.calls)
            await jan.press(words.yes)
            keep("bank step", n, "step.done")
            for answer in ("€ 12.500", words.dont_know, "NL91 ABNA 0417 1643 00", words.dont_know):
                n = len(connector.calls)
                if answer == words.dont_know:
                    await jan.press(answer)
                else:
                    await jan.say(answer)
                keep("question", n)
            shown.named["question 5"] = shown.sent[-1]
            n = len(connector.calls)
            await jan.press(words.invoice)
            keep("question 6", n, "fact.answer")
            n = len(connector.calls)
            await jan.press(words.yes)
            keep("question 7", n, "fact.skip")
            n = len(connector.calls)
            await jan.press(words.dont_know)
            keep("steps", n, "step.done")
            n = len(connector.calls)
            await jan.say("status")
            keep("checklist", n, "step.show")
            for minutes in (11, 16, 31):  # 5 min left, due, overdue to the managers
                clock.advance(START + timedelta(minutes=minutes) - clock.now())
                n = len(connector.calls)
                await run_reminders(app, connector)
                keep("reminder", n, "snooze")
            escalations = [
                c
                for c in shown.sent
                if "🚨" in (dumped := json.dumps(c, ensure_ascii=False)) and "call-bank" in dumped
            ]
            # To the lead's own chat, then for the managers Noodrem cannot reach directly.
            assert len(escalations) >= 2, "the late bank step escalates"
            shown.named["escalation"] = escalations[0]
            shown.named["escalation to the incident chat"] = escalations[-1]
            # The bank called after all: its case number, what the bank said, a check-in.
            await jan.press(words.done)
            n = len(connector.calls)
            await jan.submit("ING-2026-7781")
            keep("recall", n, "asked_to_stop")
            n = len(connector.calls)
            await jan.press(words.asked_to_stop)
            clock.advance(timedelta(days=2, minutes=1))
            await run_reminders(app, connector)
            keep("recall check-in", n, '[\\"recall\\"')  # the action, JSON inside JSON
    finally:
        await connector.stop()
    return shown


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conversations(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Conversation]:
    folder = tmp_path_factory.mktemp("render")
    return {
        locale: await converse(locale, f"sqlite+aiosqlite:///{folder / locale}.db")
        for locale in LANGUAGES
    }


def _require(path: Path, reason: str) -> None:
    """A skip on a developer machine without it, a failure under CI."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def renderer() -> Path:
    """The renderer installed, chromium there, and a folder for the screenshots."""
    _require(CHROMIUM, f"{CHROMIUM} is missing: install Debian's chromium package")
    _require(DIST, f"{DIST} is missing: run `npm ci --prefix {RENDER}`")
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's cards to look at
    SCREENSHOTS.mkdir(parents=True)
    return DIST


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def phone(renderer: Path) -> AsyncIterator[Page]:
    """One chromium page with the renderer loaded, as wide as a phone."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": PHONE, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.set_content('<!doctype html><html lang="nl"><meta charset="utf-8"><body>')
        await page.add_style_tag(path=str(renderer / "adaptivecards.css"))
        await page.add_style_tag(path=str(RENDER / "teams.css"))
        await page.add_script_tag(path=str(renderer / "adaptivecards.min.js"))
        await page.add_script_tag(path=str(RENDER / "render.js"))
        yield page
        assert errors == []
        await browser.close()


@dataclass(frozen=True)
class Rendered:
    """What render.js reports about one card drawn at phone width."""

    name: str
    report: dict[str, Any]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return list(self.report["buttons"])

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list(self.report["choices"])

    def cut(self) -> list[str]:
        """Every label a person cannot read whole, and anything wider than the phone."""
        found = [
            f"{self.name}: {kind} {item['label']!r} is cut"
            for kind in ("buttons", "choices")
            for item in self.report[kind]
            if item["cut"] or item["right"] > PHONE + 0.5 or item["left"] < -0.5
        ]
        found.extend(f"{self.name}: text {t['text']!r} is cut" for t in self.texts if t["cut"])
        if self.report["scrollWidth"] > PHONE:
            found.append(f"{self.name}: {self.report['scrollWidth']} px wide on a {PHONE} px phone")
        if self.report["overflowMenu"]:
            found.append(f"{self.name}: buttons folded into an overflow menu")
        return found

    @property
    def texts(self) -> list[dict[str, Any]]:
        return list(self.report["texts"])


async def render(page: Page, card: dict[str, Any], name: str) -> Rendered:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    report = await page.evaluate(
        "([card, config, width, id]) => renderTeamsCard(card, config, width, id)",
        [card, HOST_CONFIG, PHONE, slug],
    )
    rendered = Rendered(name, report)
    if EVERY_SCREENSHOT or rendered.cut() or report["problems"]:
        await page.locator(f"#{slug}").screenshot(path=str(SCREENSHOTS / f"{slug}.png"))
    return rendered


@pytest.fixture(params=LANGUAGES)
def shown(request: pytest.FixtureRequest, conversations: dict[str, Conversation]) -> Conversation:
    return conversations[request.param]


async def test_every_card_of_the_conversation_is_readable_at_phone_width(
    phone: Page, shown: Conversation
) -> None:
    problems: list[str] = []
    for n, card in enumerate(shown.sent):
        first = next((b["text"] for b in card["body"] if b["type"] == "TextBlock"), "card")
        rendered = await render(phone, card, f"{shown.locale} {n:02d} {first[:40]}")
        problems.extend(rendered.cut())
        problems.extend(f"{rendered.name}: {p}" for p in rendered.report["problems"])
        size = len(json.dumps(card, ensure_ascii=False).encode("utf-16-le"))
        if size > TEAMS_MAX_CARD:
            problems.append(f"{rendered.name}: {size} bytes, Teams takes {TEAMS_MAX_CARD}")
    assert len(shown.sent) >= 15, "the conversation sent its cards"
    assert problems == []


async def test_the_fifth_question_shows_every_answer_whole(
    phone: Page, shown: Conversation
) -> None:
    card = shown.named["question 5"]
    rendered = await render(phone, card, f"{shown.locale} question 5")
    title = "Vraag 5 van 7" if shown.locale == "nl-NL" else "Question 5 of 7"
    assert rendered.texts[0]["text"] == title
    answers = [c["label"] for c in rendered.choices]
    assert len(answers) == 5 and WORDS[shown.locale].invoice in answers
    assert [c for c in rendered.choices if c["cut"]] == []
    # Answers sit one under the other, not side by side in one row.
    assert len({round(c["left"]) for c in rendered.choices}) == 1
    assert len({round(c["top"]) for c in rendered.choices}) == 5
    buttons = [b["label"] for b in rendered.buttons]
    assert buttons == ["OK", WORDS[shown.locale].dont_know]
    assert rendered.cut() == [] and rendered.report["problems"] == []


async def test_the_chooser_lists_the_plans_whole(phone: Page, shown: Conversation) -> None:
    rendered = await render(phone, shown.named["chooser"], f"{shown.locale} chooser")
    plans = [c["label"] for c in rendered.choices]
    assert len(plans) >= 2 and all(len(p) > 20 for p in plans), plans  # whole plan titles
    assert rendered.cut() == [] and rendered.report["problems"] == []


async def test_the_checklist_opens_every_step_by_its_whole_name(
    phone: Page, shown: Conversation
) -> None:
    rendered = await render(phone, shown.named["checklist"], f"{shown.locale} checklist")
    labels = [item["label"] for item in rendered.buttons + rendered.choices]
    steps = [label for label in labels if label.startswith("▶ ")]
    assert len(steps) == 7, labels
    assert max(len(s) for s in steps) > 45  # the long titles are there, in full
    assert rendered.cut() == [] and rendered.report["problems"] == []


@pytest.mark.parametrize("name", ["bank step", "steps", "escalation", "offer", "checklist"])
async def test_titles_stand_out(phone: Page, shown: Conversation, name: str) -> None:
    rendered = await render(phone, shown.named[name], f"{shown.locale} {name} title")
    title, *rest = rendered.texts
    body = [t for t in rest if t["weight"] <= 400]
    assert body, "the card has ordinary text under its title"
    assert title["weight"] > max(t["weight"] for t in body)
    assert title["size"] > max(t["size"] for t in body)
    assert len(title["text"]) <= 80, "a title, not a paragraph in large type"


async def test_the_bank_step_buttons_fit_in_rows(phone: Page, shown: Conversation) -> None:
    rendered = await render(phone, shown.named["bank step"], f"{shown.locale} bank buttons")
    rows = {round(b["top"]) for b in rendered.buttons}
    assert len(rendered.buttons) == 6 and len(rows) >= 2, "not six buttons in one row"
    assert rendered.buttons[-1]["label"].startswith("📋 "), "the text ready to send, whole"
    assert rendered.cut() == [] and rendered.report["overflowMenu"] == 0


async def test_the_recall_cards_show_every_status_whole(phone: Page, shown: Conversation) -> None:
    """Seven statuses after the bank step, fewer at a check-in: each one readable whole."""
    for name, least in (("recall", 7), ("recall check-in", 4)):
        rendered = await render(phone, shown.named[name], f"{shown.locale} {name}")
        statuses = [*rendered.buttons, *rendered.choices]
        assert len(statuses) >= least, name
        assert rendered.cut() == [] and rendered.report["problems"] == []


async def test_an_escalation_has_a_short_alarming_title(phone: Page, shown: Conversation) -> None:
    for name in ("escalation", "escalation to the incident chat"):
        rendered = await render(phone, shown.named[name], f"{shown.locale} {name}")
        title = rendered.texts[0]
        assert title["text"].startswith("🚨") and len(title["text"]) <= 60, title["text"]
        assert title["weight"] >= 600
        step = "Bel je bank" if shown.locale == "nl-NL" else "Call your bank"
        assert step in title["text"]
        # The whole message is still there, under the title.
        assert any("10:15" in t["text"] for t in rendered.texts[1:])
        assert rendered.cut() == []


def every_plans_cards(lang: Lang) -> list[tuple[str, dict[str, Any]]]:
    """Each plan's fact questions, step cards and full checklist, as bot/cards.py builds
    them from the playbooks and the Teams adapter draws them: the layout must hold for
    any plan, not only the one the conversation above went through."""
    org = load_organisations(Path(ORG)).default
    drawn: list[tuple[str, dict[str, Any]]] = []
    for playbook in load_playbooks(ROOT / "playbooks").values():
        incident = Incident(
            id="NR-ABC123",
            tenant_id="acme",
            org_id="acme",
            playbook_id=playbook.id,
            lang=lang,
            status=IncidentStatus.OPEN,
            reported_at=START,
            reported_by="teams:acme:jan",
            reporter_name="Jan Jansen",
            lead="teams:acme:jan",
            conversation={"channel": "teams", "tenant_id": "acme", "conversation_id": "c"},
        )
        steps = [
            Step(
                incident.id,
                spec.id,
                n,
                StepStatus.OPEN,
                START + spec.due,
                "teams:acme:jan",
                playbook.id,
            )
            for n, spec in enumerate(playbook.steps)
        ]
        total = len(playbook.facts)
        for n, fact in enumerate(playbook.facts, start=1):
            reply = fact_question(fact, incident=incident, lang=lang, number=n, total=total)
            drawn.append((f"{lang} {playbook.id} fact {fact.id}", teams_cards.card(reply)))
        for spec, step in zip(playbook.steps, steps, strict=True):
            reply = step_card(
                spec,
                step,
                incident=incident,
                playbook=playbook,
                org=org,
                now=START,
                lang=lang,
                facts={},
                owner_name="Jan Jansen",
            )
            drawn.append((f"{lang} {playbook.id} step {spec.id}", teams_cards.card(reply)))
        reply = checklist(
            incident=incident,
            playbook=playbook,
            steps=steps,
            facts={},
            org=org,
            now=START,
            lang=lang,
        )
        drawn.append((f"{lang} {playbook.id} checklist", teams_cards.card(reply)))
        # Late in the incident: one step left, the one with the longest name.
        last = max(playbook.steps, key=lambda spec: len(spec.title.get(lang))).id
        for step in steps:
            step.status = StepStatus.OPEN if step.step_id == last else StepStatus.DONE
        reply = checklist(
            incident=incident,
            playbook=playbook,
            steps=steps,
            facts={},
            org=org,
            now=START,
            lang=lang,
        )
        drawn.append((f"{lang} {playbook.id} checklist one left", teams_cards.card(reply)))
    return drawn


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_every_plans_questions_steps_and_checklist_fit_a_phone(
    phone: Page, lang: Lang
) -> None:
    drawn = every_plans_cards(lang)
    problems: list[str] = []
    for name, card in drawn:
        rendered = await render(phone, card, name)
        problems.extend(rendered.cut())
        problems.extend(f"{name}: {p}" for p in rendered.report["problems"])
    assert len(drawn) > 60, "every plan's cards were drawn"
    assert problems == []
