"""Access log without claim content: method, route, status and duration — nothing else.

Query strings, bodies, headers and path parameters (codes) are never written; the route is
logged as its template (``/api/code/{code}``). Uvicorn's own access log, which prints the full
URL, is switched off by ``cpt-addin serve``. An unhandled error becomes a 500 answer here and
is logged by type and traceback frames only: exception messages may quote claim content.

The multipart parser (python-multipart) logs what it finds wrong in an upload, quoting bytes of
the body, and the names of its temporary files; :func:`withhold_body_logs` caps its loggers at
WARNING and rewrites their records to a fixed text.
"""

from __future__ import annotations

import json
import logging
import time
import traceback

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("addin.server.access")
# Added to every answer (cheap here: a BaseHTTPMiddleware would cost a task per request).
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
error_logger = logging.getLogger("addin.server.errors")
# The loggers python-multipart writes to (its module name, and the older package's name).
BODY_PARSER_LOGGERS = ("python_multipart", "python_multipart.multipart", "multipart", "multipart.multipart")
WITHHELD = "malformed multipart upload (the parser's details are not logged: they quote the upload)"


class WithholdBody(logging.Filter):
    """Replace a record's message, arguments and traceback with :data:`WITHHELD`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = WITHHELD, ()
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def withhold_body_logs() -> None:
    """Keep request bodies out of the logs: python-multipart's loggers at WARNING, their
    records reduced to a fixed text (idempotent)."""
    for name in BODY_PARSER_LOGGERS:
        parser_logger = logging.getLogger(name)
        if parser_logger.level < logging.WARNING:  # NOTSET or DEBUG/INFO: file names, bytes
            parser_logger.setLevel(logging.WARNING)
        if not any(isinstance(f, WithholdBody) for f in parser_logger.filters):
            parser_logger.addFilter(WithholdBody())


def route_template(scope: Scope) -> str:
    """The matched route's path template, or ``(unmatched)``."""
    route = scope.get("route")
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    return str(path) if path else "(unmatched)"


class AccessLog:
    """ASGI middleware writing one INFO line per request to ``addin.server.access``; it also
    adds the security headers and turns unhandled errors into a 500 answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False

        async def recording_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = int(message["status"]), True
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except Exception as exc:  # the last line of defence: never a traceback with content
            frames = "".join(traceback.format_tb(exc.__traceback__))
            error_logger.error("%s %s failed: %s\n%s", scope.get("method", "?"), route_template(scope),
                               type(exc).__name__, frames)
            if not started:
                body = json.dumps({"detail": f"internal server error ({type(exc).__name__})"}).encode()
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            status = 500
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000
            logger.info(
                "%s %s %d %.1fms", scope.get("method", "?"), route_template(scope), status, elapsed_ms
            )
