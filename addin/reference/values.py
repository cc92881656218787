"""Small cell-value conversions shared by the reference query mixins."""

from __future__ import annotations

import datetime as dt

import numpy as np

from addin.lazy import pandas as pd


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _date_or_none(value: object) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date()


def _split_list(value: object) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


def _datetimes(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[ns]")
