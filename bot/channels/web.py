"""Web chat channel: a thin translator between HTTP JSON and the neutral message types.

The page (``web_static/``) never draws a reply from a POST answer. Every message, the
person's own included, is written to that person's outbox in the store, and the page draws
only what it long-polls from there. Replies, reminders and the history after a reload
therefore share one render path, and nothing but the wake-up of waiting pollers lives in
process memory. A waiting poll reads the database when something was written to its
mailbox: this process's own writes wake it at once, another replica's through the
store's ``listen_outbox`` (PostgreSQL NOTIFY); where the store cannot tell (SQLite) or
while its listener is down, the poll also reads again every ``RECHECK_SECONDS``.

A message's answer is written in the engine's own transaction (``_TurnReplies``), so no
process can die between handling a message and storing its answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.channels.base import Handler, StoreGetter
from bot.channels.untrusted import Malformed, NotJson, check_text, loads
from bot.channels.web_signin import SignIn, WebMode
from bot.errors import InputError, SignInNeeded, outcome
from bot.messages import (
    Action,
    Address,
    Attachment,
    Button,
    Channel,
    Field,
    Inbound,
    InputRequest,
    Outbound,
    Reply,
    ShowPlans,
    VerifiedIdentity,
    decode_action,
    encode_action,
    user_key,
)
from bot.ports import Clock, Delivery, OutboxListening, OutboxMessage, Transaction

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("web_static")
_STATIC_FILES = frozenset({"app.js", "style.css"})
_STATIC_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}
_API_HEADERS = {"Cache-Control": "no-store"}

MAX_TEXT = 20_000
MAX_USER_NAME = 80
MAX_ID = 200
MAX_WAIT_SECONDS = 25.0
RECHECK_SECONDS = 5.0  # without word of other processes' writes: how often to look anyway
PAGE_LIMIT = 200
HANDLER_FAILED = "Noodrem could not handle that message; nothing was lost, please try again."
READ_FAILED = "Noodrem could not read your messages just now; retrying."
TOO_LONG = f"message too long (max {MAX_TEXT:,} characters)"
LOCALES = ("nl", "en")
MAX_ROW_ID = 2**63 - 1  # outbox ids are BIGINT: a larger ``after`` fails in the database
HISTORY_CLAIM = "web-history"  # de-duplication key space for "this message is in the history"
TOO_LARGE = "bericht te groot / request body too large"
SIGN_IN_NEEDED = "log eerst in / please sign in first"


class _BadRequest(InputError):
    """Input the page can fix; the message is shown to the person as is, so keep it plain."""


@dataclass(frozen=True, slots=True)
class _Visitor:
    """The person a request is from, and the organisation whose chat it is."""

    tenant_id: str
    user_id: str
    user_name: str
    identity: VerifiedIdentity | None = None


class _SignInNeeded(SignInNeeded):
    """Sign-in mode and no valid session: the page shows the sign-in form."""


@dataclass(frozen=True, slots=True)
class _Posted:
    """A validated POST body."""

    client_id: str
    locale: str | None
    shown: str  # what the history shows as the person's own message
    text: str | None = None
    action: Action | None = None
    form: dict[str, str] = field(default_factory=dict)


def reply_to_json(reply: Reply, *, at: datetime, link: str | None = None) -> dict[str, Any]:
    """The one JSON rendering of a ``Reply``: what the outbox stores and the page draws.

    The outbox row id is not part of it: the store assigns that on insert, and the poll
    answer adds it as ``id`` next to the payload.
    """
    return {
        "kind": reply.kind.value,
        "title": reply.title,
        "text": reply.text,
        "fields": [_shallow(f, _FIELD) for f in reply.fields],
        "buttons": [
            {**_shallow(b, _BUTTON), "action": encode_action(b.action)} for b in reply.buttons
        ],
        "inputs": [
            {**_shallow(i, _INPUT), "submit": encode_action(i.submit)} for i in reply.inputs
        ],
        "incident_id": reply.incident_id,
        "card_key": reply.card_key,
        "late": reply.late,
        "attachment": (
            {"filename": reply.attachment.filename, "url": link}
            if reply.attachment is not None and link is not None
            else None
        ),
        "at": at.isoformat(),
    }


_FIELD = tuple(f.name for f in fields(Field))
_BUTTON = tuple(f.name for f in fields(Button))
_INPUT = tuple(f.name for f in fields(InputRequest))


def _shallow(part: Field | Button | InputRequest, names: tuple[str, ...]) -> dict[str, Any]:
    """``asdict`` without its deep copy, which cost a checklist card's rendering more than
    the rest of it: the values are strings, flags and enum members, immutable all, and the
    one nested dataclass (an action) is replaced by its encoding."""
    return {name: getattr(part, name) for name in names}


async def _put(
    tx: Transaction,
    mailbox: str,
    payloads: Sequence[dict[str, Any]],
    *,
    at: datetime,
    line: dict[str, Any] | None = None,
) -> int:
    """Write ``payloads`` in order through ``tx``, after ``line`` (the person's own message)
    unless this mailbox has that line already: the page sends a message again with the
    same ``client_id`` when it got no answer, and the line, claimed in the transaction that
    writes it, is in the history exactly once whatever fails. Returns the id of the last
    row written, 0 if none.

    Pollers read "everything after id N": the store makes a mailbox's ids visible in id
    order whichever process writes (``put_outbox``), so writes need no lock here.
    """
    if line is not None:
        channel, event_id = _in_history(mailbox, line)
        claimed = await tx.claim_inbound(channel=channel, event_id=event_id, at=at)
        return await _write(tx, mailbox, payloads, at=at, line=line if claimed else None)
    return await _write(tx, mailbox, payloads, at=at)


async def _write(
    tx: Transaction,
    mailbox: str,
    payloads: Sequence[dict[str, Any]],
    *,
    at: datetime,
    line: dict[str, Any] | None = None,
) -> int:
    """``payloads`` after ``line`` (one new in the history: claimed already) in one
    ``put_outbox``; the id of the last row written, 0 if none."""
    rows = list(payloads) if line is None else [line, *payloads]
    ids = await tx.put_outbox(mailbox=mailbox, payloads=rows, at=at)
    return ids[-1] if ids else 0


def _in_history(mailbox: str, line: dict[str, Any]) -> tuple[str, str]:
    """The claim of "``line`` is in ``mailbox``'s history" (see ``_put``)."""
    return HISTORY_CLAIM, f"{mailbox}:{line['client_id']}"


@dataclass
class _TurnReplies:
    """The ``ReplySink`` of one web chat message: the person's line and the turn's replies
    are written to their outbox in the turn's own transaction. Written after its commit,
    a process dying in between would leave a handled message unanswered for good: sent
    again, it is a duplicate, which the engine answers with nothing."""

    mailbox: str
    line: dict[str, Any]
    clock: Clock
    wake: Callable[[str | None], None]
    last_id: int = 0
    done: bool = False  # the transaction with the line and the replies committed

    @property
    def claim(self) -> tuple[str, str]:
        """The line's claim (``_put``), made with the engine's claim of the message."""
        return _in_history(self.mailbox, self.line)

    async def write(self, tx: Transaction, replies: Sequence[Reply], *, claimed: bool) -> None:
        # A file is made after the commit (``bot.flows.export``), never in a turn's own
        # replies: its link is stored in a transaction of its own, which here would wait
        # on this one (SQLite's single writer).
        if any(reply.attachment is not None for reply in replies):
            raise ValueError("a reply with a file cannot be written in the turn's transaction")
        at = self.clock.now()
        payloads = [reply_to_json(reply, at=at) for reply in replies]
        line = self.line if claimed else None  # claimed: not in the history yet
        self.last_id = await _write(tx, self.mailbox, payloads, at=at, line=line)

    def committed(self) -> None:
        self.done = True
        self.wake(self.mailbox)  # before any after-commit work: the answer shows at once


Publish = Callable[[Attachment, str], Awaitable[str]]
"""Store a file for a person (user key) and return the page-relative link to it."""


class WebChat:
    """The web chat adapter and the ``Notifier`` for ``Channel.WEB``.

    ``store`` is a zero-argument callable returning the store, asked on every request: the
    app opens its store in a startup hook, after the routes are installed.
    ``sign_in`` decides the mode per request, from the organisations in use then
    (``SignIn.mode``): in sign-in mode a person is who their session says, in the
    organisation they signed in to, and ``user_id``/``user_name`` in a request are ignored;
    in the trial mode (loopback only) the page's ``user_id`` and typed name are taken as
    they come, in the organisation in use first.
    """

    channel = Channel.WEB

    def __init__(
        self,
        *,
        handler: Handler,
        store: StoreGetter,
        clock: Clock,
        sign_in: SignIn,
        publish: Publish | None = None,
    ) -> None:
        self._sign_in = sign_in
        self._handler = handler
        self._publish = publish
        self._store = store
        self._clock = clock
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._parked: Counter[str] = Counter()  # polls that read, found nothing, and wait
        self._parking = asyncio.Condition()
        self._listener: OutboxListening | None = None
        self._listening = asyncio.Lock()  # the first polls start one listener, not several
        self._listen_started = False
        self._closing = False

    async def _link(self, reply: Reply, inbound: Inbound) -> str | None:
        """A file goes to the page as a signed link: the outbox keeps JSON, not PDFs."""
        if reply.attachment is None or self._publish is None:
            return None
        return await self._publish(reply.attachment, inbound.user_key)

    def install(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{file}", self._static)
        app.router.add_get("/api/web/config", self._config)
        app.router.add_post("/api/web/messages", self._post_message)
        app.router.add_get("/api/web/messages", self._get_messages)
        app.on_shutdown.append(self._on_shutdown)

    async def deliver(self, message: Outbound) -> Delivery:
        """Write a proactive message to the person's outbox; their page picks it up."""
        address = message.address
        if address.channel != Channel.WEB:
            return Delivery.no_address("Web", "not a web chat address")
        mailbox = user_key(
            Channel.WEB, address.tenant_id, address.user_id or address.conversation_id
        )
        at = self._clock.now()
        await self._append(mailbox, [reply_to_json(r, at=at) for r in message.replies], at=at)
        return Delivery.delivered()

    # Routes -------------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers=_STATIC_HEADERS)

    async def _static(self, request: web.Request) -> web.StreamResponse:
        # Only the two known names: no listing, and nothing a crafted path can reach.
        name = request.match_info["file"]
        if name not in _STATIC_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC_DIR / name, headers=_STATIC_HEADERS)

    async def _config(self, request: web.Request) -> web.Response:
        """What the page needs before it draws anything: the mode, who is signed in."""
        mode = self._sign_in.mode()  # an import can switch the trial mode off (or on)
        config: dict[str, Any] = {
            "mode": mode.value,
            "time_zone": self._sign_in.trial_organisation().timezone,
            # The empty chat's "what happened?" button: the menu of every plan.
            "menu_action": encode_action(ShowPlans()),
        }
        if mode is WebMode.SIGN_IN:
            session = await self._sign_in.session(request)
            org = self._sign_in.organisations.get(session.org_id) if session else None
            config["person"] = (
                {"name": session.name, "email": session.email, "organisation": org.name}
                if session is not None and org is not None
                else None
            )
            if org is not None:
                config["time_zone"] = org.timezone
            config["sign_in"] = self._sign_in.options(request.query.get("org"))
        return _json(config)

    async def _visitor(self, request: web.Request, body: Mapping[str, object]) -> _Visitor:
        """Who this request is from: the session's person, or in trial mode the page's."""
        if self._sign_in.mode() is WebMode.TRIAL:
            user_id, user_name = _typed_person(body)
            return _Visitor(self._sign_in.trial_organisation().id, user_id, user_name)
        session = await self._sign_in.session(request)
        if session is None:
            raise _SignInNeeded()
        return _Visitor(
            session.org_id,
            session.email,
            session.name,
            VerifiedIdentity(email=session.email, oid=session.oid),
        )

    async def _post_message(self, request: web.Request) -> web.Response:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, TOO_LARGE)
        try:
            body = loads(raw)
        except NotJson as exc:
            return _error(outcome(exc).http_status, "request body must be JSON")
        except Malformed as exc:  # not UTF-8, too deep, NUL or a lone surrogate
            return _error(outcome(exc).http_status, f"request body: {exc}")
        try:
            posted = _parse_post(body)
            visitor = await self._visitor(request, body)
        except _BadRequest as exc:
            return _error(outcome(exc).http_status, str(exc))
        except _SignInNeeded as exc:
            return _sign_in_needed(exc)

        received_at = self._clock.now()
        inbound = self._inbound(visitor, posted, received_at=received_at)
        mine = {
            "kind": "user",
            "text": posted.shown,
            "user_name": visitor.user_name,
            "client_id": posted.client_id,
            "action": encode_action(posted.action) if posted.action else None,
            "at": received_at.isoformat(),
        }
        turn = _TurnReplies(inbound.user_key, mine, self._clock, self._wake)
        try:
            # The turn's own replies go to the outbox in its transaction (``_TurnReplies``);
            # the rest come back: those made after its commit (an export, written only
            # now: lost if this process dies first, the person asks for it again), an
            # error reply, or all of them when no turn committed (then with the line).
            later = await self._handler(inbound, sink=turn)
            at = self._clock.now()
            payloads = [
                reply_to_json(reply, at=at, link=await self._link(reply, inbound))
                for reply in later
            ]
            line = None if turn.done else mine
            written = await self._append(inbound.user_key, payloads, at=at, line=line)
            last_id = written or (turn.last_id if turn.done else 0)
        except Exception:
            logger.exception("web chat: could not handle message %s", posted.client_id)
            return _error(500, HANDLER_FAILED)
        return _json({"last_id": last_id})

    async def _get_messages(self, request: web.Request) -> web.Response:
        try:
            after, wait = _parse_poll(request.query)
            visitor = await self._visitor(request, request.query)
        except _BadRequest as exc:
            return _error(outcome(exc).http_status, str(exc))
        except _SignInNeeded as exc:
            return _sign_in_needed(exc)
        mailbox = user_key(Channel.WEB, visitor.tenant_id, visitor.user_id)
        try:
            rows = await self._wait_for_messages(mailbox, after=after, wait=wait)
        except Exception:
            logger.exception("web chat: could not read the outbox")
            return _error(503, READ_FAILED)
        return _json(
            {
                "messages": [{**row.payload, "id": row.id} for row in rows],
                "last_id": rows[-1].id if rows else after,
            }
        )

    # Internals ----------------------------------------------------------------------------

    def _inbound(self, visitor: _Visitor, posted: _Posted, *, received_at: datetime) -> Inbound:
        own_chat = Address(
            channel=Channel.WEB,
            tenant_id=visitor.tenant_id,
            conversation_id=visitor.user_id,
            user_id=visitor.user_id,
        )
        return Inbound(
            channel=Channel.WEB,
            tenant_id=visitor.tenant_id,
            user_id=visitor.user_id,
            user_name=visitor.user_name,
            identity=visitor.identity,
            conversation_id=visitor.user_id,  # one chat per person
            locale=posted.locale,
            event_id=posted.client_id,
            text=posted.text,
            action=posted.action,
            form=posted.form,
            address=own_chat,
            personal_address=own_chat,  # the web chat is always a person's own chat
            received_at=received_at,
        )

    async def _append(
        self,
        mailbox: str,
        payloads: Sequence[dict[str, Any]],
        *,
        at: datetime,
        line: dict[str, Any] | None = None,
    ) -> int:
        """Write ``payloads`` (after ``line``, see ``_put``) in one transaction, wake this
        mailbox's pollers, and return the id of the last row written (0: none)."""
        if not payloads and line is None:
            return 0
        async with self._store().transaction() as tx:
            last_id = await _put(tx, mailbox, payloads, at=at, line=line)
        self._wake(mailbox)
        return last_id

    def _wake(self, mailbox: str | None) -> None:
        """Let the polls waiting on ``mailbox`` (``None``: on any mailbox) read again."""
        if mailbox is None:
            waiting = [w for waiters in self._waiters.values() for w in waiters]
        else:
            waiting = list(self._waiters.get(mailbox, ()))
        for waiter in waiting:
            waiter.set()

    async def parked(self, mailbox: str) -> None:
        """Until a poll of ``mailbox`` has read, found nothing and waits for a write (so a
        test can write exactly then)."""
        async with self._parking:
            await self._parking.wait_for(lambda: self._parked[mailbox] > 0)

    async def _listen(self) -> OutboxListening | None:
        """The store's report of every process's writes, started by the first poll (the
        store opens after the routes are installed)."""
        async with self._listening:
            if not self._listen_started and not self._closing:
                self._listen_started = True
                self._listener = await self._store().listen_outbox(self._wake)
        return self._listener

    async def _wait_for_messages(
        self, mailbox: str, *, after: int, wait: float
    ) -> list[OutboxMessage]:
        """Long poll: answer as soon as there is something after ``after``, else after ``wait``.

        The database is read once, then again only when the mailbox was written (by this
        process, or by another one the store's listener reports), or every
        ``RECHECK_SECONDS`` while no listener would report another process's writes.
        """
        listener = await self._listen()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        wake = asyncio.Event()
        waiters = self._waiters.setdefault(mailbox, set())
        waiters.add(wake)
        try:
            while True:
                wake.clear()  # before the read, so a write after it is not missed
                async with self._store().snapshot() as tx:  # no write lock for a read
                    rows = await tx.read_outbox(mailbox=mailbox, after_id=after, limit=PAGE_LIMIT)
                remaining = deadline - loop.time()
                if rows or remaining <= 0 or self._closing:
                    return rows
                told = listener is not None and listener.live
                self._parked[mailbox] += 1
                async with self._parking:
                    self._parking.notify_all()
                try:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(
                            remaining if told else min(RECHECK_SECONDS, remaining)
                        ):
                            await wake.wait()
                finally:
                    self._parked[mailbox] -= 1
        finally:
            waiters.discard(wake)
            if not self._parked[mailbox]:
                self._parked.pop(mailbox, None)
            if not waiters and self._waiters.get(mailbox) is waiters:
                del self._waiters[mailbox]

    async def _on_shutdown(self, app: web.Application) -> None:
        """Let waiting pollers answer now instead of holding the shutdown for 25 seconds."""
        self._closing = True
        self._wake(None)
        async with self._listening:
            if self._listener is not None:
                await self._listener.close()


# Parsing ------------------------------------------------------------------------------------


def _typed_person(given: Mapping[str, object]) -> tuple[str, str]:
    """Trial mode: the page's own id for this browser and the name typed into it. A poll
    (the query) has no name; it only reads the mailbox of the id."""
    user_id = _required_str(given, "user_id", limit=MAX_ID)
    if isinstance(given, dict):
        return user_id, _required_str(given, "user_name", limit=MAX_USER_NAME)
    return user_id, ""


def _parse_post(body: object) -> _Posted:
    if not isinstance(body, dict):
        raise _BadRequest("request body must be a JSON object")
    client_id = _required_str(body, "client_id", limit=MAX_ID)
    locale = body.get("locale")
    if locale is not None and locale not in LOCALES:
        raise _BadRequest('locale must be "nl" or "en"')

    text, raw_action = body.get("text"), body.get("action")
    if text is not None and raw_action is not None:
        raise _BadRequest("send either text or action, not both")
    if text is not None:
        if not isinstance(text, str):
            raise _BadRequest("text must be a string")
        if len(text) > MAX_TEXT:
            raise _BadRequest(TOO_LONG)
        if not text.strip():
            raise _BadRequest("empty message")
        text = text.strip()
        return _Posted(client_id, locale, text, text=text)
    if raw_action is None:
        raise _BadRequest("send text or action")
    if not isinstance(raw_action, str):
        raise _BadRequest("action must be a string")
    try:
        action = decode_action(raw_action)
    except ValueError:
        raise _BadRequest("unknown action") from None
    form = _parse_form(body.get("form"))
    shown = body.get("label")  # the page's words for the press; else the typed values
    if not isinstance(shown, str) or not shown:
        shown = "\n".join(v for v in form.values() if v)
    common = (client_id, locale, shown[:MAX_TEXT])
    return _Posted(*common, action=action, form=form)


def _required_str(body: Mapping[str, object], key: str, *, limit: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _BadRequest(f"missing {key}")
    value = value.strip()
    if len(value) > limit:
        raise _BadRequest(f"{key} too long (max {limit} characters)")
    try:
        check_text(value)
    except Malformed as exc:
        raise _BadRequest(f"{key}: {exc}") from None
    return value


def _parse_form(form: object) -> dict[str, str]:
    if form is None:
        return {}
    if not isinstance(form, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in form.items()
    ):
        raise _BadRequest("form must map field ids to text")
    if any(len(v) > MAX_TEXT for v in form.values()):
        raise _BadRequest(TOO_LONG)
    return {k: v.strip() for k, v in form.items()}


def _parse_poll(query: Mapping[str, str]) -> tuple[int, float]:
    try:
        after = int(query.get("after", "0"))
    except ValueError:
        raise _BadRequest("after must be a whole number") from None
    try:
        wait = float(query.get("wait", "0"))
    except ValueError:
        raise _BadRequest("wait must be a number of seconds") from None
    if after < 0:
        raise _BadRequest("after must not be negative")
    if after > MAX_ROW_ID:
        raise _BadRequest(f"after must be at most {MAX_ROW_ID}")
    if not math.isfinite(wait):
        raise _BadRequest("wait must be a number of seconds")
    return after, min(max(wait, 0.0), MAX_WAIT_SECONDS)


def _json(data: dict[str, Any], *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=_API_HEADERS)


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status=status)


def _sign_in_needed(exc: _SignInNeeded) -> web.Response:
    return _json({"error": SIGN_IN_NEEDED, "sign_in": True}, status=outcome(exc).http_status)
