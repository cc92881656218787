"""The answers behind the Excel functions, cached so a recalculation costs microseconds.

Excel recalculates every formula of a sheet again and again, and classic xlwings calls the
UDF once per cell. The answers here are keyed on canonical arguments (see
:mod:`addin.excel.cells`) and kept until the shared reference data is replaced
(``get_reference_data(reload=True)``, e.g. after ``cpt-addin data import``), so a repeated
call is a dictionary lookup. Every answer is worded by the modules the CLI uses
(:mod:`addin.explain`, :mod:`addin.verdicts`, :mod:`addin.suggest`).

Descriptions have a bulk path: once a date of service has missed the cache
:data:`BULK_AFTER_MISSES` times, every code known on that date is described in one vector
query (~0.3 s with full CMS tables, the cost of about 20 single lookups), so a sheet with
thousands of ``CPT_DESC`` cells pays for at most about twice the cheapest strategy.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable
from typing import Any

from addin.codes import Setting, code_category
from addin.explain import describe_code, short_description, short_descriptions
from addin.reference import ReferenceData, get_reference_data
from addin.suggest import Suggestion, suggest_modifiers
from addin.verdicts import PairVerdict, edit_summary, pair_verdict

MAX_ENTRIES = 200_000
BULK_AFTER_MISSES = 20

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
    bulk = _bulk_done.get(date_of_service)
    if bulk is None:
        misses = _misses.get(date_of_service, 0) + 1
        _misses[date_of_service] = misses
        if misses >= BULK_AFTER_MISSES:
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
    """``CPT_DESC_TABLE``: one description per code (``""`` for an empty code), vectorised."""
    ref = reference()
    frame = ref.descriptions_frame(codes, date_of_service)
    return short_descriptions(frame, date_of_service)


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
    """``CPT_CONFLICTS_TABLE``: every edit in force among the codes, in the order the codes
    first appear: Column 1, Column 2, indicator, verdict, rationale, effective, deletion."""
    import numpy as np

    ref = reference()
    frame = ref.ptp_edits_among(codes, date_of_service, setting)
    if frame.empty:
        return []
    first_seen: dict[str, int] = {}
    for position, code in enumerate(codes):
        first_seen.setdefault(code, position)
    pos1 = frame["column_1"].map(first_seen).to_numpy()
    pos2 = frame["column_2"].map(first_seen).to_numpy()
    frame = frame.take(np.lexsort((np.maximum(pos1, pos2), np.minimum(pos1, pos2))))
    col1 = frame["column_1"].tolist()
    col2 = frame["column_2"].tolist()
    indicator = frame["modifier_indicator"].astype(int).tolist()
    verdicts = [edit_summary(i, a, b) for i, a, b in zip(indicator, col1, col2, strict=True)]
    return [
        list(row)
        for row in zip(
            col1,
            col2,
            indicator,
            verdicts,
            frame["rationale"].astype(str).tolist(),
            _iso_dates(frame["effective_date"], ""),
            _iso_dates(frame["deletion_date"], "*"),
            strict=True,
        )
    ]


def _iso_dates(values, missing: str) -> list[str]:
    import numpy as np

    days = values.to_numpy(dtype="datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = missing
    return text.tolist()


def check(frame, setting: Setting):
    """``CLAIM_CHECK``: :func:`addin.checker.check` on the claim range."""
    from addin.checker import check as run_check

    return run_check(frame, setting=setting, reference=reference(), source_name="Excel range")
