"""ICD-10-CM by fiscal year: imported order files answer by date of service; the package is the
default only when none is imported; dx typed without the dot / in lower case is normalised."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from test_importers_icd10cm import ROWS, order_file
from test_rule_fixtures import findings_for, ids, line, tiny_reference

from addin.reference import schema
from addin.reference.data import ReferenceData
from addin.reference.store import Store

# FY2026 adds E11A and makes K83 billable-looking changes impossible to miss: K831 deleted
FY2025 = [*ROWS, ("Z00", False, "Encounter for general examination")]
FY2026 = [
    ROWS[0],
    ROWS[1],
    ("E11A", True, "Type 2 diabetes mellitus without complications in remission"),
    ROWS[2],
    ("Z00", False, "Encounter for general examination"),
]


@pytest.fixture
def store(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "icd10cm_order_2025.txt").write_text(order_file(FY2025), newline="")
    (folder / "icd10cm_order_2026.txt").write_text(order_file(FY2026), newline="")
    root = tmp_path / "store"
    result = Store(root).import_paths([folder])
    assert result.ok and len(result.imported) == 2, [o.message for o in result.outcomes]
    return root


@pytest.fixture
def ref(store, tmp_path):
    return tiny_reference(tmp_path)


def test_imported_versions_are_fiscal_years(ref):
    versions = ref.version_set(schema.ICD10CM)
    assert [v.vintage for v in versions.versions] == [dt.date(2024, 10, 1), dt.date(2025, 10, 1)]
    assert "ICD10CM 2025-10-01 (imported)" in ref.data_version_text()


def test_date_of_service_picks_its_fiscal_year(ref):
    before = ref.icd10("E11A", dt.date(2025, 9, 30))
    after = ref.icd10("E11A", dt.date(2025, 10, 1))
    assert not before.valid and before.source == "ICD-10-CM FY2025 (imported)"
    assert after.valid and after.billable and after.code == "E11.A"
    assert after.source == "ICD-10-CM FY2026 (imported)"
    assert after.description.startswith("Type 2 diabetes")
    assert ref.icd10("K83.1", dt.date(2025, 9, 30)).valid
    assert not ref.icd10("K83.1", dt.date(2025, 10, 1)).valid


def test_date_before_the_oldest_fiscal_year_is_not_covered(ref):
    fact = ref.icd10("E11.9", dt.date(2024, 9, 30))
    assert not fact.covered and not fact.valid
    assert "no imported ICD-10-CM fiscal year covers 2024-09-30" in fact.note
    assert "FY2025" in fact.note


def test_date_after_the_newest_fiscal_year_says_it_ended(ref):
    fact = ref.icd10("E11.9", dt.date(2026, 10, 1))
    assert fact.valid and fact.source == "ICD-10-CM FY2026 (imported)"
    assert "FY2026 ended on 2026-09-30" in fact.note


def test_header_flag_decides_billable(ref):
    day = dt.date(2026, 1, 5)
    assert ref.icd10("E11", day).valid and not ref.icd10("E11", day).billable
    assert not ref.icd10("Z00", day).billable


def test_vector_form_agrees_with_the_point_form(ref):
    codes = ["e11a", "E11.A", "K831", "K831", "E119", "", None, "E11"]
    dates = [
        "2025-10-01",
        "2025-09-30",
        "2025-09-30",
        "2025-10-01",
        "2024-01-01",
        "2026-01-01",
        "2026-01-01",
        "2026-01-01",
    ]
    frame = ref.icd10_frame(codes, dates)
    expected = [ref.icd10(c or "", d) for c, d in zip(codes, dates, strict=True)]
    assert list(frame["valid"]) == [f.valid for f in expected]
    assert list(frame["billable"]) == [f.billable for f in expected]
    assert list(frame["covered"]) == [f.covered for f in expected]
    assert list(frame["source"].astype(str)) == [f.source for f in expected]
    assert list(frame["normalised"]) == ["E11.A", "", "K83.1", "", "", "", "", "E11"]


def test_version_index_is_vectorised(ref):
    days = np.array(
        [dt.date(2024, 9, 30), dt.date(2024, 10, 1), dt.date(2026, 3, 1)], dtype="datetime64[D]"
    )
    assert list(ref.icd10_version_index(days)) == [-1, 0, 1]


def test_without_an_import_the_package_answers_and_names_itself(tmp_path):
    ref = ReferenceData(store=tmp_path / "empty", data_dir=None)
    fact = ref.icd10("E11.9", dt.date(2001, 1, 1))
    assert fact.valid and fact.billable and fact.covered
    assert fact.source.startswith("ICD-10-CM (simple-icd-10-cm ")
    assert "release)" in fact.source
    assert ref.icd10_frame(["E119"])["source"].astype(str).iloc[0] == fact.source


@pytest.mark.parametrize("typed", ["e119", "E119", "e11.9", " E119 "])
def test_typed_forms_are_normalised_with_a_note(typed, tmp_path):
    fact = ReferenceData(store=tmp_path / "empty").icd10(typed)
    assert (fact.code, fact.valid, fact.billable) == ("E11.9", True, True)
    assert f"typed as {typed.strip()!r}, read as E11.9" in fact.note


def test_correctly_typed_codes_get_no_note(tmp_path):
    ref = ReferenceData(store=tmp_path / "empty")
    assert ref.icd10("E11.9").note == "" and ref.icd10("K83").note == ""


# ---------------------------------------------------------------------- DX rules


def dx_findings(ref, *lines):
    return findings_for(ref, list(lines), family="diagnosis")


def test_dx_rules_use_the_fiscal_year_of_each_line(ref):
    found = dx_findings(
        ref,
        line("47383", dx="E11.A", dos="2025-09-30"),  # not yet a code: DX002
        line("47383", dx="E11.A", dos="2025-10-01", patient="P2"),  # fine
        line("47383", dx="K83.1", dos="2025-10-01", patient="P3"),  # deleted in FY2026
        line("47383", dx="Z00", dos="2025-10-01", patient="P4"),  # header: DX003
    )
    assert ids(found) == [("DX002", 2), ("DX002", 4), ("DX003", 5)]
    sources = list(found.sort_values("row")["source"])
    assert sources == [
        "ICD-10-CM FY2025 (imported)",
        "ICD-10-CM FY2026 (imported)",
        "ICD-10-CM FY2026 (imported)",
    ]
    assert "checked against ICD-10-CM FY2025 (imported)" in found.sort_values("row").iloc[0]["message"]


def test_dates_before_the_oldest_year_are_not_judged_but_warned(ref):
    found = dx_findings(
        ref,
        line("47383", dx="NOTACODE", dos="2024-05-01"),
        line("47383", dx="E11.9", dos="2024-06-01", patient="P2"),
        line("47383", dx="", dos="2024-06-01", patient="P3"),
    )
    assert ids(found) == [("DX001", 4), ("DX005", 2)]
    warning = found[found["rule_id"] == "DX005"].iloc[0]
    assert warning["severity"] == "warning"
    assert "1 other line" in warning["message"]
    assert "FY2025" in warning["source"]


def test_normalisation_note_once_per_typed_form(tmp_path):
    ref = tiny_reference(tmp_path)
    found = dx_findings(
        ref,
        line("47383", dx="e119"),
        line("47383", dx="E11.9, K831", patient="P2"),
        line("47383", dx="e119", patient="P3"),
        line("47383", dx="K83.1", patient="P4"),
        line("47383", dx="e119;k99x", patient="P5"),
    )
    notes = found[found["rule_id"] == "DX004"].sort_values("row")
    assert list(zip(notes["row"], notes["related_code"], strict=True)) == [
        (2, "E11.9"),
        (3, "K83.1"),
    ]
    assert set(notes["severity"]) == {"info"}
    first = notes.iloc[0]["message"]
    assert "e119 was read as ICD-10-CM E11.9" in first and "on 2 other line(s)" in first
    assert ids(found[found["rule_id"] != "DX004"]) == [("DX002", 6)]
    assert found[found["rule_id"] == "DX002"].iloc[0]["related_code"] == "k99x"


def test_normalised_header_is_reported_in_book_form(tmp_path):
    found = dx_findings(tiny_reference(tmp_path), line("47383", dx="k83"))
    assert ids(found) == [("DX003", 2), ("DX004", 2)]
    assert set(found["related_code"]) == {"K83"}


def test_excel_text_says_not_covered_and_how_a_code_was_read(ref):
    from addin.excel.fields import icd10_text

    assert icd10_text(ref.icd10("E11.9", dt.date(2020, 1, 1))).startswith(
        "ICD-10-CM not checked for E11.9: no imported ICD-10-CM fiscal year covers 2020-01-01"
    )
    text = icd10_text(ref.icd10("e11a", dt.date(2026, 1, 1)))
    assert text.startswith("E11.A: Type 2 diabetes") and "read as E11.A" in text
