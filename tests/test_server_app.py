"""The add-in server through FastAPI's TestClient: metadata, calls, guards, uploads, logs.

The xlwings licence key is set to ``noncommercial`` for these tests only; the app is built
once per module. Calls use the exact payload Office.js sends (EXCEL.md).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from addin.server.config import DEFAULT_MANIFEST_ID, ServerSettings  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = PROJECT_ROOT / "data" / "sample_claims.csv"
API_KEY = "test-key-7f3a"
CALL = "/xlwings/custom-functions-call"
OFFICE_ORIGIN = "https://excel.officeapps.live.com"

# A sample value for each parameter name the Excel functions use (one call of every function).
SAMPLE_ARGS = {
    "code": [["47383"]],
    "code1": [["43235"]],
    "code2": [["43497"]],
    "other_code": [["43497"]],
    "mods1": [[""]],
    "mods2": [["59"]],
    "modifier": [["59"]],
    "mod": [["59"]],
    "date": None,
    "date_of_service": None,
    "dos": None,
    "setting": [["practitioner"]],
    "field": [["global_days"]],
    "codes": [["43235"], ["43497"], ["47383"]],
    "claims": [
        ["claim_id", "patient_id", "dos", "cpt", "modifiers", "units", "dx"],
        ["C1", "P1", "2026-05-04", "43235", "", "1", "K21.9"],
        ["C1", "P1", "2026-05-04", "43497", "", "1", "K21.9"],
    ],
}


def office_payload(func_name: str, args: list) -> dict:
    """The body Office.js posts for one cell."""
    return {
        "client": "Office.js",
        "func_name": func_name,
        "args": args,
        "caller_address": "Sheet1!B2",
        "session_id": "3f0c9a6e-test",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
        "version": "0.37.8",
        "runtime": "1.4",
    }


@pytest.fixture(scope="module")
def app():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app

        settings = ServerSettings(api_key=API_KEY, max_call_bytes=64 * 1024, max_upload_bytes=1024 * 1024)
        return create_app(settings)


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app, headers={"X-API-Key": API_KEY})


@pytest.fixture(scope="module")
def anonymous(app):
    return TestClient(app)


def function_names(app) -> list[str]:
    return list(app.state.custom_functions.FUNCTION_NAMES)


def sample_args(app, name: str) -> list:
    import inspect

    function = getattr(app.state.custom_functions, name)
    args = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name not in SAMPLE_ARGS:
            assert parameter.default is not inspect.Parameter.empty, (
                f"add a sample value for {name}({parameter.name}) to SAMPLE_ARGS"
            )
            args.append(None)
        else:
            args.append(SAMPLE_ARGS[parameter.name])
    return args


# ---------------------------------------------------------------------------- open routes
def test_health_is_open_and_names_versions(anonymous):
    answer = anonymous.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["data_version"]
    assert "NCCI.CPT_DESC" in body["functions"]
    assert body["auth"] == ["api-key"]


def test_metadata_names_parameters_and_dimensionality(anonymous, app):
    meta = anonymous.get("/xlwings/custom-functions-meta").json()
    assert anonymous.get("/xlwings/custom-functions-meta.json").json() == meta
    functions = {f["id"]: f for f in meta["functions"]}
    assert sorted(functions) == sorted(n.upper() for n in function_names(app))
    for name in function_names(app):
        import inspect

        entry = functions[name.upper()]
        assert entry["name"] == name.upper()  # Excel adds the manifest namespace: NCCI.<name>
        assert entry["description"]
        assert entry["result"] == {"dimensionality": "matrix", "type": "any"}
        signature = inspect.signature(getattr(app.state.custom_functions, name))
        assert [p["name"] for p in entry["parameters"]] == list(signature.parameters)
        for parameter, described in zip(signature.parameters.values(), entry["parameters"], strict=True):
            assert described["dimensionality"] == "matrix"
            optional = parameter.default is not inspect.Parameter.empty
            assert described.get("optional", False) is optional


def test_manifest_has_stable_id_namespace_and_urls(anonymous):
    text = anonymous.get("/manifest.xml").text
    assert anonymous.get("/manifest.xml").text == text
    ns = {
        "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
        "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
        "ov": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
    }
    root = ElementTree.fromstring(text.encode("utf-8"))
    assert root.find("o:Id", ns).text == DEFAULT_MANIFEST_ID
    strings = {s.get("id"): s.get("DefaultValue") for s in root.iter(f"{{{ns['bt']}}}String")}
    assert strings["Functions.Namespace"] == "NCCI"
    urls = {u.get("id"): u.get("DefaultValue") for u in root.iter(f"{{{ns['bt']}}}Url")}
    assert urls["Functions.Metadata.Url"] == "http://127.0.0.1:8000/xlwings/custom-functions-meta.json"
    assert urls["Functions.Script.Url"] == "http://127.0.0.1:8000/xlwings/custom-functions-code.js"
    assert urls["Taskpane.Url"] == "http://127.0.0.1:8000/taskpane.html?office=1"
    for url in urls.values():
        path = url.removeprefix("http://127.0.0.1:8000").split("?")[0]
        assert anonymous.get(path).status_code == 200, path


def test_manifest_follows_the_configured_address():
    from addin.server.manifest import manifest_xml

    xml = manifest_xml(ServerSettings(host="0.0.0.0", port=9443, public_url="https://addin.example.org/"))
    assert "https://addin.example.org/taskpane.html?office=1" in xml
    assert "http://0.0.0.0" not in xml
    assert f"<Id>{DEFAULT_MANIFEST_ID}</Id>" in xml


def test_custom_functions_script_registers_every_function(anonymous, app):
    answer = anonymous.get("/xlwings/custom-functions-code.js")
    assert answer.headers["content-type"].startswith("text/javascript")
    js = answer.text
    assert "__" + "CALL_PATH__" not in js and '"__FUNCTIONS__"' not in js
    assert CALL in js
    for name in function_names(app):
        assert f'["{name}", "{name.upper()}"]' in js


def test_taskpane_loads_office_js_only_inside_office(anonymous):
    plain = anonymous.get("/taskpane.html")
    assert plain.status_code == 200
    assert "office.js" not in plain.text
    assert "/static/taskpane.js" in plain.text
    in_office = anonymous.get("/taskpane.html?office=1").text
    assert "appsforoffice.microsoft.com/lib/1/hosted/office.js" in in_office
    assert "/xlwings/custom-functions-code.js" in in_office
    assert anonymous.get("/static/taskpane.js").status_code == 200
    assert anonymous.get("/static/taskpane.css").status_code == 200
    icon = anonymous.get("/static/icon-32.png")
    assert icon.headers["content-type"] == "image/png" and icon.content.startswith(b"\x89PNG")
    assert anonymous.get("/static/../app.py").status_code == 404
    assert anonymous.get("/static/custom-functions.js").status_code == 404


# ---------------------------------------------------------------------------- calls
def test_call_cpt_desc_with_the_office_js_payload(client):
    answer = client.post(CALL, json=office_payload("cpt_desc", [[["47383"]]]))
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert isinstance(result, list) and isinstance(result[0], list)
    assert "47383" in str(result[0][0]) or "liver" in str(result[0][0]).lower()


def test_call_every_function(client, app):
    for name in function_names(app):
        answer = client.post(CALL, json=office_payload(name, sample_args(app, name)))
        assert answer.status_code == 200, (name, answer.text)
        result = answer.json()["result"]
        assert isinstance(result, list) and result and all(isinstance(row, list) for row in result), name


def test_bad_code_is_a_cell_message_not_an_error(client):
    answer = client.post(CALL, json=office_payload("cpt_desc", [[["ABC"]]]))
    assert answer.status_code == 200
    assert "ABC" in str(answer.json()["result"])


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (office_payload("no_such_function", [[["1"]]]), "unknown function"),
        (office_payload("cpt_desc", []), "takes"),
        (office_payload("cpt_desc", [[["1"]]] * 9), "takes"),
        (office_payload("cpt_desc", [{"a": 1}]), "argument 1"),
        (office_payload("cpt_desc", [[["1"], ["2", "3"]]]), "rows of different lengths"),
        (office_payload("cpt_desc", [[[{"x": 1}]]]), "cells must be"),
        ({"client": "Office.js", "args": []}, "func_name"),
        ({"func_name": "cpt_desc", "args": "47383"}, "args"),
    ],
)
def test_input_errors_are_400_not_500(client, payload, fragment):
    answer = client.post(CALL, json=payload)
    assert answer.status_code == 400, answer.text
    assert fragment in answer.json()["detail"]


def test_malformed_json_is_400(client):
    answer = client.post(CALL, content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400


def test_xlwings_error_is_400(client, app, monkeypatch):
    import xlwings

    original = app.state.custom_functions.cpt_desc

    async def failing(*args):
        raise xlwings.XlwingsError("that input cannot be used")

    failing.__xlfunc__ = original.__xlfunc__
    failing.__signature__ = original.__signature__
    monkeypatch.setattr(app.state.custom_functions, "cpt_desc", failing)
    answer = client.post(CALL, json=office_payload("cpt_desc", [[["47383"]]]))
    assert answer.status_code == 400
    assert "that input cannot be used" in answer.json()["detail"]


# ---------------------------------------------------------------------------- JSON API
def test_code_search_answers_facts_and_edits(client):
    body = client.get("/api/code/43235").json()
    assert body["code"] == "43235"
    assert body["known"] is True
    assert body["card"][0].startswith("43235")
    assert body["edits_total"] == len(body["edits"]) > 0
    first = body["edits"][0]
    assert {"other_code", "role", "modifier_indicator", "applies", "rationale"} <= set(first)


def test_conflicts_answers_the_verdict_either_order(client):
    one = client.get("/api/conflicts", params={"code1": "43235", "code2": "43497"}).json()
    two = client.get("/api/conflicts", params={"code1": "43497", "code2": "43235"}).json()
    assert one["verdict"] == two["verdict"]
    assert one["lines"][0] == one["headline"]


@pytest.mark.parametrize(
    "url",
    ["/api/code/47383?date=not-a-date", "/api/code/47383?setting=moon", "/api/code/" + "9" * 30,
     "/api/conflicts?code1=43235", "/api/conflicts?code1=&code2=43235"],
)
def test_api_input_errors_are_400(client, url):
    assert client.get(url).status_code == 400


def test_upload_returns_findings_json(client, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with SAMPLE_CSV.open("rb") as handle:
        answer = client.post("/api/check", files={"file": ("sample_claims.csv", handle, "text/csv")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["file"] == "sample_claims.csv"
    assert body["counts"]["findings"] == len(body["findings"]) > 0
    assert body["counts"]["rows_read"] > 0
    assert body["exit_code"] in (0, 1)
    assert {"row", "rule_id", "severity", "message"} <= set(body["findings"][0])
    assert list(tmp_path.iterdir()) == []  # the upload's temporary copy is gone


def test_upload_returns_the_audit_workbook(client, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with SAMPLE_CSV.open("rb") as handle:
        answer = client.post(
            "/api/check", params={"format": "xlsx"}, files={"file": ("sample_claims.csv", handle)}
        )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="sample_claims-audit.xlsx"' in answer.headers["content-disposition"]
    assert int(answer.headers["x-findings"]) > 0
    workbook = load_workbook(io.BytesIO(answer.content), read_only=True)
    assert "Findings" in workbook.sheetnames
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "content", "params"),
    [
        ("claims.pdf", b"%PDF-1.4", {}),
        ("claims.csv", b"a,b\n1,2\n", {"format": "pdf"}),
        ("claims.csv", SAMPLE_CSV.read_bytes() if SAMPLE_CSV.exists() else b"", {"setting": "moon"}),
        ("claims.xlsx", b"this is not a workbook", {}),
    ],
    ids=["not-a-claim-file", "bad-format", "bad-setting", "broken-xlsx"],
)
def test_upload_input_errors_are_400(client, name, content, params):
    answer = client.post("/api/check", params=params, files={"file": (name, content)})
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"]


def test_check_sheet_returns_a_findings_table_in_sheet_rows(client):
    rows = list(csv.reader(SAMPLE_CSV.open(encoding="utf-8-sig")))[:13]
    answer = client.post("/api/check-sheet", json={"values": rows, "first_row": 3, "sheet": "Claims"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    table = body["table"]
    assert table[0][:3] == ["Row", "Claim id", "Severity"]
    assert len(table) == body["counts"]["findings"] + 1 > 1
    # the used range starts on row 3: its header is row 3, the claims rows 4..15
    assert all(4 <= r[0] <= 15 for r in table[1:] if isinstance(r[0], int) and r[0] > 0)


def test_sheet_rows_are_renumbered_from_where_the_used_range_starts():
    import pandas as pd

    from addin.findings import FINDING_COLUMNS
    from addin.server.api import sheet_table

    findings = pd.DataFrame([{c: "" for c in FINDING_COLUMNS} | {"row": 2, "message": "=1+1"},
                             {c: "" for c in FINDING_COLUMNS} | {"row": 7}])
    table = sheet_table(findings, first_row=5)
    assert [r[0] for r in table[1:]] == [6, 11]
    assert table[1][8] == "=1+1"  # written as text by the task pane (number format "@")


# ---------------------------------------------------------------------------- guards
@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("post", CALL, {"json": office_payload("cpt_desc", [[["47383"]]])}),
        ("get", "/api/code/47383", {}),
        ("get", "/api/conflicts?code1=43235&code2=43497", {}),
        ("post", "/api/check-sheet", {"json": {"values": [["dos", "cpt"], ["2026-05-04", "47383"]]}}),
    ],
)
def test_authentication_refused_and_accepted(anonymous, method, url, kwargs):
    request = getattr(anonymous, method)
    refused = request(url, **kwargs)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert request(url, headers={"X-API-Key": "wrong"}, **kwargs).status_code == 401
    assert request(url, headers={"Authorization": "Bearer wrong"}, **kwargs).status_code == 401
    assert request(url, headers={"X-API-Key": API_KEY}, **kwargs).status_code == 200
    assert request(url, headers={"Authorization": f"Bearer {API_KEY}"}, **kwargs).status_code == 200


def test_cors_allows_office_origins_only(anonymous):
    def preflight(origin: str):
        return anonymous.options(
            CALL,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-api-key",
            },
        )

    for origin in (OFFICE_ORIGIN, "https://www.office.com", "https://outlook.office365.com",
                   "https://excel.cloud.microsoft.com", "http://127.0.0.1:8000"):
        allowed = preflight(origin)
        assert allowed.status_code == 200, origin
        assert allowed.headers["access-control-allow-origin"] == origin
    for origin in ("https://evil.example", "https://officeapps.live.com.evil.example",
                   "http://excel.officeapps.live.com", "https://evilmicrosoft.com"):
        refused = preflight(origin)
        assert refused.status_code == 400, origin
        assert "access-control-allow-origin" not in refused.headers
    simple = anonymous.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_request_size_limits_answer_413(client):
    big_call = office_payload("cpt_desc", [[["47383"]] * 10_000])
    answer = client.post(CALL, json=big_call)
    assert answer.status_code == 413
    assert "limit" in answer.json()["detail"] and "64 KB" in answer.json()["detail"]
    upload = client.post("/api/check", files={"file": ("big.csv", b"cpt\n" + b"47383\n" * 400_000)})
    assert upload.status_code == 413
    assert "1.0 MB" in upload.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b" " * 1024

    chunked = client.post(CALL, content=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413


def test_logs_carry_no_claim_content(client, caplog):
    secret_patient, secret_claim = "PATIENT-SECRET-4711", "CLAIM-SECRET-0815"
    caplog.set_level(logging.DEBUG)
    rows = [["claim_id", "patient_id", "dos", "cpt", "modifiers", "units", "dx"],
            [secret_claim, secret_patient, "2026-05-04", "43235", "", "1", "K21.9"],
            [secret_claim, secret_patient, "2026-05-04", "43497", "", "1", "K21.9"]]
    assert client.post("/api/check-sheet", json={"values": rows}).status_code == 200
    body = "\n".join(",".join(r) for r in rows).encode()
    assert client.post("/api/check", files={"file": ("claims.csv", body)}).status_code == 200
    client.post(CALL, json=office_payload("cpt_desc", [[[secret_patient]]]))
    client.post(CALL, json=office_payload("no_such", [[[secret_patient]]]))
    client.get(f"/api/code/{secret_patient[:7]}", params={"date": secret_claim})
    # what the server process writes (httpx/httpcore are this test's own client)
    text = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
        if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "POST /api/check-sheet 200" in text
    assert "GET /api/code/{code} 400" in text
    for secret in (secret_patient, secret_claim, secret_patient[:7]):
        assert secret not in text


def test_unexpected_errors_are_500_without_the_message_in_logs(client, app, monkeypatch, caplog):
    original = app.state.custom_functions.cpt_desc

    async def broken(*args):
        raise RuntimeError("PATIENT-" + "SECRET-in-exception")

    broken.__xlfunc__ = original.__xlfunc__
    broken.__signature__ = original.__signature__
    monkeypatch.setattr(app.state.custom_functions, "cpt_desc", broken)
    caplog.set_level(logging.INFO)
    answer = client.post(CALL, json=office_payload("cpt_desc", [[["47383"]]]))
    assert answer.status_code == 500
    assert "PATIENT-SECRET" not in answer.text
    assert "RuntimeError" in caplog.text
    assert "PATIENT-SECRET" not in caplog.text


# ---------------------------------------------------------------------------- licence
def test_without_a_licence_key_the_server_explains_and_nothing_else_breaks(monkeypatch, capsys):
    from addin.cli import main
    from addin.server.licence import LicenceMissing, load_xlwings_server

    monkeypatch.delenv("XLWINGS_LICENSE_KEY", raising=False)
    with pytest.raises(LicenceMissing) as info:
        load_xlwings_server()
    assert "https://www.xlwings.org/pricing" in str(info.value)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "XLWINGS_LICENSE_KEY" in err and "noncommercial" in err and "commercial licence" in err


def test_serve_refuses_an_open_api_on_a_public_address(monkeypatch, capsys):
    from addin.cli import main

    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    monkeypatch.delenv("CPT_ADDIN_API_KEY", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "refusing to serve an open API" in capsys.readouterr().err


def test_imports_need_no_key_and_xlwings_imported_first_still_works():
    """A fresh process: classic xlwings and every server module import without a key; the
    app built after the key is set still converts calls (officejs engine registered late)."""
    script = f"""
import os
os.environ.pop("XLWINGS_LICENSE_KEY", None)
os.environ.pop("XLWINGS_ON_SERVER", None)
import xlwings
import addin.server, addin.server.app, addin.server.functions, addin.server.auth, addin.server.api
import addin.cli.serve_cmd
from addin.cli import build_parser
build_parser()
assert "officejs" not in [e.name for e in xlwings.engines]
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
from fastapi.testclient import TestClient
from addin.server.app import create_app
from addin.server.config import ServerSettings
client = TestClient(create_app(ServerSettings()))
payload = {{"client": "Office.js", "func_name": "cpt_desc", "args": [[["47383"]]],
           "caller_address": "Sheet1!A1", "session_id": "s", "culture_info_name": "en-US",
           "date_format": "M/d/yyyy", "version": "0.37.8", "runtime": "1.4"}}
answer = client.post("{CALL}", json=payload)
assert answer.status_code == 200, answer.text
print("OK")
"""
    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_LICENSE_KEY", "XLWINGS_ON_SERVER")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("OK")
