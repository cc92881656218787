"""Modifier suggestions follow the indicators of the data, never a fixed list.

Each test builds a small data folder whose RVU/PTP rows set exactly the indicator under test,
so a suggestion appears or disappears with the data alone.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from addin.reference import ReferenceData
from addin.suggest import (
    COMPONENT,
    GLOBAL,
    NOTE,
    PTP,
    TABLE_HEADER,
    format_compact,
    suggest_modifiers,
    table_rows,
)

DOS = dt.date(2026, 5, 4)
RVU_HEADER = ["code", "modifier", "description", "status", "pctc", "global_days", "mult_proc",
              "bilat", "asst", "co_surg", "team_surg", "endo_base"]
RVU_ROWS = [
    ("70001", "", "imaging test", "A", "1", "ZZZ", "0", "0", "0", "0", "0", ""),
    ("70001", "26", "", "A", "1", "ZZZ", "0", "0", "0", "0", "0", ""),
    ("70001", "TC", "", "A", "1", "ZZZ", "0", "0", "0", "0", "0", ""),
    ("80001", "", "lab interpretation", "A", "6", "XXX", "0", "0", "9", "9", "9", ""),
    ("20001", "", "sided procedure", "A", "0", "090", "2", "3", "2", "1", "2", ""),
    ("20002", "", "bilateral procedure", "A", "0", "010", "2", "1", "1", "0", "0", ""),
    ("20003", "", "minor procedure", "A", "0", "000", "9", "0", "1", "9", "9", ""),
    ("40001", "", "endoscopy", "A", "0", "000", "3", "0", "0", "0", "0", "40000"),
    ("40002", "", "colonoscopy with 53 row", "A", "0", "000", "2", "0", "1", "0", "0", ""),
    ("40002", "53", "", "A", "0", "000", "2", "0", "1", "0", "0", ""),
    ("40003", "", "test with an unpaid TC row", "A", "1", "XXX", "0", "0", "9", "9", "9", ""),
    ("40003", "TC", "", "I", "1", "XXX", "0", "0", "9", "9", "9", ""),
    ("50001", "", "bundled service", "B", "1", "XXX", "0", "1", "2", "2", "2", ""),
    ("99213", "", "office visit", "A", "0", "XXX", "0", "0", "0", "0", "0", ""),
    ("90001", "", "add-on", "A", "1", "ZZZ", "0", "0", "0", "0", "0", ""),
]
PTP_ROWS = [
    ("practitioner", "20001", "70001", "1", "Misuse of column two code"),
    ("practitioner", "40001", "20003", "0", "Mutually exclusive"),
    ("practitioner", "20003", "99213", "1", "E/M with procedure"),
]


def write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "source"])
        writer.writerows([*row, "test fixture"] for row in rows)


@pytest.fixture
def reference(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write(data / "rvu.csv", RVU_HEADER, RVU_ROWS)
    write(data / "ptp.csv", ["setting", "column_1", "column_2", "modifier_indicator", "rationale"], PTP_ROWS)
    write(data / "modifiers.csv", ["modifier", "description", "ncci_associated"],
          [("59", "Distinct procedural service", "true"), ("XS", "Separate structure", "true")])
    return ReferenceData(store=tmp_path / "store", data_dir=data)


def mods(suggestions, code=None):
    """Every modifier suggested (for one code's line when ``code`` is given)."""
    return {m for s in suggestions for m in s.modifiers if code is None or s.code == code}


def test_pctc_1_gives_26_and_tc_and_6_gives_26_only(reference):
    assert {"26", "TC"} <= mods(suggest_modifiers(reference, "70001", date_of_service=DOS))
    lab = suggest_modifiers(reference, "80001", date_of_service=DOS)
    assert "26" in mods(lab) and "TC" not in mods(lab)
    component = [s for s in lab if s.kind == COMPONENT]
    assert all("PC/TC indicator 6" in s.reason for s in component)


def test_no_26_tc_for_codes_whose_indicator_forbids_them(reference):
    for code in ("20001", "20002", "99213"):
        assert not {"26", "TC"} & mods(suggest_modifiers(reference, code, date_of_service=DOS))


def test_unpaid_component_row_removes_that_modifier(reference):
    found = mods(suggest_modifiers(reference, "40003", date_of_service=DOS))
    assert "26" in found and "TC" not in found


def test_bilateral_1_gives_50_and_3_gives_lt_rt_not_50(reference):
    assert "50" in mods(suggest_modifiers(reference, "20002", date_of_service=DOS))
    sided = suggest_modifiers(reference, "20001", date_of_service=DOS)
    assert {"LT", "RT"} <= mods(sided) and "50" not in mods(sided)


def test_multiple_procedure_51_only_where_the_indicator_reduces(reference):
    assert "51" in mods(suggest_modifiers(reference, "20001", date_of_service=DOS))
    endo = [s for s in suggest_modifiers(reference, "40001", date_of_service=DOS) if "51" in s.modifiers]
    assert endo and "40000" in endo[0].label
    for code in ("20003", "70001", "90001"):  # indicator 9 / 0
        assert "51" not in mods(suggest_modifiers(reference, code, date_of_service=DOS))


def test_surgeon_indicators(reference):
    found = mods(suggest_modifiers(reference, "20001", date_of_service=DOS))
    assert {"62", "66", "80", "81", "82", "AS"} <= found
    minor = mods(suggest_modifiers(reference, "20002", date_of_service=DOS))
    assert not {"62", "66", "80", "81", "82", "AS"} & minor  # 0 not permitted, assistant 1 never paid
    # assistant indicator 0 outside surgery (office visit) suggests no assistant
    assert "80" not in mods(suggest_modifiers(reference, "99213", date_of_service=DOS))


def test_global_period_modifiers(reference):
    major = {s.modifiers[0]: s for s in suggest_modifiers(reference, "20001", date_of_service=DOS) if s.kind == GLOBAL}
    assert set(major) == {"57", "25", "24", "58", "78", "79"}
    assert major["57"].line == "the E/M visit"
    minor = {s.modifiers[0] for s in suggest_modifiers(reference, "20002", date_of_service=DOS) if s.kind == GLOBAL}
    assert minor == {"25", "24", "58", "78", "79"}
    zero = {s.modifiers[0] for s in suggest_modifiers(reference, "20003", date_of_service=DOS) if s.kind == GLOBAL}
    assert zero == {"25"}
    for code in ("70001", "99213"):  # ZZZ / XXX
        assert not [s for s in suggest_modifiers(reference, code, date_of_service=DOS) if s.kind == GLOBAL]


def test_reduced_and_discontinued_by_setting(reference):
    practitioner = mods(suggest_modifiers(reference, "20001", date_of_service=DOS))
    assert {"22", "52", "53"} <= practitioner and not {"73", "74"} & practitioner
    hospital = mods(suggest_modifiers(reference, "20001", date_of_service=DOS, setting="hospital"))
    assert {"73", "74", "52"} <= hospital and not {"22", "53"} & hospital
    test = mods(suggest_modifiers(reference, "70001", date_of_service=DOS))
    assert {"52", "53"} <= test and "22" not in test
    priced = [s for s in suggest_modifiers(reference, "40002", date_of_service=DOS) if "53" in s.modifiers]
    assert "53 row" in priced[0].reason
    assert not {"22", "52", "53"} & mods(suggest_modifiers(reference, "99213", date_of_service=DOS))


def test_unpayable_unknown_and_invalid_codes_get_a_note_only(reference):
    for code, words in (("50001", "payment status B"), ("12345", "Unknown code"), ("1234X", "Invalid code")):
        [note] = suggest_modifiers(reference, code, date_of_service=DOS)
        assert note.kind == NOTE and not note.modifiers and words in note.label


def test_pair_indicator_1_puts_x_or_59_on_column_2_in_either_order(reference):
    for a, b in (("20001", "70001"), ("70001", "20001")):
        found = suggest_modifiers(reference, a, b, DOS)
        first = found[0]
        assert first.kind == PTP and first.code == "70001"
        assert {"XE", "XS", "XP", "XU", "59"} == set(first.modifiers)
        assert "Misuse of column two code" in first.reason
        # sided code (bilateral 3): anatomic modifiers are an alternative
        assert any(s.kind == PTP and set(s.modifiers) == {"LT", "RT"} for s in found)
        # each code's own line modifiers follow, but not the later-date global modifiers
        assert {"26", "TC"} <= mods(found, "70001")
        assert not {"24", "58", "78", "79"} & mods(found)


def test_pair_indicator_0_says_no_modifier_bypasses(reference):
    found = suggest_modifiers(reference, "20003", "40001", DOS)
    first = found[0]
    assert first.kind == PTP and not first.modifiers
    assert "No modifier bypasses 40001/20003" in first.label and "report 40001 only" in first.label
    assert not {"59", "XE", "XS", "XP", "XU"} & mods(found)


def test_pair_with_em_suggests_25_on_the_em(reference):
    found = suggest_modifiers(reference, "20003", "99213", DOS)
    assert found[0].modifiers == ("25",) and found[0].code == "99213"
    assert len([s for s in found if s.modifiers == ("25",)]) == 1  # PTP and global 25 merged


def test_pair_without_edit(reference):
    found = suggest_modifiers(reference, "20002", "80001", DOS)
    assert found[0].kind == PTP and "No NCCI PTP edit" in found[0].label


def test_compact_and_table_forms(reference):
    found = suggest_modifiers(reference, "70001", date_of_service=DOS)
    text = format_compact(found)
    assert text.startswith("26 (professional component); TC (technical component)")
    pair = format_compact(suggest_modifiers(reference, "20001", "70001", DOS), with_code=True)
    assert pair.startswith("XE/XS/XP/XU/59 (") and " on 70001" in pair
    rows = table_rows(found)
    assert len(rows[0]) == len(TABLE_HEADER) and rows[0][:3] == ["70001", "26", "70001"]
    assert format_compact([]) == "No modifier suggested by the loaded indicators"
