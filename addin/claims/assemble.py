"""Split a read table into checked lines and rejected rows: the :class:`ClaimsInput`.

Each canonical field is normalised once over its whole column (:mod:`~addin.claims.normalize`);
a row whose code, date or units cannot be read is rejected with every reason found, and every
other non-blank row becomes a line. ``raw`` keeps the input as read for the audit report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from addin.claims.columns import ColumnMapping
from addin.claims.coverage import missing_column_notes
from addin.claims.model import LINE_COLUMNS, MULTI_COLUMNS, REJECTED_COLUMNS, ClaimsInput
from addin.claims.normalize import (
    Coded,
    code_column,
    date_column,
    demographic_columns,
    dx_value,
    joined_column,
    modifiers_value,
    nth_item,
    pos_column,
    text_column,
    units_column,
)
from addin.claims.sources import headers_list
from addin.claims.table import RawTable, blank_rows, cell_text
from addin.errors import InputFileError

#: Longest ``rejected.raw`` text.
RAW_TEXT_LIMIT = 200

_FIELD_LABELS = {
    "claim_id": "Claim ID",
    "patient_id": "Patient ID",
    "provider_npi": "Provider NPI",
    "dos": "Date of Service",
    "cpt": "Code",
    "modifiers": "Modifiers",
    "units": "Units",
    "dx": "Diagnosis",
    "pos": "Place of Service",
}


def assemble(
    table: RawTable,
    mapping: ColumnMapping,
    date_default: dt.date | None,
    name: str,
    sha256: str | None,
) -> ClaimsInput:
    """Normalise ``table`` under ``mapping`` into a :class:`ClaimsInput` (``name`` for messages)."""
    if "dos" not in mapping.sources and date_default is None:
        raise InputFileError(
            name,
            "no date-of-service column (DOS, Date of Service, Service Date, ...); map one with "
            '--map dos="Your Header" or give a default date of service; '
            f"headers found: {headers_list(table.headers)}",
            line=table.header_row,
        )
    blank = blank_rows(table.data)
    fields = _Fields(table, mapping, blank, date_default)
    fields.identifiers()
    fields.code()
    fields.date_of_service()
    fields.units()
    fields.code_lists()
    fields.out.update(  # dob / age / sex (issue 12): unreadable cells are findings, not rejections
        demographic_columns(
            {
                c: (fields.column(c), fields.label(c))
                for c in ("dob", "age", "sex")
                if c in fields.src
            },
            fields.n,
        )
    )
    reason, reason_column = _row_reasons(fields.problems, fields.n)
    rejected_mask = reason != None  # noqa: E711 - element-wise on an object array
    lines = fields.lines_frame(~rejected_mask)
    rejected = _rejected_frame(fields.rows, fields.data, rejected_mask, reason, reason_column)

    raw = fields.data.copy(deep=False)
    if "row" in raw.columns:
        raw = raw.rename(columns={"row": "row_input"})
    raw.insert(0, "row", fields.rows)

    column_mapping = _column_mapping(table, mapping)
    fields.notes.extend(missing_column_notes(column_mapping))
    meta: dict[str, Any] = {
        "file": name,
        "sha256": sha256,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "column_mapping": column_mapping,
        "rows_read": fields.n,
        "rows_checked": len(lines),
        "rows_rejected": len(rejected),
        "blank_rows": int(blank.sum()),
        "notes": list(table.notes) + list(mapping.notes) + fields.notes,
        **table.extra_meta,
    }
    return ClaimsInput(lines=lines, rejected=rejected, raw=raw, meta=meta)


class _Fields:
    """The canonical fields of the non-blank rows, built one field at a time.

    Each step stores its column(s) in :attr:`out` (plain values) or :attr:`coded` (columns that
    become categoricals), adds a note when it had to assume something, and appends to
    :attr:`problems` the reason per row (or None) when a field makes a row unreadable.
    """

    def __init__(
        self,
        table: RawTable,
        mapping: ColumnMapping,
        blank: np.ndarray,
        date_default: dt.date | None,
    ) -> None:
        self.data, self.rows = table.data, table.rows
        if blank.any():
            self.data = self.data.loc[~blank].reset_index(drop=True)
            self.rows = self.rows[~blank]
        self.n = len(self.rows)
        names = table.names
        self.extras = [names[j] for j in mapping.extras]
        self.src = {c: [names[j] for j in positions] for c, positions in mapping.sources.items()}
        self.date_default = date_default
        self.out: dict[str, Any] = {"row": self.rows}
        self.coded: dict[str, Coded | None] = {}
        self.problems: list[tuple[str, np.ndarray]] = []
        self.notes: list[str] = []

    def column(self, canonical: str) -> pd.Series:
        return self.data[self.src[canonical][0]]

    def label(self, canonical: str) -> str:
        """The user's header for a field (used in reasons)."""
        return self.src[canonical][0] if canonical in self.src else _FIELD_LABELS[canonical]

    def identifiers(self) -> None:
        for canonical in ("claim_id", "patient_id", "provider_npi"):
            self.out[canonical] = (
                text_column(self.column(canonical))
                if canonical in self.src
                else pd.Series([""] * self.n, dtype="str")
            )
        if "claim_id" not in self.src:
            self.notes.append("no claim id column: all lines are treated as one claim")
        if "patient_id" not in self.src:
            # PTP, MUE and duplicate edits group by patient: the claim is the best stand-in
            self.out["patient_id"] = self.out["claim_id"]
            self.notes.append("no patient column: claim id used as patient")
        else:
            empty = (self.out["patient_id"] == "").to_numpy()
            if empty.any():
                self.out["patient_id"] = self.out["patient_id"].where(~empty, self.out["claim_id"])
                self.notes.append(f"{_lines(empty.sum())} without a patient id: claim id used")
        if "provider_npi" not in self.src:
            self.notes.append(
                "no provider NPI column: all lines are treated as one provider (PTP, MUE, "
                "add-on and duplicate checks group lines per patient and date only)"
            )

    def code(self) -> None:
        cpt = code_column(self.column("cpt"))
        self.coded["cpt"] = cpt
        missing = cpt.values() == ""
        reason = f"{self.label('cpt')} is empty: no procedure code"
        self.problems.append((self.src["cpt"][0], np.where(missing, reason, None)))

    def date_of_service(self) -> None:
        default = self.date_default
        if "dos" not in self.src:
            assert default is not None
            self.out["dos"] = np.full(self.n, np.datetime64(default, "ns"))
            self.notes.append(
                f"no date-of-service column: {default.isoformat()} used for every line"
            )
            return
        dates = date_column(self.column("dos"))
        values = dates.values.copy()
        label = self.label("dos")
        reasons = _reasons(self.column("dos"), dates.problems, label)
        if default is not None:
            values[dates.empty] = np.datetime64(default, "ns")
            if dates.empty.any():
                self.notes.append(
                    f"{_lines(dates.empty.sum())} without a date of service: "
                    f"{default.isoformat()} used"
                )
        else:
            empty_reason = f"{label} is empty (and no default date of service given)"
            reasons = np.where(dates.empty, empty_reason, reasons)
        self.out["dos"] = values
        self.problems.append((self.src["dos"][0], reasons))

    def units(self) -> None:
        if "units" not in self.src:
            self.out["units"] = np.ones(self.n, dtype=np.int64)
            self.notes.append("no units column: 1 unit per line assumed (MUE checks too)")
            return
        units = units_column(self.column("units"))
        self.out["units"] = units.values
        reasons = _reasons(self.column("units"), units.problems, self.label("units"))
        self.problems.append((self.src["units"][0], reasons))

    def code_lists(self) -> None:
        """Modifiers (all, and the first four one by one), diagnoses and place of service."""
        if "modifiers" in self.src:
            modifiers = joined_column(
                [self.data[c] for c in self.src["modifiers"]], modifiers_value
            )
            for k in range(4):
                self.coded[f"mod{k + 1}"] = nth_item(modifiers, k)
            self.coded["modifiers"] = modifiers
        if "dx" in self.src:
            self.coded["dx"] = joined_column([self.data[c] for c in self.src["dx"]], dx_value)
        if "pos" in self.src:
            self.coded["pos"] = pos_column(self.column("pos"))

    def lines_frame(self, keep: np.ndarray) -> pd.DataFrame:
        """:data:`LINE_COLUMNS` for the rows in ``keep``, then the extra input columns."""
        everything = bool(keep.all())
        count = int(keep.sum())

        def kept(values: Any) -> Any:
            if everything:
                return values
            if isinstance(values, pd.Series):
                return values[keep].reset_index(drop=True)
            return values[keep]

        columns: dict[str, Any] = {}
        for name in LINE_COLUMNS:
            if name in self.out:
                columns[name] = kept(self.out[name])
                continue
            coded = self.coded.get(name)
            if coded is None:  # absent field: "" on every line
                empty = np.zeros(count, dtype=np.int8)
                columns[name] = pd.Categorical.from_codes(
                    empty, categories=pd.Index([""], dtype="str")
                )
            else:
                columns[name] = coded.categorical(None if everything else keep)
        frame = pd.DataFrame(columns)
        frame["row"] = frame["row"].astype(np.int64)
        frame["units"] = frame["units"].astype(np.int64)
        frame["dos"] = frame["dos"].astype("datetime64[ns]")
        if self.extras:
            extras = self.data[self.extras]
            if not everything:
                extras = extras.loc[keep].reset_index(drop=True)
            clashes = {c: f"{c}_input" for c in self.extras if c in frame.columns}
            frame = pd.concat([frame, extras.rename(columns=clashes)], axis=1)
        return frame


def _column_mapping(table: RawTable, mapping: ColumnMapping) -> dict[str, str | list[str]]:
    """canonical -> the header as typed (a list for several modifier/diagnosis columns)."""
    out: dict[str, str | list[str]] = {}
    for canonical, positions in mapping.sources.items():
        headers = [table.headers[j] or table.names[j] for j in positions]
        out[canonical] = headers if canonical in MULTI_COLUMNS and len(headers) > 1 else headers[0]
    return out


def _lines(count: int | np.integer) -> str:
    return f"{int(count)} line" + ("" if int(count) == 1 else "s")


def _reasons(column: pd.Series, problems: np.ndarray, label: str) -> np.ndarray:
    """``Label "value" problem`` for the rows with a problem, None elsewhere."""
    out = np.full(len(problems), None, dtype=object)
    bad = np.flatnonzero(problems != None)  # noqa: E711
    if len(bad):
        values = column.iloc[bad].tolist()
        out[bad] = [
            f'{label} "{_short(cell_text(v))}" {p}'
            for v, p in zip(values, problems[bad], strict=True)
        ]
    return out


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row_reasons(problems: list[tuple[str, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Combine per-field reasons: all reasons of a row joined ``; ``, the first field's header."""
    reason = np.full(n, None, dtype=object)
    column = np.full(n, "", dtype=object)
    for header, field_reasons in problems:
        hit = np.flatnonzero(field_reasons != None)  # noqa: E711
        for i in hit.tolist():
            if reason[i] is None:
                reason[i] = field_reasons[i]
                column[i] = header
            else:
                reason[i] = f"{reason[i]}; {field_reasons[i]}"
    return reason, column


def _rejected_frame(
    rows: np.ndarray,
    data: pd.DataFrame,
    rejected_mask: np.ndarray,
    reason: np.ndarray,
    reason_column: np.ndarray,
) -> pd.DataFrame:
    where = np.flatnonzero(rejected_mask)
    if len(where):
        cells = data.iloc[where].astype(object).to_numpy()
        raw_text = [_raw_text(r) for r in cells]
    else:
        raw_text = []
    return pd.DataFrame(
        {
            "row": pd.Series(rows[where], dtype=np.int64),
            "column": pd.Series(reason_column[where], dtype="str"),
            "reason": pd.Series(reason[where], dtype="str"),
            "raw": pd.Series(raw_text, dtype="str"),
        },
        columns=REJECTED_COLUMNS,
    )


def _raw_text(cells: Sequence[object]) -> str:
    text = " | ".join(cell_text(c) for c in cells)
    return text if len(text) <= RAW_TEXT_LIMIT else text[: RAW_TEXT_LIMIT - 1] + "…"
