"""``cpt-addin check``: check a claims file, print a summary, write findings and the report.

Exit codes: 0 no error-level finding, 1 error-level findings, 2 the input or the command could
not be processed. The console shows counts, rule ids and data versions — never claim
contents (patient ids, claim ids); those go only to the files the user asked for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from addin.codes import Setting, parse_date

#: Inputs with more rows than this get a progress bar on a terminal.
PROGRESS_MIN_BYTES = 2_000_000


def _date(text: str):
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _setting(text: str) -> str:
    try:
        return Setting.parse(text).value
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _mapping(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f'--map wants canonical="Their Header", got {text!r}')
    key, value = text.split("=", 1)
    return key.strip(), value.strip().strip('"').strip("'")


def register(subparsers) -> None:
    """Add the ``check`` sub-command."""
    parser = subparsers.add_parser(
        "check",
        help="check a claims spreadsheet (xlsx/xlsm/csv) against every edit",
        description="Check every claim line (NCCI PTP, MUE, add-on codes, modifiers, codes, "
        "diagnoses, duplicates). Exit 0: no errors; 1: errors found; 2: could not check.",
    )
    parser.add_argument("input", help="claims file (.xlsx, .xlsm, .csv, .tsv, .txt)")
    parser.add_argument("--findings", metavar="FILE", help="write findings to FILE (.csv or .json)")
    parser.add_argument("-o", "--output", metavar="AUDIT.xlsx", help="write the audit workbook")
    parser.add_argument(
        "--raw-csv",
        action="store_true",
        help="write findings CSV text as is (by default a cell starting with = + - @ tab or CR "
        "gets a leading ' so Excel shows it as text, never runs it as a formula)",
    )
    parser.add_argument(
        "--sheet", help="sheet name or 0-based index (default: the first with claims)"
    )
    parser.add_argument(
        "--map",
        action="append",
        type=_mapping,
        default=[],
        metavar='FIELD="Header"',
        help='use a column for a field, e.g. --map cpt="Proc Code" (repeatable; modifiers and dx '
        "may be given several times)",
    )
    parser.add_argument(
        "--ignore-column",
        action="append",
        default=[],
        metavar='"Header"',
        help="a column that is not a claim field, e.g. a header close to one (repeatable)",
    )
    parser.add_argument(
        "--setting",
        type=_setting,
        default=None,
        help="practitioner (default), hospital (outpatient) or dme",
    )
    parser.add_argument(
        "--date-default", type=_date, default=None, help="date of service for lines without one"
    )
    parser.add_argument("--config", metavar="rules.toml", help="rule levels and options (TOML)")
    parser.add_argument(
        "--progress", action="store_true", help="show a progress bar even when not a terminal"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument(
        "--engine", choices=["local", "spark"], default="local",
        help="local (default) or spark: Parquet/CSV in, findings .parquet out (docs/spark.md)",
    )
    parser.add_argument(
        "--master", default="local[2]", help="Spark master for --engine spark (local[2], spark://…, yarn)"
    )
    parser.set_defaults(func=run_check)


def _column_map(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]] | None:
    if not pairs:
        return None
    out: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key in out:
            previous = out[key]
            out[key] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            out[key] = value
    return out


def _sheet(text: str | None) -> str | int | None:
    if text is None:
        return None
    return int(text) if text.isdigit() else text


def run_check(args: argparse.Namespace) -> int:
    """Run the check; print the summary; write the files asked for."""
    if args.engine == "spark":
        from addin.engines.spark_cli import run_spark_check

        return run_spark_check(args)
    from addin.checker import check, write_findings

    input_path = Path(args.input)
    _check_outputs(args, input_path)  # before reading any claim: a bad output path fails now
    write_report = None
    if args.output:
        try:
            from addin.workbooks.report import write_report
        except ImportError as exc:
            print(f"cpt-addin: the audit workbook writer is not available ({exc})", file=sys.stderr)
            return 2
    show_progress = args.progress or (
        not args.quiet and sys.stderr.isatty() and _size(input_path) > PROGRESS_MIN_BYTES
    )
    result = check(
        input_path,
        sheet=_sheet(args.sheet),
        column_map=_column_map(args.map),
        ignore_columns=args.ignore_column or None,
        setting=args.setting,
        date_default=args.date_default,
        config=args.config,
        progress=show_progress,
    )
    written = []
    if args.findings:
        written.append(
            write_findings(result.findings, args.findings, input_path=input_path, raw_csv=args.raw_csv)
        )
    if args.output and write_report is not None:
        write_report(result, args.output)
        written.append(Path(args.output))
    if not args.quiet:
        print(summary_text(result, written))
    return result.exit_code


def _check_outputs(args: argparse.Namespace, input_path: Path) -> None:
    """Refuse output paths that cannot or must not be written (exit 2), before the check runs."""
    from addin.outputs import check_output

    if args.findings:
        check_output(args.findings, inputs=[input_path], others=[args.output],
                     suffixes=(".csv", ".json"), what="findings file")
    if args.output:
        check_output(args.output, inputs=[input_path], suffixes=(".xlsx",), what="audit workbook")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def summary_text(result, written: list[Path] | None = None) -> str:
    """The plain end-of-run summary: counts, findings by family and severity, data versions."""
    counts = result.counts
    meta = result.claims.meta
    lines = [
        f"Checked {meta.get('file')}: {counts['rows_read']} rows read, "
        f"{counts['rows_checked']} checked, {counts['rows_rejected']} rejected"
        + (f", {meta.get('blank_rows', 0)} blank skipped" if meta.get("blank_rows") else "")
        + f" ({result.setting}, {result.elapsed_seconds:.1f} s).",
    ]
    by_severity = counts["by_severity"]
    lines.append(
        f"Findings: {counts['findings']} — "
        + ", ".join(f"{by_severity.get(s, 0)} {s}" for s in ("error", "warning", "info"))
    )
    findings = result.findings
    if len(findings):
        table = findings.groupby(["rule", "severity"]).size().unstack(fill_value=0)
        width = max(len(str(r)) for r in table.index)
        for family, row in table.iterrows():
            parts = ", ".join(
                f"{int(row.get(s, 0))} {s}" for s in ("error", "warning", "info") if row.get(s, 0)
            )
            lines.append(f"  {family:<{width}}  {parts}")
        by_id = findings.groupby("rule_id").size()
        lines.append("  by rule: " + ", ".join(f"{k} {int(v)}" for k, v in by_id.items()))
    for note in [*result.claims.notes, *result.options.get("notes", [])]:
        lines.append(f"Note: {note}")
    if result.versions:
        lines.append("Data: " + "; ".join(_version_text(v) for v in result.versions))
    from addin.reference.currency import banner_lines

    lines.extend(f"Data currency: {line}" for line in banner_lines(result.versions))
    for path in written or []:
        lines.append(f"Wrote {path}")
    verdict = {0: "No errors found.", 1: "Errors found (exit 1)."}[result.exit_code]
    lines.append(verdict)
    return "\n".join(lines)


def _version_text(version) -> str:
    vintage = version.vintage.isoformat() if version.vintage else "undated"
    setting = "" if version.setting == "all" else f" {version.setting}"
    return f"{version.table.upper()}{setting} {vintage} ({version.origin})"
