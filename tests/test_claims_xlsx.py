"""Reading claims workbooks: cell types Excel stores, sheet choice, and zip-bomb refusal."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from addin.claims import read_claims, xlsx
from addin.errors import InputFileError

HEADER = [
    "Claim #",
    "MRN",
    "Rendering NPI",
    "DOS",
    "CPT/HCPCS",
    "Mod1",
    "Mod2",
    "Units",
    "DX1",
    "DX2",
    "POS",
]


def workbook(
    path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def test_excel_cell_types_are_normalised(tmp_path):
    rows = [
        ["Q1 claims export"],
        [],
        HEADER,
        ["C1", 1001, 1234567890, dt.date(2026, 1, 5), 100, 59, "xs", 2.0, "e11.9", "I10", 11],
        ["C1", 1001, 1234567890, 46027, 47383.0, None, None, None, "K83.1", None, "2"],
        [],
        [
            "C2",
            "1002",
            1234567890,
            dt.datetime(2026, 1, 6, 14, 30),
            "G0364",
            "LT",
            None,
            1,
            None,
            None,
            None,
        ],
        ["C3", 1003, None, "01/07/2026", "0397t", None, None, "3", None, None, 22.0],
        ["C4", 1004, None, "46029", "99213", None, None, None, None, None, None],
    ]
    result = read_claims(workbook(tmp_path / "claims.xlsx", {"Claims": rows}))
    result.verify()
    lines = result.lines
    assert result.meta["header_row"] == 3 and result.meta["sheet"] == "Claims"
    assert lines["row"].tolist() == [4, 5, 7, 8, 9]
    assert result.meta["blank_rows"] == 1
    assert lines["cpt"].tolist() == ["00100", "47383", "G0364", "0397T", "99213"]
    assert lines["dos"].tolist() == [
        pd.Timestamp("2026-01-05"),
        pd.Timestamp("2026-01-05"),  # serial 46027
        pd.Timestamp("2026-01-06"),  # datetime cell, normalised to midnight
        pd.Timestamp("2026-01-07"),
        pd.Timestamp("2026-01-07"),  # serial stored as text
    ]
    assert lines["modifiers"].tolist() == ["59,XS", "", "LT", "", ""]
    assert lines["units"].tolist() == [2, 1, 1, 3, 1]
    assert lines["dx"].tolist() == ["E11.9,I10", "K83.1", "", "", ""]
    assert lines["pos"].tolist() == ["11", "02", "", "22", ""]
    assert lines["patient_id"].tolist() == ["1001", "1001", "1002", "1003", "1004"]
    assert lines["provider_npi"].tolist() == ["1234567890", "1234567890", "1234567890", "", ""]
    assert result.meta["column_mapping"]["modifiers"] == ["Mod1", "Mod2"]
    assert result.meta["column_mapping"]["dx"] == ["DX1", "DX2"]
    # raw keeps the cells as read (numbers stay numbers, text stays text)
    assert result.raw["CPT/HCPCS"].tolist()[:2] == [100, 47383]
    assert result.raw["MRN"].tolist()[2] == "1002"


def test_first_sheet_with_code_column_is_chosen(tmp_path):
    path = workbook(
        tmp_path / "book.xlsx",
        {
            "Read me": [["How to use this workbook"], ["Fill in the Claims sheet"]],
            "Hidden codes": [["CPT", "DOS"], ["11111", "1/1/2026"]],
            "Claims": [["Proc Code", "Service Date"], ["99213", "1/5/2026"]],
        },
        hidden=("Hidden codes",),
    )
    result = read_claims(path)
    assert result.meta["sheet"] == "Claims"
    assert result.lines["cpt"].tolist() == ["99213"]
    assert any('sheet "Claims" used' in n for n in result.meta["notes"])


def test_sheet_argument_by_name_and_index(tmp_path):
    path = workbook(
        tmp_path / "book.xlsx",
        {
            "A": [["CPT", "DOS"], ["99213", "1/5/2026"]],
            "B": [["CPT", "DOS"], ["99214", "1/5/2026"]],
        },
    )
    assert read_claims(path, sheet="B").lines["cpt"].tolist() == ["99214"]
    assert read_claims(path, sheet=1).lines["cpt"].tolist() == ["99214"]
    assert read_claims(path).lines["cpt"].tolist() == ["99213"]
    with pytest.raises(InputFileError, match='no sheet "C".*"A", "B"'):
        read_claims(path, sheet="C")


def test_no_sheet_with_code_column_lists_headers(tmp_path):
    path = workbook(tmp_path / "nocode.xlsx", {"Data": [["Claim ID", "Amount"], ["C1", 10]]})
    with pytest.raises(
        InputFileError, match='no sheet.*code column.*sheet "Data": "Claim ID", "Amount"'
    ):
        read_claims(path)


def test_xlsm_extension_is_read(tmp_path):
    path = workbook(tmp_path / "macro.xlsx", {"S": [["CPT", "DOS"], ["99213", "1/5/2026"]]})
    path = path.rename(tmp_path / "macro.xlsm")
    assert read_claims(path).lines["cpt"].tolist() == ["99213"]


def test_formula_text_cells_stay_literal(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["CPT", "DOS", "Note"])
    ws.append(["99213", "1/5/2026", None])
    for ref, text in (("C2", '=HYPERLINK("http://example.test")'), ("A3", "@SUM(A1)")):
        ws[ref].value = text
        ws[ref].data_type = "s"  # stored as a text cell, as Excel does for '=... typed as text
    ws["B3"] = "1/6/2026"
    path = tmp_path / "formula.xlsx"
    wb.save(path)
    result = read_claims(path)
    assert result.lines["Note"].tolist() == ['=HYPERLINK("http://example.test")', ""]
    assert result.lines["cpt"].tolist() == ["99213", "@SUM(A1)"]


def _bomb(path: Path, member_bytes: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * member_bytes)
    return path


def test_zip_bomb_refused_by_compression_ratio(tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx", 8 << 20)  # 8 MB of zeros -> about 8 KB stored
    with pytest.raises(InputFileError, match="bomb.xlsx.*refused.*expands"):
        read_claims(path)


def test_zip_bomb_refused_by_total_size(tmp_path, monkeypatch):
    path = workbook(tmp_path / "big.xlsx", {"S": [["CPT", "DOS"], ["99213", "1/5/2026"]]})
    monkeypatch.setattr(xlsx, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(InputFileError, match="refused.*more than"):
        read_claims(path)


def test_non_zip_with_xlsx_name_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("CPT,DOS\n99213,1/5/2026\n")
    with pytest.raises(InputFileError, match="fake.xlsx: this is not an Excel workbook"):
        read_claims(path)


def test_old_xls_with_xlsx_name_is_named(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(InputFileError, match=r"old-style \.xls"):
        read_claims(path)


def test_damaged_zip_is_reported_not_raised_raw(tmp_path):
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(InputFileError, match="damaged.xlsx"):
        read_claims(path)


def test_unknown_extension_and_missing_file(tmp_path):
    odd = tmp_path / "claims.pdf"
    odd.write_bytes(b"%PDF")
    with pytest.raises(InputFileError, match='unknown file type ".pdf"'):
        read_claims(odd)
    with pytest.raises(InputFileError, match="file not found"):
        read_claims(tmp_path / "missing.xlsx")
