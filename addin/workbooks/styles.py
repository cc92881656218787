"""The look of every generated workbook: fonts, fills, number formats, widths, print setup.

One place, so the report and the templates look like one product. Styles are registered as
named styles (``register(wb)``) so streamed cells only carry a style name, which keeps
write-only mode fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.properties import PageSetupProperties

FONT_NAME = "Calibri"
FONT_SIZE = 11
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
INTEGER_FORMAT = "#,##0"
SECONDS_FORMAT = "0.00"

# Severity colours (fill, font) shared by conditional formats and legends.
NAVY = "1F3864"
SEVERITY_FILLS = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7", "rejected": "D9D9D9"}
SEVERITY_FONTS = {"error": "9C0006", "warning": "7F6000", "info": "1F4E78", "rejected": "404040"}
OK_FILL = "E2EFDA"
OK_FONT = "375623"
INPUT_FILL = "FFF2CC"  # cells a user types into (templates)

_thin = Side(style="thin", color="BFBFBF")
_header_border = Border(bottom=Side(style="medium", color=NAVY))

# Named styles: name -> factory (a fresh NamedStyle per workbook).
STYLE_HEADER = "cpt header"
STYLE_TITLE = "cpt title"
STYLE_SUBTITLE = "cpt subtitle"
STYLE_LABEL = "cpt label"
STYLE_TEXT = "cpt text"
STYLE_WRAP = "cpt wrap"
STYLE_DATE = "cpt date"
STYLE_DATETIME = "cpt datetime"
STYLE_INTEGER = "cpt integer"
STYLE_LINK = "cpt link"
STYLE_LINK_INT = "cpt link integer"
STYLE_INPUT = "cpt input"
STYLE_INPUT_DATE = "cpt input date"
STYLE_FORMULA = "cpt formula"
STYLE_FORMULA_WRAP = "cpt formula wrap"
STYLE_FORMULA_CENTER = "cpt formula center"
STYLE_NOTE = "cpt note"
STYLE_CODE = "cpt code"
STYLE_CENTER = "cpt center"
STYLE_PLAIN = "cpt plain"
STYLE_LEFT = "cpt left"
STYLE_HEADER_NUMBER = "cpt header number"  # a header over a column of numbers (report only)


def _named(name: str, **kwargs) -> NamedStyle:
    kwargs.setdefault("font", Font(name=FONT_NAME, size=FONT_SIZE))
    kwargs.setdefault("alignment", Alignment(vertical="top"))
    return NamedStyle(name=name, **kwargs)


def _styles() -> list[NamedStyle]:
    return [
        _named(
            STYLE_HEADER,
            font=Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF"),
            fill=PatternFill("solid", fgColor=NAVY),
            alignment=Alignment(vertical="center", wrap_text=True),
            border=_header_border,
        ),
        _named(STYLE_TITLE, font=Font(name=FONT_NAME, size=16, bold=True, color=NAVY),
               alignment=Alignment(vertical="center")),
        _named(STYLE_SUBTITLE, font=Font(name=FONT_NAME, size=12, bold=True, color=NAVY),
               alignment=Alignment(vertical="bottom"),
               border=Border(bottom=Side(style="thin", color=NAVY))),
        _named(STYLE_LABEL, font=Font(name=FONT_NAME, size=FONT_SIZE, bold=True)),
        _named(STYLE_TEXT, number_format="@"),
        _named(STYLE_WRAP, alignment=Alignment(vertical="top", wrap_text=True)),
        _named(STYLE_DATE, number_format=DATE_FORMAT, alignment=Alignment(horizontal="left", vertical="top")),
        _named(STYLE_DATETIME, number_format=DATETIME_FORMAT, alignment=Alignment(horizontal="left", vertical="top")),
        _named(STYLE_INTEGER, number_format=INTEGER_FORMAT),
        _named(STYLE_LINK, font=Font(name=FONT_NAME, size=FONT_SIZE, color="0563C1", underline="single")),
        _named(STYLE_LINK_INT, number_format="0",
               font=Font(name=FONT_NAME, size=FONT_SIZE, color="0563C1", underline="single"),
               alignment=Alignment(horizontal="center", vertical="top")),
        _named(STYLE_INPUT, number_format="@", fill=PatternFill("solid", fgColor=INPUT_FILL),
               border=Border(left=_thin, right=_thin, top=_thin, bottom=_thin)),
        _named(STYLE_INPUT_DATE, number_format=DATE_FORMAT, fill=PatternFill("solid", fgColor=INPUT_FILL),
               border=Border(left=_thin, right=_thin, top=_thin, bottom=_thin),
               alignment=Alignment(horizontal="left", vertical="top")),
        _named(STYLE_FORMULA, alignment=Alignment(horizontal="left", vertical="top"),
               fill=PatternFill("solid", fgColor="F2F2F2")),
        _named(STYLE_FORMULA_CENTER, alignment=Alignment(horizontal="center", vertical="top"),
               fill=PatternFill("solid", fgColor="F2F2F2")),
        _named(STYLE_FORMULA_WRAP, alignment=Alignment(horizontal="left", vertical="top", wrap_text=True),
               fill=PatternFill("solid", fgColor="F2F2F2")),
        _named(STYLE_NOTE, font=Font(name=FONT_NAME, size=10, italic=True, color="595959"),
               alignment=Alignment(vertical="top", wrap_text=False)),
        _named(STYLE_CENTER, alignment=Alignment(horizontal="center", vertical="top")),
        _named(STYLE_PLAIN),
        _named(STYLE_LEFT, alignment=Alignment(horizontal="left", vertical="top")),
        _named(STYLE_CODE, number_format="@", font=Font(name=FONT_NAME, size=FONT_SIZE, bold=True)),
    ]


def _report_styles() -> list[NamedStyle]:
    """Styles only the audit report uses (kept out of the templates, whose bytes are pinned)."""
    return [
        _named(
            STYLE_HEADER_NUMBER,
            font=Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF"),
            fill=PatternFill("solid", fgColor=NAVY),
            alignment=Alignment(horizontal="right", vertical="center", wrap_text=True),
            border=_header_border,
        ),
    ]


def register(workbook: Workbook, report: bool = False) -> Workbook:
    """Add the project's named styles to a workbook (idempotent); ``report``: also the
    audit report's own styles."""
    existing = set(workbook.named_styles)
    for style in _styles() + (_report_styles() if report else []):
        if style.name not in existing:
            workbook.add_named_style(style)
    return workbook


# ---------------------------------------------------------------------------- widths
def text_width(values: Iterable[object], minimum: float = 6, maximum: float = 60) -> float:
    """A column width (in characters) that fits the longest value, within bounds."""
    longest = 0
    for value in values:
        if value is None:
            continue
        text = str(value)
        longest = max(longest, max((len(line) for line in text.splitlines()), default=0))
    return float(min(max(longest + 2, minimum), maximum))


def series_width(header: str, column: pd.Series, maximum: float = 60, sample: int = 5000) -> float:
    """Width for a DataFrame column: header and the 99th-percentile text length of a sample.

    A percentile rather than the maximum so one freak value does not make a column huge.
    """
    head = column.iloc[:sample] if len(column) > sample else column
    if len(head) == 0:
        return text_width([header], maximum=maximum)
    if pd.api.types.is_datetime64_any_dtype(head):
        lengths = np.array([10])
    else:
        texts = head.astype("string").fillna("")
        lengths = texts.str.len().to_numpy(dtype=float, na_value=0)
    body = float(np.percentile(lengths, 99)) if len(lengths) else 0.0
    header_len = max((len(part) for part in str(header).split()), default=0)
    # headers wrap on spaces (header style), so the longest word must fit; bold needs a bit more
    return float(min(max(body + 2, header_len * 1.1 + 2, 6), maximum))


def set_widths(ws, widths: Sequence[float], first_column: int = 1) -> None:
    """Set column widths (call before the first row on a write-only sheet)."""
    for offset, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(first_column + offset)].width = round(width, 1)


# ---------------------------------------------------------------------------- print
def print_setup(
    ws,
    title_rows: str | None = "1:1",
    landscape: bool = True,
    fit_width: bool = True,
    paper_letter: bool = True,
) -> None:
    """Landscape, fit all columns to one page wide, repeat the header rows on every page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if paper_letter:
        ws.page_setup.paperSize = "1"  # US Letter
    if fit_width:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.gridLines = False
    ws.oddFooter.center.text = "&A — page &P of &N"
    ws.oddFooter.center.size = 9


# ---------------------------------------------------------------------------- row heights
LINE_HEIGHT = 15.0  # points per line of 11-pt text


def lines_needed(text: str, width: float, bold: bool = False) -> int:
    """How many lines ``text`` takes when wrapped in a column ``width`` characters wide."""
    per_line = max(1.0, width * (1.05 if bold else 1.25) - 1)
    total = 0
    for paragraph in str(text).split("\n"):
        words, line, count = paragraph.split(" "), 0, 1
        for word in words:
            size = len(word) + (1 if line else 0)
            if line and line + size > per_line:
                count += 1
                line = len(word)
            else:
                line += size
        total += count
    return total


def row_height(texts: Sequence[object], widths: Sequence[float], bold: bool = False,
               max_lines: int = 40) -> float | None:
    """Height (points) a row needs so wrapped text shows in full; None when one line fits.

    Spreadsheet apps do not grow rows for wrapped text written by a program, so the writer
    sets the height itself.
    """
    lines = 1
    for text, width in zip(texts, widths, strict=False):
        if text is None or text == "":
            continue
        lines = max(lines, lines_needed(str(text), width, bold))
    if lines <= 1:
        return None
    return min(lines, max_lines) * LINE_HEIGHT + 2


def row_heights(columns: Sequence[pd.Series], widths: Sequence[float], bold: bool = False,
                max_lines: int = 40) -> np.ndarray:
    """:func:`row_height` for every row of some text columns at once (NaN: one line fits).

    Each distinct text is measured once, so long sheets with repeated texts stay fast.
    """
    count = len(columns[0]) if len(columns) else 0
    lines = np.ones(count, dtype=np.int64)
    for column, width in zip(columns, widths, strict=False):
        codes, uniques = pd.factorize(pd.Series(column).astype(object), use_na_sentinel=True)
        if not len(uniques):
            continue
        measured = np.array(
            [lines_needed(str(u), width, bold) if isinstance(u, str) and u else 1 for u in uniques] + [1],
            dtype=np.int64,
        )
        lines = np.maximum(lines, measured[np.where(codes < 0, len(uniques), codes)])
    return np.where(lines > 1, np.minimum(lines, max_lines) * LINE_HEIGHT + 2, np.nan)
