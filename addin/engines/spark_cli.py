"""``cpt-addin check CLAIMS --engine spark [--master URL] --findings findings.parquet``.

The same check on Spark (:func:`addin.engines.spark.check_spark`): Spark reads the claims
(Parquet file or folder, or CSV with a header row) and writes the findings (Parquet folder,
Spark's own; ``.csv``/``.json`` are collected on the driver and written as in process).
Progress comes from Spark's stages; the summary and the exit codes are the in-process ones:
0 no error-level finding, 1 errors found, 2 the input or the command could not be processed.
The console shows counts, rule ids and data versions, never claim contents.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from addin.errors import CptAddinError, InputFileError

#: Claims files Spark reads here (a folder is read as Parquet).
INPUT_SUFFIXES = (".parquet", ".csv")
#: Findings files: Parquet is written by Spark; CSV/JSON are collected first.
FINDINGS_SUFFIXES = (".parquet", ".csv", ".json")


def run_spark_check(args: argparse.Namespace) -> int:
    """Run ``check`` on Spark with the parsed ``check`` arguments; return the exit code."""
    from addin.engines.spark_session import SparkUnavailable, require_pyspark

    try:
        require_pyspark()
    except SparkUnavailable as exc:
        print(f"cpt-addin: {exc}", file=sys.stderr)
        return 2
    refused = _refused_options(args)
    if refused:
        print(f"cpt-addin: {refused}", file=sys.stderr)
        return 2
    input_path = Path(args.input)
    _check_paths(input_path, args.findings)
    started = time.perf_counter()
    from addin.engines.spark_session import spark_session

    try:
        from pyspark.sql import SparkSession

        existing = SparkSession.getActiveSession()
        spark = spark_session(getattr(args, "master", None) or "local[2]")
    except SparkUnavailable as exc:
        print(f"cpt-addin: {exc}", file=sys.stderr)
        return 2
    try:
        outcome = _run(spark, args, input_path)
    except CptAddinError:
        raise
    except Exception as exc:  # Spark's own errors (a failed task, a lost executor ...)
        print(f"cpt-addin: the Spark job failed: {_job_error(exc)}", file=sys.stderr)
        return 2
    finally:
        if existing is None:
            spark.stop()
    if not args.quiet:
        print(summary_text(outcome, time.perf_counter() - started))
    return 1 if outcome["by_severity"].get("error", 0) else 0


def _refused_options(args: argparse.Namespace) -> str | None:
    if args.output:
        return "the audit workbook (-o) is written by the in-process engine; use --findings"
    if args.sheet is not None:
        return "--sheet applies to workbooks; the Spark engine reads Parquet or CSV"
    return None


def _check_paths(input_path: Path, findings: str | None) -> None:
    """Refuse an input Spark does not read here, or a findings path that cannot be written."""
    name = str(input_path)
    if not input_path.exists():
        raise InputFileError(name, "file not found")
    if input_path.is_file() and input_path.suffix.lower() not in INPUT_SUFFIXES:
        raise InputFileError(
            name, "the Spark engine reads .parquet (a file or a folder) or .csv; "
            "check workbooks without --engine spark"
        )
    if not findings:
        return
    from addin.outputs import OutputFileError, check_output

    target = Path(findings)
    suffix = target.suffix.lower()
    if suffix not in FINDINGS_SUFFIXES:
        raise OutputFileError(target, "the findings file must end in .parquet, .csv or .json")
    if suffix == ".parquet":
        if target.resolve() == input_path.resolve():
            raise OutputFileError(target, "the findings file would overwrite the claims file")
        if not target.parent.resolve().is_dir():
            raise OutputFileError(target, "its folder does not exist")
    else:
        check_output(target, inputs=[input_path], suffixes=(".csv", ".json"), what="findings file")


def _reader(spark: Any, input_path: Path) -> Any:
    if input_path.is_file() and input_path.suffix.lower() == ".csv":
        # every cell as text, as the in-process CSV reader sees it
        return spark.read.option("header", "true").option("inferSchema", "false").csv(
            str(input_path)
        )
    return spark.read.parquet(str(input_path))


def _run(spark: Any, args: argparse.Namespace, input_path: Path) -> dict[str, Any]:
    """Check, write the findings, and gather what the summary needs."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from addin.engines.spark import STATS_ID, checked_frame, merged_stats, only_findings
    from addin.engines.spark_session import stage_progress
    from addin.reference.paths import addin_home
    from addin.rules import load_config

    rule_config = load_config(args.config)
    frame = checked_frame(
        _reader(spark, input_path),
        setting=args.setting,
        config=rule_config,
        reference_home=addin_home(),
        column_map=_column_map(args.map),
        date_default=args.date_default,
        ignore_columns=args.ignore_column or None,
        source_name=input_path.name,
    ).persist(StorageLevel.MEMORY_AND_DISK)
    show = args.progress or (not args.quiet and sys.stderr.isatty())
    try:
        with stage_progress(spark, _progress() if show else None):
            stats = merged_stats(
                [r["message"] for r in frame.filter(F.col("rule_id") == STATS_ID).collect()]
            )
            findings = only_findings(frame)
            by_pair = findings.groupBy("rule", "severity").count().collect()
            by_id = findings.groupBy("rule_id").count().collect()
            written = _write(findings, args) if args.findings else None
    finally:
        frame.unpersist()
    setting = rule_config.setting if args.setting is None else args.setting
    versions = _versions(stats["days"], setting or "practitioner", rule_config.stale)
    return {
        "file": input_path.name,
        "setting": _setting_name(setting),
        "stats": stats,
        "by_rule_severity": {(r["rule"], r["severity"]): int(r["count"]) for r in by_pair},
        "by_rule_id": {r["rule_id"]: int(r["count"]) for r in by_id},
        "by_severity": _by_severity(by_pair),
        "versions": versions,
        "written": written,
    }


def _column_map(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]] | None:
    """``--map`` pairs as ``read_claims`` wants them (a field given twice takes a list)."""
    out: dict[str, str | list[str]] = {}
    for key, value in pairs or []:
        previous = out.get(key)
        if previous is None:
            out[key] = value
        else:
            out[key] = [*(previous if isinstance(previous, list) else [previous]), value]
    return out or None


def _version_text(version: Any) -> str:
    vintage = version.vintage.isoformat() if version.vintage else "undated"
    setting = "" if version.setting == "all" else f" {version.setting}"
    return f"{version.table.upper()}{setting} {vintage} ({version.origin})"


def _setting_name(setting: object) -> str:
    from addin.codes import Setting

    return Setting.parse(setting or Setting.practitioner).value


def _by_severity(rows: list) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row["severity"]] = out.get(row["severity"], 0) + int(row["count"])
    return out


def _write(findings: Any, args: argparse.Namespace) -> Path:
    """Parquet by Spark (sorted as in process), CSV/JSON collected and written as in process."""
    from pyspark.sql import functions as F

    target = Path(args.findings)
    rank = F.when(F.col("severity") == "error", 0).when(F.col("severity") == "warning", 1)
    ordered = findings.orderBy("row", rank.otherwise(2), "rule_id")
    if target.suffix.lower() == ".parquet":
        ordered.write.mode("overwrite").parquet(str(target))
        return target
    from addin.checker import write_findings
    from addin.engines.spark import findings_to_pandas

    return write_findings(
        findings_to_pandas(ordered), target, input_path=args.input, raw_csv=args.raw_csv
    )


def _versions(days: dict[str, int], setting: str, stale: str | None) -> list:
    """The table versions that answered, with their currency counts (driver side)."""
    import numpy as np
    import pandas as pd

    from addin.checker.run import versions_used
    from addin.findings import empty_findings
    from addin.reference import get_reference_data
    from addin.reference.currency import annotate_check

    reference = get_reference_data()
    setting = _setting_name(setting)
    dates = np.repeat(
        np.array(list(days), dtype="datetime64[D]"), np.array(list(days.values()), dtype=np.int64)
    )
    lines = pd.DataFrame({"dos": dates.astype("datetime64[ns]")})
    versions = versions_used(reference, setting, lines)
    annotate_check(empty_findings(), lines, reference, setting, versions, stale)
    return versions


def _progress():
    from addin.checker.progress import RichProgress

    return RichProgress()


def _job_error(exc: BaseException) -> str:
    """The useful line of a Spark error (the Python exception raised in a task, if any)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error:" in line or "Exception:" in line:
            return line[:500]
    return (lines[-1] if lines else type(exc).__name__)[:500]


def summary_text(outcome: dict[str, Any], elapsed: float) -> str:
    """The in-process summary's lines, from Spark's counts."""
    from addin.reference.currency import banner_lines

    stats = outcome["stats"]
    by_severity = outcome["by_severity"]
    total = sum(by_severity.values())
    lines = [
        f"Checked {outcome['file']}: {stats['rows_read']} rows read, "
        f"{stats['rows_checked']} checked, {stats['rows_rejected']} rejected"
        + (f", {stats['blank_rows']} blank skipped" if stats["blank_rows"] else "")
        + f" ({outcome['setting']}, {elapsed:.1f} s, Spark).",
        f"Findings: {total} — "
        + ", ".join(f"{by_severity.get(s, 0)} {s}" for s in ("error", "warning", "info")),
    ]
    families = sorted({family for family, _ in outcome["by_rule_severity"]})
    width = max((len(f) for f in families), default=0)
    for family in families:
        parts = ", ".join(
            f"{outcome['by_rule_severity'][(family, s)]} {s}"
            for s in ("error", "warning", "info")
            if outcome["by_rule_severity"].get((family, s))
        )
        lines.append(f"  {family:<{width}}  {parts}")
    if outcome["by_rule_id"]:
        lines.append(
            "  by rule: "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcome["by_rule_id"].items()))
        )
    for note in [*stats["reader_notes"], *stats["rule_notes"]]:
        lines.append(f"Note: {note}")
    if outcome["versions"]:
        lines.append("Data: " + "; ".join(_version_text(v) for v in outcome["versions"]))
    lines.extend(f"Data currency: {line}" for line in banner_lines(outcome["versions"]))
    if outcome["written"]:
        lines.append(f"Wrote {outcome['written']}")
    lines.append("Errors found (exit 1)." if by_severity.get("error") else "No errors found.")
    return "\n".join(lines)
