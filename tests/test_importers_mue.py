"""MUE importers: official CSV and XLSX for the three settings, derived and plain CSV."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import require_shared as need
from importer_helpers import parse, refused

from addin.reference import schema

SHARED = Path(__file__).parents[1].parent / "shared"
OFFICIAL_CSV = SHARED / "cms" / "mue" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
OFFICIAL_XLSX = SHARED / "cms" / "mue" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.xlsx"
EXCERPT = SHARED / "cms-layouts" / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"
DERIVED = SHARED / "cms" / "mue"

NOTICE = (
    '"Current Procedural Terminology (CPT) codes, descriptions and other data only are '
    "copyright 2025 American Medical Association. All rights reserved. \n\nCPT\xae is a "
    'registered trademark of the American Medical Association.",,,\r\n'
)


def official(values_header: str, rows: list[str]) -> bytes:
    """An official-layout MUE CSV built in code (Latin-1, quoted notice, split header cell)."""
    header = f'"HCPCS/\nCPT Code",{values_header},MUE Adjudication Indicator,MUE Rationale\r\n'
    return (NOTICE + header + "".join(r + "\r\n" for r in rows)).encode("latin-1")


ROWS = [
    "0001U,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction",
    "0002M,1,3 Date of Service Edit: Clinical,Nature of Analyte",
    "A4206,0,1 Line Edit,CMS Policy",
]


@pytest.mark.parametrize(
    ("values_header", "setting"),
    [
        ("Practitioner Services MUE Values", "practitioner"),
        ("Outpatient Hospital Services MUE Values", "hospital"),
        ("DME Supplier Services MUE Values", "dme"),
    ],
)
def test_setting_comes_from_the_header(values_header, setting):
    """The file name says nothing; the header names the setting."""
    result = parse("mue_Eff_07-01-2026.csv", official(values_header, ROWS))
    assert (result.table, result.setting, result.vintage) == ("mue", setting, dt.date(2026, 7, 1))
    assert result.layout == "mue-official-csv"
    assert list(result.frame.columns) == schema.COLUMNS[schema.MUE]
    assert result.frame.mai.tolist() == [2, 3, 1]
    assert result.frame.mue_units.tolist() == [1, 1, 0]
    assert result.frame.code.tolist() == ["0001U", "0002M", "A4206"]


def test_setting_option_contradicting_the_header_is_refused():
    error = refused(
        "x_Eff_07-01-2026.csv",
        official("DME Supplier Services MUE Values", ROWS),
        setting="hospital",
    )
    assert "dme" in error.reason and "hospital" in error.reason


def test_renamed_file_needs_a_vintage():
    data = official("Practitioner Services MUE Values", ROWS)
    assert "--vintage" in refused("mue.csv", data).reason
    assert parse("mue.csv", data, vintage=dt.date(2026, 7, 1)).vintage == dt.date(2026, 7, 1)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            "0003U,1,4 Date of Service Edit: Policy,x",
            "MUE Adjudication Indicator",
            "not one of 1, 2, 3",
        ),
        (
            "0003U,one,2 Date of Service Edit: Policy,x",
            "Practitioner Services MUE Values",
            "whole number",
        ),
        (
            "0003U,-1,2 Date of Service Edit: Policy,x",
            "Practitioner Services MUE Values",
            "whole number",
        ),
        ("170,1,2 Date of Service Edit: Policy,x", None, None),  # padded: 00170 is fine
        (",1,2 Date of Service Edit: Policy,x", "HCPCS/ CPT Code", "missing code"),
        ("0001U,1,2 Date of Service Edit: Policy,x", "HCPCS/ CPT Code", "appears twice"),
    ],
)
def test_bad_rows_are_refused_with_line(row, column, reason):
    data = official("Practitioner Services MUE Values", [*ROWS, row])
    if column is None:
        assert parse("m_Eff_07-01-2026.csv", data).frame.code.iloc[-1] == "00170"
        return
    error = refused("m_Eff_07-01-2026.csv", data)
    # notice spans lines 1-3, header 4-5, rows 6.. -> the fourth row is on line 9
    assert (error.line, error.column) == (9, column)
    assert reason in error.reason


def test_utf16_export_is_refused():
    data = official("Practitioner Services MUE Values", ROWS).decode("latin-1").encode("utf-16")
    assert "UTF-16" in refused("m_Eff_07-01-2026.csv", data).reason


def test_excerpt_2026_q3():
    result = parse(EXCERPT.name, need(EXCERPT).read_bytes())
    assert (result.setting, result.vintage, len(result.frame)) == (
        "practitioner",
        dt.date(2026, 7, 1),
        44,
    )
    first = result.frame.iloc[0]
    assert (first.code, first.mue_units, first.mai) == ("0001U", 1, 2)
    assert first.rationale == "Code Descriptor / CPT Instruction"
    assert result.frame.iloc[1].mai == 3


@pytest.fixture(scope="module")
def mue_2026q2() -> pd.DataFrame:
    path = need(OFFICIAL_CSV)
    result = parse(path.name, path.read_bytes())
    assert (result.setting, result.vintage, result.layout) == (
        "practitioner",
        dt.date(2026, 4, 1),
        "mue-official-csv",
    )
    return result.frame.set_index("code")


@pytest.mark.parametrize(
    ("code", "units", "mai"),
    [
        ("47383", 1, 2),
        ("43497", 1, 2),
        ("0397T", 1, 3),
        ("0353T", 2, 3),
        ("77001", 2, 3),
        ("77002", 1, 3),
    ],
)
def test_facts_mue_2026_q2(mue_2026q2, code, units, mai):
    assert (mue_2026q2.loc[code, "mue_units"], mue_2026q2.loc[code, "mai"]) == (units, mai)


def test_official_row_count(mue_2026q2):
    assert len(mue_2026q2) == 15_095


def test_official_xlsx_equals_csv(mue_2026q2):
    path = need(OFFICIAL_XLSX)
    result = parse(path.name, path.read_bytes())
    assert result.layout == "mue-official-xlsx"
    pd.testing.assert_frame_equal(result.frame.set_index("code"), mue_2026q2)


def test_xlsx_built_in_code_sheet_name_gives_vintage():
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "OutpatientHospSvcEff-10-01-2026"
    ws.append(["AMA notice"])
    ws.append(
        [
            "HCPCS/\nCPT Code",
            "Outpatient Hospital Services MUE Values",
            "MUE Adjudication Indicator",
            "MUE Rationale",
        ]
    )
    ws.append([47383, 1, "2 Date of Service Edit: Policy", "Anatomic Consideration"])
    ws.append(["0397T", "1", "3 Date of Service Edit: Clinical", "Nature of Service"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = parse("download.xlsx", buffer.getvalue())
    assert (result.setting, result.vintage) == ("hospital", dt.date(2026, 10, 1))
    assert result.frame.code.tolist() == ["47383", "0397T"]
    assert result.frame.mue_units.tolist() == [1, 1]


@pytest.mark.parametrize(
    ("name", "setting", "rows"),
    [
        ("ncci_mue_prac_2024q3.derived.csv", "practitioner", 14_677),
        ("ncci_mue_out_2024q3.derived.csv", "hospital", 14_628),
        ("ncci_mue_dme_2024q3.derived.csv", "dme", 2_928),
    ],
)
def test_derived_files(name, setting, rows):
    path = need(DERIVED / name)
    result = parse(path.name, path.read_bytes())
    assert (result.setting, result.vintage, result.layout, len(result.frame)) == (
        setting,
        dt.date(2024, 7, 1),
        "plain-csv",
        rows,
    )
    assert set(result.frame.mai.unique()) <= {1, 2, 3}


def test_derived_setting_comes_from_mue_service_column_when_renamed():
    text = "hcpcs_code,mue_units,mue_mai,mue_rationale,mue_service\nA4206,0,3,CMS Policy,DME Supplier\n"
    result = parse("table.csv", text.encode(), vintage=dt.date(2024, 7, 1))
    assert result.setting == "dme"
