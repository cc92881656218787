"""AOC importer: the official XLSX (Julian dates, CCCCC primaries) and its failure modes."""

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
AOC = SHARED / "cms" / "aoc" / "AOC_V2026Q2-MCR.xlsx"

HEADER = [
    "AOC_Edit_Type",
    "Add-On_Code",
    "AOC_DelDT",
    "Primary_Code",
    "Primary_Code_DelDT",
    "AOC_Edit_EffDT",
    "AOC_Edit_DelDT",
    "Special_Instruction_Notes",
]


def aoc_xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    """An official-layout AOC workbook built in code: notice row, header row, rows."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Current Procedural Terminology (CPT) codes ... American Medical Association."])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ROWS = [
    ["2", "0054T", "", "CCCCC", "", "2013091", "", "Contractor Defined Primary Codes"],
    ["1", "0079T", "2013365", "0078T", "2013365", "2013091", "2013365", ""],
    [1, 77002, None, 10005, None, 2024001, None, None],
]


def test_rows_and_julian_dates():
    result = parse("AOC_V2026Q3-MCR.xlsx", aoc_xlsx(ROWS))
    frame = result.frame
    assert (result.table, result.setting, result.vintage, result.layout) == (
        "aoc",
        "all",
        dt.date(2026, 7, 1),
        "aoc-xlsx",
    )
    assert list(frame.columns) == schema.COLUMNS[schema.AOC]
    assert frame.edit_type.tolist() == [2, 1, 1]
    assert frame.primary_code.tolist() == [schema.CONTRACTOR_DEFINED_PRIMARY, "0078T", "10005"]
    assert frame.addon_code.tolist() == ["0054T", "0079T", "77002"]
    assert frame.effective_date.tolist() == [
        pd.Timestamp("2013-04-01"),
        pd.Timestamp("2013-04-01"),
        pd.Timestamp("2024-01-01"),
    ]
    assert frame.deletion_date.iloc[1] == pd.Timestamp("2013-12-31")
    assert pd.isna(frame.deletion_date.iloc[0])
    assert frame.notes.tolist() == ["Contractor Defined Primary Codes", "", ""]


@pytest.mark.parametrize(
    ("bad", "column", "reason"),
    [
        (["4", "0054T", "", "CCCCC", "", "2013091", "", ""], "AOC_Edit_Type", "not one of 1, 2, 3"),
        (["1", "0054T", "", "CCCCC", "", "2023366", "", ""], "AOC_Edit_EffDT", "not a date"),
        (["1", "0054T", "", "CCCCC", "", "20130", "", ""], "AOC_Edit_EffDT", "not a date"),
        (["1", "", "", "CCCCC", "", "2013091", "", ""], "Add-On_Code", "missing code"),
    ],
)
def test_bad_rows_refused_with_row_and_column(bad, column, reason):
    with pytest.raises(InputFileError) as info:
        parse_source(Source("AOC_V2026Q3-MCR.xlsx", aoc_xlsx([*ROWS, bad])))
    assert (info.value.line, info.value.column) == (6, column)
    assert reason in info.value.reason


def test_missing_column_refused():
    with pytest.raises(InputFileError, match="Special_Instruction_Notes"):
        parse_source(Source("AOC_V2026Q3-MCR.xlsx", aoc_xlsx(ROWS, HEADER[:-1])))


def test_renamed_file_needs_a_vintage():
    data = aoc_xlsx(ROWS)
    with pytest.raises(InputFileError, match="--vintage"):
        parse_source(Source("addons.xlsx", data))
    assert parse("addons.xlsx", data, vintage=dt.date(2026, 7, 1)).layout == "aoc-xlsx"


@pytest.fixture(scope="module")
def aoc_2026q2() -> pd.DataFrame:
    path = need(AOC)
    result = parse(path.name, path.read_bytes())
    assert (result.vintage, len(result.frame)) == (dt.date(2026, 4, 1), 9_000)
    return result.frame


def test_fact_0397t_type_1_with_ercp_primaries(aoc_2026q2):
    rows = aoc_2026q2[aoc_2026q2.addon_code == "0397T"]
    assert set(rows.edit_type) == {1}
    expected = {f"{c}" for c in [*range(43260, 43266), *range(43274, 43279)]}
    assert set(rows.primary_code) == expected


def test_fact_77002_type_1_without_47383(aoc_2026q2):
    rows = aoc_2026q2[aoc_2026q2.addon_code == "77002"]
    assert set(rows.edit_type) == {1}
    assert rows.primary_code.nunique() == 77
    assert "47383" not in set(rows.primary_code)


def test_fact_77001_type_2_contractor_defined(aoc_2026q2):
    rows = aoc_2026q2[aoc_2026q2.addon_code == "77001"]
    assert set(rows.edit_type) == {2}
    assert set(rows.primary_code) == {"CCCCC"}
