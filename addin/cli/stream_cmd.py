"""``cpt-addin check`` on inputs too big for memory: the streamed check's side of the command.

``check`` hands over here when the input is CSV/TSV/TXT or Parquet, no audit workbook is
asked for, and either ``--stream`` is given or the input holds more than
:data:`AUTO_STREAM_LINES` lines (estimated from the Parquet footer or the file size). The
findings go straight to the ``--findings`` file batch by batch; the summary is the same as
the in-memory check's. Exit codes: 0 no error-level finding, 1 error-level findings, 2 the
input or the command could not be processed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: More lines than this are checked streamed (when no workbook is asked for).
AUTO_STREAM_LINES = 2_000_000
#: Bytes per line of a typical claims CSV (to estimate lines from the size).
CSV_BYTES_PER_LINE = 80
STREAMABLE = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def add_arguments(parser) -> None:
    """``--stream`` / ``--no-stream`` and ``--workers``."""
    parser.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="check in batches of whole patients with bounded memory (default: automatic "
        f"above {AUTO_STREAM_LINES:,} lines of CSV or Parquet when no -o workbook is asked)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="processes for a streamed check (default: one per core)",
    )


def wants_stream(args: argparse.Namespace, input_path: Path) -> bool:
    """Whether this ``check`` runs streamed (raises SystemExit-worthy ValueError on a clash)."""
    if args.stream is False or input_path.suffix.lower() not in STREAMABLE:
        if args.stream:
            raise ValueError(f"--stream reads .csv, .tsv, .txt or .parquet, not {input_path.suffix}")
        return False
    if args.stream:
        if args.output:
            raise ValueError(
                "--stream writes findings only: the audit workbook (-o) needs every line in "
                "memory (and Excel stops at 1,048,576 rows); drop -o or --stream"
            )
        if not args.findings:
            raise ValueError("--stream needs --findings FILE (.csv, .jsonl or .parquet)")
        return True
    if args.output or not args.findings or args.findings.lower().endswith(".json"):
        return False
    return _estimated_lines(input_path) > AUTO_STREAM_LINES


def _estimated_lines(path: Path) -> int:
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            from addin.claims.parquetfile import parquet_rows

            return parquet_rows(path)
        return path.stat().st_size // CSV_BYTES_PER_LINE
    except (OSError, ValueError):
        return 0


def run_streamed(args: argparse.Namespace, input_path: Path, column_map, config, progress) -> int:
    """Check streamed, print the summary, return the exit code (``--fail-on`` as in memory).

    The findings are never all in memory, so the console shows the summary, not one line
    per finding (they are in the ``--findings`` file); ``--format`` other than text is
    refused.
    """
    from addin.checker.stream import check_streamed

    if getattr(args, "format", "text") != "text":
        progress.close()
        return fail("a streamed check prints its summary as text; the findings are in the --findings file")
    try:
        result = check_streamed(
            input_path,
            args.findings,
            column_map=column_map,
            ignore_columns=args.ignore_column or None,
            setting=args.setting,
            date_default=args.date_default,
            config=config,
            raw_csv=args.raw_csv,
            workers=args.workers,
            progress=progress,
        )
    finally:
        progress.close()
    code = exit_code(result.by_severity, getattr(args, "fail_on", "error"))
    print(streamed_summary(result, code))
    return code


def exit_code(by_severity: dict[str, int], fail_on: str = "error") -> int:
    """1 when a finding at or above ``fail_on`` exists (0 always with ``never``)."""
    from addin.findings import SEVERITIES

    if fail_on == "never":
        return 0
    failing = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    return int(any(by_severity.get(s, 0) for s in failing))


def streamed_summary(result, code: int | None = None) -> str:
    """The end-of-run summary of a streamed check (same wording as the in-memory one)."""
    from addin.cli.check_cmd import _version_text
    from addin.reference.currency import banner_lines

    meta = result.meta
    lines = [
        f"Checked {meta.get('file')}: {meta['rows_read']} rows read, "
        f"{meta['rows_checked']} checked, {meta['rows_rejected']} rejected"
        + (f", {meta.get('blank_rows', 0)} blank skipped" if meta.get("blank_rows") else "")
        + f" ({result.setting}, {result.elapsed_seconds:.1f} s; streamed in {result.buckets} "
        f"bucket(s) on {result.workers} process(es)).",
    ]
    by_severity = result.by_severity
    lines.append(
        f"Findings: {result.findings} — "
        + ", ".join(f"{by_severity.get(s, 0)} {s}" for s in ("error", "warning", "info"))
    )
    if result.by_rule_id:
        lines.append(
            "  by rule: " + ", ".join(f"{k} {int(v)}" for k, v in sorted(result.by_rule_id.items()))
        )
    for note in [*meta.get("notes", []), *result.notes]:
        lines.append(f"Note: {note}")
    if result.versions:
        lines.append("Data: " + "; ".join(_version_text(v) for v in result.versions))
    lines.extend(f"Data currency: {line}" for line in banner_lines(result.versions))
    lines.append(f"Wrote {result.findings_path} (finding lines are not printed in a streamed check)")
    code = result.exit_code if code is None else code
    lines.append({0: "No errors found.", 1: "Errors found (exit 1)."}[result.exit_code] if code == result.exit_code
                 else f"Exit {code} (--fail-on).")
    return "\n".join(lines)


def fail(message: str) -> int:
    """Print a command-line error and return exit code 2."""
    print(f"cpt-addin: {message}", file=sys.stderr)
    return 2
