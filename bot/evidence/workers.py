"""Evidence files drawn in worker processes, for the server.

Drawing a long timeline's PDF is seconds of pure Python (parsing each event, re-hashing
the chain, describing each line, fpdf2's layout). In a thread of the server it holds the
GIL against the event loop serving everyone else, and importing fpdf2 at the first export
blocked the loop outright (0.3-0.6 s, measured with py-spy under ``bench/contention.py``).
Here each ``Drawing`` lives in a worker process: the server reads the events from its
snapshot, as before, and hands each chunk over (pickled: ~3 ms a thousand events); the
worker draws and hands back the bytes it wrote.

A worker keeps the drawings under way in ``_drawings``, so every step of one drawing must
reach the same process: each lane is a pool of one process, and a drawing keeps its lane.
The processes start at the first export (``spawn``: a clean interpreter, not a fork of the
server with its threads and connections) and stop with ``close``, or on their own once the
server is gone (a server killed runs no ``close``, and a pool's worker would wait for work
for ever). At the server's own priority: a lower one (nice 10) made a 10,000-event export
take 10-26 s instead of 5 on a busy two-core machine, and the others waited no less. A
worker that dies (killed, out of memory) fails the drawings it had with ``DrawingStopped``,
a sentence for the person, and the lane starts a new one at its next use.
"""

from __future__ import annotations

import asyncio
import functools
import io
import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from typing import BinaryIO, Concatenate, ParamSpec, TypeVar

from bot.evidence import EvidenceError
from bot.evidence.drawing import Drawing, Job, Plan

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger(__name__)
WATCH_SECONDS = 1.0  # how soon a worker ends after the server is gone


class DrawingStopped(EvidenceError):
    """The process drawing a file stopped before it was done: nothing was made."""


class DrawingProcesses:
    """A ``Drawer`` with ``workers`` processes; a drawing goes to the least busy one."""

    def __init__(self, workers: int = 1) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._lanes = [_Lane() for _ in range(workers)]
        self._keys = itertools.count(1)
        self._closed = False

    @asynccontextmanager
    async def drawing(self, plan: Plan, out: BinaryIO) -> AsyncIterator[Job]:
        if self._closed:
            raise DrawingStopped("the server is stopping")
        lane = min(self._lanes, key=lambda lane: lane.busy)
        pool = lane.pool or lane.start(self._context)
        key = next(self._keys)
        lane.busy += 1
        job = _Remote(lane, pool, key, out)
        try:
            await job.run(functools.partial(_open, key, plan))
            yield job
        finally:
            lane.busy -= 1
            if lane.pool is pool:  # else it broke: nothing left in it to forget
                pool.submit(_close, key)

    def close(self) -> None:
        """Stops the workers (with the server, whose drawings under way are lost with it)."""
        self._closed = True
        for lane in self._lanes:
            lane.stop()


class _Lane:
    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None
        self.busy = 0

    def start(self, context: multiprocessing.context.BaseContext) -> ProcessPoolExecutor:
        self.pool = ProcessPoolExecutor(
            max_workers=1, mp_context=context, initializer=_started, initargs=(os.getpid(),)
        )
        return self.pool

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None


class _Remote:
    """One drawing in a worker: each step is sent there, its output written to ``out``."""

    def __init__(self, lane: _Lane, pool: ProcessPoolExecutor, key: int, out: BinaryIO) -> None:
        self._lane = lane
        self._pool = pool
        self._key = key
        self._out = out

    async def call(
        self, step: Callable[Concatenate[Drawing, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        result, written = await self.run(functools.partial(_step, self._key, step, *args, **kwargs))
        self._out.write(written)
        return result

    async def run(self, work: Callable[[], R]) -> R:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except BrokenProcessPool as exc:
            if self._lane.pool is self._pool:  # the first drawing to hear of it
                log.error("the process drawing an evidence file stopped: %s", exc)
                self._lane.stop()
            raise DrawingStopped("the process drawing the evidence file stopped") from exc


# In the worker process: the drawings under way there, by key, each with what it wrote
# since its last step.
_drawings: dict[int, tuple[Drawing, io.BytesIO]] = {}


def _started(server: int) -> None:
    threading.Thread(target=_watch, args=(server,), name="server-gone", daemon=True).start()


def _watch(server: int) -> None:
    """Ends this worker once the server that started it is gone (it is then another's
    child: a process's orphans go to init or a subreaper)."""
    while os.getppid() == server:
        time.sleep(WATCH_SECONDS)
    os._exit(0)


def _open(key: int, plan: Plan) -> None:
    out = io.BytesIO()
    _drawings[key] = (Drawing(plan, out), out)


def _step(
    key: int, step: Callable[Concatenate[Drawing, P], R], *args: P.args, **kwargs: P.kwargs
) -> tuple[R, bytes]:
    drawing, out = _drawings[key]
    result = step(drawing, *args, **kwargs)
    written = out.getvalue()
    out.seek(0)
    out.truncate()
    return result, written


def _close(key: int) -> None:
    _drawings.pop(key, None)
