"""The vectorised rules agree with a plain per-claim reference implementation.

The reference implementation below uses only point queries (``ReferenceData.pair``,
``mue``, ``modifier``, ``addon_edits``) and :func:`addin.verdicts.bypass_for_pair`, looping
over lines in Python: slow and obviously right. Hypothesis draws random claims from the
fixture's codes, modifiers, dates, patients and providers.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rule_fixtures import findings_for, line, tiny_reference

from addin.reference.schema import CONTRACTOR_DEFINED_PRIMARY
from addin.verdicts import bypass_for_pair

CODES = [
    "43497",
    "43235",
    "47383",
    "77002",
    "11000",
    "11001",
    "20000",
    "20001",
    "30000",
    "30001",
    "73562",
    "73560",
    "20610",
    "99214",
    "20605",
    "0397T",
    "43260",
    "43261",
    "88311",
    "88302",
    "77001",
    "64483",
    "11750",
    "11730",
]
MODS = ["", "", "", "59", "XS", "25", "LT", "RT", "TA", "T1", "76", "91", "26", "57"]
DATES = ["2019-06-01", "2021-06-01", "2022-01-01", "2023-06-01", "2024-05-01"]

line_strategy = st.builds(
    lambda cpt, m1, m2, units, dos, patient, provider, claim: line(
        cpt,
        ",".join(m for m in (m1, m2) if m),
        units=units,
        dos=dos,
        patient=patient,
        provider=provider,
        claim=claim,
    ),
    st.sampled_from(CODES),
    st.sampled_from(MODS),
    st.sampled_from(MODS),
    st.integers(1, 3),
    st.sampled_from(DATES),
    st.sampled_from(["P1", "P2"]),
    st.sampled_from(["N1", "N2"]),
    st.sampled_from(["A", "B", "C"]),
)


def _mods(item: dict) -> list[str]:
    return [m for m in item["mods"].split(",") if m][:4]


def reference_ptp(ref, lines, setting):
    out = set()
    for (i, a), (j, b) in itertools.combinations(enumerate(lines), 2):
        if (a["patient"], a["provider"], a["dos"]) != (b["patient"], b["provider"], b["dos"]):
            continue
        answer = ref.pair(a["cpt"], b["cpt"], dt.date.fromisoformat(a["dos"]), setting)
        if not answer.applicable:
            continue
        edit = answer.applicable[0]
        first, second = (i, j) if edit.column_1 == a["cpt"] else (j, i)
        facts = {m: ref.modifier(m) for m in _mods(lines[first]) + _mods(lines[second])}
        facts = {m: f for m, f in facts.items() if f is not None}
        bypass = bypass_for_pair(
            edit.modifier_indicator,
            edit.column_1,
            edit.column_2,
            _mods(lines[first]),
            _mods(lines[second]),
            facts,
        )
        if edit.modifier_indicator == 0:
            rule = "PTP001"
        elif bypass.bypassed:
            rule = "PTP003"
        else:
            rule = "PTP002"
        out.add((rule, second + 2, first + 2, bypass.modifier if bypass.bypassed else ""))
    return out


def reference_mue(ref, lines, setting):
    out = set()
    for i, item in enumerate(lines):
        fact = ref.mue(item["cpt"], dt.date.fromisoformat(item["dos"]), setting)
        if fact is None:
            continue
        if fact.mai == 1:
            if item["units"] > fact.mue_units:
                out.add(("MUE001", i + 2))
            continue
        total = sum(
            other["units"]
            for other in lines
            if (other["patient"], other["provider"], other["dos"], other["cpt"])
            == (item["patient"], item["provider"], item["dos"], item["cpt"])
        )
        if total > fact.mue_units:
            out.add((f"MUE00{fact.mai}", i + 2))
    return out


def reference_aoc(ref, lines):
    out = set()
    for i, item in enumerate(lines):
        day = pd.Timestamp(item["dos"])
        table = ref.addon_edits(dt.date.fromisoformat(item["dos"]))
        live = []
        for row in table[table["addon_code"] == item["cpt"]].itertuples():
            if pd.notna(row.effective_date) and row.effective_date > day:
                continue
            if pd.notna(row.deletion_date) and row.deletion_date < day:
                continue
            if pd.notna(row.primary_deletion_date) and row.primary_deletion_date < day:
                continue
            live.append(row)
        if not live:
            continue
        edit_type = min(pd.Series([r.edit_type for r in live]).mode())
        primaries = {r.primary_code for r in live if r.primary_code != CONTRACTOR_DEFINED_PRIMARY}
        group = [
            (j, other)
            for j, other in enumerate(lines)
            if j != i
            and (other["patient"], other["provider"], other["dos"])
            == (item["patient"], item["provider"], item["dos"])
        ]
        addon_codes = set(table["addon_code"])
        listed = any(other["cpt"] in primaries for _, other in group)
        other_procedure = any(other["cpt"] not in addon_codes for _, other in group)
        if edit_type == 1 and not listed:
            out.add(("AOC001", i + 2))
        elif edit_type == 3 and not listed and other_procedure:
            out.add(("AOC002", i + 2))
        elif edit_type == 2 and other_procedure:
            out.add(("AOC003", i + 2))
        if edit_type in (2, 3) and not listed and not other_procedure:
            out.add(("AOC004", i + 2))
    return out


def reference_duplicates(ref, lines):
    out = set()
    distinct = {"76", "77", "91", "59", "XE", "XS", "XP", "XU"}
    anatomic = {m for m in ("LT", "RT", "F1", "F2", "TA", "T1")}
    for i, item in enumerate(lines):
        sites = sorted(set(_mods(item)) & anatomic)
        for j in range(i):
            other = lines[j]
            same = (other["patient"], other["provider"], other["dos"], other["cpt"]) == (
                item["patient"],
                item["provider"],
                item["dos"],
                item["cpt"],
            )
            if same and sorted(set(_mods(other)) & anatomic) == sites:
                if not set(_mods(item)) & distinct:
                    out.add(("DUP001", i + 2, j + 2))
                break
    return out


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    return tiny_reference(tmp_path_factory.mktemp("property"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(line_strategy, min_size=1, max_size=9),
    setting=st.sampled_from(["practitioner", "hospital"]),
)
def test_vectorised_rules_agree_with_reference_implementation(ref, lines, setting):
    found = pd.concat(
        [findings_for(ref, lines, setting=setting, family=f) for f in ("ptp", "mue", "aoc", "duplicate")],
        ignore_index=True,
    )
    ptp = found[found["rule"] == "ptp"]
    got_ptp = {
        (r.rule_id, int(r.row), int(r.related_row), r.modifier if r.rule_id == "PTP003" else "")
        for r in ptp.itertuples()
    }
    assert got_ptp == reference_ptp(ref, lines, setting)
    mue = found[found["rule"] == "mue"]
    assert {(r.rule_id, int(r.row)) for r in mue.itertuples()} == reference_mue(ref, lines, setting)
    aoc = found[found["rule"] == "aoc"]
    assert {(r.rule_id, int(r.row)) for r in aoc.itertuples()} == reference_aoc(ref, lines)
    dup = found[found["rule"] == "duplicate"]
    assert {
        (r.rule_id, int(r.row), int(r.related_row)) for r in dup.itertuples()
    } == reference_duplicates(ref, lines)
