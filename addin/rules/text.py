"""Vectorised text building for finding messages (whole columns, no per-row Python)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_text(values: object, length: int | None = None) -> pd.Series:
    """A column (Series, array, Categorical) or scalar as a ``str`` Series."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        return values.reset_index(drop=True).fillna("").astype(str)
    if isinstance(values, (np.ndarray, list, pd.Index, pd.Categorical)):
        return as_text(pd.Series(np.asarray(values, dtype=object)))
    if length is None:
        raise ValueError("length is needed for a scalar")
    return pd.Series([str(values)] * length, dtype=str)


_COLUMN_TYPES = (pd.Series, np.ndarray, list, pd.Index, pd.Categorical)


def _arrow_text(part: object):
    """A column part of :func:`cat` as a non-null Arrow ``large_string`` array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.large_string()
    categorical = part.array if isinstance(part, pd.Series) else part
    if isinstance(categorical, pd.Categorical):
        decoded = _categorical_text(categorical)
        if decoded is not None:
            return decoded
    if isinstance(part, np.ndarray) and np.issubdtype(part.dtype, np.integer):
        return pc.cast(pa.array(part), text)  # str(int) and Arrow agree on whole numbers
    plain = isinstance(part, pd.Series) and not isinstance(part.dtype, pd.CategoricalDtype)
    if plain and (part.dtype == "str" or part.dtype == object):
        try:
            array = pa.array(part, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # objects that are not all text
            array = None
        if array is not None and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            return pc.fill_null(array.cast(text), "")
        if array is not None and pa.types.is_null(array.type):
            return pa.array([""] * len(part), text)
    series = as_text(part)  # numbers, categories, mixed objects: exactly as before
    return pc.fill_null(pa.array(series, from_pandas=True).cast(text), "")


def _categorical_text(values: pd.Categorical):
    """A Categorical of text as an Arrow ``large_string`` array decoded in Arrow (missing
    reads ``""``), or None when its categories are not all text (numbers print differently)."""
    import pyarrow as pa

    categories = np.asarray(values.categories, dtype=object)
    if not all(type(c) is str for c in categories):
        return None
    labels = pa.array([*categories.tolist(), ""], pa.large_string())
    codes = np.asarray(values.codes, dtype=np.int64)
    codes = np.where(codes < 0, len(categories), codes)
    return labels.take(pa.array(codes))


def cat(*parts: object) -> pd.Series:
    """Concatenate text parts element-wise; scalars repeat, columns must have one length.

    One pass in pyarrow (``binary_join_element_wise``) over every part, not one pandas
    string addition per part.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    length = next((len(p) for p in parts if isinstance(p, _COLUMN_TYPES)), None)
    if length is None:
        return pd.Series(["".join(str(p) for p in parts)], dtype=str)
    text = pa.large_string()
    arrays: list = []
    pending = ""
    for part in parts:
        if isinstance(part, _COLUMN_TYPES):
            if pending:
                arrays.append(pa.scalar(pending, text))
                pending = ""
            arrays.append(_arrow_text(part))
        else:
            pending += str(part)
    if pending:
        arrays.append(pa.scalar(pending, text))
    joined = pc.binary_join_element_wise(*arrays, pa.scalar("", text))
    series = joined.to_pandas()
    return series if series.dtype == "str" or series.dtype == object else series.astype(str)


def choose(conditions: list[np.ndarray], choices: list[object], default: object = "") -> pd.Series:
    """``np.select`` for text: the first choice whose condition holds, else ``default``."""
    length = len(conditions[0]) if conditions else 0
    arrays = [as_text(c, length).to_numpy(dtype=object) for c in choices]
    base = as_text(default, length).to_numpy(dtype=object)
    out = np.select([np.asarray(c, dtype=bool) for c in conditions], arrays, base)
    return pd.Series(out, dtype=object).astype(str)


def iso_dates(values: object, missing: str = "") -> pd.Series:
    """Dates as ``YYYY-MM-DD`` text (``missing`` for NaT), formatted once per distinct date."""
    stamps = pd.Series(pd.to_datetime(pd.Series(values).reset_index(drop=True), errors="coerce"))
    codes, uniques = pd.factorize(stamps)
    texts = np.append(
        np.asarray(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d"), dtype=object), missing
    )
    return pd.Series(texts[codes], dtype=object).astype(str)


def int_text(values: object) -> pd.Series:
    """Whole numbers (row numbers, units, counts) as text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pa.array(np.asarray(values, dtype=np.int64))
    series = pc.cast(numbers, pa.large_string()).to_pandas()
    return series if series.dtype == "str" or series.dtype == object else series.astype(str)


rows_text = int_text


def map_text(values: object, mapping: dict, default: str = "") -> pd.Series:
    """Map each value through ``mapping`` (``default`` when absent) as text."""
    series = pd.Series(np.asarray(values, dtype=object)).astype(object)
    return series.map(mapping).fillna(default).astype(str)
