"""What every rule sees: the claim lines keyed once, and reference lookups computed once.

Rules never loop over lines. They read whole columns from :class:`RuleContext`:

- ``lines``: the checked claim lines (positional index ``0..n-1``), with ``group`` = one id
  per (patient, provider, date of service). The patient is the patient id, or the claim id
  when the input has no patient column (or the cell is blank).
- ``pairs``: every two lines of one group (``line_a < line_b``), built without a merge: lines
  sorted by group, then each line paired with the lines after it in its group. Groups are
  small (a patient's services on one day), so this stays linear in the number of lines.
- cached lookups (``code_status``, ``mue``, ``ptp_edits`` ...) asked of
  :class:`~addin.reference.ReferenceData` once per distinct (code, date), not once per line.

Everything is keyed by patient, so the check of a partition of patients needs nothing outside
it: the checker may split a huge input by patient and check the parts one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from addin.claims.normalize import prepared_demographics
from addin.codes import Setting
from addin.verdicts import EM_ONLY_MODIFIERS

MODIFIER_SLOTS = ("mod1", "mod2", "mod3", "mod4")
#: A group (one patient, provider and date) larger than this is not paired line by line
#: (it would mean a missing patient/claim column; the checker notes it).
MAX_PAIR_GROUP = 2000

_TEXT_COLUMNS = ("claim_id", "patient_id", "provider_npi")
_CODE_COLUMNS = ("cpt", *MODIFIER_SLOTS, "modifiers", "dx", "pos")


def _as_text(column: pd.Series) -> pd.Series:
    """A column as ``str`` (``""`` for missing)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    return column.fillna("").astype(str)


def _as_category(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        if column.isna().any():
            column = column.cat.add_categories([""]) if "" not in column.cat.categories else column
            column = column.fillna("")
        return column
    return column.fillna("").astype(str).astype("category")


def prepare_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """The claim lines in the shape the rules read (copy; positional index).

    Missing canonical columns are added empty, identifiers become ``str``, code columns
    ``category`` with ``""`` for absent values, and ``group`` / ``day`` are computed.
    """
    frame = lines.reset_index(drop=True)
    out: dict[str, Any] = {}
    n = len(frame)
    out["row"] = (
        frame["row"].to_numpy(dtype=np.int64)
        if "row" in frame
        else np.arange(n, dtype=np.int64) + 2
    )
    for name in _TEXT_COLUMNS:
        out[name] = _as_text(frame[name]) if name in frame else pd.Series([""] * n, dtype=str)
    dos = pd.to_datetime(frame["dos"]) if "dos" in frame else pd.Series(pd.NaT, index=range(n))
    out["dos"] = dos.astype("datetime64[ns]")
    for name in _CODE_COLUMNS:
        out[name] = (
            _as_category(frame[name]) if name in frame else pd.Series(pd.Categorical([""] * n))
        )
    out["units"] = (
        pd.to_numeric(frame["units"], errors="coerce").fillna(1).astype(np.int64)
        if "units" in frame
        else np.ones(n, dtype=np.int64)
    )
    out.update(prepared_demographics(frame))  # dob, age, sex (the demographic rules)
    prepared = pd.DataFrame(out)
    patient = prepared["patient_id"]
    # no patient id: the claim stands for the patient (a prefix keeps the two apart). Not
    # NUL: pandas 2 hashes object strings as C strings, so every "\x00..." key would be one.
    patient_key = patient.where(patient != "", "\x1fclaim:" + prepared["claim_id"])
    day = prepared["dos"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    prepared["day"] = day
    prepared["group"] = _group_ids(patient_key, prepared["provider_npi"], day)
    prepared["patient_key"] = patient_key
    return prepared


def _group_ids(patient: pd.Series, provider: pd.Series, day: np.ndarray) -> np.ndarray:
    p_codes, p_uniques = pd.factorize(patient)
    v_codes, v_uniques = pd.factorize(provider)
    d_codes, d_uniques = pd.factorize(day)
    combined = (p_codes.astype(np.int64) * max(len(v_uniques), 1) + v_codes) * max(
        len(d_uniques), 1
    ) + d_codes
    ids, _ = pd.factorize(combined)
    return ids.astype(np.int64)


def code_categories(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, categories as object array) of a category column."""
    return column.cat.codes.to_numpy(dtype=np.int64), np.asarray(
        column.cat.categories, dtype=object
    )


@dataclass
class RuleContext:
    """The claim lines and everything the rules share (computed lazily, at most once)."""

    lines: pd.DataFrame
    reference: Any  # addin.reference.ReferenceData
    setting: str = Setting.practitioner.value
    rejected: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["row", "column", "reason", "raw"])
    )
    meta: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: scratch space for rule modules that share an intermediate result
    cache: dict[str, Any] = field(default_factory=dict)

    def memo(self, name: str, build: Callable[[], Any]) -> Any:
        """``build()`` once per context, shared by the rules that ask for ``name``."""
        if name not in self.cache:
            self.cache[name] = build()
        return self.cache[name]

    @classmethod
    def from_lines(
        cls,
        lines: pd.DataFrame,
        reference: Any,
        setting: object = Setting.practitioner,
        rejected: pd.DataFrame | None = None,
        meta: dict | None = None,
    ) -> RuleContext:
        """Prepare raw claim lines (``ClaimsInput.lines`` shape) and wrap them."""
        context = cls(
            lines=prepare_lines(lines),
            reference=reference,
            setting=Setting.parse(setting).value,
            meta=dict(meta or {}),
        )
        if rejected is not None:
            context.rejected = rejected.reset_index(drop=True)
        return context

    def __len__(self) -> int:
        return len(self.lines)

    # ------------------------------------------------------------------ plain columns
    @cached_property
    def patient_numbers(self) -> np.ndarray:
        """Each line's patient as a number (int64; equal numbers = the same ``patient_key``)."""
        return pd.factorize(self.lines["patient_key"])[0].astype(np.int64)

    @cached_property
    def claim_numbers(self) -> np.ndarray:
        """Each line's claim id as a number (int64; equal numbers = the same ``claim_id`` text,
        ``""`` included: combine with :attr:`patient_numbers` for a claim of one patient)."""
        return pd.factorize(self.lines["claim_id"])[0].astype(np.int64)

    @cached_property
    def cpt(self) -> np.ndarray:
        """The procedure code of each line (object array of str)."""
        codes, categories = code_categories(self.lines["cpt"])
        return categories[codes] if len(categories) else np.full(len(codes), "", dtype=object)

    @cached_property
    def modifier_matrix(self) -> np.ndarray:
        """The modifiers of each line in order, shape (n, 4), ``""`` where none."""
        out = np.empty((len(self.lines), len(MODIFIER_SLOTS)), dtype=object)
        for k, name in enumerate(MODIFIER_SLOTS):
            codes, categories = code_categories(self.lines[name])
            out[:, k] = categories[codes] if len(categories) else ""
        return out

    def has_modifier(self, modifiers: str | set[str] | frozenset[str] | list[str]) -> np.ndarray:
        """Lines carrying the modifier (or any of the modifiers) in one of the 4 slots."""
        wanted = [modifiers] if isinstance(modifiers, str) else list(modifiers)
        hit = np.zeros(len(self.lines), dtype=bool)
        for name in MODIFIER_SLOTS:
            hit |= self.lines[name].isin(wanted).to_numpy()
        return hit

    def modifier_slot_where(self, predicate: Callable[[pd.Series], np.ndarray]) -> pd.DataFrame:
        """Long table ``line, slot, modifier`` of the modifiers for which ``predicate`` holds
        (``predicate`` gets a category column's categories as a str Series)."""
        frames = []
        for k, name in enumerate(MODIFIER_SLOTS):
            codes, categories = code_categories(self.lines[name])
            if not len(categories):
                continue
            ok = np.asarray(predicate(pd.Series(categories, dtype=object)), dtype=bool)
            ok_codes = np.append(ok, False)  # -1 (missing) maps to the last entry
            hit = np.flatnonzero(ok_codes[codes])
            if len(hit):
                frames.append(
                    pd.DataFrame({"line": hit, "slot": k, "modifier": categories[codes[hit]]})
                )
        if not frames:
            return pd.DataFrame(
                {
                    "line": np.zeros(0, np.int64),
                    "slot": np.zeros(0, np.int64),
                    "modifier": np.zeros(0, object),
                }
            )
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def is_em(self) -> np.ndarray:
        """Lines whose code is an E/M visit (the codes 25 and 57 concern)."""
        return self.map_codes(is_em_codes)

    def map_codes(self, func: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Apply a vector function to each distinct procedure code, broadcast to the lines."""
        codes, categories = code_categories(self.lines["cpt"])
        if not len(categories):
            return np.asarray(func(np.full(len(codes), "", dtype=object)))
        values = np.asarray(func(categories))
        return values[codes]

    @cached_property
    def dates(self) -> np.ndarray:
        """Dates of service as ``datetime64[D]``."""
        return self.lines["day"].to_numpy().astype("datetime64[D]")

    # ------------------------------------------------------------------ groups and pairs
    @cached_property
    def group_sizes(self) -> np.ndarray:
        """Number of lines in each line's group (same patient, provider, date)."""
        group = self.lines["group"].to_numpy()
        counts = np.bincount(group) if len(group) else np.zeros(0, dtype=np.int64)
        return counts[group] if len(group) else np.zeros(0, dtype=np.int64)

    @cached_property
    def pairs(self) -> pd.DataFrame:
        """Every two lines of one group: ``line_a < line_b`` (positions in ``lines``)."""
        group = self.lines["group"].to_numpy()
        n = len(group)
        order = np.argsort(group, kind="stable")
        ordered = group[order]
        bounds = np.flatnonzero(np.diff(ordered)) + 1
        starts = np.concatenate([[0], bounds]).astype(np.int64)
        ends = np.concatenate([bounds, [n]]).astype(np.int64)
        sizes = ends - starts
        partners = np.repeat(ends, sizes) - np.arange(n) - 1
        too_big = sizes > MAX_PAIR_GROUP
        if too_big.any():
            self.notes.append(
                f"{int(too_big.sum())} group(s) of more than {MAX_PAIR_GROUP} lines for one "
                "patient, provider and date were not compared line by line (PTP, add-on and "
                "duplicate checks); check the patient and claim id columns"
            )
            partners[np.repeat(too_big, sizes)] = 0
        total = int(partners.sum()) if n else 0
        a = np.repeat(np.arange(n), partners)
        offsets = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners)
        b = a + 1 + offsets
        return pd.DataFrame({"line_a": order[a], "line_b": order[b]})

    # ------------------------------------------------------------------ reference lookups
    def per_code_date(
        self, lookup: Callable[[np.ndarray, np.ndarray], pd.DataFrame]
    ) -> pd.DataFrame:
        """Ask ``lookup(codes, dates)`` once per distinct (code, date); result aligned with lines."""
        codes, categories = code_categories(self.lines["cpt"])
        day = self.lines["day"].to_numpy()
        day_codes, day_uniques = pd.factorize(day)
        combined = codes * max(len(day_uniques), 1) + day_codes
        ids, uniques = pd.factorize(combined)
        if len(uniques) == 0:
            frame = lookup(np.zeros(0, dtype=object), np.zeros(0, dtype="datetime64[D]"))
            return frame.iloc[ids].reset_index(drop=True)
        ncat = max(len(day_uniques), 1)
        u_codes = uniques // ncat
        u_days = day_uniques[uniques % ncat]
        code_values = (
            np.append(categories, "")[u_codes]
            if len(categories)
            else np.full(len(uniques), "", object)
        )
        frame = lookup(code_values.astype(object), np.asarray(u_days).astype("datetime64[D]"))
        return _take_rows(frame, ids)

    def per_code_span(
        self,
        lookup: Callable[[np.ndarray, np.ndarray], pd.DataFrame],
        tables: list[tuple[str, str]],
        stable_columns: list[str],
    ) -> pd.DataFrame:
        """Like :meth:`per_code_date`, asked once per code and table versions, not per date.

        Lines are grouped by (code, the versions of ``tables`` answering their date). Each
        group is asked at its first and last date; when ``stable_columns`` agree at both ends
        (a code active at both ends of a span is active in between: a code's validity is one
        interval) the answer holds for the whole group, else the group's lines are asked
        date by date. Claim files span few versions and many dates, so this asks the data
        layer about ~2 × distinct codes instead of distinct (code, date) pairs.
        """
        n = len(self.lines)
        codes = self.lines["cpt"].cat.codes.to_numpy(dtype=np.int64)
        categories = np.append(np.asarray(self.lines["cpt"].cat.categories, dtype=object), "")
        day = self.lines["day"].to_numpy()
        day_ids, day_uniques = pd.factorize(day)
        signature_parts = []
        for table, setting in tables:
            versions = self.reference.version_set(table, setting)
            picks = (
                versions.pick_many(np.asarray(day_uniques))
                if versions
                else np.zeros(len(day_uniques), np.int64)
            )
            signature_parts.append(picks)
        if signature_parts and len(day_uniques):
            stacked = np.stack(signature_parts, axis=1)
            _, day_signature = np.unique(stacked, axis=0, return_inverse=True)
            day_signature = day_signature.reshape(-1)
        else:
            day_signature = np.zeros(len(day_uniques), dtype=np.int64)
        signature = day_signature[day_ids] if n else np.zeros(0, np.int64)
        key = codes * (int(signature.max()) + 1 if n else 1) + signature
        key_ids, _ = pd.factorize(key)
        n_keys = int(key_ids.max()) + 1 if n else 0
        first_day = np.full(n_keys, np.iinfo(np.int64).max)
        last_day = np.full(n_keys, np.iinfo(np.int64).min)
        np.minimum.at(first_day, key_ids, day)
        np.maximum.at(last_day, key_ids, day)
        key_code = np.zeros(n_keys, dtype=np.int64)
        key_code[key_ids] = codes
        key_signature = np.zeros(n_keys, dtype=np.int64)
        key_signature[key_ids] = signature
        frames_first: list[pd.DataFrame] = []
        frames_last: list[pd.DataFrame] = []
        order = []
        for sig in np.unique(key_signature):
            members = np.flatnonzero(key_signature == sig)
            order.append(members)
            values = categories[key_code[members]]
            frames_first.append(lookup(values, first_day[members].astype("datetime64[D]")))
            frames_last.append(lookup(values, last_day[members].astype("datetime64[D]")))
        if not order:
            return self.per_code_date(lookup)
        members = np.concatenate(order)
        at_first = pd.concat(frames_first, ignore_index=True)
        at_last = pd.concat(frames_last, ignore_index=True)
        stable = np.ones(len(members), dtype=bool)
        for column in stable_columns:
            a = at_first[column].to_numpy(dtype=object)
            b = at_last[column].to_numpy(dtype=object)
            stable &= (a == b) | (
                pd.isna(at_first[column]).to_numpy() & pd.isna(at_last[column]).to_numpy()
            )
        row_of_key = np.empty(n_keys, dtype=np.int64)
        row_of_key[members] = np.arange(len(members))
        take = row_of_key[key_ids]
        unstable_keys = np.zeros(n_keys, dtype=bool)
        unstable_keys[members[~stable]] = True
        unstable_lines = np.flatnonzero(unstable_keys[key_ids])
        if len(unstable_lines):
            subset = RuleContext(
                lines=self.lines.iloc[unstable_lines].reset_index(drop=True),
                reference=self.reference,
            )
            exact = subset.per_code_date(lookup)
            take[unstable_lines] = len(at_first) + np.arange(len(unstable_lines))
            at_first = pd.concat([at_first, exact], ignore_index=True)
        return _take_rows(at_first, take)

    @cached_property
    def code_status(self) -> pd.DataFrame:
        """:meth:`ReferenceData.code_status_frame` aligned with the lines."""
        from addin.reference.schema import ALL_SETTINGS, AOC, HCPCS, MUE, RVU

        return self.per_code_span(
            lambda codes, dates: self.reference.code_status_frame(codes, dates),
            [(RVU, ALL_SETTINGS), (HCPCS, ALL_SETTINGS), (AOC, ALL_SETTINGS)]
            + [(MUE, s) for s in ("practitioner", "hospital", "dme")],
            ["known", "active", "inactive_reason", "status"],
        )

    @cached_property
    def line_fees(self) -> pd.DataFrame:
        """The fee-schedule row each line is priced on, aligned with the lines.

        A line billed with 26, TC or 53 (the first of them in slot order) reads the RVU row
        with that MOD when the release for its date has one — that row carries its own
        STATUS and PC/TC indicator (e.g. 83020: global row PC/TC 9, status X; 26 row PC/TC
        6, status A) — and every other line the global row (:attr:`code_status`). Columns:
        the fee indicators (``status, pctc, global_days ...``), ``source`` and
        ``fee_modifier`` (the MOD of the row read, ``""`` for the global row). Asked once
        per distinct (code, modifier, RVU release).
        """
        from addin.reference.queries_fees import COMPONENT_MODIFIERS, FEE_COLUMNS
        from addin.reference.schema import ALL_SETTINGS, RVU

        status = self.code_status
        n = len(self.lines)
        columns = [*FEE_COLUMNS, "source"]
        out = pd.DataFrame(
            {
                c: _as_categorical(status[c]) if c in status else pd.Categorical([""] * n)
                for c in columns
            }
        )
        out["fee_modifier"] = pd.Categorical.from_codes(np.zeros(n, np.int64), categories=[""])
        component = np.full(n, "", dtype=object)
        for name in reversed(MODIFIER_SLOTS):  # the first slot wins: assign it last
            codes, categories = code_categories(self.lines[name])
            if not len(categories):
                continue
            wanted = np.append(pd.Index(categories).isin(COMPONENT_MODIFIERS), False)
            hit = np.flatnonzero(wanted[codes])
            component[hit] = categories[codes[hit]]
        lines = np.flatnonzero(component != "")
        versions = self.reference.version_set(RVU, ALL_SETTINGS)
        if not len(lines) or not versions:
            return out
        day = self.lines["day"].to_numpy()[lines]
        release = versions.pick_many(day)
        code = self.lines["cpt"].cat.codes.to_numpy(dtype=np.int64)[lines]
        mod_ids, mod_uniques = pd.factorize(component[lines])
        key = (code * len(mod_uniques) + mod_ids) * (len(versions.versions) + 1) + release
        key_ids, unique_keys = pd.factorize(key)
        first = np.zeros(len(unique_keys), dtype=np.int64)
        first[key_ids[::-1]] = np.arange(len(key_ids))[::-1]
        sample = lines[first]
        answer = self.reference.fee_rows_frame(
            self.cpt[sample], component[sample], day[first].astype("datetime64[D]")
        )
        row_of_line = key_ids
        found = answer["fee_modifier"].to_numpy(dtype=object)[row_of_line] != ""
        targets = lines[found]
        for column in [*columns, "fee_modifier"]:
            values = answer[column].to_numpy(dtype=object)[row_of_line][found]
            out[column] = _categorical_put(out[column], targets, values)
        return out

    @cached_property
    def mue(self) -> pd.DataFrame:
        """:meth:`ReferenceData.mue_frame` for the setting, aligned with the lines."""
        from addin.reference.schema import MUE

        return self.per_code_span(
            lambda codes, dates: self.reference.mue_frame(codes, dates, self.setting),
            [(MUE, self.setting)],
            ["mue_units", "mai"],
        )

    @cached_property
    def modifier_table(self) -> pd.DataFrame:
        """The modifier attributes (indexed by modifier)."""
        return self.reference.modifier_table

    @cached_property
    def known_modifiers(self) -> frozenset[str]:
        """Every modifier the loaded data knows."""
        return frozenset(self.reference.known_modifiers())

    @cached_property
    def ptp_edits(self) -> pd.DataFrame:
        """PTP edits in force between two lines of one group, with the bypass decision.

        See :func:`addin.rules.ptp.ptp_edits_for` (computed once, read by PTP001–PTP003).
        """
        from addin.rules.ptp import ptp_edits_for

        return ptp_edits_for(self)

    @cached_property
    def addons(self) -> pd.DataFrame:
        """Add-on lines with their edit type and primaries (see :func:`addin.rules.aoc.addon_lines`)."""
        from addin.rules.aoc import addon_lines

        return addon_lines(self)

    def version_label(self, table: str, setting: str, day: int | None = None) -> str:
        """Label of the table version answering for a day (the latest date when None)."""
        versions = self.reference.version_set(table, setting)
        if not versions:
            return ""
        if day is None:
            days = self.lines["day"].to_numpy()
            day = int(days.max()) if len(days) else None
        date = dt.date.today() if day is None else dt.date(1970, 1, 1) + dt.timedelta(days=day)
        return versions.pick(date).label


def _as_categorical(column: pd.Series) -> pd.Categorical:
    """A column as a Categorical (missing values stay missing)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array
    return pd.Categorical(column.astype(object))


def _categorical_put(column: pd.Series, targets: np.ndarray, values: np.ndarray) -> pd.Categorical:
    """``column`` with ``values`` put at the positions ``targets`` (as codes, no text copies)."""
    current = _as_categorical(column)
    value_codes, value_uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    categories = pd.Index(current.categories)
    new = pd.Index(value_uniques).difference(categories)
    if len(new):
        categories = categories.append(new)
        current = current.add_categories(new)
    codes = current.codes.astype(np.int64).copy()
    mapped = categories.get_indexer(value_uniques)
    codes[targets] = np.where(value_codes >= 0, mapped[np.maximum(value_codes, 0)], -1)
    return pd.Categorical.from_codes(codes, categories=current.categories)


def _take_rows(frame: pd.DataFrame, take: np.ndarray) -> pd.DataFrame:
    """``frame.iloc[take]``, text columns taken as categories (integer take, not string copies)."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or column.dtype == "str":
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
            out[name] = (
                pd.Categorical.from_codes(codes[take], categories=uniques)
                if len(uniques)
                else pd.Series([None] * len(take), dtype=object)
            )
        else:
            out[name] = column.to_numpy()[take]
    return pd.DataFrame(out)


def is_em_codes(codes: np.ndarray) -> np.ndarray:
    """Vector form of :func:`addin.verdicts.is_em_code`."""
    series = pd.Series(np.asarray(codes, dtype=object), dtype=object).fillna("").astype(str)
    digits = series.str.fullmatch(r"\d+")
    number = pd.to_numeric(series.where(digits, "0"), errors="coerce").fillna(0).to_numpy()
    return digits.to_numpy(dtype=bool) & (
        ((number >= 99202) & (number <= 99499)) | ((number >= 92002) & (number <= 92014))
    )


EM_ONLY = frozenset(EM_ONLY_MODIFIERS)
