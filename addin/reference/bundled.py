"""The project's own small fact tables in ``data/``, read into the canonical table shapes."""

from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path

from addin.lazy import pandas as pd
from addin.reference import schema
from addin.reference.versions import Version

BUNDLED_FILES = {
    schema.PTP: "ptp.csv",
    schema.MUE: "mue.csv",
    schema.AOC: "aoc.csv",
    schema.RVU: "rvu.csv",
    schema.HCPCS: "hcpcs.csv",
    schema.POS: "pos.csv",
}
INT_COLUMNS = {
    schema.PTP: ["modifier_indicator"],
    schema.MUE: ["mue_units", "mai"],
    schema.AOC: ["edit_type"],
}
FLOAT_COLUMNS = {schema.RVU: ["work_rvu", "nonfac_total", "fac_total", "conv_factor"]}


def read_csv_text(path: Path) -> pd.DataFrame:
    """A bundled CSV with every cell as text (empty string for blanks)."""
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """A bundled CSV as one dict a row, every cell as text, without pandas: the same cells
    :func:`read_csv_text` gives (blank lines skipped, a short row's missing cells ``""``)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return [
            dict(zip(header, [*row, *[""] * (len(header) - len(row))], strict=False))
            for row in reader
            if row
        ]


def canonical(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Give a bundled table the canonical column types (dates, ints, floats, bools)."""
    frame = frame.copy()
    for column in schema.COLUMNS[table]:
        if column not in frame.columns:
            frame[column] = ""
    for column in schema.DATE_COLUMNS[table]:
        frame[column] = pd.to_datetime(frame[column].replace("", None), errors="coerce")
    for column in INT_COLUMNS.get(table, []):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype("int64")
    for column in FLOAT_COLUMNS.get(table, []):
        frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    if table == schema.PTP:
        frame["pre_1996"] = frame["pre_1996"].astype(str).str.strip().isin(["*", "1", "true", "True", "Y"])
    if "source" not in frame.columns:
        frame["source"] = "bundled"
    frame["source"] = frame["source"].replace("", "bundled")
    return frame


def bundled_versions(
    data_dir: Path, skip: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()
) -> dict[tuple[str, str], list[Version]]:
    """One bundled version per table/setting present in ``data/``; a table whose every
    setting is in ``skip`` (imported tables answer instead) is not read at all."""
    out: dict[tuple[str, str], list[Version]] = {}
    stated = _stated_vintages(data_dir)
    kinds = _stated_periods(data_dir)
    for table, name in BUNDLED_FILES.items():
        if all((table, s) in skip for s in schema.TABLE_SETTINGS.get(table, ("",))):
            continue
        path = data_dir / name
        frame = read_csv_text(path)
        if frame.empty:
            continue
        if "setting" in frame.columns:
            groups = {s: g.drop(columns="setting") for s, g in frame.groupby("setting")}
        else:
            groups = {schema.ALL_SETTINGS: frame}
        for setting, group in groups.items():
            group = group.reset_index(drop=True)
            vintage = stated.get((table, setting))
            if "vintage" in group.columns:
                dates = pd.to_datetime(group["vintage"].replace("", None), errors="coerce").dropna()
                vintage = dates.max().date() if len(dates) else None
            out.setdefault((table, setting), []).append(
                Version(
                    table=table,
                    setting=setting,
                    vintage=vintage,
                    origin="bundled",
                    files=[f"data/{name}"],
                    rows=len(group),
                    # typed on first use: a table the store replaces is never converted
                    load=functools.cache(lambda g=group, t=table: canonical(t, g)),
                    period_kind=kinds.get((table, setting), ""),
                )
            )
    return out


def _stated_vintages(data_dir: Path) -> dict[tuple[str, str], dt.date]:
    """``versions.csv``: the CMS release each bundled table's rows were taken from."""
    return {
        (row["table"], row["setting"]): dt.date.fromisoformat(row["vintage"])
        for row in read_csv_rows(data_dir / "versions.csv")
    }


def _stated_periods(data_dir: Path) -> dict[tuple[str, str], str]:
    """``versions.csv`` column ``period``: ``quarter`` or ``year`` (what the release covers)."""
    return {
        (row["table"], row["setting"]): row["period"].strip().lower()
        for row in read_csv_rows(data_dir / "versions.csv")
        if row.get("period", "").strip()
    }


def load_notes(data_dir: Path) -> pd.DataFrame:
    """``codes.csv``: project-written descriptions and notes, indexed by code."""
    frame = read_csv_text(data_dir / "codes.csv")
    if frame.empty:
        return pd.DataFrame(columns=["description"]).rename_axis("code")
    return frame.drop_duplicates("code", keep="last").set_index("code")


def load_note_rows(data_dir: Path) -> dict[str, dict[str, str]]:
    """``codes.csv`` as ``{code: row}`` (the last row of a code wins, as in
    :func:`load_notes`), read without pandas for one-code answers."""
    return {row["code"]: row for row in read_csv_rows(data_dir / "codes.csv") if "code" in row}


def load_modifiers(data_dir: Path) -> pd.DataFrame:
    """``modifiers.csv`` indexed by modifier, with ``ncci_associated`` as bool."""
    frame = read_csv_text(data_dir / "modifiers.csv")
    if frame.empty:
        return pd.DataFrame(columns=["description", "ncci_associated"]).rename_axis("modifier")
    frame["modifier"] = frame["modifier"].str.strip().str.upper()
    frame["ncci_associated"] = frame["ncci_associated"].str.strip().str.lower().isin(
        ["true", "1", "yes", "y"]
    )
    return frame.drop_duplicates("modifier", keep="last").set_index("modifier")


def today() -> dt.date:
    """Today's date (the default date of service)."""
    return dt.date.today()
