"""Import benchmark: seconds and peak memory to import CMS tables into a fresh store.

Each case runs in a fresh process (so peak RSS is that import's alone) with its own temporary
``CPT_ADDIN_HOME``:

1. the full practitioner PTP table, derived CSV (2,546,017 rows, gzip) from ../shared/cms;
2. the same rows written out in the official tab-delimited TXT layout (built in the temp
   folder, never in the repository), to time the official-layout parser at full scale;
3. ``cpt-addin data import ../shared/cms`` end to end (every table there).

Run: ``python benchmarks/bench_import.py [--shared PATH] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import peak_rss_mb  # benchmarks/memory.py (scripts run from their folder)

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PTP_CSV = Path("cms/ptp/ncci_ptp_practitioner_2024q3.derived.csv.gz")

TXT_HEADER = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)


def child(argv: list[str]) -> None:
    """Run one import in this process and print seconds, peak RSS and rows as JSON."""
    from addin.cli import main

    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        stdout, sys.stdout = sys.stdout, sink
        try:
            code = main(["data", "import", *argv])
        finally:
            sys.stdout = stdout
    seconds = time.perf_counter() - started
    from addin.reference.store import Store

    rows = sum(r.rows for r in Store().records())
    peak_mb = peak_rss_mb()
    print(json.dumps({"code": code, "seconds": seconds, "peak_mb": peak_mb, "rows": rows}))


def measure(label: str, argv: list[str], home: Path) -> None:
    """Run :func:`child` in a fresh process with its own CPT_ADDIN_HOME and report."""
    env = {**os.environ, "CPT_ADDIN_HOME": str(home)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(f"{label}: failed\n{done.stderr}", file=sys.stderr)
        return
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rate = result["rows"] / result["seconds"] if result["seconds"] else 0
    print(
        f"{label:<48} {result['seconds']:6.2f} s import ({wall:5.2f} s with start-up)  "
        f"{result['rows']:>10,} rows  {rate / 1e6:5.2f} M rows/s  peak RSS {result['peak_mb']:6.0f} MB"
        + ("" if result["code"] == 0 else f"  exit {result['code']}")
    )


def write_official_txt(derived: Path, target: Path) -> None:
    """The derived PTP rows in the official TXT layout (effective date set to 2024-07-01)."""
    import pandas as pd

    frame = pd.read_csv(derived, dtype=str, keep_default_na=False)
    deletion = frame["deletion_date"].where(frame["deletion_date"] != "", "*")
    lines = (
        frame["column_1"]
        + "\t"
        + frame["column_2"]
        + "\t\t20240701\t"
        + deletion
        + "\t"
        + frame["modifier_indicator"]
        + "\t"
        + frame["ptp_edit_rationale"]
    )
    with target.open("w", encoding="latin-1", newline="") as out:
        out.write(TXT_HEADER)
        out.write("\r\n".join(lines.tolist()))
        out.write("\r\n")


def main() -> None:
    """Run the three cases and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--keep", type=Path, help="keep the temporary homes here")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    derived = args.shared / PTP_CSV
    if not derived.exists():
        sys.exit(f"{derived} is absent: the benchmark needs ../shared/cms")
    base = args.keep or Path(tempfile.mkdtemp(prefix="cpt-addin-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"{sys.executable}  (temporary files in {base})")
    measure("PTP practitioner, derived CSV.gz", [str(derived)], base / "home-csv")
    txt = base / "ccipra-v302r0-f1.txt"
    with gzip.open(derived, "rb") as handle:  # cheap sanity check that the file is readable
        handle.read(64)
    write_official_txt(derived, txt)
    measure("PTP practitioner, official TXT layout", [str(txt)], base / "home-txt")
    measure("cpt-addin data import ../shared/cms", [str(args.shared / "cms")], base / "home-all")
    if not args.keep:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
