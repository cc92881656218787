"""PTP importers: the official TXT and XLSX, the derived CSV, and every way they can be broken."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import require_shared as need
from importer_helpers import parse, refused

from addin.reference import schema
from addin.reference.importers import ParsedTable, Source, parse_source

SHARED = Path(__file__).parents[1].parent / "shared"
EXCERPT = SHARED / "cms-layouts" / "ccipra-v322r0-f1.excerpt.txt"
PRACTITIONER_CSV = SHARED / "cms" / "ptp" / "ncci_ptp_practitioner_2024q3.derived.csv.gz"
OUTPATIENT_CSV = SHARED / "cms" / "ptp" / "ncci_ptp_outpatient_2024q3.derived.csv.gz"

AMA = "CPT only copyright 2025 American Medical Association.  All rights reserved."
HEADER_BLOCK = [
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
]
ROWS = [
    "43497\t43235\t\t20190101\t*\t0\tCPT Manual or CMS manual coding instruction",
    "47383\t77002\t*\t20190101\t*\t1\tMisuse of Column Two code with Column One code",
    "11000\t11001\t\t20180101\t20211231\t9\tMutually exclusive procedures",
]


def txt(
    rows: list[str] = ROWS, *, title: str = "Column1/Column2 Edits", ending: str = "\r\n"
) -> bytes:
    """An official-layout PTP TXT built in code."""
    lines = [AMA + "\t" * 6, title + "\t" * 6, *HEADER_BLOCK, *rows]
    return (ending.join(lines) + ending).encode("latin-1")


# --------------------------------------------------------------------------- official TXT


def test_txt_rows_become_canonical_columns():
    result = parse("ccipra-v322r0-f1.txt", txt())
    frame = result.frame
    assert list(frame.columns) == schema.COLUMNS[schema.PTP]
    assert (result.table, result.setting, result.vintage, result.part, result.layout) == (
        "ptp",
        "practitioner",
        dt.date(2026, 7, 1),
        "f1",
        "ptp-txt",
    )
    first = frame.iloc[0]
    assert (first.column_1, first.column_2, first.modifier_indicator) == ("43497", "43235", 0)
    assert first.effective_date == pd.Timestamp("2019-01-01")
    assert pd.isna(first.deletion_date)  # '*' = still active
    assert frame.pre_1996.tolist() == [False, True, False]
    assert frame.deletion_date.iloc[2] == pd.Timestamp("2021-12-31")
    assert frame.modifier_indicator.tolist() == [0, 1, 9]
    assert pd.api.types.is_string_dtype(frame.column_1.dtype)  # "str" (pandas 3) or object
    assert str(frame.effective_date.dtype).startswith("datetime64")


@pytest.mark.parametrize(
    ("name", "vintage"),
    [
        ("ccipra-v300r0-f2.txt", dt.date(2024, 1, 1)),
        ("ccipra-v313r0-f4.TXT", dt.date(2025, 10, 1)),
        ("ccipra-v321r0-f3.txt", dt.date(2026, 4, 1)),
        ("ccipra-v322r0-f1.txt", dt.date(2026, 7, 1)),
    ],
)
def test_vintage_from_ncci_version(name, vintage):
    result = parse(name, txt())
    assert result.vintage == vintage
    assert result.part == name.lower()[-6:-4]


def test_hospital_file_name_gives_hospital_setting():
    assert parse("ccioph-v322r0-f1.txt", txt()).setting == "hospital"


def test_renamed_file_is_recognised_by_content():
    """No CMS name: the layout is still found; the setting comes from --setting and the
    vintage from the latest effective date (quarter start)."""
    result = parse("edits.dat", txt(), setting="hospital")
    assert (result.layout, result.setting) == ("ptp-txt", "hospital")
    assert result.vintage == dt.date(2019, 1, 1)
    assert result.notes and "vintage" in result.notes[0]


def test_renamed_file_without_setting_is_refused_with_advice():
    error = refused("edits.dat", txt())
    assert "--setting" in error.reason


def test_setting_in_title_line():
    result = parse("edits.txt", txt(title="Outpatient Hospital Column1/Column2 Edits"))
    assert result.setting == "hospital"


def test_vintage_option_wins_over_name():
    assert parse("ccipra-v322r0-f1.txt", txt(), vintage=dt.date(2026, 8, 15)).vintage == dt.date(
        2026, 8, 15
    )


def test_lf_line_endings_are_read_too():
    assert len(parse("ccipra-v322r0-f1.txt", txt(ending="\n")).frame) == 3


def test_dos_end_of_file_mark_is_ignored():
    assert len(parse("ccipra-v322r0-f1.txt", txt() + b"\x1a").frame) == 3


def test_excerpt_truncated_last_record_is_refused_with_its_line():
    """The excerpt is cut mid-record after line 160: refused, naming line 161."""
    error = refused(EXCERPT.name, need(EXCERPT).read_bytes())
    assert error.file == EXCERPT.name
    assert error.line == 161
    assert "cut off" in error.reason


def test_excerpt_complete_lines_parse():
    data = need(EXCERPT).read_bytes()
    complete = data[: data.rindex(b"\r\n") + 2]
    result = parse("ccipra-v322r0-f1.txt", complete)
    frame = result.frame
    assert len(frame) == 160 - 6  # 160 lines minus AMA line, title and 4 header lines
    first = frame.iloc[0]
    assert (first.column_1, first.column_2, first.modifier_indicator) == ("0001A", "0591T", 1)
    assert first.effective_date == pd.Timestamp("2022-01-01")
    assert first.deletion_date == pd.Timestamp("2023-12-31")
    assert first.rationale == "CPT Manual or CMS manual coding instruction"
    row_9 = frame[(frame.column_1 == "0001A") & (frame.column_2 == "90473")].iloc[0]
    assert row_9.modifier_indicator == 9
    assert frame.iloc[-1].column_1 == "0001U"
    assert frame.iloc[-1].deletion_date is pd.NaT or pd.isna(frame.iloc[-1].deletion_date)
    assert (result.setting, result.vintage) == ("practitioner", dt.date(2026, 7, 1))


def test_excerpt_with_a_cut_record_in_the_middle_is_refused():
    """A record short of fields (here the excerpt's broken last line moved up) refuses the file."""
    data = need(EXCERPT).read_bytes()
    lines = data.split(b"\r\n")
    broken = b"0001U\t81167\t\t2019"
    lines.insert(20, broken)
    error = refused("ccipra-v322r0-f1.txt", b"\r\n".join(lines[:-1]) + b"\r\n")
    assert error.line == 21
    assert "fields" in error.reason


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("43497\t43235\t\t2019013\t*\t0\tx", "Effective Date", "not a date"),
        ("43497\t43235\t\t20191301\t*\t0\tx", "Effective Date", "not a date"),
        ("43497\t43235\t\t20190101\t2019-99-99\t0\tx", "Deletion Date", "not a date"),
        ("43497\t43235\t\t\t*\t0\tx", "Effective Date", "missing date"),
        ("43497\t43235\t\t20190101\t*\t2\tx", "Modifier", "not one of 0, 1, 9"),
        ("43497\t43235\t\t20190101\t*\tX\tx", "Modifier", "not one of"),
        ("4349\u00e9\t43235\t\t20190101\t*\t0\tx", "Column 1", "not a 5-character"),
        ("43497\t432356\t\t20190101\t*\t0\tx", "Column 2", "not a 5-character"),
        ("43497\t43235\tY?\t20190101\t*\t0\tx", "*=in existence prior to 1996", "'*' or blank"),
    ],
)
def test_bad_values_are_refused_with_line_and_column(row, column, reason):
    error = refused("ccipra-v322r0-f1.txt", txt([ROWS[0], ROWS[1], row]))
    assert error.line == 9  # AMA, title, 4 header lines, then rows on lines 7, 8, 9
    assert error.column == column
    assert reason in error.reason


def test_blank_lines_do_not_shift_reported_line_numbers():
    rows = [ROWS[0], "", ROWS[1], "43497\t43235\t\t20190101\t*\t7\tx"]
    error = refused("ccipra-v322r0-f1.txt", txt(rows))
    assert error.line == 10


def test_extra_field_is_refused():
    error = refused("ccipra-v322r0-f1.txt", txt([ROWS[0], ROWS[1] + "\tsurprise"]))
    assert error.line == 8


def test_utf16_file_is_refused():
    data = txt().decode("latin-1").encode("utf-16")
    error = refused("ccipra-v322r0-f1.txt", data)
    assert "UTF-16" in error.reason


def test_header_without_rows_is_refused():
    lines = [AMA, "Column1/Column2 Edits", *HEADER_BLOCK]
    error = refused("ccipra-v322r0-f1.txt", ("\r\n".join(lines) + "\r\n").encode())
    assert "no data" in error.reason


def test_large_txt_is_fast_and_reports_deep_lines():
    """200,000 rows parse in well under the time a per-row loop would take; a bad line deep in
    the file is still named exactly."""
    rows = [
        f"{10000 + i % 89999:05d}\t{20000 + i % 7919:05d}\t\t20200101\t*\t1\tRationale {i % 7}"
        for i in range(200_000)
    ]
    result = parse("ccipra-v322r0-f2.txt", txt(rows))
    assert len(result.frame) == 200_000
    assert result.frame.rationale.dtype == "category"
    rows[150_000] = rows[150_000].replace("\t1\t", "\t5\t")
    assert refused("ccipra-v322r0-f2.txt", txt(rows)).line == 150_007


# --------------------------------------------------------------------------- official XLSX


def ptp_xlsx(rows: list[list[object]], sheet: str = "Sheet1") -> bytes:
    """The XLSX version of a PTP part: notice, title, header, then the same seven columns."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append([AMA])
    ws.append(["Column1/Column2 Edits"])
    ws.append(
        [
            "Column 1",
            "Column 2",
            "*=in existence prior to 1996",
            "Effective Date",
            "Deletion Date *=no data",
            "Modifier 0=not allowed 1=allowed 9=not applicable",
            "PTP Edit Rationale",
        ]
    )
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_ROWS = [
    ["43497", "43235", None, "20190101", "*", "0", "CPT Manual or CMS manual coding instruction"],
    [47383, 77002, "*", 20190101, "*", 1, "Misuse of Column Two code with Column One code"],
    ["00100", "01999", None, dt.datetime(2018, 1, 1), dt.datetime(2021, 12, 31), 9, "x"],
]


def test_xlsx_parses_like_the_txt():
    result = parse("ccipra-v322r0-f3.xlsx", ptp_xlsx(XLSX_ROWS))
    frame = result.frame
    assert (result.layout, result.setting, result.vintage, result.part) == (
        "ptp-xlsx",
        "practitioner",
        dt.date(2026, 7, 1),
        "f3",
    )
    assert frame.column_1.tolist() == ["43497", "47383", "00100"]
    assert frame.column_2.tolist() == ["43235", "77002", "01999"]
    assert frame.modifier_indicator.tolist() == [0, 1, 9]
    assert frame.pre_1996.tolist() == [False, True, False]
    assert frame.effective_date.tolist() == [pd.Timestamp("2019-01-01")] * 2 + [
        pd.Timestamp("2018-01-01")
    ]
    assert frame.deletion_date.iloc[2] == pd.Timestamp("2021-12-31")


def test_xlsx_equals_txt_for_the_same_rows():
    from_txt = parse("ccipra-v322r0-f1.txt", txt()).frame
    rows = [r.split("\t") for r in ROWS]
    from_xlsx = parse("ccipra-v322r0-f1.xlsx", ptp_xlsx(rows)).frame
    pd.testing.assert_frame_equal(from_txt, from_xlsx)


def test_renamed_xlsx_found_by_content_and_sheet_name_gives_setting():
    result = parse(
        "book1.xlsx", ptp_xlsx(XLSX_ROWS, sheet="ccioph-v322r0-f1"), vintage=dt.date(2026, 7, 1)
    )
    assert (result.layout, result.setting) == ("ptp-xlsx", "hospital")


def test_xlsx_bad_indicator_names_the_row():
    rows = [*XLSX_ROWS, ["43497", "43239", None, "20190101", "*", "4", "x"]]
    error = refused("ccipra-v322r0-f1.xlsx", ptp_xlsx(rows))
    assert (error.line, error.column) == (7, "Modifier")


# --------------------------------------------------------------------------- derived CSV


def test_derived_csv_small_via_plain_importer():
    text = (
        "column_1,column_2,deletion_date,modifier_indicator,ptp_edit_rationale\n"
        "0001A,0591T,20231231,1,CPT Manual or CMS manual coding instruction\n"
        "43497,43235,*,0,Standards of medical/surgical practice\n"
    )
    result = parse("ncci_ptp_outpatient_2024q3.derived.csv.gz", gzip.compress(text.encode()))
    assert (result.table, result.setting, result.vintage, result.layout) == (
        "ptp",
        "hospital",
        dt.date(2024, 7, 1),
        "plain-csv",
    )
    assert result.frame.effective_date.isna().all()  # unknown: applies from the start
    assert result.frame.deletion_date.iloc[0] == pd.Timestamp("2023-12-31")
    assert pd.isna(result.frame.deletion_date.iloc[1])


@pytest.fixture(scope="session")
def practitioner_ptp() -> pd.DataFrame:
    """The full 2.5-million-row practitioner table, parsed once per test session (~3 s)."""
    path = need(PRACTITIONER_CSV)
    result = parse_source(Source(path.name, path.read_bytes()))
    assert isinstance(result, ParsedTable)
    assert (result.setting, result.vintage) == ("practitioner", dt.date(2024, 7, 1))
    return result.frame


def indicator(frame: pd.DataFrame, col1: str, col2: str) -> list[int]:
    rows = frame[(frame.column_1 == col1) & (frame.column_2 == col2)]
    return rows.modifier_indicator.tolist()


def test_practitioner_row_count(practitioner_ptp):
    assert len(practitioner_ptp) == 2_546_017


@pytest.mark.parametrize("col2", ["43235", "43191", "43197", "43200", "32665"])
def test_fact_43497_edits_are_indicator_0(practitioner_ptp, col2):
    assert set(indicator(practitioner_ptp, "43497", col2)) == {0}


def test_fact_43262_43260_indicator_0(practitioner_ptp):
    assert set(indicator(practitioner_ptp, "43262", "43260")) == {0}


@pytest.mark.parametrize("col2", ["77001", "77002"])
def test_fact_47383_imaging_guidance_indicator_1(practitioner_ptp, col2):
    assert set(indicator(practitioner_ptp, "47383", col2)) == {1}


def test_fact_no_47383_77003_edit_either_order(practitioner_ptp):
    assert indicator(practitioner_ptp, "47383", "77003") == []
    assert indicator(practitioner_ptp, "77003", "47383") == []


def test_outpatient_table_parses(tmp_path):
    path = need(OUTPATIENT_CSV)
    result = parse_source(Source(path.name, path.read_bytes()))
    assert isinstance(result, ParsedTable)
    assert (result.setting, len(result.frame)) == ("hospital", 1_775_818)
