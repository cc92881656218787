"""The findings contract: what a check returns, shared by the checker, report, UDFs and server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

# Columns of the findings table, in order (PRODUCT.md "Batch check" plus line context).
FINDING_COLUMNS = [
    "claim_id",
    "row",  # spreadsheet row number the user sees (header = row 1 or wherever it was found)
    "rule",  # family: ptp, mue, aoc, modifier, code, diagnosis, duplicate, input
    "rule_id",  # stable id, e.g. PTP001
    "severity",  # error / warning / info
    "code",
    "related_code",
    "modifier",
    "message",
    "suggestion",
    "source",  # table and vintage, e.g. "PTP practitioner 2024-07-01 (imported)"
    "patient_id",
    "provider_npi",
    "dos",  # date of service (datetime64; NaT for rejected rows)
    "related_row",  # the other line of a pair/duplicate finding (0 when none)
]


def empty_findings() -> pd.DataFrame:
    """A findings table with no rows and the right columns."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in FINDING_COLUMNS})


@dataclass(init=False)
class CheckResult:
    """Everything a batch check produced.

    - ``findings``: DataFrame with :data:`FINDING_COLUMNS`, sorted by row then severity.
    - ``claims``: the :class:`addin.claims.ClaimsInput` that was checked (lines, rejected,
      raw input, meta with file name, sha256, row counts).
    - ``line_status``: one row per input row (``row``, ``worst_severity``, ``finding_count``,
      ``messages``) for the report's Claims sheet — built on first use (only the workbook
      needs it), unless given.
    - ``versions``: the table versions that answered (list of TableVersion).
    - ``setting``, ``elapsed_seconds``, ``options``.
    """

    findings: pd.DataFrame
    claims: Any
    versions: list
    setting: str
    elapsed_seconds: float
    options: dict

    def __init__(
        self,
        findings: pd.DataFrame,
        claims: Any,
        line_status: pd.DataFrame | None = None,
        versions: list | None = None,
        setting: str = "practitioner",
        elapsed_seconds: float = 0.0,
        options: dict | None = None,
    ) -> None:
        self.findings = findings
        self.claims = claims
        self._line_status = line_status
        self.versions = list(versions or [])
        self.setting = setting
        self.elapsed_seconds = elapsed_seconds
        self.options = dict(options or {})

    @property
    def line_status(self) -> pd.DataFrame:
        """One row per input row: worst severity, finding count and messages (built once)."""
        if self._line_status is None:
            from addin.checker.status import line_status

            self._line_status = line_status(self.findings, self.claims)
        return self._line_status

    @property
    def counts(self) -> dict[str, Any]:
        """Lines read/checked/rejected and findings by rule family and severity."""
        meta = self.claims.meta
        by_rule = self.findings.groupby("rule").size().to_dict() if len(self.findings) else {}
        by_severity = (
            self.findings.groupby("severity").size().to_dict() if len(self.findings) else {}
        )
        return {
            "rows_read": meta["rows_read"],
            "rows_checked": meta["rows_checked"],
            "rows_rejected": meta["rows_rejected"],
            "findings": len(self.findings),
            "by_rule": {k: int(v) for k, v in by_rule.items()},
            "by_severity": {k: int(v) for k, v in by_severity.items()},
        }

    @property
    def exit_code(self) -> int:
        """0 when no error-level finding, 1 when there is at least one."""
        if len(self.findings) and (self.findings["severity"] == "error").any():
            return 1
        return 0
