"""The column renderer of the report's big sheets writes the same XML as the row renderer.

:meth:`StreamedRows.add_columns` renders blocks of rows column by column with pyarrow;
:meth:`StreamedRows.add` renders one row at a time. Both must give identical bytes for every
kind of value a claims file or the findings hold (text that looks like a formula, control
characters, edge spaces, numbers, dates and times, booleans, missing values), styles, row
heights and links.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl import Workbook

from addin.workbooks import fast_rows, styles
from addin.workbooks.fast_rows import StreamedRows

ROWS = 150  # over VECTOR_MIN_ROWS, so add_columns takes the column path


def _frame(rows: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    texts = np.array(["=1+1", "+SUM(A1)", "a & b <c>", " lead", "trail ", "ctl\x01x", "", "plain",
                      "é€ unicode", '"quoted"', "#N/A", "x" * 40_000], dtype=object)
    mixed = np.array([1, 2.5, "text", None, dt.datetime(2025, 3, 1), True, np.nan, "=A1"], dtype=object)
    return pd.DataFrame(
        {
            "text": pd.Series(rng.choice(texts, rows), dtype="str"),
            "object_text": pd.Series(list(rng.choice(texts, rows)), dtype=object).where(rng.random(rows) > 0.2, None),
            "short": pd.Series(rng.choice(["43235", "a&b", " x", "XS", "", "<", "ok"], rows), dtype="str"),
            "category": pd.Categorical(rng.choice(["43235", "43497", ""], rows)),
            "int": rng.integers(-5, 100_000, rows),
            "nullable": pd.Series(rng.integers(0, 9, rows), dtype="Int64").where(rng.random(rows) > 0.3, pd.NA),
            "float": rng.choice([1.5, 3.25, 0.1, 7.0, np.nan, -2.0, 12.0], rows),
            "date": pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, rows), "D"))
            .where(rng.random(rows) > 0.1),
            "datetime": pd.Timestamp("2025-01-01 00:00") + pd.to_timedelta(rng.integers(0, 48, rows) * 30, "min"),
            "bool": rng.random(rows) > 0.5,
            "mixed": rng.choice(mixed, rows),
        }
    )


def _stream(ws, link_formulas: bool = False) -> StreamedRows:
    return StreamedRows(ws, 13, date_style=styles.STYLE_DATE, datetime_style=styles.STYLE_DATETIME,
                        link_formulas=link_formulas)


def _written(stream: StreamedRows) -> tuple[bytes, bytes]:
    stream.close()
    out = stream.rows_path.read_bytes(), stream.links_path.read_bytes()
    stream.discard()
    return out


@pytest.mark.parametrize("link_formulas", [False, True])
def test_column_path_writes_the_same_xml_as_the_row_path(link_formulas):
    workbook = Workbook(write_only=True)
    styles.register(workbook)
    ws = workbook.create_sheet("x")
    frame = _frame()
    rng = np.random.default_rng(9)
    per_row = np.where(rng.random(ROWS) > 0.5, styles.STYLE_WRAP, None).astype(object)
    cell_styles = [None, styles.STYLE_PLAIN, per_row, styles.STYLE_CODE, styles.STYLE_CENTER, per_row,
                   styles.STYLE_INTEGER, None, None, None, per_row]
    heights = np.where(rng.random(ROWS) > 0.7, 47.0, np.nan)
    targets = np.array([f"'Claims 2'!A{i}" if i % 3 else None for i in range(ROWS)], dtype=object)
    link = (4, targets, 'Go to "row"')

    by_rows = _stream(ws, link_formulas)
    values = frame.to_numpy(dtype=object)
    for i in range(ROWS):
        row_styles = [s if s is None or isinstance(s, str) else s[i] for s in cell_styles]
        row_link = (4, targets[i], link[2]) if targets[i] is not None else None
        by_rows.add(list(values[i]), row_styles, None if np.isnan(heights[i]) else heights[i], row_link)

    by_columns = _stream(ws, link_formulas)
    by_columns.add_columns([frame[c] for c in frame.columns], cell_styles, heights, link)

    assert by_columns.next_row == by_rows.next_row == ROWS + 2
    assert by_columns.link_count == by_rows.link_count
    rows_a, links_a = _written(by_rows)
    rows_b, links_b = _written(by_columns)
    assert rows_b == rows_a
    assert links_b == links_a


def test_blocks_continue_the_row_numbers(monkeypatch):
    monkeypatch.setattr(fast_rows, "BLOCK_ROWS", 70)
    workbook = Workbook(write_only=True)
    styles.register(workbook)
    stream = _stream(workbook.create_sheet("x"))
    stream.add_columns([pd.Series(np.arange(200))], [None])
    rows, _ = _written(stream)
    numbers = [int(part.split(b'"')[0]) for part in rows.split(b'<row r="')[1:]]
    assert numbers == list(range(2, 202))


def test_written_workbook_reads_back(tmp_path):
    """A report-sized Findings sheet through the column path opens in openpyxl with its values."""
    from test_report import make_result

    from addin.workbooks.report import write_report

    result = make_result(tmp_path / "claims.xlsx", findings_per_row=40)  # 160 findings
    path = write_report(result, tmp_path / "audit.xlsx")
    findings = openpyxl.load_workbook(path)["Findings"]
    rows = list(findings.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 160
    assert [r[0] for r in rows] == list(result.findings["row"])
    assert {r[8] for r in rows if r[8].startswith("=")} == {"=1+1"} | {f"=1+1 ({i})" for i in range(1, 40)}
    assert all(isinstance(r[10], dt.datetime) for r in rows if r[2] != "input")


def test_report_reads_back_without_zlib_ng(tmp_path, monkeypatch):
    """zlib-ng only speeds up the deflate: without it zipfile's zlib writes the same parts."""
    from test_report import make_result

    from addin.workbooks.report import write_report

    monkeypatch.setattr(fast_rows, "_zlib_ng", None)
    result = make_result(tmp_path / "claims.xlsx", findings_per_row=40)
    path = write_report(result, tmp_path / "audit.xlsx")
    assert openpyxl.load_workbook(path)["Findings"].max_row == 161


def test_a_failure_on_the_reference_thread_leaves_no_file(tmp_path, monkeypatch):
    from test_report import make_result

    from addin.workbooks import report

    def broken(*args, **kwargs):
        raise RuntimeError("reference store went away")

    monkeypatch.setattr(report, "reference_tables", broken)
    target = tmp_path / "audit.xlsx"
    target.write_bytes(b"previous report")
    with pytest.raises(RuntimeError, match="went away"):
        report.write_report(make_result(tmp_path / "claims.xlsx"), target)
    assert target.read_bytes() == b"previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.xlsx"]
