"""``cpt-addin data remove``: roll back a quarter (manifest entries and Parquet files go)."""

from __future__ import annotations

import pytest
from cli_helpers import run_cli as run

from addin.reference.store import Store

PTP = (
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "47383\t77002\t\t20190101\t*\t{indicator}\tMisuse of Column Two code with Column One code\r\n"
)
MUE = "code,mue_units,mai,rationale\n47383,1,2,x\n"


@pytest.fixture
def two_quarters(tmp_path, capsys) -> Store:
    """PTP for 2026Q2 and 2026Q3, and a payer MUE table for 2026Q3."""
    for quarter, indicator, version in (("2026Q2", 0, "v321r0"), ("2026Q3", 1, "v322r0")):
        folder = tmp_path / quarter
        folder.mkdir()
        (folder / f"ccipra-{version}-f1.txt").write_text(PTP.format(indicator=indicator))
        if quarter == "2026Q3":
            (folder / "payer_mue.csv").write_text(MUE)
        code, out, err = run(capsys, "data", "import", str(folder), "--setting", "practitioner",
                             "--vintage", quarter)
        assert code == 0, out + err
    return Store()


def _labels(store: Store) -> list[str]:
    return sorted(r.label for r in store.records())


def test_remove_a_quarter_rolls_back_to_the_previous_one(two_quarters, capsys):
    store = two_quarters
    before = {r.label: store.root / r.path for r in store.records()}
    assert len(before) == 3
    code, out, _ = run(capsys, "data", "remove", "--quarter", "2026Q3")
    assert code == 0
    assert "removed PTP practitioner 2026-07-01" in out and "2 version(s) removed" in out
    assert _labels(store) == ["PTP practitioner 2026-04-01"]
    assert not before["PTP practitioner 2026-07-01"].exists()
    assert before["PTP practitioner 2026-04-01"].exists()
    assert store.verify().problems == [] and store.verify().unlisted == []


def test_remove_only_one_table_of_a_vintage(two_quarters, capsys):
    code, out, _ = run(capsys, "data", "remove", "--vintage", "2026-07-01", "--table", "ptp")
    assert code == 0 and out.count("removed ") == 1
    assert "PTP practitioner 2026-07-01" not in _labels(two_quarters)
    assert len(_labels(two_quarters)) == 2


def test_dry_run_changes_nothing(two_quarters, capsys):
    before = _labels(two_quarters)
    code, out, _ = run(capsys, "data", "remove", "--quarter", "2026Q3", "--dry-run")
    assert code == 0 and "would remove PTP practitioner 2026-07-01" in out
    assert _labels(two_quarters) == before


def test_nothing_matching_exits_2_and_lists_the_store(two_quarters, capsys):
    code, _, err = run(capsys, "data", "remove", "--quarter", "2025Q1")
    assert code == 2 and "Nothing matches" in err and "PTP practitioner 2026-04-01" in err


def test_empty_store_and_usage_errors(capsys):
    code, _, err = run(capsys, "data", "remove", "--quarter", "2026Q3")
    assert code == 2 and "no table is imported" in err
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "data", "remove")  # --quarter or --vintage is required
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        run(capsys, "data", "remove", "--quarter", "someday")
