"""Arguments as Excel sends them, and answers as cells can hold them.

Classic xlwings hands a UDF the raw cell values: a number cell as a float (``47383.0``; the
code ``00100`` typed into a number cell arrives as ``100.0``), an empty cell as ``None``, a
date cell as a ``datetime``, and a multi-cell range as a list (1-D for one row or column,
2-D otherwise). These helpers turn them into the canonical values of :mod:`addin.codes`
and raise :class:`CellInputError` with a message a coder can act on when they cannot.
:func:`excel_safe` makes sure a function never shows a traceback or a bare ``#VALUE!``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import gc
import logging
import math
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np

from addin.codes import (
    Setting,
    SettingNotAvailableError,
    is_valid_modifier_format,
    normalize_code,
    parse_date,
    setting_for_table,
    split_modifiers,
)
from addin.errors import CptAddinError
from addin.validation import CodeInputError

logger = logging.getLogger("addin.udfs")

F = TypeVar("F", bound=Callable[..., Any])


class CellInputError(ValueError):
    """An input the user can fix; the message goes into the cell as it is."""


#: Errors that mean "this input cannot be answered about": a message in a classic Excel
#: cell, HTTP 400 (``xlwings.XlwingsError``) from the server (:func:`call_for_server`).
INPUT_ERRORS = (CellInputError, CodeInputError, SettingNotAvailableError)
_for_server: contextvars.ContextVar[bool] = contextvars.ContextVar("cpt_addin_for_server", default=False)


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value)
    )


def single(value: Any, what: str) -> Any:
    """One value from an argument that may be a range: ``[[x]]`` or ``[x]`` -> ``x``.

    A range of several cells is refused with a message naming the argument (the spill
    functions take whole columns)."""
    if not isinstance(value, (list, tuple)):
        return value
    cells = list(_flatten(value))
    if not cells:
        return None
    if len(cells) == 1:
        return cells[0]
    raise CellInputError(
        f"{what}: expected one cell, got a range of {len(cells)} cells "
        "(use the _TABLE function for a column)"
    )


def code_arg(value: Any, what: str = "code") -> str | None:
    """A procedure code from a cell: ``47383.0`` -> ``"47383"``, ``100.0`` -> ``"00100"``;
    ``None`` for an empty cell."""
    value = single(value, what)
    if _is_blank(value):
        return None
    return normalize_code(value)


def date_arg(value: Any, what: str = "date") -> dt.date | None:
    """A date of service from a serial, a datetime or text; ``None`` for an empty cell."""
    value = single(value, what)
    if _is_blank(value):
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise CellInputError(
            f"Bad {what} {value!s}: use a date cell, YYYY-MM-DD or MM/DD/YYYY"
        ) from None


def setting_arg(value: Any, table: str | None = None) -> Setting:
    """``practitioner`` (default for an empty cell), ``hospital`` or ``dme``; with ``table``
    (``"ptp"``) a setting that table is not published for is refused, naming the valid ones."""
    value = single(value, "setting")
    try:
        value = None if _is_blank(value) else value
        return setting_for_table(value, table) if table else Setting.parse(value)
    except ValueError as exc:
        raise CellInputError(str(exc)) from None


def modifiers_arg(value: Any, what: str = "modifiers") -> tuple[str, ...]:
    """Modifiers from one cell (``"59,XS"``, ``"59 XS"``, ``59.0``) or a Mod1..Mod4 range."""
    mods = tuple(m for m in split_modifiers(value) if m)
    for mod in mods:
        if not is_valid_modifier_format(mod):
            raise CellInputError(
                f"Bad modifier {mod} in {what}: modifiers are 2 characters such as 59, XS, LT, 26"
            )
    return mods


def flag_arg(value: Any) -> bool:
    """TRUE/FALSE from a cell: ``True``, ``1``, ``"yes"``, ``"true"`` count as true."""
    value = single(value, "flag")
    if _is_blank(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "y", "1", "x", "on"}
    return bool(value)


def text_arg(value: Any, what: str) -> str:
    """Plain text from one cell (``""`` for an empty cell)."""
    value = single(value, what)
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def column_arg(value: Any) -> list[list[Any]]:
    """A range as rows of cells: a scalar becomes ``[[x]]``, a 1-D list one column."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        return []
    if all(not isinstance(item, (list, tuple)) for item in value):
        return [[item] for item in value]
    if isinstance(value, list) and all(type(row) is list for row in value):
        return value  # already rows of cells (what ndim=2 gives): no copy
    return [list(row) if isinstance(row, (list, tuple)) else [row] for row in value]


def code_list(rows: list[list[Any]]) -> list[str]:
    """Every cell of a range as a canonical code (``""`` for an empty cell), row by row;
    each distinct cell value is normalised once (a column repeats its codes)."""
    seen: dict[tuple[type, Any], str] = {}
    out = []
    for row in rows:
        for value in row:
            key = (type(value), value)
            code = seen.get(key)
            if code is None:
                code = seen[key] = "" if _is_blank(value) else (normalize_code(value) or "")
            out.append(code)
    return out


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large tables of plain values: the
    lists and strings cannot form cycles, and collections triggered by the allocations
    would otherwise cost more than building the table."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cell_value(value: Any) -> Any:
    """A value Excel can hold: numpy scalars as Python numbers, NaN/NaT as an empty cell,
    dates as ISO text (a spill range has no date format of its own)."""
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value.__class__.__name__ in {"NaTType", "NAType"}:
        return None
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()[:10]
    return value


def rows_out(header: Iterable[str] | None, rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    """A spill table: optional header row, then rows with Excel-safe values."""
    out = [list(header)] if header is not None else []
    with gc_paused():
        out.extend([cell_value(v) for v in row] for row in rows)
    return out


def call_for_server(func: Callable[..., Any], *args: Any) -> Any:
    """Call an Excel function for the server: an input error (:data:`INPUT_ERRORS`) raises
    ``xlwings.XlwingsError`` with its message, which the server answers with HTTP 400 (not
    retried by the Office.js client, shown as the cell's error) instead of cell text."""
    token = _for_server.set(True)
    try:
        return func(*args)
    finally:
        _for_server.reset(token)


def excel_safe(func: F) -> F:
    """Wrap an Excel function so every failure becomes a one-line message in the cell.

    :class:`CellInputError` and the project's own errors show their message (they name the
    bad input); anything unexpected shows the function name and the error type only, never
    claim contents, and the traceback (without the exception text) is logged to the Python
    console that xlwings' *Show Console* displays. Called through :func:`call_for_server`,
    input errors raise ``xlwings.XlwingsError`` instead (HTTP 400).
    """
    name = func.__name__

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (CellInputError, CptAddinError) as exc:
            if _for_server.get() and isinstance(exc, INPUT_ERRORS):
                from xlwings import XlwingsError

                raise XlwingsError(str(exc)) from None
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - a cell must never show a traceback
            logger.error(
                "%s failed with %s\n%s",
                name,
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            return f"{name}: unexpected error ({type(exc).__name__}); details: xlwings tab > Show Console"

    return wrapper  # type: ignore[return-value]


def claims_frame(value: Any):
    """A claim range (header row first) as a DataFrame of the cells as Excel sent them.

    Blank header cells become ``Column N``; rows with no value at all are dropped, so a
    range reaching past the last claim line does no harm.
    """
    import pandas as pd

    rows = column_arg(value)
    if len(rows) < 2:
        raise CellInputError("The claim range needs a header row and at least one claim line")
    header = [
        text_arg(name, "header") or f"Column {i + 1}" for i, name in enumerate(rows[0])
    ]
    body = [row for row in rows[1:] if not all(_is_blank(v) for v in row)]
    if not body:
        raise CellInputError("The claim range has a header row but no claim lines")
    return pd.DataFrame(body, columns=header, dtype=object)
