"""HCPCS Level II: the official ANWEB file (XLSX or CSV) and the derived CSVs.

ANWEB columns: ``HCPC, SEQNUM, RECID, LONG DESCRIPTION, SHORT DESCRIPTION, PRICE1..4, ...,
ADD DT, ACT EFF DT, TERM DT, ACTION CD``. RECID 3 is a procedure code's first line and RECID 4
a continuation of its long description (SEQNUM 0020, 0030...); RECID 7 is a modifier's first
line and RECID 8 its continuation. Modifier HCPCs carry leading spaces (``   A1``). Continuation
lines are joined to the first line; dates are YYYYMMDD.

Derived CSVs (UTF-8 with BOM): ``hcpcs,seqnum,recid,long_description,short_description`` (same
record ids, no dates) and ``hcpcs_code,long_description,short_description`` (codes only).
The vintage comes from the name (``HCPC2026_OCT`` -> 2026-10-01, ``..._2024`` -> 2024-01-01).
"""

from __future__ import annotations

import pandas as pd

from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import (
    Hints,
    ParsedTable,
    RowContext,
    finish,
    normalise_header,
)
from addin.reference.importers.names import resolve_vintage
from addin.reference.importers.tabular import Grid
from addin.reference.importers.validate import to_choice, to_dates

FIRST_LINE = {3: "code", 7: "modifier"}
CONTINUATION = {4: 3, 8: 7}

ANWEB_KEYS = {
    "hcpc": "HCPC",
    "seqnum": "SEQNUM",
    "recid": "RECID",
    "long_description": "LONG DESCRIPTION",
    "short_description": "SHORT DESCRIPTION",
    "add_dt": "ADD DT",
    "act_eff_dt": "ACT EFF DT",
    "term_dt": "TERM DT",
    "action_cd": "ACTION CD",
}
DERIVED_RECORD_KEYS = ["hcpcs", "seqnum", "recid", "long_description", "short_description"]
DERIVED_CODE_KEYS = ["hcpcs_code", "long_description", "short_description"]


def hcpcs_layout(cells: list[str]) -> str | None:
    """Name the HCPCS layout a header row belongs to, or None."""
    keys = [normalise_header(c) for c in cells]
    if keys[:3] == ["hcpc", "seqnum", "recid"]:
        return "hcpcs-anweb"
    if keys[:5] == DERIVED_RECORD_KEYS:
        return "hcpcs-derived-records"
    if keys[:3] == DERIVED_CODE_KEYS:
        return "hcpcs-derived-codes"
    return None


def parse_hcpcs_grid(grid: Grid, hints: Hints) -> ParsedTable:
    """Parse any of the HCPCS layouts from a grid whose first non-blank row is the header."""
    header = grid.find_row(lambda cells: hcpcs_layout(cells) is not None, limit=5)
    if header is None:  # pragma: no cover - detect routes only matching grids here
        raise InputFileError(grid.where, "no HCPCS header row")
    cells = grid.head_text(header + 1)[header]
    layout = hcpcs_layout(cells)
    keys = [normalise_header(c) for c in cells]
    raw, ctx = grid.frame(header + 1, [f"c{i}" for i in range(len(keys))])
    if raw.empty:
        raise InputFileError(grid.where, "the table has a header but no rows")

    def column(key: str) -> pd.Series:
        return raw[f"c{keys.index(key)}"] if key in keys else pd.Series("", index=raw.index)

    if layout == "hcpcs-derived-codes":
        codes = column("hcpcs_code").str.upper()
        records = pd.DataFrame(
            {
                "hcpc": codes,
                "seqnum": "0010",
                "recid": codes.str.len().map({2: 7}).fillna(3).astype(int).astype(str),
                "long_description": column("long_description"),
                "short_description": column("short_description"),
            }
        )
    else:
        first = "hcpc" if layout == "hcpcs-anweb" else "hcpcs"
        records = pd.DataFrame(
            {
                "hcpc": column(first).str.upper(),
                "seqnum": column("seqnum"),
                "recid": column("recid"),
                "long_description": column("long_description"),
                "short_description": column("short_description"),
            }
        )
    for key, canonical in (
        ("add_dt", "add_date"),
        ("act_eff_dt", "effective_date"),
        ("term_dt", "termination_date"),
    ):
        records[canonical] = to_dates(column(key), ctx, ANWEB_KEYS[key])
    records["action_code"] = column("action_cd").str.upper()
    frame = _join_lines(records, ctx, "HCPC" if layout == "hcpcs-anweb" else keys[0])
    vintage = resolve_vintage(schema.HCPCS, grid.source, hints, None)
    return ParsedTable(
        table=schema.HCPCS,
        setting=schema.ALL_SETTINGS,
        vintage=vintage,
        part="",
        layout=f"{layout}-{grid.kind}",
        frame=finish(frame, schema.HCPCS),
        source=grid.source.name,
    )


def _join_lines(records: pd.DataFrame, ctx: RowContext, code_label: str) -> pd.DataFrame:
    """Join RECID 4/8 continuation lines to their code's first line (RECID 3/7)."""
    recid = to_choice(records["recid"], ctx, "RECID", (3, 4, 7, 8))
    is_modifier = recid.isin([7, 8])
    length_ok = records["hcpc"].str.fullmatch(r"[0-9A-Z]{5}") | (
        is_modifier & records["hcpc"].str.fullmatch(r"[0-9A-Z]{2}")
    )
    bad = ~length_ok.fillna(False).astype(bool)
    if bad.any():
        index = int(bad.to_numpy().nonzero()[0][0])
        raise ctx.fail(
            index, code_label, f"{records['hcpc'].iloc[index]!r} is not a HCPCS code or modifier"
        )
    records = records.assign(
        kind=is_modifier.map({True: "modifier", False: "code"}).astype("str"),
        first=recid.isin(list(FIRST_LINE)),
        order=range(len(records)),
    )
    firsts = records["first"].groupby([records["hcpc"], records["kind"]]).transform("sum")
    orphan = (firsts == 0).to_numpy()
    if orphan.any():
        index = int(orphan.nonzero()[0][0])
        raise ctx.fail(index, "RECID", "continuation line without the code's first line")
    records = records.sort_values(
        ["hcpc", "kind", "first", "seqnum", "order"],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    long_text = records.groupby(["hcpc", "kind"], sort=False)["long_description"].agg(
        lambda parts: " ".join(p for p in parts if p)
    )
    heads = records[records["first"]]
    duplicated = heads.duplicated(["hcpc", "kind"])
    if duplicated.any():
        row = heads[duplicated].iloc[0]
        raise ctx.fail(int(row["order"]), code_label, f"{row['hcpc']} has two first lines")
    heads = heads.set_index(["hcpc", "kind"])
    heads["long_description"] = long_text.reindex(heads.index)
    heads = heads.reset_index().sort_values("order", kind="stable")
    return pd.DataFrame(
        {
            "code": heads["hcpc"].astype("str"),
            "kind": heads["kind"].astype("str"),
            "long_description": heads["long_description"].astype("str"),
            "short_description": heads["short_description"].astype("str"),
            "add_date": heads["add_date"],
            "effective_date": heads["effective_date"],
            "termination_date": heads["termination_date"],
            "action_code": heads["action_code"].astype("str"),
        }
    )
