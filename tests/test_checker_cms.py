"""The checker on the real CMS tables from ../shared/cms (slow: imports every table)."""

from __future__ import annotations

import pytest
from conftest import require_shared
from test_rule_fixtures import claims_input, findings_for, line

from addin.cli import main
from addin.reference import ReferenceData
from addin.reference.paths import store_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cms_reference(tmp_path_factory):
    shared = require_shared()
    home = tmp_path_factory.mktemp("cms-home")
    monkey = pytest.MonkeyPatch()
    monkey.setenv("CPT_ADDIN_HOME", str(home))
    try:
        assert main(["data", "import", str(shared)]) == 0
        yield ReferenceData(store=store_dir())
    finally:
        monkey.undo()


def test_facts_from_the_shared_readme(cms_reference):
    lines = [
        line("43497", dos="2025-06-02"),
        line("43235", dos="2025-06-02"),
        line("47383", dos="2025-06-02", patient="P2"),
        line("77002", dos="2025-06-02", patient="P2"),
        line("47383", dos="2025-06-02", patient="P3"),
        line("77003", dos="2025-06-02", patient="P3"),
        line("0397T", dos="2025-06-02", patient="P4"),
    ]
    found = findings_for(cms_reference, lines)
    by_row = found.groupby("row")["rule_id"].agg(set)
    assert "PTP001" in by_row[3]  # 43497 -> 43235 indicator 0
    assert "PTP002" in by_row[5]  # 47383 -> 77002 indicator 1, no modifier
    assert {"AOC001"} <= by_row[5]  # 47383 is not a listed primary of 77002
    assert not any(r.startswith("PTP") for r in by_row.get(7, set()))  # no 47383/77003 edit
    assert "AOC001" in by_row[8]  # 0397T without an ERCP primary
    source = found.loc[found["rule_id"] == "PTP001", "source"].iloc[0]
    assert "PTP practitioner 2024-07-01" in source


def test_mue_versions_by_date(cms_reference):
    # 47383: MUE 1 (MAI 2) in both vintages; two units on one date exceed it
    lines = [line("47383", units=2, dos="2025-06-02"), line("47383", units=2, dos="2026-05-04", patient="P2")]
    found = findings_for(cms_reference, lines, family="mue")
    assert list(found["rule_id"]) == ["MUE002", "MUE002"]
    sources = list(found["source"])
    assert "2024-07-01" in sources[0] and "2026-04-01" in sources[1]
    assert claims_input(lines).meta["rows_read"] == 2
