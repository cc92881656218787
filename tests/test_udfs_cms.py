"""Issue 4's "done when" facts on the full CMS tables of ../shared/cms (skipped without it).

The tables are imported once per test session (conftest ``imported_store``), and the
process-wide reference data points at them for each test.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import addin.reference.data as data_module
from addin import udfs
from addin.excel import answers
from addin.reference import ReferenceData

DOS = dt.date(2026, 5, 4)


@pytest.fixture(scope="session")
def cms_reference(imported_store) -> ReferenceData:
    """Reference data over the session's store of ../shared/cms (conftest ``imported_store``,
    which skips with a clear reason when ../shared is absent)."""
    return ReferenceData(store=imported_store)


@pytest.fixture
def cms(cms_reference, monkeypatch):
    monkeypatch.setattr(data_module, "_SHARED", cms_reference)
    answers.clear()
    yield cms_reference
    answers.clear()


@pytest.mark.parametrize(("first", "second"), [("43235", "43497"), ("43497", "43235")])
def test_conflicts_name_43497_column_1_with_indicator_0(cms, first, second):
    text = udfs.CPT_CONFLICTS(first, second, None, None, DOS)
    assert text.startswith("CONFLICT: 43497 is Column 1 and 43235 is Column 2")
    assert "modifier indicator 0" in text and "PTP practitioner 2024-07-01 (imported)" in text


def test_suggest_77002_includes_26_and_tc(cms):
    text = udfs.SUGGEST_MODIFIERS("77002", None, DOS)
    assert "26 (professional component)" in text and "TC (technical component)" in text


def test_suggest_47383_includes_neither_26_nor_tc(cms):
    found = answers.suggestions("47383", None, DOS, udfs.cells.setting_arg(None))
    assert not {"26", "TC"} & {m for s in found for m in s.modifiers}
    text = udfs.SUGGEST_MODIFIERS(47383.0, None, DOS)
    assert "26 (" not in text and "TC (" not in text


def test_suggest_pair_puts_an_x_or_59_modifier_on_77002(cms):
    text = udfs.SUGGEST_MODIFIERS("47383", "77002", DOS)
    first = text.split("; ")[0]
    assert first.startswith("XE/XS/XP/XU/59 (") and first.endswith("on 77002")
    table = udfs.SUGGEST_MODIFIERS_TABLE([["47383", "77002"]], DOS)
    assert table[1][1] == "XE/XS/XP/XU/59" and table[1][2] == "77002"


def test_conflicts_table_finds_the_seed_edits_among_a_claim(cms):
    out = udfs.CPT_CONFLICTS_TABLE([["77002"], ["43235"], [47383.0], ["43497"], ["77003"]], DOS)
    rows = {(r[0], r[1]): r for r in out[1:]}
    assert rows[("43497", "43235")][2] == 0
    assert rows[("47383", "77002")][2] == 1
    assert ("47383", "77003") not in rows and ("77003", "47383") not in rows


def test_desc_table_equals_single_cell_answers_on_real_tables(cms):
    rng = np.random.default_rng(4)
    codes = list(rng.choice(cms.known_codes(DOS), 60)) + ["4738X", "99999", "G0364", None, 100.0]
    table = udfs.CPT_DESC_TABLE([[c] for c in codes], DOS)
    assert [row[0] for row in table] == [udfs.CPT_DESC(c, DOS) for c in codes]
    answers.clear()
    answers_bulk = {}
    for _ in range(answers.BULK_AFTER_MISSES + 1):  # force the bulk path for the date
        answers_bulk = {c: udfs.CPT_DESC(c, DOS) for c in codes}
    assert answers._bulk_done.get(DOS)
    assert [answers_bulk[c] for c in codes] == [row[0] for row in table]


def test_claim_check_on_real_tables(cms):
    pytest.importorskip("addin.checker", reason="the batch checker (addin.checker) is not built yet")
    claims = [
        ["Claim", "Patient", "NPI", "DOS", "CPT", "Modifiers", "Units", "DX"],
        ["c1", "p1", "1234567893", "2026-05-04", 47383.0, None, 1.0, "C22.0"],
        ["c1", "p1", "1234567893", "2026-05-04", 77002.0, None, 1.0, "C22.0"],
    ]
    out = udfs.CLAIM_CHECK(claims)
    header = out[0]
    found = {(row[header.index("Rule ID")], row[header.index("Code")]) for row in out[1:]}
    assert any(rule.startswith("PTP") and code in ("47383", "77002") for rule, code in found), found
