"""HCPCS Level II importers: ANWEB (modifier rows, continuation lines, dates) and derived CSVs."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import require_shared as need
from importer_helpers import parse

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers import Source, parse_source

SHARED = Path(__file__).parents[1].parent / "shared"
ANWEB_EXCERPT = SHARED / "cms-layouts" / "HCPC2026_OCT_ANWEB.excerpt.csv"
DERIVED_2023 = SHARED / "cms" / "hcpcs" / "hcpcs_level2_2023.derived.csv"
DERIVED_2024 = SHARED / "cms" / "hcpcs" / "hcpcs_level2_descriptions_2024.derived.csv"

ANWEB_HEADER = [
    "HCPC",
    "SEQNUM",
    "RECID",
    "LONG DESCRIPTION",
    "SHORT DESCRIPTION",
    "PRICE1",
    "ADD DT",
    "ACT EFF DT",
    "TERM DT",
    "ACTION CD",
]


def anweb_csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(ANWEB_HEADER)] + [",".join(f'"{c}"' for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_anweb_excerpt_modifiers():
    result = parse(ANWEB_EXCERPT.name, need(ANWEB_EXCERPT).read_bytes())
    frame = result.frame.set_index("code")
    assert (result.vintage, result.layout, len(frame)) == (
        dt.date(2026, 10, 1),
        "hcpcs-anweb-csv",
        35,
    )
    assert list(result.frame.columns) == schema.COLUMNS[schema.HCPCS]
    assert (frame.kind == "modifier").all()
    assert "A1" in frame.index  # leading spaces of modifier HCPCs removed
    assert frame.loc["A1", "long_description"] == "Dressing for one wound"
    assert frame.loc["AA", "add_date"] == pd.Timestamp("1984-01-01")
    assert frame.loc["AA", "effective_date"] == pd.Timestamp("2001-01-01")
    assert frame.loc["CP", "termination_date"] == pd.Timestamp("2017-12-31")
    assert pd.isna(frame.loc["A1", "termination_date"])
    assert frame.loc["A1", "action_code"] == "N"
    assert frame.loc["AB", "long_description"].startswith("Audiology service furnished")


def test_continuation_lines_are_joined_to_the_first_line():
    rows = [
        [
            "G0503",
            "0010",
            "3",
            "Subsequent psychiatric collaborative care management, first",
            "Subseq psych care man",
            "",
            "20180101",
            "20180101",
            "",
            "N",
        ],
        ["G0503", "0020", "4", "60 minutes in a subsequent month", "", "", "", "", "", ""],
        [
            "G0503",
            "0030",
            "4",
            "of behavioral health care manager activities",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "   XE",
            "0010",
            "7",
            "Separate encounter, a service that is distinct because it",
            "Separate encounter",
            "",
            "20150101",
            "20150101",
            "",
            "N",
        ],
        ["   XE", "0020", "8", "occurred during a separate encounter", "", "", "", "", "", ""],
        [
            "A0021",
            "0010",
            "3",
            "Ambulance service, outside state per mile",
            "Outside state ambulance serv",
            "",
            "19950101",
            "19950101",
            "",
            "N",
        ],
    ]
    frame = parse("HCPC2026_JAN_ANWEB.csv", anweb_csv(rows)).frame.set_index("code")
    assert list(frame.index) == ["G0503", "XE", "A0021"]
    assert frame.loc["G0503", "long_description"] == (
        "Subsequent psychiatric collaborative care management, first 60 minutes in a subsequent "
        "month of behavioral health care manager activities"
    )
    assert frame.loc["G0503", "short_description"] == "Subseq psych care man"
    assert frame.loc["G0503", "kind"] == "code"
    assert frame.loc["XE", "long_description"].endswith(
        "distinct because it occurred during a separate encounter"
    )
    assert frame.loc["XE", "kind"] == "modifier"


def test_continuation_without_first_line_is_refused():
    rows = [["G0503", "0020", "4", "orphan", "", "", "", "", "", ""]]
    with pytest.raises(InputFileError, match="continuation") as info:
        parse_source(Source("HCPC2026_JAN_ANWEB.csv", anweb_csv(rows)))
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["A0021", "0010", "5", "x", "x", "", "19950101", "19950101", "", "N"], "RECID"),
        (["A0021", "0010", "3", "x", "x", "", "1995-13-01", "19950101", "", "N"], "ADD DT"),
        (["A002", "0010", "3", "x", "x", "", "19950101", "19950101", "", "N"], "HCPC"),
    ],
)
def test_bad_anweb_rows_refused(row, column):
    with pytest.raises(InputFileError) as info:
        parse_source(Source("HCPC2026_JAN_ANWEB.csv", anweb_csv([row])))
    assert (info.value.line, info.value.column) == (2, column)


def test_anweb_xlsx():
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(ANWEB_HEADER)
    ws.append(
        [
            "J1100",
            "0010",
            3,
            "Injection, dexamethasone sodium phosphate, 1 mg",
            "Dexamethasone sodium phos",
            None,
            20040101,
            20040101,
            None,
            "N",
        ]
    )
    ws.append(
        [
            "   26",
            "0010",
            7,
            "Professional component",
            "Professional component",
            None,
            19840101,
            19840101,
            None,
            "N",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    result = parse("HCPC2026_OCT_ANWEB.xlsx", buffer.getvalue())
    assert result.layout == "hcpcs-anweb-xlsx"
    assert result.frame.code.tolist() == ["J1100", "26"]
    assert result.frame.kind.tolist() == ["code", "modifier"]
    assert result.frame.add_date.iloc[0] == pd.Timestamp("2004-01-01")


def test_derived_2023_records():
    result = parse(DERIVED_2023.name, need(DERIVED_2023).read_bytes())
    frame = result.frame.set_index("code")
    assert (result.vintage, result.layout) == (dt.date(2023, 1, 1), "hcpcs-derived-records-csv")
    assert len(frame) == 7_500  # 7,501 lines, G0503's continuation joined
    assert (frame.kind == "modifier").sum() == 375
    assert frame.loc["G0503", "long_description"].endswith(
        "as they achieve remission of symptoms and/or other treatment goals and are prepared "
        "for discharge from active treatment"
    )
    assert frame.add_date.isna().all()


def test_derived_2024_codes():
    result = parse(DERIVED_2024.name, need(DERIVED_2024).read_bytes())
    frame = result.frame.set_index("code")
    assert (result.vintage, result.layout, len(frame)) == (
        dt.date(2024, 1, 1),
        "hcpcs-derived-codes-csv",
        8_033,
    )
    assert frame.loc["A0021", "short_description"] == "Outside state ambulance serv"
    assert (frame.kind == "code").all()
