"""The simple-icd-10-cm code-set cache: checksummed, and rebuilt when truncated or altered."""

from __future__ import annotations

import gzip
import json
import logging

import pytest

from addin.reference import icd10_package as icd10
from addin.reference.icd10 import Icd10Lookup


@pytest.fixture
def real_sets():
    """The package's code lists (built once per process), so a rebuild here costs no XML parse."""
    return icd10.code_sets()


@pytest.fixture
def fresh(monkeypatch, real_sets):
    """A process with no code sets in memory and a sound cache file on disk; counts rebuilds."""
    builds = []

    def build():
        builds.append(1)
        return real_sets

    monkeypatch.setattr(icd10, "_SETS", None)
    monkeypatch.setattr(icd10, "_build_package_sets", build)
    icd10._write_cache(*real_sets)
    return builds


def answers() -> tuple[bool, bool, bool]:
    lookup = Icd10Lookup()
    return lookup.fact("E11.9").billable, lookup.fact("K83").valid, lookup.fact("K83").billable


def reload(monkeypatch) -> None:
    """Forget the in-memory sets, as a new process would."""
    monkeypatch.setattr(icd10, "_SETS", None)


def test_sound_cache_is_used_without_rebuilding(fresh, monkeypatch):
    assert answers() == (True, True, False)
    assert fresh == []


def test_truncated_cache_is_rebuilt_not_an_eof_error(fresh, monkeypatch, caplog):
    path = icd10._cache_path()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="addin.reference.icd10_package"):
        assert answers() == (True, True, False)
    assert fresh == [1]
    assert "damaged" in caplog.text and "rebuilding" in caplog.text
    # rewritten sound: the next process reads it without rebuilding
    reload(monkeypatch)
    assert answers() == (True, True, False)
    assert fresh == [1]


def test_altered_cache_is_detected_by_checksum(fresh, monkeypatch, caplog):
    path = icd10._cache_path()
    payload = json.loads(gzip.decompress(path.read_bytes()))
    payload["billable"].remove("E119")  # a wrong answer if the cache were trusted
    payload["billable"].append("K83")
    path.write_bytes(gzip.compress(json.dumps(payload).encode()))
    with caplog.at_level(logging.WARNING, logger="addin.reference.icd10_package"):
        assert answers() == (True, True, False)
    assert fresh == [1]
    assert "checksum" in caplog.text
    reload(monkeypatch)
    assert answers() == (True, True, False)
    assert fresh == [1]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:10],
        lambda data: b"",
        lambda data: data[:40] + bytes([data[40] ^ 0xFF]) + data[41:],
        lambda data: b"\x80\x04not a pickle, not gzip",
        lambda data: gzip.compress(b"[1, 2, 3]"),
        lambda data: gzip.compress(b'{"format": 2, "version": null}'),
    ],
)
def test_any_damage_is_rebuilt(fresh, monkeypatch, damage):
    path = icd10._cache_path()
    path.write_bytes(damage(path.read_bytes()))
    assert answers() == (True, True, False)
    payload = json.loads(gzip.decompress(path.read_bytes()))
    assert payload["sha256"] == icd10._digest(
        payload["version"], payload["valid"], payload["billable"]
    )


def test_cache_of_the_earlier_format_is_replaced(fresh, monkeypatch):
    path = icd10._cache_path()
    valid, billable = icd10._SETS or icd10.code_sets()
    reload(monkeypatch)
    path.write_bytes(gzip.compress(json.dumps({"valid": valid, "billable": billable}).encode()))
    assert answers() == (True, True, False)
    assert json.loads(gzip.decompress(path.read_bytes()))["format"] == icd10.CACHE_FORMAT


def test_cache_is_written_atomically(fresh, monkeypatch):
    path = icd10._cache_path()
    path.unlink()
    reload(monkeypatch)
    assert answers() == (True, True, False)
    assert path.exists()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
