"""The answers behind the Excel functions, cached so a recalculation costs microseconds.

Excel recalculates every formula of a sheet again and again, and classic xlwings calls the
UDF once per cell. The answers here are keyed on canonical arguments (see
:mod:`addin.excel.cells`) and kept until the shared reference data is replaced
(``get_reference_data(reload=True)``; a new quarter imported by ``cpt-addin data import``
reaches Excel when the UDF server restarts), so a repeated call is a dictionary lookup. Every answer is worded by the modules the CLI uses
(:mod:`addin.explain`, :mod:`addin.verdicts`, :mod:`addin.suggest`).

Descriptions have a bulk path: every code known on a date is described in one vector query
(~0.2–0.3 s with full CMS tables, the cost of about 10 single lookups) and kept, so each
further new code on that date is a dictionary lookup (~1 µs instead of ~20 ms). The first
:data:`EAGER_BULK_DATES` dates asked about take it at their first cache miss (a sheet
usually asks about one date, or today); any later date once it has missed the cache
:data:`BULK_AFTER_MISSES` times, so a sheet with a date per row does not pay a bulk query
per row, and thousands of ``CPT_DESC`` cells pay for at most about twice the cheapest
strategy.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable
from typing import Any

from addin import validation
from addin.codes import Setting, code_category
from addin.excel.cells import gc_paused
from addin.explain import describe_code, short_description, short_descriptions
from addin.reference import ReferenceData, get_reference_data
from addin.suggest import Suggestion, suggest_modifiers
from addin.validation import CodeInputError
from addin.verdicts import PairVerdict, edit_summaries, pair_verdict

MAX_ENTRIES = 200_000
BULK_AFTER_MISSES = 20
EAGER_BULK_DATES = 4

_lock = threading.Lock()
_caches: list[dict] = []
_state: dict[str, Any] = {"reference": None}


def reference() -> ReferenceData:
    """The shared reference data; a new object (after a reload) empties every cache."""
    ref = get_reference_data()
    if ref is not _state["reference"]:
        with _lock:
            if ref is not _state["reference"]:
                for cache in _caches:
                    cache.clear()
                _state["reference"] = ref
    return ref


def clear() -> None:
    """Forget every cached answer (tests, or after importing new tables in-process)."""
    with _lock:
        for cache in _caches:
            cache.clear()
        _state["reference"] = None


def _memo(func: Callable[..., Any]) -> Callable[..., Any]:
    """Cache ``func(reference, *key)`` on ``key`` (hashable canonical arguments)."""
    cache: dict[tuple, Any] = {}
    _caches.append(cache)

    @functools.wraps(func)
    def wrapper(*key: Any) -> Any:
        ref = reference()
        try:
            return cache[key]
        except KeyError:
            pass
        value = func(ref, *key)
        if len(cache) >= MAX_ENTRIES:
            cache.clear()
        cache[key] = value
        return value

    return wrapper


# ---------------------------------------------------------------- input checks
@_memo
def code_problem(
    ref: ReferenceData, code: str | None, date_of_service: dt.date, what: str, ptp_setting: Setting | None = None
) -> str | None:
    """:func:`addin.validation.code_problem` (missing, malformed or unknown), cached."""
    return validation.code_problem(ref, code, date_of_service, what, ptp_setting)


@_memo
def pair_problem(
    ref: ReferenceData,
    code1: str | None,
    code2: str | None,
    mods1: tuple[str, ...],
    mods2: tuple[str, ...],
    date_of_service: dt.date,
    setting: Setting,
) -> str | None:
    """Why a PTP question cannot be answered (:func:`addin.validation.check_pair`: setting,
    both codes, both modifier lists), or None; cached, so a recalculation costs one lookup."""
    try:
        validation.check_pair(ref, code1, code2, mods1, mods2, date_of_service, setting)
    except CodeInputError as exc:
        return str(exc)
    return None


@_memo
def _modifier_problem(ref: ReferenceData, modifier: str, what: str) -> str | None:
    return validation.modifier_problem(ref, modifier, what)


_range_problems: dict[tuple[str, dt.date, Setting | None], str | None] = {}
_caches.append(_range_problems)


def code_problems(codes: list[str], date_of_service: dt.date, ptp_setting: Setting | None = None) -> dict[str, str]:
    """``{code: why}`` for the codes of a range that are malformed or unknown (spill
    tables): :func:`addin.validation.code_problems`, one vector query for the codes not
    asked before, then cached per code like the other answers."""
    ref = reference()
    distinct = list(dict.fromkeys(codes))
    new = [code for code in distinct if (code, date_of_service, ptp_setting) not in _range_problems]
    if new and len(_range_problems) + len(new) >= MAX_ENTRIES:
        _range_problems.clear()
        new = distinct
    if new:
        found = validation.code_problems(ref, new, date_of_service, "code", ptp_setting)
        _range_problems.update({(code, date_of_service, ptp_setting): found.get(code) for code in new})
    out = {}
    for code in distinct:
        problem = _range_problems.get((code, date_of_service, ptp_setting))
        if problem is not None:
            out[code] = problem
    return out


def ptp_setting_problem(setting: Setting) -> str | None:
    """Why the PTP table cannot answer in ``setting`` (``dme``), or None."""
    try:
        validation.check_setting(setting, "ptp")
    except CodeInputError as exc:
        return str(exc)
    return None


def require_code(
    code: str | None, date_of_service: dt.date, what: str = "code", ptp_setting: Setting | None = None
) -> str:
    """The code, or :class:`~addin.validation.CodeInputError` naming why no answer is given
    about it (the same check as the CLI and the server)."""
    problem = code_problem(code, date_of_service, what, ptp_setting)
    if problem is not None:
        raise CodeInputError(problem)
    return code  # type: ignore[return-value]


def require_modifiers(mods: tuple[str, ...], what: str = "modifiers") -> tuple[str, ...]:
    """The modifiers, or :class:`~addin.validation.CodeInputError` naming the first that is
    malformed or not in the loaded modifier list."""
    for mod in mods:
        problem = _modifier_problem(mod, what)
        if problem is not None:
            raise CodeInputError(problem)
    return mods


# ---------------------------------------------------------------- descriptions
_descriptions: dict[tuple[str, dt.date], str] = {}
_bulk_done: dict[dt.date, dict[str, str]] = {}
_misses: dict[dt.date, int] = {}
_caches.extend([_descriptions, _bulk_done, _misses])


def description(code: str, date_of_service: dt.date) -> str:
    """``CPT_DESC``: :func:`addin.explain.short_description` of the code on the date."""
    ref = reference()
    key = (code, date_of_service)
    text = _descriptions.get(key)
    if text is not None:
        return text
    # under the "error" stale policy each answer goes through code_info, which refuses it
    bulk = _bulk_done.get(date_of_service) if ref.stale_policy != "error" else None
    if bulk is None and ref.stale_policy != "error":
        misses = _misses.get(date_of_service, 0) + 1
        _misses[date_of_service] = misses
        if misses >= BULK_AFTER_MISSES or len(_bulk_done) < EAGER_BULK_DATES:
            bulk = _describe_all(ref, date_of_service)
    if bulk is not None:
        text = bulk.get(code)
        if text is None:  # no table knows it: the same words code_info would give
            text = describe_code(code, code_category(code), False, False, "", "", date_of_service)
    else:
        text = short_description(ref.code_info(code, date_of_service))
    if len(_descriptions) >= MAX_ENTRIES:
        _descriptions.clear()
    _descriptions[key] = text
    return text


def _describe_all(ref: ReferenceData, date_of_service: dt.date) -> dict[str, str]:
    codes = ref.known_codes(date_of_service)
    frame = ref.descriptions_frame(codes, date_of_service)
    bulk = dict(zip(frame["code"].tolist(), short_descriptions(frame, date_of_service), strict=True))
    _bulk_done[date_of_service] = bulk
    return bulk


def descriptions(codes: list[str], date_of_service: dt.date) -> list[str]:
    """``CPT_DESC_TABLE``: one description per code (``""`` for an empty code), vectorised
    over the distinct codes."""
    ref = reference()
    with gc_paused():
        unique = list(dict.fromkeys(codes))
        frame = ref.descriptions_frame(unique, date_of_service)
        texts = dict(zip(unique, short_descriptions(frame, date_of_service), strict=True))
        return [texts[code] for code in codes]


# ---------------------------------------------------------------- pairs and suggestions
@_memo
def verdict(
    ref: ReferenceData,
    code1: str,
    code2: str,
    mods1: tuple[str, ...],
    mods2: tuple[str, ...],
    date_of_service: dt.date,
    setting: Setting,
) -> PairVerdict:
    """``CPT_CONFLICTS``: the verdict :func:`addin.verdicts.pair_verdict` gives the CLI."""
    return pair_verdict(ref, code1, code2, list(mods1), list(mods2), date_of_service, setting)


@_memo
def suggestions(
    ref: ReferenceData,
    code: str,
    other_code: str | None,
    date_of_service: dt.date,
    setting: Setting,
) -> tuple[Suggestion, ...]:
    """``SUGGEST_MODIFIERS``: :func:`addin.suggest.suggest_modifiers`, as a tuple."""
    return tuple(suggest_modifiers(ref, code, other_code, date_of_service, setting))


@_memo
def data_version(ref: ReferenceData) -> str:
    """``CPT_DATA_VERSION``: every loaded table version in one line."""
    return ref.data_version_text()


def conflict_rows(codes: list[str], date_of_service: dt.date, setting: Setting) -> list[list[Any]]:
    """``CPT_CONFLICTS_TABLE``: every edit in force among the codes: Column 1, Column 2,
    indicator, verdict, rationale, effective, deletion; Column 1 codes in the order they
    first appear in the range.

    Built column by column (a few thousand codes can share hundreds of thousands of edits);
    every value is already a plain ``str``/``int`` a cell can hold.
    """
    ref = reference()
    frame = ref.ptp_edits_among(codes, date_of_service, setting)
    if frame.empty:
        return []
    with gc_paused():
        return _conflict_rows(frame, codes)


def _conflict_rows(frame, codes: list[str]) -> list[list[Any]]:
    import numpy as np
    import pandas as pd

    col1 = frame["column_1"].to_numpy(dtype=object)
    # the edits come grouped by Column 1: order the groups by first appearance in the range
    starts = np.flatnonzero(np.r_[True, col1[1:] != col1[:-1]])
    lengths = np.diff(np.r_[starts, len(col1)])
    appearance = pd.Index(list(dict.fromkeys(codes)))
    runs = np.argsort(appearance.get_indexer(col1[starts]), kind="stable")
    lengths = lengths[runs]
    order = np.repeat(starts[runs] - np.cumsum(lengths) + lengths, lengths) + np.arange(len(col1))
    col1 = col1[order]
    col2 = frame["column_2"].to_numpy(dtype=object)[order]
    indicator = frame["modifier_indicator"].to_numpy(dtype=np.int64)[order]
    rationale = frame["rationale"].astype("category")
    rationale_text = np.asarray(rationale.cat.categories, dtype=object)[rationale.cat.codes.to_numpy()[order]]
    effective = frame["effective_date"].to_numpy()[order]
    deletion = frame["deletion_date"].to_numpy()[order]
    verdicts = _mark_governing(edit_summaries(indicator, col1, col2), col1, col2, indicator, effective, deletion)
    columns = (
        col1.tolist(),
        col2.tolist(),
        indicator.tolist(),
        verdicts,
        rationale_text.tolist(),
        _iso_dates(effective, ""),
        _iso_dates(deletion, "*"),
    )
    return list(map(list, zip(*columns, strict=True)))


def _mark_governing(verdicts: list[str], col1, col2, indicator, effective, deletion) -> list[str]:
    """Where several rows of one pair (either order) are in force, say which one governs —
    the order of :data:`addin.reference.ptp_index.GOVERNING_ORDER` (indicator 0 over 1, then
    the earliest effective, then the lower Column 1), as ``CPT_CONFLICTS`` and the checker
    decide — and that the others are overruled."""
    import numpy as np
    import pandas as pd

    from addin.codes import encode_codes
    from addin.reference.ptp_index import unordered_keys

    # one integer per unordered pair (table codes are valid 5-character codes)
    pair, _ = pd.factorize(unordered_keys(encode_codes(col1), encode_codes(col2)))
    rows_in_pair = np.bincount(pair)[pair]
    shared = np.flatnonzero(rows_in_pair > 1)
    if not len(shared):
        return verdicts
    days = lambda values: np.nan_to_num(  # noqa: E731 - unknown dates sort first
        np.asarray(values).astype("datetime64[D]").astype("float64"), nan=-1e12
    )
    rank = np.lexsort(
        (days(deletion)[shared], col2[shared].astype(str), col1[shared].astype(str),
         days(effective)[shared], indicator[shared], pair[shared])
    )
    ordered = shared[rank]
    first = np.r_[True, pair[ordered][1:] != pair[ordered][:-1]]
    governs = dict(zip(pair[ordered][first].tolist(), ordered[first].tolist(), strict=True))
    out = list(verdicts)
    for index in shared.tolist():
        winner = governs[pair[index]]
        count = int(rows_in_pair[index])
        if index == winner:
            out[index] = f"{out[index]} Governs: the strictest of {count} rows of this pair in force."
        else:
            out[index] = (
                f"Overruled: {count} rows of this pair are in force and the {col1[winner]}/"
                f"{col2[winner]} row (indicator {int(indicator[winner])}) governs. {out[index]}"
            )
    return out


def _iso_dates(values, missing: str) -> list[str]:
    import numpy as np

    days = np.asarray(values).astype("datetime64[D]")
    text = np.full(len(days), missing, dtype=object)
    known = ~np.isnat(days)
    if known.any():
        text[known] = np.datetime_as_string(days[known], unit="D")
    return text.tolist()


def check(frame, setting: Setting):
    """``CLAIM_CHECK``: :func:`addin.checker.check` on the claim range."""
    from addin.checker import check as run_check

    return run_check(frame, setting=setting, reference=reference(), source_name="Excel range")
