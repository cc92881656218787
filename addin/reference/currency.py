"""Data currency: does the table version answering a date of service cover that date?

Every table version covers a period:

* PTP, MUE, AOC (quarterly NCCI releases): the quarter its vintage falls in.
* RVU: from its release to the next loaded release; the newest release covers its quarter.
* HCPCS (and POS): the quarter, or the year when the release names only a year
  (``period = year`` in ``data/versions.csv``).

For a date of service the answering version (:meth:`VersionSet.pick`) is **current** when the
date falls inside its period, **stale** when the date's period is later than the version's,
and **uncovered** when the date is before the oldest version. Stale and uncovered answers say
so in every door (CLI, Excel functions, server, batch check); with the policy ``error``
(``[data] stale = "error"`` in ``$CPT_ADDIN_HOME/config.toml`` or the check's ``--config``,
or ``CPT_ADDIN_STALE=error``) they are refused with :class:`StaleDataError` instead.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from addin.errors import DataUnavailableError, InputFileError
from addin.lazy import pandas as pd
from addin.reference import schema
from addin.reference.models import Currency, TableVersion
from addin.reference.ptp_index import date_to_day
from addin.reference.versions import VersionSet

CURRENT = "current"
STALE = "stale"
UNCOVERED = "uncovered"
MISSING = "missing"

WARN = "warn"
ERROR = "error"
POLICIES = (WARN, ERROR)
POLICY_ENV = "CPT_ADDIN_STALE"
CONFIG_FILE = "config.toml"

QUARTERLY = (schema.PTP, schema.MUE, schema.AOC, schema.RVU, schema.HCPCS)
_EPOCH = dt.date(1970, 1, 1)
_FOREVER = np.iinfo(np.int64).max
_NEVER = np.iinfo(np.int64).min


class StaleDataError(DataUnavailableError):
    """The policy is ``error`` and the table answering a date of service does not cover it."""


# ---------------------------------------------------------------------- periods


def quarter_label(day: dt.date) -> str:
    """``2026Q2`` for any date in April–June 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the date's quarter."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter_start(day: dt.date) -> dt.date:
    """The first day of the quarter after the date's."""
    start = quarter_start(day)
    return dt.date(start.year + 1, 1, 1) if start.month == 10 else dt.date(start.year, start.month + 3, 1)


def _kind(versions: VersionSet, index: int) -> str:
    version = versions.versions[index]
    return version.period_kind or "quarter"


def periods(versions: VersionSet) -> list[tuple[dt.date, dt.date, str] | None]:
    """For each version (oldest first): (first day, first day after, label), None when undated."""
    out: list[tuple[dt.date, dt.date, str] | None] = []
    for index, version in enumerate(versions.versions):
        vintage = version.vintage
        if vintage is None:
            out.append(None)
            continue
        if _kind(versions, index) == "year":
            out.append((dt.date(vintage.year, 1, 1), dt.date(vintage.year + 1, 1, 1), str(vintage.year)))
            continue
        start, end = quarter_start(vintage), next_quarter_start(vintage)
        later = versions.versions[index + 1].vintage if index + 1 < len(versions.versions) else None
        if version.table == schema.RVU and later is not None and later > vintage:
            start, end = vintage, later  # an RVU release answers until the next one
        out.append((start, end, quarter_label(vintage)))
    return out


def date_period(day: dt.date, kind: str) -> str:
    """The label of the date's period in the version's terms (year or quarter)."""
    return str(day.year) if kind == "year" else quarter_label(day)


# ---------------------------------------------------------------------- assessing


def assess(versions: VersionSet, table: str, setting: str, day: dt.date) -> Currency:
    """Currency of the answer for one date of service (see the module docstring)."""
    if not versions:
        return Currency(table=table, setting=setting, date_of_service=day, status=MISSING)
    index = int(versions.pick_many(np.array([date_to_day(day)], dtype=np.int64))[0])
    version = versions.versions[index]
    spans = periods(versions)
    span = spans[index]
    oldest = next((s for s in spans if s is not None), None)
    kind = _kind(versions, index)
    currency = Currency(
        table=table,
        setting=setting,
        date_of_service=day,
        vintage=version.vintage,
        origin=version.origin,
        version_period=span[2] if span else "undated",
        date_period=date_period(day, kind),
        oldest_period=oldest[2] if oldest else "",
    )
    if span is None:
        return currency
    if day >= span[1]:
        currency.status = STALE
    elif day < span[0]:
        currency.status = UNCOVERED
    return currency


def assess_days(versions: VersionSet, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vector form: (answering version index, status code) per int64 day.

    Status codes: 0 current, 1 stale, 2 uncovered (no version: every entry -1 / 0).
    """
    days = np.asarray(days, dtype=np.int64)
    if not versions:
        return np.full(len(days), -1, dtype=np.int64), np.zeros(len(days), dtype=np.int8)
    index = versions.pick_many(days)
    spans = periods(versions)
    starts = np.array([date_to_day(s[0]) if s else _NEVER for s in spans], dtype=np.int64)
    ends = np.array([date_to_day(s[1]) if s else _FOREVER for s in spans], dtype=np.int64)
    status = np.zeros(len(days), dtype=np.int8)
    status[days >= ends[index]] = 1
    status[days < starts[index]] = 2
    return index, status


STATUS_NAMES = {0: CURRENT, 1: STALE, 2: UNCOVERED}


def for_table(reference, table: str, setting: str, day: dt.date) -> Currency:
    """Currency of ``reference``'s answer for a table/setting on a date of service."""
    return assess(reference.version_set(table, setting), table, setting, day)


def code_tables(category: str | None, setting: str) -> list[tuple[str, str]]:
    """The tables a code card consults: RVU (or HCPCS for Level II codes), MUE, AOC."""
    describing = schema.HCPCS if category and category.startswith("HCPCS") else schema.RVU
    return [(describing, schema.ALL_SETTINGS), (schema.MUE, setting), (schema.AOC, schema.ALL_SETTINGS)]


def suffix(currencies: Iterable[Currency | None]) -> str:
    """The short notes of the stale/uncovered answers, space separated (``""`` when current)."""
    return " ".join(c.suffix for c in currencies if c is not None and c.suffix)


def with_suffix(text: str, currencies: Iterable[Currency | None]) -> str:
    """``text`` followed by the short notes (unchanged when every table is current)."""
    note = suffix(currencies)
    return f"{text} {note}" if note and text else text or note


# ---------------------------------------------------------------------- policy


def stale_policy(home: Path | None = None) -> str:
    """``warn`` (default) or ``error``: ``$CPT_ADDIN_STALE``, else ``[data] stale`` in
    ``$CPT_ADDIN_HOME/config.toml``."""
    configured = os.environ.get(POLICY_ENV, "").strip().lower()
    if configured:
        if configured not in POLICIES:
            raise InputFileError(POLICY_ENV, f"{configured!r}: use warn or error")
        return configured
    from addin.reference.paths import addin_home

    path = (home or addin_home()) / CONFIG_FILE
    if not path.exists():
        return WARN
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(str(path), f"not valid TOML: {exc}") from None
    return parse_policy(data.get("data", {}).get("stale"), str(path)) or WARN


def parse_policy(value: object, where: str) -> str | None:
    """A ``[data] stale`` value checked (None when not set)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text not in POLICIES:
        raise InputFileError(where, f"[data] stale = {value!r}: use \"warn\" or \"error\"")
    return text


def enforce(currencies: Iterable[Currency | None], policy: str) -> None:
    """Raise :class:`StaleDataError` under the ``error`` policy when an answer is not current."""
    if policy != ERROR:
        return
    bad = [c for c in currencies if c is not None and c.status in (STALE, UNCOVERED)]
    if bad:
        raise StaleDataError(
            " ".join(c.sentence for c in bad)
            + ' (refused: [data] stale = "error"; import the tables for that date, or set stale = "warn")'
        )


# ---------------------------------------------------------------------- batch checks

#: Finding families and the table their ``source`` names.
FAMILY_TABLES = {"ptp": schema.PTP, "mue": schema.MUE, "aoc": schema.AOC}


def _table_keys(setting: str) -> list[tuple[str, str]]:
    return [
        (schema.PTP, setting),
        (schema.MUE, setting),
        (schema.AOC, schema.ALL_SETTINGS),
        (schema.RVU, schema.ALL_SETTINGS),
        (schema.HCPCS, schema.ALL_SETTINGS),
    ]


def _days_of(dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    stamps = pd.to_datetime(dates, errors="coerce")
    known = stamps.notna().to_numpy()
    days = stamps.to_numpy(dtype="datetime64[D]").astype("int64")
    return days, known


def _label(day: int, kind: str) -> str:
    return date_period(_EPOCH + dt.timedelta(days=int(day)), kind)


def annotate_check(
    findings: pd.DataFrame,
    lines: pd.DataFrame,
    reference,
    setting: str,
    versions: list[TableVersion],
    policy: str | None = None,
) -> pd.DataFrame:
    """Mark a batch check's answers that came from a stale table or from no table.

    * Each PTP/MUE/AOC finding (and each finding whose ``source`` names an RVU or HCPCS
      table) dated outside its table's period gets the short note appended to ``source``
      (``… [PTP table 2024Q3 older than 2026Q2]``); "still active" in a stale PTP message
      becomes "not deleted in the 2024Q3 table".
    * Each :class:`TableVersion` in ``versions`` gets ``period`` and the count of lines it
      answered that it does not cover (``lines_stale``, ``lines_uncovered``, ``stale_periods``):
      the console summary and the report's banner are worded from them (:func:`banner_lines`).
    * With ``policy`` ``error`` (default: the reference's policy) any such line refuses the
      whole check with :class:`StaleDataError` (exit 2).
    """
    policy = policy or getattr(reference, "stale_policy", WARN)
    days, known = _days_of(lines["dos"]) if len(lines) else (np.zeros(0, np.int64), np.zeros(0, bool))
    days = days[known]
    # a streamed check passes one row per day of service with its line count
    weights = lines["count"].to_numpy()[known] if "count" in lines else None
    problems: list[str] = []
    by_key = {(v.table, v.setting, v.vintage): v for v in versions}
    # the distinct days of service and their line counts, once for every table
    unique, inverse, counts = np.unique(days, return_inverse=True, return_counts=True)
    if weights is not None:
        counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(unique)).astype(np.int64)
    for table, table_setting in _table_keys(setting):
        version_set = reference.version_set(table, table_setting)
        if not version_set:
            continue
        spans = periods(version_set)
        for number, span in enumerate(spans):
            described = by_key.get((table, table_setting, version_set.versions[number].vintage))
            if described is not None and span is not None:
                described.period = span[2]
        if not len(days):
            continue
        index, status = assess_days(version_set, unique)
        for number in np.unique(index[status > 0]):
            version = version_set.versions[int(number)]
            described = by_key.get((table, table_setting, version.vintage))
            kind = _kind(version_set, int(number))
            mine = index == number
            stale, uncovered = mine & (status == 1), mine & (status == 2)
            labels = sorted({_label(d, kind) for d in unique[stale | uncovered]})
            if described is not None:
                described.lines_stale = int(counts[stale].sum())
                described.lines_uncovered = int(counts[uncovered].sum())
                described.stale_periods = labels
            problems.append(
                f"{int(counts[stale | uncovered].sum())} line(s) dated {_span_text(labels)} have no "
                f"{table.upper()} table of their own (answered from {spans[int(number)][2]})"
            )
    if problems and policy == ERROR:
        raise StaleDataError(
            "; ".join(problems)
            + '. Refused: [data] stale = "error". Import the tables for those dates '
            "(cpt-addin data fetch, or cpt-addin data import), or set stale = \"warn\"."
        )
    return annotate_sources(findings, reference, setting)


def annotate_sources(findings: pd.DataFrame, reference, setting: str) -> pd.DataFrame:
    """Append the short currency note to each finding's ``source`` (see :func:`annotate_check`).

    Works on the distinct sources and dates (a few dozen), never string by string over the
    findings, except for the PTP messages that must name the stale table's period.
    """
    if not len(findings):
        return findings
    source_ids, source_uniques = pd.factorize(findings["source"], use_na_sentinel=True)
    # a missing source reads as "" (the last unique)
    source_uniques = pd.Index([*(str(u) for u in source_uniques), ""], dtype=object)
    source_ids = np.where(source_ids < 0, len(source_uniques) - 1, source_ids)
    # which table answered each finding, as a number into ``names``: the rule's family
    # (PTP, MUE, AOC) first, else the table its source names (RVU, HCPCS), else none
    names = [None, *sorted({*FAMILY_TABLES.values(), schema.RVU, schema.HCPCS})]
    number = {name: k for k, name in enumerate(names)}
    rule_ids, rule_uniques = pd.factorize(findings["rule"], use_na_sentinel=True)
    by_rule = np.array(
        [number.get(FAMILY_TABLES.get(str(r)), 0) for r in rule_uniques] + [0],
        dtype=np.int64,
    )
    by_text = np.array(
        [
            number[schema.RVU] if "RVU" in u else number[schema.HCPCS] if "HCPCS Level II" in u else 0
            for u in source_uniques
        ],
        dtype=np.int64,
    )
    table = by_rule[rule_ids]  # -1 (missing rule) reads the trailing 0
    table = np.where(table == 0, by_text[source_ids], table)
    days, known = _days_of(findings["dos"])
    note_ids = np.zeros(len(findings), dtype=np.int64)  # 0 = no note
    notes: list[tuple[str, str]] = [("", "")]
    note_number: dict[tuple[str, str], int] = {}
    for table_no in np.unique(table[table > 0]):
        name = names[int(table_no)]
        table_setting = setting if name in (schema.PTP, schema.MUE) else schema.ALL_SETTINGS
        version_set = reference.version_set(name, table_setting)
        mask = (table == table_no) & known
        if not version_set or not mask.any():
            continue
        unique, inverse = np.unique(days[mask], return_inverse=True)
        ids = np.zeros(len(unique), dtype=np.int64)
        for k, day in enumerate(unique):
            answer = assess(version_set, name, table_setting, _EPOCH + dt.timedelta(days=int(day)))
            if answer.suffix:
                note = (answer.suffix, answer.version_period)
                if note not in note_number:  # many days share one note
                    note_number[note] = len(notes)
                    notes.append(note)
                ids[k] = note_number[note]
        note_ids[np.flatnonzero(mask)] = ids[inverse.ravel()]
    flagged = note_ids != 0
    if not flagged.any():
        return findings
    import pyarrow as pa
    import pyarrow.compute as pc

    findings = findings.copy(deep=False)  # new columns below; the caller's frame stays as is
    pair_ids, pairs = pd.factorize(source_ids.astype(np.int64) * len(notes) + note_ids)
    texts = [
        f"{source_uniques[p // len(notes)]} {notes[p % len(notes)][0]}".strip()
        if p % len(notes)
        else source_uniques[p // len(notes)]
        for p in pairs
    ]
    findings["source"] = _text_series(pa.array(texts, pa.large_string()).take(pa.array(pair_ids)))
    ptp_stale = flagged & (table == number[schema.PTP])
    if ptp_stale.any():
        message = pa.array(findings["message"], from_pandas=True)
        if isinstance(message, pa.ChunkedArray):  # pandas 3 text columns may be chunked
            message = message.combine_chunks()
        if message.type != pa.large_string():
            message = message.cast(pa.large_string())
        if message.null_count:
            message = pc.fill_null(message, "")
        periods = np.array([period for _, period in notes], dtype=object)[note_ids]
        for period in sorted(set(periods[ptp_stale])):  # one pass per stale table period
            where = ptp_stale & (periods == period)
            replaced = pc.replace_substring(
                message.filter(pa.array(where)), "still active", f"not deleted in the {period} table"
            )
            message = pc.replace_with_mask(message, pa.array(where), replaced)
        findings["message"] = _text_series(message)
    return findings


def _text_series(array) -> pd.Series:
    """An Arrow string array as a pandas text Series (``str`` on pandas 3, object on 2)."""
    series = array.to_pandas()
    return series if series.dtype == "str" or series.dtype == object else series.astype(str)


def _span_text(labels: list[str]) -> str:
    if not labels:
        return ""
    return labels[0] if len(labels) == 1 else f"{labels[0]}–{labels[-1]}"


def banner_lines(versions: Iterable[TableVersion]) -> list[str]:
    """Plain sentences for the console summary and the report banner (empty when current)."""
    out = []
    for version in versions:
        setting = "" if version.setting == schema.ALL_SETTINGS else f" {version.setting}"
        name = f"{version.table.upper()}{setting}"
        if version.lines_stale:
            out.append(
                f"{version.lines_stale} line(s) were checked against the {name} table "
                f"{version.period} ({version.origin}), older than their dates of service "
                f"({_span_text([p for p in version.stale_periods])}): changes CMS published since "
                f"{version.period} are not known to these findings."
            )
        if version.lines_uncovered:
            out.append(
                f"{version.lines_uncovered} line(s) are dated before every loaded {name} table: "
                f"they were checked against {version.period} ({version.origin})."
            )
    return out


BANNER_TITLE = (
    "Data currency: some lines were checked against tables that do not cover their dates of "
    "service. Import the current CMS tables (cpt-addin data fetch, or cpt-addin data import) "
    "and check again before billing."
)
