"""Server settings: command-line values first, then environment variables, then defaults."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field

# A stable add-in id: Office identifies the add-in by it, so it must not change between
# restarts. Deployments that run several instances (test, production) set their own.
DEFAULT_MANIFEST_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://cpt-addin/office-add-in"))
DEFAULT_API_KEY_ENV = "CPT_ADDIN_API_KEY"
DEFAULT_NAMESPACE = "NCCI"
MB = 1024 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Microsoft's hosted Office.js; self-hosted copies for closed networks via CPT_ADDIN_OFFICE_JS_URL.
OFFICE_JS_URL = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


@dataclass
class ServerSettings:
    """Everything the app needs to know; build it with :meth:`from_env`.

    - ``public_url``: the address Excel reaches the server at (the manifest's URLs and an
      allowed CORS origin); defaults to ``http(s)://host:port``.
    - ``api_key_env``: the *name* of the environment variable holding the API key; the key
      itself is read once into ``api_key`` and never logged.
    - ``entra_tenant_id`` / ``entra_client_id``: turn on Entra ID (Azure AD) bearer tokens.
    - ``max_upload_bytes`` / ``max_call_bytes``: request size limits (413 above them).
    - ``max_answer_findings``: the most findings a JSON, JSON Lines or CSV answer carries
      (422 above it, pointing to ``answer=counts``, the workbook and the CLI).
    - ``max_checks`` / ``check_timeout_seconds``: claim checks running at once (more wait
      for a slot, then 503) and how long one may take (then 422 and the check is stopped).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    api_key_env: str = DEFAULT_API_KEY_ENV
    api_key: str = field(default="", repr=False)
    allow_anonymous: bool = False
    entra_tenant_id: str = ""
    entra_client_id: str = ""
    entra_jwks_url: str = ""
    cors_origins: list[str] = field(default_factory=list)
    manifest_id: str = DEFAULT_MANIFEST_ID
    namespace: str = DEFAULT_NAMESPACE
    max_upload_bytes: int = 20 * MB
    max_call_bytes: int = 1 * MB
    max_answer_findings: int = 100_000
    max_checks: int = 2
    check_timeout_seconds: int = 120
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    office_js_url: str = OFFICE_JS_URL

    @classmethod
    def from_env(cls, **overrides: object) -> ServerSettings:
        """Settings from ``CPT_ADDIN_*`` variables; keyword arguments (not None) win."""
        given = {k: v for k, v in overrides.items() if v is not None}
        api_key_env = str(given.get("api_key_env") or DEFAULT_API_KEY_ENV)
        origins = os.environ.get("CPT_ADDIN_CORS_ORIGINS", "")
        values: dict[str, object] = {
            "public_url": os.environ.get("CPT_ADDIN_PUBLIC_URL", ""),
            "api_key_env": api_key_env,
            "api_key": os.environ.get(api_key_env, "").strip(),
            "entra_tenant_id": os.environ.get("CPT_ADDIN_ENTRA_TENANT_ID", "").strip(),
            "entra_client_id": os.environ.get("CPT_ADDIN_ENTRA_CLIENT_ID", "").strip(),
            "entra_jwks_url": os.environ.get("CPT_ADDIN_ENTRA_JWKS_URL", "").strip(),
            "cors_origins": [o.strip().rstrip("/") for o in origins.split(",") if o.strip()],
            "manifest_id": os.environ.get("CPT_ADDIN_MANIFEST_ID", "").strip() or DEFAULT_MANIFEST_ID,
            "namespace": os.environ.get("CPT_ADDIN_FUNCTIONS_NAMESPACE", "").strip() or DEFAULT_NAMESPACE,
            "max_upload_bytes": _env_int("CPT_ADDIN_MAX_UPLOAD_MB", 20) * MB,
            "max_call_bytes": _env_int("CPT_ADDIN_MAX_CALL_KB", 1024) * 1024,
            "max_answer_findings": _env_int("CPT_ADDIN_MAX_ANSWER_FINDINGS", 100_000),
            "max_checks": max(1, _env_int("CPT_ADDIN_MAX_CHECKS", 2)),
            "check_timeout_seconds": max(1, _env_int("CPT_ADDIN_CHECK_TIMEOUT_S", 120)),
            "office_js_url": os.environ.get("CPT_ADDIN_OFFICE_JS_URL", "").strip() or OFFICE_JS_URL,
        }
        values.update(given)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.ssl_certfile else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def entra_enabled(self) -> bool:
        """True when Entra ID tokens are accepted (tenant and client id both set)."""
        return bool(self.entra_tenant_id and self.entra_client_id)

    @property
    def auth_configured(self) -> bool:
        """True when some authentication (API key or Entra ID) protects the API."""
        return bool(self.api_key) or self.entra_enabled

    @property
    def is_loopback(self) -> bool:
        """True when the server listens on this machine only."""
        return self.host in LOOPBACK_HOSTS
