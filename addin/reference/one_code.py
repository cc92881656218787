"""``code_info`` for one code from the rows that name it, not from whole-table frames.

``cpt-addin lookup`` asks about one code: building the status of every code
(``code_status_frame``) and the pandas frames of whole tables cost more than the answer, and
importing pandas alone most of a second. Here each table version is read once as a pyarrow
table with a ``{code: row numbers}`` index (:meth:`Version.built_from_arrow`), and the rows of
the one code are plain dicts. The rules are those of the vector queries, applied to those
rows: the RVU global row and 26/TC/53 rows (:mod:`queries_fees`), the HCPCS Level II row
(:meth:`CodeQueries._hcpcs_status`), the MUE rows of each setting, the AOC rows (deletion
dates, the edits in force) and the full-release RVU absence. ``tests/test_lookup_fast_path.py``
pins every answer to :meth:`CodeQueries.code_info_from_frames` (the frame answer).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from typing import Any

from addin.codes import code_category
from addin.reference import indicators, schema
from addin.reference.models import AddonFact, CodeInfo, CodeNotes, FeeScheduleFact, MueFact
from addin.reference.versions import Version

_FEE_COLUMNS = (
    "status", "pctc", "global_days", "mult_proc", "bilat", "asst", "co_surg", "team_surg",
    "endo_base", "pric_ind",
)  # queries_fees.FEE_COLUMNS (that module imports numpy/pandas helpers this one avoids)
_CPT = re.compile(r"\d{5}|\d{4}[FT]")
_FULL_RVU_CODES = 5000  # queries_codes.FULL_RVU_CODES
_MUE_SETTINGS = ("practitioner", "hospital", "dme")


def _value(value: Any) -> Any:
    """A cell as the frame path sees it: NaN and NaT as None, timestamps as dates."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _key(value: Any) -> Any:
    return value  # the RVU, MUE and AOC frames are keyed by the code as stored


def _hcpcs_key(value: Any) -> str:
    return str(value).strip().upper()  # as CodeQueries._hcpcs_table cleans the code


class _Table:
    """One version's pyarrow table (read once) and its key columns as lists."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._keys: dict[tuple[str, str], list[Any]] = {}
        self._distinct: dict[tuple[str, str], set[Any]] = {}

    def keys(self, column: str, key=_key) -> list[Any]:
        """``column`` as keys, in row order (built once per column)."""
        name = (column, key.__name__)
        if name not in self._keys:
            values = self.table.column(column).to_pylist()
            if key is _hcpcs_key:  # inline: ~8,000 HCPCS codes, a function call each costs
                values = [str(value).strip().upper() for value in values]
            elif key is not _key:
                values = [key(value) for value in values]
            self._keys[name] = values
        return self._keys[name]

    def distinct(self, column: str) -> set[Any]:
        """The distinct values of ``column`` (built once)."""
        name = (column, "distinct")
        if name not in self._distinct:
            self._distinct[name] = set(self.keys(column))
        return self._distinct[name]


def _table(version: Version) -> _Table:
    return version.built_from_arrow("one_code", _Table)


def rows_of(version: Version, column: str, code: str, key=_key) -> list[dict[str, Any]]:
    """The rows of ``version`` whose ``column`` is ``code`` (table order), as dicts."""
    table = _table(version)
    keys = table.keys(column, key)
    rows, start = [], 0
    while True:
        try:
            start = keys.index(code, start)  # a C loop: no per-row Python over ~20,000 codes
        except ValueError:
            return rows
        row = table.table.slice(start, 1).to_pylist()[0]
        rows.append({name: _value(value) for name, value in row.items()})
        start += 1


def _distinct_codes(version: Version) -> set[Any]:
    """Every code the RVU release lists on any row (``FeeQueries._rvu_codes``)."""
    return _table(version).distinct("code")


def _source(version: Version, row: dict[str, Any]) -> str:
    return str(row.get("source")) if version.origin == "bundled" else version.label


# ---------------------------------------------------------------------- fee schedule


def _fee_fact(code: str, row: dict[str, Any], source: str) -> FeeScheduleFact:
    def number(name: str) -> float | None:
        value = row.get(name)
        return None if value is None else float(value)

    return FeeScheduleFact(
        code=code,
        modifier=_text(row.get("modifier")),
        **{column: _text(row.get(column)) for column in _FEE_COLUMNS},
        work_rvu=number("work_rvu"),
        nonfac_total=number("nonfac_total"),
        fac_total=number("fac_total"),
        source=source.strip(),
    )


def _rvu_facts(version: Version | None, code: str):
    """(global-row fact or None, its cleaned description, the 26/TC/53 facts, listed?)."""
    if version is None:
        return None, "", [], False
    rows = rows_of(version, "code", code, key=_key)
    global_row, components = None, []
    for row in rows:
        if _text(row.get("modifier")):
            components.append(_fee_fact(code, row, _source(version, row)))
        else:
            global_row = row  # the last global row answers (drop_duplicates keep="last")
    if global_row is None:
        return None, "", components, bool(rows)
    fact = _fee_fact(code, global_row, _source(version, global_row))
    return fact, _text(global_row.get("description")), components, True


# ---------------------------------------------------------------------- status


def _hcpcs_row(version: Version | None, code: str) -> dict[str, Any] | None:
    """The HCPCS Level II code row (not a modifier row) of the code, or None."""
    if version is None:
        return None
    rows = [r for r in rows_of(version, "code", code, key=_hcpcs_key) if r.get("kind") != "modifier"]
    return rows[-1] if rows else None


def _aoc_deletion(version: Version | None, code: str, code_column: str, date_column: str):
    """The code's deletion date in one AOC role, None when not listed in that role or some
    row of it has no deletion date (:meth:`CodeQueries._aoc_deletions`)."""
    if version is None or code == schema.CONTRACTOR_DEFINED_PRIMARY:
        return None
    ends = [row.get(date_column) for row in rows_of(version, code_column, code)]
    if not ends or any(end is None for end in ends):
        return None
    return max(ends)


def _rvu_absence(reference, code: str, dos: dt.date) -> tuple[str, bool]:
    """(reason, listed in another release) for a CPT code the full RVU release covering the
    date does not list (:meth:`CodeQueries._rvu_absence`); ``("", False)`` otherwise."""
    versions = reference.version_set(schema.RVU).versions
    if not versions or not _CPT.fullmatch(code):
        return "", False
    answering = reference.version_for(schema.RVU, schema.ALL_SETTINGS, dos)
    chosen = next(n for n, v in enumerate(versions) if v is answering)
    version = versions[chosen]
    listing = [_distinct_codes(v) for v in versions]
    full = version.origin == "imported" and len(listing[chosen]) >= _FULL_RVU_CODES
    covered = version.vintage is None or version.vintage <= dos
    if not full or not covered or code in listing[chosen]:
        return "", False
    words = f"not in the RVU release that covers {dos.isoformat()} ({version.label})"
    later = [v for n, v in enumerate(versions) if n > chosen and code in listing[n]]
    earlier = [v for n, v in enumerate(versions) if n < chosen and code in listing[n]]
    if later:
        return f"{words}; new in a later release: first listed in {later[0].label}", True
    if earlier:
        return f"{words}; deleted: last listed in {earlier[-1].label}", True
    return words, False


def _status(reference, code: str, dos: dt.date, fee, listed: bool, hcpcs_row) -> tuple[bool, str]:
    """(known, the first reason the code is not active on the date or ``""``), in the order
    of :meth:`CodeQueries.code_status_frame`."""
    aoc = reference.version_for(schema.AOC, schema.ALL_SETTINGS, dos)
    addon_end = _aoc_deletion(aoc, code, "addon_code", "addon_deletion_date")
    primary_end = _aoc_deletion(aoc, code, "primary_code", "primary_deletion_date")
    absence, listed_later = _rvu_absence(reference, code, dos)
    term = hcpcs_row.get("termination_date") if hcpcs_row else None
    start = hcpcs_row.get("effective_date") if hcpcs_row else None
    reasons = [
        fee is not None and fee.status in indicators.DELETED_STATUS
        and "deleted code (fee-schedule status D/F)",
        term is not None and term < dos
        and f"terminated on {term.isoformat()} (HCPCS Level II termination date)",
        addon_end is not None and addon_end < dos
        and f"deleted on {addon_end.isoformat()} (AOC add-on code deletion date)",
        primary_end is not None and primary_end < dos
        and f"deleted on {primary_end.isoformat()} (AOC primary-code deletion date)",
        absence,
        start is not None and start > dos
        and f"not effective until {start.isoformat()} (HCPCS Level II effective date)",
    ]
    known = (
        listed
        or hcpcs_row is not None
        or code in reference.note_rows
        or any(_mue_row(reference, code, dos, setting) is not None for setting in _MUE_SETTINGS)
        or listed_later
        or addon_end is not None
        or primary_end is not None
    )
    return known, next((reason for reason in reasons if reason), "")


# ---------------------------------------------------------------------- MUE and add-ons


def _mue_row(reference, code: str, dos: dt.date, setting: str):
    """(version, the code's last MUE row) in a setting on the date, None without units."""
    version = reference.version_for(schema.MUE, setting, dos)
    if version is None:
        return None
    rows = rows_of(version, "code", code, key=_key)
    if not rows or rows[-1].get("mue_units") is None:
        return None
    return version, rows[-1]


def _mue(reference, code: str, dos: dt.date, setting: str) -> MueFact | None:
    found = _mue_row(reference, code, dos, setting)
    if found is None:
        return None
    version, row = found
    return MueFact(
        code=code,
        mue_units=int(row["mue_units"]),
        mai=int(row["mai"]),
        rationale=_text(row.get("rationale")),
        setting=setting,
        source=_text(_source(version, row)),
    )


def _in_force(rows: list[dict[str, Any]], dos: dt.date) -> list[dict[str, Any]]:
    """AOC rows in force on the date (:meth:`AocQueries._aoc_in_force`)."""
    ends = ("deletion_date", "primary_deletion_date", "addon_deletion_date")
    return [
        row for row in rows
        if (row.get("effective_date") is None or row["effective_date"] <= dos)
        and all(row.get(column) is None or row[column] >= dos for column in ends)
    ]


def _addon(version: Version | None, code: str, dos: dt.date) -> AddonFact | None:
    """The add-on code edit in force (:meth:`AocQueries.addon`)."""
    if version is None:
        return None
    rows = _in_force(rows_of(version, "addon_code", code), dos)
    if not rows:
        return None
    primaries = [str(row.get("primary_code")) for row in rows]
    counts = Counter(int(row["edit_type"]) for row in rows)
    most = max(counts.values())
    starts = [row["effective_date"] for row in rows if row.get("effective_date") is not None]
    first = rows[0]
    return AddonFact(
        addon_code=code,
        edit_type=min(t for t, n in counts.items() if n == most),  # ties: the lower type
        primaries=sorted({p for p in primaries if p != schema.CONTRACTOR_DEFINED_PRIMARY}),
        contractor_defined=any(row.get("primary_code") == schema.CONTRACTOR_DEFINED_PRIMARY for row in rows),
        effective_date=min(starts) if starts else None,
        deletion_date=first.get("addon_deletion_date"),
        notes="; ".join(sorted({_text(row.get("notes")) for row in rows} - {""})),
        source=_text(_source(version, first)),
    )


def _addon_for(version: Version | None, code: str, dos: dt.date) -> list[str]:
    """Add-on codes listing the code as a primary in an edit in force (``addons_for_primary``)."""
    if version is None:
        return []
    rows = _in_force(rows_of(version, "primary_code", code), dos)
    return sorted({str(row.get("addon_code")) for row in rows})


# ---------------------------------------------------------------------- the answer


def _notes(row: dict[str, str] | None) -> tuple[str, CodeNotes | None]:
    if row is None:
        return "", None

    def split(name: str) -> list[str]:
        return [part.strip() for part in _text(row.get(name)).split(";") if part.strip()]

    plain = _text(row.get("description"))
    return plain, CodeNotes(
        description=plain,
        service_type=_text(row.get("service_type")),
        site_of_service=_text(row.get("site_of_service")),
        related_diagnoses=split("related_diagnoses"),
        related_procedures=split("related_procedures"),
        documentation=_text(row.get("documentation")),
        specialties=split("specialties"),
        source=_text(row.get("source")),
    )


def code_info(reference, code: str, dos: dt.date, setting: str) -> CodeInfo:
    """Everything known about one (normalised) code on a date in a setting, without the
    currency (``ReferenceData.code_info`` adds it): the same :class:`CodeInfo` as
    :meth:`CodeQueries.code_info_from_frames`."""
    rvu = reference.version_for(schema.RVU, schema.ALL_SETTINGS, dos)
    fee, fee_description, components, listed = _rvu_facts(rvu, code)
    hcpcs = reference.version_for(schema.HCPCS, schema.ALL_SETTINGS, dos)
    hcpcs_row = _hcpcs_row(hcpcs, code)
    known, reason = _status(reference, code, dos, fee, listed, hcpcs_row)
    description, description_source = "", ""
    if fee is not None and fee_description:
        description, description_source = fee_description, fee.source
    if not description and hcpcs_row is not None:
        description = _text(hcpcs_row.get("long_description")) or _text(hcpcs_row.get("short_description"))
        description_source = _text(_source(hcpcs, hcpcs_row))
    plain, notes = _notes(reference.note_rows.get(code))
    mue = _mue(reference, code, dos, setting)
    aoc = reference.version_for(schema.AOC, schema.ALL_SETTINGS, dos)
    addon = _addon(aoc, code, dos)
    sources = {fee.source if fee else "", mue.source if mue else "", addon.source if addon else "",
               description_source}
    return CodeInfo(
        code=code,
        date_of_service=dos,
        setting=setting,
        category=code_category(code),
        known=known,
        active=known and not reason,
        inactive_reason=reason if known else "",
        description=description,
        description_source=description_source,
        plain_description=plain,
        fee_schedule=fee,
        component_rows=components,
        mue=mue,
        addon=addon,
        addon_for=_addon_for(aoc, code, dos),
        notes=notes,
        sources=sorted(s for s in sources if s),
    )
