"""Fuzz the server's claim-check API: hostile uploads and sheets answer 2xx or 4xx, never 5xx.

Properties, through FastAPI's TestClient (the app built once for the module):

- ``POST /api/check`` with a mutated CSV/TSV/TXT or xlsx/xlsm file (odd file names too): the
  status is below 500 and no exception escapes the app; a 200 JSON answer has rows read =
  checked + rejected and exit code 0 or 1; a 4xx answer carries a ``detail`` message;
- ``POST /api/check-sheet`` with arbitrary JSON cells: below 500;
- ``GET /api/code/{code}`` and ``/api/conflicts`` with arbitrary text: below 500.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402
from fuzz_helpers import (  # noqa: E402
    ByteOp,
    RawCase,
    TextCase,
    WorkbookCase,
    describe,
    explicit_text_cases,
    fuzz_settings,
    hostile_text_cases,
    hostile_workbook_cases,
    sample_rows,
    sample_xlsx,
    with_declared_size,
    zip_bomb,
    zip_members,
)
from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

API_KEY = "fuzz-key-2c9d"
UPLOAD_LIMIT = 8 * 1024 * 1024
BOMB_BYTES = 100 << 20


@pytest.fixture(scope="module")
def client():
    from addin.server.config import ServerSettings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app

        settings = ServerSettings(api_key=API_KEY, max_upload_bytes=UPLOAD_LIMIT)
        app = create_app(settings)
    return TestClient(app, headers={"X-API-Key": API_KEY})


def call(client, case, method: str, url: str, **kwargs):
    """Send one request; fail naming the case when the app raised or answered 5xx."""
    try:
        answer = client.request(method, url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the property: nothing escapes the app
        pytest.fail(
            f"{describe(case)}: {method} {url} raised {type(exc).__name__}: {str(exc)[:200]}",
            pytrace=False,
        )
    assert answer.status_code < 500, f"{describe(case)}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        detail = answer.json().get("detail")
        assert detail, f"{describe(case)}: {answer.status_code} without a detail message"
    return answer


def upload(client, case, name: str, data: bytes, output: str = "json"):
    """POST the file to /api/check; check the counts of a JSON answer."""
    answer = call(
        client, case, "POST", "/api/check", params={"format": output}, files={"file": (name, data)}
    )
    if answer.status_code == 200 and output == "json":
        body = answer.json()
        counts = body["counts"]
        read, checked, rejected = (
            counts["rows_read"],
            counts["rows_checked"],
            counts["rows_rejected"],
        )
        assert read == checked + rejected, f"{describe(case)}: {counts}"
        assert body["exit_code"] in (0, 1), describe(case)
        assert counts["findings"] == len(body["findings"]), describe(case)
    return answer


ODD_NAMES = st.sampled_from(
    (
        "claims",
        "../../etc/claims",
        "C:\\Users\\x\\claims",
        "claims\u202e",
        "ｃｌａｉｍｓ",
        "a" * 300,
        "",
        ".",
    )
)


@fuzz_settings(max_examples=12)
@given(case=hostile_text_cases, stem=ODD_NAMES, output=st.sampled_from(("json", "json", "xlsx")))
@example(case=TextCase(ops=(ByteOp("nul", 300),)), stem="claims", output="json")
def test_upload_of_hostile_text(client, case, stem, output):
    upload(client, case, stem + case.suffix, case.build(), output)


@fuzz_settings(max_examples=8)
@given(case=hostile_workbook_cases, output=st.sampled_from(("json", "json", "xlsx")))
@example(case=WorkbookCase(ops=(ByteOp("truncate", 3000),)), output="json")
def test_upload_of_hostile_workbooks(client, case, output):
    upload(client, case, "claims" + case.suffix, case.build(), output)


def _explicit_uploads() -> list[RawCase]:
    parts = [(info.filename, data) for info, data in zip_members(sample_xlsx())]
    sheet = "xl/worksheets/sheet1.xml"
    others = [(n, d) for n, d in parts if n != sheet]
    small = {
        "empty file",
        "header only",
        "NUL bytes only",
        "4 MB cell in the Scenario column",
        "modifiers cell with 8 modifiers",
    }  # the wide rows go through the CLI only
    cases = [c for c in explicit_text_cases() if c.label in small]
    return [
        *cases,
        RawCase(
            "claims.xlsx",
            "zip bomb beside the sheet",
            zip_bomb(parts, "xl/media/x.bin", BOMB_BYTES),
        ),
        RawCase(
            "claims.xlsx",
            "sheet of zeros declared 1 000 bytes",
            with_declared_size(zip_bomb(others, sheet, BOMB_BYTES), sheet, 1000),
        ),
        RawCase("claims.xlsx", "empty xlsx", b""),
        RawCase(
            "claims.csv", "over the upload limit", b"cpt\n" + b"47383\n" * (UPLOAD_LIMIT // 6 + 1)
        ),
    ]


@pytest.mark.parametrize("case", _explicit_uploads(), ids=lambda c: c.label)
def test_upload_of_explicit_hostile_files(client, case):
    answer = upload(client, case, case.name, case.build())
    if case.label == "over the upload limit":
        assert answer.status_code == 413
    if case.name.endswith(".xlsx") and "zip bomb" in case.label:
        assert answer.status_code == 400


def test_upload_without_a_file_field_is_4xx(client):
    call(client, "no file field", "POST", "/api/check", data={"other": "x"})
    call(
        client,
        "not multipart",
        "POST",
        "/api/check",
        content=b"cpt\n47383\n",
        headers={"Content-Type": "text/csv"},
    )


# ----------------------------------------------------------------------------- sheets and lookups

json_cells = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.sampled_from(("47383", "43235", "2026-05-04", "26,XS", "K22.0", "=1+1", "", " ")),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=3,
)


@st.composite
def sheets(draw):
    """A used range: the sample header (maybe mangled) and rows of arbitrary JSON cells."""
    header = list(sample_rows()[0][:9])
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.booleans()):
        header = [draw(st.one_of(st.just(h), json_cells)) for h in header]
    width = draw(st.integers(1, 12))
    rows = draw(st.lists(st.lists(json_cells, min_size=0, max_size=width), max_size=6))
    if draw(st.booleans()):  # some real rows among them
        rows += [list(r[:9]) for r in sample_rows()[1:6]]
    return {
        "values": [header, *rows],
        "first_row": draw(st.integers(1, 2**40)),
        "sheet": draw(st.text(max_size=20)),
        "setting": draw(st.one_of(st.none(), st.sampled_from(("practitioner", "dme", "moon")))),
    }


@fuzz_settings(max_examples=12)
@given(body=sheets())
@example(body={"values": [list(sample_rows()[0][:9]), [{"a": 1}, *sample_rows()[1][1:9]]]})
@example(body={"values": [list(sample_rows()[0][:9]), [["x"], *sample_rows()[1][1:9]]]})
def test_check_sheet_with_arbitrary_cells(client, body):
    answer = call(client, body, "POST", "/api/check-sheet", json=body)
    if answer.status_code == 200:
        counts = answer.json()["counts"]
        assert counts["rows_read"] == counts["rows_checked"] + counts["rows_rejected"], body


@fuzz_settings(max_examples=30)
@given(
    code=st.text(min_size=1, max_size=40).filter(lambda t: "/" not in t and t not in (".", "..")),
    other=st.text(max_size=40),
    date=st.one_of(st.none(), st.text(max_size=20)),
    setting=st.one_of(st.none(), st.text(max_size=15)),
)
def test_lookups_with_arbitrary_text(client, code, other, date, setting):
    params = {k: v for k, v in (("date", date), ("setting", setting)) if v is not None}
    case = (code, other, date, setting)
    call(client, case, "GET", f"/api/code/{quote(code, safe='')}", params=params)
    call(
        client,
        case,
        "GET",
        "/api/conflicts",
        params={"code1": code, "code2": other, "mods1": other, **params},
    )
