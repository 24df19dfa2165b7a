"""A person in the web chat, driven over the page's real HTTP interface."""

from __future__ import annotations

import re
import uuid
from typing import Any

import aiohttp


class WebUser:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        name: str,
        *,
        locale: str = "nl",
        user_id: str | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url
        self.name = name
        self.locale = locale
        self.user_id = user_id or str(uuid.uuid4())
        self.history: list[dict[str, Any]] = []
        self._last_id = 0

    async def say(self, text: str, *, client_id: str | None = None) -> list[dict[str, Any]]:
        return await self._post({"text": text}, client_id=client_id)

    async def press(
        self, label: str, *, form: dict[str, str] | None = None, client_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Press the newest button whose label starts with ``label``."""
        return await self._post(
            {"action": self.button(label), "form": form or {}}, client_id=client_id
        )

    async def press_on(self, title: str, label: str) -> list[dict[str, Any]]:
        """Press the button ``label`` on the newest message titled ``title`` (one of
        several cards that carry the same buttons)."""
        for message in reversed(self.history):
            if message.get("title") == title:
                for button in message.get("buttons", []):
                    if button["label"] == label:
                        return await self._post({"action": button["action"], "form": {}})
        raise AssertionError(f"no message {title!r} with a button {label!r}")

    async def submit(self, value: str) -> list[dict[str, Any]]:
        """Fill in and submit the newest input field."""
        for message in reversed(self.history):
            if message.get("inputs"):
                field = message["inputs"][-1]
                return await self._post(
                    {"action": field["submit"], "form": {field["field_id"]: value}}
                )
        raise AssertionError("no input field in the conversation")

    def button(self, label: str) -> str:
        for message in reversed(self.history):
            for button in message.get("buttons", []):
                if button["label"].startswith(label):
                    return str(button["action"])
        labels = [b["label"] for m in self.history for b in m.get("buttons", [])]
        raise AssertionError(f"no button {label!r}; buttons seen: {labels}")

    async def inbox(self, *, wait: float = 0) -> list[dict[str, Any]]:
        """Messages that arrived since the last look (reminders, say)."""
        async with self.http.get(
            f"{self.base_url}/api/web/messages",
            params={
                "user_id": self.user_id,
                "after": str(self._last_id),
                "wait": str(wait),
            },
        ) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        messages = body["messages"]
        self.history.extend(messages)
        self._last_id = body["last_id"]
        return [m for m in messages if m["kind"] != "user"]

    async def _post(
        self, body: dict[str, Any], *, client_id: str | None = None
    ) -> list[dict[str, Any]]:
        payload = {
            "user_id": self.user_id,
            "user_name": self.name,
            "locale": self.locale,
            "client_id": client_id or str(uuid.uuid4()),
            **body,
        }
        async with self.http.post(f"{self.base_url}/api/web/messages", json=payload) as response:
            assert response.status == 200, await response.text()
        return await self.inbox()


def texts(messages: list[dict[str, Any]]) -> str:
    """Everything the bot said, as one string to search in."""
    parts = []
    for m in messages:
        parts.extend([m.get("title") or "", m.get("text") or ""])
        parts.extend(f"{f['label']}: {f['value']}" for f in m.get("fields", []))
    return "\n".join(parts)


def browser_session() -> aiohttp.ClientSession:
    """An HTTP client that keeps cookies like a browser, also for a 127.0.0.1 server."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def request_link(http: aiohttp.ClientSession, base_url: str, email: str) -> dict[str, Any]:
    async with http.post(f"{base_url}/auth/mail", json={"email": email}) as response:
        assert response.status == 202, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def use_link(http: aiohttp.ClientSession, base_url: str, link: str) -> aiohttp.ClientResponse:
    """Open a mailed link as the person does: its page, then its button (a POST)."""
    _, _, path = link.partition("/auth/link")
    async with http.get(f"{base_url}/auth/link{path}") as page:
        assert page.status == 200, await page.text()
        html = await page.text()
    token = re.search(r'name="t" value="([^"]+)"', html)
    assert token is not None, html
    async with http.post(
        f"{base_url}/auth/link", data={"t": token.group(1), "lang": "nl"}, allow_redirects=False
    ) as response:
        await response.read()
        return response
