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
import pandas as pd

from addin.codes import Setting, code_category, normalize_code, normalize_modifier, parse_date
from addin.reference import bundled, indicators, schema
from addin.reference.icd10 import Icd10Lookup
from addin.reference.models import (
    AddonFact,
    CodeInfo,
    CodeNotes,
    FeeScheduleFact,
    Icd10Fact,
    ModifierFact,
    MueFact,
    PairAnswer,
    PlaceOfService,
    PtpEdit,
    TableVersion,
)
from addin.reference.paths import bundled_data_dir, store_dir
from addin.reference.ptp_index import PtpIndex, date_to_day
from addin.reference.versions import Version, VersionSet, imported_versions

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


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _date_or_none(value: object) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date()


def _split_list(value: object) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


class ReferenceData:
    """All reference tables, bundled and imported, with date-of-service version choice."""

    def __init__(self, store: Path | None = None, data_dir: Path | None = None) -> None:
        self.store_path = Path(store) if store else store_dir()
        self.data_dir = Path(data_dir) if data_dir else bundled_data_dir()
        imported = imported_versions(self.store_path)
        bundled_sets = bundled.bundled_versions(self.data_dir)
        self._sets: dict[tuple[str, str], VersionSet] = {}
        for key in set(imported) | set(bundled_sets):
            self._sets[key] = VersionSet(imported.get(key) or bundled_sets[key])
        self.notes = bundled.load_notes(self.data_dir)
        self.modifier_table = bundled.load_modifiers(self.data_dir)
        self.icd10_lookup = Icd10Lookup()
        self._lock = threading.Lock()

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
        out = [v.describe() for vs in self._sets.values() for v in vs.versions]
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

    # ------------------------------------------------------------------ PTP
    def _ptp_index(self, version: Version) -> PtpIndex:
        if version.load_arrow is not None:
            return version.built_from_arrow(
                "ptp_index", lambda table: PtpIndex.from_arrow(table, version.label)
            )
        return version.built(
            "ptp_index", lambda frame: PtpIndex.from_frame(frame, frame["source"].astype(str))
        )

    def pair(
        self,
        code1: object,
        code2: object,
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> PairAnswer:
        """Every PTP row for the pair in either order, each marked whether it applies on the date."""
        dos = self._dos(date_of_service)
        setting_name = Setting.parse(setting).value
        a, b = normalize_code(code1) or "", normalize_code(code2) or ""
        version = self.version_for(schema.PTP, setting_name, dos)
        answer = PairAnswer(code1=a, code2=b, date_of_service=dos, setting=setting_name)
        if version is None:
            return answer
        index = self._ptp_index(version)
        rows = index.rows_for_pair(a, b)
        applies = index.applies_on(rows, date_to_day(dos)) if len(rows) else []
        answer.edits = [
            PtpEdit(**index.row_dict(int(row)), applies=bool(flag))
            for row, flag in zip(rows, applies, strict=True)
        ]
        answer.edits.sort(key=lambda e: (not e.applies, e.effective_date or dt.date.min))
        answer.source = version.label
        return answer

    def ptp_matches(
        self,
        code_a: np.ndarray | pd.Series,
        code_b: np.ndarray | pd.Series,
        dates_of_service: np.ndarray | pd.Series | dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> pd.DataFrame:
        """Vector query: every PTP edit in force for each (a, b, date), either order.

        Returns one row per matching edit with ``pair`` = position in the input arrays, then
        ``column_1, column_2, modifier_indicator, rationale, effective_date, deletion_date,
        source``. Pairs without an edit in force do not appear.
        """
        code_a = np.asarray(code_a, dtype=object)
        code_b = np.asarray(code_b, dtype=object)
        days = self._days(dates_of_service, len(code_a))
        setting_name = Setting.parse(setting).value
        versions = self.version_set(schema.PTP, setting_name)
        if not versions or len(code_a) == 0:
            return PtpIndex.empty_matches()
        choice = versions.pick_many(days)
        frames = []
        for version_no in np.unique(choice):
            mask = choice == version_no
            index = self._ptp_index(versions.versions[version_no])
            positions = np.nonzero(mask)[0]
            found = index.match_pairs(code_a[mask], code_b[mask], days[mask])
            found["pair"] = positions[found["pair"].to_numpy()]
            frames.append(found)
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def ptp_edits_among(
        self,
        codes: np.ndarray | pd.Series | list[str],
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
        only_applicable: bool = True,
    ) -> pd.DataFrame:
        """Every PTP edit whose two codes are both in ``codes`` (for spill tables and reports).

        Columns: ``column_1, column_2, modifier_indicator, rationale, effective_date,
        deletion_date, source, applies``; with ``only_applicable`` just the rows in force.
        """
        dos = self._dos(date_of_service)
        version = self.version_for(schema.PTP, Setting.parse(setting).value, dos)
        if version is None:
            frame = PtpIndex.empty_matches().drop(columns="pair")
            frame["applies"] = np.zeros(0, dtype=bool)
            return frame
        index = self._ptp_index(version)
        frame = index.frame_for_rows(index.rows_among(np.asarray(codes, dtype=object)), date_to_day(dos))
        if only_applicable:
            frame = frame[frame["applies"]].reset_index(drop=True)
        return frame

    def _days(self, dates: object, length: int) -> np.ndarray:
        """Dates of service (scalar, array, Series; None = today) as int64 days."""
        if dates is None or isinstance(dates, dt.date):
            day = date_to_day(self._dos(dates))
            return np.full(length, day, dtype=np.int64)
        stamps = pd.to_datetime(pd.Series(np.asarray(dates)), errors="coerce")
        today = date_to_day(bundled.today())
        days = stamps.to_numpy(dtype="datetime64[D]").astype("int64")
        return np.where(stamps.isna().to_numpy(), today, days)

    # ------------------------------------------------------------------ MUE
    def _mue_frame(self, version: Version) -> pd.DataFrame:
        def build(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame[["code", "mue_units", "mai", "rationale"]].copy()
            out["source"] = (
                frame["source"].astype(str) if version.origin == "bundled" else version.label
            )
            return out.drop_duplicates("code", keep="last").set_index("code")

        return version.built("mue", build)

    def mue(
        self,
        code: object,
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> MueFact | None:
        """The MUE for a code in a setting on a date, or None when the code has none."""
        frame = self.mue_frame([normalize_code(code) or ""], date_of_service, setting)
        row = frame.iloc[0]
        if pd.isna(row["mue_units"]):
            return None
        return MueFact(
            code=row["code"],
            mue_units=int(row["mue_units"]),
            mai=int(row["mai"]),
            rationale=_text(row["rationale"]),
            setting=Setting.parse(setting).value,
            source=_text(row["source"]),
        )

    def mue_frame(
        self,
        codes: np.ndarray | pd.Series | list[str],
        dates_of_service: object = None,
        setting: object = Setting.practitioner,
    ) -> pd.DataFrame:
        """Vector query aligned with ``codes``: ``code, mue_units, mai, rationale, source``
        (NaN units where the code has no MUE)."""
        codes = np.asarray(codes, dtype=object)
        days = self._days(dates_of_service, len(codes))
        versions = self.version_set(schema.MUE, Setting.parse(setting).value)
        out = pd.DataFrame(
            {
                "code": codes,
                "mue_units": np.nan,
                "mai": np.nan,
                "rationale": None,
                "source": None,
            }
        )
        if not versions or len(codes) == 0:
            return out
        choice = versions.pick_many(days)
        for version_no in np.unique(choice):
            mask = choice == version_no
            table = self._mue_frame(versions.versions[version_no])
            found = table.reindex(codes[mask])
            for column in ("mue_units", "mai", "rationale", "source"):
                out.loc[mask, column] = found[column].to_numpy()
        out["mue_units"] = pd.to_numeric(out["mue_units"])
        out["mai"] = pd.to_numeric(out["mai"])
        return out

    # ------------------------------------------------------------------ AOC
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

    def _aoc_by_addon(self, version: Version) -> dict[str, pd.DataFrame]:
        def build(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
            return {code: group for code, group in frame.groupby("addon_code", sort=False)}

        return version.built("aoc_by_addon", build)

    def _aoc_by_primary(self, version: Version) -> dict[str, pd.DataFrame]:
        def build(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
            return {code: group for code, group in frame.groupby("primary_code", sort=False)}

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

    # ------------------------------------------------------------------ fee schedule
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

    def _rvu_components(self, version: Version) -> dict[str, pd.DataFrame]:
        def build(_: pd.DataFrame) -> dict[str, pd.DataFrame]:
            rows = self._rvu_rows(version)
            modified = rows[rows["modifier"] != ""]
            return {code: group for code, group in modified.groupby("code", sort=False)}

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

    def fee_schedule_frame(
        self, codes: np.ndarray | pd.Series | list[str], dates_of_service: object = None
    ) -> pd.DataFrame:
        """Vector query aligned with ``codes``: the global-row indicators (``""`` when absent),
        ``description`` and ``in_fee_schedule``."""
        codes = np.asarray(codes, dtype=object)
        days = self._days(dates_of_service, len(codes))
        columns = [*FEE_COLUMNS, "description", "source"]
        out = pd.DataFrame({"code": codes})
        for column in columns:
            out[column] = ""
        out["in_fee_schedule"] = False
        versions = self.version_set(schema.RVU, schema.ALL_SETTINGS)
        if not versions or len(codes) == 0:
            return out
        choice = versions.pick_many(days)
        for version_no in np.unique(choice):
            mask = choice == version_no
            table = self._rvu_global(versions.versions[version_no])
            found = table.reindex(codes[mask])
            for column in columns:
                out.loc[mask, column] = found[column].fillna("").to_numpy()
            out.loc[mask, "in_fee_schedule"] = found["status"].notna().to_numpy()
        return out

    # ------------------------------------------------------------------ HCPCS / code status
    def _hcpcs_table(self, version: Version) -> pd.DataFrame:
        def build(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame[schema.COLUMNS[schema.HCPCS]].copy()
            out["code"] = out["code"].astype(str).str.strip().str.upper()
            out["source"] = (
                frame["source"].astype(str) if version.origin == "bundled" else version.label
            )
            return out.drop_duplicates(["code", "kind"], keep="last").set_index("code")

        return version.built("hcpcs", build)

    def hcpcs_frame(self, dates_of_service: dt.date | None = None) -> pd.DataFrame:
        """The HCPCS Level II table (codes and modifiers) that answers for a date."""
        version = self.version_for(schema.HCPCS, schema.ALL_SETTINGS, self._dos(dates_of_service))
        if version is None:
            return pd.DataFrame(columns=[*schema.COLUMNS[schema.HCPCS], "source"]).set_index("code")
        return self._hcpcs_table(version)

    def _hcpcs_codes(self, date_of_service: dt.date) -> pd.DataFrame:
        table = self.hcpcs_frame(date_of_service)
        return table[table["kind"] != "modifier"]

    def code_status_frame(
        self, codes: np.ndarray | pd.Series | list[str], dates_of_service: object = None
    ) -> pd.DataFrame:
        """Vector query aligned with ``codes``: ``category`` (None = bad format), ``known``,
        ``active``, ``inactive_reason``, ``status``, ``status_text`` and the fee indicators."""
        codes = np.asarray(codes, dtype=object)
        days = self._days(dates_of_service, len(codes))
        out = self.fee_schedule_frame(codes, days.astype("datetime64[D]"))
        unique = pd.unique(codes)
        categories = {code: code_category(code) for code in unique}
        out["category"] = [categories.get(code) for code in codes] if len(codes) < 50_000 else pd.Series(codes).map(categories).to_numpy()
        in_hcpcs, term, start = self._hcpcs_status(codes, days)
        in_notes = self.notes.index.get_indexer(codes) >= 0 if len(self.notes) else np.zeros(len(codes), bool)
        mue_known = np.zeros(len(codes), dtype=bool)
        for setting in ("practitioner", "hospital", "dme"):
            mue = self.mue_frame(codes, days.astype("datetime64[D]"), setting)
            mue_known |= mue["mue_units"].notna().to_numpy()
        known = out["in_fee_schedule"].to_numpy() | in_hcpcs | in_notes | mue_known
        out["known"] = known
        status = out["status"].to_numpy(dtype=object)
        dos64 = days.astype("datetime64[D]").astype("datetime64[ns]")
        terminated = ~np.isnat(term) & (term < dos64)
        not_yet = ~np.isnat(start) & (start > dos64)
        deleted = np.isin(status, list(indicators.DELETED_STATUS))
        reason = np.full(len(codes), "", dtype=object)
        reason[deleted] = "deleted code (fee-schedule status D/F)"
        term_text = pd.Series(term).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        start_text = pd.Series(start).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        reason[terminated] = "terminated on " + term_text[terminated].astype(str)
        reason[not_yet] = "not effective until " + start_text[not_yet].astype(str)
        addon_end = self._addon_deletions(codes, days)
        addon_deleted = ~np.isnat(addon_end) & (addon_end < dos64) & ~terminated
        end_text = pd.Series(addon_end).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        reason[addon_deleted] = "deleted on " + end_text[addon_deleted].astype(str) + " (AOC add-on deletion date)"
        out["active"] = known & ~(terminated | not_yet | deleted | addon_deleted)
        out["inactive_reason"] = reason
        out["status_text"] = [indicators.STATUS_TEXT.get(s, "") for s in status]
        return out

    def _addon_deletions(self, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Per code, the add-on code's own deletion date in the AOC version for its date
        (NaT when the code is not an add-on or is not deleted). CMS keeps deleted add-on
        codes in the AOC file, so this dates deletions the HCPCS text files do not carry."""
        out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
        versions = self.version_set(schema.AOC)
        if not versions or len(codes) == 0:
            return out
        choice = versions.pick_many(days)
        for version_no in np.unique(choice):
            version = versions.versions[version_no]

            def build(frame: pd.DataFrame) -> pd.Series:
                ends = pd.to_datetime(frame["addon_deletion_date"], errors="coerce")
                grouped = ends.groupby(frame["addon_code"].astype(str))
                # a code still listed without a deletion date on some row is not deleted
                return grouped.max().where(~grouped.apply(lambda s: s.isna().any()))

            ends = version.built("aoc_addon_deletions", build)
            mask = choice == version_no
            out[mask] = _datetimes(ends.reindex(codes[mask]))
        return out

    def _hcpcs_status(
        self, codes: np.ndarray, days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per code, from the HCPCS version that answers for its own date (as
        :meth:`code_info` does): listed?, termination date, effective date (datetime64)."""
        listed = np.zeros(len(codes), dtype=bool)
        term = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[ns]")
        start = term.copy()
        versions = self.version_set(schema.HCPCS)
        if not versions or len(codes) == 0:
            return listed, term, start
        choice = versions.pick_many(days)
        for version_no in np.unique(choice):
            mask = choice == version_no
            table = self._hcpcs_table(versions.versions[version_no])
            table = table[table["kind"] != "modifier"]
            subset = codes[mask]
            listed[mask] = pd.Index(table.index).get_indexer(subset) >= 0
            term[mask] = _datetimes(table["termination_date"].reindex(subset))
            start[mask] = _datetimes(table["effective_date"].reindex(subset))
        return listed, term, start

    def known_codes(self, date_of_service: dt.date | None = None) -> np.ndarray:
        """Every code a table that answers for the date knows (RVU, HCPCS, notes, any MUE):
        exactly the codes :meth:`code_status_frame` marks ``known``."""
        dos = self._dos(date_of_service)
        parts = [np.asarray(self._hcpcs_codes(dos).index, dtype=object),
                 np.asarray(self.notes.index, dtype=object)]
        rvu = self.version_for(schema.RVU, schema.ALL_SETTINGS, dos)
        if rvu is not None:
            parts.append(np.asarray(self._rvu_global(rvu).index, dtype=object))
        for setting in ("practitioner", "hospital", "dme"):
            mue = self.version_for(schema.MUE, setting, dos)
            if mue is not None:
                parts.append(np.asarray(self._mue_frame(mue).index, dtype=object))
        return pd.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=object)

    def descriptions_frame(
        self, codes: np.ndarray | pd.Series | list[str], date_of_service: dt.date | None = None
    ) -> pd.DataFrame:
        """Vector twin of the description fields of :meth:`code_info`, aligned with ``codes``:
        ``code, category, known, active, inactive_reason, description, plain_description``.

        Same sources in the same order (RVU description, then HCPCS Level II text; the
        project's plain summary separately). Each distinct code is looked up once, since a
        column of claims repeats a few thousand codes (``CPT_DESC_TABLE``).
        """
        dos = self._dos(date_of_service)
        codes = np.asarray(codes, dtype=object)
        positions, unique = pd.factorize(codes, use_na_sentinel=False)
        unique = np.asarray(unique, dtype=object)
        status = self.code_status_frame(unique, dos)
        description = status["description"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        missing = description == ""
        hcpcs = self._hcpcs_codes(dos)
        if missing.any() and len(hcpcs):
            found = hcpcs.reindex(unique[missing])
            long = found["long_description"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
            short = found["short_description"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
            description[missing] = np.where(long != "", long, short)
        if len(self.notes) and "description" in self.notes.columns:
            plain = self.notes["description"].reindex(unique).fillna("").astype(str).str.strip()
            plain = plain.to_numpy(dtype=object)
        else:
            plain = np.full(len(unique), "", dtype=object)
        frame = pd.DataFrame(
            {
                "code": unique,
                "category": pd.Series(
                    [c if isinstance(c, str) else None for c in status["category"].tolist()], dtype=object
                ),
                "known": status["known"].to_numpy(dtype=bool),
                "active": status["active"].to_numpy(dtype=bool),
                "inactive_reason": status["inactive_reason"].to_numpy(dtype=object),
                "description": description,
                "plain_description": plain,
            }
        )
        return frame.take(positions).reset_index(drop=True)

    # ------------------------------------------------------------------ one code
    def code_info(
        self,
        code: object,
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> CodeInfo:
        """Everything known about one code on a date of service in a setting (cached)."""
        dos = self._dos(date_of_service)
        return self._code_info(normalize_code(code) or "", dos, Setting.parse(setting).value)

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - one ReferenceData per process
    def _code_info(self, code: str, dos: dt.date, setting: str) -> CodeInfo:
        status = self.code_status_frame([code], dos).iloc[0]
        fee = self.fee_schedule(code, dos)
        version = self.version_for(schema.RVU, schema.ALL_SETTINGS, dos)
        components = []
        if version is not None:
            rows = self._rvu_components(version).get(code)
            if rows is not None:
                components = [self._fee_fact(code, row) for _, row in rows.iterrows()]
        description, description_source = "", ""
        if fee is not None and status["description"]:
            description, description_source = status["description"], fee.source
        hcpcs = self._hcpcs_codes(dos)
        if not description and code in hcpcs.index:
            row = hcpcs.loc[code]
            description = _text(row["long_description"]) or _text(row["short_description"])
            description_source = _text(row["source"])
        notes = None
        plain = ""
        if code in self.notes.index:
            row = self.notes.loc[code]
            plain = _text(row.get("description"))
            notes = CodeNotes(
                description=plain,
                service_type=_text(row.get("service_type")),
                site_of_service=_text(row.get("site_of_service")),
                related_diagnoses=_split_list(row.get("related_diagnoses")),
                related_procedures=_split_list(row.get("related_procedures")),
                documentation=_text(row.get("documentation")),
                specialties=_split_list(row.get("specialties")),
                source=_text(row.get("source")),
            )
        mue = self.mue(code, dos, setting)
        addon = self.addon(code, dos)
        sources = [s for s in {fee.source if fee else "", mue.source if mue else "",
                               addon.source if addon else "", description_source} if s]
        return CodeInfo(
            code=code,
            date_of_service=dos,
            setting=setting,
            category=status["category"],
            known=bool(status["known"]),
            active=bool(status["active"]),
            inactive_reason=_text(status["inactive_reason"]),
            description=description,
            description_source=description_source,
            plain_description=plain,
            fee_schedule=fee,
            component_rows=components,
            mue=mue,
            addon=addon,
            addon_for=self.addons_for_primary(code, dos),
            notes=notes,
            sources=sorted(sources),
        )

    # ------------------------------------------------------------------ modifiers, POS, ICD
    def modifier(self, modifier: object) -> ModifierFact | None:
        """A modifier's description and attributes (bundled table, then HCPCS Level II)."""
        mod = normalize_modifier(modifier) or ""
        if mod in self.modifier_table.index:
            row = self.modifier_table.loc[mod]
            return ModifierFact(
                modifier=mod,
                description=_text(row.get("description")),
                ncci_associated=bool(row.get("ncci_associated")),
                anatomic_family=_text(row.get("anatomic_family")),
                site=_text(row.get("site")),
                kind=_text(row.get("kind")),
                category=_text(row.get("category")),
                source=_text(row.get("source")),
            )
        mods = self._hcpcs_modifiers()
        if mod in mods.index:
            row = mods.loc[mod]
            return ModifierFact(
                modifier=mod,
                description=_text(row["long_description"]) or _text(row["short_description"]),
                source=_text(row["source"]),
            )
        return None

    def known_modifiers(self) -> set[str]:
        """Every modifier the loaded data knows (bundled list and HCPCS Level II modifiers)."""
        return set(self.modifier_table.index) | set(self._hcpcs_modifiers().index)

    def _hcpcs_modifiers(self) -> pd.DataFrame:
        """Level II modifiers from every HCPCS version, newest first (a codes-only release,
        such as a descriptions file, must not hide the modifiers of an earlier full one)."""
        with self._lock:
            cached = getattr(self, "_hcpcs_modifier_cache", None)
            if cached is None:
                frames = []
                for version in reversed(self.version_set(schema.HCPCS).versions):
                    table = self._hcpcs_table(version)
                    frames.append(table[table["kind"] == "modifier"])
                cached = (
                    pd.concat(frames)[lambda f: ~f.index.duplicated(keep="first")]
                    if frames
                    else pd.DataFrame(columns=["long_description", "short_description", "source"])
                )
                self._hcpcs_modifier_cache = cached
            return cached

    def ncci_associated_modifiers(self) -> set[str]:
        """Modifiers that may bypass an indicator-1 PTP edit."""
        table = self.modifier_table
        return set(table.index[table["ncci_associated"]]) if len(table) else set()

    def place_of_service(self, code: object) -> PlaceOfService | None:
        """A place-of-service code's name and facility type."""
        text = _text(code)
        if text.endswith(".0"):
            text = text[:-2]
        text = text.zfill(2)
        version = self.version_for(schema.POS, schema.ALL_SETTINGS, bundled.today())
        if version is None:
            return None
        frame = version.built(
            "pos",
            lambda f: f.assign(pos_code=f["pos_code"].astype(str).str.zfill(2)).set_index("pos_code"),
        )
        if text not in frame.index:
            return None
        row = frame.loc[text]
        source = _text(row.get("source")) if version.origin == "bundled" else version.label
        return PlaceOfService(
            pos_code=text,
            pos_type=_text(row.get("pos_type")),
            name=_text(row.get("name")),
            description=_text(row.get("description")),
            source=source,
        )

    def icd10(self, code: object) -> Icd10Fact:
        """ICD-10-CM validity, billability (leaf code) and description."""
        return self.icd10_lookup.fact(_text(code))

    def icd10_frame(self, codes: np.ndarray | pd.Series | list[str]) -> pd.DataFrame:
        """Vector form of :meth:`icd10`: ``code, valid, billable`` aligned with the input."""
        return self.icd10_lookup.frame(codes)


def _datetimes(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")


_SHARED: ReferenceData | None = None
_SHARED_LOCK = threading.Lock()


def get_reference_data(reload: bool = False) -> ReferenceData:
    """The process-wide ReferenceData, created on first use (cheap: tables load lazily)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or reload:
            _SHARED = ReferenceData()
        return _SHARED
