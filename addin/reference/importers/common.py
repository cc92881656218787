"""Shared pieces of the importers: the parse result, text decoding, name hints, validators.

Every importer turns one file into a :class:`ParsedTable` whose ``frame`` has exactly the
columns of :data:`addin.reference.schema.COLUMNS` for its table, or raises
:class:`addin.errors.InputFileError` naming the file, the line (or spreadsheet row) and the
column of the first problem. Validators work on whole columns (pandas / pyarrow), never row by
row; the line of a bad value is looked up only when an error is reported.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TypeVar

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
T = TypeVar("T")


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

    @property
    def name_chain(self) -> list[str]:
        """The file's name, then the zips holding it, innermost first (for name hints)."""
        return [PurePosixPath(p.replace("\\", "/")).name for p in reversed(self.name.split("!"))]


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


def is_utf8(data: bytes, chunk: int = 1 << 22) -> bool:
    """True when the bytes are valid UTF-8 (checked in chunks: no full-size copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(view[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def utf8_bytes(source: Source) -> bytes:
    """The file's bytes as UTF-8 (BOM removed), for pyarrow's CSV reader."""
    check_not_binary(source)
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if is_utf8(data):
        return data
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
    if override not in allowed:
        override = None  # ``--setting dme`` labels the MUE files of a folder, not its PTP files
    if from_content and override and from_content != override:
        raise InputFileError(
            source.name,
            f"the file says it is the {from_content} table but --setting {override} was given",
        )
    setting = from_content or override or _first_hint(setting_from_text, source.name_chain)
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
    # the file's name, else the zip's (medicare-ncci-2026q2-...)
    vintage = from_content or _first_hint(vintage_from_text, source.name_chain)
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


def _first_hint(find: Callable[[str], T | None], names: list[str]) -> T | None:
    for name in names:
        found = find(name)
        if found is not None:
            return found
    return None


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
    what: str = "a 5-character CPT/HCPCS code",
    allow_empty: bool = False,
) -> pd.Series:
    """Codes as canonical upper-case text; numbers re-padded (``100`` -> ``00100``).

    Valid codes are five ASCII letters or digits (``CCCCC`` included, for the AOC file).
    """
    arr = pc.utf8_upper(pc.utf8_trim_whitespace(_arrow_text(text)))
    lengths = pc.utf8_length(arr)
    if pc.any(pc.less(lengths, 5)).as_py():
        short = pc.and_(pc.less(lengths, 5), pc.ascii_is_decimal(arr))
        arr = pc.if_else(short, pc.utf8_lpad(arr, 5, "0"), arr)
        lengths = pc.utf8_length(arr)
    valid = pc.and_(pc.equal(lengths, 5), pc.ascii_is_alnum(arr))
    if allow_empty:
        valid = pc.or_(valid, pc.equal(lengths, 0))
    bad = _first(pc.invert(valid).to_numpy(zero_copy_only=False))
    if bad is not None:
        value = text.iloc[bad]
        reason = (
            f"missing code (expected {what})" if not value.strip() else f"{value!r} is not {what}"
        )
        raise ctx.fail(bad, column, reason)
    return _pandas_text(arr, text.index)


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
    arr = pc.utf8_trim_whitespace(_arrow_text(text))
    missing = pc.is_in(arr, value_set=pa.array(["", "*"])).to_numpy(zero_copy_only=False)
    if not allow_missing:
        bad = _first(missing)
        if bad is not None:
            raise ctx.fail(bad, column, "missing date")
    if missing.all():  # a column the layout lost (derived PTP has no effective date)
        return pd.Series(
            np.full(len(text), np.datetime64("NaT"), "datetime64[s]"), index=text.index
        )
    lengths = pc.utf8_length(arr)
    if pc.any(pc.greater(lengths, 10)).as_py():
        with_time = pc.match_substring_regex(arr, r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
        arr = pc.if_else(with_time, pc.utf8_slice_codeunits(arr, 0, 10), arr)
        lengths = pc.utf8_length(arr)
    digits = pc.ascii_is_decimal(arr)
    missing_arrow = pa.array(missing)
    result = None
    for fmt in formats:
        if result is not None:  # try the next format only on what is still unparsed
            pending = pc.and_(pc.is_null(result), pc.invert(missing_arrow))
            if not pc.any(pending).as_py():
                break
        parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
        exact = _exact_date(fmt, arr, lengths, digits, parsed)
        parsed = pc.if_else(exact, parsed, pa.scalar(None, parsed.type))
        result = parsed if result is None else pc.coalesce(result, parsed)
    assert result is not None
    numpy_dates = result.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    numpy_dates[missing] = np.datetime64("NaT")
    unparsed = np.isnat(numpy_dates) & ~missing
    years = numpy_dates.astype("datetime64[Y]").astype("int64") + 1970
    out_of_range = ~np.isnat(numpy_dates) & ((years < 1900) | (years > 2199))
    bad = _first(unparsed | out_of_range)
    if bad is not None:
        raise ctx.fail(
            bad,
            column,
            f"{text.iloc[bad]!r} is not a date (expected {' or '.join(_fmt_names(formats))})",
        )
    return pd.Series(numpy_dates, index=text.index)


# where the day of the month sits in the text forms with optional zero padding
_DAY_PATTERNS = {
    "%Y-%m-%d": r"^\d{4}-\d{1,2}-(?P<day>\d{1,2})$",
    "%m/%d/%Y": r"^\d{1,2}/(?P<day>\d{1,2})/\d{4}$",
}


def _exact_date(fmt: str, arr, lengths, digits, parsed) -> pa.Array:
    """Where ``parsed`` really is the text's date.

    strptime accepts one-digit fields (``2022011``) and rolls impossible days over
    (``2025-02-30`` -> March 2, day 366 of a common year -> next year): demand the exact
    width for the digit-only forms and the same day (or year, for ``YYYYDDD``) back.
    """
    if fmt == "%Y%m%d":
        shaped = pc.and_(pc.equal(lengths, 8), digits)
        day = pc.cast(pc.if_else(shaped, pc.utf8_slice_codeunits(arr, 6, 8), "0"), pa.int64())
        return pc.fill_null(pc.and_(shaped, pc.equal(day, pc.day(parsed))), False)
    if fmt == "%Y%j":
        shaped = pc.and_(pc.equal(lengths, 7), digits)
        year = pc.cast(pc.if_else(shaped, pc.utf8_slice_codeunits(arr, 0, 4), "0"), pa.int64())
        return pc.fill_null(pc.and_(shaped, pc.equal(year, pc.year(parsed))), False)
    if fmt in _DAY_PATTERNS:
        day_text = pc.struct_field(pc.extract_regex(arr, _DAY_PATTERNS[fmt]), "day")
        day_text = pc.if_else(pc.is_valid(day_text), day_text, "0")
        same = pc.equal(pc.cast(day_text, pa.int64()), pc.day(parsed))
        return pc.fill_null(same, False)
    return pc.is_valid(parsed)


def stripped_category(text: pd.Series) -> pd.Series:
    """A repetitive text column (PTP rationale) as a category, stripped once per distinct value."""
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    stripped = pd.Index(uniques).astype(str).str.strip()
    final_codes, final_uniques = pd.factorize(stripped)
    return pd.Series(
        pd.Categorical.from_codes(final_codes[codes], categories=final_uniques), index=text.index
    )


def _pandas_text(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """A pyarrow string array as a pandas ``str`` Series."""
    return pd.Series(arr.to_pandas(), index=index).astype("str")


def _arrow_text(series: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text Series as a pyarrow string array (zero-copy for pyarrow-backed strings)."""
    try:
        return pa.array(series.array, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array(series.astype(str).to_numpy(dtype=object), type=pa.string())


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
        raise ctx.fail(bad, column, f"{text.iloc[bad]!r} is not one of {', '.join(choices)}")
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
