"""The add-in server app: custom functions, task pane, manifest, JSON API and health.

``create_app(settings)`` checks the xlwings licence key (:class:`LicenceMissing` without one),
generates the custom functions from :mod:`addin.udfs`, and wires the routes with their guards:

- open: ``/health``, ``/manifest.xml``, the task pane page and its static files, and the
  custom-functions metadata and script (Office fetches those without credentials);
- authenticated (API key or Entra ID, see :mod:`addin.server.auth`): function calls and ``/api``;
- everywhere: CORS for the Office origins and this server's own address only, request size
  limits (413), 400 for input errors (also :class:`addin.errors.CptAddinError` from anywhere),
  claim checks on their own threads with a deadline (:class:`addin.server.limits.CheckLimiter`),
  and logs without claim content (the access log; the multipart parser's records withheld).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response

from addin import __version__
from addin.errors import CptAddinError, DataUnavailableError
from addin.server import api, xlwings_routes
from addin.server.access_log import AccessLog, withhold_body_logs
from addin.server.auth import Authenticator
from addin.server.config import ServerSettings
from addin.server.functions import build_custom_functions
from addin.server.licence import load_xlwings_server
from addin.server.limits import BodySizeLimit, CheckLimiter, limit_chooser
from addin.server.manifest import ICON_SIZES, icon_png, manifest_xml

logger = logging.getLogger("addin.server")
TASKPANE_DIR = Path(__file__).parent / "taskpane"
STATIC_FILES = {"taskpane.js": "text/javascript", "taskpane.css": "text/css"}
# Office on the web, desktop and Mac load add-ins from these origins (regex, full match).
OFFICE_ORIGIN_REGEX = (
    r"https://([a-z0-9-]+\.)*(officeapps\.live\.com|office\.com|office365\.com|microsoft\.com)"
)


def cors_origin_regex(settings: ServerSettings) -> str:
    """Office's origins, this server's own origin and any configured extra origins."""
    own = [settings.base_url, *settings.cors_origins]
    return "|".join([OFFICE_ORIGIN_REGEX, *(re.escape(origin.rstrip("/")) for origin in own)])


def taskpane_html(settings: ServerSettings, in_office: bool) -> str:
    """The task pane page; Office.js and the custom functions only when opened by Excel."""
    scripts = ""
    if in_office:
        scripts = (
            f'<script src="{settings.office_js_url}"></script>\n'
            '  <script src="/xlwings/custom-functions-code.js"></script>'
        )
    html = (TASKPANE_DIR / "taskpane.html").read_text(encoding="utf-8")
    return (
        html.replace("__OFFICE_SCRIPTS__", scripts)
        .replace("__VERSION__", __version__)
        .replace("__API_KEY_REQUIRED__", "true" if settings.api_key else "false")
        .replace("__ENTRA_ENABLED__", "true" if settings.entra_enabled else "false")
    )


def _validation_message(exc: RequestValidationError) -> str:
    """Where and what, without echoing the submitted values."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts[:5])


def create_app(settings: ServerSettings | None = None, udfs: ModuleType | None = None) -> FastAPI:
    """Build the app (raises :class:`addin.server.licence.LicenceMissing` without a key)."""
    import xlwings

    settings = settings or ServerSettings.from_env()
    server = load_xlwings_server()
    functions = build_custom_functions(udfs, server)
    withhold_body_logs()
    authenticate = Authenticator(settings)
    if not settings.auth_configured:
        logger.warning("no API key or Entra ID configured: the API is open to anyone who can reach it")

    app = FastAPI(
        title="cpt-addin server",
        version=__version__,
        description="NCCI edits as Office.js custom functions, a task pane and a claim-check API.",
    )
    app.state.settings = settings
    app.state.custom_functions = functions

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=400)

    @app.exception_handler(DataUnavailableError)
    async def data_unavailable(_: Request, exc: DataUnavailableError) -> JSONResponse:
        """A damaged store, or a stale table under [data] stale = "error": 503 with the fix."""
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(CptAddinError)
    async def refused_input(_: Request, exc: CptAddinError) -> JSONResponse:
        # Our own errors name what is wrong with the input (file, row, column): a 400, never a 500.
        return JSONResponse({"detail": str(exc) or type(exc).__name__}, status_code=400)

    @app.get("/health", tags=["server"])
    def health() -> dict:
        """Status, versions and the reference data loaded (no authentication)."""
        from addin.reference import get_reference_data

        reference = get_reference_data()
        return {
            "status": "ok",
            "version": __version__,
            "xlwings": xlwings.__version__,
            "data_version": reference.data_version_text(),
            "tables": [v.model_dump(mode="json") for v in reference.versions()],
            "functions": [f"{settings.namespace}.{name.upper()}" for name in functions.FUNCTION_NAMES],
            "auth": [m for m, on in (("api-key", bool(settings.api_key)), ("entra-id", settings.entra_enabled)) if on]
            or ["none"],
        }

    @app.get("/manifest.xml", tags=["office"])
    @app.get("/manifest", tags=["office"], include_in_schema=False)
    def manifest() -> Response:
        """The Office add-in manifest for this server (upload it in Excel, or deploy it)."""
        return Response(manifest_xml(settings), media_type="application/xml")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/taskpane.html")

    @app.get("/taskpane.html", tags=["office"])
    def taskpane(request: Request) -> Response:
        """The task pane; loads Office.js only when opened by Excel (``?office=1``)."""
        params = request.query_params
        in_office = params.get("office") == "1" or "_host_Info" in params
        return Response(taskpane_html(settings, in_office), media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name in STATIC_FILES:
            return Response((TASKPANE_DIR / name).read_bytes(), media_type=STATIC_FILES[name],
                            headers={"Cache-Control": "no-cache"})
        match = re.fullmatch(r"icon-(\d+)\.png", name)
        if match and int(match.group(1)) in ICON_SIZES:
            return Response(icon_png(int(match.group(1))), media_type="image/png",
                            headers={"Cache-Control": "max-age=86400"})
        raise HTTPException(404, "not found")

    app.include_router(xlwings_routes.build_router(server, functions, authenticate, settings.entra_enabled))
    checks = CheckLimiter(settings.max_checks, settings.check_timeout_seconds)
    app.state.checks = checks
    app.include_router(api.build_router(authenticate, checks, settings.max_answer_findings))

    # Outermost last: the access log sees every answer, CORS headers reach 413s too.
    app.add_middleware(BodySizeLimit, limit_for=limit_chooser(settings.max_upload_bytes, settings.max_call_bytes))
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=cors_origin_regex(settings),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        expose_headers=["Content-Disposition", "X-Findings", "X-Exit-Code"],
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(AccessLog)
    return app
