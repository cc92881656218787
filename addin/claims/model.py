"""The contract of a read claims file: :class:`ClaimsInput` and its column lists.

Every door (CLI ``check``, the ``CLAIM_CHECK`` Excel function, the server) reads claims into
this one shape, so the rules and the report never look at the user's layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: The claim fields the rules use, in the order users see them in docs and ``--map``.
CANONICAL_COLUMNS: list[str] = [
    "claim_id",
    "patient_id",
    "provider_npi",
    "dos",
    "cpt",
    "modifiers",
    "units",
    "dx",
    "pos",
    "dob",
    "age",
    "sex",
]

#: Canonical columns that may be fed by several input columns (``Mod1..Mod4``, ``DX1..DX12``).
MULTI_COLUMNS: frozenset[str] = frozenset({"modifiers", "dx"})

#: The leading columns of :attr:`ClaimsInput.lines`, in order; extra input columns follow.
LINE_COLUMNS: list[str] = [
    "row",
    "claim_id",
    "patient_id",
    "provider_npi",
    "dos",
    "cpt",
    "mod1",
    "mod2",
    "mod3",
    "mod4",
    "modifiers",
    "units",
    "dx",
    "pos",
    "dob",
    "age",
    "sex",
    "demographic_problem",
]

#: Columns of :attr:`ClaimsInput.rejected`.
REJECTED_COLUMNS: list[str] = ["row", "column", "reason", "raw"]


@dataclass
class ClaimsInput:
    """A claims file read and normalised once, ready for the rules.

    Attributes:
        lines: one row per readable claim line. Columns :data:`LINE_COLUMNS` then every extra
            input column under its header. ``row`` is the spreadsheet row number the user sees;
            ``dos`` is ``datetime64[ns]`` at midnight; ``units`` is ``int64``; ``claim_id``,
            ``patient_id`` and ``provider_npi`` are pandas ``str``; the low-cardinality code
            columns (``cpt``, ``mod1``..``mod4``, ``modifiers``, ``dx``, ``pos``) are
            ``category`` dtype with string categories (``""`` when absent). ``dob`` is
            ``datetime64[ns]`` (NaT when absent or unreadable), ``age`` ``float64`` whole
            years (NaN when absent or unreadable), ``sex`` ``M``/``F``/``U``/``""``, and
            ``demographic_problem`` says why a date of birth, age or sex cell could not be
            used (``""`` when it could): such a line is still checked. ``cpt`` holds the
            code as typed (normalised) even when its format is invalid: the rules judge it.
        rejected: rows that could not be read: ``row``, ``column`` (the offending header or
            ``""``), ``reason`` (for a person) and ``raw`` (the row's cells joined ``" | "``,
            at most 200 characters; never logged).
        raw: every non-blank data row exactly as read, under the (de-duplicated) input
            headers, after a leading ``row`` column; the audit report's Claims sheet.
        meta: ``file``, ``sha256``, ``sheet``, ``header_row``, ``column_mapping``,
            ``rows_read``, ``rows_checked``, ``rows_rejected``, ``blank_rows``, ``notes`` (and,
            for text files, ``encoding`` and ``delimiter``).

    ``meta["rows_read"] == meta["rows_checked"] + meta["rows_rejected"]`` always holds, and
    every non-blank input row is in exactly one of ``lines`` and ``rejected``.
    """

    lines: pd.DataFrame
    rejected: pd.DataFrame
    raw: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """What the reader decided on the user's behalf (column guesses, defaults used)."""
        return list(self.meta.get("notes", []))

    def verify(self) -> None:
        """Raise ``ValueError`` unless every non-blank row is accounted for exactly once.

        Checks ``rows_read == rows_checked + rows_rejected`` against the frames, and that the
        row numbers of ``lines`` and ``rejected`` are disjoint and together equal ``raw``'s.
        """
        m = self.meta
        counts = (m["rows_read"], m["rows_checked"], m["rows_rejected"])
        if counts != (len(self.raw), len(self.lines), len(self.rejected)):
            raise ValueError(f"meta counts {counts} disagree with the frames")
        if m["rows_read"] != m["rows_checked"] + m["rows_rejected"]:
            raise ValueError(f"rows_read {counts[0]} != checked {counts[1]} + rejected {counts[2]}")
        checked, rejected, read = (
            self.lines["row"].to_numpy(),
            self.rejected["row"].to_numpy(),
            self.raw["row"].to_numpy(),
        )
        together = pd.Index(checked).append(pd.Index(rejected))
        if together.has_duplicates:
            raise ValueError("a row appears more than once in lines/rejected")
        if not together.sort_values().equals(pd.Index(read).sort_values()):
            raise ValueError("lines and rejected rows do not match the rows read")

    def summary(self) -> str:
        """One line of counts for a console or log (no cell contents)."""
        m = self.meta
        return (
            f"{m.get('file')}: {m.get('rows_read', 0)} rows read, "
            f"{m.get('rows_checked', 0)} checked, {m.get('rows_rejected', 0)} rejected, "
            f"{m.get('blank_rows', 0)} blank skipped"
        )
