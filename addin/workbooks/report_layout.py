"""Where things go in the report: sheet titles, parts of split sheets, links to claim rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Data rows a sheet holds below its header (Excel's 1,048,576 rows minus the header).
SHEET_DATA_ROWS = 1_048_575
#: Up to this many rows, long messages wrap and rows grow to fit (costly on huge sheets).
WRAP_ROWS_LIMIT = 10_000


def sheet_ref(title: str) -> str:
    """A sheet name as a formula prefix: ``Findings!`` or ``'Findings 2'!``."""
    if title.replace("_", "").isalnum():
        return f"{title}!"
    return "'" + title.replace("'", "''") + "'!"


def part_titles(base: str, count: int, limit: int) -> list[str]:
    """``[base]``, or ``[base, "base 2", ...]`` when ``count`` rows need more than one sheet."""
    parts = max(1, -(-count // limit))
    return [base if i == 0 else f"{base} {i + 1}" for i in range(parts)]


class ClaimLocator:
    """Maps an input row number (as the user sees it) to its cell on the Claims sheet(s).

    The Claims sheet lists ``claims.raw`` in order under one header row, split into parts of
    ``limit`` rows like the Findings sheet.
    """

    def __init__(self, input_rows: np.ndarray, titles: list[str], limit: int) -> None:
        self.index = pd.Index(np.asarray(input_rows, dtype=np.int64))
        if not self.index.is_unique:
            self.index = self.index.drop_duplicates()
        self.titles = titles
        self.limit = limit

    def locations(self, rows: np.ndarray) -> np.ndarray:
        """``'Claims'!A5``-style link targets for input rows (None when the row is not listed).

        An object array aligned with ``rows``; built column-wise (a report has ~10^5 links).
        """
        numbers = pd.to_numeric(pd.Series(rows), errors="coerce").fillna(-1).astype(np.int64)
        positions = self.index.get_indexer(numbers.to_numpy())
        out = np.full(len(positions), None, dtype=object)
        found = positions >= 0
        if not found.any():
            return out
        part, offset = np.divmod(positions[found], self.limit)
        prefixes = np.array([f"{sheet_ref(title)}A" for title in self.titles], dtype=object)
        out[found] = prefixes[part] + (offset + 2).astype(str).astype(object)
        return out
