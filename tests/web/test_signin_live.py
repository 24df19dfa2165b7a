"""The web chat's sign-in follows the organisations in use, not those of the start: an
``app.py org import`` on a running app turns sign-in on (the trial mode off), lets a new
customer's people sign in by mailed link, shows a new provider's button and signs in with
it, and moves a login to another issuer, all without a restart. Real app, real SMTP on
loopback, real OpenID Connect providers on loopback (``fake_idp``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from app import build_app
from bot import organisation_cli
from bot.clock import ManualClock
from bot.config import Settings
from tests.harness import RunningApp, running_app
from tests.smtp import Inbox, smtp_server
from tests.test_flow import open_incident
from tests.web.fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdp, Person
from tests.web.test_browser import open_page
from tests.web.test_oidc import OidcApp
from tests.web.test_signin import PUBLIC_URL, SignInApp, mail_env
from tests.webclient import WebUser, browser_session

MAIL_CUSTOMER = """
organisations:
  - id: nieuw
    name: Nieuwe Klant B.V.
    sign_in:
      email_domains: [nieuw.example]
    managers:
      - name: Nina Nieuw
        email: nina@nieuw.example
"""

OIDC_CUSTOMER = """
organisations:
  - id: acme
    name: Bakkerij Acme B.V.
    sign_in:
      email_domains: [acme.example]
      oidc:
{logins}
"""
LOGIN = """        - provider: {provider}
          issuer: {issuer}
          client_id: {client_id}
          client_secret_env: {secret_env}
"""


@dataclass
class Live:
    app: RunningApp
    inbox: Inbox
    clock: ManualClock
    tmp_path: Path

    async def import_file(self, text: str, name: str = "organisation.yaml") -> None:
        """``app.py org import`` against the running app's database; returns once the app
        has the new version in use (its refresh period is 50 ms here)."""
        path = self.tmp_path / name
        path.write_text(text, encoding="utf-8")
        store = self.app.runtime.require_store()
        code = await organisation_cli.import_command(
            store, path, now=self.clock.now(), refresh_seconds=0.05
        )
        assert code == 0
        async with store.snapshot() as tx:
            version = await tx.organisations_version()
        refresh = self.app.runtime.organisation_refresh
        assert refresh is not None
        await asyncio.wait_for(refresh.wait_for(version), timeout=10)

    async def config(self, http: aiohttp.ClientSession, query: str = "") -> dict[str, Any]:
        async with http.get(f"{self.app.url}/api/web/config{query}") as res:
            assert res.status == 200
            answer: dict[str, Any] = await res.json()
            return answer


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as running:
        yield running


def live_env(**extra: str) -> dict[str, str]:
    return {"PUBLIC_URL": PUBLIC_URL, "ORGANISATION_REFRESH_SECONDS": "0.05", **extra}


@pytest.fixture
async def live(database_url: str, tmp_path: Path, smtp: tuple[Inbox, int]) -> AsyncIterator[Live]:
    """A running app on loopback that started with no organisation file: the built-in
    organisation, the trial mode."""
    inbox, port = smtp
    inbox.received.clear()
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    async with running_app(database_url, clock=clock, env=live_env(**mail_env(port))) as app:
        yield Live(app, inbox, clock, tmp_path)


async def test_an_imported_customer_signs_in_by_mail_and_the_trial_mode_ends(
    live: Live,
) -> None:
    async with browser_session() as http:
        assert (await live.config(http))["mode"] == "trial"

        await live.import_file(MAIL_CUSTOMER)

        config = await live.config(http)
        assert config["mode"] == "sign_in" and config["sign_in"]["mail"] is True
        assert config["person"] is None
        # The page's own id and typed name no longer count: sign in first.
        typed = {"user_id": "u1", "user_name": "Nina Nieuw", "client_id": "c1", "text": "hoi"}
        async with http.post(f"{live.app.url}/api/web/messages", json=typed) as res:
            assert res.status == 401 and (await res.json())["sign_in"] is True

        await SignInApp(live.app, live.inbox, live.clock).sign_in(http, "nina@nieuw.example")
        config = await live.config(http)
        assert config["person"]["organisation"] == "Nieuwe Klant B.V."
        incident = await open_incident(WebUser(http, live.app.url, "ignored"))
    async with live.app.runtime.require_store().snapshot() as tx:
        events = await tx.get_events(incident)
        opened = await tx.get_incident(incident)
    assert events[0].actor == "web:nieuw:nina@nieuw.example"
    assert opened is not None and opened.tenant_id == "nieuw"

    # Her address taken out of the organisation's sign-in: her session ends with it.
    async with browser_session() as http:
        await SignInApp(live.app, live.inbox, live.clock).sign_in(http, "nina@nieuw.example")
        await live.import_file(
            MAIL_CUSTOMER.replace("[nieuw.example]", "[nieuw.example]\n      emails: []")
        )
        assert (await live.config(http))["person"] is not None  # unchanged for her
        await live.import_file(
            MAIL_CUSTOMER.replace("email_domains: [nieuw.example]", "emails: [jan@nieuw.example]")
        )
        assert (await live.config(http))["person"] is None


async def test_the_trial_mode_serves_the_organisation_in_use_first(live: Live) -> None:
    await live.import_file(
        "organisations:\n  - id: proef\n    name: Proef B.V.\n    timezone: Europe/London\n"
    )
    async with browser_session() as http:
        config = await live.config(http)
        assert config["mode"] == "trial" and config["time_zone"] == "Europe/London"
        incident = await open_incident(WebUser(http, live.app.url, "Jan"))
    async with live.app.runtime.require_store().snapshot() as tx:
        opened = await tx.get_incident(incident)
    assert opened is not None and opened.tenant_id == "proef"


@pytest.fixture
async def idps() -> AsyncIterator[tuple[FakeIdp, FakeIdp, FakeIdp]]:
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    running = (FakeIdp(now=clock.now), FakeIdp(now=clock.now), FakeIdp(now=clock.now))
    try:
        for idp in running:
            await idp.start()
        yield running
    finally:
        for idp in running:
            await idp.stop()


def oidc_customer(*logins: tuple[str, FakeIdp, str]) -> str:
    return OIDC_CUSTOMER.format(
        logins="".join(
            LOGIN.format(
                provider=provider, issuer=idp.issuer, client_id=CLIENT_ID, secret_env=secret_env
            )
            for provider, idp, secret_env in logins
        )
    )


async def test_a_new_or_changed_provider_signs_in_without_a_restart(
    database_url: str,
    tmp_path: Path,
    smtp: tuple[Inbox, int],
    idps: tuple[FakeIdp, FakeIdp, FakeIdp],
) -> None:
    microsoft, moved, google = idps
    inbox, port = smtp
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    env = live_env(
        **mail_env(port),
        ACME_MICROSOFT_SECRET=CLIENT_SECRET,
        ACME_ENTRA_SECRET=CLIENT_SECRET,
        ACME_GOOGLE_SECRET=CLIENT_SECRET,
    )
    # The clock the app and the providers share: the id tokens' times are the app's.
    for idp in idps:
        idp.now = clock.now
    async with running_app(database_url, clock=clock, env=env) as app:
        live = Live(app, inbox, clock, tmp_path)
        oidc = OidcApp(app, microsoft, google)
        # Started in the trial mode, with no OpenID Connect at all.
        await live.import_file(oidc_customer(("microsoft", microsoft, "ACME_MICROSOFT_SECRET")))
        async with browser_session() as http:
            providers = (await live.config(http, "?org=acme"))["sign_in"]["providers"]
            assert [p["provider"] for p in providers] == ["microsoft"]
            microsoft.person = Person("sub-jan", "jan@acme.example", "Jan Jansen", oid="oid-1")
            assert (await oidc.sign_in(http, "microsoft"))[0] == 303
            assert (await live.config(http))["person"]["name"] == "Jan Jansen"

        # Microsoft moves to another tenant (issuer and secret variable), Google is added.
        await live.import_file(
            oidc_customer(
                ("microsoft", moved, "ACME_ENTRA_SECRET"),
                ("google", google, "ACME_GOOGLE_SECRET"),
            ),
            name="changed.yaml",
        )
        async with browser_session() as http:
            providers = (await live.config(http, "?org=acme"))["sign_in"]["providers"]
            assert [p["provider"] for p in providers] == ["microsoft", "google"]
            google.person = Person("sub-g", "greet@acme.example", "Greet", email_verified=True)
            assert (await oidc.sign_in(http, "google"))[0] == 303
            assert (await live.config(http))["person"]["name"] == "Greet"
        before = len(microsoft.token_requests)
        moved.person = Person("sub-jan", "jan@acme.example", "Jan Jansen", oid="oid-1")
        async with browser_session() as http:
            # The button now leads to the new tenant: the old one is asked nothing.
            async with http.get(
                f"{app.url}/auth/oidc/acme/microsoft", allow_redirects=False
            ) as res:
                assert res.headers["Location"].startswith(moved.issuer)
            assert (await oidc.sign_in(http, "microsoft"))[0] == 303
        assert len(microsoft.token_requests) == before and moved.token_requests


async def test_a_login_whose_secret_is_not_set_is_not_taken_into_use(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused at a change as at the start: its button would fail for everyone."""
    await live.import_file(MAIL_CUSTOMER)
    in_use = live.app.runtime.organisations.version
    path = live.tmp_path / "unset.yaml"
    path.write_text(
        OIDC_CUSTOMER.format(
            logins=LOGIN.format(
                provider="google",
                issuer="https://accounts.google.com",
                client_id="c",
                secret_env="NOODREM_TEST_UNSET_SECRET",
            )
        ),
        encoding="utf-8",
    )
    store = live.app.runtime.require_store()
    assert (
        await organisation_cli.import_command(store, path, now=live.clock.now(), refresh_seconds=1)
        == 0
    )
    refresh = live.app.runtime.organisation_refresh
    assert refresh is not None
    with caplog.at_level(logging.ERROR):
        assert await refresh.refresh() is False
    assert live.app.runtime.organisations.version == in_use
    assert "set NOODREM_TEST_UNSET_SECRET to the google client secret" in caplog.text


async def test_mail_sign_in_without_a_mail_relay_is_served_and_said_at_each_change(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without SMTP settings an organisation that signs in by mail is still served (its
    Slack, Teams, OpenID Connect; the page offers no mail form), and the log says what is
    missing, at the change as at the start."""
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    async with running_app(database_url, clock=clock, env=live_env()) as app:
        live = Live(app, Inbox(), clock, tmp_path)
        with caplog.at_level(logging.ERROR):
            await live.import_file(MAIL_CUSTOMER)
        assert [o.id for o in app.runtime.organisations] == ["nieuw"]
        [said] = [r.getMessage() for r in caplog.records if "SMTP_HOST" in r.getMessage()]
        assert "sign_in by e-mail (email_domains, emails) of nieuw needs SMTP_HOST" in said
        async with browser_session() as http:
            config = await live.config(http)
            assert config["mode"] == "sign_in" and config["sign_in"]["mail"] is False

    org_file = tmp_path / "organisation.yaml"
    settings = Settings.from_env({"ORGANISATION_FILE": str(org_file)})
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        build_app(settings)  # starts: the same problem is an error in the log, not a stop
    assert "of nieuw needs SMTP_HOST and SMTP_FROM" in caplog.text


async def test_the_session_is_read_without_the_write_lock(live: Live) -> None:
    """Every request of a signed-in page looks its session up: a read, which must not wait
    for a turn writing meanwhile (SQLite has one writer)."""
    await live.import_file(MAIL_CUSTOMER)
    async with browser_session() as http:
        await SignInApp(live.app, live.inbox, live.clock).sign_in(http, "nina@nieuw.example")
        async with live.app.runtime.require_store().transaction() as tx:
            await tx.organisations_version()  # a writer holds the store meanwhile
            config = await asyncio.wait_for(live.config(http), timeout=3)
        assert config["person"]["email"] == "nina@nieuw.example"


@pytest.mark.browser
async def test_an_open_trial_page_asks_to_sign_in_once_sign_in_is_on(
    browser: Browser, live: Live
) -> None:
    errors: list[str] = []
    page = await open_page(browser, live.app.url, errors=errors)
    await expect(page.get_by_role("note")).to_be_visible()  # the trial-mode notice
    await page.get_by_label("Wat is je naam?").fill("Nina")
    await page.get_by_role("button", name="Verder").click()
    message = page.get_by_role("textbox", name="Bericht")
    await expect(message).to_be_visible()

    await live.import_file(MAIL_CUSTOMER)
    try:  # the next request after the import is refused (401), be it this message ...
        await message.fill("hallo", timeout=3_000)
        await message.press("Enter", timeout=3_000)
    except PlaywrightTimeout:
        pass  # ... or the page's own poll, which may come first and take the textbox away
    # The page reads the ways to sign in again: the mail form, no trial notice.
    await expect(page.get_by_label("E-mailadres")).to_be_visible()
    await expect(page.get_by_role("note")).to_be_hidden()
    assert not [e for e in errors if "401" not in e], errors
