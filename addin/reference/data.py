"""``ReferenceData``: every table loaded once, answering point and vector queries alike.

Point queries (one code, one pair) serve the CLI and the Excel functions; vector queries
(whole columns) serve the batch checker and the spill functions. Both go through the same
version choice and the same arrays, so they cannot disagree (``tests/test_reference_*``).
Tables load lazily: constructing the object reads only the manifest and the small bundled
files; the first question about PTP loads the PTP version it needs.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from pathlib import Path

import numpy as np

from addin.codes import Setting, parse_date
from addin.lazy import pandas as pd
from addin.reference import bundled, currency, schema
from addin.reference.icd10 import Icd10Lookup
from addin.reference.models import CodeInfo, Currency, TableVersion
from addin.reference.paths import bundled_data_dir, store_dir
from addin.reference.ptp_index import date_to_day
from addin.reference.queries_aoc import AocQueries
from addin.reference.queries_codes import CodeQueries
from addin.reference.queries_fees import FEE_COLUMNS, FeeQueries
from addin.reference.queries_misc import MiscQueries
from addin.reference.queries_mue import MueQueries
from addin.reference.queries_ptp import PtpQueries
from addin.reference.values import _date_or_none, _datetimes, _split_list, _text
from addin.reference.versions import Version, VersionSet, imported_versions

# re-exported: callers import these from ``addin.reference.data``
__all__ = [
    "FEE_COLUMNS",
    "ReferenceData",
    "Version",
    "_date_or_none",
    "_datetimes",
    "_split_list",
    "_text",
    "get_reference_data",
]


class ReferenceData(PtpQueries, MueQueries, AocQueries, FeeQueries, CodeQueries, MiscQueries):
    """All reference tables, bundled and imported, with date-of-service version choice.

    The queries live in one mixin per table family (``queries_*.py``); this class holds the
    tables' versions, the date helpers every query shares and the process-wide instance.
    """

    def __init__(self, store: Path | None = None, data_dir: Path | None = None) -> None:
        self.store_path = Path(store) if store else store_dir()
        self.data_dir = Path(data_dir) if data_dir else bundled_data_dir()
        imported = imported_versions(self.store_path)
        bundled_sets = bundled.bundled_versions(
            self.data_dir, skip=frozenset(k for k, v in imported.items() if v)
        )
        self._sets: dict[tuple[str, str], VersionSet] = {}
        for key in set(imported) | set(bundled_sets):
            self._sets[key] = VersionSet(imported.get(key) or bundled_sets[key])
        self.icd10_lookup = Icd10Lookup(self.version_set(schema.ICD10CM))
        self._lock = threading.Lock()
        #: "warn" or "error" for answers from a table that does not cover the date (currency.py)
        self.stale_policy = currency.stale_policy()

    @functools.cached_property
    def notes(self) -> pd.DataFrame:
        """``data/codes.csv`` (the project's code notes) indexed by code, read on first use."""
        return bundled.load_notes(self.data_dir)

    @functools.cached_property
    def note_rows(self) -> dict[str, dict[str, str]]:
        """The same notes as ``{code: row}`` of text, read without pandas (one-code answers)."""
        return bundled.load_note_rows(self.data_dir)

    @functools.cached_property
    def modifier_table(self) -> pd.DataFrame:
        """``data/modifiers.csv`` indexed by modifier, read on first use."""
        return bundled.load_modifiers(self.data_dir)

    # ------------------------------------------------------------------ currency
    def currency(self, table: str, setting: str, date_of_service: object = None) -> Currency:
        """Whether the version of a table answering for a date of service covers that date."""
        return currency.for_table(self, table, setting, self._dos(date_of_service))

    def code_info(
        self,
        code: object,
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
        *,
        enforce_currency: bool = True,
    ) -> CodeInfo:
        """Everything known about one code on a date of service in a setting (cached), with
        the currency of each table consulted (``info.currency``); under the ``error`` policy a
        stale or uncovered table raises :class:`~addin.reference.currency.StaleDataError`
        (``enforce_currency=False``: only asking whether a code exists, not answering it)."""
        info = super().code_info(code, date_of_service, setting)
        if info.category is not None and not info.currency:
            info.currency = [
                self.currency(table, table_setting, info.date_of_service)
                for table, table_setting in currency.code_tables(info.category, info.setting)
                if self.version_set(table, table_setting)
            ]
        if enforce_currency:
            currency.enforce(info.currency, self.stale_policy)
        return info

    def suggestion_currency(
        self, code: object, other_code: object, date_of_service: object, setting: object
    ) -> list[Currency]:
        """The currency of the tables modifier suggestions consult: the fee schedule (or HCPCS
        for Level II codes) and, with another code, the PTP table of the setting."""
        from addin.codes import code_category, normalize_code

        dos = self._dos(date_of_service)
        tables = currency.code_tables(code_category(normalize_code(code) or ""), Setting.parse(setting).value)[:1]
        if other_code:
            tables.append((schema.PTP, Setting.parse(setting).value))
        return [self.currency(t, s, dos) for t, s in tables if self.version_set(t, s)]

    def descriptions_frame(self, codes, date_of_service: dt.date | None = None) -> pd.DataFrame:
        """The description fields of :meth:`code_info` for many codes, plus ``currency``: the
        short note of the describing table (RVU, or HCPCS for Level II codes; ``""`` when
        current)."""
        frame = super().descriptions_frame(codes, date_of_service)
        dos = self._dos(date_of_service)
        notes = {
            table: self.currency(table, schema.ALL_SETTINGS, dos).suffix
            for table in (schema.RVU, schema.HCPCS)
        }
        level_two = frame["category"].astype(str).str.startswith("HCPCS")
        frame["currency"] = np.where(level_two, notes[schema.HCPCS], notes[schema.RVU])
        frame.loc[frame["category"].isna() | ~frame["known"].astype(bool), "currency"] = ""
        return frame

    # ------------------------------------------------------------------ versions
    def version_set(self, table: str, setting: str = schema.ALL_SETTINGS) -> VersionSet:
        """The versions of a table/setting (empty when nothing is loaded)."""
        return self._sets.get((table, setting)) or VersionSet([])

    def version_for(self, table: str, setting: str, date_of_service: dt.date) -> Version | None:
        """The version that answers for a date of service, or None when the table is absent."""
        versions = self.version_set(table, setting)
        return versions.pick(date_of_service) if versions else None

    def versions(self) -> list[TableVersion]:
        """Every loaded table version, for status lines and the report's About sheet."""
        out = []
        for version_set in self._sets.values():
            for version, span in zip(version_set.versions, currency.periods(version_set), strict=True):
                described = version.describe()
                described.period = span[2] if span else ""
                out.append(described)
        return sorted(out, key=lambda t: (t.table, t.setting, t.vintage or dt.date.min))

    def data_version_text(self) -> str:
        """One line naming every table version loaded (``CPT_DATA_VERSION``)."""
        parts = []
        for version in self.versions():
            vintage = version.vintage.isoformat() if version.vintage else "undated"
            setting = "" if version.setting == schema.ALL_SETTINGS else f" {version.setting}"
            parts.append(f"{version.table.upper()}{setting} {vintage} ({version.origin})")
        return "; ".join(parts) if parts else "no reference data loaded"

    @staticmethod
    def _dos(date_of_service: object) -> dt.date:
        """A plain ``date`` (a datetime, Timestamp or numpy date would break day arithmetic,
        pydantic models and the code_info cache); None = today."""
        if type(date_of_service) is dt.date:
            return date_of_service
        return parse_date(date_of_service) or bundled.today()

    def _days(self, dates: object, length: int) -> np.ndarray:
        """Dates of service (scalar, array, Series; None = today) as int64 days."""
        if dates is None or isinstance(dates, dt.date):
            day = date_to_day(self._dos(dates))
            return np.full(length, day, dtype=np.int64)
        stamps = pd.to_datetime(pd.Series(np.asarray(dates)), errors="coerce")
        today = date_to_day(bundled.today())
        days = stamps.to_numpy(dtype="datetime64[D]").astype("int64")
        return np.where(stamps.isna().to_numpy(), today, days)


_SHARED: ReferenceData | None = None
_SHARED_LOCK = threading.Lock()


def get_reference_data(reload: bool = False) -> ReferenceData:
    """The process-wide ReferenceData, created on first use (cheap: tables load lazily)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or reload:
            _SHARED = ReferenceData()
        return _SHARED
