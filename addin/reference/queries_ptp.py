"""PTP (NCCI procedure-to-procedure) queries: one pair, vectors of pairs, the edits among a set
of codes, every edit of one code.

A mixin of :class:`addin.reference.data.ReferenceData`; it relies on that class's
version helpers (``version_for``, ``version_set``, ``_dos``, ``_days``) and tables.

CMS publishes PTP tables for practitioner and outpatient hospital claims only: every query
refuses another setting (``dme``) with :class:`addin.codes.SettingNotAvailableError` rather
than answer "no edit" from a table that does not exist.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from addin.codes import Setting, encode_code, encode_codes, normalize_code, setting_for_table
from addin.lazy import pandas as pd
from addin.reference import schema
from addin.reference.models import PairAnswer, PtpEdit
from addin.reference.ptp_index import NOT_APPLICABLE, PtpIndex, date_to_day, governing_key
from addin.reference.versions import Version


def _answer_order(edit: PtpEdit) -> tuple:
    """Rows in force first, the one that governs leading (:func:`governing_key`); then the
    other episodes by effective date."""
    if edit.applies:
        return (0, *governing_key(edit))
    return (1, 0, edit.effective_date or dt.date.min, "", "", dt.date.min)


_NORMALIZED: dict[str, str] = {}


def _normalized(code: object) -> str:
    """:func:`addin.codes.normalize_code` (``""`` for nothing), cached for text: a sheet asks
    about the same few thousand codes again and again."""
    if type(code) is not str:
        return normalize_code(code) or ""
    text = _NORMALIZED.get(code)
    if text is None:
        text = normalize_code(code) or ""
        if len(_NORMALIZED) >= 100_000:
            _NORMALIZED.clear()
        _NORMALIZED[code] = text
    return text


class PtpQueries:
    """PTP (NCCI procedure-to-procedure) queries for :class:`~addin.reference.data.ReferenceData`."""

    def _ptp_index(self, version: Version) -> PtpIndex:
        if version.load_arrow is not None:
            stored = version.load_ptp_directory

            def build(table) -> PtpIndex:
                return PtpIndex.from_arrow(table, version.label, stored() if stored else None)

            return version.built_from_arrow("ptp_index", build)
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
        """Every PTP row for the pair in either order, each marked whether it applies on the date.

        ``edits`` lists the rows in force first, the governing one leading (the strictest:
        indicator 0 over 1, then the earliest effective, then the lower Column 1 code — see
        :data:`~addin.reference.ptp_index.GOVERNING_ORDER`), then the other episodes.
        """
        dos = self._dos(date_of_service)
        setting_name = setting_for_table(setting, schema.PTP).value
        a, b = _normalized(code1), _normalized(code2)
        version = self.version_for(schema.PTP, setting_name, dos)
        if version is None:
            return PairAnswer(code1=a, code2=b, date_of_service=dos, setting=setting_name)
        day = date_to_day(dos)
        edits = []
        for row in self._ptp_index(version).point_rows(a, b):
            effective, deletion = row.pop("_days")
            applies = effective <= day <= deletion and row["modifier_indicator"] != NOT_APPLICABLE
            edits.append(PtpEdit(**row, applies=applies))
        edits.sort(key=_answer_order)
        return PairAnswer(
            code1=a, code2=b, date_of_service=dos, setting=setting_name, edits=edits, source=version.label
        )

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
        setting_name = setting_for_table(setting, schema.PTP).value
        versions = self.version_set(schema.PTP, setting_name)
        if not versions or len(code_a) == 0:
            return PtpIndex.empty_matches()
        if len(versions.versions) == 1:  # one table version: no split, no position remap
            return self._ptp_index(versions.versions[0]).match_pairs(code_a, code_b, days)
        choice = versions.pick_many(days)
        frames = []
        for version_no in np.flatnonzero(np.bincount(choice, minlength=len(versions.versions))):
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
        version = self.version_for(schema.PTP, setting_for_table(setting, schema.PTP).value, dos)
        if version is None:
            return self._empty_ptp_edits()
        index = self._ptp_index(version)
        day = date_to_day(dos)
        rows = index.rows_among(np.asarray(codes, dtype=object))
        if only_applicable:  # filter the row numbers, not a frame of every row
            rows = rows[index.applies_on(rows, day)]
        return index.frame_for_rows(rows, day)

    def ptp_edits_for_code(
        self,
        code: object,
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> pd.DataFrame:
        """Every PTP edit where ``code`` is Column 1 or Column 2, in force on the date or not.

        Same columns as :meth:`ptp_edits_among` (``applies`` marks the rows in force), sorted
        rows in force first, then by ``column_1, column_2``. Column 1 rows are one range of the
        sorted pair keys (``code1 << 32 | code2``); Column 2 rows need one vectorised scan.
        """
        dos = self._dos(date_of_service)
        version = self.version_for(schema.PTP, setting_for_table(setting, schema.PTP).value, dos)
        key = encode_code(normalize_code(code) or "")
        if version is None or key < 0:
            return self._empty_ptp_edits()
        index = self._ptp_index(version)
        lo = int(np.searchsorted(index.keys, key << 32, "left"))
        hi = int(np.searchsorted(index.keys, (key + 1) << 32, "left"))
        as_column_2 = np.nonzero((index.keys & 0xFFFFFFFF) == key)[0]
        rows = np.unique(np.concatenate([np.arange(lo, hi), as_column_2]))
        frame = index.frame_for_rows(rows, date_to_day(dos))
        frame = frame.sort_values(["applies", "column_1", "column_2"], ascending=[False, True, True])
        return frame.reset_index(drop=True)

    def ptp_lists_codes(
        self,
        codes: np.ndarray | list[str],
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> np.ndarray:
        """Per code, whether the PTP table answering for the date has any row naming it (as
        Column 1 or Column 2, in force or not): ``len(ptp_edits_for_code(code)) > 0`` for a
        whole range at once (the spill functions' known-code check)."""
        dos = self._dos(date_of_service)
        version = self.version_for(schema.PTP, setting_for_table(setting, schema.PTP).value, dos)
        keys = encode_codes(np.asarray(codes, dtype=object))
        if version is None or len(keys) == 0:
            return np.zeros(len(keys), dtype=bool)
        listed = self._ptp_index(version).codes
        if len(listed) == 0:
            return np.zeros(len(keys), dtype=bool)
        position = np.minimum(np.searchsorted(listed, keys), len(listed) - 1)
        return (listed[position] == keys) & (keys >= 0)

    @staticmethod
    def _empty_ptp_edits() -> pd.DataFrame:
        """No edits, with the columns and dtypes of :meth:`ptp_edits_among`."""
        frame = PtpIndex.empty_matches().drop(columns="pair")
        frame["applies"] = np.zeros(0, dtype=bool)
        return frame
