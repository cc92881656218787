"""RVU (PPRRVU) importers: CSV, fixed-width TXT and XLSX; 2025 and 2026 layouts; GPCI skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import require_shared as need
from importer_helpers import parse

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers import ParsedTable, SkippedFile, Source, parse_source

SHARED = Path(__file__).parents[1].parent / "shared"
RVU = SHARED / "cms" / "pfs" / "rvu25d"
EXCERPT_2026 = SHARED / "cms-layouts" / "PPRRVU2026_Jul_nonQPP.excerpt.redacted.csv"
GPCI_2026 = SHARED / "cms-layouts" / "GPCI2026.csv"

INDICATORS = [
    "status",
    "pctc",
    "global_days",
    "mult_proc",
    "bilat",
    "asst",
    "co_surg",
    "team_surg",
    "endo_base",
]


def parse_path(path: Path, name: str | None = None) -> ParsedTable:
    return parse(name or path.name, need(path).read_bytes())


@pytest.fixture(scope="module")
def rvu_csv() -> ParsedTable:
    return parse_path(RVU / "PPRRVU2025_Oct.csv")


@pytest.fixture(scope="module")
def rvu_txt() -> ParsedTable:
    return parse_path(RVU / "PPRRVU2025_Oct.txt")


def row(frame: pd.DataFrame, code: str, modifier: str = "") -> pd.Series:
    hits = frame[(frame.code == code) & (frame.modifier == modifier)]
    assert len(hits) == 1, (code, modifier)
    return hits.iloc[0]


def test_csv_layout_and_vintage(rvu_csv):
    assert (rvu_csv.table, rvu_csv.setting, rvu_csv.vintage, rvu_csv.layout) == (
        "rvu",
        "all",
        dt.date(2025, 10, 1),
        "rvu-2025-csv",
    )
    assert list(rvu_csv.frame.columns) == schema.COLUMNS[schema.RVU]
    assert len(rvu_csv.frame) == 19_090
    assert rvu_csv.frame.code.nunique() == 16_852
    assert (rvu_csv.frame.pric_ind == "").all()


@pytest.mark.parametrize("code", ["77001", "77002", "77003"])
def test_fact_imaging_guidance_pctc_1_with_26_and_tc_rows(rvu_csv, code):
    frame = rvu_csv.frame
    assert sorted(frame[frame.code == code].modifier) == ["", "26", "TC"]
    for modifier in ("", "26", "TC"):
        facts = row(frame, code, modifier)
        assert (facts.pctc, facts.global_days) == ("1", "ZZZ")


def test_fact_47383(rvu_csv):
    facts = row(rvu_csv.frame, "47383")
    assert (facts.global_days, facts.mult_proc, facts.asst) == ("010", "2", "1")
    assert facts.work_rvu == pytest.approx(8.88)


def test_fact_43497(rvu_csv):
    facts = row(rvu_csv.frame, "43497")
    assert (facts.global_days, facts.endo_base) == ("090", "43235")


def test_fact_0397t_status_c(rvu_csv):
    assert row(rvu_csv.frame, "0397T").status == "C"


def test_description_is_kept_for_the_local_store(rvu_csv):
    assert row(rvu_csv.frame, "0001F").description == "Heart failure composite"


def test_txt_matches_csv_for_every_code(rvu_csv, rvu_txt):
    """The fixed-width positions give the same indicators (and everything else) as the CSV."""
    assert rvu_txt.layout == "rvu-2025-txt"
    assert rvu_txt.vintage == dt.date(2025, 10, 1)
    pd.testing.assert_frame_equal(
        rvu_txt.frame[["code", "modifier", *INDICATORS]],
        rvu_csv.frame[["code", "modifier", *INDICATORS]],
    )
    pd.testing.assert_frame_equal(rvu_txt.frame, rvu_csv.frame)


def test_xlsx_matches_csv(rvu_csv):
    result = parse_path(RVU / "PPRRVU2025_Oct.xlsx")
    assert result.layout == "rvu-2025-xlsx"
    pd.testing.assert_frame_equal(result.frame, rvu_csv.frame)


def test_renamed_csv_takes_vintage_from_title(rvu_csv):
    result = parse_path(RVU / "PPRRVU2025_Oct.csv", name="fees.csv")
    assert (result.layout, result.vintage) == ("rvu-2025-csv", dt.date(2025, 10, 1))


def test_renamed_txt_needs_vintage():
    path = need(RVU / "PPRRVU2025_Oct.txt")
    with pytest.raises(InputFileError, match="--vintage"):
        parse_source(Source("fees.txt", path.read_bytes()))
    assert (
        parse("fees.txt", path.read_bytes(), vintage=dt.date(2025, 10, 1)).layout == "rvu-2025-txt"
    )


def test_2026_layout_with_pric_ind():
    result = parse_path(EXCERPT_2026)
    assert (result.layout, result.vintage) == ("rvu-2026-csv", dt.date(2026, 7, 1))
    assert len(result.frame) == 61
    facts = row(result.frame, "00100")
    assert (facts.status, facts.pctc, facts.global_days, facts.pric_ind) == ("J", "9", "XXX", "9")
    assert facts.conv_factor == pytest.approx(33.4009)
    assert facts.endo_base == ""


def test_2026_txt_with_pric_ind_in_the_gap(rvu_txt):
    """A TXT that adds PRIC IND in the 2025 layout's blank gap is read as the 2026 layout."""
    path = need(RVU / "PPRRVU2025_Oct.txt")
    lines = path.read_bytes().split(b"\r\n")
    patched = [
        ln if ln.startswith(b"HDR") or not ln else ln[:122] + b"7" + ln[123:] for ln in lines
    ]
    result = parse("PPRRVU2026_Jul.txt", b"\r\n".join(patched))
    assert result.layout == "rvu-2026-txt"
    assert (result.frame.pric_ind == "7").all()
    pd.testing.assert_series_equal(result.frame.pctc, rvu_txt.frame.pctc)


def test_shifted_txt_is_refused():
    path = need(RVU / "PPRRVU2025_Oct.txt")
    lines = path.read_bytes().split(b"\r\n")
    shifted = [
        ln if ln.startswith(b"HDR") or not ln else ln[:110] + b"XX" + ln[110:] for ln in lines
    ]
    with pytest.raises(InputFileError, match="fixed-width"):
        parse_source(Source("PPRRVU2025_Oct.txt", b"\r\n".join(shifted)))


CSV_HEADER = (
    ",,2026 National Physician Fee Schedule Relative Value File July Release\r\n"
    ",,,STATUS,WORK,PCTC,GLOB,MULT,BILAT,ASST,CO-,TEAM,ENDO,CONV,NON-FACILITY,FACILITY\r\n"
    "HCPCS,MOD,DESCRIPTION,CODE,RVU,IND,DAYS,PROC,SURG,SURG,SURG,SURG,BASE,FACTOR,TOTAL,TOTAL\r\n"
)


@pytest.mark.parametrize(
    ("bad_row", "column"),
    [
        ("47383,,x,A,8.88,Q,010,2,0,1,0,0,,33.4,1.0,1.0", "PCTC IND"),
        ("47383,,x,A,eight,0,010,2,0,1,0,0,,33.4,1.0,1.0", "WORK RVU"),
        ("47383,,x,A,8.88,0,010,2,0,1,0,0,43-35,33.4,1.0,1.0", "ENDO BASE"),
        ("731,,x,A,8.88,0,010,2,0,1,0,0,,33.4,1.0,1.0", None),
        ("47383,,x,,8.88,0,010,2,0,1,0,0,,33.4,1.0,1.0", "STATUS CODE"),
    ],
)
def test_bad_csv_rows_refused_with_line(bad_row, column):
    good = "43497,,y,A,13.29,0,090,3,0,1,0,0,43235,33.4,23.57,23.57\r\n"
    data = (CSV_HEADER + good + bad_row + "\r\n").encode()
    if column is None:  # 731 is an anesthesia code Excel lost zeros from: re-padded
        assert parse("PPRRVU2026_Jul.csv", data).frame.code.tolist() == ["43497", "00731"]
        return
    with pytest.raises(InputFileError) as info:
        parse_source(Source("PPRRVU2026_Jul.csv", data))
    assert (info.value.line, info.value.column) == (5, column)


def test_missing_column_refused():
    data = (
        CSV_HEADER.replace("GLOB", "GLOBE").encode() + b"43497,,y,A,1,0,090,3,0,1,0,0,,33.4,1,1\r\n"
    )
    with pytest.raises(InputFileError, match="GLOB DAYS"):
        parse_source(Source("PPRRVU2026_Jul.csv", data))


@pytest.mark.parametrize("name", ["GPCI2025.csv", "renamed.csv"])
def test_gpci_is_skipped_with_a_note(name):
    for path in (RVU / "GPCI2025.csv", GPCI_2026):
        result = parse_source(Source(name, need(path).read_bytes()))
        assert isinstance(result, SkippedFile)
        assert "GPCI" in result.reason and "not a table cpt-addin uses" in result.reason


def test_short_number_outside_the_anesthesia_range_is_refused():
    good = "43497,,y,A,13.29,0,090,3,0,1,0,0,43235,33.4,23.57,23.57\r\n"
    data = (CSV_HEADER + good + "4738,,x,A,8.88,0,010,2,0,1,0,0,,33.4,1.0,1.0\r\n").encode()
    with pytest.raises(InputFileError) as info:
        parse_source(Source("PPRRVU2026_Jul.csv", data))
    assert info.value.line == 5 and "4738" in str(info.value)
