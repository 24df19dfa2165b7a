"""The server's front: it listens before the app exists, so a start is alive at once.

Building the app (importing its modules, reading the playbooks and the organisations,
opening and migrating the store) is most of a start. Meanwhile the front answers
``/healthz`` (alive), ``/readyz`` with 503 "starting", and holds every other request until
the app is started, then hands it over: a message sent during a start is answered, not
refused. A front application rather than the app itself because aiohttp adds no routes to
a running application, and the app's routes (sign-in or not, which platforms) depend on
what it reads while it is built.

Imports aiohttp only: it is what ``python app.py`` imports before it listens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

MAX_BODY = 1024 * 1024
"""The largest request body, the front's and the app's alike (a web chat upload)."""

RETRY_AFTER_SECONDS = 5


class Front:
    """Serves ``application()`` first; ``start(app)`` puts the app behind it."""

    def __init__(self) -> None:
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self._settled = asyncio.Event()
        """Set once the app is started, or will not be (its start failed, or the process
        stops): what a held request waits for."""

    def application(self) -> web.Application:
        front = web.Application(client_max_size=MAX_BODY)
        front.router.add_get("/healthz", alive)
        front.router.add_get("/readyz", self._readyz)
        front.router.add_route("*", "/{path:.*}", self._hand_over)
        front.on_shutdown.append(self._shutdown)
        front.on_cleanup.append(self._cleanup)
        return front

    async def start(
        self,
        app: Awaitable[web.Application],
        *,
        ready: Callable[[web.Application], object] | None = None,
    ) -> None:
        """Build ``app`` (awaited here), run its startup hooks and hand it the requests,
        then call ``ready`` with it: what a start leaves until after it is ready (warming
        a cache) begins there, not before ``/readyz`` can say so. Raises what the build or
        a startup hook raises; the requests held meanwhile are then answered 503 with
        Retry-After, and ``/readyz`` never says ready."""
        try:
            built = await app
            runner = web.AppRunner(built, access_log=None)
            await runner.setup()
            self._app, self._runner = built, runner
        finally:
            self._settled.set()
        if ready is not None:
            ready(built)

    @property
    def started(self) -> bool:
        return self._runner is not None

    async def _readyz(self, request: web.Request) -> web.StreamResponse:
        if not self.started:
            return web.json_response({"ready": False, "reason": "starting"}, status=503)
        return await self._hand_over(request)  # the app's own /readyz: the store's state

    async def _hand_over(self, request: web.Request) -> web.StreamResponse:
        await self._settled.wait()
        server = self._runner.server if self._runner is not None else None
        if server is None:
            # The start failed and the process is stopping: the platform or the page sends
            # it again, to another replica or to this one restarted.
            return web.json_response(
                {"ready": False, "reason": "not started"},
                status=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        # The app's own request handler: it routes the request in the app (its routes, its
        # middlewares, request.app is the app) as if the app were serving it itself.
        return await server.request_handler(request)

    async def _shutdown(self, front: web.Application) -> None:
        self._settled.set()  # a request still held gets its 503 instead of the timeout
        if self._app is not None:
            await self._app.shutdown()  # before the front waits for its handlers: long polls

    async def _cleanup(self, front: web.Application) -> None:
        if self._app is not None:
            await self._app.cleanup()


async def alive(request: web.Request) -> web.Response:
    """``/healthz``: the process answers. Says nothing about the database (``/readyz``)."""
    return web.json_response({"ok": True})
