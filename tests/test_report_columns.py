"""More input columns than Excel's 16,384: the Claims sheet keeps the first columns that fit
beside its status columns, and the Summary names those left out (issue 10, point 7)."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd

from addin.claims.model import ClaimsInput
from addin.findings import CheckResult, empty_findings
from addin.workbooks import report_claims
from addin.workbooks.report import write_report


def wide_result(extra_columns: int) -> CheckResult:
    """Two claim lines with ``extra_columns`` input columns beyond the usual ones."""
    raw = pd.DataFrame({"row": [2, 3], "Claim ID": ["C1", "C1"], "CPT": ["43497", "43235"]})
    extra = pd.DataFrame({f"extra {i}": ["a", "b"] for i in range(extra_columns)})
    raw = pd.concat([raw, extra], axis=1)
    lines = pd.DataFrame({"row": [2, 3], "claim_id": ["C1", "C1"],
                          "dos": pd.to_datetime(["2025-03-01"] * 2), "cpt": ["43497", "43235"]})
    meta = {"file": "(data frame)", "rows_read": 2, "rows_checked": 2, "rows_rejected": 0, "notes": []}
    return CheckResult(
        findings=empty_findings(),
        claims=ClaimsInput(lines=lines, rejected=pd.DataFrame(columns=["row", "column", "reason", "raw"]),
                           raw=raw, meta=meta),
        line_status=pd.DataFrame({"row": [2, 3], "worst_severity": ["", ""], "finding_count": [0, 0],
                                  "messages": ["", ""]}),
        elapsed_seconds=0.1,
    )


def summary_notes(path) -> list[str]:
    summary = openpyxl.load_workbook(path, read_only=True)["Summary"]
    return [str(c) for row in summary.iter_rows(values_only=True) for c in row
            if isinstance(c, str) and "left out" in c]


def test_columns_beyond_the_limit_are_left_out_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(report_claims, "MAX_INPUT_COLUMNS", 4)  # Claim ID, CPT, extra 0, extra 1
    monkeypatch.setattr(report_claims, "LEFT_OUT_NAMED", 3)
    path = write_report(wide_result(8), tmp_path / "audit.xlsx")
    claims = openpyxl.load_workbook(path)["Claims"]
    header = [c.value for c in claims[1]]
    assert header == ["Row", "Status", "Findings", "Messages", "Claim ID", "CPT", "extra 0", "extra 1"]
    assert [c.value for c in claims[2]][4:] == ["C1", "43497", "a", "a"]
    (note,) = summary_notes(path)
    assert "6 input columns are left out" in note
    assert "extra 2, extra 3, extra 4 and 3 more" in note


def test_no_note_when_every_column_fits(tmp_path):
    path = write_report(wide_result(3), tmp_path / "audit.xlsx")
    assert summary_notes(path) == []


def test_real_excel_limit_is_never_passed(tmp_path):
    """16,382 input columns + 4 status columns = 16,386: the last two go, the file stays valid."""
    result = wide_result(16_380)  # + Claim ID and CPT
    path = write_report(result, tmp_path / "audit.xlsx")
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(archive.read(n).decode("utf-8") for n in names)
    assert 'r="XFD1"' in xml  # the 16,384th column is used ...
    assert 'r="XFE' not in xml  # ... and never one beyond Excel's last
    (note,) = summary_notes(path)
    assert "2 input columns are left out" in note and "extra 16378, extra 16379" in note
