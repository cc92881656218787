"""Physician fee schedule (RVU file) queries: one code's indicators and vectors of codes.

A mixin of :class:`addin.reference.data.ReferenceData`; it relies on that class's
version helpers (``version_for``, ``version_set``, ``_dos``, ``_days``) and tables.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from addin.codes import normalize_code
from addin.lazy import pandas as pd
from addin.reference import schema
from addin.reference.grouped import GroupedRows
from addin.reference.models import FeeScheduleFact
from addin.reference.values import _text
from addin.reference.versions import Version

FEE_COLUMNS = [
    "status",
    "pctc",
    "global_days",
    "mult_proc",
    "bilat",
    "asst",
    "co_surg",
    "team_surg",
    "endo_base",
    "pric_ind",
]

#: Modifiers with their own RVU-file row (professional component, technical component,
#: discontinued procedure); that row carries its own STATUS and PC/TC indicator.
COMPONENT_MODIFIERS = ("26", "TC", "53")


class FeeQueries:
    """Physician fee schedule (RVU file) queries for :class:`~addin.reference.data.ReferenceData`."""

    def _rvu_rows(self, version: Version) -> pd.DataFrame:
        def build(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame[schema.COLUMNS[schema.RVU]].copy()
            for column in [*FEE_COLUMNS, "modifier", "description"]:
                out[column] = out[column].fillna("").astype(str).str.strip()
            out["source"] = (
                frame["source"].astype(str) if version.origin == "bundled" else version.label
            )
            return out

        return version.built("rvu_rows", build)

    def _rvu_global(self, version: Version) -> pd.DataFrame:
        def build(_: pd.DataFrame) -> pd.DataFrame:
            rows = self._rvu_rows(version)
            return rows[rows["modifier"] == ""].drop_duplicates("code", keep="last").set_index("code")

        return version.built("rvu_global", build)

    def _rvu_components(self, version: Version) -> GroupedRows:
        def build(_: pd.DataFrame) -> GroupedRows:
            rows = self._rvu_rows(version)
            return GroupedRows(rows[rows["modifier"] != ""], "code")

        return version.built("rvu_components", build)

    @staticmethod
    def _fee_fact(code: str, row: pd.Series) -> FeeScheduleFact:
        return FeeScheduleFact(
            code=code,
            modifier=_text(row.get("modifier")),
            **{column: _text(row.get(column)) for column in FEE_COLUMNS},
            work_rvu=None if pd.isna(row.get("work_rvu")) else float(row["work_rvu"]),
            nonfac_total=None if pd.isna(row.get("nonfac_total")) else float(row["nonfac_total"]),
            fac_total=None if pd.isna(row.get("fac_total")) else float(row["fac_total"]),
            source=_text(row.get("source")),
        )

    def fee_schedule(
        self, code: object, date_of_service: dt.date | None = None, modifier: str = ""
    ) -> FeeScheduleFact | None:
        """The RVU-file indicators of a code (the global row, or the 26/TC/53 row asked for)."""
        version = self.version_for(schema.RVU, schema.ALL_SETTINGS, self._dos(date_of_service))
        code = normalize_code(code) or ""
        if version is None:
            return None
        if modifier:
            rows = self._rvu_components(version).get(code)
            if rows is None:
                return None
            match = rows[rows["modifier"] == modifier.upper()]
            return self._fee_fact(code, match.iloc[0]) if len(match) else None
        table = self._rvu_global(version)
        if code not in table.index:
            return None
        return self._fee_fact(code, table.loc[code])

    def _rvu_component_table(self, version: Version) -> pd.DataFrame:
        def build(_: pd.DataFrame) -> pd.DataFrame:
            rows = self._rvu_rows(version)
            rows = rows[rows["modifier"].isin(COMPONENT_MODIFIERS)]
            rows = rows.drop_duplicates(["code", "modifier"], keep="last")
            return rows.set_index(["code", "modifier"])

        return version.built("rvu_component_table", build)

    def fee_rows_frame(
        self,
        codes: np.ndarray | pd.Series | list[str],
        modifiers: np.ndarray | pd.Series | list[str],
        dates_of_service: object = None,
    ) -> pd.DataFrame:
        """Vector query aligned with ``codes``: the RVU row a line billed with ``modifiers``
        (one of 26/TC/53, or ``""``) is priced on — the row with that MOD when the release
        for the date has one (its own STATUS, PC/TC indicator ...), else the global row.

        Columns: :data:`FEE_COLUMNS`, ``source``, ``fee_modifier`` (the MOD of the row that
        answered, ``""`` for the global row) and ``in_fee_schedule``.
        """
        codes = np.asarray(codes, dtype=object)
        mods = np.asarray(modifiers, dtype=object)
        days = self._days(dates_of_service, len(codes))
        out = self.fee_schedule_frame(codes, days.astype("datetime64[D]"))
        out = out[["code", *FEE_COLUMNS, "source", "in_fee_schedule"]].copy()
        out["fee_modifier"] = ""
        wanted = np.isin(mods, COMPONENT_MODIFIERS)
        versions = self.version_set(schema.RVU, schema.ALL_SETTINGS)
        if not versions or not wanted.any():
            return out
        choice = versions.pick_many(days)
        for version_no in np.unique(choice[wanted]):
            mask = wanted & (choice == version_no)
            table = self._rvu_component_table(versions.versions[version_no])
            found = table.reindex(pd.MultiIndex.from_arrays([codes[mask], mods[mask]]))
            has_row = found["status"].notna().to_numpy()
            rows = np.flatnonzero(mask)[has_row]
            for column in [*FEE_COLUMNS, "source"]:
                out.loc[rows, column] = found[column].to_numpy(dtype=object)[has_row]
            out.loc[rows, "fee_modifier"] = mods[rows]
            out.loc[rows, "in_fee_schedule"] = True
        return out

    def fee_schedule_frame(
        self, codes: np.ndarray | pd.Series | list[str], dates_of_service: object = None
    ) -> pd.DataFrame:
        """Vector query aligned with ``codes``: the global-row indicators (``""`` when absent),
        ``description`` and ``in_fee_schedule`` (the release lists the code on any row, the
        global row or only a 26/TC/53 row)."""
        codes = np.asarray(codes, dtype=object)
        days = self._days(dates_of_service, len(codes))
        columns = [*FEE_COLUMNS, "description", "source"]
        versions = self.version_set(schema.RVU, schema.ALL_SETTINGS)
        if not versions or len(codes) == 0:
            out = pd.DataFrame({"code": codes})
            for column in columns:
                out[column] = ""
            out["in_fee_schedule"] = False
            return out
        # filled as arrays, then one frame (cell-wise .loc writes cost ~0.1 s on 20k codes)
        values = {column: np.full(len(codes), "", dtype=object) for column in columns}
        listed_flags = np.zeros(len(codes), dtype=bool)
        choice = versions.pick_many(days)
        for version_no in np.unique(choice):
            mask = choice == version_no
            table = self._rvu_global(versions.versions[version_no])
            found = table.reindex(codes[mask])
            for column in columns:
                values[column][mask] = found[column].fillna("").to_numpy(dtype=object)
            listed = self._rvu_codes(versions.versions[version_no])
            listed_flags[mask] = listed.get_indexer(codes[mask]) >= 0
        out = pd.DataFrame({"code": codes})
        for column in columns:
            out[column] = values[column]
        out["in_fee_schedule"] = listed_flags
        return out

    def _rvu_codes(self, version: Version) -> pd.Index:
        """Every code the release lists on any row (a few, such as 86153, have only a 26 row)."""
        return version.built(
            "rvu_codes", lambda _: pd.Index(pd.unique(self._rvu_rows(version)["code"]))
        )
