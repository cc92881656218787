"""Claim-entry template: CMS-1500 modifier columns, title and example, whole-claim conflicts,
line-specific suggestions.

The add-in's functions do not exist in LibreOffice, so the recalculation test builds the
template with plain-formula stand-ins for CPT_CONFLICTS / SUGGEST_MODIFIERS: every other
cell (the claim map, the same-date test, the joined conflicts, the suggestion choice) is the
real template formula, computed by LibreOffice.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from addin.workbooks import claim_entry, templates
from tests.libreoffice import recalculate, require_soffice

DOS = dt.date(2025, 6, 2)


@pytest.fixture(scope="module")
def reference():
    return templates.bundled_reference()


@pytest.fixture(scope="module")
def workbook(reference, tmp_path_factory):
    path = tmp_path_factory.mktemp("claim_entry") / "claim_entry.xlsx"
    templates.build_template("claim-entry", path, reference=reference)
    return openpyxl.load_workbook(path)


def test_title_example_and_cms1500_modifier_columns(workbook):
    ws = workbook["Claim lines"]
    assert workbook.active.title == "Claim lines"
    assert ws["A1"].value == "Claim entry"
    header = [c.value for c in ws[claim_entry.HEADER_ROW]]
    assert header[:12] == ["Claim ID", "Patient ID", "Rendering NPI", "Date of Service", "CPT/HCPCS",
                           "Mod 1", "Mod 2", "Mod 3", "Mod 4", "Units", "Diagnosis Codes", "POS"]
    assert header[12:15] == claim_entry.LIVE_HEADERS
    example = [[ws[f"{c}{r}"].value for c in "AE"] for r in (4, 5)]
    assert example == [["EXAMPLE-1", "99213"], ["EXAMPLE-1", "20610"]]
    assert isinstance(ws["D4"].value, dt.datetime)
    assert workbook["Line pairs"].sheet_state == "hidden"


def test_each_modifier_cell_has_a_drop_down_and_no_error_pop_up(workbook):
    ws = workbook["Claim lines"]
    validations = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    mods = validations["F4:I203"]
    assert mods.type == "list" and mods.formula1.startswith("Lists!$A$2:$A$")
    assert not mods.showErrorMessage  # 59,XS typed into one cell is accepted silently
    assert mods.showDropDown is False  # False = the arrow is shown
    assert validations["L4:L203"].type == "list"
    assert validations["D4:D203"].type == "date"
    assert validations["J4:J203"].type == "whole"
    assert validations["N2"].formula1 == '"practitioner,hospital"'
    lists = workbook["Lists"]
    count = int(mods.formula1.rsplit("$", 1)[1]) - 1
    listed = [lists[f"A{r}"].value for r in range(2, count + 2)]
    assert {"25", "26", "59", "XS", "LT", "RT", "TC"} <= set(listed)
    amber = [rule for cf in ws.conditional_formatting for rule in cf.rules if "COUNTIF" in rule.formula[0]]
    assert amber and 'FIND(",",F4)' in amber[0].formula[0]


def test_live_formulas_call_the_add_in_per_line(workbook):
    ws, pairs = workbook["Claim lines"], workbook["Line pairs"]
    assert ws["M4"].value == '=IF($E4="","",CPT_DESC($E4,$D4))'
    assert ws["N4"].value == "='Line pairs'!CY4" and ws["O4"].value == "='Line pairs'!DC4"
    pair = pairs["AZ10"].value
    assert ("CPT_CONFLICTS('Claim lines'!$E10,INDEX('Claim lines'!$E:$E,B10),'Claim lines'!$F10:$I10,"
            "INDEX('Claim lines'!$F:$I,B10,0),'Claim lines'!$D10,'Claim lines'!$N$2)") in pair
    advice = pairs["CZ10"].value
    assert "SUGGEST_MODIFIERS('Claim lines'!$E10,INDEX('Claim lines'!$E:$E,CX10)" in advice
    assert "SUGGEST_MODIFIERS('Claim lines'!$E10,\"\"," in advice
    longest = max(len(c.value) for row in pairs.iter_rows() for c in row if isinstance(c.value, str))
    assert longest < 8192  # Excel's formula length limit


def test_claim_map_is_not_a_window():
    # each line walks its own claim from the first line down: no fixed neighbourhood
    first = claim_entry.slot_formula(120, 1)
    assert "'Claim lines'!$A$4:$A$203" in first
    later = claim_entry.slot_formula(120, 2)
    assert "INDEX('Claim lines'!$A:$A,B120+1):'Claim lines'!$A$203" in later


def _stand_in_verdict(code1, code2, mods1, mods2, date, setting):
    """CONFLICT for 47383 with 77002 unless 59 is on either line (plain formulas only)."""
    pair = f'OR(AND({code1}="47383",{code2}="77002"),AND({code1}="77002",{code2}="47383"))'
    bypass = f'COUNTIF({mods1},"59")+COUNTIF({mods2},"59")>0'
    return f'IF({pair},IF({bypass},"BYPASSED","CONFLICT: 47383 Column 1"),"NO EDIT")'


def _stand_in_suggest(code, other, date, setting):
    own = (f'IF({code}="77002","26 (professional component); TC (technical component); '
           f'52 (reduced services)","51 (multiple procedures); 22 (increased procedural services)")')
    return f'IF({other}="",{own},"XS/59 (bypasses the PTP edit with "&{other}&") on 77002; 51 (multiple procedures)")'


def _fill(ws, row, claim, code, dos=DOS, mods=()):
    ws[f"A{row}"], ws[f"E{row}"], ws[f"D{row}"] = claim, code, dos
    for col, mod in zip(claim_entry.MOD_COLUMNS, mods, strict=False):
        ws[f"{col}{row}"] = mod


@pytest.fixture(scope="module")
def recalculated(reference, tmp_path_factory):
    require_soffice()
    folder = tmp_path_factory.mktemp("claim_entry_lo")
    workbook = claim_entry.build(reference, as_of=DOS, verdict=_stand_in_verdict, suggest=_stand_in_suggest)
    ws = workbook["Claim lines"]
    for row in range(4, 204):
        for col in "ABCDEFGHIJKL":
            ws[f"{col}{row}"] = None
    # claim C1: 47383 on its first line, 77002 on its 40th, other claims' lines in between
    _fill(ws, 4, "C1", "47383")
    row, lines = 5, 1
    while lines < 39:
        _fill(ws, row, "C1" if row % 4 else "C2", "11111")
        lines += row % 4 != 0
        row += 1
    assert row < 60
    _fill(ws, 60, "C1", "77002")
    _fill(ws, 61, "C1", "77002", dos=DOS + dt.timedelta(days=1))  # another date: no PTP edit
    _fill(ws, 62, "C3", "47383")
    _fill(ws, 63, "C3", "77002", mods=("", "59"))  # bypassed by 59 in Mod 2
    _fill(ws, 64, "C4", "77002")  # alone: its own 26/TC
    _fill(ws, 65, "C4", "11111")  # alone: no modifier of its own
    source = folder / "src" / "stand_in.xlsx"
    source.parent.mkdir()
    workbook.save(source)
    (out,) = recalculate([source], folder / "out")
    return openpyxl.load_workbook(out, data_only=True)


def test_line_40_of_a_claim_conflicts_with_line_1(recalculated):
    ws, pairs = recalculated["Claim lines"], recalculated["Line pairs"]
    c1_rows = [r for r in range(4, 204) if ws[f"A{r}"].value == "C1"]
    assert c1_rows.index(60) + 1 == 40
    slots = [pairs.cell(row=4, column=claim_entry.SLOT_FIRST_COLUMN + k).value for k in range(50)]
    assert [s for s in slots if s not in (None, "")] == c1_rows
    assert ws["N4"].value == "77002 (row 60)"
    assert ws["N60"].value == "47383 (row 4)"
    assert ws["N61"].value in (None, "")  # same claim, another date of service
    assert all(ws[f"N{r}"].value in (None, "") for r in range(5, 60))


def test_modifiers_in_any_mod_column_bypass(recalculated):
    ws = recalculated["Claim lines"]
    assert ws["N62"].value in (None, "") and ws["N63"].value in (None, "")


def test_suggestions_are_specific_to_the_line(recalculated):
    ws = recalculated["Claim lines"]
    assert ws["O60"].value == "XS/59 (bypasses the PTP edit with 47383) on 77002"
    assert ws["O4"].value == "XS/59 (bypasses the PTP edit with 77002) on 77002"
    assert ws["O64"].value == "26 (professional component); TC (technical component)"
    assert ws["O65"].value in (None, "")  # 51/22 concern every procedure: nothing to say
    assert ws["O100"].value in (None, "") and ws["N100"].value in (None, "")


def test_claim_map_handles_the_last_row(reference, tmp_path):
    require_soffice()
    workbook = claim_entry.build(reference, as_of=DOS, verdict=_stand_in_verdict, suggest=_stand_in_suggest)
    ws = workbook["Claim lines"]
    for row in (4, 5):
        ws[f"A{row}"] = ws[f"E{row}"] = None
    _fill(ws, 4, "Z", "47383")
    _fill(ws, 203, "Z", "77002")
    source = tmp_path / "src" / "last.xlsx"
    source.parent.mkdir()
    workbook.save(source)
    (out,) = recalculate([source], tmp_path / "out")
    values = openpyxl.load_workbook(out, data_only=True)
    assert values["Claim lines"]["N203"].value == "47383 (row 4)"
    assert values["Claim lines"]["N4"].value == "77002 (row 203)"


def test_cpt_addin_check_reads_the_template_as_it_is(tmp_path):
    from addin.checker import check

    path = tmp_path / "claims.xlsx"
    templates.build_template("claim-entry", path, reference=templates.bundled_reference())
    result = check(path, reference=templates.bundled_reference())
    ptp = result.findings[result.findings["rule"] == "ptp"]
    assert result.counts["rows_checked"] == 2  # the example claim, below the title
    assert list(ptp["row"]) == [4] and list(ptp["code"]) == ["99213"]
    assert list(ptp["related_code"]) == ["20610"] and "25" in ptp["suggestion"].iloc[0]


def test_modifiers_typed_into_mod_columns_are_read_by_the_checker(tmp_path):
    from addin.checker import check

    path = tmp_path / "claims.xlsx"
    templates.build_template("claim-entry", path, reference=templates.bundled_reference())
    workbook = openpyxl.load_workbook(path)
    workbook["Claim lines"]["G4"] = "25"  # Mod 2 of the visit: bypasses the edit
    workbook["Claim lines"]["F5"] = "XS,59"  # two modifiers typed into one Mod cell
    workbook.save(path)
    findings = check(path, reference=templates.bundled_reference()).findings
    ptp = findings[findings["rule"] == "ptp"]
    assert ptp["message"].str.startswith("BYPASSED").all()
    both = findings[(findings["rule_id"] == "MOD011") & (findings["row"] == 5)]
    assert len(both) == 1  # 59 and XS read as two modifiers of one line
