"""Signing in with OpenID Connect, against real providers on loopback (``fake_idp``): the
whole authorization-code flow with PKCE over HTTP, real RS256 signatures, and a refusal
with a clear page for a bad signature, a wrong nonce and a wrong audience; the issuer's
discovery document and keys kept between sign-ins, and a rotated key picked up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from app import StartupError, build_app
from bot.channels.web_oidc_cache import DEFAULT_TTL
from bot.clock import ManualClock
from bot.config import Settings
from tests.harness import RunningApp, running_app
from tests.test_flow import open_incident
from tests.web.fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdp, Person, Tamper
from tests.web.test_browser import open_page
from tests.webclient import WebUser, browser_session, texts

PUBLIC_URL = "http://noodrem.acme.example"
ORG = """
organisations:
  - id: acme
    name: Bakkerij Acme B.V.
    sign_in:
      email_domains: [acme.example]
      oidc:
        - provider: microsoft
          issuer: {microsoft}
          client_id: {client_id}
          client_secret_env: ACME_MICROSOFT_SECRET
        - provider: google
          issuer: {google}
          client_id: {client_id}
          client_secret_env: ACME_GOOGLE_SECRET
    managers:
      - name: Anna de Vries
        teams: oid-anna
"""

# The organisation also admits mailed links (email_domains), which need a relay to start;
# these tests send none.
NO_MAIL_SENT = {"SMTP_HOST": "127.0.0.1", "SMTP_FROM": "noodrem@acme.example"}


@dataclass
class OidcApp:
    app: RunningApp
    microsoft: FakeIdp
    google: FakeIdp

    async def sign_in(
        self, http: aiohttp.ClientSession, provider: str = "microsoft"
    ) -> tuple[int, str]:
        """Press the button, let the provider send the browser back; the final answer."""
        start = f"{self.app.url}/auth/oidc/acme/{provider}"
        async with http.get(start, allow_redirects=False) as res:
            assert res.status == 303, await res.text()
            to_provider = res.headers["Location"]
        async with http.get(to_provider, allow_redirects=False) as res:
            assert res.status == 302, await res.text()
            back = res.headers["Location"]
        assert back.startswith(f"{PUBLIC_URL}/auth/oidc/callback?")
        return await self.callback(http, back.removeprefix(PUBLIC_URL))

    async def callback(self, http: aiohttp.ClientSession, path: str) -> tuple[int, str]:
        async with http.get(self.app.url + path, allow_redirects=False) as res:
            return res.status, await res.text()

    def advance(self, by: timedelta) -> None:
        clock = self.app.runtime.clock
        assert isinstance(clock, ManualClock)
        clock.advance(by)

    async def signed_in(self) -> bool:
        """A whole sign-in with Microsoft in a browser of its own: did it work?"""
        async with browser_session() as http:
            return (await self.sign_in(http))[0] == 303

    async def events(self, incident_id: str) -> list[tuple[str, str, str]]:
        async with self.app.runtime.require_store().transaction() as tx:
            return [(e.kind, e.actor, e.actor_name) for e in await tx.get_events(incident_id)]


@pytest.fixture
async def oidc_app(database_url: str, tmp_path: Path) -> AsyncIterator[OidcApp]:
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    microsoft, google = FakeIdp(now=clock.now), FakeIdp(now=clock.now)
    org_file = tmp_path / "organisation.yaml"
    org_file.write_text(
        ORG.format(
            microsoft=await microsoft.start(), google=await google.start(), client_id=CLIENT_ID
        ),
        encoding="utf-8",
    )
    env = {
        **NO_MAIL_SENT,
        "ORGANISATION_FILE": str(org_file),
        "PUBLIC_URL": PUBLIC_URL,
        "ACME_MICROSOFT_SECRET": CLIENT_SECRET,
        "ACME_GOOGLE_SECRET": CLIENT_SECRET,
    }
    try:
        async with running_app(database_url, clock=clock, env=env) as app:
            yield OidcApp(app, microsoft, google)
    finally:
        await microsoft.stop()
        await google.stop()


async def test_microsoft_sign_in_names_the_verified_person(oidc_app: OidcApp) -> None:
    oidc_app.microsoft.person = Person("sub-jan", "Jan@Acme.example", "Jan Jansen", oid="oid-jan")
    async with browser_session() as http:
        async with http.get(f"{oidc_app.app.url}/api/web/config") as res:
            providers = (await res.json())["sign_in"]["providers"]
        assert [p["provider"] for p in providers] == ["microsoft", "google"]

        assert (await oidc_app.sign_in(http))[0] == 303
        [token_request] = oidc_app.microsoft.token_requests
        assert token_request["client_secret"] == CLIENT_SECRET  # and the fake checked PKCE
        async with http.get(f"{oidc_app.app.url}/api/web/config") as res:
            person = (await res.json())["person"]
        assert person["name"] == "Jan Jansen" and person["email"] == "jan@acme.example"
        incident = await open_incident(WebUser(http, oidc_app.app.url, "Typed Name"))
    actors = {(actor, name) for _, actor, name in await oidc_app.events(incident)}
    assert actors == {("web:acme:jan@acme.example", "Jan Jansen")}


async def test_a_manager_is_recognised_by_her_entra_object_id(oidc_app: OidcApp) -> None:
    idp = oidc_app.microsoft
    url = oidc_app.app.url
    async with browser_session() as jan_http, browser_session() as piet_http:
        idp.person = Person("sub-jan", "jan@acme.example", "Jan", oid="oid-jan")
        await oidc_app.sign_in(jan_http)
        incident = await open_incident(WebUser(jan_http, url, "Jan"))

        idp.person = Person("sub-piet", "piet@acme.example", "Anna de Vries", oid="oid-piet")
        await oidc_app.sign_in(piet_http)
        piet_list = texts(await WebUser(piet_http, url, "Anna de Vries").say("lijst"))

    async with browser_session() as anna_http:
        idp.person = Person("sub-a", "a.devries@acme.example", "Anna", oid="oid-anna")
        await oidc_app.sign_in(anna_http)
        anna_list = texts(await WebUser(anna_http, url, "x").say("lijst"))
    assert incident not in piet_list  # her name, from the provider even, is not her
    assert incident in anna_list  # a manager sees all: her object id is in the config


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        (Tamper.SIGNATURE, "de handtekening klopt niet"),
        (Tamper.NONCE, "het hoort niet bij deze aanmelding (nonce)"),
        (Tamper.AUDIENCE, "het is niet voor Noodrem bedoeld"),
    ],
)
async def test_a_forged_or_misdirected_id_token_is_refused(
    oidc_app: OidcApp, tamper: Tamper, said: str
) -> None:
    oidc_app.microsoft.tamper = tamper
    async with browser_session() as http:
        status, page = await oidc_app.sign_in(http)
        assert status == 400
        assert "Inloggen is niet gelukt" in page and said in page
        assert "Je bent niet ingelogd" in page
        assert not [c for c in http.cookie_jar if c.key == "noodrem_session"]
        async with http.get(f"{oidc_app.app.url}/api/web/messages") as res:
            assert res.status == 401


async def test_the_issuers_documents_are_kept_and_a_rotated_key_is_fetched_once(
    oidc_app: OidcApp,
) -> None:
    idp = oidc_app.microsoft
    assert await oidc_app.signed_in()
    assert idp.fetched == ["discovery", "jwks"]
    assert await oidc_app.signed_in()
    assert idp.fetched == ["discovery", "jwks"], "the second sign-in fetched neither"

    idp.rotate()  # a new key id, the old key no longer published
    assert await oidc_app.signed_in()
    assert idp.fetched == ["discovery", "jwks", "jwks"], "the keys once more, nothing else"
    assert await oidc_app.signed_in()
    assert len(idp.fetched) == 3

    idp.tamper = Tamper.SIGNATURE  # a known key id, another key: no reason to ask again
    async with browser_session() as http:
        assert (await oidc_app.sign_in(http))[0] == 400
    assert len(idp.fetched) == 3
    idp.tamper = None

    oidc_app.advance(DEFAULT_TTL)  # the provider said nothing about caching: an hour
    assert await oidc_app.signed_in()
    assert idp.fetched[3:] == ["discovery", "jwks"]


async def test_cache_control_is_followed_and_a_failure_is_not_kept(oidc_app: OidcApp) -> None:
    idp = oidc_app.microsoft
    idp.cache_control = "public, max-age=120"
    assert await oidc_app.signed_in()
    oidc_app.advance(timedelta(seconds=119))
    assert await oidc_app.signed_in()
    assert idp.fetched == ["discovery", "jwks"]

    oidc_app.advance(timedelta(seconds=2))
    idp.cache_control = "no-store"
    assert await oidc_app.signed_in()
    assert await oidc_app.signed_in()
    # no-store: fetched whenever needed, the discovery at the start and at the callback
    assert idp.fetched == ["discovery", "jwks"] + ["discovery", "discovery", "jwks"] * 2

    idp.cache_control, idp.down = None, True
    del idp.fetched[:]
    async with aiohttp.ClientSession() as http:
        start = f"{oidc_app.app.url}/auth/oidc/acme/microsoft"
        async with http.get(start, allow_redirects=False) as res:
            assert res.status == 400 and "niet bereikbaar" in await res.text()
    idp.down = False
    assert await oidc_app.signed_in(), "the failure was not kept"
    assert await oidc_app.signed_in()
    assert idp.fetched == ["discovery", "discovery", "jwks"]


async def test_a_callback_works_once_in_the_browser_that_started_it(oidc_app: OidcApp) -> None:
    async with browser_session() as http:
        async with http.get(
            f"{oidc_app.app.url}/auth/oidc/acme/microsoft", allow_redirects=False
        ) as res:
            to_provider = res.headers["Location"]
        async with http.get(to_provider, allow_redirects=False) as res:
            back = res.headers["Location"].removeprefix(PUBLIC_URL)
        async with browser_session() as someone_else:  # sent the link by the one who started
            status, page = await oidc_app.callback(someone_else, back)
            assert status == 400 and "onbekend" in page
            async with someone_else.get(f"{oidc_app.app.url}/api/web/messages") as res:
                assert res.status == 401
        assert (await oidc_app.callback(http, back))[0] == 303
        status, page = await oidc_app.callback(http, back)
    assert status == 400 and "al gebruikt of verlopen" in page


async def test_google_needs_a_verified_address_of_the_organisation(oidc_app: OidcApp) -> None:
    async with browser_session() as http:
        oidc_app.google.person = Person("g1", "someone@gmail.example", "Someone")
        status, page = await oidc_app.sign_in(http, "google")
        assert status == 403 and "hoort niet bij een organisatie" in page

        oidc_app.google.person = Person("g2", "jan@acme.example", "Jan", email_verified=False)
        status, page = await oidc_app.sign_in(http, "google")
        assert status == 400 and "bevestigd" in page

        oidc_app.google.person = Person("g3", "jan@acme.example", "Jan")
        assert (await oidc_app.sign_in(http, "google"))[0] == 303
        async with http.get(f"{oidc_app.app.url}/api/web/messages") as res:
            assert res.status == 200


async def test_an_unknown_organisation_or_provider_is_not_found(oidc_app: OidcApp) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/auth/oidc/nobody/microsoft", "/auth/oidc/acme/facebook"):
            async with http.get(oidc_app.app.url + path, allow_redirects=False) as res:
                assert res.status == 404


def test_a_missing_client_secret_stops_the_start(tmp_path: Path) -> None:
    org_file = tmp_path / "organisation.yaml"
    issuer = "https://login.microsoftonline.com/t/v2.0"
    org_file.write_text(
        ORG.format(microsoft=issuer, google="https://accounts.google.com", client_id="c"),
        encoding="utf-8",
    )
    settings = Settings.from_env({**NO_MAIL_SENT, "ORGANISATION_FILE": str(org_file)})
    with pytest.raises(StartupError, match="set ACME_MICROSOFT_SECRET"):
        build_app(settings)


@pytest.mark.browser
async def test_the_page_offers_the_organisations_providers(
    browser: Browser, oidc_app: OidcApp
) -> None:
    errors: list[str] = []
    page = await open_page(browser, f"{oidc_app.app.url}/?org=acme", errors=errors)
    microsoft = page.get_by_role("link", name="Inloggen met Microsoft")
    await expect(microsoft).to_have_attribute("href", "/auth/oidc/acme/microsoft")
    await expect(page.get_by_role("link", name="Inloggen met Google")).to_be_visible()
    await expect(page.get_by_label("E-mailadres")).to_be_visible()
    assert errors == []
