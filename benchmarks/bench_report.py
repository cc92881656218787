"""Audit-report benchmark: write the audit workbook for 100k claim lines.

Issue 11 target (2-core machine, every CMS table imported): the findings-heavy 100k-line
input of ``../shared/bench/gen_claims.py`` writes its audit workbook in <= 5 s.

With ``--input claims.csv`` it checks that file (the store of ``CPT_ADDIN_HOME``), then times
:func:`addin.workbooks.report.write_report` alone ``--repeat`` times (wall and CPU seconds,
median, and per stage: prepare / Summary / Findings / Claims / Reference / save+splice) and
the whole command ``cpt-addin check INPUT -o audit.xlsx`` in fresh processes (median), with
and without ``-o`` so the report's share shows. Without ``--input`` it generates claims with
``benchmarks/make_claims.py`` (or ``--synthetic``: a CheckResult built without the checker).

Run::

    python ../shared/bench/gen_claims.py ../shared/cms 100000 /tmp/x.csv
    CPT_ADDIN_HOME=... python benchmarks/bench_report.py --input /tmp/x.csv
    python benchmarks/bench_report.py [--lines 100000] [--keep audit.xlsx]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
TARGET_SECONDS = 5.0
#: write_report's stages, timed by wrapping the functions it calls (name in addin.workbooks.report)
STAGES = ["_prepare", "write_summary", "write_findings", "write_claims", "write_rejected",
          "write_reference", "write_about", "splice"]


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


def file_result(path: Path):
    """A CheckResult for a claims file through the real checker."""
    from addin.checker import check

    started = time.perf_counter()
    result = check(path)
    print(f"checker: {len(result.claims.raw):,} lines, {len(result.findings):,} findings "
          f"in {time.perf_counter() - started:.1f} s")
    return result


class StageClock:
    """Wall and CPU seconds of each stage of write_report (wrapping its module's functions)."""

    def __init__(self) -> None:
        from addin.workbooks import report

        self.report = report
        self.seconds: dict[str, list[float]] = {}
        self.saved = {name: getattr(report, name) for name in STAGES if hasattr(report, name)}
        for name, function in self.saved.items():
            setattr(report, name, self._timed(name, function))

    def _timed(self, name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds.setdefault(name, []).append(time.perf_counter() - started)
        return timed

    def take(self) -> dict[str, float]:
        out = {name: sum(values) for name, values in self.seconds.items()}
        self.seconds = {}
        return out

    def restore(self) -> None:
        for name, function in self.saved.items():
            setattr(self.report, name, function)


def time_reports(result, target: Path, repeat: int) -> tuple[list[float], list[float], list[dict]]:
    """Write the report ``repeat`` times: wall seconds, CPU seconds, per-stage wall seconds."""
    from addin.workbooks.report import write_report

    walls, cpus, stages = [], [], []
    clock = StageClock()
    try:
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            write_report(result, target)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            stages.append(clock.take())
    finally:
        clock.restore()
    return walls, cpus, stages


def time_command(path: Path, out: Path, repeat: int, report: bool) -> list[float]:
    """Wall seconds of ``cpt-addin check INPUT [-o out]`` in fresh processes."""
    env = dict(os.environ, PYTHONPATH=str(PROJECT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, "-m", "addin", "check", str(path), "--quiet"]
    command += ["-o", str(out)] if report else ["--findings", str(out.with_suffix(".csv"))]
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"check failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def run_input(args) -> int:
    """The issue-11 measurement on a claims file: report stage and whole command, medians."""
    result = file_result(args.input)
    with tempfile.TemporaryDirectory() as folder:
        target = args.keep or Path(folder) / "audit.xlsx"
        walls, cpus, stages = time_reports(result, target, args.repeat)
        size = target.stat().st_size / 1e6
        middle = walls.index(statistics.median_high(walls))
        print(f"report stage: median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
              f"(runs: {', '.join(f'{w:.2f}' for w in walls)}), {size:.1f} MB")
        print("  stages (median run): " + ", ".join(f"{k.strip('_')} {v:.2f}" for k, v in stages[middle].items()))
        if args.no_command:
            return 0 if statistics.median(walls) <= TARGET_SECONDS else 1
        with_report = time_command(args.input, Path(folder) / "cmd.xlsx", args.repeat, report=True)
        without = time_command(args.input, Path(folder) / "cmd.xlsx", args.repeat, report=False)
    whole = statistics.median(with_report)
    print(f"whole command with -o audit.xlsx: median {whole:.2f} s "
          f"(runs: {', '.join(f'{w:.2f}' for w in with_report)})")
    print(f"whole command, findings CSV only: median {statistics.median(without):.2f} s "
          f"(runs: {', '.join(f'{w:.2f}' for w in without)})")
    verdict = "OK" if statistics.median(walls) <= TARGET_SECONDS else "SLOW"
    print(f"[{verdict}: report stage target <= {TARGET_SECONDS:.0f} s]")
    return 0 if verdict == "OK" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--synthetic", action="store_true", help="skip the checker")
    parser.add_argument("--keep", type=Path, help="keep the report at this path")
    parser.add_argument("--input", type=Path, help="check this claims file and time its report")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--no-command", action="store_true", help="skip the whole-command timing")
    args = parser.parse_args(argv)
    if args.input:
        return run_input(args)

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
    verdict = "OK" if seconds <= TARGET_SECONDS else "SLOW"
    print(
        f"report: {seconds:.1f} s for {len(result.claims.raw):,} claim rows + {len(result.findings):,} findings "
        f"({rows / seconds:,.0f} rows/s), {size:.1f} MB; RSS before {before or 0:.0f} MB, "
        f"peak while writing {peak:.0f} MB  [{verdict}: target <= {TARGET_SECONDS:.0f} s]"
    )
    return 0 if seconds <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
