"""DX006: Excludes1 notes of the ICD-10-CM tabular (simple-icd-10-cm) between two diagnoses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_rule_fixtures import findings_for, ids, line, tiny_reference

from addin.reference import derived_cache, excludes1


@pytest.fixture
def ref(tmp_path):
    return tiny_reference(tmp_path)


def dx6(ref, *lines):
    return findings_for(ref, list(lines), rule_id="DX006")


def note_between(a: str, b: str) -> list[tuple[str, str]]:
    table = excludes1.excludes1_table()
    ordinals = table.ordinals(np.array([a, b], dtype=object))
    hits = table.pairs(ordinals[:1], ordinals[1:])
    return [(table.notes.bearer[n], table.notes.reference[n]) for n in hits["note"]]


def test_real_notes_single_dash_range_inherited():
    # category note (E11 -> E10.-) inherited by E11.9, and the reverse note at E10
    assert ("E11", "E10.-") in note_between("E11.9", "E10.9")
    assert ("E10", "E11.-") in note_between("E10.65", "E11.22")
    # a note on the code itself naming one code
    assert note_between("E11.9", "E11.A") == [("E11.9", "E11.A")]
    # dash form with a subcategory: K83.1 excludes K80.- (every K80 code)
    assert note_between("K83.1", "K80.50") == [("K83.1", "K80.-")]
    # range of categories: R73 excludes diabetes mellitus (E08-E13)
    assert ("R73", "E08-E13") in note_between("R73.9", "E13.9")
    assert note_between("R73.9", "E14") == []  # not a code; and outside the range
    # range with a letter in the category, compared in tabular order: O00-O9A
    assert ("Z33.1", "O00-O9A") in note_between("Z33.1", "O9A.111")
    assert ("Z33.1", "O00-O9A") in note_between("Z33.1", "O00.00")
    # inherited from a block: A15-A19 excludes congenital tuberculosis (P37.0)
    assert ("A15-A19", "P37.0") in note_between("A15.0", "P37.0")
    # "with .44": only the .44 codes of E08-E13
    assert note_between("G54.5", "E11.44") == [("G54.5", "E08-E13 with .44")]
    assert note_between("G54.5", "E11.9") == []
    # an unrelated pair
    assert note_between("E11.9", "I10") == []


def test_chapter_note_inherited():
    # chapter 4 (E00-E89) excludes transitory disorders of the newborn (P70-P74)
    assert ("4", "P70-P74") in note_between("E03.9", "P72.2")


def test_pair_flagged_once_per_claim_either_order(ref):
    for first, second in (("E11.9", "E10.9"), ("E10.9", "E11.9")):
        found = dx6(ref, line("47383", dx=f"{first},I10"), line("47000", dx=second))
        assert [f for f in found["rule_id"]] == ["DX006"]
        row = found.iloc[0]
        assert row["severity"] == "warning"
        assert {row["code"], row["related_code"]} == {"E10.9", "E11.9"}
        assert "E11.-" in row["message"] or "E10.-" in row["message"]
        assert (
            "I.A.12.a" in row["message"] and "unless the conditions are unrelated" in row["message"]
        )
        assert "simple-icd-10-cm" in row["source"]


def test_one_cell_and_typed_forms(ref):
    found = dx6(ref, line("47383", dx="r739, e119"))
    assert ids(found) == [("DX006", 2)]
    assert "category R73" in found.iloc[0]["message"] and "E08-E13" in found.iloc[0]["message"]


def test_must_not(ref):
    # different claims, different patients, same code twice, unrelated codes
    assert dx6(ref, line("47383", dx="E11.9"), line("47000", dx="E10.9", claim="C2")).empty
    assert dx6(
        ref, line("47383", dx="E11.9", claim="C1"), line("47000", dx="E10.9", patient="P2")
    ).empty
    assert dx6(ref, line("47383", dx="E11.9,E11.9"), line("47000", dx="E11.9")).empty
    assert dx6(ref, line("47383", dx="E11.9,I10,K83.1")).empty
    assert dx6(ref, line("47383", dx="G54.5,E11.9")).empty
    # a line without a claim id is a claim of its own
    assert dx6(ref, line("47383", dx="E11.9", claim=""), line("47000", dx="E10.9", claim="")).empty


def test_rule_registered_and_documented():
    from addin.rules import get_rule

    rule = get_rule("DX006")
    assert rule.family == "diagnosis" and rule.severity == "warning"
    for part in ("What it checks", "Why CMS denies it", "Example", "Fix"):
        assert part in rule.doc()


def test_cache_round_trip_and_damage(tmp_path, monkeypatch):
    monkeypatch.setattr(excludes1, "_TABLE", None)
    built = excludes1.excludes1_table()
    path = derived_cache.cache_path("excludes1", excludes1._package_version(), excludes1.LAYOUT)
    assert path.exists()
    monkeypatch.setattr(excludes1, "_TABLE", None)
    again = excludes1.excludes1_table()
    assert again.rules.equals(built.rules) and list(again.codes) == list(built.codes)
    pd.testing.assert_frame_equal(again.notes, built.notes)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20  # one byte of the arrays altered
    path.write_bytes(bytes(data))
    read = derived_cache.read  # checksum mismatch: rebuilt, never trusted
    version = excludes1._package_version()
    assert read("excludes1", version, excludes1.LAYOUT, excludes1._check, "Excludes1") is None
    path.write_bytes(b"not a cache")
    assert read("excludes1", version, excludes1.LAYOUT, excludes1._check, "Excludes1") is None


def test_cache_equals_the_freshly_built_table(monkeypatch):
    """The table read from the cache answers exactly as the one compiled from the tabular."""
    fresh = excludes1._build()
    monkeypatch.setattr(excludes1, "_TABLE", None)
    excludes1.excludes1_table()  # fills the cache (this test's home is empty)
    monkeypatch.setattr(excludes1, "_TABLE", None)
    cached = excludes1.excludes1_table()
    assert cached.codes.tolist() == fresh.codes.tolist() and cached.source == fresh.source
    pd.testing.assert_frame_equal(cached.rules, fresh.rules)
    pd.testing.assert_frame_equal(cached.notes, fresh.notes)
    probes = np.array([*fresh.codes[::97].tolist(), "E11.9", "e11.9", "E11.9\0", "", "X"], object)
    plain = pd.Index(fresh.codes.astype(object)).get_indexer(pd.Index(probes))
    assert cached.ordinals(probes).tolist() == plain.tolist()
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, len(fresh.codes), (2, 3000))
    assert cached.excluded(a, b).tolist() == fresh.excluded(a, b).tolist()
    pd.testing.assert_frame_equal(cached.pairs(a, b), fresh.pairs(a, b))


def test_most_specific_note_is_named(ref):
    # chapter 15 excludes Z34.- and category Z34 excludes O00-O9A: the category note is named
    found = dx6(ref, line("99214", dx="O24.410,Z34.00"))
    assert ids(found) == [("DX006", 2)]
    message = found.iloc[0]["message"]
    assert "category Z34" in message and "O00-O9A" in message
    assert "excludes this one too" in message


def test_fast_search_agrees_with_the_notes():
    table = excludes1.excludes1_table()
    rng = np.random.default_rng(3)
    # random pairs plus pairs drawn from the notes themselves (hits)
    a = rng.integers(0, len(table.codes), 4000)
    b = rng.integers(0, len(table.codes), 4000)
    rules = table.rules.sample(2000, random_state=1)
    a = np.concatenate([a, rules["bearer_lo"].to_numpy()])
    b = np.concatenate([b, rng.integers(rules["ex_lo"].to_numpy(), rules["ex_hi"].to_numpy() + 1)])
    fast = table.excluded(a, b)
    exact = np.zeros(len(a), dtype=bool)
    exact[table.pairs(a, b)["pair"].to_numpy()] = True
    assert fast.sum() > 1000
    assert (fast == exact).all()
