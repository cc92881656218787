"""The rule unit: one stable id, one family, a default severity, a docstring, a vectorised check.

A rule is a small class in the spirit of sqlfluff's ``AL02`` or ruff's ``E501``::

    class PTP001(Rule):
        \"\"\"Column 2 code billed with its Column 1 code; no modifier can bypass the edit.

        **What it checks** ...  **Why CMS denies it** ...  **Example** ...  **Fix** ...
        \"\"\"

        rule_id = "PTP001"
        family = "ptp"
        name = "ptp.not_bypassable"
        severity = "error"

        def check(self, context): ...

``check`` receives a :class:`~addin.rules.context.RuleContext` (the claim lines, normalised
and keyed once, plus cached reference lookups shared by all rules) and returns a
:func:`raw_findings` frame: one row per finding, naming the claim line by its position in
``context.lines``. The checker adds the rule id, family, severity (after config) and the line
context (claim id, row, patient, provider, date), so rules stay short and only say *what* is
wrong, *why* and *what to do*.

The docstring is the user documentation: ``cpt-addin rules`` and the audit report's About
sheet print it, so it is written for a coder, in four parts — What it checks / Why CMS denies
it / Example / Fix.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from addin.rules.context import RuleContext

FAMILIES = (
    "ptp",
    "mue",
    "aoc",
    "modifier",
    "code",
    "diagnosis",
    "demographic",
    "global",
    "duplicate",
    "input",
)

#: Columns a rule's ``check`` returns (see :func:`raw_findings`).
RAW_COLUMNS = [
    "line",  # position in context.lines (-1 for a row that is not a checked line)
    "row",  # spreadsheet row (only needed when line is -1; else taken from the line)
    "code",
    "related_code",
    "modifier",
    "message",
    "suggestion",
    "source",
    "related_line",  # position of the other line of a pair/duplicate finding (-1 when none)
]


class Rule:
    """Base class of every claim edit. Subclasses set the class attributes and ``check``."""

    rule_id: ClassVar[str] = ""
    family: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[str] = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:  # pragma: no cover - abstract
        """Return the findings of this rule over every claim line (see :func:`raw_findings`)."""
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation (its docstring, dedented)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The first line of the docstring."""
        return cls.doc().split("\n", 1)[0]

    def __repr__(self) -> str:
        return f"<{self.rule_id} {self.name} ({self.severity})>"


def _column(value: object, length: int, dtype: str = "str") -> pd.Series:
    if isinstance(value, pd.Series):
        return value.reset_index(drop=True)
    if isinstance(value, (np.ndarray, list, pd.Index, pd.Categorical)):
        return pd.Series(value)
    if length > 10_000 and dtype == "str" and isinstance(value, str):
        return _repeated_text(value, length)
    return pd.Series([value] * length, dtype=dtype) if length else pd.Series([], dtype=dtype)


def _repeated_text(value: str, length: int) -> pd.Series:
    """``value`` ``length`` times as a text Series, built in Arrow (no list of ``length``)."""
    import pyarrow as pa

    series = pa.repeat(pa.scalar(value, pa.large_string()), length).to_pandas()
    return series if series.dtype == "str" else series.astype("str")


def raw_findings(
    line: np.ndarray | pd.Series | list[int],
    *,
    code: object = "",
    related_code: object = "",
    modifier: object = "",
    message: object = "",
    suggestion: object = "",
    source: object = "",
    related_line: object = -1,
    row: object = 0,
) -> pd.DataFrame:
    """Assemble a rule's findings: one row per entry of ``line``.

    Each keyword may be one value for every finding or a Series/array aligned with ``line``.
    """
    line = np.asarray(line, dtype=np.int64)
    length = len(line)
    frame = pd.DataFrame(
        {
            "line": line,
            "row": np.asarray(_column(row, length, "int64"), dtype=np.int64),
            "code": _column(code, length),
            "related_code": _column(related_code, length),
            "modifier": _column(modifier, length),
            "message": _column(message, length),
            "suggestion": _column(suggestion, length),
            "source": _column(source, length),
            "related_line": np.asarray(_column(related_line, length, "int64"), dtype=np.int64),
        }
    )
    return frame


_NO_FINDINGS: list[pd.DataFrame] = []


def no_findings() -> pd.DataFrame:
    """An empty :func:`raw_findings` frame (a copy of one built once)."""
    if not _NO_FINDINGS:
        _NO_FINDINGS.append(raw_findings(np.zeros(0, dtype=np.int64)))
    return _NO_FINDINGS[0].copy()
