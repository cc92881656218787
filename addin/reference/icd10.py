"""ICD-10-CM validity and billability by date of service.

Two sources, never mixed:

* **Imported order files** (``cpt-addin data import icd10cm_order_2026.txt``): one version per
  fiscal year (vintage 1 October; FY2026 answers 2025-10-01 .. 2026-09-30), chosen by the date
  of service like every other imported table. A date before the oldest imported fiscal year is
  *not covered*: the answer says so instead of judging the code by another year's list. A date
  after the newest fiscal year is answered by the newest one, and the answer says that year
  has ended.
* **The bundled default**, the CMS tabular shipped by the ``simple-icd-10-cm`` package, used
  only when no ICD-10-CM table is imported at all.

A code is *valid* when it is a category, subcategory or extended code (chapters and blocks are
not codes); it is *billable* when the order file flags it valid for HIPAA-covered transactions
(for the package: a leaf code), so a header such as ``K83`` is valid but not billable, while
``K83.1`` is both. Codes are matched upper case without the dot and answered in the code
book's form (``e119`` -> ``E11.9``), with a note saying how the typed form was read.

The package's code lists are cached on disk, checksummed: see
:mod:`addin.reference.icd10_package`.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from addin.codes import parse_date
from addin.lazy import pandas as pd
from addin.reference import bundled
from addin.reference.icd10_package import module, package_codes, package_source
from addin.reference.models import Icd10Fact
from addin.reference.ptp_index import date_to_day
from addin.reference.sorted_keys import SortedKeys
from addin.reference.versions import Version, VersionSet

#: Generic source name (rules that name the data before any lookup).
SOURCE = "ICD-10-CM"
NOT_COVERED = -1


def canonical_icd10(code: str) -> str:
    """Upper-case, dot removed: ``k83.1`` -> ``K831``."""
    return code.strip().upper().replace(".", "")


def dotted(key: str) -> str:
    """The code book's form of a dotless code: the dot after the category (``E119`` -> ``E11.9``)."""
    return f"{key[:3]}.{key[3:]}" if len(key) > 3 else key


def _canonical_series(values: pd.Series) -> pd.Series:
    return values.str.strip().str.upper().str.replace(".", "", regex=False)


def _dotted_array(keys: np.ndarray) -> np.ndarray:
    series = pd.Series(keys, dtype=object)
    long = series.str.len() > 3
    out = series.where(~long, series.str.slice(0, 3) + "." + series.str.slice(3))
    return out.to_numpy(dtype=object)


# ---------------------------------------------------------------------------- code sets


@dataclass
class CodeSet:
    """One ICD-10-CM code list: dotless codes with their billable flag and descriptions."""

    codes: np.ndarray  # dotless codes, unique (object, or sorted ``U`` with ``lookup``)
    billable: np.ndarray  # bool, aligned with codes
    descriptions: np.ndarray | None  # object array aligned with codes (None: ask the package)
    source: str
    #: binary search over the sorted codes (the package's), instead of a hash index
    lookup: SortedKeys | None = None

    @cached_property
    def index(self) -> pd.Index:
        """Hash index over the codes (object dtype: no Arrow scalars per lookup)."""
        return pd.Index(self.codes, dtype=object)

    def positions(self, keys: np.ndarray) -> np.ndarray:
        """Position of each dotless key in :attr:`codes`, -1 when absent."""
        if self.lookup is not None:
            return self.lookup.positions(keys)
        return self.index.get_indexer(pd.Index(keys, dtype=object))

    def description(self, position: int) -> str:
        """The description of the code at ``position``."""
        if self.descriptions is not None:
            return str(self.descriptions[position])
        return str(module().get_description(str(self.codes[position])))

    @classmethod
    def from_package(cls) -> CodeSet:
        """The bundled default: the ``simple-icd-10-cm`` tabular (cached sorted: no hash
        index is built per process)."""
        codes, billable = package_codes()
        return cls(codes, billable, None, package_source(), SortedKeys(codes))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str) -> CodeSet:
        """An imported order file (``icd10cm`` table)."""
        long = frame["long_description"].astype(object).fillna("")
        short = frame["short_description"].astype(object).fillna("")
        text = long.where(long != "", short)
        return cls(
            frame["code"].astype(object).to_numpy(dtype=object),
            frame["billable"].to_numpy(dtype=bool),
            text.to_numpy(dtype=object),
            source,
        )


def fiscal_year_label(vintage: dt.date) -> str:
    """``FY2026`` for 2025-10-01; ``FY2026 April update`` for 2026-04-01."""
    year = vintage.year + 1 if vintage.month >= 10 else vintage.year
    if (vintage.month, vintage.day) == (10, 1):
        return f"FY{year}"
    if (vintage.month, vintage.day) == (4, 1):
        return f"FY{year} April update"
    return f"FY{year} (from {vintage.isoformat()})"


def fiscal_year_end(vintage: dt.date) -> dt.date:
    """The last day of the fiscal year a version starts in (30 September)."""
    year = vintage.year + 1 if vintage.month >= 10 else vintage.year
    return dt.date(year, 9, 30)


class Icd10Lookup:
    """Valid and billable ICD-10-CM codes for a date of service (see the module docstring).

    ``versions`` are the imported ``icd10cm`` versions; empty or None means the bundled
    ``simple-icd-10-cm`` default answers every date.
    """

    def __init__(self, versions: VersionSet | None = None) -> None:
        self.versions = versions if versions else VersionSet([])
        self._package: CodeSet | None = None
        self._lock = threading.Lock()

    @property
    def imported(self) -> bool:
        """True when at least one ICD-10-CM fiscal year is imported."""
        return bool(self.versions)

    # ------------------------------------------------------------------ version choice
    def version_index(self, days: np.ndarray) -> np.ndarray:
        """The version answering each day (int64 days since 1970): an index into
        ``versions.versions``, :data:`NOT_COVERED` (-1) before the oldest imported fiscal year;
        always 0 (the package) when nothing is imported."""
        days = np.asarray(days, dtype=np.int64)
        if not self.imported:
            return np.zeros(len(days), dtype=np.int64)
        index = self.versions.pick_many(days).astype(np.int64)
        first = self.versions.versions[0].vintage
        if first is not None:
            index[days < date_to_day(first)] = NOT_COVERED
        return index

    def code_set(self, index: int) -> CodeSet:
        """The code list of version ``index`` (see :meth:`version_index`)."""
        if not self.imported:
            with self._lock:
                if self._package is None:
                    self._package = CodeSet.from_package()
                return self._package
        version = self.versions.versions[index]
        return version.built("icd10cm_codes", lambda f: CodeSet.from_frame(f, self.label(index)))

    def label(self, index: int) -> str:
        """Source of version ``index``: ``ICD-10-CM FY2026 (imported)`` or the package's."""
        if not self.imported:
            return package_source()
        if index == NOT_COVERED:
            first = self.versions.versions[0]
            return (
                "ICD-10-CM (no imported fiscal year covers the date; the oldest is "
                f"{fiscal_year_label(first.vintage)}, from {first.vintage.isoformat()})"
            )
        version = self.versions.versions[index]
        return f"ICD-10-CM {fiscal_year_label(version.vintage)} ({version.origin})"

    def not_covered_text(self, day: dt.date) -> str:
        """Why a date of service before the oldest imported fiscal year gets no answer."""
        first: Version = self.versions.versions[0]
        return (
            f"no imported ICD-10-CM fiscal year covers {day.isoformat()}: the oldest imported is "
            f"{fiscal_year_label(first.vintage)}, from {first.vintage.isoformat()}; import the "
            "order file of that year"
        )

    def _ended_note(self, index: int, day: dt.date) -> str:
        if not self.imported or index != len(self.versions.versions) - 1:
            return ""
        vintage = self.versions.versions[index].vintage
        end = fiscal_year_end(vintage)
        if day <= end:
            return ""
        return (
            f"{fiscal_year_label(vintage)} ended on {end.isoformat()}, before {day.isoformat()}: "
            "import the newer order file"
        )

    # ------------------------------------------------------------------ queries
    def fact(self, code: str, date_of_service: object = None) -> Icd10Fact:
        """One code's facts for a date of service (None = today); an empty or invalid code
        gives ``valid=False``, a date no imported fiscal year covers ``covered=False``."""
        day = date_of_service if type(date_of_service) is dt.date else None
        day = day or parse_date(date_of_service) or bundled.today()
        typed = str(code).strip()
        index = int(self.version_index(np.array([date_to_day(day)]))[0])
        if index == NOT_COVERED:
            return Icd10Fact(
                code=typed.upper(),
                valid=False,
                covered=False,
                note=self.not_covered_text(day),
                source=self.label(index),
            )
        codes = self.code_set(index)
        key = canonical_icd10(typed)
        position = int(codes.positions(np.array([key], dtype=object))[0]) if key else -1
        ended = self._ended_note(index, day)
        if position < 0:
            return Icd10Fact(code=typed.upper(), valid=False, note=ended, source=codes.source)
        book = dotted(key)
        notes = [f"typed as {typed!r}, read as {book}"] if typed != book else []
        return Icd10Fact(
            code=book,
            valid=True,
            billable=bool(codes.billable[position]),
            description=codes.description(position),
            note="; ".join([*notes, ended] if ended else notes),
            source=codes.source,
        )

    def frame(self, codes, dates=None, version: int | None = None) -> pd.DataFrame:
        """Vector form of :meth:`fact`, aligned with the input codes.

        Columns ``code`` (as given), ``normalised`` (the code book's form, ``""`` when not
        valid), ``valid``, ``billable``, ``covered`` and ``source``. ``dates`` (one per code, or
        None = today) pick the version; ``version`` (from :meth:`version_index`) forces one.
        Typed forms are normalised once each and matched by a hash index: no per-row Python.
        """
        raw = np.asarray(codes, dtype=object)
        n = len(raw)
        if version is not None:
            which = np.full(n, int(version), dtype=np.int64)
        else:
            which = self.version_index(_days(dates, n))
        # one normalisation per typed form; rows only gather (no str dtype over all rows)
        row_form, uniques = pd.factorize(raw, use_na_sentinel=True)
        forms = np.append(
            pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str).to_numpy(),
            "",
        ).astype(object)
        row_form = np.where(row_form < 0, len(forms) - 1, row_form)
        keys = _canonical_series(pd.Series(forms, dtype=object)).to_numpy(dtype=object)
        book = _dotted_array(keys)
        valid = np.zeros(n, dtype=bool)
        billable = np.zeros(n, dtype=bool)
        present = np.unique(which)
        source_code = np.searchsorted(present, which)
        for index in present:
            if index == NOT_COVERED:
                continue
            rows = np.flatnonzero(which == index) if len(present) > 1 else slice(None)
            codes_v = self.code_set(int(index))
            positions = codes_v.positions(keys)[row_form[rows]]
            found = positions >= 0
            valid[rows] = found
            billable[rows] = found & codes_v.billable[np.maximum(positions, 0)]
        labels = [self.label(int(index)) for index in present]
        return pd.DataFrame(
            {
                "code": pd.Series(forms[row_form], dtype=object),
                "normalised": pd.Series(np.where(valid, book[row_form], ""), dtype=object),
                "valid": valid,
                "billable": billable,
                "covered": which != NOT_COVERED,
                "source": pd.Categorical.from_codes(source_code, categories=labels),
            }
        )


def _days(dates: object, length: int) -> np.ndarray:
    """Dates (None, a date, or one per row; missing = today) as int64 days since 1970."""
    today = date_to_day(bundled.today())
    if dates is None:
        return np.full(length, today, dtype=np.int64)
    if isinstance(dates, dt.date):
        return np.full(length, date_to_day(dates), dtype=np.int64)
    stamps = pd.to_datetime(pd.Series(np.asarray(dates)), errors="coerce")
    days = stamps.to_numpy(dtype="datetime64[D]").astype("int64")
    return np.where(stamps.isna().to_numpy(), today, days)
