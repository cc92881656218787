"""Claims-reader benchmark: read time and peak memory for a big CSV and a big workbook.

Writes random but plausible claims (skewed code mix, modifiers, several diagnoses, real
date cells in the workbook and ``M/D/YYYY`` text in the CSV, a few blank and unreadable rows,
two extra columns) to a temporary folder, then reads each file with
:func:`addin.claims.read_claims` in a fresh process and prints seconds, lines/s and that
process's peak RSS.

Targets on a 2-core machine: 1M-line CSV in about 2-3 s; 100k-line xlsx in a few seconds.
Run: ``python benchmarks/bench_read_claims.py [--csv-lines N] [--xlsx-lines N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from memory import peak_rss_mb  # benchmarks/memory.py (scripts run from their folder)

HEADER = [
    "Claim ID", "Patient ID", "Rendering NPI", "Date of Service", "CPT", "Modifier 1",
    "Modifier 2", "Units", "DX1", "DX2", "DX3", "POS", "Payer", "Charge",
]  # fmt: skip

# A skewed code mix: office visits dominate, then labs, imaging, procedures, add-ons.
CODES = np.array(
    ["99213", "99214", "99212", "99215", "99203", "99204", "36415", "85025", "80053", "83036",
     "71046", "93000", "20610", "11042", "11045", "17000", "17003", "43235", "43239", "45378",
     "45380", "47562", "47563", "29881", "64483", "64484", "00100", "00790", "G0439", "J1100",
     "0397T", "3074F", "90471", "90686", "97110", "97140", "97530", "77067", "74177", "76700"]
)  # fmt: skip
MODIFIERS = np.array(["", "", "", "", "", "25", "59", "XS", "LT", "RT", "26", "TC", "76", "50"])
DIAGNOSES = np.array(
    ["I10", "E11.9", "E78.5", "Z00.00", "J06.9", "M54.50", "K21.9", "R10.9", "M17.11", "Z12.31",
     "K80.20", "N39.0", "F41.1", "G47.33", "", ""]
)  # fmt: skip


def synthetic_claims(lines: int, seed: int = 7) -> pd.DataFrame:
    """``lines`` claim lines, about three per claim and four claims per patient."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(CODES) + 1) ** 0.9
    claim = np.sort(rng.integers(0, max(lines // 3, 1), lines))
    patient = claim // 4
    frame = pd.DataFrame(
        {
            "Claim ID": pd.Series(claim).map("CLM{:08d}".format),
            "Patient ID": pd.Series(patient).map("P{:07d}".format),
            "Rendering NPI": (1_000_000_000 + (claim * 7919) % 300).astype(str),
            "Date of Service": pd.Timestamp("2025-01-01")
            + pd.to_timedelta((claim * 37) % 365, unit="D"),
            "CPT": rng.choice(CODES, lines, p=weights / weights.sum()),
            "Modifier 1": rng.choice(MODIFIERS, lines),
            "Modifier 2": np.where(rng.random(lines) < 0.05, "XU", ""),
            "Units": rng.choice(["1", "1", "1", "2", "3", ""], lines),
            "DX1": rng.choice(DIAGNOSES[:-2], lines),
            "DX2": rng.choice(DIAGNOSES, lines),
            "DX3": rng.choice(DIAGNOSES, lines),
            "POS": rng.choice(["11", "11", "22", "21", "23", "19"], lines),
            "Payer": rng.choice(["Medicare", "Medicaid", "Aetna", "BCBS"], lines),
            "Charge": (rng.gamma(2.0, 80.0, lines)).round(2).astype(str),
        }
    )
    bad = rng.random(lines) < 0.001
    frame.loc[bad, "Units"] = "-1"  # a few unreadable rows, as real exports have
    return frame


def write_csv(path: Path, lines: int) -> None:
    frame = synthetic_claims(lines)
    frame["Date of Service"] = frame["Date of Service"].dt.strftime("%-m/%-d/%Y")
    frame.to_csv(path, index=False, lineterminator="\r\n")


def write_xlsx(path: Path, lines: int) -> None:
    import openpyxl

    frame = synthetic_claims(lines, seed=11)
    frame["Date of Service"] = frame["Date of Service"].dt.date
    frame["CPT"] = [int(c) if c.isdigit() else c for c in frame["CPT"]]  # numbers lose zeros
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Claims")
    ws.append(["Claims export (synthetic)"])
    ws.append([])
    ws.append(HEADER)
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    wb.save(path)




def measure(path: str) -> dict:
    """Run in a fresh process: read the file once, report time, counts and peak memory."""
    from addin.claims import read_claims

    baseline = peak_rss_mb()  # interpreter, pandas, pyarrow and calamine loaded
    start = time.perf_counter()
    result = read_claims(path)
    seconds = time.perf_counter() - start
    return {
        "file": Path(path).name,
        "seconds": round(seconds, 2),
        "rows_read": result.meta["rows_read"],
        "rows_checked": result.meta["rows_checked"],
        "rows_rejected": result.meta["rows_rejected"],
        "lines_per_s": round(result.meta["rows_read"] / seconds),
        "peak_rss_mb": round(peak_rss_mb()),
        "baseline_rss_mb": round(baseline),
        "lines_mb": round(result.lines.memory_usage(deep=True).sum() / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-lines", type=int, default=1_000_000)
    parser.add_argument("--xlsx-lines", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        if args.csv_lines:
            path = folder / "claims.csv"
            t0 = time.perf_counter()
            write_csv(path, args.csv_lines)
            print(f"wrote {path.name}: {args.csv_lines:,} lines, "
                  f"{path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f}s")  # fmt: skip
            files.append(path)
        if args.xlsx_lines:
            path = folder / "claims.xlsx"
            t0 = time.perf_counter()
            write_xlsx(path, args.xlsx_lines)
            print(f"wrote {path.name}: {args.xlsx_lines:,} lines, "
                  f"{path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f}s")  # fmt: skip
            files.append(path)
        for path in files:
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{r['file']:<12} read {r['rows_read']:>9,} rows in {r['seconds']:5.2f} s "
                f"({r['lines_per_s']:,} lines/s; {r['rows_checked']:,} checked, "
                f"{r['rows_rejected']:,} rejected); peak RSS {r['peak_rss_mb']} MB "
                f"({r['baseline_rss_mb']} MB before reading); "
                f"lines frame {r['lines_mb']} MB"
            )


if __name__ == "__main__":
    main()
