"""MUE001-MUE003 (line vs date edits, across lines and claims) and AOC001-AOC004."""

from __future__ import annotations

import pytest
from test_rule_fixtures import findings_for, ids, line, tiny_reference


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path)


def test_mai_1_is_judged_per_line(ref):
    assert findings_for(ref, [line("77001", units=2)], family="mue").empty
    found = findings_for(ref, [line("77001", units=3)], family="mue")
    assert ids(found) == [("MUE001", 2)]
    assert "MAI 1, line edit" in found.iloc[0]["message"]
    # two lines of 2 units each: each within the MUE of 2 on its own
    assert findings_for(
        ref, [line("77001", "76", units=2), line("77001", "76", units=2)], family="mue"
    ).empty


def test_mai_2_sums_units_across_lines_and_claims(ref):
    lines = [line("47383", claim="A"), line("47383", "XS", claim="B")]
    found = findings_for(ref, lines, family="mue")
    assert ids(found) == [("MUE002", 2), ("MUE002", 3)]
    message = found.iloc[0]["message"]
    assert "totals 2 units" in message and "2 line(s) on 2 claim(s)" in message
    assert "appeal cannot overturn" in message
    assert found.iloc[1]["related_row"] == 2


def test_mai_2_within_limit_and_other_patient_or_date(ref):
    assert findings_for(ref, [line("47383")], family="mue").empty
    assert findings_for(ref, [line("47383"), line("47383", patient="P2")], family="mue").empty
    assert findings_for(ref, [line("47383"), line("47383", dos="2024-05-02")], family="mue").empty
    assert findings_for(ref, [line("47383"), line("47383", provider="2")], family="mue").empty


def test_mai_3_says_an_appeal_may_overturn(ref):
    found = findings_for(ref, [line("77002", units=2)], family="mue")
    assert ids(found) == [("MUE003", 2)]
    assert "an appeal with medical records may overturn" in found.iloc[0]["message"]
    assert "appeal" in found.iloc[0]["suggestion"]


def test_mue_setting(ref):
    assert findings_for(ref, [line("77002", units=3)], setting="hospital", family="mue").empty
    assert ids(findings_for(ref, [line("77002", units=5)], setting="hospital", family="mue")) == [
        ("MUE003", 2)
    ]


def test_aoc_type_1_without_primary_is_an_error(ref):
    found = findings_for(ref, [line("0397T")], family="aoc")
    assert ids(found) == [("AOC001", 2)]
    assert "43260" in found.iloc[0]["message"]
    assert found.iloc[0]["severity"] == "error"


def test_aoc_type_1_with_listed_primary_same_group_any_claim(ref):
    assert findings_for(ref, [line("43260"), line("0397T")], family="aoc").empty
    assert findings_for(
        ref, [line("0397T", claim="A"), line("43260", claim="B")], family="aoc"
    ).empty


def test_aoc_primary_on_another_date_provider_or_patient_does_not_count(ref):
    for other in (dict(dos="2024-05-02"), dict(provider="2"), dict(patient="P2")):
        found = findings_for(ref, [line("43260", **other), line("0397T")], family="aoc")
        assert ids(found) == [("AOC001", 3)], other


def test_aoc_deleted_primary_does_not_count_after_its_deletion(ref):
    assert findings_for(
        ref, [line("43261", dos="2019-06-01"), line("0397T", dos="2019-06-01")], family="aoc"
    ).empty
    found = findings_for(ref, [line("43261"), line("0397T")], family="aoc")
    assert ids(found) == [("AOC001", 3)]


def test_aoc_type_3_warns_without_listed_primary(ref):
    found = findings_for(ref, [line("88300"), line("88311")], family="aoc")
    assert ids(found) == [("AOC002", 3)]
    assert found.iloc[0]["severity"] == "warning"
    assert findings_for(ref, [line("88302"), line("88311")], family="aoc").empty


def test_aoc_type_2_is_informational(ref):
    found = findings_for(ref, [line("36556"), line("77001")], family="aoc")
    assert ids(found) == [("AOC003", 3)]
    assert found.iloc[0]["severity"] == "info"


def test_aoc_type_2_or_3_alone_is_an_error(ref):
    assert ids(findings_for(ref, [line("77001")], family="aoc")) == [("AOC004", 2)]
    assert ids(findings_for(ref, [line("88311")], family="aoc")) == [("AOC004", 2)]
    # another add-on is not a primary procedure
    assert ids(
        findings_for(ref, [line("77001"), line("77002")], family="aoc", rule_id="AOC004")
    ) == [("AOC004", 2)]
