"""Shared pieces of the importers: the parse result, text decoding, name hints, validators.

Every importer turns one file into a :class:`ParsedTable` whose ``frame`` has exactly the
columns of :data:`addin.reference.schema.COLUMNS` for its table, or raises
:class:`addin.errors.InputFileError` naming the file, the line (or spreadsheet row) and the
column of the first problem. Validators work on whole columns (pandas / pyarrow), never row by
row; the line of a bad value is looked up only when an error is reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from addin.codes import Setting
from addin.errors import InputFileError
from addin.reference import schema

QUARTER_START_MONTH = {1: 1, 2: 4, 3: 7, 4: 10}
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
CODE_RE = r"^[0-9A-Z]{5}$"


# --------------------------------------------------------------------------- results


@dataclass
class Source:
    """One file to import: a display name (``q.zip!x.txt`` for zip members) and its bytes."""

    name: str
    data: bytes

    @property
    def filename(self) -> str:
        """The file's own name, without folders or the zip it came from."""
        return PurePosixPath(self.name.replace("\\", "/").split("!")[-1]).name


@dataclass
class ParsedTable:
    """A file parsed into one canonical table, with the facts that identify the import."""

    table: str
    setting: str
    vintage: dt.date
    part: str
    layout: str
    frame: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def identity(self) -> tuple[str, str, dt.date, str]:
        """(table, setting, vintage, part): what an import replaces when re-released."""
        return (self.table, self.setting, self.vintage, self.part)


@dataclass
class SkippedFile:
    """A file recognised as something cpt-addin does not use (GPCI, NUCC, a PDF...)."""

    source: str
    reason: str


@dataclass
class Hints:
    """What the user told us on the command line (``--setting``, ``--vintage``)."""

    setting: str | None = None
    vintage: dt.date | None = None


# --------------------------------------------------------------------------- decoding


def check_not_binary(source: Source) -> None:
    """Refuse empty files, UTF-16/32 text and binary data with a message that says so."""
    data = source.data
    if not data.strip():
        raise InputFileError(source.name, "the file is empty")
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(head) > 3 and head.count(b"\x00") > len(head) // 8
    ):
        raise InputFileError(
            source.name,
            "the file is UTF-16 (or binary) text; save it as CSV UTF-8 or Latin-1 "
            "(Excel: Save As > CSV UTF-8)",
            line=1,
        )
    if b"\x00" in head:
        raise InputFileError(source.name, "the file contains binary data, not text", line=1)
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    if controls > len(head) // 20:
        raise InputFileError(source.name, "the file is binary data, not text or a spreadsheet")


def decode_text(source: Source) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252 / Latin-1."""
    check_not_binary(source)
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def utf8_bytes(source: Source) -> bytes:
    """The file's bytes as UTF-8 (BOM removed), for pyarrow's CSV reader."""
    check_not_binary(source)
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return decode_text(source).encode("utf-8")


# --------------------------------------------------------------------------- name hints


def vintage_from_text(text: str) -> dt.date | None:
    """Find a vintage in a file name, sheet name or title line.

    Recognises ``2024q3`` / ``V2026Q2`` / ``2026-q2`` (quarter start), ``Eff_04-01-2026``,
    NCCI versions ``v322r0`` (v32.2 = 2026 Q3: major N is year 1994 + N, minor 0..3 is Q1..Q4),
    RVU names ``PPRRVU2025_Oct`` / ``rvu25d`` (A..D = Jan, Apr, Jul, Oct), HCPCS
    ``HCPC2026_OCT``, titles such as ``2025 ... October Release``, and a lone year (January 1).
    """
    lower = text.lower()
    patterns: list[tuple[str, Callable[[re.Match[str]], dt.date]]] = [
        (
            r"eff(?:ective)?[ _-]*(\d{1,2})[-_/](\d{1,2})[-_/](\d{4})",
            lambda m: dt.date(int(m[3]), int(m[1]), int(m[2])),
        ),
        (
            r"(?<!\d)(20\d{2})[ _-]?q([1-4])(?!\d)",
            lambda m: dt.date(int(m[1]), QUARTER_START_MONTH[int(m[2])], 1),
        ),
        (
            r"(?<![a-z0-9])q([1-4])[ _-]?(20\d{2})(?!\d)",
            lambda m: dt.date(int(m[2]), QUARTER_START_MONTH[int(m[1])], 1),
        ),
        (
            r"(?<![a-z])v(\d{2})([0-3])r\d+",
            lambda m: dt.date(1994 + int(m[1]), QUARTER_START_MONTH[int(m[2]) + 1], 1),
        ),
        (
            r"(?<![a-z])rvu(\d{2})([a-d])(?![a-z])",
            lambda m: dt.date(2000 + int(m[1]), QUARTER_START_MONTH["abcd".index(m[2]) + 1], 1),
        ),
        (
            r"(20\d{2}|\d{2})[ _-]?(jan|apr|jul|oct)(?:uary|il|y|ober)?(?![a-z])",
            lambda m: dt.date(_year(m[1]), _MONTHS[m[2]], 1),
        ),
        (
            r"(20\d{2})\b.*?\b(january|april|july|october)\s+release",
            lambda m: dt.date(int(m[1]), _MONTHS[m[2]], 1),
        ),
        (r"(?<!\d)((?:19|20)\d{2})(?!\d)", lambda m: dt.date(int(m[1]), 1, 1)),
    ]
    for pattern, build in patterns:
        match = re.search(pattern, lower)
        if match:
            try:
                return build(match)
            except (ValueError, KeyError):
                continue
    return None


def _year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def setting_from_text(text: str) -> str | None:
    """Find the NCCI setting in a file name or title (``ccipra``, ``outpatient``, ``DME``...)."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]
    for token in tokens:
        if token.startswith(("ccipra", "prac", "physician", "professional")):
            return Setting.practitioner.value
        if token.startswith(("ccioph", "ccihcfa", "out", "hosp", "facility", "oph")):
            return Setting.hospital.value
        if token.startswith("dme"):
            return Setting.dme.value
    return None


def part_from_name(name: str) -> str:
    """The part of a multi-part PTP file (``ccipra-v322r0-f2.txt`` -> ``f2``), else ``""``."""
    match = re.search(r"(?<![a-z0-9])f([1-9])(?![0-9])", name.lower())
    return f"f{match[1]}" if match else ""


def quarter_start(day: dt.date) -> dt.date:
    """First day of the quarter a date falls in."""
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def parse_vintage(value: object) -> dt.date:
    """Parse a ``--vintage`` value: ``2026Q3``, ``2026-07-01``, ``07/01/2026`` or a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})\s*-?\s*[qQ]([1-4])", text)
    if match:
        return dt.date(int(match[1]), QUARTER_START_MONTH[int(match[2])], 1)
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a vintage: use 2026Q3 or 2026-07-01")


def resolve_setting(
    table: str,
    source: Source,
    hints: Hints,
    from_content: str | None = None,
) -> str:
    """Decide the setting of an import: content, then ``--setting``, then the file name.

    A ``--setting`` that contradicts what the file itself says is refused rather than
    silently mislabelling a whole table.
    """
    allowed = schema.TABLE_SETTINGS[table]
    if allowed == (schema.ALL_SETTINGS,):
        return schema.ALL_SETTINGS
    override = Setting.parse(hints.setting).value if hints.setting else None
    if from_content and override and from_content != override:
        raise InputFileError(
            source.name,
            f"the file says it is the {from_content} table but --setting {override} was given",
        )
    setting = from_content or override or setting_from_text(source.name)
    if setting is None:
        raise InputFileError(
            source.name,
            f"cannot tell which setting this {table.upper()} table is for: keep CMS's file "
            f"name or pass --setting ({' / '.join(allowed)})",
        )
    if setting not in allowed:
        raise InputFileError(
            source.name, f"{table.upper()} tables have no {setting} setting ({', '.join(allowed)})"
        )
    return setting


def resolve_vintage(
    table: str,
    source: Source,
    hints: Hints,
    from_content: dt.date | None = None,
    fallback: dt.date | None = None,
    notes: list[str] | None = None,
) -> dt.date:
    """Decide the vintage: ``--vintage``, then the file's content, name, or a fallback."""
    if hints.vintage:
        return hints.vintage
    vintage = from_content or vintage_from_text(source.filename)
    if vintage is None and "!" in source.name:
        vintage = vintage_from_text(source.name)  # the zip's own name (medicare-ncci-2026q2-...)
    if vintage is None and fallback is not None:
        vintage = fallback
        if notes is not None:
            notes.append(f"no date in the file or its name; vintage set to {fallback.isoformat()}")
    if vintage is None:
        raise InputFileError(
            source.name,
            f"cannot tell which quarter this {table.upper()} file is for: keep CMS's file name "
            "(e.g. ..._2026q3...) or pass --vintage 2026Q3",
        )
    return vintage


# --------------------------------------------------------------------------- row context


@dataclass
class RowContext:
    """Where the rows of a parsed table came from, to name the line of a bad value.

    ``locate(i)`` turns a data-row index into the file's line number (or spreadsheet row);
    it may be slow (it can rescan the file) because it only runs when reporting an error.
    """

    file: str
    locate: Callable[[int], int | None]

    def fail(self, index: int, column: str, reason: str) -> InputFileError:
        """Build the error for data row ``index``."""
        return InputFileError(self.file, reason, line=self.locate(int(index)), column=column)


def offset_locator(first_line: int, lines: Iterable[int] | None = None) -> Callable[[int], int]:
    """Locator for rows that sit one per line (or with known line numbers)."""
    if lines is not None:
        known = np.asarray(list(lines), dtype=np.int64)
        return lambda i: int(known[i])
    return lambda i: first_line + i


# --------------------------------------------------------------------------- cell text


def cell_text(values: pd.Series | list[object]) -> pd.Series:
    """Cells (text, numbers, dates from a spreadsheet) as stripped text.

    Integral numbers lose the ``.0`` Excel gives them (``47383.0`` -> ``"47383"``); empty cells
    and None become ``""``.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if series.dtype == object:
        series = series.where(series.notna(), "")
    text = series.astype(str).str.strip()
    return text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def normalise_header(text: object) -> str:
    """Header cell as a key: lower case, runs of spaces / punctuation as one ``_``."""
    return re.sub(r"[^a-z0-9*=]+", "_", str(text).lower()).strip("_")


# --------------------------------------------------------------------------- validators


def _first(mask: np.ndarray | pd.Series) -> int | None:
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(positions[0]) if positions.size else None


def to_codes(
    text: pd.Series,
    ctx: RowContext,
    column: str,
    *,
    pattern: str = CODE_RE,
    what: str = "a 5-character CPT/HCPCS code",
    allow_empty: bool = False,
) -> pd.Series:
    """Codes as canonical upper-case text; numbers re-padded (``100`` -> ``00100``)."""
    codes = text.str.upper()
    short_digits = codes.str.fullmatch(r"\d{1,4}").fillna(False).astype(bool)
    if short_digits.any():
        codes = codes.where(~short_digits, codes.str.zfill(5))
    valid = codes.str.fullmatch(pattern.strip("^$")).fillna(False).astype(bool)
    if allow_empty:
        valid |= codes == ""
    bad = _first(~valid)
    if bad is not None:
        value = text.iloc[bad]
        reason = f"missing code (expected {what})" if value == "" else f"{value!r} is not {what}"
        raise ctx.fail(bad, column, reason)
    return codes.astype("str")


def to_dates(
    text: pd.Series,
    ctx: RowContext,
    column: str,
    *,
    formats: tuple[str, ...] = ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y"),
    allow_missing: bool = True,
) -> pd.Series:
    """Parse a date column; ``""`` and ``*`` are NaT (missing / no deletion date).

    Formats are tried in order on the values still unparsed (pyarrow ``strptime``, vectorised);
    ``%Y%j`` is the Julian ``YYYYDDD`` form of the AOC file. ISO values with a time part
    (dates from spreadsheets) are cut to the date.
    """
    stripped = text.str.strip()
    missing = stripped.isin(["", "*"]).to_numpy()
    if not allow_missing:
        bad = _first(missing)
        if bad is not None:
            raise ctx.fail(bad, column, "missing date")
    iso = stripped.str.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?")
    if iso.fillna(False).any():
        stripped = stripped.where(~iso.fillna(False).astype(bool), stripped.str.slice(0, 10))
    arrow = pa.array(stripped.to_numpy(dtype=object), type=pa.string())
    result: pa.Array | None = None
    for fmt in formats:
        parsed = pc.strptime(arrow, format=fmt, unit="s", error_is_null=True)
        if fmt == "%Y%m%d":  # strptime accepts 1-digit fields; demand exactly 8 digits
            exact = pc.match_substring_regex(arrow, r"^\d{8}$")
            parsed = pc.if_else(exact, parsed, pa.scalar(None, parsed.type))
        elif fmt == "%Y%j":
            exact = pc.match_substring_regex(arrow, r"^\d{7}$")
            parsed = pc.if_else(exact, parsed, pa.scalar(None, parsed.type))
        result = parsed if result is None else pc.coalesce(result, parsed)
    assert result is not None
    values = pd.Series(result.to_numpy(zero_copy_only=False), index=text.index).astype(
        "datetime64[s]"
    )
    values[missing] = pd.NaT
    unparsed = values.isna().to_numpy() & ~missing
    years = values.dt.year.to_numpy()
    out_of_range = ~np.isnan(years) & ((years < 1900) | (years > 2199))
    bad = _first(unparsed | out_of_range)
    if bad is not None:
        raise ctx.fail(
            bad,
            column,
            f"{text.iloc[bad]!r} is not a date (expected {' or '.join(_fmt_names(formats))})",
        )
    return values


def _fmt_names(formats: tuple[str, ...]) -> list[str]:
    names = {"%Y%m%d": "YYYYMMDD", "%Y-%m-%d": "YYYY-MM-DD", "%m/%d/%Y": "MM/DD/YYYY"}
    names["%Y%j"] = "YYYYDDD"
    return [names.get(f, f) for f in formats]


def to_choice(
    text: pd.Series,
    ctx: RowContext,
    column: str,
    allowed: Iterable[int],
    *,
    first_char: bool = False,
) -> pd.Series:
    """A small integer indicator (``0/1/9``, MAI ``1/2/3``) as int8.

    ``first_char`` reads the leading digit of texts such as ``"2 Date of Service Edit: Policy"``.
    """
    values = text.str.strip()
    if first_char:
        values = values.str.extract(r"^(\d)(?:\D|$)", expand=False).fillna("")
    choices = [str(a) for a in allowed]
    valid = values.isin(choices).to_numpy()
    bad = _first(~valid)
    if bad is not None:
        raise ctx.fail(
            bad, column, f"{text.iloc[bad]!r} is not one of {', '.join(choices)}"
        )
    return values.astype("int8")


def to_int(text: pd.Series, ctx: RowContext, column: str, *, minimum: int = 0) -> pd.Series:
    """A non-negative whole number column as int32."""
    valid = text.str.fullmatch(r"\d{1,9}").fillna(False).to_numpy(dtype=bool)
    bad = _first(~valid)
    if bad is not None:
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is not a whole number")
    values = text.astype("int64")
    bad = _first((values < minimum).to_numpy())
    if bad is not None:
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is below {minimum}")
    return values.astype("int32")


def to_float(text: pd.Series, ctx: RowContext, column: str) -> pd.Series:
    """A decimal column (RVUs, conversion factor); blank is NaN."""
    stripped = text.str.strip()
    values = pd.to_numeric(stripped.where(stripped != "", None), errors="coerce")
    bad = _first(values.isna().to_numpy() & (stripped != "").to_numpy())
    if bad is not None:
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is not a number")
    return values.astype("float64")


def finish(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Put the canonical columns in order and check nothing is missing or extra."""
    expected = schema.COLUMNS[table]
    missing = [c for c in expected if c not in frame.columns]
    if missing:  # pragma: no cover - importer bug, not user input
        raise AssertionError(f"{table} importer left out {missing}")
    return frame[expected].reset_index(drop=True)


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Mask of rows whose every cell is empty text."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    return (frame == "").all(axis=1).to_numpy()
