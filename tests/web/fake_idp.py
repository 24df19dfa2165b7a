"""A small OpenID Connect provider on loopback, for the web chat's sign-in tests.

Real HTTP and real RS256 signatures: a discovery document, its JWKS, an authorize endpoint
that redirects back with a code, and a token endpoint that checks the client secret and
the PKCE verifier before it issues a signed id token. ``tamper`` makes it answer wrongly
in one way, as a broken or hostile provider would. It counts the discovery and JWKS
fetches (``fetched``), can send ``Cache-Control`` with them, fail them (``down``) and
``rotate`` its signing key, as issuers do.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "noodrem-test-client"
CLIENT_SECRET = "idp-client-secret"


class Tamper(StrEnum):
    SIGNATURE = "signature"  # signed with another key under the published key's id
    NONCE = "nonce"
    AUDIENCE = "audience"


@dataclass
class Person:
    sub: str
    email: str
    name: str
    oid: str | None = None
    email_verified: bool = True


@dataclass
class FakeIdp:
    now: Callable[[], datetime]
    person: Person = field(default_factory=lambda: Person("sub-1", "jan@acme.example", "Jan"))
    tamper: Tamper | None = None
    issuer: str = ""
    token_requests: list[dict[str, str]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)  # "discovery" / "jwks", in order
    cache_control: str | None = None  # sent with discovery and JWKS answers when set
    down: bool = False  # discovery and JWKS answer 503
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)
    _key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"})
    )
    _impostor: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"})
    )
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.issuer = f"http://{host}:{port}"
        return self.issuer

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def rotate(self) -> None:
        """Sign with a new key under a new key id, and publish only that one."""
        kid = f"k{int(str(self._key.kid).removeprefix('k')) + 1}"
        self._key = RSAKey.generate_key(2048, parameters={"kid": kid})
        self._impostor = RSAKey.generate_key(2048, parameters={"kid": kid})

    def _document(self, kind: str, body: dict[str, Any]) -> web.Response:
        self.fetched.append(kind)
        if self.down:
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        headers = {"Cache-Control": self.cache_control} if self.cache_control else None
        return web.json_response(body, headers=headers)

    async def _discovery(self, request: web.Request) -> web.Response:
        return self._document(
            "discovery",
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            },
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        return self._document("jwks", {"keys": [self._key.as_dict(private=False)]})

    async def _authorize(self, request: web.Request) -> web.Response:
        q = request.query
        wanted = {"response_type": "code", "client_id": CLIENT_ID, "code_challenge_method": "S256"}
        if any(q.get(k) != v for k, v in wanted.items()) or "openid" not in q.get("scope", ""):
            return web.json_response({"error": "invalid_request"}, status=400)
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
        }
        back = urlencode({"code": code, "state": q["state"]})
        raise web.HTTPFound(f"{q['redirect_uri']}?{back}")

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        grant = self._codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
            or create_s256_code_challenge(form.get("code_verifier", "")) != grant["challenge"]
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(self.now().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": "someone-else" if self.tamper is Tamper.AUDIENCE else CLIENT_ID,
            "sub": self.person.sub,
            "email": self.person.email,
            "email_verified": self.person.email_verified,
            "name": self.person.name,
            "nonce": "not-the-nonce" if self.tamper is Tamper.NONCE else grant["nonce"],
            "iat": now,
            "exp": now + 600,
        }
        if self.person.oid is not None:
            claims["oid"] = self.person.oid
        key = self._impostor if self.tamper is Tamper.SIGNATURE else self._key
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        return web.json_response(
            {"access_token": "unused", "token_type": "Bearer", "id_token": id_token}
        )
