"""Add-on codes (AOC): an add-on is paid only with a primary procedure, same provider and date.

:func:`addon_lines` (cached on the context) finds, for each add-on line, its edit type in
force on the date of service, its listed primaries, and whether one of them (or any other
procedure) is billed for the same patient, by the same provider, on the same date — across
claims too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.reference.models import ADDON_TYPE_TEXT
from addin.reference.schema import ALL_SETTINGS, AOC, CONTRACTOR_DEFINED_PRIMARY
from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits
from addin.rules.text import cat

#: How many listed primaries a message names before "…".
PRIMARIES_SHOWN = 12

ADDON_COLUMNS = ["line", "edit_type", "listed_present", "other_procedure", "n_primaries", "source"]


@dataclass
class _CompactAoc:
    """One AOC table version as sorted numpy arrays (built once per table object)."""

    addon_codes: np.ndarray  # sorted unique add-on codes (object)
    starts: np.ndarray  # first row of each add-on code
    counts: np.ndarray  # rows of each add-on code
    edit_type: np.ndarray  # int64 per row
    primary: np.ndarray  # object per row ("CCCCC" = contractor-defined)
    effective: np.ndarray  # int64 days per row (NO_START when missing)
    deletion: np.ndarray  # int64 days per row (NO_END when active)
    primary_deletion: np.ndarray
    addon_deletion: np.ndarray
    source: np.ndarray  # object per row


_COMPACT: dict[int, tuple[pd.DataFrame, _CompactAoc]] = {}
_NO_START = np.iinfo(np.int64).min
_NO_END = np.iinfo(np.int64).max


def _days(values: pd.Series, missing: int) -> np.ndarray:
    stamps = pd.to_datetime(values, errors="coerce")
    days = stamps.to_numpy(dtype="datetime64[D]").astype(np.int64)
    return np.where(stamps.isna().to_numpy(), missing, days)


def _compact(table: pd.DataFrame) -> _CompactAoc:
    cached = _COMPACT.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    ordered = table.assign(addon_code=table["addon_code"].astype(str)).sort_values(
        "addon_code", kind="stable"
    )
    addon = ordered["addon_code"].to_numpy(dtype=object)
    codes, starts, counts = np.unique(addon, return_index=True, return_counts=True)
    compact = _CompactAoc(
        addon_codes=codes.astype(object),
        starts=starts.astype(np.int64),
        counts=counts.astype(np.int64),
        edit_type=pd.to_numeric(ordered["edit_type"], errors="coerce")
        .fillna(0)
        .to_numpy(dtype=np.int64),
        primary=ordered["primary_code"].astype(str).to_numpy(dtype=object),
        effective=_days(ordered["effective_date"], _NO_START),
        deletion=_days(ordered["deletion_date"], _NO_END),
        primary_deletion=_days(ordered["primary_deletion_date"], _NO_END),
        addon_deletion=_days(ordered["addon_deletion_date"], _NO_END),
        source=ordered["source"].astype(str).to_numpy(dtype=object),
    )
    _COMPACT.clear()  # keep one version per process: tables are cached by the data layer
    _COMPACT[id(table)] = (table, compact)
    return compact


def addon_lines(context: RuleContext) -> pd.DataFrame:
    """One row per add-on line with an edit in force (see the module docstring).

    An AOC row is in force on the date of service when the edit is effective on or before
    it and not deleted before it, and its primary is not deleted before it; an add-on code
    deleted before the date has no edit (CODE rules report the deleted code).

    Columns: ``line``, ``edit_type`` (the most frequent type among the rows in force),
    ``listed_present`` (a listed primary is on another line of the group), ``other_procedure``
    (another line of the group is not an add-on code), ``n_primaries`` and ``source``. The
    listed primaries in force stay in ``context.cache["aoc_listed"]`` for the messages.
    """
    lines = context.lines
    versions = context.reference.version_set(AOC, ALL_SETTINGS)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ADDON_COLUMNS})
    if not versions or lines.empty:
        return empty
    day = lines["day"].to_numpy()
    choice = versions.pick_many(day)
    categories = lines["cpt"].cat.categories
    line_code = lines["cpt"].cat.codes.to_numpy(dtype=np.int64)
    category_values = np.asarray(categories, dtype=object)
    is_addon = np.zeros(len(lines), dtype=bool)
    parts: list[tuple[np.ndarray, np.ndarray, _CompactAoc, np.ndarray]] = []
    for version_no in np.unique(choice):
        on = np.flatnonzero(choice == version_no)
        date = np.datetime64(int(day[on[0]]), "D").astype(object)
        table = context.reference.addon_edits(date)
        if table.empty or not len(category_values):
            continue
        compact = _compact(table)
        # match add-on codes once per distinct claim code, not once per line
        slot_of_category = pd.Index(compact.addon_codes).get_indexer(category_values)
        slot_all = np.append(slot_of_category, -1)[line_code[on]]
        found = slot_all >= 0
        is_addon[on[found]] = True
        addon_line = on[found]
        slot = slot_all[found]
        counts = compact.counts[slot]
        line_of_row = np.repeat(addon_line, counts)
        row = np.repeat(compact.starts[slot], counts) + (
            np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        when = day[line_of_row]
        live = (
            (compact.effective[row] <= when)
            & (when <= compact.deletion[row])
            & (when <= compact.primary_deletion[row])
            & (when <= compact.addon_deletion[row])
        )
        # each table row's primary as an index into the claim codes (-1: not on any claim)
        primary_category = pd.Index(categories).get_indexer(compact.primary)
        parts.append((line_of_row[live], row[live], compact, primary_category))
    if not parts:
        return empty
    line_of_row = np.concatenate([p[0] for p in parts])
    if not len(line_of_row):
        return empty
    edit_type = np.concatenate([p[2].edit_type[p[1]] for p in parts])
    contractor = np.concatenate([p[2].primary[p[1]] == CONTRACTOR_DEFINED_PRIMARY for p in parts])
    primary_idx = np.concatenate([p[3][p[1]] for p in parts])
    row_of = np.concatenate([p[1] for p in parts])
    # edit type: the most frequent among the rows in force (ties: the lower type)
    out_lines, first_row = np.unique(line_of_row, return_index=True)
    line_index = np.searchsorted(out_lines, line_of_row)
    max_type = int(edit_type.max()) + 1
    tally = np.bincount(line_index * max_type + edit_type, minlength=len(out_lines) * max_type)
    per_line_type = tally.reshape(len(out_lines), max_type).argmax(axis=1)
    # listed primaries on another line of the group (same patient, provider, date)
    listed = ~contractor
    group = lines["group"].to_numpy()
    width = len(categories) + 1
    key_values, key_counts = np.unique(group * width + line_code, return_counts=True)
    listed_line = line_of_row[listed]
    listed_idx = primary_idx[listed]
    keys = group[listed_line] * width + listed_idx
    pos = np.minimum(np.searchsorted(key_values, keys), len(key_values) - 1)
    found = (listed_idx >= 0) & (key_values[pos] == keys)
    count = np.where(found, key_counts[pos], 0) - (listed_idx == line_code[listed_line])
    present = np.zeros(len(out_lines), dtype=bool)
    present[line_index[listed][count > 0]] = True
    first_parts = np.searchsorted(np.cumsum([len(p[0]) for p in parts]), first_row, "right")
    source = np.array(
        [parts[k][2].source[row_of[i]] for k, i in zip(first_parts, first_row, strict=True)]
        if len(parts) > 1
        else parts[0][2].source[row_of[first_row]],
        dtype=object,
    )
    listed_primary = np.concatenate([p[2].primary[p[1]] for p in parts])[listed]
    non_addon = np.bincount(
        group, weights=(~is_addon).astype(float), minlength=int(group.max()) + 1
    )
    context.cache["aoc_listed"] = pd.DataFrame(
        {"line": listed_line, "primary_code": listed_primary}
    )
    return pd.DataFrame(
        {
            "line": out_lines,
            "edit_type": per_line_type.astype(np.int64),
            "listed_present": present,
            "other_procedure": non_addon[group[out_lines]] > 0,
            "n_primaries": np.bincount(line_index[listed], minlength=len(out_lines)),
            "source": source,
        }
    )


def primaries_text(context: RuleContext, lines: np.ndarray) -> pd.Series:
    """The listed primaries in force for each add-on line, as text (first few, then a count).

    Lists are joined once per (add-on code, number of primaries in force), not per line.
    """
    listed = context.cache.get("aoc_listed")
    if listed is None or listed.empty or not len(lines):
        return pd.Series([""] * len(lines), dtype=object)
    rows = listed[np.isin(listed["line"].to_numpy(), lines)]
    count = rows.groupby("line").size()
    codes = pd.Series(context.cpt[count.index.to_numpy()], index=count.index)
    signature = codes + "|" + count.astype(str)
    representative = pd.Series(signature.index, index=signature.to_numpy()).groupby(level=0).first()
    chosen = rows[rows["line"].isin(representative.to_numpy())].sort_values(
        ["line", "primary_code"]
    )

    def text(primaries: pd.Series) -> str:
        shown = ", ".join(primaries.iloc[:PRIMARIES_SHOWN])
        more = f" … ({len(primaries)} in all)" if len(primaries) > PRIMARIES_SHOWN else ""
        return shown + more

    by_line = chosen.groupby("line")["primary_code"].agg(text)
    by_signature = pd.Series(
        by_line.reindex(representative.to_numpy()).to_numpy(), index=representative.index
    )
    return (
        signature.map(by_signature).reindex(lines).fillna("").reset_index(drop=True).astype(object)
    )


def _addon_hits(context: RuleContext, keep: pd.Series) -> tuple[Hits, pd.DataFrame]:
    """The add-on lines of :attr:`RuleContext.addons` where ``keep`` holds, and their rows."""
    addons = context.addons[keep]
    return Hits(context, addons["line"]), addons


class AOC001(Rule):
    """Type 1 add-on code without any of its listed primary codes.

    **What it checks.** Each add-on code whose NCCI add-on edit in force on the date of
    service is **type 1**: one of the listed primary codes must be billed for the same
    patient, by the same provider, on the same date (on this claim or another).

    **Why CMS denies it.** An add-on code describes extra work done *with* a primary
    procedure; for type 1 only the listed primaries qualify, so without one the add-on line
    is denied.

    **Example.** 0397T (endoscopic cholangioscopy) with no 43260–43265 / 43274–43278 ERCP
    code that day.

    **Fix.** Bill the add-on with the listed primary procedure performed with it (same date,
    same provider), or remove the add-on line.
    """

    rule_id = "AOC001"
    family = "aoc"
    name = "aoc.type1_no_primary"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        hits, addons = _addon_hits(
            context, (addons["edit_type"] == 1) & ~addons["listed_present"].astype(bool)
        )
        if not hits:
            return no_findings()
        code = hits.code
        primaries = primaries_text(context, hits.line)
        message = cat(
            "ADD-ON WITHOUT PRIMARY: ",
            code,
            " is an add-on code (",
            ADDON_TYPE_TEXT[1],
            ") and none of its listed primaries is billed for this patient, provider and date. "
            "Listed primaries: ",
            primaries,
            ".",
        )
        suggestion = cat(
            "Bill ",
            code,
            " with the primary procedure it adds on to (",
            primaries,
            ") on the same date by the same provider, or remove it.",
        )
        return hits.findings(message=message, suggestion=suggestion, source=addons["source"])


class AOC002(Rule):
    """Type 3 add-on code without any of its listed primaries (the contractor may accept others).

    **What it checks.** Each add-on code whose edit in force is **type 3** and none of whose
    listed primaries is billed for the same patient, provider and date, while some other
    procedure is (with no procedure at all, AOC004 fires instead).

    **Why it matters.** For type 3 CMS lists some primaries and lets the contractor accept
    others; a claim without a listed primary may be denied depending on the contractor.

    **Example.** A type 3 add-on billed with a procedure that is not on its list.

    **Fix.** Check that the primary procedure is billed and that your contractor accepts it
    for this add-on; bill a listed primary when that is what was performed.
    """

    rule_id = "AOC002"
    family = "aoc"
    name = "aoc.type3_no_listed_primary"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        hits, addons = _addon_hits(
            context,
            (addons["edit_type"] == 3)
            & ~addons["listed_present"].astype(bool)
            & addons["other_procedure"].astype(bool),
        )
        if not hits:
            return no_findings()
        code = hits.code
        message = cat(
            "ADD-ON, NO LISTED PRIMARY: ",
            code,
            " is an add-on code (",
            ADDON_TYPE_TEXT[3],
            ") and none of the listed primaries is billed for this patient, provider and date. "
            "Listed primaries: ",
            primaries_text(context, hits.line),
            ".",
        )
        suggestion = cat(
            "Check that your contractor accepts the primary procedure billed with ",
            code,
            "; bill a listed primary when that is what was performed.",
        )
        return hits.findings(message=message, suggestion=suggestion, source=addons["source"])


class AOC003(Rule):
    """Type 2 add-on code: the contractor decides which primaries qualify (informational).

    **What it checks.** Each add-on code whose edit in force is **type 2** (no CMS list of
    primaries, shown as ``CCCCC``) while some other procedure is billed for the same patient,
    provider and date (with no procedure at all, AOC004 fires instead).

    **Why it matters.** The add-on is paid only with a primary procedure, but which
    primaries qualify is up to the Medicare contractor.

    **Example.** 77001 (fluoroscopic guidance for central venous access, type 2) with 36556.

    **Fix.** Nothing when the primary it adds on to is billed and your contractor accepts it.
    """

    rule_id = "AOC003"
    family = "aoc"
    name = "aoc.type2_contractor_defined"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        hits, addons = _addon_hits(
            context, (addons["edit_type"] == 2) & addons["other_procedure"].astype(bool)
        )
        if not hits:
            return no_findings()
        code = hits.code
        message = cat(
            "ADD-ON, CONTRACTOR-DEFINED PRIMARY: ",
            code,
            " is an add-on code (",
            ADDON_TYPE_TEXT[2],
            ").",
        )
        suggestion = cat(
            "Make sure the primary procedure ",
            code,
            " adds on to is billed on the same date "
            "by the same provider and that your contractor accepts it.",
        )
        return hits.findings(message=message, suggestion=suggestion, source=addons["source"])


class AOC004(Rule):
    """Type 2 or 3 add-on code billed with no other procedure at all that day.

    **What it checks.** Each add-on code whose edit in force is type 2 or 3, when no listed
    primary and no other (non-add-on) procedure is billed for the same patient, by the same
    provider, on the same date. (Type 1 add-ons are covered by AOC001.)

    **Why CMS denies it.** Whatever the primary list, an add-on code is never paid alone.

    **Example.** 77001 billed on its own for a patient and date.

    **Fix.** Bill the primary procedure performed with it on the same date by the same
    provider, or remove the add-on line.
    """

    rule_id = "AOC004"
    family = "aoc"
    name = "aoc.alone"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        addons = context.addons
        hits, addons = _addon_hits(
            context,
            addons["edit_type"].isin([2, 3])
            & ~addons["listed_present"].astype(bool)
            & ~addons["other_procedure"].astype(bool),
        )
        if not hits:
            return no_findings()
        code = hits.code
        type_text = addons["edit_type"].map(ADDON_TYPE_TEXT).astype(str).reset_index(drop=True)
        message = cat(
            "ADD-ON BILLED ALONE: ",
            code,
            " is an add-on code (",
            type_text,
            ") and no other procedure is billed for this patient, provider and date.",
        )
        suggestion = cat(
            "Bill the primary procedure performed with ",
            code,
            " on the same date by the same provider, or remove it.",
        )
        return hits.findings(message=message, suggestion=suggestion, source=addons["source"])


RULES = [AOC001, AOC002, AOC003, AOC004]
