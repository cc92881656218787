"""Rows of a table by one key column, found without building a frame per key.

``{code: group for code, group in frame.groupby(key)}`` builds one DataFrame per distinct
code (tens of thousands for the full AOC and RVU tables: 0.3–0.5 s a table, paid by every
``cpt-addin lookup``). :class:`GroupedRows` sorts once (stable, so rows keep their table
order within a key) and slices the one group asked for.
"""

from __future__ import annotations

import numpy as np

from addin.lazy import pandas as pd


class GroupedRows:
    """``.get(key)``: the rows whose ``column`` equals ``key`` (table order), or None."""

    def __init__(self, frame: pd.DataFrame, column: str) -> None:
        keys = frame[column].astype(str).to_numpy(dtype=object)
        order = np.argsort(keys, kind="stable")
        self._frame = frame.iloc[order]
        sorted_keys = keys[order]
        self._keys, self._starts = np.unique(sorted_keys, return_index=True)
        self._ends = np.append(self._starts[1:], len(sorted_keys))

    def get(self, key: object, default: pd.DataFrame | None = None) -> pd.DataFrame | None:
        """The group of ``key`` (a DataFrame with the table's index), or ``default``."""
        if not len(self._keys):
            return default
        key = str(key)
        at = int(np.searchsorted(self._keys, key))
        if at >= len(self._keys) or self._keys[at] != key:
            return default
        return self._frame.iloc[self._starts[at] : self._ends[at]]

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return len(self._keys)
