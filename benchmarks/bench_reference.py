"""Reference-data benchmarks: store load, one pair query, a 1M-pair vector query, memory.

Imports the full practitioner PTP table (2.5M rows) from ../shared/cms into a temporary store
(or uses ``--home`` if it already holds one), then in a fresh process measures:

- loading the PTP version from the store (first query pays it),
- one pair query (median of many, after warm-up),
- a vector query over 1M pairs drawn from real edits and random codes,
- peak RSS of the loaded store.

Targets on a 2-core machine: load < 2 s, pair < 50 µs, 1M pairs < 1 s, peak < 1 GB.
Run: ``python benchmarks/bench_reference.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import peak_rss_mb  # benchmarks/memory.py (scripts run from their folder)

SHARED_CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
PTP_FILE = SHARED_CMS / "ptp" / "ncci_ptp_practitioner_2024q3.derived.csv.gz"




def measure(home: str) -> dict:
    """Run inside a fresh process: load, point query, vector query."""
    import datetime as dt

    import numpy as np

    from addin.reference import ReferenceData

    os.environ["CPT_ADDIN_HOME"] = home
    rss_before = peak_rss_mb()
    start = time.perf_counter()
    reference = ReferenceData()
    reference.pair("43235", "43497", dt.date(2024, 8, 1))
    load_s = time.perf_counter() - start

    day = dt.date(2024, 8, 1)
    for _ in range(1000):
        reference.pair("43235", "43497", day)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(2000):
            reference.pair("43235", "43497", day)
        samples.append((time.perf_counter() - t0) / 2000 * 1e6)
    pair_us = statistics.median(samples)

    version = reference.version_for("ptp", "practitioner", day)
    index = reference._ptp_index(version)
    from addin.reference.ptp_index import decode_codes

    rng = np.random.default_rng(7)
    n = 1_000_000
    rows = rng.integers(0, len(index), n)
    col1 = decode_codes(index.keys[rows] >> 32)
    col2 = decode_codes(index.keys[rows] & 0xFFFFFFFF)
    swap = rng.random(n) < 0.5
    a = np.where(swap, col2, col1)
    b = np.where(swap, col1, col2)
    # a third of the pairs are random codes that mostly have no edit
    noise = rng.random(n) < 0.33
    b[noise] = col2[rng.permutation(n)][noise]
    dates = np.full(n, np.datetime64("2024-08-01"))
    t0 = time.perf_counter()
    reference.ptp_matches(a[:1000], b[:1000], dates[:1000])  # builds the hash index once
    first_vector_s = time.perf_counter() - t0
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        matches = reference.ptp_matches(a, b, dates)
        timings.append(time.perf_counter() - t0)
    vector_s = statistics.median(timings)
    return {
        "ptp_rows": len(index),
        "store_load_s": round(load_s, 3),
        "pair_query_us": round(pair_us, 1),
        "first_vector_query_s": round(first_vector_s, 3),
        "vector_1m_pairs_s": round(vector_s, 3),
        "vector_matches": len(matches),
        "index_mb": round(index.nbytes / 1e6, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_load_mb": round(rss_before, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", help="existing CPT_ADDIN_HOME with the PTP table imported")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.home)))
        return
    if not PTP_FILE.exists():
        sys.exit(f"{PTP_FILE} is absent: the benchmark needs ../shared/cms")
    home = args.home or tempfile.mkdtemp(prefix="cpt-addin-bench-")
    if not args.home:
        from addin.reference.store import Store

        t0 = time.perf_counter()
        Store(Path(home) / "store").import_paths([PTP_FILE])
        print(f"import practitioner PTP (2.5M rows): {time.perf_counter() - t0:.2f} s")
    out = subprocess.run(
        [sys.executable, __file__, "--measure", "--home", home],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
