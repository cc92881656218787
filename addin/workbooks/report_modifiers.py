"""The Findings sheet's "Billed modifier" and "Suggested modifiers" columns.

A finding carries one ``modifier`` field whose meaning depends on the rule: most rules name
the modifier that was billed (MOD002 ``26``, PTP003 the modifier that bypasses the edit,
MOD011 ``59+XS``), PTP002 names the modifiers that would bypass the edit. The report splits it
so a coder reads, per finding, what is on the line and what to add:

- **Billed modifier**: the finding's modifier when the rule names a billed one, else the
  modifiers on the finding's line as read (``26,XS``; empty when none).
- **Suggested modifiers**: the modifiers the rule's fix names, from what the rule set —
  PTP002's modifier field (``25`` for an E/M line, else ``XE/XS/XP/XU/59``); the X modifier
  to keep for MOD011; the fixed advice of MOD012, MOD013 and DUP001. Empty when the fix is
  not a modifier (remove the line, correct the units ...).

The findings table and the findings CSV are unchanged; only the workbook shows the split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Rules whose ``modifier`` field holds the suggested modifiers, not a billed one.
MODIFIER_IS_SUGGESTION = frozenset({"PTP002"})
#: The modifiers named by the fix of rules whose advice does not depend on the line.
FIXED_SUGGESTIONS = {
    "MOD012": "XE/XS/XP/XU/59",  # 25/57 on a procedure: the distinct-service modifiers fit it
    "MOD013": "XE/XS/XP/XU",  # 59 where a specific X modifier may fit
    "DUP001": "76/77/91",  # a repeated service
}
#: Rules whose ``modifier`` is ``59+X``: keep the X modifier, remove 59.
KEEP_X = frozenset({"MOD011"})


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str)


def line_modifiers(findings: pd.DataFrame, lines: pd.DataFrame | None) -> pd.Series:
    """The modifiers on each finding's line as read (by spreadsheet row; ``""`` when none)."""
    empty = pd.Series("", index=findings.index, dtype=object)
    if lines is None or "modifiers" not in getattr(lines, "columns", []) or "row" not in lines.columns:
        return empty
    by_row = lines.drop_duplicates("row")
    index = pd.Index(pd.to_numeric(by_row["row"], errors="coerce").fillna(-1).astype(np.int64))
    rows = pd.to_numeric(findings["row"], errors="coerce").fillna(-2).astype(np.int64).to_numpy()
    positions = index.get_indexer(rows)
    mods = _text(by_row["modifiers"]).to_numpy(dtype=object)
    out = np.where(positions >= 0, mods[np.maximum(positions, 0)] if len(mods) else "", "")
    return pd.Series(out, index=findings.index, dtype=object)


def modifier_columns(findings: pd.DataFrame, lines: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """(billed modifier, suggested modifiers) for each finding; see the module docstring."""
    if findings.empty:
        empty = pd.Series([], index=findings.index, dtype=object)
        return empty, empty.copy()
    rule = _text(findings.get("rule_id", pd.Series("", index=findings.index)))
    modifier = _text(findings.get("modifier", pd.Series("", index=findings.index)))
    suggests = rule.isin(MODIFIER_IS_SUGGESTION)
    on_line = line_modifiers(findings, lines)
    billed = modifier.where(~suggests & (modifier != ""), on_line)
    suggested = pd.Series("", index=findings.index, dtype=object)
    suggested = suggested.where(~suggests, modifier)
    keep_x = rule.isin(KEEP_X)
    if keep_x.any():
        suggested = suggested.where(~keep_x, modifier.str.replace(r"^59\+", "", regex=True))
    fixed = rule.map(FIXED_SUGGESTIONS)
    suggested = suggested.where(fixed.isna(), fixed)
    return billed.astype(object), suggested.astype(object)
