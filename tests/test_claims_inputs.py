"""In-memory sources (DataFrame, list of lists), rejected rows, defaults and meta."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest

from addin.claims import CANONICAL_COLUMNS, LINE_COLUMNS, REJECTED_COLUMNS, ClaimsInput, read_claims
from addin.errors import InputFileError


def test_public_api_shape():
    assert CANONICAL_COLUMNS == [
        "claim_id",
        "patient_id",
        "provider_npi",
        "dos",
        "cpt",
        "modifiers",
        "units",
        "dx",
        "pos",
        "dob",  # issue 12: the demographic (MCE age/sex) columns
        "age",
        "sex",
    ]
    assert REJECTED_COLUMNS == ["row", "column", "reason", "raw"]
    result = read_claims([["CPT", "DOS"], ["99213", "2026-01-05"]])
    assert isinstance(result, ClaimsInput)
    assert set(result.meta) >= {
        "file",
        "sha256",
        "sheet",
        "header_row",
        "column_mapping",
        "rows_read",
        "rows_checked",
        "rows_rejected",
        "blank_rows",
        "notes",
    }


def test_dataframe_from_an_excel_range():
    frame = pd.DataFrame(
        {
            "Claim ID": ["C1", "C1", None, "C2"],
            "CPT": [47383.0, 100.0, None, "G0364"],
            "Service Date": [pd.Timestamp("2026-01-05 10:30"), 46027.0, None, "1/6/2026"],
            "Mods": ["59 XS", None, None, "LT"],
            "Qty": [1.0, 2.0, None, None],
            "Payer": ["Medicare", "Medicare", None, "Aetna"],
        }
    )
    before = frame.copy()
    result = read_claims(frame, source_name="Sheet1!A1:F5")
    result.verify()
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    lines = result.lines
    assert lines["row"].tolist() == [2, 3, 5]  # header is row 1; the blank row 4 is skipped
    assert lines["cpt"].tolist() == ["47383", "00100", "G0364"]
    assert lines["dos"].tolist() == [pd.Timestamp("2026-01-05")] * 2 + [pd.Timestamp("2026-01-06")]
    assert lines["units"].tolist() == [1, 2, 1]
    assert lines["Payer"].tolist() == ["Medicare", "Medicare", "Aetna"]
    assert result.meta["file"] == "Sheet1!A1:F5" and result.meta["sha256"] is None
    assert result.meta["blank_rows"] == 1 and result.meta["header_row"] == 1


def test_dataframe_with_typed_columns():
    frame = pd.DataFrame(
        {
            "cpt": pd.Series(["99213", "99214"], dtype="str"),
            "dos": pd.to_datetime(["2026-01-05 08:00", "2026-01-06 00:00"]),
            "units": np.array([1, 3]),
            "pos": [11, 2],
        }
    )
    result = read_claims(frame)
    assert result.lines["dos"].tolist() == [pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-06")]
    assert result.lines["units"].tolist() == [1, 3]
    assert result.lines["pos"].tolist() == ["11", "02"]


def test_dataframe_without_headers_finds_header_row():
    frame = pd.DataFrame([["Claims", None], ["CPT", "DOS"], ["99213", "1/5/2026"]])
    result = read_claims(frame)
    assert result.meta["header_row"] == 3  # the columns 0, 1 are row 1
    assert result.lines["row"].tolist() == [4]


def test_list_of_lists_first_row_header():
    result = read_claims(
        [
            ["Claim ID", "Patient ID", "NPI", "DOS", "Code", "Units", "POS"],
            ["C1", "P1", "1234567890", "2026-01-05", 99213, 1, "11"],
            ["C1", "P1", "1234567890", "2026-01-05", "99214", 1, "11"],
        ]
    )
    result.verify()
    assert result.lines["row"].tolist() == [2, 3]
    assert result.lines["cpt"].tolist() == ["99213", "99214"]
    assert result.meta["file"] == "table"


def test_rejected_rows_carry_reasons_and_raw_text():
    result = read_claims(
        [
            ["Claim ID", "Date of Service", "CPT", "Units"],
            ["C1", "2026-13-45", "99213", "1"],
            ["C2", "2026-01-05", "", "1"],
            ["C3", "2026-01-05", "99213", "2.5"],
            ["C4", "2026-01-05", "99213", "-1"],
            ["C5", "2026-01-05", "99213", "two"],
            ["C6", "", "99213", "1"],
            ["C7", "yesterday", "", "x"],
            ["C8", "2026-01-05", "99213", "1"],
        ]
    )
    result.verify()
    assert result.lines["row"].tolist() == [9]
    rejected = result.rejected.set_index("row")
    assert list(result.rejected.columns) == REJECTED_COLUMNS
    assert rejected.loc[2, "reason"] == 'Date of Service "2026-13-45" is not a date'
    assert rejected.loc[2, "column"] == "Date of Service"
    assert rejected.loc[3, "reason"] == "CPT is empty: no procedure code"
    assert rejected.loc[3, "column"] == "CPT"
    assert rejected.loc[4, "reason"] == 'Units "2.5" is not a whole number'
    assert rejected.loc[5, "reason"] == 'Units "-1" is negative'
    assert rejected.loc[6, "reason"] == 'Units "two" is not a number'
    assert "Date of Service is empty" in rejected.loc[7, "reason"]
    assert rejected.loc[8, "reason"].count(";") == 2  # all three problems named
    assert rejected.loc[2, "raw"] == "C1 | 2026-13-45 | 99213 | 1"
    assert result.meta["rows_rejected"] == 7


def test_raw_text_is_truncated():
    result = read_claims([["CPT", "DOS", "Note"], ["", "2026-01-05", "x" * 500]])
    raw = result.rejected["raw"].iloc[0]
    assert len(raw) == 200 and raw.endswith("…")


def test_date_default_fills_empty_dates_only():
    rows = [["CPT", "DOS"], ["99213", ""], ["99214", "2026-02-01"], ["99215", "garbage"]]
    result = read_claims(rows, date_default=dt.date(2026, 1, 31))
    result.verify()
    assert result.lines["dos"].tolist() == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-01")]
    assert result.rejected["row"].tolist() == [4]
    assert any("2026-01-31 used" in n for n in result.meta["notes"])


def test_no_date_column_needs_a_default():
    with pytest.raises(InputFileError, match="no date-of-service column"):
        read_claims([["CPT"], ["99213"]])
    result = read_claims([["CPT"], ["99213"]], date_default=dt.date(2026, 1, 5))
    assert result.lines["dos"].tolist() == [pd.Timestamp("2026-01-05")]
    assert any("no date-of-service column" in n for n in result.meta["notes"])


def test_missing_columns_get_defaults_and_notes():
    result = read_claims([["CPT", "DOS", "Claim ID"], ["99213", "2026-01-05", "C9"]])
    line = result.lines.iloc[0]
    assert line["patient_id"] == "C9" and line["provider_npi"] == ""
    assert line["units"] == 1 and line["modifiers"] == "" and line["mod1"] == ""
    assert line["dx"] == "" and line["pos"] == ""
    notes = " ".join(result.meta["notes"])
    assert "no patient column: claim id used as patient" in notes
    assert "no units column" in notes


def test_empty_patient_cells_fall_back_to_claim_id():
    result = read_claims(
        [
            ["Claim ID", "Patient ID", "CPT", "DOS"],
            ["C1", "", "99213", "2026-01-05"],
            ["C2", "P2", "99213", "2026-01-05"],
        ]
    )
    assert result.lines["patient_id"].tolist() == ["C1", "P2"]


def test_line_dtypes():
    result = read_claims(
        [
            ["CPT", "DOS", "Mods", "DX", "POS", "Units", "Extra"],
            ["99213", "2026-01-05", "25", "I10", "11", "1", "e"],
        ]
    )
    dtypes = result.lines.dtypes.astype(str).to_dict()
    assert list(result.lines.columns) == LINE_COLUMNS + ["Extra"]
    assert dtypes["row"] == "int64" and dtypes["units"] == "int64"
    assert dtypes["dos"] == "datetime64[ns]"
    for name in ("cpt", "mod1", "mod2", "mod3", "mod4", "modifiers", "dx", "pos"):
        assert dtypes[name] == "category", name
    for name in ("claim_id", "patient_id", "provider_npi"):
        assert dtypes[name] in ("str", "object"), name  # pandas 3 / pandas 2
        assert result.lines[name].map(type).eq(str).all(), name


def test_logs_counts_never_cell_contents(caplog):
    secret = "SECRET-PATIENT-NAME"
    with caplog.at_level(logging.DEBUG, logger="addin.claims"):
        read_claims(
            [["CPT", "DOS", "Patient Name"], ["99213", "2026-01-05", secret], ["", "bad", secret]]
        )
    assert caplog.records, "expected a summary log line"
    assert all(secret not in r.getMessage() for r in caplog.records)


def test_invalid_date_default_is_reported():
    with pytest.raises(InputFileError, match="default date of service"):
        read_claims([["CPT", "DOS"], ["99213", "2026-01-05"]], date_default="not a date")  # type: ignore[arg-type]
