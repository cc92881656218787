"""The data layer over a store imported from ../shared/cms: the README's facts, end to end."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from addin.reference import ReferenceData
from addin.verdicts import CONFLICT, pair_verdict

DOS = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def reference(imported_store):
    return ReferenceData(store=imported_store)


@pytest.mark.parametrize("column_2", ["43235", "43191", "43197", "43200", "32665"])
def test_43497_is_column_1_with_indicator_0(reference, column_2):
    for a, b in (("43497", column_2), (column_2, "43497")):
        [edit] = reference.pair(a, b, DOS).applicable
        assert (edit.column_1, edit.column_2, edit.modifier_indicator) == ("43497", column_2, 0)


def test_other_ptp_facts(reference):
    [edit] = reference.pair("43260", "43262", DOS).applicable
    assert (edit.column_1, edit.modifier_indicator) == ("43262", 0)
    for column_2 in ("77001", "77002"):
        [edit] = reference.pair(column_2, "47383", DOS).applicable
        assert (edit.column_1, edit.modifier_indicator) == ("47383", 1)
    assert reference.pair("47383", "77003", DOS).edits == []


@pytest.mark.parametrize(
    ("code", "units", "mai"),
    [("47383", 1, 2), ("43497", 1, 2), ("0397T", 1, 3), ("0353T", 2, 3), ("77001", 2, 3), ("77002", 1, 3)],
)
def test_mue_2026_q2(reference, code, units, mai):
    mue = reference.mue(code, DOS)
    assert (mue.mue_units, mue.mai) == (units, mai)
    assert "2026-04-01" in mue.source


def test_mue_date_of_service_picks_the_vintage(reference):
    assert "2024-07-01" in reference.mue("47383", dt.date(2025, 1, 1)).source
    assert "2026-04-01" in reference.mue("47383", dt.date(2026, 4, 1)).source


def test_rvu_facts(reference):
    for code in ("77001", "77002", "77003"):
        info = reference.code_info(code, DOS)
        assert info.fee_schedule.pctc == "1" and info.fee_schedule.global_days == "ZZZ"
        assert {row.modifier for row in info.component_rows} >= {"26", "TC"}
    fee = reference.fee_schedule("47383", DOS)
    assert (fee.global_days, fee.mult_proc, fee.asst) == ("010", "2", "1")
    fee = reference.fee_schedule("43497", DOS)
    assert (fee.global_days, fee.endo_base) == ("090", "43235")
    assert reference.fee_schedule("0397T", DOS).status == "C"


def test_aoc_facts(reference):
    addon = reference.addon("0397T", DOS)
    assert addon.edit_type == 1
    expected = {str(c) for c in range(43260, 43266)} | {str(c) for c in range(43274, 43279)}
    assert set(addon.primaries) == expected
    rows = reference.addon_edits(DOS)
    rows_77002 = rows[rows["addon_code"] == "77002"]
    assert len(rows_77002) == 77 and set(rows_77002["edit_type"]) == {1}
    addon = reference.addon("77002", DOS)
    # the primaries still in force on the date (some of the 77 rows carry deletion dates)
    live = rows_77002["primary_deletion_date"].isna() | (rows_77002["primary_deletion_date"] >= str(DOS))
    assert len(addon.primaries) == int(live.sum()) and "47383" not in addon.primaries
    addon = reference.addon("77001", DOS)
    assert addon.edit_type == 2 and addon.contractor_defined and addon.primaries == []


def test_vector_code_status_agrees_with_point_queries(reference):
    codes = ["47383", "0397T", "G0364", "99999", "4738", "J1100", "77002"]
    frame = reference.code_status_frame(codes, DOS)
    for code, known, active in zip(codes, frame["known"], frame["active"], strict=True):
        info = reference.code_info(code, DOS)
        assert (info.known, info.active) == (bool(known), bool(active)), code
    mue = reference.mue_frame(codes, DOS)
    for code, units in zip(codes, mue["mue_units"], strict=True):
        fact = reference.mue(code, DOS)
        assert (fact.mue_units if fact else None) == (None if units != units else int(units))


def test_conflicts_command_in_a_new_process(imported_store):
    env = {**os.environ, "CPT_ADDIN_HOME": str(imported_store.parent)}
    out = subprocess.run(
        [sys.executable, "-m", "addin", "conflicts", "43235", "43497", "--json"],
        capture_output=True, text=True, env=env, check=False,
    )
    assert out.returncode == 1, out.stderr
    verdict = json.loads(out.stdout)
    assert verdict["verdict"] == CONFLICT
    assert verdict["edit"]["column_1"] == "43497" and verdict["edit"]["modifier_indicator"] == 0
    assert verdict["edit"]["rationale"] == "CPT Manual or CMS manual coding instruction"


def test_verdict_wording_names_column_1(reference):
    verdict = pair_verdict(reference, "43235", "43497", date_of_service=DOS)
    assert verdict.headline.startswith("CONFLICT: 43497 is Column 1")
