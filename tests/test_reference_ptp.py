"""PTP queries: date windows, either order, indicator 9, re-added pairs, point = vector."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.reference import ReferenceData
from addin.verdicts import BYPASSED, CONFLICT, NO_EDIT, pair_verdict

PTP_ROWS = [
    # setting, column_1, column_2, pre_1996, effective, deletion, indicator, rationale
    ("practitioner", "43497", "43235", "", "2020-01-01", "", "0", "CPT Manual or CMS manual coding instruction"),
    ("practitioner", "47383", "77002", "", "2019-01-01", "", "1", "Standards of medical / surgical practice"),
    # deleted at the end of 2021 and re-added from 2023
    ("practitioner", "11000", "11001", "", "2018-01-01", "2021-12-31", "1", "Misuse of column two code"),
    ("practitioner", "11000", "11001", "", "2023-01-01", "", "0", "Misuse of column two code"),
    # deleted retroactively: indicator 9 never applies
    ("practitioner", "20000", "20001", "", "2022-01-01", "2022-01-01", "9", "Deleted retroactively"),
    # effective in the future of some dates of service
    ("practitioner", "30000", "30001", "", "2024-04-01", "2024-06-30", "1", "Mutually exclusive procedures"),
    # hospital table differs
    ("hospital", "47383", "77003", "", "2019-01-01", "", "1", "Hospital-only edit"),
]

MODIFIERS = [
    ("59", "Distinct procedural service", "true", "", ""),
    ("XS", "Separate structure", "true", "", ""),
    ("25", "Significant, separately identifiable E/M", "true", "", ""),
    ("LT", "Left side", "true", "side", "left"),
    ("RT", "Right side", "true", "side", "right"),
    ("F1", "Left hand, second digit", "true", "finger", "left hand second digit"),
    ("26", "Professional component", "false", "", ""),
]


def write_data_dir(root, ptp_rows=PTP_ROWS):
    """A bundled-format data folder with only the facts these tests control."""
    root.mkdir(parents=True, exist_ok=True)
    ptp_header = ["setting", "column_1", "column_2", "pre_1996", "effective_date", "deletion_date",
                  "modifier_indicator", "rationale"]
    write_csv(root / "ptp.csv", ptp_header, ptp_rows)
    mod_header = ["modifier", "description", "ncci_associated", "anatomic_family", "site"]
    write_csv(root / "modifiers.csv", mod_header, MODIFIERS)
    return root


def write_csv(path, header, rows):
    """A bundled-format CSV with a source column on every row."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "source"])
        writer.writerows([*row, "test fixture"] for row in rows)


@pytest.fixture
def reference(tmp_path):
    return ReferenceData(store=tmp_path / "store", data_dir=write_data_dir(tmp_path / "data"))


def applicable(reference, a, b, day, setting="practitioner"):
    return reference.pair(a, b, day, setting).applicable


def test_either_order_names_the_same_column_1(reference):
    for a, b in (("43235", "43497"), ("43497", "43235")):
        [edit] = applicable(reference, a, b, dt.date(2026, 5, 1))
        assert (edit.column_1, edit.column_2, edit.modifier_indicator) == ("43497", "43235", 0)
        assert edit.rationale == "CPT Manual or CMS manual coding instruction"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2024, 3, 31), 0),  # before effective
        (dt.date(2024, 4, 1), 1),  # on effective
        (dt.date(2024, 6, 30), 1),  # on deletion (last day it applies)
        (dt.date(2024, 7, 1), 0),  # after deletion
    ],
)
def test_date_window_is_inclusive(reference, day, expected):
    assert len(applicable(reference, "30000", "30001", day)) == expected


def test_indicator_9_never_applies(reference):
    answer = reference.pair("20001", "20000", dt.date(2022, 1, 1))
    assert len(answer.edits) == 1
    assert answer.applicable == []


def test_re_added_pair_keeps_every_episode(reference):
    answer = reference.pair("11001", "11000", dt.date(2021, 6, 1))
    assert len(answer.edits) == 2
    assert [e.modifier_indicator for e in answer.applicable] == [1]
    assert applicable(reference, "11000", "11001", dt.date(2022, 6, 1)) == []
    [edit] = applicable(reference, "11000", "11001", dt.date(2023, 1, 1))
    assert edit.modifier_indicator == 0


def test_settings_are_separate_tables(reference):
    assert applicable(reference, "47383", "77003", dt.date(2026, 1, 1), "practitioner") == []
    assert len(applicable(reference, "47383", "77003", dt.date(2026, 1, 1), "hospital")) == 1


def test_answers_name_their_source(reference):
    answer = reference.pair("47383", "77002", dt.date(2026, 1, 1))
    assert answer.source.startswith("PTP practitioner")
    assert answer.applicable[0].source == "test fixture"


def test_verdicts(reference):
    day = dt.date(2026, 5, 1)
    assert pair_verdict(reference, "43235", "43497", date_of_service=day).verdict == CONFLICT
    assert pair_verdict(reference, "43235", "43497", "59", "59", date_of_service=day).verdict == CONFLICT
    verdict = pair_verdict(reference, "47383", "77002", date_of_service=day)
    assert verdict.verdict == CONFLICT and "77002" in verdict.action
    assert pair_verdict(reference, "47383", "77002", "", "XS", date_of_service=day).verdict == BYPASSED
    assert pair_verdict(reference, "77002", "47383", "XS", "", date_of_service=day).verdict == BYPASSED
    assert pair_verdict(reference, "47383", "77003", date_of_service=day).verdict == NO_EDIT


def test_anatomic_modifiers_bypass_only_for_different_sites(reference):
    day = dt.date(2026, 5, 1)
    same = pair_verdict(reference, "47383", "77002", "LT", "LT", date_of_service=day)
    assert same.verdict == CONFLICT and "same site" in same.action
    assert pair_verdict(reference, "47383", "77002", "LT", "RT", date_of_service=day).verdict == BYPASSED
    assert pair_verdict(reference, "47383", "77002", "", "RT", date_of_service=day).verdict == CONFLICT


def test_25_counts_only_on_an_em_code(reference):
    day = dt.date(2026, 5, 1)
    assert pair_verdict(reference, "47383", "77002", "", "25", date_of_service=day).verdict == CONFLICT


CODES = ["43497", "43235", "47383", "77002", "77003", "11000", "11001", "20000", "20001", "30000", "30001", "9999X"]
DAYS = [dt.date(2019, 6, 1), dt.date(2021, 12, 31), dt.date(2022, 1, 1), dt.date(2023, 1, 1),
        dt.date(2024, 4, 1), dt.date(2024, 7, 1), dt.date(2026, 5, 1)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(CODES), st.sampled_from(CODES), st.sampled_from(DAYS)),
        min_size=1,
        max_size=40,
    )
)
def test_vector_query_agrees_with_point_query(tmp_path_factory, triples):
    root = tmp_path_factory.mktemp("ref")
    reference = ReferenceData(store=root / "store", data_dir=write_data_dir(root / "data"))
    a = np.array([t[0] for t in triples], dtype=object)
    b = np.array([t[1] for t in triples], dtype=object)
    days = np.array([np.datetime64(t[2]) for t in triples])
    matches = reference.ptp_matches(a, b, days)
    for position, (code1, code2, day) in enumerate(triples):
        expected = sorted(
            (e.column_1, e.column_2, e.modifier_indicator)
            for e in reference.pair(code1, code2, day).applicable
        )
        got = matches[matches["pair"] == position]
        found = sorted(zip(got["column_1"], got["column_2"], got["modifier_indicator"], strict=True))
        assert found == expected


def test_edits_among_a_code_list(reference):
    frame = reference.ptp_edits_among(["43235", "47383", "77002", "43497", "99999"], dt.date(2026, 5, 1))
    pairs = set(zip(frame["column_1"], frame["column_2"], strict=True))
    assert pairs == {("43497", "43235"), ("47383", "77002")}
