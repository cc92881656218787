"""Run every enabled rule over the claim lines and assemble the findings.

Rules work on whole columns; the claim lines are prepared once (:class:`RuleContext`) and
the reference tables load in a background thread while the claims file is read. Inputs
larger than ``chunk_lines`` are checked one partition of patients at a time: every rule
looks only at one patient's lines (same patient, provider, date), so partitions need
nothing from each other and memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from addin.claims.coverage import add_caveats
from addin.codes import Setting
from addin.findings import FINDING_COLUMNS, SEVERITY_RANK, CheckResult
from addin.reference import schema
from addin.rules import Rule, RuleConfig, RuleContext, all_rules, load_config
from addin.rules.context import prepare_lines
from addin.rules.diagnosis import NORMALISED_FORMS_KEY, combine_normalised_forms, normalised_forms

#: Inputs with more lines than this are checked in partitions of patients.
CHUNK_LINES = 2_000_000

ProgressCallback = Callable[[str, int, int], None]


def check(
    source: Any,
    *,
    sheet: str | int | None = None,
    column_map: Mapping[str, str | Sequence[str]] | None = None,
    setting: object = None,
    date_default: dt.date | None = None,
    config: str | Path | Mapping[str, Any] | RuleConfig | None = None,
    reference: Any = None,
    progress: bool | ProgressCallback = False,
    source_name: str | None = None,
    chunk_lines: int = CHUNK_LINES,
    ignore_columns: Sequence[str] | None = None,
) -> CheckResult:
    """Check claims and return a :class:`~addin.findings.CheckResult`.

    Args:
        source: a path (.xlsx/.xlsm/.csv/.tsv/.txt), a DataFrame, a list of rows with a
            header row, or an already read :class:`addin.claims.ClaimsInput`.
        sheet, column_map, date_default, source_name, ignore_columns: passed to
            :func:`addin.claims.read_claims`.
        setting: ``practitioner`` (default), ``hospital`` or ``dme``; None = the config's
            ``[check] setting`` or practitioner.
        config: a TOML path, a parsed mapping or a :class:`RuleConfig` (severity overrides,
            rules switched off).
        reference: a :class:`addin.reference.ReferenceData` (default the process-wide one).
        progress: True for a progress bar on stderr, or a callback ``(stage, done, total)``.
        chunk_lines: check inputs larger than this in partitions of patients.
    """
    from addin.claims import ClaimsInput, read_claims
    from addin.reference import get_reference_data

    started = time.perf_counter()
    rule_config = load_config(config)
    setting_name = Setting.parse(setting or rule_config.setting or Setting.practitioner).value
    date_default = date_default or rule_config.date_default
    reference = reference or get_reference_data()
    rules = enabled_rules(rule_config)
    reporter = _reporter(progress)
    warm = _warm_up(reference, setting_name)
    try:
        if isinstance(source, ClaimsInput):
            claims = source
        else:
            reporter("reading", 0, 1)
            claims = read_claims(
                source,
                sheet=sheet,
                column_map=column_map,
                date_default=date_default,
                source_name=source_name,
                ignore_columns=ignore_columns,
            )
            reporter("reading", 1, 1)
        if warm.is_alive():
            reporter("reference", 0, 1)
        warm.join()
        reporter("reference", 1, 1)
        from addin.rules.input import rejected_with_identifiers

        findings, notes = run_rules(
            claims.lines,
            reference,
            setting_name,
            rules,
            rejected=rejected_with_identifiers(claims),
            meta=claims.meta,
            progress=reporter,
            chunk_lines=chunk_lines,
        )
    finally:
        # never leave the warm-up thread inside pyarrow when an input error ends the process:
        # interpreter shutdown under a running native thread aborts ("terminate called ...")
        warm.join()
        reporter("done", 1, 1)
    from addin.reference.currency import annotate_check

    versions = versions_used(reference, setting_name, claims.lines)
    findings = annotate_check(findings, claims.lines, reference, setting_name, versions, rule_config.stale)
    return CheckResult(
        findings=findings,
        claims=claims,
        versions=versions,
        setting=setting_name,
        elapsed_seconds=time.perf_counter() - started,
        options={
            "setting": setting_name,
            "date_default": date_default.isoformat() if date_default else None,
            "config": rule_config.file or None,
            "rules": {rule.rule_id: severity for rule, severity in rules},
            "notes": notes,
        },
    )


def enabled_rules(config: RuleConfig | None = None) -> list[tuple[Rule, str]]:
    """Every rule that is not switched off, with its severity after the config."""
    config = config or RuleConfig()
    out = []
    for rule in all_rules():
        severity = config.severity_for(rule)
        if severity is not None:
            out.append((rule, severity))
    return out


def run_rules(
    lines: pd.DataFrame,
    reference: Any,
    setting: str,
    rules: list[tuple[Rule, str]] | None = None,
    *,
    rejected: pd.DataFrame | None = None,
    meta: dict | None = None,
    progress: ProgressCallback | None = None,
    chunk_lines: int = CHUNK_LINES,
) -> tuple[pd.DataFrame, list[str]]:
    """Findings (:data:`FINDING_COLUMNS`, sorted by row then severity) and check notes."""
    rules = enabled_rules() if rules is None else rules
    progress = progress or (lambda stage, done, total: None)
    prepared = prepare_lines(lines)
    parts = _partitions(prepared, chunk_lines)
    meta = dict(meta or {})
    if len(parts) > 1:
        meta[NORMALISED_FORMS_KEY] = _file_wide_forms(parts, reference, setting)
    total = len(parts) * len(rules)
    frames: list[pd.DataFrame] = []
    notes: list[str] = []
    done = 0
    for number, part in enumerate(parts):
        context = RuleContext(
            lines=part,
            reference=reference,
            setting=setting,
            meta=dict(meta),
        )
        if number == 0 and rejected is not None:
            context.rejected = rejected.reset_index(drop=True)
        raw = []
        for rule, severity in rules:
            found = rule.check(context)
            if len(found):
                found = found.assign(rule_id=rule.rule_id, rule=rule.family, severity=severity)
                raw.append(found)
            done += 1
            progress("checking", done, total)
        frames.append(_finish(raw, context))
        notes.extend(n for n in context.notes if n not in notes)
        del context
    findings = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0] if frames else _finish([], None)
    # what the input's missing columns kept from being checked (reader notes say it too)
    findings = add_caveats(findings, (meta or {}).get("column_mapping"))
    return _sort(findings, presorted=len(frames) <= 1), notes


def _file_wide_forms(parts: list[pd.DataFrame], reference: Any, setting: str) -> pd.DataFrame:
    """DX004's file-wide view when the input is checked in parts (see diagnosis.py)."""
    return combine_normalised_forms(
        [normalised_forms(RuleContext(lines=part, reference=reference, setting=setting)) for part in parts]
    )


def _partitions(prepared: pd.DataFrame, chunk_lines: int) -> list[pd.DataFrame]:
    """The lines in partitions of whole patients (one part when small enough)."""
    if len(prepared) <= chunk_lines:
        return [prepared]
    count = int(np.ceil(len(prepared) / chunk_lines))
    patient_ids, _ = pd.factorize(prepared["patient_key"])
    part_of = patient_ids % count
    return [
        prepared.iloc[np.flatnonzero(part_of == k)].reset_index(drop=True) for k in range(count)
    ]


def _text_take(values: pd.Series, take: np.ndarray) -> pd.Series:
    """``values[take]`` as ``str`` with ``""`` where ``take`` is -1 (no line)."""
    values = values.astype(str) if values.dtype != "str" else values
    picked = values.array.take(take, allow_fill=True, fill_value="")
    return pd.Series(picked).fillna("")


def _finish(raw: list[pd.DataFrame], context: RuleContext | None) -> pd.DataFrame:
    """Rule findings with the line context (claim, row, patient, provider, date)."""
    if not raw or context is None:
        return pd.DataFrame(
            {
                c: pd.Series(dtype="int64" if c in ("row", "related_row") else object)
                for c in FINDING_COLUMNS
            }
        )
    found = pd.concat(raw, ignore_index=True)
    lines = context.lines
    # sorted here, on the rules' own few columns, not after the line context is added
    row_of = np.append(lines["row"].to_numpy(dtype=np.int64), 0)
    raw_line = found["line"].to_numpy()
    rows_first = np.where(raw_line >= 0, row_of[raw_line], found["row"].to_numpy(dtype=np.int64))
    found = found.take(_order(rows_first, found["severity"], found["rule_id"])).reset_index(drop=True)
    line = found["line"].to_numpy()
    take = np.where(line >= 0, line, -1)
    related = found["related_line"].to_numpy()
    rows = lines["row"].to_numpy(dtype=np.int64)
    with_row = np.append(rows, 0)
    dos = np.append(lines["dos"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    columns = {
        "claim_id": _text_take(lines["claim_id"], take),
        "row": np.where(line >= 0, with_row[take], found["row"].to_numpy(dtype=np.int64)),
    }
    for name in (
        "rule",
        "rule_id",
        "severity",
        "code",
        "related_code",
        "modifier",
        "message",
        "suggestion",
        "source",
    ):
        column = found[name]
        if isinstance(column.dtype, pd.CategoricalDtype):  # pandas 2 refuses fillna("") on it
            column = column.astype(object)
        columns[name] = column if column.dtype == "str" else column.fillna("").astype(str)
    columns["patient_id"] = _text_take(lines["patient_id"], take)
    columns["provider_npi"] = _text_take(lines["provider_npi"], take)
    # a finding on no checked line (a rejected row) carries its own identifiers, as read
    no_line = line < 0
    for name in ("claim_id", "patient_id", "provider_npi"):
        if name in found.columns and no_line.any():
            own = found[name].astype(object).where(found[name].notna(), "").astype(str)
            columns[name] = pd.Series(
                np.where(no_line, own.to_numpy(dtype=object), columns[name].to_numpy(dtype=object)),
                dtype=columns[name].dtype,
            )
    columns["dos"] = dos[take]
    columns["related_row"] = np.where(related >= 0, with_row[related], 0)
    return pd.DataFrame(columns)[FINDING_COLUMNS]


def _order(rows: np.ndarray, severity: pd.Series, rule_id: pd.Series) -> np.ndarray:
    """Positions sorting by row, then severity (errors first), then rule id (stable)."""
    severity_codes, severities = pd.factorize(severity)
    ranks = np.array([SEVERITY_RANK.get(s, 9) for s in severities] + [9], dtype=np.int64)
    rank = ranks[severity_codes]  # -1 (missing) reads the trailing 9
    rule_codes, _ = pd.factorize(rule_id, sort=True)
    return np.lexsort((rule_codes, rank, np.asarray(rows, dtype=np.int64)))


def _sort(findings: pd.DataFrame, *, presorted: bool = False) -> pd.DataFrame:
    """By row, then severity (errors first), then rule id (``presorted``: only the types)."""
    if findings.empty:
        return findings.reset_index(drop=True)
    if presorted:
        out = findings.reset_index(drop=True)
    else:
        order = _order(findings["row"].to_numpy(dtype=np.int64), findings["severity"], findings["rule_id"])
        out = findings.take(order).reset_index(drop=True)
    out["row"] = out["row"].astype(np.int64)
    out["related_row"] = out["related_row"].astype(np.int64)
    if not pd.api.types.is_datetime64_any_dtype(out["dos"]):
        out["dos"] = pd.to_datetime(out["dos"])
    return out


def versions_used(reference: Any, setting: str, lines: pd.DataFrame) -> list:
    """The table versions that answer for the dates of service in the lines."""
    days = (
        np.unique(
            pd.to_datetime(lines["dos"]).dropna().to_numpy(dtype="datetime64[D]").astype(np.int64)
        )
        if len(lines)
        else np.zeros(0, np.int64)
    )
    if not len(days):
        days = np.array([(dt.date.today() - dt.date(1970, 1, 1)).days])
    keys = [
        (schema.PTP, setting),
        (schema.MUE, setting),
        (schema.AOC, schema.ALL_SETTINGS),
        (schema.RVU, schema.ALL_SETTINGS),
        (schema.HCPCS, schema.ALL_SETTINGS),
        (schema.POS, schema.ALL_SETTINGS),
        (schema.ICD10CM, schema.ALL_SETTINGS),
    ]
    out = []
    for table, table_setting in keys:
        versions = reference.version_set(table, table_setting)
        if not versions:
            continue
        for index in np.unique(versions.pick_many(days)):
            out.append(versions.versions[int(index)].describe())
    return out


def _warm_up(reference: Any, setting: str) -> threading.Thread:
    """Load the big reference structures while the claims file is being read."""

    def load() -> None:
        try:
            reference.icd10_frame(["A00"])
            reference.ptp_matches(
                np.array(["00000"], object), np.array(["00001"], object), None, setting
            )
            reference.code_status_frame(np.array(["00000"], object))
            reference.addon_edits(None)
        except Exception:  # noqa: BLE001 - warm-up only; the check itself reports errors
            pass

    thread = threading.Thread(target=load, name="cpt-addin-warm-up", daemon=True)
    thread.start()
    return thread


def _reporter(progress: bool | ProgressCallback) -> ProgressCallback:
    if callable(progress):
        return progress
    if not progress:
        return lambda stage, done, total: None
    from addin.checker.progress import RichProgress

    return RichProgress()
