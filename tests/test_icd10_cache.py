"""The simple-icd-10-cm code-set cache: checksummed, and rebuilt when truncated or altered."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from addin.reference import derived_cache
from addin.reference import icd10_package as icd10
from addin.reference.icd10 import Icd10Lookup


@pytest.fixture(scope="module")
def real_sets():
    """The package's code arrays, built from the XML once for the module."""
    return icd10._build_package_sets()


@pytest.fixture
def fresh(monkeypatch, real_sets):
    """A process with no code sets in memory and a sound cache file on disk; counts rebuilds."""
    builds = []

    def build():
        builds.append(1)
        return real_sets

    monkeypatch.setattr(icd10, "_SETS", None)
    monkeypatch.setattr(icd10, "_build_package_sets", build)
    derived_cache.write("icd10cm", icd10._package_version(), icd10.LAYOUT, real_sets)
    return builds


def cache_file():
    return derived_cache.cache_path("icd10cm", icd10._package_version(), icd10.LAYOUT)


def answers() -> tuple[bool, bool, bool]:
    lookup = Icd10Lookup()
    return lookup.fact("E11.9").billable, lookup.fact("K83").valid, lookup.fact("K83").billable


def reload(monkeypatch) -> None:
    """Forget the in-memory sets, as a new process would."""
    monkeypatch.setattr(icd10, "_SETS", None)


def test_sound_cache_is_used_without_rebuilding(fresh, monkeypatch):
    assert answers() == (True, True, False)
    assert fresh == []


def test_cache_round_trip_equals_the_built_lists(fresh, real_sets):
    codes, billable = icd10.package_codes()
    assert fresh == []
    assert codes.dtype == real_sets["codes"].dtype and np.array_equal(codes, real_sets["codes"])
    assert np.array_equal(billable, real_sets["billable"])
    # the lists themselves: unique sorted codes, a header (K83) valid but not billable
    listed = codes.tolist()
    assert listed == sorted(set(listed))
    assert "K83" in listed and not billable[listed.index("K83")]
    assert billable[listed.index("E119")]


def test_truncated_cache_is_rebuilt_not_an_eof_error(fresh, monkeypatch, caplog):
    path = cache_file()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING):
        assert answers() == (True, True, False)
    assert fresh == [1]
    assert "damaged" in caplog.text and "rebuilding" in caplog.text
    # rewritten sound: the next process reads it without rebuilding
    reload(monkeypatch)
    assert answers() == (True, True, False)
    assert fresh == [1]


def test_altered_cache_is_detected_by_checksum(fresh, monkeypatch, caplog, real_sets):
    # E11.9 no longer billable, K83 billable: a wrong answer if the cache were trusted
    codes = real_sets["codes"].tolist()
    billable = real_sets["billable"].copy()
    billable[codes.index("E119")], billable[codes.index("K83")] = False, True
    good = cache_file().read_bytes()
    altered = derived_cache.encode(
        "icd10cm", icd10._package_version(), icd10.LAYOUT, {"codes": real_sets["codes"], "billable": billable}
    )
    # keep the sound file's checksum: only the payload changes
    start = len(derived_cache.MAGIC)
    cache_file().write_bytes(altered[:start] + good[start : start + 32] + altered[start + 32 :])
    with caplog.at_level(logging.WARNING):
        assert answers() == (True, True, False)
    assert fresh == [1]
    assert "checksum" in caplog.text
    reload(monkeypatch)
    assert answers() == (True, True, False)
    assert fresh == [1]


def test_inconsistent_lists_with_a_valid_checksum_are_rebuilt(fresh, monkeypatch, real_sets):
    unsorted = {"codes": real_sets["codes"][::-1].copy(), "billable": real_sets["billable"]}
    derived_cache.write("icd10cm", icd10._package_version(), icd10.LAYOUT, unsorted)
    assert answers() == (True, True, False)
    assert fresh == [1]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:10],
        lambda data: b"",
        lambda data: data[:100] + bytes([data[100] ^ 0xFF]) + data[101:],
        lambda data: data[:-1] + bytes([data[-1] ^ 0x01]),
        lambda data: b"\x80\x04not a pickle, not a cache",
        lambda data: data + b"more",
    ],
)
def test_any_damage_is_rebuilt(fresh, monkeypatch, damage):
    path = cache_file()
    path.write_bytes(damage(path.read_bytes()))
    assert answers() == (True, True, False)
    assert fresh == [1]
    reload(monkeypatch)
    assert answers() == (True, True, False)
    assert fresh == [1]  # rewritten sound


def test_cache_is_written_atomically(fresh, monkeypatch):
    path = cache_file()
    path.unlink()
    reload(monkeypatch)
    assert answers() == (True, True, False)
    assert path.exists()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
