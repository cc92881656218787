"""Audit-report benchmark: write the report for 100k claim lines; target under 30 s.

Generates realistic synthetic claims (``benchmarks/make_claims.py``, codes and edits drawn
from the loaded tables), runs the real checker on them, then times
:func:`addin.workbooks.report.write_report` alone and prints seconds, rows/s, file size and
the peak RSS while writing (Linux: the high-water mark is reset before the report). Without
the checker it builds a synthetic CheckResult instead.

Run: ``python benchmarks/bench_report.py [--lines 100000] [--keep audit.xlsx]``.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 30.0


def _rss_mb(field: str) -> float | None:
    """VmHWM / VmRSS from /proc (Linux), in MB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def checked_result(lines: int):
    """A CheckResult from generated claims through the real checker (None if unavailable)."""
    try:
        from addin.checker import check
    except ImportError:
        return None
    sys.path.insert(0, str(HERE))
    from make_claims import make_claims

    frame = make_claims(lines)
    started = time.perf_counter()
    result = check(frame)
    print(f"checker: {len(frame):,} lines, {len(result.findings):,} findings in {time.perf_counter() - started:.1f} s")
    return result


def synthetic_result(lines: int, seed: int = 3):
    """A CheckResult built without the checker: random findings on about a fifth of the lines."""
    from addin.claims.model import ClaimsInput
    from addin.findings import FINDING_COLUMNS, CheckResult

    rng = np.random.default_rng(seed)
    rows = np.arange(2, lines + 2)
    codes = rng.choice(["47383", "77002", "43235", "43497", "99213", "93000", "20610"], size=lines)
    raw = pd.DataFrame(
        {
            "row": rows,
            "Claim ID": [f"CLM-{r // 3:07d}" for r in rows],
            "Patient ID": [f"PT-{r // 7:06d}" for r in rows],
            "Date of Service": pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, 300, lines), "D"),
            "CPT/HCPCS": codes,
            "Modifiers": rng.choice(["", "59", "XS", "LT,RT"], size=lines),
            "Units": rng.integers(1, 4, lines),
        }
    )
    lines_frame = pd.DataFrame({"row": rows, "claim_id": raw["Claim ID"], "dos": raw["Date of Service"], "cpt": codes})
    hit = rng.random(lines) < 0.2
    n = int(hit.sum())
    findings = pd.DataFrame(
        {
            "claim_id": raw["Claim ID"][hit].to_numpy(), "row": rows[hit],
            "rule": rng.choice(["ptp", "mue", "aoc", "modifier", "code"], size=n),
            "rule_id": "SYN001", "severity": rng.choice(["error", "warning", "info"], size=n),
            "code": codes[hit], "related_code": "", "modifier": "",
            "message": "A synthetic finding message of typical length for the benchmark report.",
            "suggestion": "Fix the line.", "source": "synthetic", "patient_id": raw["Patient ID"][hit].to_numpy(),
            "provider_npi": "1234567890", "dos": raw["Date of Service"][hit].to_numpy(), "related_row": 0,
        },
        columns=FINDING_COLUMNS,
    )
    meta = {"file": "synthetic.csv", "sha256": "0" * 64, "sheet": None, "header_row": 1,
            "column_mapping": {}, "rows_read": lines, "rows_checked": lines, "rows_rejected": 0,
            "blank_rows": 0, "notes": []}
    status = pd.DataFrame({"row": rows, "worst_severity": "", "finding_count": 0, "messages": ""})
    claims = ClaimsInput(lines=lines_frame, rejected=pd.DataFrame(columns=["row", "column", "reason", "raw"]),
                         raw=raw, meta=meta)
    return CheckResult(findings=findings, claims=claims, line_status=status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--synthetic", action="store_true", help="skip the checker")
    parser.add_argument("--keep", type=Path, help="keep the report at this path")
    args = parser.parse_args(argv)

    from addin.workbooks.report import write_report

    result = None if args.synthetic else checked_result(args.lines)
    if result is None:
        result = synthetic_result(args.lines)
        print(f"synthetic result: {args.lines:,} lines, {len(result.findings):,} findings")
    with tempfile.TemporaryDirectory() as folder:
        target = args.keep or Path(folder) / "audit.xlsx"
        reset = _reset_peak()
        before = _rss_mb("VmRSS")
        started = time.perf_counter()
        write_report(result, target)
        seconds = time.perf_counter() - started
        peak = _rss_mb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = target.stat().st_size / 1e6
    rows = len(result.claims.raw) + len(result.findings)
    verdict = "OK" if seconds < TARGET_SECONDS else "SLOW"
    print(
        f"report: {seconds:.1f} s for {len(result.claims.raw):,} claim rows + {len(result.findings):,} findings "
        f"({rows / seconds:,.0f} rows/s), {size:.1f} MB; RSS before {before or 0:.0f} MB, "
        f"peak while writing {peak:.0f} MB  [{verdict}: target < {TARGET_SECONDS:.0f} s]"
    )
    return 0 if seconds < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
