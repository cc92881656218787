"""One status per input row (checked or rejected) for the report's Claims sheet."""

from __future__ import annotations

import numpy as np
import pandas as pd

from addin.findings import SEVERITIES, SEVERITY_RANK

STATUS_COLUMNS = ["row", "worst_severity", "finding_count", "messages"]
#: ``worst_severity`` of a row without findings.
OK = ""


def line_status(findings: pd.DataFrame, claims) -> pd.DataFrame:
    """``row, worst_severity, finding_count, messages`` for every input row, by row number.

    ``messages`` joins ``RULE_ID: message`` of the row's findings (worst first) with newlines;
    a row without findings has count 0, ``worst_severity`` ``""`` and no messages.
    """
    rows = np.concatenate(
        [
            claims.lines["row"].to_numpy(dtype=np.int64),
            claims.rejected["row"].to_numpy(dtype=np.int64) if len(claims.rejected) else np.zeros(0, np.int64),
        ]
    )
    rows = np.unique(rows)
    status = pd.DataFrame({"row": rows})
    if findings.empty:
        status["worst_severity"] = OK
        status["finding_count"] = np.zeros(len(rows), dtype=np.int64)
        status["messages"] = ""
        return status
    # findings are sorted by row then severity: the first of each row is the worst
    finding_rows = findings["row"].to_numpy(dtype=np.int64)
    text = (findings["rule_id"] + ": " + findings["message"]).to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, finding_rows[1:] != finding_rows[:-1]])
    counts = np.diff(np.r_[starts, len(finding_rows)])
    unique_rows = finding_rows[starts]
    rank = findings["severity"].map(SEVERITY_RANK).fillna(len(SEVERITIES) - 1).to_numpy(dtype=np.int64)
    worst = np.minimum.reduceat(rank, starts) if len(starts) else np.zeros(0, np.int64)
    messages = text[starts].copy()
    multi = np.flatnonzero(counts > 1)
    if len(multi):
        owner = np.repeat(np.arange(len(starts)), counts)
        keep = np.isin(owner, multi)
        joined = pd.Series(text[keep]).groupby(owner[keep]).agg("\n".join)
        messages[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    position = np.searchsorted(rows, unique_rows)
    sev = np.full(len(rows), OK, dtype=object)
    sev[position] = np.asarray(SEVERITIES, dtype=object)[worst]
    count = np.zeros(len(rows), dtype=np.int64)
    count[position] = counts
    text_out = np.full(len(rows), "", dtype=object)
    text_out[position] = messages
    status["worst_severity"] = sev
    status["finding_count"] = count
    status["messages"] = text_out
    return status
