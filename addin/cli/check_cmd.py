"""``cpt-addin check``: check a claims file, print the findings and a summary, write the files.

Exit codes: 0 no finding at the ``--fail-on`` level (default error), 1 findings at that level,
2 the input or the command could not be processed. The console shows file, row, rule id,
code and message per finding (like ruff), counts and data versions — never patient, claim
or provider ids; those go only to the files the user asked for (and to ``--format json|csv``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from addin.cli.check_output import FORMATS, MAX_FINDINGS
from addin.cli.common import EXIT_REFUSED, add_command
from addin.cli.common import date_arg as _date
from addin.cli.common import setting_name_arg as _setting

FAIL_ON = ("error", "warning", "info", "never")
#: Findings file suffixes this command accepts (the writer's list, see addin.checker.writers).
FINDINGS_SUFFIXES = (".csv", ".json")


def _mapping(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f'--map wants canonical="Their Header", got {text!r}')
    key, value = text.split("=", 1)
    return key.strip(), value.strip().strip('"').strip("'")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def register(subparsers) -> None:
    """Add the ``check`` sub-command."""
    parser = add_command(
        subparsers,
        "check",
        help="check a claims spreadsheet (xlsx/xlsm/csv) against every edit",
        description="Check every claim line (NCCI PTP, MUE, add-on codes, modifiers, codes, "
        "diagnoses, duplicates); print one line per finding (file:row: rule severity code "
        "message) and a summary.",
        exits=(
            "0 no finding at the --fail-on level (default: no error-level finding)",
            "1 findings at or above the --fail-on level (error, or warning with --fail-on warning)",
            EXIT_REFUSED + "; also an unknown --select/--ignore rule",
        ),
    )
    parser.add_argument("input", help="claims file (.xlsx, .xlsm, .csv, .tsv, .txt)")
    parser.add_argument("--findings", metavar="FILE", help="write findings to FILE (.csv, .json, .jsonl or .parquet)")
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
    rules = parser.add_argument_group("rules and exit code (RULES: ids, id prefixes or families; see cpt-addin rules --list)")
    rules.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="RULES",
        help="run only these rules, e.g. --select PTP,DUP001 or --select mue (repeatable)",
    )
    rules.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="RULES",
        help="do not run these rules, e.g. --ignore modifier,COD003 (repeatable); rules off "
        "run nowhere: not on the console, not in the findings file or the workbook",
    )
    rules.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="error",
        help="exit 1 when a finding at or above this severity exists (default error; never: "
        "exit 0 whatever is found)",
    )
    console = parser.add_argument_group("console output")
    console.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text: one line per finding and a summary (default); github: GitHub Actions "
        "::error/::warning/::notice commands; json: one JSON document (summary and findings); "
        "csv: the findings as CSV (the summary goes to stderr for json and csv)",
    )
    console.add_argument(
        "--max-findings",
        type=_count,
        default=MAX_FINDINGS,
        metavar="N",
        help=f"text format: print the first N findings, then a count (default {MAX_FINDINGS}; 0 = all)",
    )
    console.add_argument(
        "-q", "--quiet", action="store_true", help="no finding lines, no progress: the summary only"
    )
    bar = console.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress", action="store_true", help="draw progress bars even when stderr is not a terminal"
    )
    bar.add_argument("--no-progress", action="store_true", help="show no progress at all")
    from addin.cli import stream_cmd

    stream_cmd.add_arguments(parser.add_argument_group("big inputs"))
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
    """Run the check; print the findings and the summary; write the files asked for."""
    if args.engine == "spark":
        from addin.engines.spark_cli import run_spark_check

        return run_spark_check(args)
    from addin.checker import check, write_findings
    from addin.checker.progress import reporter
    from addin.rules import load_config
    from addin.rules.config import with_selection

    input_path = Path(args.input)
    _check_outputs(args, input_path)  # before reading any claim: a bad output path fails now
    config = load_config(args.config)
    if args.select or args.ignore:
        config = with_selection(config, args.select, args.ignore)
    write_report = None
    if args.output:
        try:
            from addin.workbooks.report import write_report
        except ImportError as exc:
            print(f"cpt-addin: the audit workbook writer is not available ({exc})", file=sys.stderr)
            return 2
    progress = reporter(not args.quiet and not args.no_progress, force_bar=args.progress)
    from addin.cli import stream_cmd

    try:
        streamed = stream_cmd.wants_stream(args, input_path)
    except ValueError as exc:
        progress.close()
        return stream_cmd.fail(str(exc))
    if streamed:
        return stream_cmd.run_streamed(args, input_path, _column_map(args.map), config, progress)
    written: list[Path] = []
    try:
        result = check(
            input_path,
            sheet=_sheet(args.sheet),
            column_map=_column_map(args.map),
            ignore_columns=args.ignore_column or None,
            setting=args.setting,
            date_default=args.date_default,
            config=config,
            progress=progress,
        )
        if args.findings:
            progress("findings", 0, 1)
            written.append(
                write_findings(
                    result.findings, args.findings, input_path=input_path, raw_csv=args.raw_csv
                )
            )
            progress("findings", 1, 1)
        if args.output and write_report is not None:
            write_report(result, args.output, progress=progress)
            written.append(Path(args.output))
    finally:
        progress.close()
    code = exit_code(result.findings, args.fail_on)
    print_findings(result, args, written, code)
    return code


def exit_code(findings, fail_on: str = "error") -> int:
    """1 when a finding at or above ``fail_on`` (error / warning / info) exists; 0 otherwise
    and always with ``never``."""
    from addin.findings import SEVERITIES

    if fail_on == "never" or not len(findings):
        return 0
    failing = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    return int(bool(findings["severity"].isin(failing).any()))


def print_findings(result, args: argparse.Namespace, written: list[Path], code: int) -> None:
    """The console output in the chosen ``--format``."""
    from addin.cli import check_output

    findings = result.findings
    summary = summary_text(result, written, code, args.fail_on)
    if args.format == "json":
        print(check_output.json_document(result, written, code, with_findings=not args.quiet))
        return
    if args.format == "csv":
        if not args.quiet:
            sys.stdout.write(check_output.csv_text(findings, raw=args.raw_csv))
        print(summary, file=sys.stderr)
        return
    if not args.quiet:
        if args.format == "github":
            lines = check_output.github_lines(findings, str(args.input))
        else:
            limit = args.max_findings or len(findings)
            lines = check_output.finding_lines(
                findings.iloc[:limit], str(args.input), check_output.line_width()
            )
            if len(findings) > limit:
                lines.append(check_output.more_line(len(findings) - limit, written))
        if lines:
            print("\n".join(lines))
    print(summary)


def _check_outputs(args: argparse.Namespace, input_path: Path) -> None:
    """Refuse output paths that cannot or must not be written (exit 2), before the check runs."""
    from addin.outputs import check_output

    if args.findings:
        check_output(args.findings, inputs=[input_path], others=[args.output],
                     suffixes=_findings_suffixes(), what="findings file")
    if args.output:
        check_output(args.output, inputs=[input_path], suffixes=(".xlsx",), what="audit workbook")


def _findings_suffixes() -> tuple[str, ...]:
    from addin.checker import writers

    return tuple(getattr(writers, "FORMATS", FINDINGS_SUFFIXES))


def summary_text(
    result, written: list[Path] | None = None, code: int | None = None, fail_on: str = "error"
) -> str:
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
    if code is None or fail_on == "error":
        code = result.exit_code if code is None else code
        lines.append({0: "No errors found.", 1: "Errors found (exit 1)."}[code])
    elif code:
        lines.append(f"Findings at or above {fail_on} found (exit 1, --fail-on {fail_on}).")
    else:
        has_errors = result.exit_code == 1
        lines.append(
            f"Errors found; exit 0 (--fail-on {fail_on})." if has_errors
            else f"No finding at or above {fail_on} (--fail-on {fail_on})."
        )
    return "\n".join(lines)


def _version_text(version) -> str:
    vintage = version.vintage.isoformat() if version.vintage else "undated"
    setting = "" if version.setting == "all" else f" {version.setting}"
    return f"{version.table.upper()}{setting} {vintage} ({version.origin})"
