"""A code's validity on a date of service uses every table in force for that date, and the
finding names the table (and vintage) that decided: fee-schedule status, HCPCS termination
and effective dates, AOC add-on and primary-code deletion dates, and the RVU release that
covers the date (a code absent from it: deleted, or new in a later release)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import SHARED_CMS
from test_rule_fixtures import AOC_ROWS, findings_for, line, tiny_reference

from addin.reference import ReferenceData

RVU_2025 = Path("pfs/rvu25d/PPRRVU2025_Oct.csv")


def cod003(ref, code, dos):
    found = findings_for(ref, [line(code, dos=dos)], family="code")
    return found[found["rule_id"] == "COD003"]


# ------------------------------------------------------------------ small tables built in code
@pytest.fixture
def ref(tmp_path):
    aoc = [
        *AOC_ROWS,
        # add-on 0599T deleted 2023-12-31 (AOC_DelDT); primary 43999 deleted 2022-12-31
        ("1", "0599T", "2023-12-31", "43260", "", "2016-01-01", "2023-12-31", ""),
        ("1", "0397T", "", "43999", "2022-12-31", "2016-01-01", "2022-12-31", ""),
        # 43262 is a primary with a deletion date on one row only: still valid
        ("1", "0397T", "", "43262", "2022-12-31", "2016-01-01", "", ""),
        ("1", "77002", "", "43262", "", "2016-01-01", "", ""),
    ]
    return tiny_reference(tmp_path, aoc=aoc)


@pytest.mark.parametrize(("dos", "inactive"), [("2022-12-31", False), ("2023-01-01", True)])
def test_primary_code_deletion_date_in_the_aoc_file(ref, dos, inactive):
    found = cod003(ref, "43999", dos)
    assert len(found) == int(inactive)
    if inactive:
        assert "deleted on 2022-12-31 (AOC primary-code deletion date)" in found["message"].iloc[0]
        assert found["source"].iloc[0].startswith("AOC")


@pytest.mark.parametrize(("dos", "inactive"), [("2023-12-31", False), ("2024-01-01", True)])
def test_addon_code_deletion_date(ref, dos, inactive):
    found = cod003(ref, "0599T", dos)
    assert len(found) == int(inactive)
    if inactive:
        assert "(AOC add-on code deletion date)" in found["message"].iloc[0]


def test_primary_listed_without_a_deletion_date_somewhere_is_valid(ref):
    assert cod003(ref, "43262", "2024-05-01").empty


def test_hcpcs_termination_names_the_hcpcs_table(ref):
    found = cod003(ref, "G0364", "2024-05-01")
    assert "terminated on 2017-12-31 (HCPCS Level II termination date)" in found["message"].iloc[0]
    assert found["source"].iloc[0].startswith("HCPCS")


def test_bundled_rvu_sample_never_makes_a_code_absent(ref):
    # the fixture's fee schedule is partial: 43260 is not in it, and that decides nothing
    status = ref.code_status_frame(["43260", "47383"], dt.date(2024, 5, 1))
    assert "RVU release" not in " ".join(status["inactive_reason"])


# ------------------------------------------------------------------ the real CMS tables
@pytest.fixture(scope="module")
def cms(imported_store) -> ReferenceData:
    return ReferenceData(store=imported_store)


@pytest.mark.parametrize(("dos", "inactive"), [("2025-12-31", False), ("2026-02-02", True)])
def test_real_primary_code_deleted_before_the_date_of_service(cms, dos, inactive):
    # AOC 2026Q2: 37220 is a primary code with Primary_Code_DelDT 2025365 on every row
    found = cod003(cms, "37220", dos)
    assert len(found) == int(inactive)
    if inactive:
        assert "deleted on 2025-12-31 (AOC primary-code deletion date)" in found["message"].iloc[0]
        assert "AOC 2026-04-01" in found["source"].iloc[0]


@pytest.mark.parametrize(("dos", "inactive"), [("2025-06-02", False), ("2025-11-03", True)])
def test_real_code_absent_from_the_rvu_release_covering_the_date(cms, dos, inactive):
    # 99441 (telephone E/M, deleted 2025) is in the 2024 MUE table but not in RVU25D; the
    # October 2025 release covers 2025-11-03, not 2025-06-02 (no release covers that date)
    found = cod003(cms, "99441", dos)
    assert len(found) == int(inactive)
    if inactive:
        message = found["message"].iloc[0]
        assert "not in the RVU release that covers 2025-11-03 (RVU 2025-10-01" in message
        assert found["source"].iloc[0].startswith("RVU 2025-10-01")


@pytest.fixture(scope="module")
def two_releases(imported_store, tmp_path_factory) -> ReferenceData:
    """The real store plus a small January 2026 release that adds a new code (0999T)."""
    from addin.reference.store import Store

    root = tmp_path_factory.mktemp("two-releases") / "store"
    shutil.copytree(imported_store, root)
    lines = (SHARED_CMS / RVU_2025).read_text(encoding="latin-1").splitlines()
    header = lines[:10]
    header[0] = header[0].replace("2025 National", "2026 National").replace("October", "January")
    rows = [r for r in lines[10:] if r.startswith("47383,")]
    new = rows[0].replace("47383,", "0999T,", 1)
    path = tmp_path_factory.mktemp("rvu26") / "PPRRVU2026_Jan.csv"
    path.write_text("\n".join([*header, *rows, new]) + "\n", encoding="latin-1")
    result = Store(root).import_paths([path])
    assert result.ok, [o.message for o in result.refused]
    return ReferenceData(store=root)


def test_code_new_in_a_later_release(two_releases):
    found = cod003(two_releases, "0999T", "2025-11-03")
    assert len(found) == 1
    message = found["message"].iloc[0]
    assert "not in the RVU release that covers 2025-11-03 (RVU 2025-10-01" in message
    assert "new in a later release: first listed in RVU 2026-01-01" in message


def test_a_partial_release_decides_nothing_by_absence(two_releases):
    # the January 2026 file lists two codes: 43497 missing from it is not a deletion
    assert cod003(two_releases, "0999T", "2026-02-02").empty
    assert cod003(two_releases, "43497", "2026-02-02").empty
