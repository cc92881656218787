"""The audit workbook a batch check writes (``cpt-addin check INPUT -o audit.xlsx``).

Sheets: Summary, Findings (split into ``Findings 2``... when needed), Claims, Rejected rows,
Reference, About; see ``docs/report.md``. The workbook streams (openpyxl write-only mode),
is written atomically, and never replaces the input file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from addin import __version__
from addin.findings import CheckResult, empty_findings
from addin.workbooks import report_layout, styles
from addin.workbooks.atomic import atomic_path, check_output
from addin.workbooks.fast_rows import StreamedRows, splice
from addin.workbooks.report_claims import (
    claim_status,
    fit_columns,
    left_out_note,
    write_claims,
    write_rejected,
)
from addin.workbooks.report_findings import (
    plan_findings_sheets,
    top_codes,
    top_pairs,
    write_findings,
)
from addin.workbooks.report_layout import ClaimLocator, part_titles
from addin.workbooks.report_reference import (
    code_facts,
    ptp_among,
    rule_docs,
    write_about,
    write_reference,
)
from addin.workbooks.report_summary import SummaryFacts, file_display_name, write_summary

#: Data rows per Findings/Claims sheet before a numbered continuation sheet starts.
#: A module constant so tests can lower it.
SHEET_DATA_ROWS = report_layout.SHEET_DATA_ROWS


def refuse_input(result: CheckResult, path: Path) -> Path:
    """Check ``path`` before any work (:func:`addin.outputs.check_output`); returns it.

    Raises :class:`~addin.outputs.OutputFileError` when ``path`` is the claims file that was
    checked (also through a link), a folder, a device, or cannot be written.
    """
    source = (getattr(result.claims, "meta", None) or {}).get("file")
    return check_output(path, inputs=[str(source)] if source else [], what="audit workbook")


def _mapping_lines(mapping: object) -> list[str]:
    """``["cpt ← CPT/HCPCS", ...]``: which input column fed each claim field."""
    if not isinstance(mapping, dict) or not mapping:
        return []
    lines = []
    for field, headers in mapping.items():
        shown = ", ".join(map(str, headers)) if isinstance(headers, (list, tuple)) else str(headers)
        lines.append(f"{field} ← {shown}")
    return lines


def _reference():
    from addin.reference import get_reference_data

    return get_reference_data()


def _date_span(lines: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    if lines is None or lines.empty or "dos" not in lines.columns:
        return None, None
    dates = pd.to_datetime(lines["dos"], errors="coerce").dropna()
    if dates.empty:
        return None, None
    return dates.min().date(), dates.max().date()


@dataclass
class _Parts:
    """Everything the sheets need, computed before the first row is streamed."""

    summary: SummaryFacts
    findings: pd.DataFrame
    lines: pd.DataFrame | None
    raw: pd.DataFrame
    status: pd.DataFrame
    rejected: pd.DataFrame
    locator: ClaimLocator
    claims_titles: list[str]
    limit: int
    #: (code facts, PTP edits among the codes, edits left out), for the Reference sheet;
    #: computed on a worker thread while the big sheets are written (see write_report)
    reference_tables: Future
    dates_text: str
    versions: list
    data_version: str


def reference_tables(reference, lines, findings, setting: str, first, last) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The Reference sheet's tables: facts of the claims' codes and the PTP edits among them."""
    facts = code_facts(reference, lines, findings, setting)
    edits, left_out = ptp_among(reference, facts["code"].tolist(), first, last, setting)
    return facts, edits, left_out


def _prepare(result: CheckResult, reference, limit: int, pool: ThreadPoolExecutor | None = None) -> _Parts:
    claims = result.claims
    meta = dict(getattr(claims, "meta", {}) or {})
    findings = result.findings if result.findings is not None else empty_findings()
    raw = getattr(claims, "raw", None)
    if raw is None or "row" not in getattr(raw, "columns", []):
        raw = pd.DataFrame({"row": pd.Series(dtype="int64")})
    raw, left_out = fit_columns(raw)  # Excel's 16,384 columns
    rejected = getattr(claims, "rejected", None)
    if rejected is None:
        rejected = pd.DataFrame(columns=["row", "column", "reason", "raw"])
    lines = getattr(claims, "lines", None)
    claims_titles = part_titles("Claims", len(raw), limit)
    counts = result.counts
    first, last = _date_span(lines)
    tables_args = (reference, lines, findings, result.setting, first, last)
    if pool is None:
        tables: Future = Future()
        tables.set_result(reference_tables(*tables_args))
    else:  # reference queries, mostly numpy and Arrow work: they overlap the sheet writing
        tables = pool.submit(reference_tables, *tables_args)
    versions = list(result.versions or [])
    data_version = reference.data_version_text() if hasattr(reference, "data_version_text") else ""
    summary = SummaryFacts(
        file_name=file_display_name(meta.get("file") or "(data frame)"),
        sha256=str(meta.get("sha256") or ""),
        sheet=str(meta.get("sheet") or ""),
        header_row=meta.get("header_row"),
        column_mapping=_mapping_lines(meta.get("column_mapping")),
        setting=str(result.setting),
        elapsed_seconds=float(result.elapsed_seconds or 0.0),
        generated=dt.datetime.now().replace(microsecond=0),
        tool_version=__version__,
        rows_read=int(counts.get("rows_read", 0) or 0),
        rows_checked=int(counts.get("rows_checked", 0) or 0),
        rows_rejected=int(counts.get("rows_rejected", 0) or 0),
        blank_rows=int(meta.get("blank_rows", 0) or 0),
        by_severity=counts.get("by_severity", {}),
        by_rule=counts.get("by_rule", {}),
        total_findings=len(findings),
        # the Summary comes first but its formulas name the Findings sheets: plan them now
        findings_sheets=plan_findings_sheets(len(findings), limit),
        claims_sheets=claims_titles,
        top_codes=top_codes(findings),
        top_pairs=top_pairs(findings),
        versions=versions,
        notes=[str(n) for n in meta.get("notes", []) or []] + ([left_out_note(left_out)] if left_out else []),
        sheet_limit=limit,
    )
    return _Parts(
        summary=summary,
        findings=findings,
        lines=lines,
        raw=raw,
        status=claim_status(raw, result.line_status, rejected),
        rejected=rejected,
        locator=ClaimLocator(raw["row"].to_numpy(), claims_titles, limit),
        claims_titles=claims_titles,
        limit=limit,
        reference_tables=tables,
        dates_text=f"{first} to {last}" if first else "no dates",
        versions=versions,
        data_version=data_version,
    )


def write_report(result: CheckResult, path: Path, reference=None, progress=None) -> Path:
    """Write the audit workbook for a check result to ``path`` (atomically); returns the path.

    ``reference``: the ReferenceData for the Reference sheet (default: the shared one).
    ``progress``: an optional callback ``(stage, done, total)``, called with ``"report"``
    after each step (see :mod:`addin.checker.progress`).

    Raises:
        addin.outputs.OutputFileError: ``path`` is the input file the result was read from,
            a folder, a device, in a missing or read-only folder, or the disk filled up.
    """
    path = refuse_input(result, Path(path))
    steps = iter(range(1, 10))
    tick = (lambda: progress("report", next(steps), 9)) if progress else (lambda: None)
    if progress:
        progress("report", 0, 9)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpt-report") as pool:
        parts = _prepare(result, reference or _reference(), int(SHEET_DATA_ROWS), pool)
        tick()
        try:
            return _write(path, parts, tick)
        finally:
            parts.reference_tables.cancel()


def _write(path: Path, parts: _Parts, tick=lambda: None) -> Path:
    workbook = Workbook(write_only=True)
    styles.register(workbook, report=True)
    streams: list[StreamedRows] = []
    try:
        with atomic_path(path) as temp:
            write_summary(workbook, parts.summary)
            tick()
            streams += write_findings(workbook, parts.findings, parts.locator, parts.limit, parts.lines)
            tick()
            streams += write_claims(workbook, parts.raw, parts.status, parts.claims_titles, parts.limit)
            tick()
            write_rejected(workbook, parts.rejected, parts.locator)
            tick()
            facts, edits, edits_left_out = parts.reference_tables.result()
            streams.append(write_reference(workbook, facts, edits, parts.dates_text, edits_left_out))
            tick()
            write_about(workbook, rule_docs(), parts.versions, parts.data_version, __version__)
            tick()
            workbook.save(temp)
            tick()
            splice(temp, streams)
        tick()
    except BaseException:
        _discard(workbook, streams)
        raise
    return path


def _discard(workbook, streams: list[StreamedRows]) -> None:
    """Close the sheets of a failed report and delete their temporary files."""
    for stream in streams:
        stream.discard()
    for ws in workbook.worksheets:
        with contextlib.suppress(Exception):
            if not ws.closed:
                ws.close()
        out = getattr(getattr(ws, "_writer", None), "out", None)
        if out:
            with contextlib.suppress(OSError):
                os.remove(out)
