"""Signing in to the web chat with OpenID Connect (Microsoft Entra ID, Google).

The authorization-code flow with PKCE (S256), ``state`` and ``nonce``, against the issuer
an organisation configured (``sign_in.oidc``). Authlib makes the random values and the PKCE
challenge, joserfc (Authlib's JOSE library) checks the id token: its RS256 signature against
the issuer's published keys, and its issuer, audience (our client id), nonce and expiry.
The discovery document and the keys are kept per issuer for as long as the provider's
``Cache-Control`` allows (``web_oidc_cache``); an id token signed with a key id the kept
keys do not have fetches them anew once, so a rotated key is used at once.

``state`` is stored as a hash in the same single-use table as mailed links, with the nonce
and the PKCE verifier: the callback may reach any replica, and a replayed callback finds
nothing. A refused answer shows a page that says why; nobody is signed in.

Each request reads the login from the organisations in use then (``SignIn.organisations``),
so a login added or changed with ``app.py org import`` works without a restart; its client
(the login with its secret from the environment) is made on first use and made anew when
the login changed (``_client``).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from bot.channels import web_oidc_cache
from bot.channels.base import StoreGetter
from bot.channels.web_signin import (
    OIDC_CALLBACK_PATH,
    PageText,
    SignIn,
    page_lang,
    render_page,
    see_other,
    token_hash,
)
from bot.errors import Refused
from bot.i18n import t
from bot.messages import Lang
from bot.organisation import OidcLogin, Organisation
from bot.ports import Clock, PendingSignIn, SignInMethod

log = logging.getLogger(__name__)

LOGIN_LIFETIME = timedelta(minutes=10)  # from the button to the callback
STATE_COOKIE = "noodrem_oidc_state"
SCOPES = "openid email profile"
_TIMEOUT = aiohttp.ClientTimeout(total=15)
_NAMES: dict[SignInMethod | None, str] = {
    SignInMethod.MICROSOFT: "Microsoft",
    SignInMethod.GOOGLE: "Google",
    None: "OpenID Connect",  # the login is unknown: so is whose it was
}


class Refusal(StrEnum):
    """Why an OpenID Connect answer was not accepted; each has its text in ``bot.i18n``."""

    STATE = "state"  # unknown, used or expired login
    PROVIDER = "provider"  # the provider said no, or could not be reached
    SIGNATURE = "signature"
    ISSUER = "issuer"
    AUDIENCE = "audience"
    NONCE = "nonce"
    EXPIRED = "expired"
    TOKEN = "token"  # anything else wrong with the id token
    EMAIL = "email"  # no (verified) address in it


_CLAIM_REFUSALS = {"iss": Refusal.ISSUER, "aud": Refusal.AUDIENCE, "nonce": Refusal.NONCE}


class _Refused(Refused):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class _Client:
    """One organisation's app registration at one provider, as this process uses it."""

    login: OidcLogin
    secret: str


class OpenIdConnect:
    """The ``/auth/oidc/...`` routes (``SignIn`` installs them and makes this on their
    first use); a verified person gets a session from ``SignIn``."""

    def __init__(
        self,
        *,
        sign_in: SignIn,
        store: StoreGetter,
        clock: Clock,
        public_url: str,
        env: Mapping[str, str],
    ) -> None:
        self._sign_in = sign_in
        self._store = store
        self._clock = clock
        self._redirect_uri = public_url.rstrip("/") + OIDC_CALLBACK_PATH
        self._secure = public_url.startswith("https://")
        self._env = env
        self._clients: dict[tuple[str, SignInMethod], _Client] = {}
        self._http: aiohttp.ClientSession | None = None
        self._metadata = web_oidc_cache.Kept[dict[str, Any]](clock=clock)  # by issuer
        self._key_sets = web_oidc_cache.Kept[KeySet](clock=clock)  # by jwks_uri

    def _client(self, org: Organisation | None, method: SignInMethod) -> _Client | None:
        """The organisation's client at this provider as configured now; None when it has
        none, or its secret is not in the environment (``app.py`` refuses such a config, at
        the start and at a change: this only guards)."""
        login = org.sign_in.login(method) if org is not None and org.sign_in else None
        if org is None or login is None:
            return None
        key = (org.id, method)
        kept = self._clients.get(key)
        if kept is not None and kept.login == login:
            return kept
        secret = self._env.get(login.client_secret_env, "")
        if not secret:
            log.error("sign_in.oidc of %s: %s is not set", org.id, login.client_secret_env)
            return None
        # The discovery document and keys are kept by issuer and key-set address, so a
        # changed issuer starts afresh and an unchanged one keeps what it fetched.
        self._clients[key] = _Client(login, secret)
        return self._clients[key]

    async def start(self, request: web.Request) -> web.StreamResponse:
        lang = page_lang(request.query.get("lang"))
        org = self._sign_in.organisations.get(request.match_info["org"])
        try:
            method = SignInMethod(request.match_info["provider"])
        except ValueError:
            raise web.HTTPNotFound() from None
        client = self._client(org, method)
        if org is None or client is None:
            raise web.HTTPNotFound()
        login = client.login
        try:
            metadata = await self._discover(login)
        except _Refused as refused:
            return _refused_page(refused.refusal, method, lang)
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        now = self._clock.now()
        async with self._store().transaction() as tx:
            await tx.add_pending_sign_in(
                PendingSignIn(
                    token_hash=token_hash(state),
                    org_id=org.id,
                    method=method,
                    created_at=now,
                    expires_at=now + LOGIN_LIFETIME,
                    nonce=nonce,
                    code_verifier=verifier,
                    locale=lang,
                )
            )
        query = {
            "response_type": "code",
            "client_id": login.client_id,
            "redirect_uri": self._redirect_uri,
            "scope": SCOPES,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        response = see_other(f"{metadata['authorization_endpoint']}?{urlencode(query)}")
        # The callback must come back to the browser that pressed the button: otherwise
        # someone could send a person their own callback and have them use their account.
        response.set_cookie(
            STATE_COOKIE,
            state,
            max_age=int(LOGIN_LIFETIME.total_seconds()),
            path="/auth/oidc",
            httponly=True,
            samesite="Lax",
            secure=self._secure,
        )
        return response

    async def callback(self, request: web.Request) -> web.StreamResponse:
        state = request.query.get("state", "")
        own = request.cookies.get(STATE_COOKIE, "")
        pending = None
        if state and len(state) <= 200 and hmac.compare_digest(state.encode(), own.encode()):
            async with self._store().transaction() as tx:
                pending = await tx.take_pending_sign_in(token_hash(state), now=self._clock.now())
        if pending is None or pending.method is SignInMethod.MAIL:
            return _refused_page(Refusal.STATE, None, page_lang(request.query.get("lang")))
        lang = page_lang(pending.locale)
        org = self._sign_in.organisations.get(pending.org_id)
        client = self._client(org, pending.method)
        code = request.query.get("code", "")
        if org is None or client is None or not code or "error" in request.query:
            return _refused_page(Refusal.PROVIDER, pending.method, lang)
        try:
            claims = await self._verified_claims(client, pending, code)
            email = _email_of(claims, pending.method)
        except _Refused as refused:
            log.warning("OpenID Connect sign-in refused: %s", refused.refusal.value)
            return _refused_page(refused.refusal, pending.method, lang)
        assert org.sign_in is not None
        # Google's issuer is everyone's: the address must be this organisation's too.
        if pending.method is SignInMethod.GOOGLE and not org.sign_in.admits(email):
            page = PageText(
                t("signin_failed_title", lang), t("signin_not_admitted", lang, email=email), lang
            )
            return render_page(page, status=403)
        oid = claims.get("oid") if pending.method is SignInMethod.MICROSOFT else None
        name = claims.get("name")
        response = see_other(f"/?lang={lang}")
        await self._sign_in.start_session(
            response,
            org=org,
            email=email,
            name=name if isinstance(name, str) and name.strip() else email,
            method=pending.method,
            oid=oid if isinstance(oid, str) and oid else None,
        )
        return response

    async def _verified_claims(
        self, client: _Client, pending: PendingSignIn, code: str
    ) -> dict[str, Any]:
        login = client.login
        if not pending.nonce or not pending.code_verifier:
            raise _Refused(Refusal.STATE)
        metadata = await self._discover(login)
        answer, _ = await self._fetch(
            "POST",
            str(metadata["token_endpoint"]),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._redirect_uri,
                "client_id": login.client_id,
                "client_secret": client.secret,
                "code_verifier": pending.code_verifier,
            },
        )
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise _Refused(Refusal.TOKEN)
        jwks_uri = str(metadata["jwks_uri"])
        try:
            try:
                token = jwt.decode(id_token, await self._keys(jwks_uri), algorithms=["RS256"])
            except InvalidKeyIdError:  # the issuer rotated its keys since they were kept
                keys = await self._keys(jwks_uri, fresh=True)
                token = jwt.decode(id_token, keys, algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                now=lambda: int(self._clock.now().timestamp()),
                leeway=60,
                iss={"essential": True, "value": login.issuer},
                aud={"essential": True, "value": login.client_id},
                nonce={"essential": True, "value": pending.nonce},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(token.claims)
        except BadSignatureError:
            raise _Refused(Refusal.SIGNATURE) from None
        except ExpiredTokenError:
            raise _Refused(Refusal.EXPIRED) from None
        except ClaimError as exc:
            raise _Refused(_CLAIM_REFUSALS.get(exc.claim, Refusal.TOKEN)) from None
        except (JoseError, ValueError):
            raise _Refused(Refusal.TOKEN) from None
        return dict(token.claims)

    async def _discover(self, login: OidcLogin) -> dict[str, Any]:
        async def load() -> tuple[dict[str, Any], timedelta | None]:
            metadata, age = await self._fetch(
                "GET", login.issuer.rstrip("/") + "/.well-known/openid-configuration"
            )
            needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if metadata.get("issuer") != login.issuer or not all(
                isinstance(metadata.get(k), str) for k in needed
            ):
                raise _Refused(Refusal.PROVIDER)
            return metadata, age

        return await self._metadata.get(login.issuer, load)

    async def _keys(self, jwks_uri: str, *, fresh: bool = False) -> KeySet:
        async def load() -> tuple[KeySet, timedelta | None]:
            body, age = await self._fetch("GET", jwks_uri)
            try:
                return KeySet.import_key_set(body), age  # type: ignore[arg-type]
            except (JoseError, KeyError, TypeError, ValueError):  # no usable key in it
                raise _Refused(Refusal.PROVIDER) from None

        return await self._key_sets.get(jwks_uri, load, fresh=fresh)

    async def _fetch(
        self, method: str, url: str, **kwargs: Any
    ) -> tuple[dict[str, Any], timedelta | None]:
        """JSON from the provider and how long it may be kept (``Cache-Control``, None when
        it does not say); anything else (refusal, timeout, not JSON) a refusal."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=_TIMEOUT)
        try:
            async with self._http.request(method, url, **kwargs) as response:
                body = await response.json(content_type=None)
                ok = response.status == 200
                age = web_oidc_cache.max_age(response.headers.get("Cache-Control"))
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise _Refused(Refusal.PROVIDER) from None
        if not ok or not isinstance(body, dict):
            raise _Refused(Refusal.PROVIDER)
        return body, age

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


def _email_of(claims: Mapping[str, object], method: SignInMethod) -> str:
    """The person's address: Google's only when it says it verified it; Entra's ``email``
    or else the sign-in name (``preferred_username``), which is the work address."""
    if method is SignInMethod.GOOGLE:
        value = claims.get("email") if claims.get("email_verified") is True else None
    else:
        value = claims.get("email") or claims.get("preferred_username")
    if not isinstance(value, str) or "@" not in value or len(value) > 254:
        raise _Refused(Refusal.EMAIL)
    return value.strip().lower()


def _refused_page(refusal: Refusal, method: SignInMethod | None, lang: Lang) -> web.Response:
    provider = _NAMES.get(method, _NAMES[None])
    text = t("signin_oidc_failed", lang, provider=provider, reason=t(f"oidc_{refusal}", lang))
    return render_page(PageText(t("signin_failed_title", lang), text, lang), status=400)
