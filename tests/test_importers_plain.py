"""Plain CSV edit tables (custom / payer PTP and MUE) and the place-of-service list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import require_shared as need
from importer_helpers import parse, refused

from addin.reference import schema

SHARED = Path(__file__).parents[1].parent / "shared"
POS = SHARED / "cms" / "pos" / "place_of_service.derived.csv"


PTP_FULL = (
    "column_1,column_2,effective_date,deletion_date,modifier_indicator,rationale,pre_1996\n"
    "43497,43235,2019-01-01,,0,Payer bundling rule,\n"
    "47383,77002,01/01/2019,12/31/2025,1,Payer rule,*\n"
    "100,01999,20200101,*,9,Anesthesia,\n"
)


def test_custom_ptp_all_columns():
    result = parse("payer_ptp_practitioner_2026q1.csv", PTP_FULL)
    frame = result.frame
    assert (result.table, result.setting, result.vintage, result.layout) == (
        "ptp",
        "practitioner",
        dt.date(2026, 1, 1),
        "plain-csv",
    )
    assert list(frame.columns) == schema.COLUMNS[schema.PTP]
    assert frame.column_1.tolist() == ["43497", "47383", "00100"]
    assert frame.effective_date.tolist() == [
        pd.Timestamp("2019-01-01"),
        pd.Timestamp("2019-01-01"),
        pd.Timestamp("2020-01-01"),
    ]
    assert frame.deletion_date.iloc[1] == pd.Timestamp("2025-12-31")
    assert frame.deletion_date.iloc[[0, 2]].isna().all()
    assert frame.pre_1996.tolist() == [False, True, False]
    assert frame.rationale.tolist() == ["Payer bundling rule", "Payer rule", "Anesthesia"]


def test_custom_ptp_minimal_columns_aliases_semicolons_and_bom():
    text = "\ufeffCol1;Col2;Modifier\r\n43497;43235;0\r\n47383;77002;1\r\n;;\r\n"
    result = parse(
        "bundles.csv", text.encode("utf-8"), setting="hospital", vintage=dt.date(2026, 7, 1)
    )
    assert (result.setting, result.vintage, len(result.frame)) == (
        "hospital",
        dt.date(2026, 7, 1),
        2,
    )
    assert result.frame.effective_date.isna().all()
    assert (result.frame.rationale == "").all()


def test_setting_and_vintage_columns():
    text = "column_1,column_2,modifier_indicator,setting,vintage\n43497,43235,0,Outpatient,2026Q2\n"
    result = parse("bundles.csv", text)
    assert (result.setting, result.vintage) == ("hospital", dt.date(2026, 4, 1))


def test_mixed_settings_refused():
    text = "column_1,column_2,modifier_indicator,setting\n43497,43235,0,practitioner\n47383,77002,1,hospital\n"
    error = refused("bundles_2026q1.csv", text)
    assert (error.line, error.column) == (3, "setting")
    assert "mixes" in error.reason


def test_windows_1252_rationale():
    text = "column_1,column_2,modifier_indicator,rationale\n43497,43235,0,Payer\u2019s rule\n"
    result = parse("p_practitioner_2026q1.csv", text.encode("cp1252"))
    assert result.frame.rationale.iloc[0] == "Payer\u2019s rule"


def test_custom_mue():
    text = "code,mue_units,mai,rationale\n47383,1,2,Anatomic\n0397T,1,3 Date of Service Edit: Clinical,x\n"
    result = parse("payer_mue_dme_2026q3.csv", text)
    assert (result.table, result.setting, result.vintage) == ("mue", "dme", dt.date(2026, 7, 1))
    assert result.frame.mai.tolist() == [2, 3]
    assert result.frame.mue_units.dtype == "int32"


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        (
            "column_1,column_2,modifier_indicator\n43497,43235,0\n47383,77002,3\n",
            3,
            "modifier_indicator",
            "not one of",
        ),
        (
            "column_1,column_2,modifier_indicator,deletion_date\n43497,43235,0,2025-02-30\n",
            2,
            "deletion_date",
            "not a date",
        ),
        (
            "column_1,column_2,modifier_indicator\n43497,43235,0\n\n47383,,1\n",
            4,
            "column_2",
            "missing code",
        ),
        (
            'column_1,column_2,modifier_indicator,rationale\n43497,43235,0,"two\nlines"\n4738X9,1,1,x\n',
            4,
            "column_1",
            "not a 5-character",
        ),
        ("code,mue_units,mai\n47383,1.5,2\n", 2, "mue_units", "whole number"),
    ],
)
def test_bad_values_named_by_line_and_column(text, line, column, reason):
    error = refused("t_practitioner_2026q1.csv", text)
    assert (error.line, error.column) == (line, column)
    assert reason in error.reason


def test_wrong_field_count_names_the_line():
    text = "column_1,column_2,modifier_indicator\n43497,43235,0\n47383,77002\n"
    error = refused("t_practitioner_2026q1.csv", text)
    assert error.line == 3
    assert "fields" in error.reason


def test_missing_required_column():
    error = refused("t_practitioner_2026q1.csv", "column_1,column_2,rationale\n43497,43235,x\n")
    assert "modifier_indicator" in error.reason and error.line == 1


def test_unknown_columns_refused():
    error = refused("claims.csv", "claim_id,cpt,units\n1,47383,1\n")
    assert "not a layout cpt-addin knows" in error.reason


def test_no_setting_anywhere_refused():
    error = refused("bundles_2026q1.csv", "column_1,column_2,modifier_indicator\n43497,43235,0\n")
    assert "--setting" in error.reason


def test_place_of_service():
    result = parse(POS.name, need(POS).read_bytes(), vintage=dt.date(2024, 1, 1))
    frame = result.frame.set_index("pos_code")
    assert (result.table, result.vintage, len(frame)) == ("pos", dt.date(2024, 1, 1), 52)
    assert list(result.frame.columns) == schema.COLUMNS[schema.POS]
    assert frame.loc["01", "name"] == "Pharmacy"
    assert frame.loc["01", "pos_type"] == "Non-Facility"


def test_place_of_service_without_date_gets_this_quarter_and_a_note():
    result = parse(
        "pos.csv", "pos_code,pos_type,pos_name,pos_description\n1,Non-Facility,Pharmacy,x\n"
    )
    assert result.frame.pos_code.tolist() == ["01"]
    assert result.vintage.day == 1 and result.vintage.month in (1, 4, 7, 10)
    assert "vintage" in result.notes[0]
