"""The ICD-10-CM order file importer: layout, fiscal-year vintage, refusals with line/column."""

from __future__ import annotations

import datetime as dt

import pytest
from importer_helpers import parse, refused

from addin.reference import schema
from addin.reference.importers.names import fiscal_year, fiscal_year_vintage


def order_line(number: int, code: str, billable: bool, text: str) -> str:
    """One line of the order file layout (widths 5, 7, 1, 60, rest)."""
    return f"{number:05d} {code:<7} {int(billable)} {text[:60]:<60} {text}"


def order_file(rows: list[tuple[str, bool, str]], newline: str = "\r\n") -> str:
    """A small order file written by the test (CRLF like CMS's)."""
    return newline.join(order_line(n, *row) for n, row in enumerate(rows, 1)) + newline


ROWS = [
    ("E11", False, "Type 2 diabetes mellitus"),
    ("E119", True, "Type 2 diabetes mellitus without complications"),
    ("K83", False, "Other diseases of biliary tract"),
    ("K831", True, "Obstruction of bile duct"),
]


@pytest.fixture
def excerpt(shared_layouts) -> bytes:
    return (shared_layouts / "icd10cm_order_2026.excerpt.txt").read_bytes()


def test_excerpt_parses_as_fy2026(excerpt):
    assert b"\r\n" in excerpt
    parsed = parse("icd10cm_order_2026.txt", excerpt)
    assert (parsed.table, parsed.layout) == (schema.ICD10CM, "icd10cm-order-txt")
    assert parsed.vintage == dt.date(2025, 10, 1)
    frame = parsed.frame.set_index("code")
    assert list(parsed.frame.columns) == schema.COLUMNS[schema.ICD10CM]
    assert not frame.loc["A00", "billable"] and frame.loc["A000", "billable"]
    assert frame.loc["M549", "billable"] and not frame.loc["M548", "billable"]
    assert frame.loc["M549", "long_description"] == "Dorsalgia, unspecified"
    assert frame.loc["A000", "short_description"].endswith("biovar cholerae")
    assert parsed.frame["order_number"].iloc[0] == 1
    assert not parsed.frame["code"].str.contains(r"[ .\r]").any()
    assert "FY2026" in parsed.notes[0]


def test_excerpt_vintage_from_its_own_name_and_from_the_hint(excerpt):
    assert parse("icd10cm_order_2026.excerpt.txt", excerpt).vintage == dt.date(2025, 10, 1)
    hinted = parse("renamed.txt", excerpt, vintage=dt.date(2024, 10, 1))
    assert hinted.vintage == dt.date(2024, 10, 1)
    assert "fiscal year" in refused("renamed.txt", excerpt).reason


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("icd10cm_order_2026.txt", dt.date(2025, 10, 1)),
        ("icd10cm_order_2025.txt", dt.date(2024, 10, 1)),
        ("FY2027 code descriptions.zip", dt.date(2026, 10, 1)),
        ("icd10cm-order-April-1-2026.txt", dt.date(2026, 4, 1)),
        ("readme.txt", None),
    ],
)
def test_fiscal_year_from_the_name(name, start):
    assert fiscal_year_vintage(name) == start


def test_fiscal_year_of_a_date():
    assert fiscal_year(dt.date(2025, 9, 30)) == 2025
    assert fiscal_year(dt.date(2025, 10, 1)) == 2026


def test_zip_name_gives_the_year():
    parsed = parse("icd10cm-2026.zip!order.txt", order_file(ROWS))
    assert parsed.vintage == dt.date(2025, 10, 1)


def test_lf_lines_and_utf8_description_are_read():
    rows = [*ROWS, ("H8101", True, "Ménière's disease, right ear")]
    parsed = parse("icd10cm_order_2026.txt", order_file(rows, newline="\n").encode("utf-8"))
    frame = parsed.frame.set_index("code")
    assert frame.loc["H8101", "long_description"] == "Ménière's disease, right ear"
    assert len(parsed.frame) == 5


def _lines(excerpt: bytes) -> list[str]:
    return excerpt.decode("ascii").split("\r\n")


def _join(lines: list[str]) -> bytes:
    return "\r\n".join(lines).encode("utf-8")


def test_truncated_line_is_refused_with_line_and_column(excerpt):
    lines = _lines(excerpt)
    lines[9] = lines[9][:40]  # cut inside the short description
    error = refused("icd10cm_order_2026.txt", _join(lines))
    assert (error.line, error.column) == (10, "41")
    assert "icd10cm_order_2026.txt, line 10, column 41" in str(error)
    assert "truncated" in error.reason


def test_file_cut_mid_record_is_refused(excerpt):
    cut = excerpt[: excerpt.rindex(b"\r\n", 0, len(excerpt) - 2) + 30]
    error = refused("icd10cm_order_2026.txt", cut)
    assert error.line == cut.count(b"\r\n") + 1
    assert "truncated" in error.reason


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda s: s[:6] + s[6:13] + " " + s[13:], "header flag (15)"),  # code field 8 wide
        (lambda s: s[:6] + "A0090000" + s[14:], "14"),  # an 8-character code
        (lambda s: s[:5] + s[6:], "6"),  # order number glued to the code
        (lambda s: s[:14] + "2" + s[15:], "header flag (15)"),
        (lambda s: s[:76] + "X" + s[77:], "77"),  # short description 61 wide
        (lambda s: "  004" + s[5:], "order number (1-5)"),
        (lambda s: s[:6] + "É119   " + s[13:], "code (7-13)"),  # non-ASCII code
        (lambda s: s[:6] + "E11.9  " + s[13:], "code (7-13)"),  # dotted code
        (lambda s: s[:20] + "\t" + s[21:], "1"),
    ],
)
def test_wrong_widths_and_bad_fields_name_the_column(excerpt, change, column):
    lines = _lines(excerpt)
    lines[3] = change(lines[3])
    error = refused("icd10cm_order_2026.txt", _join(lines))
    assert (error.line, error.column) == (4, column)


def test_duplicate_code_is_refused():
    error = refused("icd10cm_order_2026.txt", order_file([*ROWS, ROWS[1]]))
    assert error.line == 5 and "twice" in error.reason


def test_utf16_is_refused():
    assert "UTF-16" in refused("icd10cm_order_2026.txt", order_file(ROWS).encode("utf-16")).reason


def test_unusual_vintage_hint_is_noted():
    parsed = parse("order.txt", order_file(ROWS), vintage=dt.date(2026, 1, 1))
    assert parsed.vintage == dt.date(2026, 1, 1)
    assert any("1 October" in note for note in parsed.notes)


def test_truncated_last_line_of_a_written_file_is_refused():
    text = order_file(ROWS)
    error = refused("icd10cm_order_2026.txt", text[: len(text) - 30])
    assert error.line == 4 and "truncated" in error.reason
