"""Code status and descriptions: HCPCS Level II table, known/active status, descriptions and
``code_info`` (everything known about one code).

A mixin of :class:`addin.reference.data.ReferenceData`; it relies on that class's
version helpers (``version_for``, ``version_set``, ``_dos``, ``_days``) and tables.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

from addin.codes import Setting, code_category, normalize_code
from addin.lazy import pandas as pd
from addin.reference import indicators, schema
from addin.reference.models import CodeInfo, CodeNotes
from addin.reference.values import _datetimes, _split_list, _text
from addin.reference.versions import Version

#: An imported RVU release listing at least this many codes is a full CMS release: a CPT code
#: it does not list is not valid on the dates it covers (a full release lists ~16,800 codes).
FULL_RVU_CODES = 5000


@functools.lru_cache(maxsize=262_144)
def _category(code: str) -> str | None:
    """:func:`addin.codes.code_category`, cached: the bulk description of a date asks it for
    every known code (~20,000 regular-expression matches)."""
    return code_category(code)


def _date_text(values: np.ndarray) -> np.ndarray:
    """datetime64 values as ``YYYY-MM-DD`` text (``""`` for NaT)."""
    return pd.Series(values).dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


class CodeQueries:
    """Code status and descriptions for :class:`~addin.reference.data.ReferenceData`."""

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
        ``active``, ``inactive_reason`` (which table said so, and why), ``inactive_source``
        (that table's version label), ``status``, ``status_text`` and the fee indicators.

        A code is not active on a date when any table in force for that date says so, first
        reason first: fee-schedule status D/F; a HCPCS Level II termination date before the
        date; an AOC add-on deletion date (AOC_DelDT) or primary-code deletion date
        (Primary_Code_DelDT) before it (deletion dates are the last day in force); a CPT code
        absent from the full RVU release covering the date (new in a later release, or no
        longer listed); a HCPCS effective date after the date.
        """
        codes = np.asarray(codes, dtype=object)
        days = self._days(dates_of_service, len(codes))
        out = self.fee_schedule_frame(codes, days.astype("datetime64[D]"))
        unique = pd.unique(codes)
        categories = {code: _category(code) if type(code) is str else code_category(code) for code in unique}
        out["category"] = [categories.get(code) for code in codes] if len(codes) < 50_000 else pd.Series(codes).map(categories).to_numpy()
        in_hcpcs, term, start = self._hcpcs_status(codes, days)
        in_notes = self.notes.index.get_indexer(codes) >= 0 if len(self.notes) else np.zeros(len(codes), bool)
        mue_known = np.zeros(len(codes), dtype=bool)
        for setting in ("practitioner", "hospital", "dme"):
            mue = self.mue_frame(codes, days.astype("datetime64[D]"), setting)
            mue_known |= mue["mue_units"].notna().to_numpy()
        dos64 = days.astype("datetime64[D]").astype("datetime64[ns]")
        # one reason per table that says the code is not valid on the date, in this order;
        # the first decides (its table and vintage are named: ``inactive_source``)
        reasons: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

        def add(mask: np.ndarray, text: np.ndarray | str, source: np.ndarray | str) -> None:
            if mask.any():
                reasons.append((mask, np.broadcast_to(np.asarray(text, dtype=object), mask.shape),
                                np.broadcast_to(np.asarray(source, dtype=object), mask.shape)))

        status = out["status"].to_numpy(dtype=object)
        rvu_source = out["source"].fillna("").astype(str).to_numpy(dtype=object)
        deleted = np.isin(status, list(indicators.DELETED_STATUS))
        add(deleted, "deleted code (fee-schedule status D/F)", rvu_source)
        hcpcs_label = self._hcpcs_labels(days)
        terminated = ~np.isnat(term) & (term < dos64)
        add(terminated, "terminated on " + _date_text(term) + " (HCPCS Level II termination date)", hcpcs_label)
        addon_end, aoc_label = self._aoc_deletions(codes, days, "addon")
        addon_deleted = ~np.isnat(addon_end) & (addon_end < dos64)
        add(addon_deleted, "deleted on " + _date_text(addon_end) + " (AOC add-on code deletion date)", aoc_label)
        primary_end, _ = self._aoc_deletions(codes, days, "primary")
        primary_deleted = ~np.isnat(primary_end) & (primary_end < dos64)
        add(primary_deleted, "deleted on " + _date_text(primary_end) + " (AOC primary-code deletion date)", aoc_label)
        absent, absent_text, absent_source, listed_later = self._rvu_absence(codes, days, out)
        add(absent, absent_text, absent_source)
        not_yet = ~np.isnat(start) & (start > dos64)
        add(not_yet, "not effective until " + _date_text(start) + " (HCPCS Level II effective date)", hcpcs_label)
        # a code the AOC file dates, or some RVU release lists, is a real code (known)
        dated_by_aoc = ~np.isnat(addon_end) | ~np.isnat(primary_end)
        known = (
            out["in_fee_schedule"].to_numpy() | in_hcpcs | in_notes | mue_known | listed_later
            | dated_by_aoc
        )
        out["known"] = known
        reason = np.full(len(codes), "", dtype=object)
        source = np.full(len(codes), "", dtype=object)
        for mask, text, label in reversed(reasons):  # the first reason wins: assign it last
            reason[mask] = text[mask]
            source[mask] = label[mask]
        inactive = np.zeros(len(codes), dtype=bool)
        for mask, _, _ in reasons:
            inactive |= mask
        out["active"] = known & ~inactive
        out["inactive_reason"] = np.where(known, reason, "")
        out["inactive_source"] = np.where(known, source, "")
        out["status_text"] = [indicators.STATUS_TEXT.get(s, "") for s in status]
        return out

    def _hcpcs_labels(self, days: np.ndarray) -> np.ndarray:
        """The label of the HCPCS version answering for each day (``""`` when none)."""
        versions = self.version_set(schema.HCPCS)
        if not versions:
            return np.full(len(days), "", dtype=object)
        labels = np.asarray([v.label for v in versions.versions], dtype=object)
        return labels[versions.pick_many(days)]

    def _aoc_deletions(
        self, codes: np.ndarray, days: np.ndarray, role: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per code, its deletion date in the AOC version for its date, and that version's
        label. ``role="addon"``: the add-on code's own deletion date (AOC_DelDT);
        ``"primary"``: the primary-code deletion date (Primary_Code_DelDT) of a code listed
        as a primary. NaT when the code is not listed in that role or some row of it carries
        no deletion date (still listed as valid). CMS keeps deleted codes in the AOC file, so
        this dates deletions the HCPCS text files do not carry."""
        out = np.full(len(codes), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
        labels = np.full(len(codes), "", dtype=object)
        versions = self.version_set(schema.AOC)
        if not versions or len(codes) == 0:
            return out, labels
        code_column, date_column = (
            ("addon_code", "addon_deletion_date")
            if role == "addon"
            else ("primary_code", "primary_deletion_date")
        )
        choice = versions.pick_many(days)
        for version_no in np.unique(choice):
            version = versions.versions[version_no]

            def build(frame: pd.DataFrame) -> pd.Series:
                ends = pd.to_datetime(frame[date_column], errors="coerce")
                keys = frame[code_column].astype(str)
                keep = (keys != schema.CONTRACTOR_DEFINED_PRIMARY).to_numpy()
                ends, keys = ends[keep], keys[keep]
                grouped = ends.groupby(keys)
                # a code still listed without a deletion date on some row is not deleted
                return grouped.max().where(grouped.count() == grouped.size())

            ends = version.built(f"aoc_{role}_deletions", build)
            mask = choice == version_no
            out[mask] = _datetimes(ends.reindex(codes[mask]))
            labels[mask] = version.label
        return out, labels

    def _rvu_absence(
        self, codes: np.ndarray, days: np.ndarray, fees: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """CPT codes (Category I, II, III) that the full RVU release covering the date does
        not list: ``absent``, the reason (naming a later release that first lists the code —
        new in a later release — or an earlier one that last listed it — deleted), its
        source label, and ``listed`` (some release lists the code, so it is a real code).

        Applies only to a release imported from the CMS file with at least
        :data:`FULL_RVU_CODES` codes (the bundled sample and excerpts are partial) that covers
        the date (its vintage on or before it; a date before every release is not judged).
        """
        n = len(codes)
        absent = np.zeros(n, dtype=bool)
        text = np.full(n, "", dtype=object)
        source = np.full(n, "", dtype=object)
        listed_any = np.zeros(n, dtype=bool)
        versions = self.version_set(schema.RVU)
        if not versions or n == 0:
            return absent, text, source, listed_any
        cpt = pd.Series(codes, dtype=object).fillna("").astype(str).str.fullmatch(r"\d{5}|\d{4}[FT]")
        cpt = cpt.to_numpy(dtype=bool)
        if not cpt.any():
            return absent, text, source, listed_any
        choice = versions.pick_many(days)
        full = [v.origin == "imported" and len(self._rvu_codes(v)) >= FULL_RVU_CODES for v in versions.versions]
        listed = np.stack([self._rvu_codes(v).get_indexer(codes) >= 0 for v in versions.versions])
        vintage_days = np.asarray(
            [(v.vintage - dt.date(1970, 1, 1)).days if v.vintage else np.iinfo(np.int64).min
             for v in versions.versions], dtype=np.int64,
        )
        covered = vintage_days[choice] <= days
        in_release = listed[choice, np.arange(n)]
        absent = cpt & np.asarray(full, dtype=bool)[choice] & covered & ~in_release
        if not absent.any():
            return absent, text, source, listed_any
        labels = np.asarray([v.label for v in versions.versions], dtype=object)
        dos_text = pd.Series(days.astype("datetime64[D]")).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        index = np.arange(len(versions.versions))
        for row in np.flatnonzero(absent):
            chosen = choice[row]
            later = index[(index > chosen) & listed[:, row]]
            earlier = index[(index < chosen) & listed[:, row]]
            words = f"not in the RVU release that covers {dos_text[row]} ({labels[chosen]})"
            if len(later):
                words += f"; new in a later release: first listed in {labels[later[0]]}"
                listed_any[row] = True
            elif len(earlier):
                words += f"; deleted: last listed in {labels[earlier[-1]]}"
                listed_any[row] = True
            text[row] = words
            source[row] = labels[chosen]
        return absent, text, source, listed_any

    def _hcpcs_status(
        self, codes: np.ndarray, days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per code, from the HCPCS version that answers for its own date (as
        :meth:`code_info` does): listed?, termination date, effective date (datetime64)."""
        listed = np.zeros(len(codes), dtype=bool)
        term = np.full(len(codes), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
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
            parts.append(np.asarray(self._rvu_codes(rvu), dtype=object))
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
        # the rows of the one code (pyarrow, no pandas): see addin.reference.one_code
        from addin.reference import one_code

        return one_code.code_info(self, code, dos, setting)

    def code_info_from_frames(
        self,
        code: object,
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> CodeInfo:
        """:meth:`code_info` (without the currency) computed from the whole-table frames of
        the vector queries (``code_status_frame``, ``fee_schedule``, ``mue``, ``addon``): the
        answer the one-code path must equal (``tests/test_lookup_fast_path.py``)."""
        code = normalize_code(code) or ""
        dos = self._dos(date_of_service)
        setting = Setting.parse(setting).value
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
