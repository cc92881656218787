"""Table versions side by side: which bundled or imported copy answers for a date of service.

Rule: for a date of service the newest version whose vintage is on or before that date
answers; a date before every vintage is answered by the oldest version (and the answer names
that vintage, so the user sees it). Imported versions of a table/setting replace the bundled
one entirely, so answers never mix the project's sample facts with a full CMS table.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from addin.lazy import pandas as pd
from addin.reference import integrity, schema
from addin.reference.models import TableVersion
from addin.reference.ptp_index import NO_START, date_to_day


@dataclass
class Version:
    """One version of one table/setting and how to load it."""

    table: str
    setting: str
    vintage: dt.date | None
    origin: str  # "bundled" or "imported"
    files: list[str]
    rows: int
    load: Callable[[], pd.DataFrame]
    load_arrow: Callable[[], Any] | None = None  # imported tables: the Parquet as a pyarrow Table
    load_ptp_directory: Callable[[], Any] | None = None  # imported PTP: the stored pair index or None
    period_kind: str = ""  # "quarter", "year" or "" (the table's default, see currency.py)
    _built: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def label(self) -> str:
        """e.g. ``PTP practitioner 2024-07-01 (imported)``."""
        setting = "" if self.setting == schema.ALL_SETTINGS else f" {self.setting}"
        vintage = f" {self.vintage.isoformat()}" if self.vintage else ""
        return f"{self.table.upper()}{setting}{vintage} ({self.origin})"

    def built(self, name: str, build: Callable[[pd.DataFrame], Any]) -> Any:
        """A structure derived from this version's table, built once and cached."""
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    if "_frame" not in self._built:
                        self._built["_frame"] = self.load()
                    self._built[name] = build(self._built["_frame"])
        return self._built[name]

    def built_from_arrow(self, name: str, build: Callable[[Any], Any]) -> Any:
        """Like :meth:`built`, from the pyarrow table: an imported version's stored Parquet
        (no pandas frame is made), a bundled version's typed frame converted."""
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    self._built[name] = build(self._arrow())
        return self._built[name]

    def _arrow(self) -> Any:
        if self.load_arrow is not None:
            return self.load_arrow()
        import pyarrow as pa

        return pa.Table.from_pandas(self.load(), preserve_index=False)

    def describe(self) -> TableVersion:
        """Public summary of the version."""
        return TableVersion(
            table=self.table,
            setting=self.setting,
            vintage=self.vintage,
            origin=self.origin,
            rows=self.rows,
            files=self.files,
        )


@dataclass
class VersionSet:
    """All versions of one table/setting, oldest first."""

    versions: list[Version]

    def __post_init__(self) -> None:
        self.versions.sort(key=lambda v: v.vintage or dt.date.min)
        self._days = np.array(
            [date_to_day(v.vintage) if v.vintage else NO_START for v in self.versions],
            dtype=np.int64,
        )

    def __bool__(self) -> bool:
        return bool(self.versions)

    def pick(self, date_of_service: dt.date) -> Version:
        """The version that answers for a date of service."""
        if len(self.versions) == 1:
            return self.versions[0]
        index = int(np.searchsorted(self._days, date_to_day(date_of_service), "right")) - 1
        return self.versions[max(index, 0)]

    def pick_many(self, days: np.ndarray) -> np.ndarray:
        """Version index for each day (int64 days since 1970)."""
        index = np.searchsorted(self._days, days, "right") - 1
        return np.clip(index, 0, len(self.versions) - 1)


def read_manifest(store: Path) -> list[schema.ImportRecord]:
    """The store's import records (empty when nothing was imported).

    Raises :class:`~addin.errors.StoreDamagedError` when Parquet files have no manifest or
    the manifest is empty or damaged (:mod:`addin.reference.integrity`).
    """
    return integrity.read_records(store)


def imported_versions(store: Path) -> dict[tuple[str, str], list[Version]]:
    """Group the store's records into versions (the parts of one vintage load together)."""
    groups: dict[tuple[str, str, dt.date], list[schema.ImportRecord]] = {}
    for record in read_manifest(store):
        groups.setdefault((record.table, record.setting, record.vintage), []).append(record)
    out: dict[tuple[str, str], list[Version]] = {}
    for (table, setting, vintage), records in groups.items():
        records.sort(key=lambda r: r.part)
        out.setdefault((table, setting), []).append(
            Version(
                table=table,
                setting=setting,
                vintage=vintage,
                origin="imported",
                files=[r.source_file for r in records],
                rows=sum(r.rows for r in records),
                load=_frame_loader(_arrow_loader(store, records, None)),
                load_arrow=_arrow_loader(
                    store, records, PTP_INDEX_COLUMNS if table == schema.PTP else None
                ),
                load_ptp_directory=_directory_loader(store, records) if table == schema.PTP else None,
            )
        )
    return out


# The PTP index needs no code strings: codes are decoded from pair_key on demand.
PTP_INDEX_COLUMNS = [
    "pair_key",
    "pre_1996",
    "effective_date",
    "deletion_date",
    "modifier_indicator",
    "rationale",
]


def _arrow_loader(
    store: Path, records: list[schema.ImportRecord], columns: list[str] | None
) -> Callable[[], Any]:
    """Read the version's Parquet files, each checked first (size, sha256, readable): a
    damaged file raises :class:`~addin.errors.StoreDamagedError`, never an empty answer."""

    def load() -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = []
        for record in records:
            data = integrity.read_verified(store, record)
            try:
                # ParquetFile, not read_table: the same table without pyarrow.dataset, which
                # imports pandas (a one-code lookup never needs it)
                tables.append(pq.ParquetFile(pa.BufferReader(data)).read(columns=columns))
            except (OSError, pa.ArrowException) as exc:
                raise integrity.unreadable(record, exc) from None
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")

    return load


def _directory_loader(store: Path, records: list[schema.ImportRecord]) -> Callable[[], Any]:
    """The version's stored PTP pair index (checked), None for a store without one."""

    def load() -> Any:
        from addin.reference import ptp_index_file

        return ptp_index_file.load(store, records)

    return load


def _frame_loader(load_arrow: Callable[[], Any]) -> Callable[[], pd.DataFrame]:
    """The whole stored table as a pandas frame (dates as datetime64, not objects)."""
    return lambda: load_arrow().to_pandas(date_as_object=False)
