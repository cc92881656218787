"""The bundled ICD-10-CM default: the ``simple-icd-10-cm`` package and its code-set cache.

Importing the package parses XML (~1.5 s, more on a busy machine), so its code list (sorted,
with a billable flag per code) is cached per package version by
:mod:`addin.reference.derived_cache` (checksummed arrays, never a pickle; a truncated, altered
or unreadable cache is logged and rebuilt, so no check ever fails on it or answers from
altered lists).
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import threading
import warnings

import numpy as np

from addin.reference import derived_cache
from addin.reference.sorted_keys import SortedKeys

PACKAGE = "simple-icd-10-cm"


def module():
    """The ``simple_icd_10_cm`` module (imported on first use: it parses XML)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import simple_icd_10_cm as cm
    return cm


@functools.cache
def _package_version() -> str:
    return derived_cache.package_version(PACKAGE) or "unknown"


@functools.cache
def package_release() -> str:
    """The CMS release the package ships, from its data file name (``April 2026``)."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        files = []
    for file in files:
        match = re.search(r"code-list-([A-Za-z]+)-(\d{4})\.txt$", str(file))
        if match:
            return f"{match[1]} {match[2]}"
    return ""


@functools.cache
def package_source() -> str:
    """``ICD-10-CM (simple-icd-10-cm 1.5.0, April 2026 release)``."""
    release = package_release()
    extra = f", {release} release" if release else ""
    return f"ICD-10-CM ({PACKAGE} {_package_version()}{extra})"


#: Layout of the cached arrays: ``codes`` (sorted dotless codes, ``U``), ``billable`` (bool).
LAYOUT = 1


def _build_package_sets() -> derived_cache.Arrays:
    cm = module()
    # chapters are numbers and blocks contain "-"; every other item is a code
    codes = sorted(
        {
            code
            for code in cm.get_all_codes(with_dots=False)
            if "-" not in code and not code.isdigit()
        }
    )
    # children extend their parent's characters, so in sorted order a code is a header (not
    # billable) exactly when the next code starts with it
    billable = [
        not following.startswith(code)
        for code, following in zip(codes, [*codes[1:], ""], strict=True)
    ]
    return {"codes": np.asarray(codes, dtype=str), "billable": np.asarray(billable, dtype=bool)}


def _check(arrays: derived_cache.Arrays) -> None:
    codes, billable = arrays["codes"], arrays["billable"]
    if not len(codes) or billable.dtype != bool or billable.shape != codes.shape:
        raise derived_cache.CacheDamaged("no code lists")
    if not SortedKeys(codes).is_sound(len(codes)):
        raise derived_cache.CacheDamaged("inconsistent code lists")


_SETS: tuple[np.ndarray, np.ndarray] | None = None
_SETS_LOCK = threading.Lock()


def package_codes() -> tuple[np.ndarray, np.ndarray]:
    """(codes, billable): the package's dotless codes, sorted (a ``U`` array), and the
    billable flag of each; built once per process (the tabular does not depend on the user's
    store), from the on-disk cache when it is sound."""
    global _SETS
    with _SETS_LOCK:
        if _SETS is None:
            arrays = derived_cache.load(
                "icd10cm",
                _package_version(),
                LAYOUT,
                _build_package_sets,
                _check,
                "ICD-10-CM code-set",
            )
            _SETS = arrays["codes"], arrays["billable"]
        return _SETS
