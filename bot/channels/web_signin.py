"""Signing in to the web chat: one-time links by e-mail, server-side sessions, logout.

A person asks for a link with their address. When an organisation admits it
(``sign_in.email_domains`` / ``emails`` in the organisation config), a random token is
mailed as a link that works once, for ``LINK_LIFETIME``; the store keeps only its hash.
The answer is the same whether or not the address is known, and the mail goes out after
the answer, so neither the text nor the time tells. Opening the link shows a button: a
mail scanner that fetches the link does not use it up; pressing the button does, and sets
the session cookie. OpenID Connect (``web_oidc``) ends in the same ``start_session``.

Sessions are rows in the store, the cookie a random token whose hash is the key: logout
and expiry then hold on every replica at once, which a signed cookie cannot promise (it
stays valid until it expires, whatever the person did).

Everything here reads the organisations in use at the time of the request (``Current``):
``app.py org import`` changes them while the process runs, so whether the web chat signs
people in at all (``mode``), which buttons the page shows, who may get a link and whose
session still counts follow a change within the refresh period, without a restart. The
routes are therefore always installed; with no organisation that signs in they find no
one to sign in.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from bot.channels.base import StoreGetter
from bot.channels.untrusted import Malformed, NotJson, loads
from bot.i18n import t
from bot.mail import Mailer
from bot.messages import Lang
from bot.organisation import Organisation, Organisations
from bot.organisation import SignIn as OrgSignIn
from bot.ports import Clock, PendingSignIn, SignInMethod, WebSession

log = logging.getLogger(__name__)

SESSION_COOKIE = "noodrem_session"
OIDC_CALLBACK_PATH = "/auth/oidc/callback"
LINK_LIFETIME = timedelta(minutes=15)
MAIL_LIMIT = 3  # links per address ...
MAIL_LIMIT_WINDOW = timedelta(minutes=15)  # ... in this window; more are not sent
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: then a browser posts the link's form with "Origin: null", which any
    # site can send too. same-origin still keeps the link (its token) from other sites.
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    ),
}


Current = Callable[[], Organisations]
"""The organisations in use now, asked on every request (never a copy taken at start)."""


class WebMode(StrEnum):
    """Who the web chat takes a person to be."""

    TRIAL = "trial"  # whoever the page says: loopback only, nobody signs in
    SIGN_IN = "sign_in"  # the verified identity of the session cookie, nothing else


class OidcFlow(Protocol):
    """The OpenID Connect routes (``web_oidc.OpenIdConnect``), made on their first use:
    Authlib and joserfc are imported only once someone signs in that way."""

    async def start(self, request: web.Request) -> web.StreamResponse: ...

    async def callback(self, request: web.Request) -> web.StreamResponse: ...

    async def close(self) -> None: ...


def missing_client_secrets(organisations: Organisations, env: Mapping[str, str]) -> list[str]:
    """Each OpenID Connect login whose client secret the environment lacks, as what to set:
    its button would fail for everyone."""
    return [
        f"sign_in.oidc of {org.id}: set {login.client_secret_env} to the {login.provider} "
        "client secret"
        for org in organisations
        if org.sign_in is not None
        for login in org.sign_in.oidc
        if not env.get(login.client_secret_env)
    ]


def token_hash(token: str) -> str:
    """What the store keeps of a link token, an OIDC state or a session cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


def page_lang(value: str | None) -> Lang:
    return "en" if value == "en" else "nl"


@dataclass(frozen=True, slots=True)
class PageText:
    """A small server-rendered page: a sign-in step's outcome, or the link's button."""

    title: str
    text: str
    lang: Lang
    form_token: str | None = None  # with a token: the "sign in" button that uses the link


def render_page(page: PageText, *, status: int = 200) -> web.Response:
    esc = html.escape
    form = ""
    if page.form_token is not None:
        form = (
            '<form method="post" action="/auth/link">'
            f'<input type="hidden" name="t" value="{esc(page.form_token)}">'
            f'<input type="hidden" name="lang" value="{page.lang}">'
            f'<button type="submit" class="btn primary">'
            f"{esc(t('signin_confirm_button', page.lang))}</button></form>"
        )
    body = (
        f'<!doctype html><html lang="{page.lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{esc(page.title)} – Noodrem</title><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/static/style.css"></head><body>'
        '<main class="main"><section class="gate"><div class="gate-form">'
        f"<h2>{esc(page.title)}</h2><p>{esc(page.text)}</p>{form}"
        f'<p><a href="/?lang={page.lang}">{esc(t("signin_back", page.lang))}</a></p>'
        "</div></section></main></body></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html", headers=_PAGE_HEADERS)


class SignIn:
    """The sign-in routes, the mode and the session lookup the web chat asks on every
    request, all from the organisations in use then (``organisations``).

    ``loopback``: the server listens on a loopback address only, where the trial mode (no
    sign-in) may apply. ``oidc`` makes the OpenID Connect routes on their first use.
    """

    def __init__(
        self,
        *,
        organisations: Current,
        store: StoreGetter,
        clock: Clock,
        mailer: Mailer | None,
        public_url: str,
        loopback: bool,
        oidc: Callable[[SignIn], OidcFlow] | None = None,
    ) -> None:
        self._organisations = organisations
        self._store = store
        self._clock = clock
        self._mailer = mailer
        self._public_url = public_url.rstrip("/")
        self._secure = public_url.startswith("https://")
        self._loopback = loopback
        self._make_oidc = oidc
        self._oidc: OidcFlow | None = None
        self._sending: set[asyncio.Task[None]] = set()

    @property
    def organisations(self) -> Organisations:
        """The organisations in use now: read it once per request and keep it for that one."""
        return self._organisations()

    def mode(self) -> WebMode:
        """Trial (no sign-in, the page's typed name) only while no organisation signs in
        and the server is reachable from this computer only; else sign-in, also where
        nobody could (``app.py`` refuses such a set off loopback, and this is its guard)."""
        if self._loopback and not self.organisations.sign_in_configured:
            return WebMode.TRIAL
        return WebMode.SIGN_IN

    def trial_organisation(self) -> Organisation:
        """Whose chat the trial mode is: the organisation in use first now."""
        return self.organisations.default

    def install(self, app: web.Application) -> None:
        app.router.add_post("/auth/mail", self._request_link)
        app.router.add_get("/auth/link", self._link_page)
        app.router.add_post("/auth/link", self._use_link)
        app.router.add_post("/auth/logout", self._logout)
        app.router.add_get("/auth/oidc/{org}/{provider}", self._oidc_start)
        app.router.add_get(OIDC_CALLBACK_PATH, self._oidc_callback)
        app.on_shutdown.append(self._on_shutdown)
        app.on_cleanup.append(self._close_oidc)

    def by_mail(self) -> bool:
        """Does any organisation sign people in by mail link?"""
        return any(o.sign_in is not None and o.sign_in.by_mail for o in self.organisations)

    def options(self, org_id: str | None) -> dict[str, object]:
        """How the page offers to sign in: the mail form, and the OpenID Connect buttons of
        the organisation named in the page's address (``/?org=ID``), or of the only one
        with sign-in; a provider's shared page does not list its customers."""
        organisations = self.organisations
        with_sign_in = [o for o in organisations if o.sign_in is not None]
        chosen = organisations.get(org_id) if org_id else None
        if chosen is None and len(with_sign_in) == 1:
            chosen = with_sign_in[0]
        logins = chosen.sign_in.oidc if chosen is not None and chosen.sign_in else ()
        if self._make_oidc is None:
            logins = ()
        return {
            "mail": self.by_mail() and self._mailer is not None,
            "providers": [
                {"provider": o.provider.value, "url": f"/auth/oidc/{chosen.id}/{o.provider}"}
                for o in logins
                if chosen is not None
            ],
        }

    async def session(self, request: web.Request) -> WebSession | None:
        """The signed-in person of this request, or None (no, unknown or expired cookie)."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 100:
            return None
        async with self._store().snapshot() as tx:  # a read on every request: no write lock
            session = await tx.get_web_session(token_hash(token), now=self._clock.now())
        org = self.organisations.get(session.org_id) if session is not None else None
        if session is None or org is None or org.sign_in is None:
            # An organisation removed, or its sign-in switched off, takes its sessions along.
            return None
        if not _still_admitted(org.sign_in, session):
            return None  # the address or the login was taken out of the config since
        return session

    async def start_session(
        self,
        response: web.StreamResponse,
        *,
        org: Organisation,
        email: str,
        name: str,
        method: SignInMethod,
        oid: str | None = None,
    ) -> None:
        """Store a new session for a verified person and set its cookie on ``response``."""
        assert org.sign_in is not None  # only an organisation with sign-in gets here
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        lifetime = timedelta(hours=org.sign_in.session_hours)
        session = WebSession(
            token_hash=token_hash(token),
            org_id=org.id,
            email=email,
            name=name,
            method=method,
            created_at=now,
            expires_at=now + lifetime,
            oid=oid,
        )
        async with self._store().transaction() as tx:
            await tx.add_web_session(session)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(lifetime.total_seconds()),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self._secure,
        )

    # Routes -------------------------------------------------------------------------------

    async def _request_link(self, request: web.Request) -> web.Response:
        try:
            body = loads(await request.read())
        except (NotJson, Malformed):
            body = None
        if not isinstance(body, dict):
            return _json_error(400, t("signin_bad_email", "nl"))
        lang = page_lang(body.get("locale") if isinstance(body.get("locale"), str) else None)
        raw = body.get("email")
        email = raw.strip().lower() if isinstance(raw, str) else ""
        if len(email) > MAX_EMAIL or not _EMAIL.match(email):
            return _json_error(400, t("signin_bad_email", lang))
        org = self.organisations.for_email(email)
        if org is not None and self._mailer is not None:
            await self._mail_link(org, email, lang)
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        return web.json_response(
            {"message": t("signin_mail_requested", lang, minutes=minutes)},
            status=202,
            headers={"Cache-Control": "no-store"},
        )

    async def _mail_link(self, org: Organisation, email: str, lang: Lang) -> None:
        """Record a link for this address and send it after the answer (under the limit)."""
        now = self._clock.now()
        token = secrets.token_urlsafe(32)
        async with self._store().transaction() as tx:
            recent = await tx.count_mail_sign_ins(email=email, since=now - MAIL_LIMIT_WINDOW)
            if recent >= MAIL_LIMIT:
                log.warning("sign-in link not sent: rate limit for one address reached")
                return
            await tx.add_pending_sign_in(
                PendingSignIn(
                    token_hash=token_hash(token),
                    org_id=org.id,
                    method=SignInMethod.MAIL,
                    created_at=now,
                    expires_at=now + LINK_LIFETIME,
                    email=email,
                    locale=lang,
                )
            )
        link = f"{self._public_url}/auth/link?{urlencode({'t': token, 'lang': lang})}"
        message = EmailMessage()
        message["To"] = email
        message["Subject"] = t("signin_mail_subject", lang)
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        message.set_content(t("signin_mail_body", lang, org=org.name, minutes=minutes, link=link))
        task = asyncio.create_task(self._send(message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, message: EmailMessage) -> None:
        assert self._mailer is not None
        outcome = await self._mailer.send(message)
        if not outcome.ok:  # a server's refusal may quote the address: not in the log
            log.warning("sign-in link not delivered: the mail server refused or was unreachable")

    async def _link_page(self, request: web.Request) -> web.Response:
        """The link's landing page: a button, so that fetching the link uses nothing up."""
        lang = page_lang(request.query.get("lang"))
        token = request.query.get("t", "")
        if not token or len(token) > 100:
            return _invalid_link(lang)
        return render_page(
            PageText(
                title=t("signin_confirm_title", lang),
                text=t("signin_confirm_text", lang),
                lang=lang,
                form_token=token,
            )
        )

    async def _use_link(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        lang = page_lang(str(form.get("lang", "")))
        token = str(form.get("t", ""))
        if not token or len(token) > 100 or not self._same_origin(request):
            # Another site posting a token of its own would sign this browser in as
            # someone else, whose chat the person would then use unaware.
            return _invalid_link(lang)
        async with self._store().transaction() as tx:
            pending = await tx.take_pending_sign_in(token_hash(token), now=self._clock.now())
        org = self.organisations.get(pending.org_id) if pending is not None else None
        if pending is None or pending.email is None or org is None or org.sign_in is None:
            return _invalid_link(lang)
        manager = next((m for m in org.managers if m.email == pending.email), None)
        response = see_other(f"/?lang={lang}")
        await self.start_session(
            response,
            org=org,
            email=pending.email,
            name=manager.name if manager is not None else pending.email,
            method=SignInMethod.MAIL,
        )
        return response

    def _same_origin(self, request: web.Request) -> bool:
        """A browser's form post names where it came from; it must be this server."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not sent by older browsers on same-origin posts
        netloc = urlsplit(origin).netloc  # "null" (a sandboxed or hidden origin) has none
        return netloc in (request.host, urlsplit(self._public_url).netloc)

    async def _logout(self, request: web.Request) -> web.Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token and len(token) <= 100:
            async with self._store().transaction() as tx:
                await tx.end_web_session(token_hash(token))
        response = web.json_response({"signed_out": True}, headers={"Cache-Control": "no-store"})
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def _oidc_start(self, request: web.Request) -> web.StreamResponse:
        return await self._oidc_flow().start(request)

    async def _oidc_callback(self, request: web.Request) -> web.StreamResponse:
        return await self._oidc_flow().callback(request)

    def _oidc_flow(self) -> OidcFlow:
        if self._make_oidc is None:
            raise web.HTTPNotFound()
        if self._oidc is None:
            self._oidc = self._make_oidc(self)
        return self._oidc

    async def _on_shutdown(self, app: web.Application) -> None:
        """Let links being sent go out before the process ends."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=10)

    async def _close_oidc(self, app: web.Application) -> None:
        if self._oidc is not None:
            await self._oidc.close()


def _still_admitted(sign_in: OrgSignIn, session: WebSession) -> bool:
    """Would the organisation's sign-in as configured now let this person in the way they
    came? A Microsoft sign-in is the organisation's by its login (its tenant's issuer); a
    link or a Google sign-in by the address."""
    if session.method is SignInMethod.MICROSOFT:
        return sign_in.login(SignInMethod.MICROSOFT) is not None
    if session.method is SignInMethod.GOOGLE and sign_in.login(SignInMethod.GOOGLE) is None:
        return False
    return sign_in.admits(session.email)


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _invalid_link(lang: Lang) -> web.Response:
    page = PageText(t("signin_failed_title", lang), t("signin_link_invalid", lang), lang)
    return render_page(page, status=400)


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"error": message}, status=status, headers={"Cache-Control": "no-store"}
    )
