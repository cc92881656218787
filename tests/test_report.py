"""The audit report workbook: sheets, links, text-not-formula, atomic write, split sheets.

These tests read the workbook back with openpyxl (no recalculation); the values formulas
compute are checked in test_report_libreoffice.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from addin.claims.model import ClaimsInput
from addin.errors import CptAddinError
from addin.findings import FINDING_COLUMNS, CheckResult
from addin.workbooks import report
from addin.workbooks.report import write_report

#: Cells a claims file could use to inject formulas; they must come back as this text.
INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "#N/A", "=1+1"]
SHEETS = ["Summary", "Findings", "Claims", "Rejected rows", "Reference", "About"]


def make_result(input_path: Path | str = "claims.xlsx", findings_per_row: int = 1) -> CheckResult:
    """A small CheckResult built by hand: 5 input rows (one rejected), injected text, findings."""
    raw = pd.DataFrame(
        {
            "row": [2, 3, 4, 5, 6],
            "Claim ID": ["C1", "C1", "C2", "C2", "C3"],
            "Date of Service": [dt.datetime(2025, 3, 1)] * 4 + ["not a date"],
            "CPT/HCPCS": ["43235", "43497", "47383", "77002", INJECTIONS[0]],
            "Modifiers": ["", INJECTIONS[1], "", INJECTIONS[2], ""],
            "Note": [INJECTIONS[3], INJECTIONS[4], None, 3.5, 7],
        }
    )
    lines = pd.DataFrame(
        {
            "row": [2, 3, 4, 5],
            "claim_id": ["C1", "C1", "C2", "C2"],
            "dos": pd.to_datetime(["2025-03-01"] * 4),
            "cpt": ["43235", "43497", "47383", "77002"],
        }
    )
    rejected = pd.DataFrame(
        {"row": [6], "column": ["Date of Service"], "reason": ["not a date"], "raw": [INJECTIONS[0]]}
    )
    meta = {
        "file": str(input_path),
        "sha256": "ab" * 32,
        "sheet": "Claims",
        "header_row": 1,
        "column_mapping": {"cpt": "CPT/HCPCS", "dos": "Date of Service"},
        "rows_read": 5,
        "rows_checked": 4,
        "rows_rejected": 1,
        "blank_rows": 0,
        "notes": [],
    }
    base = [
        ("C1", 3, "ptp", "PTP001", "error", "43497", "43235", INJECTIONS[5], 2),
        ("C2", 5, "ptp", "PTP002", "warning", "77002", "47383", "not bypassed; " * 30, 4),
        ("C3", 6, "input", "INP001", "error", "", "", "not a date", 0),
        ("C2", 4, "code", "COD005", "info", "47383", "", "info only", 0),
    ]
    records = []
    for claim, row, family, rule_id, severity, code, related, message, related_row in base:
        for copy in range(findings_per_row):
            records.append(
                {
                    "claim_id": claim, "row": row, "rule": family, "rule_id": rule_id,
                    "severity": severity, "code": code, "related_code": related, "modifier": "",
                    "message": message if copy == 0 else f"{message} ({copy})",
                    "suggestion": "fix it", "source": "test", "patient_id": "P1",
                    "provider_npi": "1234567890",
                    "dos": pd.Timestamp("2025-03-01") if family != "input" else pd.NaT,
                    "related_row": related_row,
                }
            )
    findings = pd.DataFrame(records, columns=FINDING_COLUMNS)
    line_status = pd.DataFrame(
        {
            "row": [2, 3, 4, 5, 6],
            "worst_severity": ["", "error", "info", "warning", "error"],
            "finding_count": [0, 1, 1, 1, 1],
            "messages": ["", "PTP001: conflict", "COD005", "PTP002", "rejected"],
        }
    )
    return CheckResult(
        findings=findings,
        claims=ClaimsInput(lines=lines, rejected=rejected, raw=raw, meta=meta),
        line_status=line_status,
        elapsed_seconds=0.5,
    )


@pytest.fixture
def written(tmp_path) -> tuple[CheckResult, Path]:
    result = make_result(tmp_path / "claims.xlsx")
    return result, write_report(result, tmp_path / "audit.xlsx")


def test_sheets_in_order(written):
    _, path = written
    assert openpyxl.load_workbook(path).sheetnames == SHEETS


def test_input_text_is_written_as_text_never_a_formula(written):
    _, path = written
    workbook = openpyxl.load_workbook(path)
    seen = set()
    for name in ("Findings", "Claims", "Rejected rows"):
        for row in workbook[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in INJECTIONS:
                    assert cell.data_type == "s", (name, cell.coordinate, cell.value)
                    seen.add(cell.value)
                assert cell.data_type != "f", f"unexpected formula on {name}!{cell.coordinate}"
    assert seen == set(INJECTIONS)


def test_findings_link_to_their_claim_rows(written):
    _, path = written
    workbook = openpyxl.load_workbook(path)
    findings, claims = workbook["Findings"], workbook["Claims"]
    assert findings.freeze_panes == "B2"
    assert "Findings" in findings.tables
    for row in findings.iter_rows(min_row=2):
        link = row[0].hyperlink
        sheet, cell = link.location.split("!")
        assert sheet == "Claims"
        assert claims[cell].value == row[0].value  # the Row column of the linked claim row


def test_claims_sheet_keeps_every_input_column_and_adds_status(written):
    result, path = written
    claims = openpyxl.load_workbook(path)["Claims"]
    header = [c.value for c in claims[1]]
    assert header[:4] == ["Row", "Status", "Findings", "Messages"]
    assert header[4:] == list(result.claims.raw.columns[1:])
    statuses = {claims.cell(r, 1).value: claims.cell(r, 2).value for r in range(2, 7)}
    assert statuses == {2: "ok", 3: "error", 4: "info", 5: "warning", 6: "rejected"}
    assert claims.conditional_formatting, "rows are tinted by status"


def test_summary_formulas_count_the_findings_sheet(written):
    _, path = written
    summary = openpyxl.load_workbook(path)["Summary"]
    formulas = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert '=COUNTIFS(Findings!$B:$B,"error")' in formulas
    assert '=COUNTIFS(Findings!$C:$C,"ptp",Findings!$B:$B,"warning")' in formulas
    assert any(f.startswith("=SUBTOTAL(103,Findings!$B$2:$B$5)") for f in formulas)
    assert len(summary._charts) == 2


def test_refuses_to_overwrite_the_input(tmp_path):
    source = tmp_path / "claims.xlsx"
    source.write_bytes(b"the user's claims")
    result = make_result(source)
    with pytest.raises(CptAddinError, match="input file"):
        write_report(result, source)
    with pytest.raises(CptAddinError):
        write_report(result, tmp_path / "." / "claims.xlsx")
    assert source.read_bytes() == b"the user's claims"


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "audit.xlsx"
    target.write_bytes(b"previous report")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "write_about", boom)
    with pytest.raises(RuntimeError):
        write_report(make_result(), target)
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.xlsx"]  # no temporary file left


def test_findings_and_claims_split_over_numbered_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "SHEET_DATA_ROWS", 3)
    result = make_result(findings_per_row=2)  # 8 findings, 5 claim rows
    path = write_report(result, tmp_path / "audit.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        "Summary", "Findings", "Findings 2", "Findings 3", "Claims", "Claims 2",
        "Rejected rows", "Reference", "About",
    ]
    rows = [workbook[s].max_row - 1 for s in ("Findings", "Findings 2", "Findings 3")]
    assert rows == [3, 3, 2]
    summary_text = " ".join(str(c.value) for row in workbook["Summary"].iter_rows() for c in row if c.value)
    assert "split over 3 sheets: Findings, Findings 2, Findings 3" in summary_text
    assert "COUNTIFS('Findings 2'!$B:$B" in summary_text
    # links follow the claims split: input row 5 is the 4th claim row -> 'Claims 2'!A2
    for name in ("Findings", "Findings 2", "Findings 3"):
        for row in workbook[name].iter_rows(min_row=2):
            sheet, cell = row[0].hyperlink.location.split("!")
            assert workbook[sheet.strip("'")][cell].value == row[0].value


def test_report_without_findings(tmp_path):
    result = make_result()
    result.findings = result.findings.iloc[0:0]
    path = write_report(result, tmp_path / "clean.xlsx")
    findings = openpyxl.load_workbook(path)["Findings"]
    assert "No findings" in str(findings["B2"].value)


def test_many_links_become_hyperlink_formulas(tmp_path, monkeypatch):
    """Excel keeps at most 66,530 hyperlinks per sheet: past the limit rows link by formula."""
    from addin.workbooks import fast_rows

    monkeypatch.setattr(fast_rows, "MAX_LINK_ELEMENTS", 2)
    path = write_report(make_result(), tmp_path / "audit.xlsx")
    findings = openpyxl.load_workbook(path)["Findings"]
    assert findings["A2"].value == '=HYPERLINK("#Claims!A3",3)'
    assert not findings._hyperlinks and findings["A2"].hyperlink is None


def test_dates_keep_their_format_in_tall_rows(written):
    _, path = written
    findings = openpyxl.load_workbook(path)["Findings"]
    dates = [row[10] for row in findings.iter_rows(min_row=2) if row[10].value is not None]
    assert dates and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dates)


def test_reference_lists_edits_in_force_first_when_capped():
    from addin.workbooks.report_reference import ptp_among

    class Reference:
        def ptp_edits_among(self, codes, date, setting, only_applicable):
            return pd.DataFrame(
                {
                    "column_1": ["A", "B", "C"], "column_2": ["X", "Y", "Z"],
                    "modifier_indicator": [1, 0, 9], "rationale": "r", "source": "s",
                    "effective_date": pd.to_datetime(["2030-01-01", None, None]),
                    "deletion_date": pd.NaT,
                }
            )

    dates = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    edits, left_out = ptp_among(Reference(), ["A"], *dates, "practitioner", limit=1)
    assert list(edits["column_1"]) == ["B"] and left_out == 2
    everything, none_left = ptp_among(Reference(), ["A"], *dates, "practitioner")
    assert list(everything["in_force"]) == ["no", "yes", "no"] and none_left == 0
