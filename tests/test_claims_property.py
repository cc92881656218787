"""Property: nothing is lost, whatever the input looks like.

For random messy claim tables (blank rows, missing codes, bad dates and units, numbers as
codes, cells with quotes, delimiters and newlines) the reader accounts for every non-blank
row exactly once, rejects exactly the rows a plain per-row oracle says it should, and reads a
CSV file the same way as the same cells handed over in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from addin.claims import read_claims

HEADER = ["Claim ID", "Patient ID", "DOS", "CPT", "Mod1", "Mod2", "Units", "DX", "POS", "Note"]

# (cell, is it readable?) per field; validity decided by hand, not by the reader.
CODES = {
    "99213": True,
    "00100": True,
    "100": True,
    "47383.0": True,
    " g0364 ": True,
    "0397T": True,
    "=SUM(A1)": True,
    "@x": True,
    "": False,
    "  ": False,
}
DATES = {
    "2026-01-05": True,
    "1/5/2026": True,
    "1/5/26": True,
    "20260105": True,
    "46027": True,
    "2026-01-05 10:00": True,
    "2026-13-45": False,
    "yesterday": False,
    "0": False,
    "": False,
}
UNITS = {"": True, "1": True, "2.0": True, "+3": True, "2.5": False, "-1": False, "x": False}
OBJ_CODES = {100: True, 47383.0: True, 99213: True, None: False}
OBJ_DATES = {
    46027: True,
    46027.5: True,
    dt.date(2026, 1, 5): True,
    dt.datetime(2026, 1, 5, 9): True,
    None: False,
    -1: False,
}
OBJ_UNITS = {None: True, 1: True, 2.0: True, 1.5: False, -2: False}

# Free text as people type it: printable characters plus the ones CSV must quote.
free_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from([",", ";", "\t", "|", '"', "\n"]),
    ),
    max_size=12,
)


@st.composite
def text_row(draw) -> list[str]:
    if draw(st.integers(0, 9)) == 0:
        return [draw(st.sampled_from(["", " "])) for _ in HEADER]  # blank row
    return [
        draw(st.sampled_from(["C1", "C2", "", "C 3"])),
        draw(st.sampled_from(["P1", "", "P2"])),
        draw(st.sampled_from(sorted(DATES))),
        draw(st.sampled_from(sorted(CODES))),
        draw(st.sampled_from(["", "59", "xs", "25 59"])),
        draw(st.sampled_from(["", "LT", "59,XS"])),
        draw(st.sampled_from(sorted(UNITS))),
        draw(st.sampled_from(["", "I10", "e11.9, I10", "K83.1;Z00.00"])),
        draw(st.sampled_from(["", "11", "2", "22"])),
        draw(free_text),
    ]


def expected_rows(
    rows: list[list[object]], code_ok, date_ok, units_ok
) -> tuple[set[int], set[int]]:
    """Per-row oracle: (rows to check, rows to reject); blank rows in neither."""
    checked: set[int] = set()
    rejected: set[int] = set()
    for number, row in enumerate(rows, start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        ok = code_ok(row[3]) and date_ok(row[2]) and units_ok(row[6])
        (checked if ok else rejected).add(number)
    return checked, rejected


def assert_accounted(result, checked: set[int], rejected: set[int]) -> None:
    result.verify()
    assert set(result.lines["row"]) == checked
    assert set(result.rejected["row"]) == rejected
    meta = result.meta
    assert (
        meta["rows_read"] == meta["rows_checked"] + meta["rows_rejected"] == len(checked | rejected)
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(text_row(), max_size=40))
def test_text_cells_every_row_accounted_for(rows):
    result = read_claims([HEADER, *rows])
    checked, rejected = expected_rows(rows, CODES.get, DATES.get, UNITS.get)
    assert_accounted(result, checked, rejected)
    assert result.meta["blank_rows"] == len(rows) - len(checked | rejected)


@st.composite
def object_row(draw) -> list[object]:
    if draw(st.integers(0, 9)) == 0:
        return [None] * len(HEADER)
    return [
        draw(st.sampled_from(["C1", 1001.0, None])),
        draw(st.sampled_from(["P1", 7.0, None])),
        draw(st.sampled_from(list(OBJ_DATES) + sorted(DATES))),
        draw(st.sampled_from(list(OBJ_CODES) + sorted(CODES))),
        draw(st.sampled_from([None, 59.0, "XS"])),
        None,
        draw(st.sampled_from(list(OBJ_UNITS) + sorted(UNITS))),
        draw(st.sampled_from([None, "I10"])),
        draw(st.sampled_from([None, 11.0, "02"])),
        draw(st.one_of(st.none(), free_text, st.floats(allow_nan=True))),
    ]


def _lookup(*tables):
    def ok(value):
        for table in tables:
            try:
                if value in table and type(value) in {type(k) for k in table if k == value}:
                    return table[value]
            except TypeError:
                continue
        raise AssertionError(f"unexpected test value {value!r}")

    return ok


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(object_row(), max_size=30), st.booleans())
def test_typed_cells_every_row_accounted_for(rows, as_frame):
    frame_or_grid = (
        pd.DataFrame(rows, columns=HEADER, dtype=object) if as_frame else [HEADER, *rows]
    )
    result = read_claims(frame_or_grid)
    checked, rejected = expected_rows(
        rows, _lookup(OBJ_CODES, CODES), _lookup(OBJ_DATES, DATES), _lookup(OBJ_UNITS, UNITS)
    )
    assert_accounted(result, checked, rejected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(text_row(), max_size=25),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_csv_reads_like_the_same_cells_in_memory(rows, delimiter, encoding):
    if encoding == "cp1252":
        rows = [[c.encode("cp1252", "replace").decode("cp1252") for c in r] for r in rows]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([HEADER, *rows])
    data = buffer.getvalue().encode(encoding)
    if encoding == "cp1252":
        # cp1252 bytes that also happen to be valid UTF-8 (e.g. "Â\xa0") are read as UTF-8,
        # as every encoding sniffer must; real cp1252 text does not look like that. Mixed
        # files are decoded line by line, so this holds for each line, not only the file.
        lines = re.split(rb"[\r\n]", data)
        assume(not any(_is_utf8(line) and not line.isascii() for line in lines))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.csv"
        path.write_bytes(data)
        from_file = read_claims(path)
    in_memory = read_claims([HEADER, *rows])
    checked, rejected = expected_rows(rows, CODES.get, DATES.get, UNITS.get)
    assert_accounted(from_file, checked, rejected)
    pd.testing.assert_frame_equal(
        from_file.lines.drop(columns=["Note"]).astype(str),
        in_memory.lines.drop(columns=["Note"]).astype(str),
    )
    # text cells survive exactly (quotes, delimiters, newlines) apart from the stripping
    assert [str(v) for v in from_file.lines["Note"]] == [str(v) for v in in_memory.lines["Note"]]
    pd.testing.assert_frame_equal(from_file.rejected, in_memory.rejected)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
