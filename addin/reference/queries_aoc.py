"""AOC (add-on code) queries: the table for a date, one add-on, the add-ons of a primary.

A mixin of :class:`addin.reference.data.ReferenceData`; it relies on that class's
version helpers (``version_for``, ``version_set``, ``_dos``, ``_days``) and tables.
"""

from __future__ import annotations

import datetime as dt

from addin.codes import normalize_code
from addin.lazy import pandas as pd
from addin.reference import schema
from addin.reference.grouped import GroupedRows
from addin.reference.models import AddonFact
from addin.reference.values import _date_or_none, _text
from addin.reference.versions import Version


class AocQueries:
    """AOC (add-on code) queries for :class:`~addin.reference.data.ReferenceData`."""

    def _aoc_version(self, date_of_service: dt.date) -> Version | None:
        return self.version_for(schema.AOC, schema.ALL_SETTINGS, date_of_service)

    def addon_edits(self, date_of_service: dt.date | None = None) -> pd.DataFrame:
        """The AOC table that answers for a date: one row per (add-on, primary), plus ``source``."""
        version = self._aoc_version(self._dos(date_of_service))
        if version is None:
            return pd.DataFrame(columns=[*schema.COLUMNS[schema.AOC], "source"])

        def build(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame[schema.COLUMNS[schema.AOC]].copy()
            out["source"] = (
                frame["source"].astype(str) if version.origin == "bundled" else version.label
            )
            return out

        return version.built("aoc", build)

    def _aoc_by_addon(self, version: Version) -> GroupedRows:
        def build(frame: pd.DataFrame) -> GroupedRows:
            return GroupedRows(frame, "addon_code")

        return version.built("aoc_by_addon", build)

    def _aoc_by_primary(self, version: Version) -> GroupedRows:
        def build(frame: pd.DataFrame) -> GroupedRows:
            return GroupedRows(frame, "primary_code")

        return version.built("aoc_by_primary_rows", build)

    @staticmethod
    def _aoc_in_force(rows: pd.DataFrame, dos: dt.date) -> pd.DataFrame:
        """AOC rows in force on the date: the edit effective and not deleted, neither the
        primary nor the add-on code deleted (the checker's ``addon_lines`` rule)."""
        day = pd.Timestamp(dos)
        live = rows["effective_date"].isna() | (rows["effective_date"] <= day)
        for column in ("deletion_date", "primary_deletion_date", "addon_deletion_date"):
            live &= rows[column].isna() | (rows[column] >= day)
        return rows[live]

    def addon(self, code: object, date_of_service: dt.date | None = None) -> AddonFact | None:
        """The add-on code edit in force for a code on the date, or None when no AOC row is in
        force then (not an add-on, the edit not yet effective, or deleted). Type, primaries
        and contractor-defined flag come from the rows in force only, as in the checker: an
        add-on whose edit changed type (1 until 2022, 3 since) answers with the type of the date."""
        dos = self._dos(date_of_service)
        version = self._aoc_version(dos)
        code = normalize_code(code) or ""
        if version is None:
            return None
        rows = self._aoc_by_addon(version).get(code)
        if rows is None:
            return None
        rows = self._aoc_in_force(rows, dos)
        if rows.empty:
            return None
        primaries = sorted(
            {p for p in rows["primary_code"].astype(str) if p != schema.CONTRACTOR_DEFINED_PRIMARY}
        )
        first = rows.iloc[0]
        notes = "; ".join(sorted({_text(n) for n in rows["notes"] if _text(n)}))
        return AddonFact(
            addon_code=code,
            edit_type=int(rows["edit_type"].mode().iloc[0]),  # ties: the lower type, as the checker
            primaries=primaries,
            contractor_defined=bool((rows["primary_code"] == schema.CONTRACTOR_DEFINED_PRIMARY).any()),
            effective_date=_date_or_none(rows["effective_date"].min()),
            deletion_date=_date_or_none(first["addon_deletion_date"]),
            notes=notes,
            source=_text(first["source"]) if version.origin == "bundled" else version.label,
        )

    def addons_for_primary(self, code: object, date_of_service: dt.date | None = None) -> list[str]:
        """Add-on codes that list this code as a primary in an edit in force on the date."""
        dos = self._dos(date_of_service)
        version = self._aoc_version(dos)
        if version is None:
            return []
        rows = self._aoc_by_primary(version).get(normalize_code(code) or "")
        if rows is None:
            return []
        return sorted(set(self._aoc_in_force(rows, dos)["addon_code"].astype(str)))
