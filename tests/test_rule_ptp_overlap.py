"""Several PTP rows of one pair in force on a date: the strictest governs, every row named,
and the point verdict (``pair_verdict`` / CPT_CONFLICTS) agrees with the batch rule."""

from __future__ import annotations

import datetime as dt

import pytest
from test_rule_fixtures import PTP_ROWS, findings_for, ids, line, tiny_reference

from addin.verdicts import BYPASSED, CONFLICT, pair_verdict

OVERLAP_ROWS = [
    *PTP_ROWS,
    # both orders: 47000→64483 indicator 1 from 2019, 64483→47000 indicator 0 from 2021
    ("practitioner", "47000", "64483", "", "2019-01-01", "", "1", "Standards of practice"),
    ("practitioner", "64483", "47000", "", "2021-01-01", "", "0", "Mutually exclusive procedures"),
    # one order, two overlapping episodes: indicator 0 in force 2022-01-01 .. 2024-12-31
    ("practitioner", "73562", "73560", "", "2022-01-01", "2024-12-31", "0", "Re-reviewed edit"),
    # both orders with indicator 1 and the same effective date: the lower Column 1 governs
    ("practitioner", "11730", "11750", "", "2010-01-01", "", "1", "Reverse-order row"),
]


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path, ptp=OVERLAP_ROWS)


def ptp(ref, lines):
    return findings_for(ref, lines, family="ptp")


@pytest.mark.parametrize("order", ["as-listed", "reversed"])
@pytest.mark.parametrize("mods", ["XS", "59"])
def test_indicator_0_row_governs_over_indicator_1_of_the_other_order(ref, order, mods):
    lines = [line("47000", mods), line("64483")]
    if order == "reversed":
        lines.reverse()
    found = ptp(ref, lines)
    assert found["rule_id"].tolist() == ["PTP001"]  # the bypass modifier does not clear it
    finding = found.iloc[0]
    assert (finding["code"], finding["related_code"]) == ("47000", "64483")  # 47000 denied
    assert int(finding["row"]) == [r for r, x in zip((2, 3), lines, strict=True) if x["cpt"] == "47000"][0]
    message = finding["message"]
    assert "2 rows of this pair are in force" in message
    assert "Column 1 64483, Column 2 47000, indicator 0, from 2021-01-01, still active" in message
    assert "Column 1 47000, Column 2 64483, indicator 1, from 2019-01-01, still active" in message
    assert "rationale: Standards of practice" in message


def test_before_the_indicator_0_row_the_indicator_1_row_is_bypassed(ref):
    found = ptp(ref, [line("47000", "XS", dos="2020-06-01"), line("64483", dos="2020-06-01")])
    assert ids(found) == [("PTP003", 3)]
    assert "rows of this pair are in force" not in found["message"].iloc[0]


@pytest.mark.parametrize(
    ("dos", "expected"),
    [("2021-12-31", "PTP003"), ("2022-01-01", "PTP001"), ("2024-12-31", "PTP001"), ("2025-01-01", "PTP003")],
)
def test_overlapping_episodes_of_one_order(ref, dos, expected):
    found = ptp(ref, [line("73562", dos=dos), line("73560", "XS", dos=dos)])
    assert found["rule_id"].tolist() == [expected]
    named = "2 rows of this pair are in force" in found["message"].iloc[0]
    assert named == (expected == "PTP001")


def test_tie_goes_to_the_lower_column_1_code_whichever_order_typed(ref):
    for lines in ([line("11750"), line("11730")], [line("11730"), line("11750")]):
        found = ptp(ref, lines)
        assert found["rule_id"].tolist() == ["PTP002"]
        assert (found["code"].iloc[0], found["related_code"].iloc[0]) == ("11750", "11730")
        verdict = pair_verdict(ref, lines[0]["cpt"], lines[1]["cpt"], date_of_service=dt.date(2024, 5, 1))
        assert (verdict.edit.column_1, verdict.edit.column_2) == ("11730", "11750")


@pytest.mark.parametrize(("code1", "code2", "mods1", "mods2"), [
    ("47000", "64483", "XS", ""), ("64483", "47000", "", "XS"), ("47000", "64483", "", "59"),
])
def test_point_verdict_agrees_strictest_governs(ref, code1, code2, mods1, mods2):
    verdict = pair_verdict(ref, code1, code2, mods1, mods2, dt.date(2024, 5, 1))
    assert verdict.verdict == CONFLICT
    assert verdict.edit.modifier_indicator == 0
    assert (verdict.edit.column_1, verdict.edit.column_2) == ("64483", "47000")
    assert "2 rows of this pair are in force" in verdict.why
    text = "\n".join(verdict.lines())
    assert "Also in force: Column 1 47000, Column 2 64483, modifier indicator 1" in text
    assert "No modifier bypasses" in verdict.action


def test_point_verdict_before_the_stricter_row(ref):
    verdict = pair_verdict(ref, "47000", "64483", "XS", "", dt.date(2020, 6, 1))
    assert verdict.verdict == BYPASSED
    assert "Also in force" not in verdict.text()
    assert "Other episode: Column 1 64483" in verdict.text()


def test_pair_answer_lists_the_governing_row_first(ref):
    answer = ref.pair("47000", "64483", dt.date(2024, 5, 1))
    assert [(e.column_1, e.modifier_indicator) for e in answer.applicable] == [("64483", 0), ("47000", 1)]


OVERLAP_CODES = ["47000", "64483", "73562", "73560", "11750", "11730", "47383", "77002"]


@pytest.fixture(scope="module")
def overlap_ref(tmp_path_factory):
    return tiny_reference(tmp_path_factory.mktemp("overlap"), ptp=OVERLAP_ROWS)


def test_batch_rule_agrees_with_point_verdict_on_overlapping_rows(overlap_ref):
    """Property: for random lines of the overlap codes, the vector PTP rule gives exactly the
    findings the one-pair reference implementation (built on ``ref.pair``) gives."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from test_checker_property import reference_ptp

    strategy = st.builds(
        lambda cpt, m1, m2, dos: line(cpt, ",".join(m for m in (m1, m2) if m), dos=dos),
        st.sampled_from(OVERLAP_CODES),
        st.sampled_from(["", "", "XS", "59", "LT", "RT", "76"]),
        st.sampled_from(["", "", "XS", "RT"]),
        st.sampled_from(["2020-06-01", "2021-12-31", "2022-01-01", "2024-05-01", "2025-01-01"]),
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(lines=st.lists(strategy, min_size=2, max_size=6))
    def run(lines):
        found = ptp(overlap_ref, lines)
        got = {
            (r.rule_id, int(r.row), int(r.related_row), r.modifier if r.rule_id == "PTP003" else "")
            for r in found.itertuples()
        }
        assert got == reference_ptp(overlap_ref, lines, "practitioner")

    run()


def test_conflicts_table_marks_the_governing_row(ref, monkeypatch):
    """CPT_CONFLICTS_TABLE lists both rows in force and says which governs, as CPT_CONFLICTS does."""
    from addin import udfs
    from addin.excel import answers

    monkeypatch.setattr(answers, "reference", lambda: ref)
    answers.clear()  # the Excel answers' caches: keep this tiny reference's answers to itself
    try:
        table = udfs.CPT_CONFLICTS_TABLE([["47000"], ["64483"]], "2022-06-01")
        before = udfs.CPT_CONFLICTS_TABLE([["47000"], ["64483"]], "2020-06-01")  # one row in force
    finally:
        answers.clear()
    rows = {(r[0], r[1]): r[3] for r in table[1:]}
    assert set(rows) == {("47000", "64483"), ("64483", "47000")}
    assert "Governs: the strictest of 2 rows" in rows[("64483", "47000")]
    assert rows[("47000", "64483")].startswith("Overruled: 2 rows of this pair are in force")
    assert "64483/47000 row (indicator 0) governs" in rows[("47000", "64483")]
    assert len(before) == 2 and "Governs" not in before[1][3] and "Overruled" not in before[1][3]
