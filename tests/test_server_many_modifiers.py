"""The server's ``/api/check`` answers 2xx for a line with five modifiers (issue 10.2)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from addin.server.config import ServerSettings  # noqa: E402

API_KEY = "test-key-5mods"
FIVE_SLOTS = (
    b"claim_id,patient_id,provider_npi,dos,cpt,Mod1,Mod2,Mod3,Mod4,Mod5,units,dx,pos\n"
    b"C1,P1,1234567893,2025-03-01,47383,59,XS,LT,RT,76,1,K76.89,22\n"
)


@pytest.fixture(scope="module")
def client():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app

        app = create_app(ServerSettings(api_key=API_KEY, max_upload_bytes=1024 * 1024))
    with TestClient(app, headers={"X-API-Key": API_KEY}) as test_client:
        yield test_client


def test_api_check_with_five_modifiers_answers_200(client):
    answer = client.post("/api/check", files={"file": ("claims.csv", FIVE_SLOTS, "text/csv")})
    assert answer.status_code == 200, answer.text
    rule_ids = [f["rule_id"] for f in answer.json()["findings"]]
    assert "INP002" in rule_ids
