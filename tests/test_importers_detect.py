"""Layout recognition by content: renamed files, skipped tables, refused garbage, name hints."""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

import pytest
from conftest import require_shared as need

from addin.errors import InputFileError
from addin.reference.importers import Hints, ParsedTable, SkippedFile, Source, parse_source
from addin.reference.importers.names import parse_vintage, setting_from_text, vintage_from_text

SHARED = Path(__file__).parents[1].parent / "shared"
CMS = SHARED / "cms"
LAYOUTS = SHARED / "cms-layouts"


@pytest.mark.parametrize(
    ("relative", "layout", "table"),
    [
        ("mue/MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", "mue-official-csv", "mue"),
        ("mue/MCR_MUE_PractitionerServices_Eff_04-01-2026.xlsx", "mue-official-xlsx", "mue"),
        ("pfs/rvu25d/PPRRVU2025_Oct.csv", "rvu-2025-csv", "rvu"),
        ("pfs/rvu25d/PPRRVU2025_Oct.txt", "rvu-2025-txt", "rvu"),
        ("pfs/rvu25d/PPRRVU2025_Oct.xlsx", "rvu-2025-xlsx", "rvu"),
        ("aoc/AOC_V2026Q2-MCR.xlsx", "aoc-xlsx", "aoc"),
        ("hcpcs/hcpcs_level2_2023.derived.csv", "hcpcs-derived-records-csv", "hcpcs"),
        ("hcpcs/hcpcs_level2_descriptions_2024.derived.csv", "hcpcs-derived-codes-csv", "hcpcs"),
        ("pos/place_of_service.derived.csv", "pos-csv", "pos"),
        ("mue/ncci_mue_prac_2024q3.derived.csv", "plain-csv", "mue"),
    ],
)
def test_renamed_files_are_recognised_by_content(relative, layout, table):
    """A file renamed to ``upload.bin`` is still recognised; only labels need options."""
    data = need(CMS / relative).read_bytes()
    result = parse_source(
        Source("upload.bin", data), Hints(setting="practitioner", vintage=dt.date(2026, 1, 1))
    )
    assert isinstance(result, ParsedTable)
    assert (result.layout, result.table) == (layout, table)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (CMS / "nucc" / "nucc_taxonomy_251.csv", "NUCC"),
        (
            CMS / "nucc" / "medicare_provider_and_supplier_taxonomy_crosswalk_october_2025.csv",
            "crosswalk",
        ),
        (CMS / "pfs" / "rvu25d" / "GPCI2025.csv", "GPCI"),
    ],
)
def test_known_tables_we_do_not_use_are_skipped_with_a_note(path, words):
    result = parse_source(Source("renamed.csv", need(path).read_bytes()))
    assert isinstance(result, SkippedFile)
    assert words in result.reason


def test_pdf_is_skipped():
    result = parse_source(Source("readme.pdf", b"%PDF-1.7\n..."))
    assert isinstance(result, SkippedFile)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        ("column_1,column_2\n".encode("utf-16"), "UTF-16"),
        ("column_1,column_2\n".encode("utf-16-be"), "UTF-16"),
        (bytes(range(256)) * 40, "binary"),
        (os.urandom(5000).replace(b"\x00", b"\x01"), "binary"),
        (b"hello world\nthis is text\n", "not a layout cpt-addin knows"),
        (b"PK\x03\x04garbage", "zip"),
        (gzip.compress(b"column_1,column_2,modifier_indicator\n43497,43235,0\n")[:-12], "cut off"),
    ],
)
def test_garbage_is_refused_with_a_reason(data, reason):
    with pytest.raises(InputFileError) as info:
        parse_source(Source("ncci_ptp_practitioner_2026q1.csv", data))
    assert reason in str(info.value)
    assert info.value.file == "ncci_ptp_practitioner_2026q1.csv"


def test_damaged_workbook_is_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "not xml")
    with pytest.raises(InputFileError, match="spreadsheet"):
        parse_source(Source("AOC_V2026Q2-MCR.xlsx", buffer.getvalue()))


@pytest.mark.parametrize(
    ("text", "vintage"),
    [
        ("ncci_ptp_practitioner_2024q3.derived.csv.gz", dt.date(2024, 7, 1)),
        ("AOC_V2026Q2-MCR.xlsx", dt.date(2026, 4, 1)),
        ("AOC_V2025Q4_01-MCR.txt", dt.date(2025, 10, 1)),
        ("MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", dt.date(2026, 4, 1)),
        ("ccipra-v322r0-f1.txt", dt.date(2026, 7, 1)),
        ("ccioph-v303r0-f4.txt", dt.date(2024, 10, 1)),
        ("PPRRVU2025_Oct.csv", dt.date(2025, 10, 1)),
        ("PPRRVU26_JAN.csv", dt.date(2026, 1, 1)),
        ("rvu25d.zip", dt.date(2025, 10, 1)),
        ("HCPC2026_OCT_ANWEB.xlsx", dt.date(2026, 10, 1)),
        ("medicare-ncci-2026-q2-practitioner-services-mue-table.zip", dt.date(2026, 4, 1)),
        (
            "2025 National Physician Fee Schedule Relative Value File October Release",
            dt.date(2025, 10, 1),
        ),
        ("hcpcs_level2_2023.derived.csv", dt.date(2023, 1, 1)),
        ("place_of_service.derived.csv", None),
    ],
)
def test_vintage_from_names(text, vintage):
    assert vintage_from_text(text) == vintage


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("ccipra-v322r0-f1.txt", "practitioner"),
        ("ccioph-v322r0-f1.txt", "hospital"),
        ("ncci_mue_out_2024q3.derived.csv", "hospital"),
        ("ncci_mue_prac_2024q3.derived.csv", "practitioner"),
        ("ncci_mue_dme_2024q3.derived.csv", "dme"),
        ("MCR_MUE_OutpatientHospitalServices_Eff_04-01-2026.csv", "hospital"),
        ("DME Supplier Services MUE Values", "dme"),
        ("AOC_V2026Q2-MCR.xlsx", None),
    ],
)
def test_setting_from_names(text, setting):
    assert setting_from_text(text) == setting


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2026Q3", dt.date(2026, 7, 1)),
        ("2026-q1", dt.date(2026, 1, 1)),
        ("2026-07-01", dt.date(2026, 7, 1)),
        ("07/01/2026", dt.date(2026, 7, 1)),
    ],
)
def test_parse_vintage_option(text, date):
    assert parse_vintage(text) == date


def test_parse_vintage_rejects_nonsense():
    with pytest.raises(ValueError, match="2026Q3"):
        parse_vintage("summer")
