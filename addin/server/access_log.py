"""Access log without claim content: method, route, status and duration — nothing else.

Query strings, bodies, headers and path parameters (codes) are never written; the route is
logged as its template (``/api/code/{code}``). Uvicorn's own access log, which prints the full
URL, is switched off by ``cpt-addin serve``.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("addin.server.access")


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``(unmatched)``."""
    route = scope.get("route")
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    return str(path) if path else "(unmatched)"


class AccessLog:
    """ASGI middleware writing one INFO line per request to ``addin.server.access``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000
            logger.info(
                "%s %s %d %.1fms", scope.get("method", "?"), route_template(scope), status, elapsed_ms
            )
