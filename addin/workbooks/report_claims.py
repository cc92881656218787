"""The report's Claims sheet(s) (the input exactly as read, with status columns) and the
Rejected rows sheet.

Every input cell is written through :class:`~addin.workbooks.safe_cells.CellMaker`, so text
that looks like a formula stays text. Conditional formatting tints each row by its worst
severity; rejected rows are grey.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from addin.workbooks import styles
from addin.workbooks.fast_rows import MAX_LINK_ELEMENTS, StreamedRows
from addin.workbooks.report_layout import WRAP_ROWS_LIMIT, ClaimLocator
from addin.workbooks.safe_cells import CellMaker

STATUS_HEADERS = ["Row", "Status", "Findings", "Messages"]
#: Excel's last column is XFD, the 16,384th: a sheet with more columns is a corrupt file.
EXCEL_MAX_COLUMNS = 16_384
#: Input columns the Claims sheet can hold beside its status columns.
MAX_INPUT_COLUMNS = EXCEL_MAX_COLUMNS - len(STATUS_HEADERS)
#: How many left-out columns the report names (the count is always given).
LEFT_OUT_NAMED = 20
#: Input columns whose width is measured from their values (the rest: from the header).
MEASURED_COLUMNS = 256
_NUMBER_TYPES = (int, float, np.int64, np.float64, np.int32, np.float32)
STATUS_OK = "ok"
STATUS_REJECTED = "rejected"
_MESSAGES_WIDTH = 70
_MESSAGES_WIDTH_WRAPPED = 60


def claim_status(raw: pd.DataFrame, line_status: pd.DataFrame, rejected: pd.DataFrame) -> pd.DataFrame:
    """``status, findings, messages`` aligned with ``raw`` (one row per input row)."""
    rows = raw["row"].to_numpy()
    status = pd.DataFrame(index=pd.Index(rows, name="row"))
    if line_status is not None and len(line_status):
        ls = line_status.drop_duplicates("row", keep="first").set_index("row")
        ls = ls.reindex(rows)
        worst = ls.get("worst_severity", pd.Series(index=ls.index, dtype=object))
        count = ls.get("finding_count", pd.Series(index=ls.index, dtype=float))
        messages = ls.get("messages", pd.Series(index=ls.index, dtype=object))
    else:
        worst = pd.Series(None, index=status.index, dtype=object)
        count = pd.Series(np.nan, index=status.index)
        messages = pd.Series(None, index=status.index, dtype=object)
    worst = worst.astype(object).where(worst.notna() & (worst.astype(str) != ""), STATUS_OK)
    count = pd.to_numeric(count, errors="coerce").fillna(0).astype(np.int64)
    messages = _messages_text(messages)
    rejected_rows = set(pd.to_numeric(rejected["row"], errors="coerce").dropna().astype(int)) if len(rejected) else set()
    is_rejected = np.isin(rows, list(rejected_rows)) if rejected_rows else np.zeros(len(rows), bool)
    worst = worst.to_numpy(dtype=object).copy()
    worst[is_rejected] = STATUS_REJECTED
    if is_rejected.any():
        reasons = rejected.drop_duplicates("row").set_index("row")["reason"].reindex(rows[is_rejected])
        msgs = messages.to_numpy(dtype=object).copy()
        msgs[is_rejected] = ["Rejected: " + str(r) for r in reasons]
        messages = pd.Series(msgs, index=status.index)
    status["status"] = worst
    status["findings"] = count.to_numpy()
    status["messages"] = messages.to_numpy(dtype=object)
    return status.reset_index()


def fit_columns(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``raw`` cut to the input columns that fit on the Claims sheet, and the names left out.

    The sheet holds :data:`STATUS_HEADERS` then the input columns; Excel stops at column
    16,384 (XFD), so the first :data:`MAX_INPUT_COLUMNS` input columns are kept (``row`` is
    not an input column). Nothing else is lost: every line was checked on all its columns.
    """
    positions = [i for i, c in enumerate(raw.columns) if c != "row"]
    if len(positions) <= MAX_INPUT_COLUMNS:
        return raw, []
    keep = [i for i, c in enumerate(raw.columns) if c == "row"] + positions[:MAX_INPUT_COLUMNS]
    left_out = [str(raw.columns[i]) for i in positions[MAX_INPUT_COLUMNS:]]
    return raw.iloc[:, sorted(keep)], left_out


def left_out_note(left_out: list[str]) -> str:
    """The Summary's note on the input columns the Claims sheet could not hold."""
    named = ", ".join(left_out[:LEFT_OUT_NAMED])
    more = f" and {len(left_out) - LEFT_OUT_NAMED:,} more" if len(left_out) > LEFT_OUT_NAMED else ""
    return (
        f"The Claims sheet shows the first {MAX_INPUT_COLUMNS:,} input columns (Excel holds "
        f"{EXCEL_MAX_COLUMNS:,} columns, {len(STATUS_HEADERS)} of them status columns); "
        f"{len(left_out):,} input columns are left out of it: {named}{more}. "
        "Every line was still checked."
    )


def _messages_text(messages: pd.Series) -> pd.Series:
    """Each row's messages as one text (lists joined with ``"; "``), None when there are none."""
    values = messages.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.where(values.notna(), None)
    return values.map(_join_messages)


def _join_messages(value: object) -> object:
    if isinstance(value, (list, tuple, np.ndarray)):
        return "; ".join(str(v) for v in value if v is not None and str(v))
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def write_claims(
    workbook,
    raw: pd.DataFrame,
    status: pd.DataFrame,
    titles: list[str],
    limit: int,
) -> list[StreamedRows]:
    """Write the Claims sheet(s): status columns then every input column, as read.

    Returns the streamed rows to splice in after saving.
    """
    input_columns = [c for c in raw.columns if c != "row"]
    headers = STATUS_HEADERS + [str(c) for c in input_columns]
    body = pd.concat(
        [
            raw[["row"]].reset_index(drop=True),
            status[["status", "findings", "messages"]].reset_index(drop=True),
            raw[input_columns].reset_index(drop=True),
        ],
        axis=1,
        ignore_index=True,
    )
    wrap = len(body) <= WRAP_ROWS_LIMIT
    messages_width = _MESSAGES_WIDTH_WRAPPED if wrap else _MESSAGES_WIDTH
    widths = [8.0, 10.0, 10.0, styles.series_width("Messages", status["messages"], maximum=messages_width)]
    widths += _input_widths(raw, input_columns)
    streams = []
    for number, title in enumerate(titles):
        part = body.iloc[number * limit : (number + 1) * limit]
        streams.append(_write_part(workbook, title, headers, part, widths, wrap))
    return streams


def _input_widths(raw: pd.DataFrame, input_columns: list) -> list[float]:
    """Column widths: the first :data:`MEASURED_COLUMNS` measured from their values, any
    further ones (very wide inputs) from their header alone, so 16,000 columns stay fast."""
    widths = []
    for position, column in enumerate(input_columns):
        if position < MEASURED_COLUMNS:
            widths.append(styles.series_width(str(column), raw[column], maximum=40))
        else:
            widths.append(styles.text_width([column], minimum=8, maximum=40))
    return widths


def _write_part(
    workbook, title: str, headers: list[str], part: pd.DataFrame, widths: list[float], wrap: bool
) -> StreamedRows:
    """One Claims sheet; numbers from the input are left-aligned like the text around them."""
    ws = workbook.create_sheet(title)
    maker = CellMaker(ws)
    styles.set_widths(ws, widths)
    ws.freeze_panes = "E2"
    styles.print_setup(ws)
    height = styles.row_height(headers, widths, bold=True)
    if height:
        ws.row_dimensions[1].height = height
    ws.append([maker.text(h, styles.STYLE_HEADER) for h in headers])
    stream = StreamedRows(ws, len(headers), date_style=styles.STYLE_DATE, datetime_style=styles.STYLE_DATETIME)
    stream.placeholder()
    count = len(headers)
    plain = [styles.STYLE_CENTER, None, styles.STYLE_CENTER] + [None] * (count - 3)
    tall = [styles.STYLE_CENTER, styles.STYLE_PLAIN, styles.STYLE_CENTER, styles.STYLE_WRAP]
    tall += [styles.STYLE_PLAIN] * (count - 4)
    dtypes = list(part.dtypes)  # once: ``part.dtypes`` builds a Series on every access
    numeric_columns = [i for i in range(4, count) if pd.api.types.is_numeric_dtype(dtypes[i])
                       and not pd.api.types.is_bool_dtype(dtypes[i])]
    mixed_columns = [i for i in range(4, count) if pd.api.types.is_object_dtype(dtypes[i])]
    for i in numeric_columns:
        plain[i] = tall[i] = styles.STYLE_LEFT
    heights = None
    tall_rows = np.zeros(len(part), dtype=bool)
    if wrap and len(part):
        heights = styles.row_heights([part.iloc[:, 3]], [widths[3]])
        tall_rows = np.isfinite(heights)
    cell_styles: list = []
    any_tall, mixed = bool(tall_rows.any()), set(mixed_columns)
    for i in range(count):
        style: object = plain[i]
        if any_tall and plain[i] != tall[i]:
            style = np.where(tall_rows, tall[i], plain[i]).astype(object)
        if i in mixed:
            numbers = np.fromiter((type(v) in _NUMBER_TYPES for v in part.iloc[:, i].to_numpy(dtype=object)),
                                  dtype=bool, count=len(part))
            if numbers.any():
                style = np.where(numbers, styles.STYLE_LEFT, style).astype(object)
        cell_styles.append(style)
    stream.add_columns([part.iloc[:, i] for i in range(count)], cell_styles, heights)
    last_row = max(stream.last_row, 2)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last_row}"
    status_formats(ws, f"A2:{get_column_letter(len(headers))}{last_row}", status_column="B")
    return stream


def status_formats(ws, cells: str, status_column: str) -> None:
    """Tint rows by status: error red, warning amber, info blue, rejected grey."""
    for status in ("error", "warning", "info", STATUS_REJECTED):
        ws.conditional_formatting.add(
            cells,
            FormulaRule(
                formula=[f'${status_column}2="{status}"'],
                fill=PatternFill("solid", bgColor=styles.SEVERITY_FILLS[status]),
                font=Font(color=styles.SEVERITY_FONTS[status]),
                stopIfTrue=True,
            ),
        )


REJECTED_HEADERS = ["Row", "Column", "Reason", "Row as read"]


def write_rejected(workbook, rejected: pd.DataFrame, locator: ClaimLocator) -> None:
    """The Rejected rows sheet: each row the checker could not read, with the reason."""
    ws = workbook.create_sheet("Rejected rows")
    maker = CellMaker(ws)
    frame = rejected.reindex(columns=["row", "column", "reason", "raw"])
    styles.set_widths(
        ws,
        [8.0]
        + [styles.series_width(h, frame[c], maximum=m) for h, c, m in
           (("Column", "column", 30), ("Reason", "reason", 80), ("Row as read", "raw", 100))],
    )
    ws.freeze_panes = "A2"
    styles.print_setup(ws)
    ws.append([maker.text(h, styles.STYLE_HEADER) for h in REJECTED_HEADERS])
    if frame.empty:
        ws.append([None, maker.text("No rejected rows: every input row was checked.", styles.STYLE_NOTE)])
        return
    targets = locator.locations(frame["row"].to_numpy())
    for number, (values, target) in enumerate(zip(frame.itertuples(index=False, name=None), targets, strict=True)):
        out = [maker.safe_value(v) for v in values]
        if target is not None and out[0] is not None and number < MAX_LINK_ELEMENTS:
            link = maker.cell(int(out[0]), styles.STYLE_LINK_INT)
            link.hyperlink = Hyperlink(ref="A1", location=target, tooltip="Go to this row on the Claims sheet")
            out[0] = link
        ws.append(out)
    ws.auto_filter.ref = f"A1:D{len(frame) + 1}"
