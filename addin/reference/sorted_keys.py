"""Exact string lookup over a sorted fixed-width array: no hash table built per process.

A ``pd.Index`` over ~98,000 ICD-10-CM codes builds its hash table on the first lookup (tens of
milliseconds in every process). The code lists are cached sorted (:mod:`derived_cache`), so
a binary search answers instead; each candidate is then compared as a Python string with the
key, so the answer is exactly the hash lookup's (a key with trailing NULs or another type
never matches).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SortedKeys:
    """``keys``: a strictly increasing ``U`` array; ``order[i]``: the position of ``keys[i]``
    in the table (None: the table itself is sorted)."""

    keys: np.ndarray
    order: np.ndarray | None = None

    @classmethod
    def of(cls, values: np.ndarray) -> SortedKeys:
        """The lookup of a table's unique string ``values`` (any order)."""
        text = np.asarray(values, dtype=str)
        order = np.argsort(text, kind="stable")
        keys = text[order]
        if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():
            raise ValueError("the values are not unique")
        return cls(keys, order.astype(np.int64))

    def is_sound(self, size: int) -> bool:
        """True when ``keys`` is strictly increasing and ``order`` a permutation of ``size``."""
        keys = self.keys
        if keys.dtype.kind != "U" or len(keys) != size:
            return False
        if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():
            return False
        if self.order is None:
            return True
        order = self.order
        if len(order) != size or (size and (order.min() < 0 or order.max() >= size)):
            return False
        return bool((np.bincount(order, minlength=size) == 1).all())

    def positions(self, values: np.ndarray) -> np.ndarray:
        """The table position of each value (-1 when absent), as ``Index.get_indexer``."""
        values = np.asarray(values, dtype=object)
        if not len(values) or not len(self.keys):
            return np.full(len(values), -1, dtype=np.int64)
        text = values.astype(str)
        at = np.minimum(np.searchsorted(self.keys, text), len(self.keys) - 1)
        hit = self.keys[at].astype(object) == values
        found = at if self.order is None else self.order[at]
        return np.where(hit, found, -1).astype(np.int64)
