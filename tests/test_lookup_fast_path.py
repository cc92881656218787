"""The one-code answer (``addin.reference.one_code``, what ``cpt-addin lookup`` prints) equals
the answer built from the whole-table frames of the vector queries, for every kind of code.

Pinned on the bundled data and, when ../shared/cms is present, on a store built in a temp
dir from the RVU (three releases: the CMS October 2025 file and two copies with codes taken
out, so "new in a later release" and "deleted: last listed" both occur), HCPCS 2023/2024,
the MUE tables of every setting and the AOC file. Each case compares the CodeInfo (as the
``--json`` output) and the printed card line by line.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from addin.explain import code_card
from addin.reference import currency, schema
from addin.reference.data import ReferenceData
from tests.conftest import BUNDLED_DATA, PROJECT_ROOT, SHARED_CMS, require_shared

DATES = [
    dt.date(2019, 1, 1),  # before every table vintage
    dt.date(2023, 6, 15),
    dt.date(2024, 3, 1),
    dt.date(2024, 8, 1),
    dt.date(2025, 3, 1),
    dt.date(2025, 11, 1),
    dt.date(2026, 2, 1),
    dt.date(2026, 5, 1),
    dt.date(2027, 1, 1),  # after every table vintage
]
SETTINGS = ["practitioner", "hospital"]
ODD_CODES = ["99999", "G9999", "0000T", "", "4738", "47383X", "ABCDE", "１２３４５", "CCCCC"]


def frame_answer(reference: ReferenceData, code: str, dos: dt.date, setting: str):
    """The whole-table answer with the currency ``ReferenceData.code_info`` adds."""
    info = reference.code_info_from_frames(code, dos, setting)
    if info.category is not None:
        info.currency = [
            reference.currency(table, table_setting, info.date_of_service)
            for table, table_setting in currency.code_tables(info.category, info.setting)
            if reference.version_set(table, table_setting)
        ]
    return info


def assert_same_answers(
    reference: ReferenceData, codes, dates=DATES, settings=SETTINGS, *, vector_status: bool = True
) -> int:
    """Compare every (code, date, setting); returns how many cases were compared.

    ``vector_status``: the frame answer takes each code's status row from one
    ``code_status_frame`` of all the codes a date (a vector query aligned with its codes,
    row by row the same as one code's; ~60 ms a call saved per case)."""
    cases = 0
    statuses = {}
    if vector_status:
        single = reference.code_status_frame

        def status_row(one_code, dos):
            if dos not in statuses:
                frame = single(list(codes), dos).reset_index(drop=True)
                # as descriptions_frame does: a bad-format code's None comes back NaN (pandas 3)
                frame["category"] = pd.Series(
                    [c if isinstance(c, str) else None for c in frame["category"]], dtype=object
                )
                statuses[dos] = (frame, {c: i for i, c in enumerate(codes)})
            frame, at = statuses[dos]
            return frame.iloc[[at[one_code[0]]]].reset_index(drop=True)

        reference.code_status_frame = status_row  # this instance only
    try:
        cases = _compare(reference, codes, dates, settings)
    finally:
        reference.__dict__.pop("code_status_frame", None)
    return cases


def _compare(reference: ReferenceData, codes, dates, settings) -> int:
    cases = 0
    for code in codes:
        for dos in dates:
            for setting in settings:
                fast = reference.code_info(code, dos, setting, enforce_currency=False)
                slow = frame_answer(reference, code, dos, setting)
                where = f"{code!r} on {dos} ({setting})"
                assert fast.model_dump_json(indent=2) == slow.model_dump_json(indent=2), where
                assert code_card(fast) == code_card(slow), where
                cases += 1
    return cases


def reasons_seen(reference: ReferenceData, codes, dates=DATES) -> set[str]:
    """The kinds of inactive reason the cases give (their first two words)."""
    return {
        " ".join(info.inactive_reason.split()[:2]) if not info.inactive_reason.startswith("not in")
        else "not in the RVU release"
        for code in codes
        for dos in dates
        if (info := reference.code_info(code, dos, enforce_currency=False)).inactive_reason
    }


def table_codes(frame: pd.DataFrame, *columns: str) -> list[str]:
    codes: list[str] = []
    for column in columns:
        codes += [str(c).strip().upper() for c in frame[column].dropna().tolist() if str(c).strip()]
    return list(dict.fromkeys(codes))


# ---------------------------------------------------------------------- bundled data


def test_bundled_codes_answer_the_same(tmp_path):
    reference = ReferenceData(store=tmp_path / "store")
    codes: list[str] = []
    for name, columns in (
        ("rvu.csv", ["code"]),
        ("hcpcs.csv", ["code"]),
        ("mue.csv", ["code"]),
        ("aoc.csv", ["addon_code", "primary_code"]),
        ("codes.csv", ["code"]),
    ):
        codes += table_codes(pd.read_csv(BUNDLED_DATA / name, dtype=str, keep_default_na=False), *columns)
    codes = list(dict.fromkeys(codes + ODD_CODES))
    assert len(codes) > 50
    assert assert_same_answers(reference, codes, DATES[::2]) > 0
    assert assert_same_answers(reference, codes[::5], DATES[1::2], ["dme"]) > 0
    # (no bundled or CMS row has status D/F or a HCPCS effective date after its vintage)
    assert {"terminated on", "deleted on"} <= reasons_seen(reference, codes)
    # one code's own code_status_frame, not the vector's row, for a few
    assert assert_same_answers(reference, codes[::17], DATES[::4], vector_status=False) > 0


def test_bundled_note_rows_match_the_notes_frame(tmp_path):
    """The pandas-free notes reader gives the cells of the notes frame."""
    reference = ReferenceData(store=tmp_path / "store")
    rows = reference.note_rows
    assert sorted(rows) == sorted(reference.notes.index)
    for code, row in reference.notes.iterrows():
        for column, value in row.items():
            assert rows[code].get(column, "") == value, (code, column)


# ---------------------------------------------------------------------- a store of CMS files


@pytest.fixture(scope="module")
def cms_reference(tmp_path_factory) -> ReferenceData:
    """CMS tables (no PTP) imported into a temp store, with two made-up RVU releases."""
    cms = require_shared(SHARED_CMS)
    from addin.reference.store import Store

    work = tmp_path_factory.mktemp("lookup-cms")
    rvu = (cms / "pfs" / "rvu25d" / "PPRRVU2025_Oct.csv").read_text(encoding="latin-1").splitlines(True)
    # rows whose second column is a code; drop some from each copy
    header = next(i for i, line in enumerate(rvu) if line.startswith("HCPCS,"))
    coded = list(range(header + 1, len(rvu)))
    dropped_early = {i for i in coded[::97]}  # absent from "January 2025": new in October
    dropped_late = {i for i in coded[50::89]}  # absent from "January 2026": deleted
    for name, title, dropped in (
        ("PPRRVU2025_Jan.csv", "January Release", dropped_early),
        ("PPRRVU2026_Jan.csv", "January Release", dropped_late),
    ):
        year = name[6:10]
        lines = [line for i, line in enumerate(rvu) if i not in dropped]
        lines[0] = lines[0].replace("2025", year).replace("October Release", title)
        (work / name).write_text("".join(lines), encoding="latin-1")
    files = [
        cms / "pfs" / "rvu25d" / "PPRRVU2025_Oct.csv",
        work / "PPRRVU2025_Jan.csv",
        work / "PPRRVU2026_Jan.csv",
        cms / "hcpcs" / "hcpcs_level2_2023.derived.csv",
        cms / "hcpcs" / "hcpcs_level2_descriptions_2024.derived.csv",
        cms / "mue" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv",
        cms / "mue" / "ncci_mue_prac_2024q3.derived.csv",
        cms / "mue" / "ncci_mue_out_2024q3.derived.csv",
        cms / "mue" / "ncci_mue_dme_2024q3.derived.csv",
        cms / "aoc" / "AOC_V2026Q2-MCR.xlsx",
    ]
    store = work / "home" / "store"
    result = Store(store).import_paths(files)
    assert result.ok, [o.message for o in result.refused]
    reference = ReferenceData(store=store)
    assert len(reference.version_set(schema.RVU).versions) == 3
    return reference


def _spread(reference: ReferenceData) -> list[str]:
    """A few codes of every kind the tables hold (deterministic)."""
    picks: list[str] = []

    def take(values, n: int = 6) -> None:
        values = [str(v) for v in values]
        step = max(len(values) // n, 1)
        picks.extend(values[::step][:n])

    rvu_versions = reference.version_set(schema.RVU).versions
    rows = reference._rvu_rows(rvu_versions[-1])
    rows_oct = reference._rvu_rows(rvu_versions[1])
    take(rows.loc[rows["modifier"] == "", "code"].unique())  # plain CPT/HCPCS rows
    take(rows.loc[rows["status"].isin(["D", "F"]), "code"].unique())  # deleted status
    take(rows.loc[rows["modifier"].isin(["26", "TC", "53"]), "code"].unique())  # component rows
    take(set(rows["code"]) - set(rows.loc[rows["modifier"] == "", "code"]), 3)  # no global row
    take(rows.loc[rows["code"].str.fullmatch(r"\d{4}T"), "code"].unique())  # Category III
    take(rows.loc[rows["code"].str.fullmatch(r"\d{4}F"), "code"].unique(), 3)  # Category II
    take(sorted(set(rows_oct["code"]) - set(rows["code"])))  # deleted after October 2025
    take(sorted(set(rows_oct["code"]) - set(reference._rvu_rows(rvu_versions[0])["code"])))
    hcpcs = reference.hcpcs_frame(dt.date(2024, 6, 1))
    hcpcs = hcpcs[hcpcs["kind"] != "modifier"]
    take(hcpcs.index[hcpcs["termination_date"].notna()])  # terminated Level II codes
    take(hcpcs.index[hcpcs["effective_date"] > pd.Timestamp("2024-01-01")])  # not yet effective
    take(hcpcs.index[hcpcs["termination_date"].isna()])
    take(sorted(set(reference.hcpcs_frame(dt.date(2023, 6, 1)).index) - set(hcpcs.index)), 3)
    aoc = reference.addon_edits(dt.date(2026, 5, 1))
    take(aoc["addon_code"].unique())
    take(aoc["primary_code"].unique())
    take(aoc.loc[aoc["addon_deletion_date"].notna(), "addon_code"].unique())
    take(aoc.loc[aoc["primary_deletion_date"].notna(), "primary_code"].unique())
    take(aoc.loc[aoc["primary_code"] == schema.CONTRACTOR_DEFINED_PRIMARY, "addon_code"].unique(), 3)
    take(aoc.loc[aoc["effective_date"] > pd.Timestamp("2024-01-01"), "addon_code"].unique(), 3)
    for setting in ("practitioner", "hospital", "dme"):
        mue = reference.mue_frame(["x"], dt.date(2024, 8, 1), setting)  # loads the version
        version = reference.version_for(schema.MUE, setting, dt.date(2024, 8, 1))
        take(sorted(set(reference._mue_frame(version).index) - set(rows["code"])), 3)  # MUE only
        assert len(mue) == 1
    picks += ["47383", "1022T", "0397T", "43259", "86153", "G0364", "99213", "77002"]
    return list(dict.fromkeys(picks + ODD_CODES))


def test_cms_store_codes_answer_the_same(cms_reference):
    codes = _spread(cms_reference)
    assert len(codes) > 80
    # either side of each RVU release (January 2025, October 2025, January 2026) and of the MUE
    # and HCPCS vintages
    dates = [DATES[0], DATES[1], DATES[3], DATES[4], DATES[5], DATES[6], DATES[8]]
    assert assert_same_answers(cms_reference, codes, dates) > 1000
    assert assert_same_answers(cms_reference, codes[::23], DATES[::4], vector_status=False) > 0
    # the data has no D/F status nor HCPCS dates (the bundled test has those): the AOC
    # deletion dates and the three kinds of RVU absence are exercised
    assert {"deleted on", "not in the RVU release"} <= reasons_seen(cms_reference, codes)
    texts = {
        cms_reference.code_info(code, dos, enforce_currency=False).inactive_reason
        for code in codes
        for dos in DATES
    }
    assert any("new in a later release" in t for t in texts)
    assert any("deleted: last listed" in t for t in texts)
    assert any("not in the RVU release" in t and "listed" not in t for t in texts)


def test_cms_dme_setting_answers_the_same(cms_reference):
    assert assert_same_answers(cms_reference, _spread(cms_reference)[::4], DATES[::2], ["dme"]) > 0


def _run_lookup(home: Path, *extra: str, check_pandas: bool = False) -> subprocess.CompletedProcess:
    program = (
        "import sys\n"
        "from addin.cli import main\n"
        f"code = main(['lookup', '47383', '--date', '2026-05-01', *{list(extra)!r}])\n"
        + ("assert 'pandas' not in sys.modules, 'pandas imported'\n" if check_pandas else "")
        + "sys.exit(code)\n"
    )
    env = {"CPT_ADDIN_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=False)


def test_lookup_prints_the_frame_answer(cms_reference):
    """``cpt-addin lookup`` (card and ``--json``) prints the frame answer."""
    slow = frame_answer(cms_reference, "47383", dt.date(2026, 5, 1), "practitioner")
    done = _run_lookup(cms_reference.store_path.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "\n".join(code_card(slow)) + "\n"
    done = _run_lookup(cms_reference.store_path.parent, "--json")
    assert json.loads(done.stdout) == json.loads(slow.model_dump_json())


FULL_HOME = Path("/work/home")


def test_lookup_with_every_table_imported_does_not_import_pandas():
    """With every table imported (no bundled table read) the lookup reads pyarrow rows
    only: pandas, most of the start-up time, is never imported."""
    if not (FULL_HOME / "store" / "manifest.json").exists():
        pytest.skip(f"no store with every CMS table imported at {FULL_HOME}")
    done = _run_lookup(FULL_HOME, check_pandas=True)
    assert done.returncode == 0, done.stderr
