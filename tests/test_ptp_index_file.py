"""The stored PTP pair index: written at import, listed in the manifest, checked on load,
verified by ``data verify``, rebuilt by ``data repair``; a store written before it still
answers (the index is built in memory). Answers are the same with or without it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli as run

from addin.errors import StoreDamagedError
from addin.reference import ReferenceData, ptp_index_file
from addin.reference.ptp_index import PairDirectory, PtpIndex, decode_codes
from addin.reference.store import Store

HEADER = (
    "CPT only copyright 2025 American Medical Association.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
)
ROW = "{0}\t{1}\t\t{2}\t{3}\t{4}\tMisuse of Column Two code with Column One code\r\n"
DATE = "2026-07-15"

pytestmark = pytest.mark.usefixtures("fresh_reference")


def _part(rows: list[tuple]) -> bytes:
    return (HEADER + "".join(ROW.format(*row) for row in rows)).encode()


# both orders of one pair, several episodes of a pair, a code paired with itself
PART_1 = [
    ("47383", "77002", "20190101", "*", 0),
    ("77002", "47383", "20190101", "20201231", 1),
    ("43235", "43497", "20150101", "20181231", 1),
    ("43235", "43497", "20190101", "*", 0),
    ("11111", "11111", "20190101", "*", 1),
    *[(f"4{n:04d}", f"7{n:04d}", "20190101", "*", n % 2) for n in range(300)],
]
PART_2 = [
    ("43497", "43235", "20200101", "*", 1),  # the reverse of a pair of part 1
    *[(f"5{n:04d}", f"6{n:04d}", "20190101", "*", 1) for n in range(100)],
]


@pytest.fixture
def store(isolated_home, tmp_path, capsys) -> Path:
    first = tmp_path / "ccipra-v322r0-f1.txt"
    second = tmp_path / "ccipra-v322r0-f2.txt"
    first.write_bytes(_part(PART_1))
    second.write_bytes(_part(PART_2))
    code, _, _ = run(capsys, "data", "import", str(first), str(second), "--vintage", "2026Q3")
    assert code == 0
    return isolated_home / "store"


def _index_file(store: Path) -> Path:
    return next(store.glob("ptp/practitioner/*.ptpindex"))


def _queries(codes: list[str], n: int = 4000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    pool = np.asarray([*codes, "99999", "4738X", None], dtype=object)
    a, b = pool[rng.integers(0, len(pool), n)], pool[rng.integers(0, len(pool), n)]
    days = rng.integers(16000, 21000, n)
    return a, b, days


def _without_index(store: Path) -> None:
    """Make the store look like one written before indexes were stored."""
    manifest = store / "manifest.json"
    payload = json.loads(manifest.read_text())
    for item in payload["imports"]:
        for key in ("index_path", "index_sha256", "index_bytes"):
            item.pop(key, None)
    manifest.write_text(json.dumps(payload))
    _index_file(store).unlink()


def _all_codes() -> list[str]:
    return sorted({code for row in PART_1 + PART_2 for code in row[:2]})


def test_import_stores_one_index_per_version_listed_on_every_part(store):
    records = Store(store).records()
    assert len(records) == 2 and len({r.index_path for r in records}) == 1
    path = store / records[0].index_path
    assert path == _index_file(store) and path.stat().st_size == records[0].index_bytes
    assert len(records[0].index_sha256) == 64
    assert not list(store.glob("**/.*.tmp"))  # written atomically: no temporary left


def test_the_stored_index_equals_a_fresh_one_and_gives_the_same_answers(store):
    reference = ReferenceData(store=store)
    version = reference.version_for("ptp", "practitioner", dt.date(2026, 7, 15))
    index = reference._ptp_index(version)
    assert index.directory is not None  # loaded from the file, not built
    assert index.directory.same_as(PairDirectory.build(index.keys))
    fresh = PtpIndex(**{k: getattr(index, k) for k in (
        "keys", "effective", "deletion", "indicator", "rationale_codes", "rationales",
        "pre_1996", "source_codes", "sources",
    )})
    a, b, days = _queries(_all_codes())
    pd.testing.assert_frame_equal(index.match_pairs(a, b, days), fresh.match_pairs(a, b, days))
    # both parts are in one index: the reverse row of part 2 is found with the rows of part 1
    answer = reference.pair("43497", "43235", DATE)
    assert {(e.column_1, e.modifier_indicator, e.applies) for e in answer.edits} == {
        ("43235", 1, False), ("43235", 0, True), ("43497", 1, True)
    }


def test_a_store_without_the_index_still_answers_and_verify_says_how_to_store_it(store, capsys):
    before = ReferenceData(store=store)
    a, b, days = _queries(_all_codes())
    expected = before.ptp_matches(a, b, days)
    _without_index(store)
    after = ReferenceData(store=store)
    pd.testing.assert_frame_equal(after.ptp_matches(a, b, days), expected)
    assert after.pair("47383", "77002", DATE) == before.pair("47383", "77002", DATE)
    code, out, _ = run(capsys, "data", "verify")
    assert code == 0 and "0 damaged" in out
    assert "no stored PTP index" in out and "cpt-addin data repair" in out
    code, out, _ = run(capsys, "data", "repair")
    assert code == 0 and "Stored the PTP index of PTP practitioner 2026-07-01" in out
    code, out, _ = run(capsys, "data", "verify")
    assert code == 0 and "no stored PTP index" not in out
    assert ReferenceData(store=store)._ptp_index(
        after.version_for("ptp", "practitioner", dt.date(2026, 7, 15))
    ).directory is not None


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _zeroed(path: Path) -> None:
    path.write_bytes(b"\0" * path.stat().st_size)


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize("damage", [_flip_a_byte, _zeroed, _truncated, Path.unlink])
def test_a_damaged_index_is_detected_like_other_damaged_files(store, capsys, damage):
    damage(_index_file(store))
    reference = ReferenceData(store=store)
    with pytest.raises(StoreDamagedError, match="PTP index") as caught:
        reference.pair("47383", "77002", DATE)
    assert "cpt-addin data repair" in caught.value.mend
    code, out, err = run(capsys, "conflicts", "47383", "77002", "--date", DATE)
    assert code == 2 and "cpt-addin data repair" in err and "Traceback" not in err
    code, out, _ = run(capsys, "data", "verify")
    assert code == 2 and "DAMAGED" in out and ".ptpindex" in out
    code, out, _ = run(capsys, "data", "repair")
    assert code == 0 and "Stored the PTP index" in out and "dropped" not in out
    code, out, _ = run(capsys, "data", "verify")
    assert code == 0 and "0 damaged" in out
    code, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", DATE)
    assert code == 1 and "(imported)" in out


def test_an_index_built_from_other_parts_is_refused(store):
    records = Store(store).records()
    listed = store / records[0].index_path
    part_one = [records[0].model_copy()]
    ptp_index_file.write(store, part_one, ptp_index_file.build(store, part_one))
    listed.write_bytes((store / part_one[0].index_path).read_bytes())  # part 1's index only
    manifest = store / "manifest.json"
    payload = json.loads(manifest.read_text())
    for item in payload["imports"]:  # checksums that match the swapped file
        item["index_sha256"], item["index_bytes"] = part_one[0].index_sha256, part_one[0].index_bytes
    manifest.write_text(json.dumps(payload))
    with pytest.raises(StoreDamagedError, match="PTP index .* indexes"):
        ReferenceData(store=store).pair("47383", "77002", DATE)


def test_a_new_release_replaces_the_index_and_deletes_the_old_file(store, tmp_path, capsys):
    old = _index_file(store)
    again = tmp_path / "ccipra-v322r0-f2.txt"
    again.write_bytes(_part([*PART_2, ("22222", "33333", "20190101", "*", 1)]))
    code, _, _ = run(capsys, "data", "import", str(again), "--vintage", "2026Q3")
    assert code == 0
    files = list(store.glob("ptp/practitioner/*.ptpindex"))
    assert len(files) == 1 and files[0] != old
    reference = ReferenceData(store=store)
    assert reference.pair("22222", "33333", DATE).edits


def test_pair_directory_lists_both_orders_of_each_pair():
    keys = np.sort(np.asarray([(5 << 32) | 9, (5 << 32) | 9, (9 << 32) | 5, (3 << 32) | 3, (1 << 32) | 7], dtype=np.int64))
    directory = PairDirectory.build(keys)
    assert directory.rows == 5 and len(directory) == 3
    position = directory.find(np.asarray([(5 << 32) | 9, (1 << 32) | 7, (3 << 32) | 3, (2 << 32) | 4, -1]))
    assert position[3] == -1 and position[4] == -1
    five_nine = position[0]
    assert directory.forward_count[five_nine] == 2 and directory.reverse_count[five_nine] == 1
    assert keys[directory.reverse_start[five_nine]] == (9 << 32) | 5
    assert directory.reverse_count[position[2]] == 0  # a code with itself: one order only
    assert PairDirectory.build(np.zeros(0, dtype=np.int64)).find(np.asarray([1])).tolist() == [-1]


def test_stored_index_on_the_full_cms_table_equals_a_fresh_one(imported_store):
    reference = ReferenceData(store=imported_store)
    for setting in ("practitioner", "hospital"):
        version = reference.version_for("ptp", setting, dt.date(2024, 8, 1))
        index = reference._ptp_index(version)
        assert index.directory is not None
        assert index.directory.same_as(PairDirectory.build(index.keys))
        fresh = PtpIndex(**{k: getattr(index, k) for k in (
            "keys", "effective", "deletion", "indicator", "rationale_codes", "rationales",
            "pre_1996", "source_codes", "sources",
        )})
        rng = np.random.default_rng(5)
        rows = rng.integers(0, len(index), 100_000)
        a = decode_codes(index.keys[rows] >> 32)
        b = decode_codes(index.keys[rows] & 0xFFFFFFFF)
        swap = rng.random(len(rows)) < 0.5
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        b[::3] = b[rng.permutation(len(b))][::3]  # many pairs without an edit
        days = rng.integers(15000, 20500, len(rows))
        pd.testing.assert_frame_equal(index.match_pairs(a, b, days), fresh.match_pairs(a, b, days))
