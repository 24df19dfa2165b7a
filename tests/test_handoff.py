"""The hand-off to the IT provider, end to end: the web chat over HTTP, a real SMTP server
on loopback (aiosmtpd) and a real HTTP receiver on loopback that checks the signature."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from app import StartupError, build_app
from bot import signing
from bot.clock import ManualClock
from bot.config import Settings
from bot.evidence.cli import Format, render
from bot.evidence.source import read_evidence
from bot.organisation import OrganisationError, Organisations
from bot.organisation_file import load_organisations
from bot.ports import Event
from tests import test_mail
from tests.harness import ROOT, RunningApp, running_app
from tests.smtp import Inbox, free_port
from tests.webclient import WebUser, texts

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
SECRET = "webhook-geheim-van-ithelpt"
LINK_SECRET = "noodrem-link-secret"
IT_STEP = "▶ Schakel je IT-dienstverlener in"
PLAYBOOKS = ROOT / "playbooks"
smtp = test_mail.smtp  # the same aiosmtpd on loopback as the mail path's own tests


@dataclass
class Receiver:
    """The IT provider's webhook: answers 503 to the first ``fail`` requests (all of them
    with ``fail=-1``); checks every signature the way a receiver would."""

    fail: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    signed: list[bool] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Noodrem-Timestamp", "")
        expected = "sha256=" + signing.sign(SECRET.encode(), timestamp.encode() + b"." + body)
        self.signed.append(
            request.headers.get("X-Noodrem-Signature") == expected
            and abs(time.time() - int(timestamp or 0)) < 60
        )
        self.requests.append(json.loads(body))
        if self.fail < 0 or len(self.requests) <= self.fail:
            return web.Response(status=503, text="busy")
        return web.json_response({"ok": True})


@asynccontextmanager
async def receiving(receiver: Receiver, port: int) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/noodrem/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/noodrem/hook"
    finally:
        await runner.cleanup()


def _org_file(tmp_path: Path, *, email: bool, webhook: str | None, attempts: int = 5) -> Path:
    it: dict[str, Any] = {"name": "ITHelpt B.V.", "phone": "030-123 45 67"}
    if email:
        it["email"] = "support@ithelpt.example"
    if webhook:
        it["webhook_url"] = webhook
        it["webhook_secret_env"] = "ITHELPT_WEBHOOK_SECRET"
    org = {
        "id": "acme",
        "name": "Bakkerij Acme B.V.",
        "timezone": "Europe/Amsterdam",
        "managers": [{"name": "Mira Manager", "web": "Mira Manager"}],
        "contacts": {"it_provider": it},
        "handoff": {"attempts": attempts, "retry_after": ["1m", "5m", "15m", "1h"]},
    }
    path = tmp_path / "organisation.yaml"
    path.write_text(yaml.safe_dump({"organisations": [org]}), encoding="utf-8")
    return path


def _env(org: Path, smtp_port: int | None) -> dict[str, str]:
    env = {
        "ORGANISATION_FILE": str(org),
        "ITHELPT_WEBHOOK_SECRET": SECRET,
        "NOODREM_SECRET": LINK_SECRET,
    }
    if smtp_port is not None:
        env |= {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "none",
            "SMTP_FROM": "noodrem@acme.example",
        }
    return env


async def _to_it_step(jan: WebUser) -> str:
    """Open paid-fraudster with two facts known, the rest "don't know", and show the IT step."""
    await jan.say("ik denk dat we een oplichter hebben betaald")
    opened = await jan.press("Ja")
    incident_id = next(m["incident_id"] for m in opened if m.get("incident_id"))
    await jan.say("€ 12.500,00")
    await jan.say("vandaag 09:15")
    for _ in range(4):
        await jan.press("Weet ik nog niet")
    await jan.say("status")
    card = (await jan.press(IT_STEP))[-1]
    assert card["kind"] == "step", texts([card])
    return incident_id


async def _events(bot: RunningApp, incident_id: str, kind: str | None = None) -> list[Event]:
    async with bot.runtime.require_store().transaction() as tx:
        events = await tx.get_events(incident_id)
    return [e for e in events if kind is None or e.kind == kind]


def _tries(events: list[Event]) -> list[tuple[str, int, str, str | None]]:
    return [
        (e.data["via"], e.data["attempt"], e.data["outcome"], e.data["error"])
        for e in events
        if e.kind == "delivery_attempted" and e.data["purpose"] == "handoff"
    ]


async def _evidence_text(bot: RunningApp, incident_id: str, tmp: Path, lang: str = "nl") -> str:
    """The evidence PDF's text (whitespace made single), after checking the JSON has the
    hand-off's events."""
    runtime = bot.runtime
    async with runtime.require_store().snapshot() as tx:
        evidence = await read_evidence(
            tx,
            incident_id,
            organisations=Organisations(list(runtime.organisations)),
            playbooks=runtime.playbooks,
            generated_at=runtime.clock.now(),
            lang=lang,  # type: ignore[arg-type]
        )
    kinds = [e["kind"] for e in json.loads(render(evidence, Format.JSON))["events"]]
    assert {"handoff_requested", "handoff_acknowledged"} <= set(kinds)
    pdf = tmp / f"evidence-{lang}.pdf"
    pdf.write_bytes(render(evidence, Format.PDF))
    return " ".join((await asyncio.to_thread(_pdf_text, pdf)).split())


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return done.stdout


async def test_mail_and_webhook_arrive_with_the_facts_and_the_ack_is_recorded(
    database_url: str, smtp: tuple[Inbox, int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    inbox, smtp_port = smtp
    before = len(inbox.received)
    receiver = Receiver()
    clock = ManualClock(START)
    async with receiving(receiver, free_port()) as hook:
        env = _env(_org_file(tmp_path, email=True, webhook=hook), smtp_port)
        async with running_app(database_url, clock=clock, env=env) as bot:
            jan = WebUser(http, bot.url, "Jan Jansen")
            incident_id = await _to_it_step(jan)
            sent = await jan.press("Stuur naar ITHelpt B.V.")
            said = texts(sent)
            assert "Verstuurd naar ITHelpt B.V. per e-mail." in said
            assert "Verstuurd naar ITHelpt B.V. via de webhook." in said
            again = texts(await jan.press("Stuur naar ITHelpt B.V."))  # the old card's button
            assert "Dit is al aan ITHelpt B.V. overgedragen" in again

            [mail] = inbox.received[before:]
            assert mail.rcpt_tos == ["support@ithelpt.example"]
            parsed = message_from_bytes(mail.original_content, policy=policy.default)
            body = parsed.get_body().get_content()  # type: ignore[union-attr]
            assert incident_id in str(parsed["Subject"])
            assert "Bedrag: € 12.500,00" in body
            assert "IBAN van de ontvanger: nog niet bekend" in body
            assert "- [ ] Log alle sessies uit, op alle apparaten" in body
            assert "- [ ] Controleer app-toestemmingen (OAuth)" in body

            [hooked] = receiver.requests
            assert receiver.signed == [True]
            assert hooked["incident_id"] == incident_id
            assert hooked["organisation"] == {"id": "acme", "name": "Bakkerij Acme B.V."}
            assert hooked["plan"]["id"] == "paid-fraudster"
            amount = next(f for f in hooked["facts"] if f["id"] == "amount")
            assert amount["value"] == "12500.00 EUR" and amount["text"] == "€ 12.500,00"
            assert len(hooked["checklist"]) == 8

            # The signed link in the mail: a page first (a mail scanner opening it records
            # nothing), then the button.
            found = re.search(r"http://127\.0\.0\.1:3978(/handoff/ack/\S+)", body)
            assert found is not None  # PUBLIC_URL, by default HOST:PORT; here another port
            link = bot.url + found.group(1)
            async with http.get(link) as page:
                assert page.status == 200
                assert "Ontvangst bevestigen" in await page.text()
            assert await _events(bot, incident_id, "handoff_acknowledged") == []
            clock.advance(timedelta(minutes=8))
            async with http.post(link) as confirmed:
                assert confirmed.status == 200
                assert "vastgelegd" in await confirmed.text()
            async with http.post(link) as again:
                assert again.status == 200
                assert "al bevestigd" in await again.text()
            [ack] = await _events(bot, incident_id, "handoff_acknowledged")
            assert ack.at == START + timedelta(minutes=8)
            assert (ack.data["via"], ack.data["by"]) == ("mail_link", "support@ithelpt.example")

            told = texts(await jan.inbox())
            assert "ITHelpt B.V. heeft de overdracht" in told and "10:08" in told
            card = (await jan.press("Open stap"))[-1]
            handoff_field = next(f for f in card["fields"] if f["label"] == "Overdracht")
            assert (
                "Per e-mail: afgeleverd om 10:00 · ontvangst bevestigd om 10:08"
                in (handoff_field["value"])
            )
            assert not any(b["label"].startswith("Stuur naar") for b in card["buttons"])

            # The webhook's signed callback, once with a bad signature, then right.
            callback = f"{bot.url}/api/handoff/ack"
            payload = json.dumps({"handoff_id": hooked["handoff_id"], "by": "Piet (ITHelpt)"})
            stamp = str(int(time.time()))
            good = "sha256=" + signing.sign(SECRET.encode(), f"{stamp}.{payload}".encode())
            bad = "sha256=" + signing.sign(b"wrong", f"{stamp}.{payload}".encode())
            for headers, status in (
                ({}, 401),
                ({"X-Noodrem-Timestamp": stamp, "X-Noodrem-Signature": bad}, 401),
                ({"X-Noodrem-Timestamp": stamp, "X-Noodrem-Signature": good}, 200),
            ):
                async with http.post(callback, data=payload, headers=headers) as answer:
                    assert answer.status == status, await answer.text()
            acks = await _events(bot, incident_id, "handoff_acknowledged")
            assert [(a.data["via"], a.data["by"]) for a in acks] == [
                ("mail_link", "support@ithelpt.example"),
                ("webhook", "Piet (ITHelpt)"),
            ]
            file_nl = await _evidence_text(bot, incident_id, tmp_path)
            file_en = await _evidence_text(bot, incident_id, tmp_path, "en")
    assert "ITHelpt B.V. bevestigde de ontvangst van de overdracht" in file_nl
    assert "met de link in de mail, door support@ithelpt.example" in file_nl
    assert "Overdracht aan ITHelpt B.V. (support@ithelpt.example) per e-mail" in file_nl
    assert "ITHelpt B.V. confirmed receipt of the hand-off" in file_en
    assert "Hand-off to ITHelpt B.V. asked for (by e-mail, by webhook)" in file_en


async def test_bad_links_get_a_clear_4xx(
    database_url: str, smtp: tuple[Inbox, int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    inbox, smtp_port = smtp
    before = len(inbox.received)
    clock = ManualClock(START)
    env = _env(_org_file(tmp_path, email=True, webhook=None), smtp_port)
    async with running_app(database_url, clock=clock, env=env) as bot:
        jan = WebUser(http, bot.url, "Jan Jansen")
        incident_id = await _to_it_step(jan)
        await jan.press("Stuur naar ITHelpt B.V.")
        [mail] = inbox.received[before:]
        body = message_from_bytes(mail.original_content, policy=policy.default)
        text = body.get_body().get_content()  # type: ignore[union-attr]
        link = re.search(r"http://\S+(/handoff/ack/(\d+))\?expires=(\d+)&sig=(\S+)", text)
        assert link is not None
        path, handoff_id, expires, sig = link.groups()
        past = int((START - timedelta(minutes=1)).timestamp())
        past_sig = signing.sign(LINK_SECRET.encode(), f"handoff:{handoff_id}:{past}".encode())
        cases = {
            f"{path}?expires={expires}&sig={'0' * 64}": 403,
            f"{path}?expires={int(expires) + 1}&sig={sig}": 403,
            f"{path}": 403,
            "/handoff/ack/notanumber?expires=1&sig=x": 403,
            f"{path}?expires={past}&sig={past_sig}": 410,
            f"/handoff/ack/999999?expires={expires}&sig="
            + signing.sign(LINK_SECRET.encode(), f"handoff:999999:{expires}".encode()): 404,
        }
        for url, status in cases.items():
            for method in ("GET", "POST"):
                async with http.request(method, bot.url + url) as answer:
                    assert answer.status == status, (method, url, await answer.text())
                    assert "Noodrem" in await answer.text()
        callback = f"{bot.url}/api/handoff/ack"
        for data in ("not json", json.dumps({"handoff_id": "x"}), json.dumps([1])):
            async with http.post(callback, data=data) as answer:
                assert answer.status == 400
        assert await _events(bot, incident_id, "handoff_acknowledged") == []


async def test_a_failing_receiver_is_retried_with_backoff_until_it_takes_it(
    database_url: str,
    http: aiohttp.ClientSession,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # what the app logs in production (app.py)
    receiver = Receiver(fail=2)
    clock = ManualClock(START)
    async with receiving(receiver, free_port()) as hook:
        env = _env(_org_file(tmp_path, email=False, webhook=hook), None)
        async with running_app(database_url, clock=clock, env=env) as bot:
            jan = WebUser(http, bot.url, "Jan Jansen")
            incident_id = await _to_it_step(jan)
            queued = texts(await jan.press("Stuur naar ITHelpt B.V."))
            assert "Nog niet aangekomen bij ITHelpt B.V. via de webhook (Webhook: HTTP 503)" in (
                queued
            )
            assert "opnieuw om 10:01 (poging 1 van 5)" in queued
            assert bot.runtime.handoffs is not None
            assert await bot.runtime.handoffs.run_due() == 0  # not due before its wait
            clock.advance(timedelta(minutes=1))
            assert await bot.runtime.handoffs.run_due() == 1
            clock.advance(timedelta(minutes=4))
            assert await bot.runtime.handoffs.run_due() == 0  # the second wait is 5 min
            clock.advance(timedelta(minutes=1))
            assert await bot.runtime.handoffs.run_due() == 1
            events = await _events(bot, incident_id)
    assert receiver.signed == [True, True, True]
    assert [r["attempt"] for r in receiver.requests] == [1, 2, 3]
    assert _tries(events) == [
        ("webhook", 1, "failed", "Webhook: HTTP 503"),
        ("webhook", 2, "failed", "Webhook: HTTP 503"),
        ("webhook", 3, "delivered", None),
    ]
    assert not [e for e in events if e.kind == "handoff_failed"]
    assert SECRET not in caplog.text and hook not in caplog.text


async def test_when_the_tries_run_out_the_lead_is_told(
    database_url: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    receiver = Receiver(fail=-1)
    clock = ManualClock(START)
    async with receiving(receiver, free_port()) as hook:
        env = _env(_org_file(tmp_path, email=False, webhook=hook, attempts=2), None)
        async with running_app(database_url, clock=clock, env=env) as bot:
            jan = WebUser(http, bot.url, "Jan Jansen")
            incident_id = await _to_it_step(jan)
            await jan.press("Stuur naar ITHelpt B.V.")
            clock.advance(timedelta(minutes=1))
            assert bot.runtime.handoffs is not None
            assert await bot.runtime.handoffs.run_due() == 1
            told = texts(await jan.inbox())
            card = (await jan.press("Open stap"))[-1]
            events = await _events(bot, incident_id)
    assert "De overdracht aan ITHelpt B.V. via de webhook" in told
    assert "na 2 pogingen niet aangekomen (Webhook: HTTP 503)" in told
    assert _tries(events) == [
        ("webhook", 1, "failed", "Webhook: HTTP 503"),
        ("webhook", 2, "failed", "Webhook: HTTP 503"),
    ]
    [failed] = [e for e in events if e.kind == "handoff_failed"]
    assert (failed.data["attempts"], failed.data["error"]) == (2, "Webhook: HTTP 503")
    notice = next(
        e
        for e in events
        if e.kind == "delivery_attempted" and e.data["purpose"] == "handoff_notice"
    )
    assert notice.seq > failed.seq and notice.data["outcome"] == "delivered"
    field_value = next(f["value"] for f in card["fields"] if f["label"] == "Overdracht")
    assert "niet afgeleverd na 2 pogingen" in field_value
    # Given up: the person may try again, as new messages.
    assert any(b["label"] == "Stuur naar ITHelpt B.V." for b in card["buttons"])


async def test_a_pending_hand_off_is_delivered_after_a_restart(
    database_url: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens yet: the first try fails to connect
    hook = f"http://127.0.0.1:{port}/noodrem/hook"
    env = _env(_org_file(tmp_path, email=False, webhook=hook), None)
    clock = ManualClock(START)
    async with running_app(database_url, clock=clock, env=env) as bot:
        jan = WebUser(http, bot.url, "Jan Jansen")
        incident_id = await _to_it_step(jan)
        queued = texts(await jan.press("Stuur naar ITHelpt B.V."))
        assert "(Webhook: ClientConnectorError)" in queued and "poging 1 van 5" in queued
    receiver = Receiver()
    clock.advance(timedelta(minutes=2))
    async with receiving(receiver, port), running_app(database_url, clock=clock, env=env) as bot:
        assert bot.runtime.handoffs is not None
        assert await bot.runtime.handoffs.run_due() == 1
        events = await _events(bot, incident_id)
    assert receiver.signed == [True]
    assert _tries(events) == [
        ("webhook", 1, "failed", "Webhook: ClientConnectorError"),
        ("webhook", 2, "delivered", None),
    ]


async def test_without_a_way_to_reach_them_the_card_says_how_to_set_it_up(
    database_url: str, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """An e-mail address but no SMTP_HOST, and no webhook: no button that cannot work."""
    env = _env(_org_file(tmp_path, email=True, webhook=None), None)
    async with running_app(database_url, clock=ManualClock(START), env=env) as bot:
        jan = WebUser(http, bot.url, "Jan Jansen")
        incident_id = await _to_it_step(jan)
        card = jan.history[-1]
        events = await _events(bot, incident_id)
    field_value = next(f["value"] for f in card["fields"] if f["label"] == "Overdracht")
    assert "ITHelpt B.V. kan nog niet vanuit Noodrem worden ingeschakeld" in field_value
    assert "SMTP_HOST" in field_value
    assert not any(b["label"].startswith("Stuur naar") for b in card["buttons"])
    assert not [e for e in events if e.kind.startswith("handoff")]


def test_a_webhook_whose_secret_is_not_set_stops_the_start(tmp_path: Path) -> None:
    org = _org_file(tmp_path, email=False, webhook="https://it.example/hook")
    env = _env(org, None)
    del env["ITHELPT_WEBHOOK_SECRET"]
    settings = Settings.from_env(
        {**env, "DATABASE_URL": "sqlite+aiosqlite:///:memory:", "PLAYBOOKS_DIR": str(PLAYBOOKS)}
    )
    with pytest.raises(StartupError, match="webhook_secret_env ITHELPT_WEBHOOK_SECRET"):
        build_app(settings, start_scheduler=False)


def test_a_webhook_needs_the_name_of_its_secret(tmp_path: Path) -> None:
    path = tmp_path / "organisation.yaml"
    path.write_text(
        "organisations:\n  - id: acme\n    name: Acme\n    contacts:\n      it_provider:\n"
        "        name: ITHelpt\n        webhook_url: https://it.example/hook\n",
        encoding="utf-8",
    )
    with pytest.raises(OrganisationError, match="webhook_url needs webhook_secret_env"):
        load_organisations(path)


async def test_the_hacked_mailbox_plan_hands_over_in_english(
    database_url: str, smtp: tuple[Inbox, int], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    inbox, smtp_port = smtp
    before = len(inbox.received)
    env = _env(_org_file(tmp_path, email=True, webhook=None), smtp_port)
    async with running_app(database_url, clock=ManualClock(START), env=env) as bot:
        ann = WebUser(http, bot.url, "Ann Smith", locale="en")
        await ann.say("someone is in my mailbox")
        opened = await ann.press("Yes")
        incident_id = next(m["incident_id"] for m in opened if m.get("incident_id"))
        await ann.say("purchasing@acme.example")
        await ann.press("Yes")
        await ann.say("status")
        card = (await ann.press("▶ Have IT throw the attacker out"))[-1]
        assert any(b["label"] == "Send to ITHelpt B.V." for b in card["buttons"])
        sent = texts(await ann.press("Send to ITHelpt B.V."))
        [requested] = await _events(bot, incident_id, "handoff_requested")
    assert "Sent to ITHelpt B.V. by e-mail." in sent
    [mail] = inbox.received[before:]
    parsed = message_from_bytes(mail.original_content, policy=policy.default)
    body = parsed.get_body().get_content()  # type: ignore[union-attr]
    assert (
        str(parsed["Subject"]).strip().startswith("Noodrem: Bakkerij Acme B.V. asks for your help")
    )
    assert "purchasing@acme.example" in body
    for item in ("Sign out all sessions", "Reset the password and MFA", "forwarding and inbox",
                 "sign-ins", "app consents", "audit log"):  # fmt: skip
        assert item in body
    assert (requested.data["step"], requested.data["via"]) == ("it-lockout", ["mail"])
