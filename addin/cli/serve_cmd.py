"""``cpt-addin serve``: the add-in server for Excel on the web, Mac and Windows (xlwings Server).

Needs the ``server`` extra (``pip install "cpt-addin[server]"``) and an xlwings licence key in
``XLWINGS_LICENSE_KEY``; without either it says what is missing and exits 2. See docs/server.md.
"""

from __future__ import annotations

import argparse
import logging
import sys

from addin.cli.common import add_command
from addin.server.config import DEFAULT_API_KEY_ENV


def register(subparsers) -> None:
    """Add the ``serve`` sub-command."""
    serve = add_command(
        subparsers,
        "serve",
        help="run the add-in server (Office.js custom functions, task pane, check API)",
        exits=(
            "0 the server stopped normally",
            "2 missing server extra or licence key, open API refused, or the port is taken",
        ),
        description="Serve the Excel functions as Office.js custom functions, with the task pane, "
        "the add-in manifest (/manifest.xml), a claim-check API (/api/check) and /health.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--api-key-env", default=DEFAULT_API_KEY_ENV, metavar="NAME",
                       help=f"environment variable holding the API key (default {DEFAULT_API_KEY_ENV})")
    serve.add_argument("--public-url", default=None, metavar="URL",
                       help="address Excel reaches the server at, for the manifest and CORS "
                       "(default CPT_ADDIN_PUBLIC_URL, else http(s)://HOST:PORT)")
    serve.add_argument("--no-auth", action="store_true",
                       help="allow an open API on an address other than 127.0.0.1 (not recommended)")
    serve.add_argument("--ssl-certfile", default="", help="TLS certificate (Excel requires https)")
    serve.add_argument("--ssl-keyfile", default="", help="TLS private key")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Check the prerequisites, build the app and run uvicorn until interrupted."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        print(f"cpt-addin serve: {exc.name} is not installed. Install the server extra:\n"
              '  pip install "cpt-addin[server]"', file=sys.stderr)
        return 2
    from addin.server.config import ServerSettings
    from addin.server.licence import LicenceMissing, licence_key, missing_licence_message

    if not licence_key():
        print(missing_licence_message(), file=sys.stderr)
        return 2
    settings = ServerSettings.from_env(
        host=args.host, port=args.port, api_key_env=args.api_key_env, public_url=args.public_url,
        ssl_certfile=args.ssl_certfile, ssl_keyfile=args.ssl_keyfile, allow_anonymous=args.no_auth,
    )
    if not settings.auth_configured and not settings.is_loopback and not args.no_auth:
        print(
            f"cpt-addin serve: refusing to serve an open API on {settings.host}. Set an API key in "
            f"{settings.api_key_env} (or Entra ID: CPT_ADDIN_ENTRA_TENANT_ID and "
            "CPT_ADDIN_ENTRA_CLIENT_ID), or pass --no-auth if a proxy in front authenticates.",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from addin.server.app import create_app

    try:
        app = create_app(settings)
    except LicenceMissing as exc:
        print(str(exc), file=sys.stderr)
        return 2
    import uvicorn

    print(f"cpt-addin server on {settings.base_url} — manifest: {settings.base_url}/manifest.xml",
          file=sys.stderr)
    uvicorn.run(
        app, host=settings.host, port=settings.port, access_log=False, log_level=args.log_level,
        ssl_certfile=settings.ssl_certfile or None, ssl_keyfile=settings.ssl_keyfile or None,
    )
    return 0
