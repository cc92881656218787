"""The bundled ICD-10-CM default: the ``simple-icd-10-cm`` package and its code-set cache.

Importing the package parses XML (~1.5 s, more on a busy machine), so its (valid, billable)
code lists are cached per package version in ``CPT_ADDIN_HOME/cache/icd10cm-<version>.json.gz``.
The cache is gzip'd JSON, never a pickle (a pickle someone altered would run code on load),
and carries a sha256 of its payload and the package version: a truncated, altered or
unreadable cache is logged (no claim data: only the path and the reason) and rebuilt, written
atomically (temp file + ``os.replace``), so no check ever fails on it (``EOFError``) or answers
from altered lists.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import threading
import uuid
import warnings
from pathlib import Path

from addin.reference.paths import addin_home

LOG = logging.getLogger(__name__)

PACKAGE = "simple-icd-10-cm"
CACHE_FORMAT = 2


def module():
    """The ``simple_icd_10_cm`` module (imported on first use: it parses XML)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import simple_icd_10_cm as cm
    return cm


def _package_version() -> str:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


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


def package_source() -> str:
    """``ICD-10-CM (simple-icd-10-cm 1.5.0, April 2026 release)``."""
    release = package_release()
    extra = f", {release} release" if release else ""
    return f"ICD-10-CM ({PACKAGE} {_package_version()}{extra})"


def _cache_path() -> Path:
    """A per-package-version cache of the code sets."""
    return addin_home() / "cache" / f"icd10cm-{_package_version()}.json.gz"


def _digest(version: str, valid: list[str], billable: list[str]) -> str:
    body = json.dumps([version, valid, billable], separators=(",", ":")).encode()
    return hashlib.sha256(body).hexdigest()


def _read_cache() -> tuple[list[str], list[str]] | None:
    """The cached (valid, billable) lists, or None when absent or damaged (damage is logged)."""
    path = _cache_path()
    if not path.exists():
        return None
    try:
        payload = json.loads(gzip.decompress(path.read_bytes()))
        if payload.get("format") != CACHE_FORMAT or payload.get("version") != _package_version():
            LOG.info("ICD-10-CM code-set cache %s is from another version; rebuilding it", path)
            return None
        valid, billable = payload["valid"], payload["billable"]
        problem = ""
        if not isinstance(valid, list) or not isinstance(billable, list) or not valid:
            problem = "no code lists"
        elif payload.get("sha256") != _digest(payload["version"], valid, billable):
            problem = "checksum mismatch"
        elif (
            len(set(valid)) != len(valid)
            or not all(isinstance(c, str) for c in valid)
            or not set(billable) <= set(valid)
        ):
            problem = "inconsistent code lists"
        if not problem:
            return valid, billable
    except Exception as exc:  # noqa: BLE001 - any unreadable cache is rebuilt, never fatal
        problem = f"unreadable: {type(exc).__name__}"
    LOG.warning("ICD-10-CM code-set cache %s is damaged (%s); rebuilding it", path, problem)
    return None


def _write_cache(valid: list[str], billable: list[str]) -> None:
    path = _cache_path()
    version = _package_version()
    payload = {
        "format": CACHE_FORMAT,
        "package": PACKAGE,
        "version": version,
        "sha256": _digest(version, valid, billable),
        "valid": valid,
        "billable": billable,
    }
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(gzip.compress(json.dumps(payload).encode()))
        os.replace(temp, path)
    except OSError:  # a read-only home only costs speed
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def _build_package_sets() -> tuple[list[str], list[str]]:
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
        code
        for code, following in zip(codes, [*codes[1:], ""], strict=True)
        if not following.startswith(code)
    ]
    return codes, billable


_SETS: tuple[list[str], list[str]] | None = None
_SETS_LOCK = threading.Lock()


def code_sets() -> tuple[list[str], list[str]]:
    """(valid, billable) dotless code lists of the package, built once per process (the
    tabular does not depend on the user's store), from the on-disk cache when it is sound."""
    global _SETS
    with _SETS_LOCK:
        if _SETS is None:
            _SETS = _read_cache()
            if _SETS is None:
                _SETS = _build_package_sets()
                _write_cache(*_SETS)
        return _SETS
