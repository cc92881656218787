"""ICD-10-CM validity and billability, from the ``simple-icd-10-cm`` package (CMS tabular).

A code is *valid* when it is a category, subcategory or extended code of the tabular list
(chapters and blocks are not codes); it is *billable* when it is a leaf (no child codes), so
a header such as ``K83`` is valid but not billable, while ``K83.1`` is both.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import os
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from addin.reference.models import Icd10Fact
from addin.reference.paths import addin_home

SOURCE = "ICD-10-CM tabular (simple-icd-10-cm package)"


def _module():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import simple_icd_10_cm as cm
    return cm


def canonical_icd10(code: str) -> str:
    """Upper-case, dot removed: ``k83.1`` -> ``K831``."""
    return code.strip().upper().replace(".", "")


def _cache_path() -> Path:
    """A per-package-version cache of the code sets (importing the package parses XML: ~1.5 s)."""
    try:
        version = importlib.metadata.version("simple-icd-10-cm")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown"
    return addin_home() / "cache" / f"icd10cm-{version}.json.gz"


def _read_cache() -> tuple[frozenset[str], frozenset[str]] | None:
    path = _cache_path()
    try:
        payload = json.loads(gzip.decompress(path.read_bytes()))
        return frozenset(payload["valid"]), frozenset(payload["billable"])
    except (OSError, ValueError, KeyError):
        return None


def _write_cache(valid: list[str], billable: list[str]) -> None:
    path = _cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(json.dumps({"valid": valid, "billable": billable}).encode())
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError:  # a read-only home only costs speed
        pass


_SETS: tuple[frozenset[str], frozenset[str]] | None = None
_SETS_LOCK = threading.Lock()


def _code_sets() -> tuple[frozenset[str], frozenset[str]]:
    """(valid, billable) dotless code sets, built once per process (the tabular does not
    depend on the user's store), from the on-disk cache when present."""
    global _SETS
    with _SETS_LOCK:
        if _SETS is None:
            _SETS = _read_cache()
        if _SETS is None:
            cm = _module()
            # chapters are numbers and blocks contain "-"; every other item is a code
            codes = sorted(
                code
                for code in cm.get_all_codes(with_dots=False)
                if "-" not in code and not code.isdigit()
            )
            # children extend their parent's characters, so in sorted order a code is a
            # header (not billable) exactly when the next code starts with it
            billable = [
                code
                for code, following in zip(codes, [*codes[1:], ""], strict=True)
                if not following.startswith(code)
            ]
            _SETS = frozenset(codes), frozenset(billable)
            _write_cache(codes, billable)
        return _SETS


class Icd10Lookup:
    """Valid and billable ICD-10-CM codes (dotless), loaded on first use."""

    def __init__(self) -> None:
        self._valid: frozenset[str] | None = None
        self._billable: frozenset[str] | None = None

    def _load(self) -> None:
        if self._valid is None:
            self._valid, self._billable = _code_sets()

    def fact(self, code: str) -> Icd10Fact:
        """One code's facts; an empty or invalid code gives ``valid=False``."""
        self._load()
        key = canonical_icd10(code)
        if key not in self._valid:
            return Icd10Fact(code=code.strip().upper(), valid=False, source=SOURCE)
        cm = _module()
        return Icd10Fact(
            code=cm.add_dot(key),
            valid=True,
            billable=key in self._billable,
            description=cm.get_description(key),
            source=SOURCE,
        )

    def frame(self, codes) -> pd.DataFrame:
        """``code, valid, billable`` aligned with the input codes."""
        self._load()
        values = pd.Series(np.asarray(codes, dtype=object)).fillna("").astype(str)
        keys = values.str.strip().str.upper().str.replace(".", "", regex=False)
        return pd.DataFrame(
            {
                "code": values.to_numpy(),
                "valid": keys.isin(self._valid).to_numpy(),
                "billable": keys.isin(self._billable).to_numpy(),
            }
        )
