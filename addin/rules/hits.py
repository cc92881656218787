"""The claim lines a rule flags: what its messages name, and its findings frame on them.

Every rule picks line positions (a mask or an index into ``context.lines``), words a message
and a suggestion from the codes and spreadsheet rows of those lines, and returns a
:func:`~addin.rules.base.raw_findings` frame; :class:`Hits` does the picking and the framing
once for all of them, over whole columns.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from addin.rules.base import raw_findings
from addin.rules.context import RuleContext
from addin.rules.text import rows_text


def line_codes(context: RuleContext, line: np.ndarray) -> pd.Series:
    """The procedure code of each line at positions ``line``."""
    return pd.Series(context.cpt[line], dtype=object)


def line_rows(context: RuleContext, line: np.ndarray) -> pd.Series:
    """The spreadsheet row of each line at positions ``line``, as text."""
    return rows_text(context.lines["row"].to_numpy()[line])


class Hits:
    """Lines a rule flags (positions in ``context.lines``); false when there are none."""

    def __init__(self, context: RuleContext, line: object) -> None:
        self.context = context
        self.line = np.asarray(line, dtype=np.int64)

    @classmethod
    def where(cls, context: RuleContext, mask: object) -> Hits:
        """The lines where ``mask`` (one boolean per line) holds."""
        return cls(context, np.flatnonzero(np.asarray(mask, dtype=bool)))

    def __len__(self) -> int:
        return len(self.line)

    @cached_property
    def code(self) -> pd.Series:
        """The procedure code of each flagged line."""
        return line_codes(self.context, self.line)

    @cached_property
    def rows(self) -> pd.Series:
        """The spreadsheet row of each flagged line, as text."""
        return line_rows(self.context, self.line)

    def take(self, column: pd.Series) -> np.ndarray:
        """A per-line column (aligned with ``context.lines``) at the flagged lines."""
        return column.take(self.line).to_numpy(dtype=object)

    def findings(self, *, code: object = None, **columns: object) -> pd.DataFrame:
        """The findings on the flagged lines; ``code`` is each line's code unless given."""
        return raw_findings(self.line, code=self.code if code is None else code, **columns)
