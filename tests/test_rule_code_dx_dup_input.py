"""COD001-COD006, DX001-DX003, DUP001 and INP001-INP004."""

from __future__ import annotations

import pytest
from test_rule_fixtures import findings_for, ids, line, tiny_reference


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path)


def fam(ref, family, *lines, **kwargs):
    return findings_for(ref, list(lines), family=family, **kwargs)


def test_code_format_unknown_inactive(ref):
    found = fam(
        ref,
        "code",
        line("4738"),
        line("473833"),
        line("12345"),
        line("G0364"),
        line("G0500"),
        line("99999"),
    )
    assert ids(found) == [
        ("COD001", 2),
        ("COD001", 3),
        ("COD002", 4),
        ("COD003", 5),
        ("COD003", 6),
        ("COD003", 7),
    ]
    assert "terminated on 2017-12-31" in found.iloc[3]["message"]
    assert "not effective until 2030-01-01" in found.iloc[4]["message"]


def test_status_not_payable_and_category_ii(ref):
    found = fam(
        ref, "code", line("99358"), line("99243"), line("82947"), line("1036F"), line("47383")
    )
    assert ids(found) == [("COD004", 2), ("COD004", 3), ("COD005", 5)]
    assert "status B" in found.iloc[0]["message"]
    assert found.iloc[2]["severity"] == "info"


def test_status_t_with_other_service(ref):
    assert fam(ref, "code", line("99211")).empty
    assert ids(fam(ref, "code", line("99211"), line("47383"))) == [("COD006", 2)]


def test_diagnoses(ref):
    found = fam(
        ref,
        "diagnosis",
        line("47383", dx=""),
        line("47383", dx="K83.1,K99.99", patient="P2"),
        line("47383", dx="K83", patient="P3"),
        line("47383", dx="K831", patient="P4"),
    )
    # K831 (row 5) is valid, read as K83.1: an info note (DX004) since dx normalisation notes
    assert ids(found) == [("DX001", 2), ("DX002", 3), ("DX003", 4), ("DX004", 5)]
    assert found.iloc[1]["related_code"] == "K99.99"
    assert found.iloc[2]["related_code"] == "K83"


def test_missing_dx_not_flagged_without_a_dx_column(ref):
    assert fam(ref, "diagnosis", line("47383", dx=""), with_dx=False).empty


def test_duplicate_second_and_later_lines_point_to_the_first(ref):
    found = fam(ref, "duplicate", line("85025"), line("85025", claim="B"), line("85025"))
    assert ids(found) == [("DUP001", 3), ("DUP001", 4)]
    assert list(found["related_row"]) == [2, 2]
    assert "on another claim" in found.iloc[0]["message"]


@pytest.mark.parametrize("mods", ["76", "77", "91", "XS", "59"])
def test_repeat_modifier_is_not_a_duplicate(ref, mods):
    assert fam(ref, "duplicate", line("85025"), line("85025", mods)).empty


def test_duplicate_needs_same_patient_provider_date_and_site(ref):
    assert fam(ref, "duplicate", line("85025"), line("85025", patient="P2")).empty
    assert fam(ref, "duplicate", line("85025"), line("85025", dos="2024-05-02")).empty
    assert fam(ref, "duplicate", line("73030", "RT"), line("73030", "LT")).empty
    assert ids(fam(ref, "duplicate", line("73030", "RT"), line("73030", "RT"))) == [("DUP001", 3)]


def test_input_rules(ref):
    rejected = [{"row": 9, "column": "DOS", "reason": 'DOS "13/45/2024" is not a date', "raw": "x"}]
    found = fam(
        ref,
        "input",
        line("47383", "LT,59,XS,76,25"),
        line("47383", pos="35", patient="P2"),
        line("47383", units=0, patient="P3"),
        rejected=rejected,
    )
    assert ids(found) == [("INP001", 9), ("INP002", 2), ("INP003", 3), ("INP004", 4)]
    rejected_finding = found[found["rule_id"] == "INP001"].iloc[0]
    assert rejected_finding["severity"] == "error"
    assert "(column DOS)" in rejected_finding["message"]
    assert rejected_finding["claim_id"] == ""
