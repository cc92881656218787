"""Fee-schedule modifier checks read the RVU row of the billed modifier (26/TC/53) before the
global row: that row carries its own PC/TC indicator and status."""

from __future__ import annotations

import datetime as dt

import pytest
from test_rule_fixtures import RVU_ROWS, findings_for, line, tiny_reference

from addin.reference import ReferenceData

COMPONENT_ROWS = [
    *RVU_ROWS,
    # like CMS 83020: the global row says PC/TC 9 (status X), the 26 row PC/TC 6 (status A)
    ("83020", "", "", "X", "9", "XXX", "9", "9", "9", "9", "9", ""),
    ("83020", "26", "", "A", "6", "XXX", "9", "9", "9", "9", "9", ""),
    # only a 26 row (like CMS 86153)
    ("86153", "26", "", "A", "6", "XXX", "9", "9", "9", "9", "9", ""),
    # the TC row not valid for Medicare while the global row is active
    ("70170", "", "", "A", "1", "XXX", "0", "0", "9", "9", "9", ""),
    ("70170", "26", "", "A", "1", "XXX", "0", "0", "9", "9", "9", ""),
    ("70170", "TC", "", "I", "1", "XXX", "0", "0", "9", "9", "9", ""),
]


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path, rvu=COMPONENT_ROWS)


def rule_ids(found):
    return sorted(found["rule_id"])


def test_26_row_with_pctc_6_makes_26_valid(ref):
    found = findings_for(ref, [line("83020", "26")], family="modifier")
    assert rule_ids(found) == []


def test_tc_on_a_pctc_6_code_reads_the_global_row_and_is_denied(ref):
    found = findings_for(ref, [line("83020", "TC")], family="modifier")
    assert rule_ids(found) == ["MOD003"]
    assert "PC/TC indicator is 9" in found["message"].iloc[0]


def test_code_with_only_a_26_row(ref):
    assert rule_ids(findings_for(ref, [line("86153", "26")], family="modifier")) == []
    found = findings_for(ref, [line("86153", "26")], family="code")
    assert "COD002" not in set(found["rule_id"])  # the RVU file lists it (26 row)


def test_status_of_the_modifier_row(ref):
    found = findings_for(ref, [line("70170", "TC")], family="code")
    assert rule_ids(found) == ["COD004"]
    assert "status I" in found["message"].iloc[0]
    assert rule_ids(findings_for(ref, [line("70170", "26")], family="code")) == []
    assert rule_ids(findings_for(ref, [line("70170")], family="code")) == []


def test_fee_rows_frame_names_the_row_read(ref):
    frame = ref.fee_rows_frame(
        ["83020", "83020", "83020", "93000"], ["26", "TC", "", "26"], dt.date(2024, 5, 1)
    )
    assert frame["fee_modifier"].tolist() == ["26", "", "", ""]
    assert frame["pctc"].tolist() == ["6", "9", "9", "4"]
    assert frame["status"].tolist() == ["A", "X", "X", "A"]


@pytest.fixture(scope="module")
def cms(imported_store) -> ReferenceData:
    return ReferenceData(store=imported_store)


def test_real_rvu_pctc_6_codes(cms):
    # RVU25D: 83020 global row PC/TC 9 status X, 26 row PC/TC 6 status A; no TC row
    dos = "2025-11-03"
    assert rule_ids(findings_for(cms, [line("83020", "26", dos=dos)], family="modifier")) == []
    found = findings_for(cms, [line("83020", "TC", dos=dos, dx="E83.10")], family="modifier")
    assert rule_ids(found) == ["MOD003"]
    assert rule_ids(findings_for(cms, [line("88371", "26", dos=dos)], family="modifier")) == []


@pytest.mark.parametrize("code", ["77001", "77002", "77003"])
@pytest.mark.parametrize("mod", ["26", "TC"])
def test_real_77001_to_77003_component_rows(cms, code, mod):
    dos = "2025-11-03"
    found = findings_for(cms, [line(code, mod, dos=dos)], family="modifier")
    assert rule_ids(found) == []
    frame = cms.fee_rows_frame([code], [mod], dt.date(2025, 11, 3))
    assert frame["fee_modifier"].tolist() == [mod]
    assert frame["pctc"].tolist() == ["1"]
