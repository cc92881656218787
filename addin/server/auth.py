"""Who may call the API: an API key, or an Entra ID (Azure AD) bearer token.

- API key: ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``; the key comes from the
  environment variable named by ``--api-key-env`` (default ``CPT_ADDIN_API_KEY``) and is
  compared in constant time.
- Entra ID, the option xlwings Server offers: the task pane asks Office for an SSO token
  (``Office.auth.getAccessToken``) and sends it as ``Authorization: Bearer <jwt>``. The token
  must be signed by a key of the tenant's JWKS, unexpired, issued by the tenant
  (``CPT_ADDIN_ENTRA_TENANT_ID``) for this add-in (audience ``CPT_ADDIN_ENTRA_CLIENT_ID`` or
  ``api://…/<client id>``). ``CPT_ADDIN_ENTRA_JWKS_URL`` overrides where the keys come from (an
  ``https://`` URL, or a local JSON file for air-gapped servers and tests).

Without either, the API is open: ``cpt-addin serve`` allows that only on 127.0.0.1 unless told
otherwise (``--no-auth``). Failures answer 401 and never log the presented credential.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from addin.server.config import ServerSettings

logger = logging.getLogger("addin.server.auth")
JWKS_TTL_SECONDS = 24 * 3600
JWKS_MIN_REFRESH_SECONDS = 300


@dataclass
class Principal:
    """Who made the request: ``kind`` is ``api-key``, ``entra-id`` or ``anonymous``."""

    kind: str
    name: str = ""
    claims: dict[str, Any] = field(default_factory=dict)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def keys_match(presented: str, expected: str) -> bool:
    """Constant-time comparison of two keys (False when either is empty)."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


class EntraIdValidator:
    """Validates Entra ID access tokens (v1.0 and v2.0) against the tenant's signing keys."""

    def __init__(self, tenant_id: str, client_id: str, jwks_url: str = "") -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.jwks_url = jwks_url or f"https://login.microsoftonline.com/{tenant_id}/discovery/v2.0/keys"
        self._jwks: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _load_jwks(self) -> dict[str, Any]:
        if self.jwks_url.startswith(("https://", "http://")):
            import httpx

            response = httpx.get(self.jwks_url, timeout=10)
            response.raise_for_status()
            return response.json()
        path = self.jwks_url.removeprefix("file://")
        return json.loads(Path(path).read_text(encoding="utf-8"))

    def key_set(self, refresh: bool = False) -> Any:
        """The tenant's JWKS as a joserfc KeySet (cached a day; refreshed at most every 5 min)."""
        from joserfc.jwk import KeySet

        with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = self._jwks is None or age > JWKS_TTL_SECONDS
            if stale or (refresh and age > JWKS_MIN_REFRESH_SECONDS):
                self._jwks = self._load_jwks()
                self._fetched_at = time.monotonic()
            return KeySet.import_key_set(self._jwks)

    def expected(self, version: str) -> tuple[str, list[str]]:
        """(issuer, audiences) a token of this version must carry."""
        if version == "1.0":
            issuer = f"https://sts.windows.net/{self.tenant_id}/"
        else:
            issuer = f"https://login.microsoftonline.com/{self.tenant_id}/v2.0"
        audiences = [self.client_id, f"api://{self.client_id}"]
        return issuer, audiences

    def validate(self, token: str) -> Principal:
        """Check signature, expiry, issuer and audience; raise 401 when any fails."""
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwt import JWTClaimsRegistry

        try:
            try:
                decoded = jwt.decode(token, self.key_set(), algorithms=["RS256"])
            except JoseError:
                decoded = jwt.decode(token, self.key_set(refresh=True), algorithms=["RS256"])
            claims = decoded.claims
            issuer, audiences = self.expected(str(claims.get("ver", "2.0")))
            audience = claims.get("aud", "")
            if audience.startswith("api://") and audience.endswith(f"/{self.client_id}"):
                audiences.append(audience)  # api://<host>/<client id>, as the manifest declares
            JWTClaimsRegistry(
                iss={"essential": True, "value": issuer},
                aud={"essential": True, "values": audiences},
                exp={"essential": True},
            ).validate(claims)
        except (JoseError, ValueError, KeyError, OSError) as exc:
            logger.info("Entra ID token refused: %s", type(exc).__name__)
            raise _unauthorized("Entra ID token refused: signature, issuer, audience or expiry did not check out") from None
        name = str(claims.get("preferred_username") or claims.get("upn") or claims.get("oid") or "")
        return Principal(kind="entra-id", name=name, claims=dict(claims))


class Authenticator:
    """FastAPI dependency that admits a request or answers 401."""

    def __init__(self, settings: ServerSettings) -> None:
        self.api_key = settings.api_key
        self.entra = (
            EntraIdValidator(settings.entra_tenant_id, settings.entra_client_id, settings.entra_jwks_url)
            if settings.entra_enabled
            else None
        )
        self.open = not settings.auth_configured

    def __call__(self, request: Request) -> Principal:
        if self.open:
            return Principal(kind="anonymous")
        header_key = request.headers.get("x-api-key", "").strip()
        authorization = request.headers.get("authorization", "").strip()
        scheme, _, bearer = authorization.partition(" ")
        bearer = bearer.strip() if scheme.lower() == "bearer" else ""
        if header_key:
            if keys_match(header_key, self.api_key):
                return Principal(kind="api-key")
            raise _unauthorized("API key refused")
        if bearer:
            if keys_match(bearer, self.api_key):
                return Principal(kind="api-key")
            if self.entra is not None and bearer.count(".") == 2:
                return self.entra.validate(bearer)
            raise _unauthorized("credential refused")
        methods = []
        if self.api_key:
            methods.append("an API key (header X-API-Key or Authorization: Bearer <key>)")
        if self.entra is not None:
            methods.append("an Entra ID token (Authorization: Bearer <token>)")
        raise _unauthorized("authentication required: send " + " or ".join(methods))
