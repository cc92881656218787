"""PTP001-PTP003: pairs of one patient/provider/date, either order, dates, indicators, bypass."""

from __future__ import annotations

import pytest
from test_rule_fixtures import findings_for, ids, line, tiny_reference


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path)


def ptp(ref, lines, setting="practitioner"):
    return findings_for(ref, lines, setting=setting, family="ptp")


def test_indicator_0_fires_on_column_2_line_with_column_1_as_related(ref):
    found = ptp(ref, [line("43497"), line("43235")])
    assert ids(found) == [("PTP001", 3)]
    row = found.iloc[0]
    assert (row["code"], row["related_code"], row["related_row"]) == ("43235", "43497", 2)
    assert row["severity"] == "error"
    assert row["message"].startswith("CONFLICT, not bypassable: 43235 (Column 2)")
    assert "43497 (Column 1, row 2)" in row["message"]
    assert "CPT Manual or CMS manual coding instruction" in row["message"]
    assert "from 2020-01-01, still active" in row["message"]
    assert "Report 43497 only" in row["suggestion"]
    assert row["source"] == "test fixture"


def test_reversed_input_order_finds_the_same_edit(ref):
    found = ptp(ref, [line("43235"), line("43497")])
    assert ids(found) == [("PTP001", 2)]
    assert found.iloc[0]["related_row"] == 3
    assert found.iloc[0]["related_code"] == "43497"


def test_indicator_0_is_never_bypassed(ref):
    found = ptp(ref, [line("43497", "59"), line("43235", "XS")])
    assert ids(found) == [("PTP001", 3)]


def test_pairs_only_within_patient_provider_and_date_but_across_claims(ref):
    across_claims = ptp(ref, [line("43497", claim="A"), line("43235", claim="B")])
    assert ids(across_claims) == [("PTP001", 3)]
    assert ptp(ref, [line("43497", patient="P1"), line("43235", patient="P2")]).empty
    assert ptp(ref, [line("43497", provider="1"), line("43235", provider="2")]).empty
    assert ptp(ref, [line("43497", dos="2024-05-01"), line("43235", dos="2024-05-02")]).empty


def test_claim_id_stands_for_the_patient_when_there_is_none(ref):
    same_claim = ptp(
        ref, [line("43497", patient="", claim="A"), line("43235", patient="", claim="A")]
    )
    assert ids(same_claim) == [("PTP001", 3)]
    other_claim = ptp(
        ref, [line("43497", patient="", claim="A"), line("43235", patient="", claim="B")]
    )
    assert other_claim.empty


def test_indicator_9_never_fires(ref):
    assert ptp(ref, [line("20000", dos="2022-01-01"), line("20001", dos="2022-01-01")]).empty
    assert ptp(ref, [line("20610", "RT"), line("20605", "LT")]).empty


@pytest.mark.parametrize(
    ("dos", "expected"),
    [
        ("2024-03-31", []),  # before the effective date
        ("2024-04-01", ["PTP002"]),  # on the effective date
        ("2024-06-30", ["PTP002"]),  # on the deletion date (the last day it applies)
        ("2024-07-01", []),  # after the deletion date
    ],
)
def test_date_window(ref, dos, expected):
    found = ptp(ref, [line("30000", dos=dos), line("30001", dos=dos)])
    assert list(found["rule_id"]) == expected


@pytest.mark.parametrize(
    ("dos", "expected"),
    [("2021-06-01", "PTP002"), ("2022-06-01", None), ("2023-06-01", "PTP001")],
)
def test_deleted_and_re_added_pair_answers_by_date(ref, dos, expected):
    found = ptp(ref, [line("11000", dos=dos), line("11001", dos=dos)])
    assert list(found["rule_id"]) == ([expected] if expected else [])


def test_indicator_1_without_modifier_suggests_x_modifier_on_column_2_row(ref):
    found = ptp(ref, [line("47383"), line("77002")])
    assert ids(found) == [("PTP002", 3)]
    row = found.iloc[0]
    assert row["message"].startswith("CONFLICT, bypassable: 77002 (Column 2)")
    assert "XS (separate structure or organ)" in row["suggestion"]
    assert "to 77002 on row 3" in row["suggestion"]
    assert row["modifier"] == "XE/XS/XP/XU/59"


@pytest.mark.parametrize("mods", [("", "XS"), ("", "59"), ("XS", "")])
def test_bypass_on_either_line(ref, mods):
    found = ptp(ref, [line("47383", mods[0]), line("77002", mods[1])])
    assert ids(found) == [("PTP003", 3)]
    row = found.iloc[0]
    assert row["severity"] == "info"
    assert row["modifier"] == (mods[1] or mods[0])
    on_column_1 = bool(mods[0])
    assert ("Best practice is Column 2" in row["suggestion"]) is on_column_1


def test_anatomic_same_site_does_not_bypass(ref):
    found = ptp(ref, [line("73562", "RT"), line("73560", "RT")])
    assert ids(found) == [("PTP002", 3)]
    assert "same site (RT)" in found.iloc[0]["message"]


def test_anatomic_different_sites_bypass(ref):
    found = ptp(ref, [line("73562", "RT"), line("73560", "LT")])
    assert ids(found) == [("PTP003", 3)]
    assert found.iloc[0]["modifier"] == "LT"
    toes = ptp(ref, [line("11750", "TA"), line("11730", "T1")])
    assert ids(toes) == [("PTP003", 3)]


def test_anatomic_on_one_line_only_does_not_bypass(ref):
    found = ptp(ref, [line("73562"), line("73560", "LT")])
    assert ids(found) == [("PTP002", 3)]


def test_25_on_em_line_bypasses_and_is_suggested_when_missing(ref):
    bypassed = ptp(ref, [line("20610"), line("99214", "25")])
    assert ids(bypassed) == [("PTP003", 3)]
    conflict = ptp(ref, [line("20610"), line("99214")])
    assert ids(conflict) == [("PTP002", 3)]
    assert (
        "25 (significant, separately identifiable E/M) to 99214 on row 3"
        in conflict.iloc[0]["suggestion"]
    )
    assert conflict.iloc[0]["modifier"] == "25"


def test_25_on_a_procedure_line_does_not_bypass(ref):
    found = ptp(ref, [line("47383", "25"), line("77002")])
    assert ids(found) == [("PTP002", 3)]


def test_setting_selects_the_table(ref):
    assert ptp(ref, [line("47383"), line("77003")]).empty
    hospital = ptp(ref, [line("47383"), line("77003")], setting="hospital")
    assert ids(hospital) == [("PTP002", 3)]
    assert ptp(ref, [line("43497"), line("43235")], setting="hospital").empty


def test_one_line_conflicting_with_several(ref):
    found = ptp(ref, [line("43497"), line("43235"), line("47383"), line("77002")])
    assert ids(found) == [("PTP001", 3), ("PTP002", 5)]
