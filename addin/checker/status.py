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
            claims.rejected["row"].to_numpy(dtype=np.int64)
            if len(claims.rejected)
            else np.zeros(0, np.int64),
        ]
    )
    rows = np.sort(rows, kind="stable")  # input order is almost sorted already: cheap
    rows = rows[np.r_[True, rows[1:] != rows[:-1]]] if len(rows) else rows
    status = pd.DataFrame({"row": rows})
    if findings.empty:
        status["worst_severity"] = OK
        status["finding_count"] = np.zeros(len(rows), dtype=np.int64)
        status["messages"] = ""
        return status
    # findings are sorted by row then severity: the first of each row is the worst
    finding_rows = findings["row"].to_numpy(dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, finding_rows[1:] != finding_rows[:-1]])
    counts = np.diff(np.r_[starts, len(finding_rows)])
    unique_rows = finding_rows[starts]
    rank = (
        findings["severity"].map(SEVERITY_RANK).fillna(len(SEVERITIES) - 1).to_numpy(dtype=np.int64)
    )
    worst = np.minimum.reduceat(rank, starts)
    position = np.searchsorted(rows, unique_rows)
    slot = np.full(len(rows), -1, dtype=np.int64)
    slot[position] = np.arange(len(unique_rows))
    sev = np.full(len(rows), OK, dtype=object)
    sev[position] = np.asarray(SEVERITIES, dtype=object)[worst]
    count = np.zeros(len(rows), dtype=np.int64)
    count[position] = counts
    status["worst_severity"] = sev
    status["finding_count"] = count
    status["messages"] = _joined_messages(findings, starts, slot)
    return status


def _joined_messages(findings: pd.DataFrame, starts: np.ndarray, slot: np.ndarray) -> pd.Series:
    """``RULE_ID: message`` of each row's findings joined by newlines (pyarrow, no loop)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def arrow_text(column: pd.Series) -> pa.Array:
        column = column if column.dtype == "str" else column.astype(str)
        text = pa.array(column).cast(pa.large_string())
        # a pyarrow-backed str column built by concatenating the rules' findings arrives in
        # several chunks; the list array below needs one contiguous array
        return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text

    text = pc.binary_join_element_wise(
        arrow_text(findings["rule_id"]),
        arrow_text(findings["message"]),
        pa.scalar(": ", type=pa.large_string()),
    )
    offsets = pa.array(np.r_[starts, len(findings)].astype(np.int64), type=pa.int64())
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(offsets, text), pa.scalar("\n", type=pa.large_string())
    )
    picked = joined.take(pa.array(slot, mask=slot < 0, type=pa.int64()))
    picked = pc.fill_null(picked, pa.scalar("", type=pa.large_string()))
    return pd.Series(pd.array(picked, dtype="str"))
