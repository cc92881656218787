"""The Findings sheet as a coder's worklist (issue 14, point 3): "Billed modifier" and
"Suggested modifiers" columns, Status / Owner / Note columns with a drop-down on Status, the
table filterable over every column, and Summary headers aligned with their numbers."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from test_report import make_result

from addin.workbooks import styles
from addin.workbooks.report import write_report
from addin.workbooks.report_findings import FINDINGS_SHEET_COLUMNS, WORK_STATUSES
from addin.workbooks.report_modifiers import FIXED_SUGGESTIONS, modifier_columns

HEADERS = [header for _, header in FINDINGS_SHEET_COLUMNS]


def _findings(rule_ids: list[str], modifiers: list[str], rows: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"rule_id": rule_ids, "modifier": modifiers, "row": rows})


def _lines() -> pd.DataFrame:
    return pd.DataFrame({"row": [2, 3, 4, 5], "modifiers": pd.Categorical(["", "26,XS", "LT", "59,XS"])})


def test_ptp002_modifier_is_the_suggestion_and_the_line_shows_what_was_billed():
    findings = _findings(["PTP002", "PTP002"], ["XE/XS/XP/XU/59", "25"], [4, 2])
    billed, suggested = modifier_columns(findings, _lines())
    assert list(billed) == ["LT", ""]
    assert list(suggested) == ["XE/XS/XP/XU/59", "25"]


def test_billed_modifier_rules_keep_their_modifier_and_suggest_from_the_fix():
    findings = _findings(
        ["MOD002", "MOD011", "PTP003", "MOD013", "MOD012", "DUP001", "PTP001", "MUE001"],
        ["26", "59+XS", "XS", "59", "25", "", "", ""],
        [3, 5, 3, 5, 2, 4, 4, 9],
    )
    billed, suggested = modifier_columns(findings, _lines())
    # a finding's own billed modifier; else the line's modifiers; row 9 is not a checked line
    assert list(billed) == ["26", "59+XS", "XS", "59", "25", "LT", "LT", ""]
    assert list(suggested) == [
        "", "XS", "", FIXED_SUGGESTIONS["MOD013"], FIXED_SUGGESTIONS["MOD012"], "76/77/91", "", ""
    ]


def test_suggestion_rules_exist_in_the_registry():
    from addin.rules import all_rules

    known = {rule.rule_id for rule in all_rules()}
    from addin.workbooks.report_modifiers import KEEP_X, MODIFIER_IS_SUGGESTION

    assert set(FIXED_SUGGESTIONS) | KEEP_X | MODIFIER_IS_SUGGESTION <= known


def test_findings_csv_columns_are_unchanged():
    """The split is the workbook's: the findings contract keeps its one ``modifier`` column."""
    from addin.findings import FINDING_COLUMNS

    assert "modifier" in FINDING_COLUMNS
    assert not {"billed_modifier", "suggested_modifiers"} & set(FINDING_COLUMNS)


@pytest.fixture
def worklist(tmp_path):
    result = make_result(tmp_path / "claims.xlsx")
    findings = result.findings.copy()
    findings.loc[0, ["rule_id", "modifier"]] = ["PTP002", "XE/XS/XP/XU/59"]  # on row 3
    findings.loc[3, ["rule", "rule_id", "modifier"]] = ["modifier", "MOD011", "59+XS"]
    result.findings = findings
    result.claims.lines["modifiers"] = ["", "LT", "", "59,XS"]
    path = write_report(result, tmp_path / "audit.xlsx")
    return result, path


def test_findings_sheet_has_the_modifier_and_worklist_columns(worklist):
    result, path = worklist
    ws = openpyxl.load_workbook(path)["Findings"]
    header = [c.value for c in ws[1]]
    assert header == HEADERS
    assert header[-3:] == ["Status", "Owner", "Note"]
    assert header[6:8] == ["Billed modifier", "Suggested modifiers"]
    rows = {(r[3], r[0]): dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["PTP002", 3]["Billed modifier"] == "LT"  # what the line carries
    assert rows["PTP002", 3]["Suggested modifiers"] == "XE/XS/XP/XU/59"
    assert rows["MOD011", 4]["Billed modifier"] == "59+XS"
    assert rows["MOD011", 4]["Suggested modifiers"] == "XS"
    assert all(r["Status"] is None and r["Owner"] is None and r["Note"] is None for r in rows.values())


def test_status_has_a_drop_down_over_every_finding_and_the_table_covers_the_worklist(worklist):
    result, path = worklist
    ws = openpyxl.load_workbook(path)["Findings"]
    status = openpyxl.utils.get_column_letter(HEADERS.index("Status") + 1)
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list" and validation.allow_blank
    assert validation.formula1 == '"' + ",".join(WORK_STATUSES) + '"'
    assert str(validation.sqref) == f"{status}2:{status}{len(result.findings) + 1}"
    table = ws.tables["Findings"]
    last = openpyxl.utils.get_column_letter(len(HEADERS))
    assert table.ref == f"A1:{last}{len(result.findings) + 1}"  # filterable, Status included
    assert [c.name for c in table.tableColumns] == HEADERS


def test_status_drop_down_on_a_streamed_sheet(tmp_path):
    """Enough findings for the column renderer: the validation still spans every row."""
    result = make_result(tmp_path / "claims.xlsx", findings_per_row=30)  # 120 findings
    path = write_report(result, tmp_path / "audit.xlsx")
    ws = openpyxl.load_workbook(path)["Findings"]
    (validation,) = ws.data_validations.dataValidation
    assert str(validation.sqref).endswith(str(len(result.findings) + 1))
    assert ws.max_row == len(result.findings) + 1


def test_summary_number_headers_are_right_aligned_like_their_numbers(worklist):
    _, path = worklist
    ws = openpyxl.load_workbook(path)["Summary"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.style in (styles.STYLE_HEADER, styles.STYLE_HEADER_NUMBER)}
    for name in ("Findings", "Checker reported", "error", "warning", "info", "Total", "Errors", "Rows"):
        assert cells[name].alignment.horizontal == "right", name
    for name in ("Severity", "Rule family", "Code", "Table", "Covers"):
        assert cells[name].alignment.horizontal in (None, "general", "left"), name
