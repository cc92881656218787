"""Column validators: text columns in, typed canonical columns out, or the first bad cell.

Each works on a whole column at once (pyarrow compute / pandas), never row by row; when a
value is bad the row's line is looked up through :class:`RowContext` and an
:class:`InputFileError` names file, line, column and value.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from addin.reference.importers.common import RowContext


def _first(mask: np.ndarray | pd.Series) -> int | None:
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(positions[0]) if positions.size else None


def to_codes(
    text: pd.Series,
    ctx: RowContext,
    column: str,
    *,
    what: str = "a 5-character CPT/HCPCS code",
    allow_empty: bool = False,
) -> pd.Series:
    """Codes as canonical upper-case text; anesthesia numbers re-padded (``100`` -> ``00100``).

    Valid codes are five ASCII letters or digits (``CCCCC`` included, for the AOC file).
    """
    arr = pc.utf8_upper(pc.utf8_trim_whitespace(_arrow_text(text)))
    lengths = pc.utf8_length(arr)
    if pc.any(pc.less(lengths, 5)).as_py():
        # only the anesthesia range 00100-01999 starts with zeros a spreadsheet can drop
        digits = pc.and_(pc.less(lengths, 5), pc.ascii_is_decimal(arr))
        number = pc.cast(pc.if_else(digits, arr, "0"), pa.int64())
        short = pc.and_(digits, pc.and_(pc.greater_equal(number, 100), pc.less_equal(number, 1999)))
        arr = pc.if_else(short, pc.utf8_lpad(arr, 5, "0"), arr)
        lengths = pc.utf8_length(arr)
    valid = pc.and_(pc.equal(lengths, 5), pc.ascii_is_alnum(arr))
    if allow_empty:
        valid = pc.or_(valid, pc.equal(lengths, 0))
    bad = _first(pc.invert(valid).to_numpy(zero_copy_only=False))
    if bad is not None:
        value = text.iloc[bad]
        reason = (
            f"missing code (expected {what})" if not value.strip() else f"{value!r} is not {what}"
        )
        raise ctx.fail(bad, column, reason)
    return _pandas_text(arr, text.index)


def to_dates(
    text: pd.Series,
    ctx: RowContext,
    column: str,
    *,
    formats: tuple[str, ...] = ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y"),
    allow_missing: bool = True,
) -> pd.Series:
    """Parse a date column; ``""`` and ``*`` are NaT (missing / no deletion date).

    Formats are tried in order on the values still unparsed (pyarrow ``strptime``, vectorised);
    ``%Y%j`` is the Julian ``YYYYDDD`` form of the AOC file. ISO values with a time part
    (dates from spreadsheets) are cut to the date.
    """
    arr = pc.utf8_trim_whitespace(_arrow_text(text))
    missing = pc.is_in(arr, value_set=pa.array(["", "*"])).to_numpy(zero_copy_only=False)
    if not allow_missing:
        bad = _first(missing)
        if bad is not None:
            raise ctx.fail(bad, column, "missing date")
    if missing.all():  # a column the layout lost (derived PTP has no effective date)
        return pd.Series(
            np.full(len(text), np.datetime64("NaT", "s"), "datetime64[s]"), index=text.index
        )
    lengths = pc.utf8_length(arr)
    if pc.any(pc.greater(lengths, 10)).as_py():
        with_time = pc.match_substring_regex(arr, r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
        arr = pc.if_else(with_time, pc.utf8_slice_codeunits(arr, 0, 10), arr)
        lengths = pc.utf8_length(arr)
    digits = pc.ascii_is_decimal(arr)
    missing_arrow = pa.array(missing)
    result = None
    for fmt in formats:
        if result is not None:  # try the next format only on what is still unparsed
            pending = pc.and_(pc.is_null(result), pc.invert(missing_arrow))
            if not pc.any(pending).as_py():
                break
        parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
        exact = _exact_date(fmt, arr, lengths, digits, parsed)
        parsed = pc.if_else(exact, parsed, pa.scalar(None, parsed.type))
        result = parsed if result is None else pc.coalesce(result, parsed)
    assert result is not None
    numpy_dates = result.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    numpy_dates[missing] = np.datetime64("NaT", "s")
    unparsed = np.isnat(numpy_dates) & ~missing
    years = numpy_dates.astype("datetime64[Y]").astype("int64") + 1970
    out_of_range = ~np.isnat(numpy_dates) & ((years < 1900) | (years > 2199))
    bad = _first(unparsed | out_of_range)
    if bad is not None:
        raise ctx.fail(
            bad,
            column,
            f"{text.iloc[bad]!r} is not a date (expected {' or '.join(_fmt_names(formats))})",
        )
    return pd.Series(numpy_dates, index=text.index)


# where the day of the month sits in the text forms with optional zero padding
_DAY_PATTERNS = {
    "%Y-%m-%d": r"^\d{4}-\d{1,2}-(?P<day>\d{1,2})$",
    "%m/%d/%Y": r"^\d{1,2}/(?P<day>\d{1,2})/\d{4}$",
}


def _exact_date(fmt: str, arr, lengths, digits, parsed) -> pa.Array:
    """Where ``parsed`` really is the text's date.

    strptime accepts one-digit fields (``2022011``) and rolls impossible days over
    (``2025-02-30`` -> March 2, day 366 of a common year -> next year): demand the exact
    width for the digit-only forms and the same day (or year, for ``YYYYDDD``) back.
    """
    if fmt == "%Y%m%d":
        shaped = pc.and_(pc.equal(lengths, 8), digits)
        day = pc.cast(pc.if_else(shaped, pc.utf8_slice_codeunits(arr, 6, 8), "0"), pa.int64())
        return pc.fill_null(pc.and_(shaped, pc.equal(day, pc.day(parsed))), False)
    if fmt == "%Y%j":
        shaped = pc.and_(pc.equal(lengths, 7), digits)
        year = pc.cast(pc.if_else(shaped, pc.utf8_slice_codeunits(arr, 0, 4), "0"), pa.int64())
        return pc.fill_null(pc.and_(shaped, pc.equal(year, pc.year(parsed))), False)
    if fmt in _DAY_PATTERNS:
        day_text = pc.struct_field(pc.extract_regex(arr, _DAY_PATTERNS[fmt]), "day")
        day_text = pc.if_else(pc.is_valid(day_text), day_text, "0")
        same = pc.equal(pc.cast(day_text, pa.int64()), pc.day(parsed))
        return pc.fill_null(same, False)
    return pc.is_valid(parsed)


def stripped_category(text: pd.Series) -> pd.Series:
    """A repetitive text column (PTP rationale) as a category, stripped once per distinct value."""
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    stripped = pd.Index(uniques).astype(str).str.strip()
    final_codes, final_uniques = pd.factorize(stripped)
    return pd.Series(
        pd.Categorical.from_codes(final_codes[codes], categories=final_uniques), index=text.index
    )


def _pandas_text(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """A pyarrow string array as a pandas ``str`` Series."""
    return pd.Series(arr.to_pandas(), index=index).astype("str")


def _arrow_text(series: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text Series as a pyarrow string array (zero-copy for pyarrow-backed strings)."""
    try:
        return pa.array(series.array, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array(series.astype(str).to_numpy(dtype=object), type=pa.string())


def _fmt_names(formats: tuple[str, ...]) -> list[str]:
    names = {"%Y%m%d": "YYYYMMDD", "%Y-%m-%d": "YYYY-MM-DD", "%m/%d/%Y": "MM/DD/YYYY"}
    names["%Y%j"] = "YYYYDDD"
    return [names.get(f, f) for f in formats]


def to_choice(
    text: pd.Series,
    ctx: RowContext,
    column: str,
    allowed: Iterable[int],
    *,
    first_char: bool = False,
) -> pd.Series:
    """A small integer indicator (``0/1/9``, MAI ``1/2/3``) as int8.

    ``first_char`` reads the leading digit of texts such as ``"2 Date of Service Edit: Policy"``.
    """
    values = text.str.strip()
    if first_char:
        values = values.str.extract(r"^(\d)(?:\D|$)", expand=False).fillna("")
    choices = [str(a) for a in allowed]
    valid = values.isin(choices).to_numpy()
    bad = _first(~valid)
    if bad is not None:
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is not one of {', '.join(choices)}")
    return values.astype("int8")


def to_int(text: pd.Series, ctx: RowContext, column: str, *, minimum: int = 0) -> pd.Series:
    """A non-negative whole number column as int32."""
    valid = text.str.fullmatch(r"\d{1,9}").fillna(False).to_numpy(dtype=bool)
    bad = _first(~valid)
    if bad is not None:
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is not a whole number")
    values = text.astype("int64")
    bad = _first((values < minimum).to_numpy())
    if bad is not None:
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is below {minimum}")
    return values.astype("int32")


def to_float(text: pd.Series, ctx: RowContext, column: str) -> pd.Series:
    """A decimal column (RVUs, conversion factor); blank is NaN."""
    stripped = text.str.strip()
    values = pd.to_numeric(stripped.where(stripped != "", None), errors="coerce")
    bad = _first(values.isna().to_numpy() & (stripped != "").to_numpy())
    if bad is not None:
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is not a number")
    return values.astype("float64")
