"""Request and work limits: what one request may send, and how long one claim check may run.

- :class:`BodySizeLimit` answers 413 with a clear message before reading an oversized body.
  The limit depends on the path: claim files and sheets may be large (``max_upload_bytes``,
  20 MB by default), everything else — one function call, one lookup — is small
  (``max_call_bytes``, 1 MB). ``Content-Length`` is checked up front; a body sent without one
  (chunked) is counted as it arrives.
- :class:`CheckLimiter` runs claim checks on its own few threads, off the event loop and off
  the thread pool that answers function calls: at most ``max_checks`` at once, a short queue
  behind them (503 when it is full), and a deadline per check (422; the check is stopped at
  its next step), so one upload cannot hold the server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")

UPLOAD_PATHS = ("/api/check",)  # and /api/check-sheet, by prefix


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


class BodySizeLimit:
    """ASGI middleware: 413 for request bodies above the path's limit."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.limit_for(path)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._refuse(send, path, limit, int(length))
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Answer 413 as soon as the body passes the limit, then tell the app the client
            # left: frameworks turn exceptions raised here into their own 400s.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await self._refuse(send, path, limit, received)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; drop whatever the app answers
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not refused:
                raise

    @staticmethod
    async def _refuse(send: Send, path: str, limit: int, size: int) -> None:
        detail = (
            f"Request too large: {_megabytes(size)} sent, the limit for {path} is {_megabytes(limit)}. "
            "Split the data into smaller parts, or ask the administrator to raise the limit "
            "(CPT_ADDIN_MAX_UPLOAD_MB / CPT_ADDIN_MAX_CALL_KB)."
        )
        body = json.dumps({"detail": detail}).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def limit_chooser(max_upload_bytes: int, max_call_bytes: int) -> Callable[[str], int]:
    """The function BodySizeLimit asks: upload paths get the upload limit, all others the call limit."""

    def limit_for(path: str) -> int:
        return max_upload_bytes if path.startswith(UPLOAD_PATHS) else max_call_bytes

    return limit_for


class CheckStopped(Exception):  # noqa: N818 - a signal, not an error the user sees
    """Raised inside a check's thread when its deadline has passed: the check stops there."""


class Deadline:
    """The time a check may take; :meth:`progress` is the checker's progress callback and
    raises :class:`CheckStopped` once the time is up (between two rules, or before reading)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.stopped = threading.Event()

    def progress(self, stage: str, done: int, total: int) -> None:
        """The ``progress`` callback of :func:`addin.checker.check`."""
        if stage != "done" and (self.stopped.is_set() or time.monotonic() > self.ends):
            self.stopped.set()
            raise CheckStopped(stage)


class CheckLimiter:
    """At most ``max_checks`` claim checks at once on dedicated threads, ``queue`` more waiting
    (503 beyond), each answered 422 when it has not finished after ``timeout_seconds``."""

    def __init__(self, max_checks: int, timeout_seconds: float, queue: int | None = None) -> None:
        self.max_checks = max(1, max_checks)
        self.timeout_seconds = timeout_seconds
        self.queue = 4 * self.max_checks if queue is None else queue
        self._executor = ThreadPoolExecutor(self.max_checks, thread_name_prefix="cpt-addin-check")
        self._lock = threading.Lock()
        self._pending = 0  # running and waiting checks

    @property
    def pending(self) -> int:
        """Checks running or waiting for a thread."""
        return self._pending

    def _finished(self, _: Future) -> None:
        with self._lock:
            self._pending -= 1

    async def run(self, work: Callable[[Deadline], T], what: str) -> T:
        """Run ``work(deadline)`` on a check thread; ``what`` names the work in messages."""
        with self._lock:
            if self._pending >= self.max_checks + self.queue:
                raise HTTPException(
                    503,
                    f"The server is busy: {self._pending} claim checks are running or waiting. "
                    "Try again in a minute.",
                    headers={"Retry-After": "60"},
                )
            self._pending += 1
        deadline = Deadline(self.timeout_seconds)
        try:
            future = self._executor.submit(work, deadline)
        except RuntimeError:  # the executor is shutting down
            with self._lock:
                self._pending -= 1
            raise HTTPException(503, "The server is shutting down; try again in a minute.") from None
        future.add_done_callback(self._finished)
        waiting = asyncio.wrap_future(future)
        try:
            return await asyncio.wait_for(asyncio.shield(waiting), self.timeout_seconds)
        except asyncio.CancelledError:  # the client went away: nobody wants the answer
            deadline.stopped.set()
            waiting.add_done_callback(_consume)
            raise
        except (asyncio.TimeoutError, CheckStopped):
            deadline.stopped.set()  # the thread stops at the check's next step
            waiting.add_done_callback(_consume)
            raise HTTPException(
                422,
                f"{what} did not finish within {self.timeout_seconds:g} s (CPT_ADDIN_CHECK_TIMEOUT_S) "
                "and was stopped. Split the file into smaller parts, or check it with the command "
                "line (cpt-addin check FILE), which has no time limit.",
            ) from None


def _consume(future: asyncio.Future) -> None:
    """Retrieve an abandoned check's outcome so asyncio does not report it as lost."""
    if not future.cancelled():
        future.exception()
