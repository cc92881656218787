"""Plain CSV edit tables: custom or payer-specific PTP and MUE tables, and CMS-derived CSVs.

The first non-blank line is the header; columns are matched by name (case, spaces and
punctuation ignored), in any order, extra columns ignored. Delimiter: comma, semicolon, tab or
pipe (from the header line). Encoding: UTF-8 (BOM allowed) or Windows-1252. ``.gz`` is fine.

PTP table (a file with ``column_1`` and ``column_2``)::

    column_1, column_2 [, effective_date] [, deletion_date], modifier_indicator [, rationale] [, pre_1996]

MUE table (a file with ``code`` and ``mue_units``)::

    code, mue_units, mai [, rationale]

Optional on both: ``setting`` (practitioner / hospital / dme; one value for the whole file) and
``vintage`` (``2026Q3`` or ``2026-07-01``). Accepted aliases are listed in :data:`PTP_ALIASES`,
:data:`MUE_ALIASES` and :data:`EXTRA_ALIASES`; the CMS-derived files
(``column_1,column_2,deletion_date,modifier_indicator,ptp_edit_rationale`` and
``hcpcs_code,mue_units,mue_mai,mue_rationale,mue_service``) read through the same aliases.

Values: codes as 5 characters (numbers re-padded: ``100`` -> ``00100``); dates YYYYMMDD,
YYYY-MM-DD or MM/DD/YYYY, blank or ``*`` = none (a blank effective date means the edit applies
from the start, a blank deletion date that it is still active); modifier indicator 0, 1 or 9;
MAI 1, 2 or 3 (a leading digit as in ``2 Date of Service Edit: Policy`` is accepted);
``pre_1996`` ``*``/``Y``/``1`` or blank.

Setting and vintage, first found wins: ``--setting`` / ``--vintage`` on the command line, the
``setting`` / ``vintage`` columns, the file name (``..._practitioner_2024q3...``). See
``docs/custom_tables.md``.

Big files (the 2.5-million-row derived PTP table) are read with pyarrow's CSV reader; the scan
that names the line of a bad record runs only when there is an error to report.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from addin.codes import Setting
from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import (
    Hints,
    ParsedTable,
    RowContext,
    Source,
    finish,
    normalise_header,
    utf8_bytes,
)
from addin.reference.importers.names import parse_vintage, resolve_setting, resolve_vintage
from addin.reference.importers.ptp import build_ptp_frame
from addin.reference.importers.tabular import sniff_delimiter
from addin.reference.importers.validate import to_choice, to_codes, to_int

PTP_ALIASES: dict[str, tuple[str, ...]] = {
    "column_1": ("column_1", "column1", "col_1", "col1", "column_one", "code_1", "code1"),
    "column_2": ("column_2", "column2", "col_2", "col2", "column_two", "code_2", "code2"),
    "effective_date": ("effective_date", "effective", "eff_date", "effective_dt", "start_date"),
    "deletion_date": ("deletion_date", "deletion", "del_date", "deletion_dt", "end_date"),
    "modifier_indicator": (
        "modifier_indicator",
        "modifier",
        "mod_indicator",
        "mod_ind",
        "modifier_ind",
    ),
    "rationale": ("rationale", "ptp_edit_rationale", "edit_rationale", "ptp_rationale", "reason"),
    "pre_1996": ("pre_1996", "prior_to_1996", "pre1996", "in_existence_prior_to_1996"),
}
PTP_REQUIRED = ("column_1", "column_2", "modifier_indicator")

MUE_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "hcpcs_code", "hcpcs", "cpt", "cpt_code", "hcpcs_cpt_code"),
    "mue_units": ("mue_units", "mue", "mue_value", "mue_values", "max_units", "mue_limit"),
    "mai": ("mai", "mue_mai", "mue_adjudication_indicator", "adjudication_indicator"),
    "rationale": ("rationale", "mue_rationale"),
}
MUE_REQUIRED = ("code", "mue_units", "mai")

EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "setting": ("setting", "mue_service", "ptp_service", "service", "claim_type"),
    "vintage": ("vintage", "quarter", "version"),
}


def _match(keys: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for canonical, names in aliases.items():
        for name in names:
            if name in keys:
                found[canonical] = keys.index(name)
                break
    return found


def plain_table(header: list[str]) -> str | None:
    """Which plain table a header row describes (``ptp``, ``mue``), or None."""
    keys = [normalise_header(h) for h in header]
    ptp = _match(keys, PTP_ALIASES)
    if "column_1" in ptp and "column_2" in ptp:
        return schema.PTP
    mue = _match(keys, MUE_ALIASES)
    if "code" in mue and ("mue_units" in mue or "mai" in mue):
        return schema.MUE
    return None


def _header_line(text_head: str) -> int:
    """0-based index of the first non-blank line."""
    for index, line in enumerate(text_head.split("\n")):
        if line.strip():
            return index
    return 0


def parse_plain_csv(source: Source, hints: Hints) -> ParsedTable:
    """Parse a plain PTP or MUE CSV (custom, payer or CMS-derived)."""
    data = utf8_bytes(source)
    head = data[:65536].decode("utf-8", errors="replace")
    skip = _header_line(head)
    header_line = head.split("\n")[skip].rstrip("\r")
    delimiter = sniff_delimiter(header_line)
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(skip_rows=skip, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=b'"' in data),
            convert_options=pacsv.ConvertOptions(
                column_types=_all_text(header_line, delimiter),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise _locate_csv_error(source, data, delimiter) or InputFileError(
            source.name, f"not a readable CSV file: {exc}"
        ) from exc
    header = table.column_names
    keys = [normalise_header(h) for h in header]
    kind = plain_table(header)
    if kind is None:
        raise InputFileError(
            source.name,
            "not a table cpt-addin can import: a PTP table needs columns column_1, column_2, "
            "modifier_indicator; an MUE table code, mue_units, mai (see docs/custom_tables.md)",
            line=skip + 1,
        )
    raw = _drop_blank_rows(table.to_pandas())
    del table  # the pandas copy is what is validated; free the Arrow one
    raw.columns = [f"c{i}" for i in range(len(header))]
    ctx = RowContext(source.name, _record_locator(data, delimiter))
    aliases = PTP_ALIASES if kind == schema.PTP else MUE_ALIASES
    required = PTP_REQUIRED if kind == schema.PTP else MUE_REQUIRED
    found = _match(keys, aliases)
    for column in required:
        if column not in found:
            raise InputFileError(
                source.name,
                f"missing column {column!r} (accepted names: {', '.join(aliases[column])})",
                line=skip + 1,
            )
    empty = pd.Series("", index=raw.index, dtype="str")

    def col(name: str) -> pd.Series:
        return raw[f"c{found[name]}"] if name in found else empty

    def label(name: str) -> str:
        return header[found[name]] if name in found else name

    if kind == schema.PTP:
        columns = list(schema.COLUMNS[schema.PTP])
        frame = build_ptp_frame(
            pd.DataFrame({c: col(c) for c in columns}),
            ctx,
            [label(c) for c in columns],
            require_effective=False,
        )
    else:
        frame = finish(
            pd.DataFrame(
                {
                    "code": to_codes(col("code"), ctx, label("code")),
                    "mue_units": to_int(col("mue_units"), ctx, label("mue_units")),
                    "mai": to_choice(col("mai"), ctx, label("mai"), (1, 2, 3), first_char=True),
                    "rationale": col("rationale").str.strip().astype("str"),
                }
            ),
            schema.MUE,
        )
        duplicated = frame["code"].duplicated().to_numpy()
        if duplicated.any():  # two limits for one code: refused, as in the official layout
            index = int(duplicated.nonzero()[0][0])
            raise ctx.fail(
                index, label("code"), f"code {frame['code'].iloc[index]} appears twice"
            )
    extras = _match(keys, EXTRA_ALIASES)
    setting_values = _uniform(raw, extras.get("setting"), ctx, header, "setting")
    vintage_values = _uniform(raw, extras.get("vintage"), ctx, header, "vintage")
    content_setting = None
    if setting_values:
        try:
            content_setting = Setting.parse(setting_values).value
        except ValueError as exc:
            raise InputFileError(source.name, str(exc), column=header[extras["setting"]]) from exc
    content_vintage = None
    if vintage_values:
        try:
            content_vintage = parse_vintage(vintage_values)
        except ValueError as exc:
            raise InputFileError(source.name, str(exc), column=header[extras["vintage"]]) from exc
    setting = resolve_setting(kind, source, hints, content_setting)
    vintage = resolve_vintage(kind, source, hints, content_vintage)
    return ParsedTable(
        table=kind,
        setting=setting,
        vintage=vintage,
        part="",
        layout="plain-csv",
        frame=frame,
        source=source.name,
    )


def _drop_blank_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """Drop rows with nothing in any cell (Excel leaves ``,,,,`` lines at the end)."""
    if raw.empty:
        return raw
    maybe = (raw.iloc[:, 0].str.strip() == "").to_numpy()
    if not maybe.any():
        return raw
    blank = maybe.copy()
    for name in raw.columns[1:]:
        blank[maybe] &= (raw.loc[maybe, name].str.strip() == "").to_numpy()
    return raw[~blank].reset_index(drop=True)


def _all_text(header_line: str, delimiter: str) -> dict[str, pa.DataType]:
    names = next(csv.reader([header_line], delimiter=delimiter), [])
    return {name: pa.string() for name in names}


def _uniform(
    raw: pd.DataFrame, index: int | None, ctx: RowContext, header: list[str], what: str
) -> str | None:
    """The single value of a per-file column (setting, vintage); refuse a mix."""
    if index is None:
        return None
    values = raw[f"c{index}"].str.strip()
    distinct = [v for v in values.unique() if v]
    if len(distinct) > 1:
        row = int((values != distinct[0]).to_numpy().nonzero()[0][0])
        raise ctx.fail(
            row,
            header[index],
            f"the file mixes {what}s ({distinct[0]!r}, {distinct[1]!r}): import one {what} per file",
        )
    return distinct[0] if distinct else None


def _records(data: bytes, delimiter: str):
    """(first line, fields) of each non-blank record; the header comes first."""
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    for record in reader:
        first_line = previous_end + 1
        previous_end = reader.line_num
        if record and any(field.strip() for field in record):
            yield first_line, record


def _record_locator(data: bytes, delimiter: str):
    """Data-row index (blank rows not counted) -> the line the record starts on."""

    def locate(index: int) -> int | None:
        for number, (line, _) in enumerate(_records(data, delimiter)):
            if number == index + 1:  # record 0 is the header
                return line
        return None

    return locate


def _locate_csv_error(source: Source, data: bytes, delimiter: str) -> InputFileError | None:
    """Name the first record whose field count differs from the header's."""
    width = None
    try:
        for line, record in _records(data, delimiter):
            if width is None:
                width = len(record)
            elif len(record) != width:
                return InputFileError(
                    source.name,
                    f"expected {width} fields like the header, found {len(record)}",
                    line=line,
                )
    except csv.Error as exc:
        return InputFileError(source.name, f"not valid CSV: {exc}")
    return None
