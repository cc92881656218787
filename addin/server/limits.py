"""Request size limits: answer 413 with a clear message before reading an oversized body.

The limit depends on the path: claim files and sheets may be large (``max_upload_bytes``,
20 MB by default), everything else — one function call, one lookup — is small
(``max_call_bytes``, 1 MB). ``Content-Length`` is checked up front; a body sent without one
(chunked) is counted as it arrives.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
