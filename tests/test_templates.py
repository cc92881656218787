"""Prebuilt templates: byte-stable committed copies, CLI, validations, formulas the add-in knows.

Values the formulas compute are checked in test_report_libreoffice.py (LibreOffice batch).
"""

from __future__ import annotations

import inspect
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formula.tokenizer import Tokenizer

from addin.cli import main
from addin.workbooks import claim_entry, templates

PROJECT = Path(__file__).resolve().parents[1]
COMMITTED = PROJECT / "workbook_templates"
REBUILD = "python -m addin.workbooks.templates workbook_templates"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Every template built once from the bundled data."""
    outdir = tmp_path_factory.mktemp("templates")
    paths = templates.build_all(outdir)
    return {p.name: p for p in paths}


def zip_members(path: Path) -> list[tuple[str, tuple, bytes]]:
    """Each member's name, timestamp and uncompressed bytes, in archive order."""
    with zipfile.ZipFile(path) as archive:
        return [(i.filename, i.date_time, archive.read(i)) for i in archive.infolist()]


def test_committed_templates_match_the_generator_byte_for_byte(built):
    for name, path in built.items():
        committed = COMMITTED / name
        assert committed.exists(), f"{committed} is missing: run {REBUILD}"
        if committed.read_bytes() == path.read_bytes():
            continue
        # a different zlib build may compress the same parts to other bytes: then every
        # part, its order and its timestamp must still be identical
        assert zip_members(committed) == zip_members(path), (
            f"{committed} differs from what the generator writes: run {REBUILD}"
        )


def test_generator_is_byte_stable(built, tmp_path):
    again = templates.build_all(tmp_path)
    for path in again:
        assert path.read_bytes() == built[path.name].read_bytes(), path.name


def test_template_list_names_every_template(capsys):
    assert main(["template", "list"]) == 0
    out = capsys.readouterr().out
    for name in templates.TEMPLATES:
        assert name in out


def test_template_command_writes_a_workbook_with_chosen_codes(tmp_path, capsys):
    target = tmp_path / "pairs.xlsx"
    code = main(["template", "pair-checker-standalone", "-o", str(target), "--codes", "47383, 77002,77003"])
    assert code == 0 and target.exists()
    edits = openpyxl.load_workbook(target)["Edits"]
    pairs = {(r[2], r[3]) for r in edits.iter_rows(min_row=2, values_only=True)}
    assert ("47383", "77002") in pairs
    assert all(a in {"47383", "77002", "77003"} and b in {"47383", "77002", "77003"} for a, b in pairs)
    codes = [r[0] for r in openpyxl.load_workbook(target)["Codes"].iter_rows(min_row=2, values_only=True)]
    assert codes == ["47383", "77002", "77003"]


def test_template_command_errors(tmp_path, capsys):
    assert main(["template", "no-such-template", "-o", str(tmp_path / "x.xlsx")]) == 2
    assert "unknown template" in capsys.readouterr().err
    assert main(["template", "claim-entry"]) == 2  # no -o
    assert main(["template", "claim-entry", "-o", str(tmp_path / "x.xlsx"), "--codes", "47383"]) == 2


def test_claim_entry_has_validations_and_conflict_formatting(built):
    # layout changed for issue 14: title rows, header on row 3, Mod 1-Mod 4, whole-claim checks
    ws = openpyxl.load_workbook(built["claim_entry.xlsx"])["Claim lines"]
    header = [c.value for c in ws[3]][:12]
    assert header == ["Claim ID", "Patient ID", "Rendering NPI", "Date of Service", "CPT/HCPCS",
                      "Mod 1", "Mod 2", "Mod 3", "Mod 4", "Units", "Diagnosis Codes", "POS"]
    validations = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    mods = validations["F4:I203"]
    assert mods.type == "list" and mods.formula1.startswith("Lists!")
    assert validations["L4:L203"].type == "list"
    assert validations["D4:D203"].type == "date"
    assert validations["J4:J203"].type == "whole"
    lists = openpyxl.load_workbook(built["claim_entry.xlsx"])["Lists"]
    modifiers = [r[0] for r in lists.iter_rows(min_row=2, values_only=True) if r[0]]
    assert {"25", "59", "XS", "LT", "RT"} <= set(modifiers)
    assert ws["M4"].value == '=IF($E4="","",CPT_DESC($E4,$D4))'
    rules = [rule for cf in ws.conditional_formatting for rule in cf.rules]
    assert any("$N4" in rule.formula[0] for rule in rules)


def test_conflicts_formula_only_looks_at_lines_of_the_same_claim():
    formula = claim_entry.pair_formula(10, 3)
    assert "CPT_CONFLICTS('Claim lines'!$E10,INDEX('Claim lines'!$E:$E,D10)" in formula
    assert "D10=$A10" in formula  # never the line itself
    assert "INDEX('Claim lines'!$D:$D,D10)<>'Claim lines'!$D10" in formula  # same date only
    assert len(claim_entry.conflict_text_formula(10)) < 8192  # Excel's formula length limit


def _calls(formula: str) -> list[tuple[str, int]]:
    """(function name, argument count) of every call in a formula."""
    calls, stack = [], []  # stack items: [name, separators, has content]
    for token in Tokenizer(formula).items:
        if token.type == "FUNC" and token.subtype == "OPEN":
            if stack:
                stack[-1][2] = True
            stack.append([token.value[:-1].upper(), 0, False])
        elif token.type == "FUNC" and token.subtype == "CLOSE":
            name, separators, content = stack.pop()
            calls.append((name, separators + 1 if content or separators else 0))
        elif token.type == "SEP" and token.subtype == "ARG":
            stack[-1][1] += 1
        elif stack and token.type != "WHITE-SPACE":
            stack[-1][2] = True
    return calls


def test_argument_counter():
    assert _calls('=IF(A1="",F(),G(1,,2))') == [("F", 0), ("G", 3), ("IF", 3)]


def test_formulas_call_the_excel_functions_with_arguments_they_accept(built):
    udfs = pytest.importorskip("addin.udfs")
    signatures = {
        name: inspect.signature(obj)
        for name, obj in vars(udfs).items()
        if name.isupper() and callable(obj)
    }
    used = set()
    for name in ("claim_entry.xlsx", "code_lookup.xlsx", "pair_checker.xlsx"):
        workbook = openpyxl.load_workbook(built[name])
        for ws in workbook.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type != "f":
                        continue
                    for function, count in _calls(cell.value):
                        if function.startswith(("CPT_", "SUGGEST_", "MODIFIER_", "ICD10_", "CLAIM_")):
                            assert function in signatures, f"{name}: {function} is not in addin.udfs"
                            params = signatures[function].parameters
                            assert count <= len(params), f"{name} {cell.coordinate}: {function} with {count} args"
                            used.add(function)
    assert {"CPT_DESC", "CPT_CONFLICTS", "SUGGEST_MODIFIERS", "CPT_INFO", "CPT_MUE"} <= used


def test_standalone_pair_checker_needs_no_add_in(built):
    workbook = openpyxl.load_workbook(built["pair_checker_standalone.xlsx"])
    assert workbook.sheetnames == ["Pair checker", "Edits", "Codes", "Instructions"]
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    text = cell.value.upper()
                    assert "XLOOKUP" not in text and "_XLFN" not in text, cell.coordinate
                    assert not re.search(r"\b(CPT|SUGGEST|MODIFIER|ICD10|CLAIM)_", text), cell.coordinate
    edits = {(r[1], r[2], r[3]) for r in workbook["Edits"].iter_rows(min_row=2, values_only=True)}
    assert ("practitioner", "43497", "43235") in edits
    assert ("practitioner", "47383", "77002") in edits
