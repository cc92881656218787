"""Entra ID (Azure AD) bearer tokens: signature, issuer, audience and expiry are checked.

Tokens are signed here with a generated RSA key whose public half is served to the validator
as a local JWKS file (``CPT_ADDIN_ENTRA_JWKS_URL`` may name a file for air-gapped servers).
"""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("fastapi")
jose_jwt = pytest.importorskip("joserfc.jwt")

from fastapi import HTTPException  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402

from addin.server.auth import EntraIdValidator, keys_match  # noqa: E402
from addin.server.config import ServerSettings  # noqa: E402

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "66666666-7777-8888-9999-000000000000"


@pytest.fixture(scope="module")
def signing_key():
    return RSAKey.generate_key(2048, parameters={"kid": "test-key-1"})


@pytest.fixture(scope="module")
def jwks_file(signing_key, tmp_path_factory):
    path = tmp_path_factory.mktemp("jwks") / "keys.json"
    path.write_text(json.dumps({"keys": [signing_key.as_dict(private=False)]}), encoding="utf-8")
    return path


def token(key, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "aud": CLIENT,
        "exp": now + 600,
        "iat": now,
        "nbf": now - 5,
        "ver": "2.0",
        "preferred_username": "coder@example.org",
    }
    claims.update(overrides)
    return jose_jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def test_keys_match_is_exact():
    assert keys_match("abc", "abc")
    assert not keys_match("abc", "abd")
    assert not keys_match("", "")
    assert not keys_match("abc", "")


def test_valid_tokens_are_accepted(signing_key, jwks_file):
    validator = EntraIdValidator(TENANT, CLIENT, str(jwks_file))
    principal = validator.validate(token(signing_key))
    assert principal.kind == "entra-id" and principal.name == "coder@example.org"
    v1 = token(signing_key, ver="1.0", iss=f"https://sts.windows.net/{TENANT}/", aud=f"api://{CLIENT}")
    assert validator.validate(v1).kind == "entra-id"
    sso = token(signing_key, aud=f"api://addin.example.org/{CLIENT}")
    assert validator.validate(sso).kind == "entra-id"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"iss": "https://login.microsoftonline.com/other-tenant/v2.0"},
        {"exp": int(time.time()) - 3600},
        {"aud": "api://evil.example/not-our-client"},
    ],
)
def test_wrong_tokens_are_refused(signing_key, jwks_file, overrides):
    validator = EntraIdValidator(TENANT, CLIENT, str(jwks_file))
    with pytest.raises(HTTPException) as info:
        validator.validate(token(signing_key, **overrides))
    assert info.value.status_code == 401


def test_a_token_signed_by_another_key_is_refused(jwks_file):
    other = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"})
    validator = EntraIdValidator(TENANT, CLIENT, str(jwks_file))
    with pytest.raises(HTTPException):
        validator.validate(token(other))


def test_the_app_accepts_entra_tokens_and_api_keys(signing_key, jwks_file):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app

        settings = ServerSettings(api_key="k-123", entra_tenant_id=TENANT, entra_client_id=CLIENT,
                                  entra_jwks_url=str(jwks_file))
        client = TestClient(create_app(settings))
    good = {"Authorization": f"Bearer {token(signing_key)}"}
    assert client.get("/api/code/47383", headers=good).status_code == 200
    assert client.get("/api/code/47383", headers={"X-API-Key": "k-123"}).status_code == 200
    bad = {"Authorization": f"Bearer {token(signing_key, aud='x')}"}
    assert client.get("/api/code/47383", headers=bad).status_code == 401
    assert client.get("/api/code/47383").status_code == 401
    assert client.get("/health").json()["auth"] == ["api-key", "entra-id"]
    manifest = client.get("/manifest.xml").text
    assert f"<Id>{CLIENT}</Id>" in manifest and f"api://127.0.0.1:8000/{CLIENT}" in manifest
