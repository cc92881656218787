"""Generated workbooks opened and recalculated by LibreOffice headless, values read back.

One soffice run recalculates every workbook of this module (reports and templates), since
each start costs ~2 s: the module fixture builds them all, converts them in one batch, and
each test reads its workbook with openpyxl ``data_only=True``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from libreoffice import recalculate, soffice_path
from test_report import INJECTIONS, make_result

from addin.findings import SEVERITIES
from addin.workbooks import report, standalone_pair, templates
from addin.workbooks.report import write_report

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed"),
]

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "sample_claims.xlsx"

# (code 1, code 2, date of service, setting) typed into the standalone pair checker
PAIRS = [
    ("43235", "43497", None, None),
    ("43497", "43235", None, None),
    ("47383", "77002", None, None),
    ("77002", "47383", None, None),
    ("47383", "77003", None, None),
    ("00731", "99213", dt.date(2019, 6, 1), None),  # episode deleted after 2019-12-31
    ("00731", "99213", dt.date(2024, 6, 1), None),
    ("47383", "77002", dt.date(2025, 1, 15), "hospital"),
    (47383, 77002, None, None),  # numbers typed into the cells
    ("47383", "12345", None, None),  # a code outside the embedded list
]


def _sample_result():
    checker = pytest.importorskip("addin.checker")
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is not there yet")
    return checker.check(SAMPLE)


def _fill_pairs(source: Path, target: Path) -> None:
    workbook = openpyxl.load_workbook(source)
    ws = workbook[standalone_pair.SHEET]
    for row in range(standalone_pair.FIRST_ROW, standalone_pair.LAST_ROW + 1):
        for column in "ABCD":
            ws[f"{column}{row}"].value = None
    for row, (a, b, dos, setting) in enumerate(PAIRS, start=standalone_pair.FIRST_ROW):
        ws[f"A{row}"].value = a
        ws[f"B{row}"].value = b
        ws[f"C{row}"].value = dos
        ws[f"D{row}"].value = setting
    workbook.save(target)


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory) -> dict[str, object]:
    """Build every workbook, recalculate them all in one soffice run; name -> (path, extra)."""
    src = tmp_path_factory.mktemp("lo-in")
    out = tmp_path_factory.mktemp("lo-out")
    built: dict[str, Path] = {}
    extra: dict[str, object] = {}

    hand = make_result(src / "claims.xlsx")
    built["hand"] = write_report(hand, src / "audit_hand.xlsx")
    extra["hand"] = hand

    limit = report.SHEET_DATA_ROWS
    report.SHEET_DATA_ROWS = 3
    try:
        split = make_result(src / "claims.xlsx", findings_per_row=2)
        built["split"] = write_report(split, src / "audit_split.xlsx")
        extra["split"] = split
    finally:
        report.SHEET_DATA_ROWS = limit

    from addin.workbooks import fast_rows

    links = fast_rows.MAX_LINK_ELEMENTS
    fast_rows.MAX_LINK_ELEMENTS = 2
    try:
        built["links"] = write_report(hand, src / "audit_links.xlsx")
    finally:
        fast_rows.MAX_LINK_ELEMENTS = links

    streamed = make_result(src / "claims.xlsx", findings_per_row=40)  # the column renderer's path
    built["streamed"] = write_report(streamed, src / "audit_streamed.xlsx")
    extra["streamed"] = streamed

    try:
        sample = _sample_result()
        built["sample"] = write_report(sample, src / "audit_sample.xlsx")
        extra["sample"] = sample
    except pytest.skip.Exception as reason:
        extra["sample_skip"] = str(reason)

    reference = templates.bundled_reference()
    extra["reference"] = reference
    plain = templates.build_template("pair-checker-standalone", src / "standalone.xlsx", reference=reference)
    _fill_pairs(plain, src / "standalone_filled.xlsx")
    built["standalone"] = src / "standalone_filled.xlsx"
    built["claim_entry"] = templates.build_template("claim-entry", src / "claim_entry.xlsx", reference=reference)

    names = list(built)
    outputs = recalculate([built[n] for n in names], out)
    return {"paths": dict(zip(names, outputs, strict=True)), **extra}


def _values(recalculated, name: str) -> openpyxl.Workbook:
    if name not in recalculated["paths"]:
        pytest.skip(recalculated.get(f"{name}_skip", f"{name} workbook not built"))
    return openpyxl.load_workbook(recalculated["paths"][name], data_only=True)


def _summary_counts(ws) -> dict[str, tuple]:
    """Label in column A -> the row's values (first occurrence of each label)."""
    out: dict[str, tuple] = {}
    for row in ws.iter_rows(values_only=True):
        if row and isinstance(row[0], str) and row[0] not in out:
            out[row[0]] = row
    return out


@pytest.mark.parametrize("name", ["hand", "split", "sample"])
def test_summary_formulas_equal_the_checker_counts(recalculated, name):
    workbook = _values(recalculated, name)
    counts = recalculated[name].counts
    rows = _summary_counts(workbook["Summary"])
    for severity in SEVERITIES:
        live, reported = rows[severity][1], rows[severity][2]
        assert live == reported == counts["by_severity"].get(severity, 0), severity
    assert rows["All findings"][1] == counts["findings"]
    assert rows["Shown by the current filter"][1] == counts["findings"]
    families = {label.split(" —")[0]: values for label, values in rows.items() if " — " in label}
    for family, number in counts["by_rule"].items():
        assert families[family][4] == families[family][5] == number, family
    assert rows["Lines read"][1] == counts["rows_read"]
    assert rows["Lines rejected (see Rejected rows)"][1] == counts["rows_rejected"]


def test_formula_looking_input_comes_back_as_literal_text(recalculated):
    workbook = _values(recalculated, "hand")
    found = set()
    for name in ("Findings", "Claims", "Rejected rows"):
        for row in workbook[name].iter_rows(values_only=True):
            found.update(v for v in row if v in INJECTIONS)
    assert found == set(INJECTIONS)
    claims = workbook["Claims"]
    header = [c.value for c in claims[1]]
    cpt = header.index("CPT/HCPCS") + 1
    assert claims.cell(6, cpt).value == '=HYPERLINK("http://x","y")'


def test_hyperlink_formulas_show_the_row_number(recalculated):
    findings = _values(recalculated, "links")["Findings"]
    rows = [r[0] for r in findings.iter_rows(min_row=2, values_only=True)]
    assert rows == list(recalculated["hand"].findings["row"])


def test_standalone_pair_checker_flags_conflicts_either_order(recalculated):
    ws = _values(recalculated, "standalone")[standalone_pair.SHEET]
    reference = recalculated["reference"]
    for row, (a, b, dos, setting) in enumerate(PAIRS, start=standalone_pair.FIRST_ROW):
        verdict, column_1, column_2, indicator, rationale = (ws[f"{c}{row}"].value for c in "EFGHI")
        if b == "12345":
            assert verdict.startswith("NOT IN THIS WORKBOOK"), verdict
            continue
        answer = reference.pair(str(a), str(b), dos or dt.date.today(), setting or "practitioner")
        if answer.applicable:
            edit = answer.applicable[0]
            assert verdict.startswith("CONFLICT"), (a, b, dos, setting, verdict)
            assert (column_1, column_2) == (edit.column_1, edit.column_2)
            assert indicator == edit.modifier_indicator
            assert rationale == edit.rationale
        else:
            assert verdict.startswith("NO EDIT"), (a, b, dos, setting, verdict)
            assert column_1 in (None, "")
    verdicts = [ws[f"E{r}"].value for r in range(standalone_pair.FIRST_ROW, standalone_pair.FIRST_ROW + 5)]
    assert [v.split(":")[0] for v in verdicts] == ["CONFLICT", "CONFLICT", "CONFLICT", "CONFLICT", "NO EDIT"]


def test_validations_and_conditional_formats_survive_libreoffice(recalculated):
    workbook = openpyxl.load_workbook(recalculated["paths"]["claim_entry"])
    ws = workbook["Claim lines"]
    kinds = {v.type for v in ws.data_validations.dataValidation}
    assert {"list", "date", "whole"} <= kinds
    assert any(rule.formula for cf in ws.conditional_formatting for rule in cf.rules)
    findings = openpyxl.load_workbook(recalculated["paths"]["hand"])["Findings"]
    assert list(findings.conditional_formatting)


def test_streamed_findings_recalculate_to_the_checker_counts(recalculated):
    """160 findings go through the column renderer; LibreOffice reads them and counts them."""
    workbook = _values(recalculated, "streamed")
    counts = recalculated["streamed"].counts
    rows = _summary_counts(workbook["Summary"])
    for severity in SEVERITIES:
        assert rows[severity][1] == rows[severity][2] == counts["by_severity"].get(severity, 0), severity
    assert rows["All findings"][1] == counts["findings"] == 160
    findings = workbook["Findings"]
    assert [r[0] for r in findings.iter_rows(min_row=2, values_only=True)] == list(
        recalculated["streamed"].findings["row"]
    )
    found = {v for row in findings.iter_rows(values_only=True) for v in row if isinstance(v, str)}
    assert "=1+1" in found  # formula-looking text stays text


def test_findings_worklist_survives_libreoffice(recalculated):
    """Status drop-down, Owner and Note columns and the filter, after a LibreOffice round trip."""
    from addin.workbooks.report_findings import FINDINGS_SHEET_COLUMNS, WORK_STATUSES

    workbook = openpyxl.load_workbook(recalculated["paths"]["hand"])
    findings = workbook["Findings"]
    header = [c.value for c in findings[1]]
    assert header == [h for _, h in FINDINGS_SHEET_COLUMNS]
    assert header[-3:] == ["Status", "Owner", "Note"]
    status = openpyxl.utils.get_column_letter(header.index("Status") + 1)
    lists = [v for v in findings.data_validations.dataValidation if v.type == "list"]
    assert len(lists) == 1
    assert [s.strip('"') for s in lists[0].formula1.split(",")] == list(WORK_STATUSES)
    count = len(recalculated["hand"].findings)
    assert str(lists[0].sqref) == f"{status}2:{status}{count + 1}"
    last = openpyxl.utils.get_column_letter(len(header))
    refs = [t.ref for t in findings.tables.values()] + [findings.auto_filter.ref]
    assert f"A1:{last}{count + 1}" in refs  # the filter spans the worklist columns
