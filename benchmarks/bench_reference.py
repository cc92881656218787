"""Reference-data benchmarks: store load, the PTP pair index, pair queries, 1M-pair vector query.

Imports the full practitioner PTP table (2.5M rows) from ../shared/cms into a temporary store
(or uses ``--home`` if it already holds one), then in a fresh process measures (wall and CPU
time; CPU time is the steadier number on a shared machine):

- loading the PTP version from the store (first query pays it), and whether its pair index
  came from the store or was built in memory (a store written before indexes were stored),
- building the pair index in memory (what every process paid before it was stored),
- one pair query: median over 5,000 different pairs (each asked once), and one pair repeated,
- a vector query over 1M pairs drawn from real edits and random codes (median of 3),
- peak RSS of the loaded store.

Targets (issue 11, 2-core machine): 1M pairs <= 0.3 s, one pair query <= 20 µs (median).
Run: ``python benchmarks/bench_reference.py [--home DIR]``.
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




def _timed(func, *args) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def measure(home: str) -> dict:
    """Run inside a fresh process: load, index, point queries, vector query."""
    import datetime as dt

    import numpy as np

    from addin.reference import ReferenceData
    from addin.reference.ptp_index import PairDirectory, decode_codes

    os.environ["CPT_ADDIN_HOME"] = home
    rss_before = peak_rss_mb()
    day = dt.date(2024, 8, 1)
    reference = ReferenceData()
    load_s, load_cpu_s, _ = _timed(reference.pair, "43235", "43497", day)
    version = reference.version_for("ptp", "practitioner", day)
    index = reference._ptp_index(version)
    stored = index.directory is not None and version.load_ptp_directory is not None
    builds = [_timed(PairDirectory.build, index.keys)[:2] for _ in range(3)]

    rng = np.random.default_rng(7)
    rows = rng.integers(0, len(index), 5000)
    distinct = list(zip(decode_codes(index.keys[rows] & 0xFFFFFFFF).tolist(),
                        decode_codes(index.keys[rows] >> 32).tolist(), strict=True))  # reversed order
    samples = []
    for a, b in distinct:
        t0 = time.perf_counter()
        reference.pair(a, b, day)
        samples.append(time.perf_counter() - t0)
    pair_new_us = statistics.median(samples) * 1e6
    for _ in range(1000):
        reference.pair("43235", "43497", day)
    samples = []
    for _ in range(5000):
        t0 = time.perf_counter()
        reference.pair("43235", "43497", day)
        samples.append(time.perf_counter() - t0)
    pair_same_us = statistics.median(samples) * 1e6

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
    first_s, _, _ = _timed(reference.ptp_matches, a[:1000], b[:1000], dates[:1000])
    runs = [_timed(reference.ptp_matches, a, b, dates) for _ in range(3)]
    return {
        "ptp_rows": len(index),
        "store_load_s": round(load_s, 3),
        "store_load_cpu_s": round(load_cpu_s, 3),
        "pair_index_stored": stored,
        "pair_index_build_in_memory_s": round(statistics.median(w for w, _ in builds), 3),
        "pair_index_build_in_memory_cpu_s": round(statistics.median(c for _, c in builds), 3),
        "pair_query_new_pairs_median_us": round(pair_new_us, 1),
        "pair_query_same_pair_median_us": round(pair_same_us, 1),
        "first_vector_query_1000_s": round(first_s, 3),
        "vector_1m_pairs_s": round(statistics.median(r[0] for r in runs), 3),
        "vector_1m_pairs_cpu_s": round(statistics.median(r[1] for r in runs), 3),
        "vector_matches": len(runs[-1][2]),
        "index_mb": round((index.nbytes + sum(getattr(index.pairs, c).nbytes for c in PairDirectory.COLUMNS)) / 1e6, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_load_mb": round(rss_before, 1),
    }


TARGETS = {"vector_1m_pairs_s": 0.3, "pair_query_new_pairs_median_us": 20.0, "pair_query_same_pair_median_us": 20.0}


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
        target = f"  (target <= {TARGETS[key]:g}: {'ok' if value <= TARGETS[key] else 'MISSED'})" if key in TARGETS else ""
        print(f"{key}: {value}{target}")


if __name__ == "__main__":
    main()
