"""Claim-check answers and limits of the server: streamed JSON and JSON Lines, counts only,
the workbook from a temporary file, the findings cap (422), the check deadline (422) and queue
(503), our errors as 400, bad uploads never a 500, and no upload bytes in any log record."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi import HTTPException  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from addin.server.config import ServerSettings  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = PROJECT_ROOT / "data" / "sample_claims.csv"
API_KEY = "answers-key-19"
HEADER = "claim_id,patient_id,dos,cpt,modifiers,units,dx\n"


def make_client(**settings) -> TestClient:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app

        app = create_app(ServerSettings(api_key=API_KEY, **settings))
    return TestClient(app, headers={"X-API-Key": API_KEY})


@pytest.fixture(scope="module")
def client():
    return make_client()


@pytest.fixture(scope="module")
def capped():
    return make_client(max_answer_findings=3)


def upload(client, name="sample_claims.csv", content=None, **params):
    content = SAMPLE_CSV.read_bytes() if content is None else content
    return client.post("/api/check", params=params, files={"file": (name, content)})


# ---------------------------------------------------------------------------- answers
def test_json_answer_is_streamed_and_keeps_its_shape(client):
    from addin.checker import check
    from addin.server.api import findings_payload

    answer = upload(client)
    assert answer.status_code == 200, answer.text
    assert "content-length" not in answer.headers  # streamed, not one rendered document
    body = answer.json()
    expected = findings_payload(check(SAMPLE_CSV, source_name="sample_claims.csv"), "sample_claims.csv")
    assert list(body) == ["file", "counts", "exit_code", "columns", "findings"]
    assert body["findings"] == expected["findings"] and body["counts"] == expected["counts"]
    assert answer.headers["x-findings"] == str(body["counts"]["findings"])


def test_json_batches_join_into_the_same_document():
    from addin.checker import check
    from addin.server.answers import json_chunks, jsonl_chunks
    from addin.server.api import findings_payload

    result = check(SAMPLE_CSV, source_name="s.csv")
    assert len(result.findings) > 5
    chunks = list(json_chunks(result, "s.csv", batch_rows=2))
    assert len(chunks) > 4
    assert json.loads(b"".join(chunks)) == findings_payload(result, "s.csv")
    lines = b"".join(jsonl_chunks(result, "s.csv", batch_rows=2)).decode().splitlines()
    assert json.loads(lines[0])["counts"] == result.counts
    assert [json.loads(line) for line in lines[1:]] == findings_payload(result, "s.csv")["findings"]


def test_counts_only_and_json_lines_answers(client):
    counts = upload(client, answer="counts")
    assert counts.status_code == 200, counts.text
    assert set(counts.json()) == {"file", "counts", "exit_code"}
    lines = upload(client, format="jsonl")
    assert lines.status_code == 200 and lines.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in lines.text.splitlines()]
    assert rows[0]["counts"]["findings"] == len(rows) - 1 > 0
    assert {"row", "rule_id", "severity"} <= set(rows[1])
    assert upload(client, answer="everything").status_code == 400


def test_too_many_findings_are_refused_with_what_to_do(capped, tmp_path, monkeypatch):
    for params in ({}, {"format": "jsonl"}):
        refused = upload(capped, **params)
        assert refused.status_code == 422, refused.text
        detail = refused.json()["detail"]
        assert "at most 3" in detail and "answer=counts" in detail and "format=xlsx" in detail
        assert "cpt-addin check" in detail
    assert upload(capped, answer="counts").status_code == 200
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    workbook = upload(capped, format="xlsx")
    assert workbook.status_code == 200
    assert int(workbook.headers["content-length"]) == len(workbook.content)
    assert zipfile.is_zipfile(io.BytesIO(workbook.content))
    assert list(tmp_path.iterdir()) == []  # upload and workbook both gone
    rows = [line.split(",") for line in SAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()[:30]]
    sheet = capped.post("/api/check-sheet", json={"values": rows})
    assert sheet.status_code == 422 and "at most 3" in sheet.json()["detail"]


# ---------------------------------------------------------------------------- check limits
def test_a_check_past_its_deadline_is_stopped_and_answered_422(monkeypatch):
    import addin.checker

    stopped = threading.Event()

    def endless_check(source, progress, **kwargs):
        from addin.server.limits import CheckStopped

        try:
            while True:
                progress("checking", 0, 1)
                threading.Event().wait(0.01)
        except CheckStopped:
            stopped.set()
            raise

    monkeypatch.setattr(addin.checker, "check", endless_check)
    slow = make_client(check_timeout_seconds=1)
    answer = upload(slow)
    assert answer.status_code == 422, answer.text
    assert "did not finish within 1 s" in answer.json()["detail"]
    assert stopped.wait(5)  # the thread stopped at its next step; nothing keeps running


def test_limiter_queues_then_refuses_503_and_frees_its_slot():
    from addin.server.limits import CheckLimiter

    limiter = CheckLimiter(1, 30, queue=0)
    release = threading.Event()

    async def scenario() -> None:
        first = asyncio.ensure_future(limiter.run(lambda deadline: release.wait(10), "first"))
        await asyncio.sleep(0.05)
        with pytest.raises(HTTPException) as busy:
            await limiter.run(lambda deadline: 1, "second")
        assert busy.value.status_code == 503 and busy.value.headers["Retry-After"]
        release.set()
        assert await first is True
        assert await limiter.run(lambda deadline: 2, "third") == 2

    asyncio.run(scenario())
    assert limiter.pending == 0


def test_our_errors_are_400_wherever_they_come_from(client, monkeypatch):
    from addin.errors import InputFileError
    from addin.server import api

    def refuse(*args):
        raise InputFileError("codes.csv", "no code column", line=3)

    monkeypatch.setattr(api, "code_answer", refuse)
    answer = client.get("/api/code/47383")
    assert answer.status_code == 400
    assert answer.json()["detail"] == "codes.csv, line 3: no code column"


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (300 * 1024 * 1024))
    return buffer.getvalue()


BAD_UPLOADS = {
    "empty": ("claims.csv", b""),
    "not-claims": ("notes.csv", b"shopping,list\nmilk,2\nbread,1\n"),
    "random-bytes-csv": ("claims.csv", random.Random(3).randbytes(4096)),
    "random-bytes-xlsx": ("claims.xlsx", random.Random(4).randbytes(4096)),
    "zip-bomb": ("claims.xlsx", None),
    "wide-rows": ("wide.csv", (",".join(f"c{i}" for i in range(20_000)) + "\n").encode() * 3),
    "header-only": ("claims.csv", HEADER.encode()),
    "utf16": ("claims.csv", HEADER.encode("utf-16")),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_get_a_clear_answer_never_500(client, case):
    name, content = BAD_UPLOADS[case]
    if content is None:
        content = _zip_bomb()
    answer = upload(client, name=name, content=content)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.json()["detail"]
        assert "/tmp" not in answer.text and "cpt-addin-upload-" not in answer.text


def test_five_modifiers_on_a_line_is_not_a_500(client):
    line = "C1,P1,2026-05-04,43235,\"25,59,76,77,91\",1,K21.9\n"
    answer = upload(client, name="claims.csv", content=(HEADER + line).encode())
    assert answer.status_code < 500, answer.text


# ---------------------------------------------------------------------------- logs
def test_no_upload_bytes_reach_any_log_record(client, caplog):
    from addin.server.access_log import WITHHELD

    secret = "PATIENT-SECRET-2207"
    caplog.set_level(logging.DEBUG)
    good = (HEADER + f"C9,{secret},2026-05-04,43235,,1,K21.9\n").encode()
    assert upload(client, name=f"{secret}.csv", content=good).status_code == 200
    part = (b'--bound\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            + secret.encode() + b"\x01: x\r\n\r\n" + good + b"\r\n--bound--\r\n")
    for body in (part, b"--bXund\r\n" + good):
        refused = client.post("/api/check", content=body,
                              headers={"Content-Type": "multipart/form-data; boundary=bound"})
        assert refused.status_code == 400
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    parser = [r for r in records if r.name.startswith(("multipart", "python_multipart"))]
    assert parser, "the malformed uploads should have made the parser log something"
    assert {r.getMessage() for r in parser} == {WITHHELD}
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in records)
    assert secret not in text
    assert "POST /api/check 200" in text and "POST /api/check 400" in text


def test_an_upload_without_length_is_refused_413_while_it_arrives():
    small = make_client(max_upload_bytes=64 * 1024)

    def body():
        yield b'--bound\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\n' + HEADER.encode()
        for _ in range(1000):  # 1 MB in all, far past the limit
            yield b"C1,P1,2026-05-04,43235,,1,K21.9\n" * 32

    answer = small.post("/api/check", content=body(),
                        headers={"Content-Type": "multipart/form-data; boundary=bound"})
    assert answer.status_code == 413
    assert "64 KB" in answer.json()["detail"]
