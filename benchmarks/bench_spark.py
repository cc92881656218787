"""Benchmark the Spark engine against the in-process check on the same Parquet file.

Generates synthetic claims (``benchmarks/make_claims.py``: real codes, PTP pairs, add-on
pairs and MUE limits), writes them as one Parquet file, then

* in process: reads the file with pandas and runs :func:`addin.checker.check` (warm
  reference tables: the second of two runs);
* on Spark (``--master``, default ``local[2]``): ``spark.read.parquet`` ->
  :func:`addin.engines.spark.check_spark` -> findings written as Parquet; the session is
  started first and its start-up time printed apart; the best of ``--repeat`` runs (the
  first run also pays each Python worker's reference load).

Prints lines/s for both and the ratio Spark / in process. Needs pyspark and Java
(``pip install -e ".[spark]"``) and a store with the CMS tables (``CPT_ADDIN_HOME``, or
``../shared/cms`` is imported into a temporary home).

    python benchmarks/bench_spark.py                       # 1M lines, local[2]
    python benchmarks/bench_spark.py --lines 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SHARED_CMS = PROJECT.parent / "shared" / "cms"
sys.path.insert(0, str(PROJECT / "benchmarks"))


def _home(requested: Path | None) -> Path | None:
    """A home whose store has the CMS tables (imported from ../shared when needed)."""
    for candidate in (requested, os.environ.get("CPT_ADDIN_HOME")):
        if candidate and (Path(candidate) / "store" / "manifest.json").exists():
            return Path(candidate)
    if not SHARED_CMS.exists():
        return None
    home = Path(tempfile.mkdtemp(prefix="cpt-addin-bench-"))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "addin", "data", "import", str(SHARED_CMS)],
        env={**os.environ, "CPT_ADDIN_HOME": str(home)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"imported {SHARED_CMS} into {home} in {time.perf_counter() - started:.1f} s")
    return home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--buckets", type=int, default=None, help="patient buckets (default 2x cores)")
    parser.add_argument("--setting", default="practitioner")
    parser.add_argument("--repeat", type=int, default=2, help="Spark runs (best is reported)")
    parser.add_argument("--home", type=Path, help="CPT_ADDIN_HOME with the CMS tables")
    parser.add_argument("--work", type=Path, help="folder for the claims and findings files")
    args = parser.parse_args(argv)
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print('skipped: pyspark is not installed (pip install -e ".[spark]")')
        return 0
    home = _home(args.home)
    if home is None:
        print("skipped: no store with the CMS tables and no ../shared/cms to import")
        return 0
    os.environ["CPT_ADDIN_HOME"] = str(home)
    work = args.work or Path(tempfile.mkdtemp(prefix="cpt-addin-spark-"))
    work.mkdir(parents=True, exist_ok=True)

    import pandas as pd
    from make_claims import make_claims

    from addin.checker import check
    from addin.engines.spark import check_spark
    from addin.engines.spark_session import spark_session
    from addin.reference.data import ReferenceData

    claims = work / f"claims_{args.lines}.parquet"
    if not claims.exists():
        started = time.perf_counter()
        make_claims(args.lines, reference=ReferenceData(store=home / "store")).to_parquet(claims)
        print(f"generated {args.lines:,} lines in {time.perf_counter() - started:.1f} s")

    reference = ReferenceData(store=home / "store")
    local_s = None
    for _ in range(2):  # the first run loads the reference tables
        started = time.perf_counter()
        result = check(pd.read_parquet(claims), setting=args.setting, reference=reference)
        local_s = time.perf_counter() - started
    local_findings = len(result.findings)
    print(f"in process: {local_s:.1f} s, {args.lines / local_s:,.0f} lines/s, "
          f"{local_findings:,} findings")

    started = time.perf_counter()
    spark = spark_session(args.master, driver_memory="4g")
    print(f"Spark {spark.version} on {args.master}: session started in "
          f"{time.perf_counter() - started:.1f} s")
    best = None
    out = work / "findings.parquet"
    for number in range(args.repeat):
        started = time.perf_counter()
        findings = check_spark(
            spark.read.parquet(str(claims)),
            setting=args.setting,
            reference_home=home,
            buckets=args.buckets,
        )
        findings.write.mode("overwrite").parquet(str(out))
        elapsed = time.perf_counter() - started
        print(f"Spark run {number + 1}: {elapsed:.1f} s, {args.lines / elapsed:,.0f} lines/s")
        best = elapsed if best is None else min(best, elapsed)
    spark_findings = len(pd.read_parquet(out))
    spark.stop()
    shutil.rmtree(out, ignore_errors=True)
    print(f"findings: {spark_findings:,} on Spark, {local_findings:,} in process"
          + ("" if spark_findings == local_findings else "  <-- DIFFERENT"))
    print(f"ratio Spark/in process (lines/s): {local_s / best:.2f} "
          f"({args.lines / best:,.0f} vs {args.lines / local_s:,.0f} lines/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
