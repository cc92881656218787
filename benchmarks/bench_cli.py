"""Start-up and small-job times of the ``cpt-addin`` command, whole process.

    python benchmarks/bench_cli.py [--runs 5] [--home /work/home]

Prints, per command, the median of ``--runs`` wall times and the median CPU time (user +
system of the child; on a busy machine wall time is CPU time plus waiting). Targets (issue 11):
``--help`` ≤ 0.3 s, ``lookup 47383`` with the full store ≤ 0.8 s, the sample check ≤ 1.5 s.
The bundled runs use an empty temporary ``CPT_ADDIN_HOME``; ``--home`` is the store with every
CMS table imported (skipped when it does not exist).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample_claims.xlsx"

# (label, arguments, store: "bundled" or "full", target seconds)
CASES = [
    ("--help", ["--help"], "bundled", 0.3),
    ("--version", ["--version"], "bundled", 0.3),
    ("check --help", ["check", "--help"], "bundled", 0.3),
    ("lookup 47383 (bundled)", ["lookup", "47383"], "bundled", 0.8),
    ("lookup 47383 (full store)", ["lookup", "47383"], "full", 0.8),
    ("check sample_claims.xlsx", ["check", str(SAMPLE), "--quiet"], "bundled", 1.5),
]


def run_once(args: list[str], home: str, pycache: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``python -m addin ARGS`` process.

    Bytecode is cached (in ``pycache``, outside the source tree) as an installed package's
    is: with ``PYTHONDONTWRITEBYTECODE`` every run would compile the sources again."""
    env = {**os.environ, "CPT_ADDIN_HOME": home, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "addin", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--home", default="/work/home", help="store with every CMS table")
    args = parser.parse_args()
    empty = tempfile.mkdtemp(prefix="cpt-addin-bench-")
    pycache = tempfile.mkdtemp(prefix="cpt-addin-bench-pycache-")
    print(f"{'command':<28} {'wall s':>7} {'cpu s':>7} {'target':>7}  (median of {args.runs})")
    for label, argv, store, target in CASES:
        home = empty if store == "bundled" else args.home
        if store == "full" and not Path(home).is_dir():
            print(f"{label:<28} skipped: no store at {home}")
            continue
        run_once(argv, home, pycache)  # warm the file and bytecode caches
        times = [run_once(argv, home, pycache) for _ in range(args.runs)]
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        mark = "ok" if wall <= target else "SLOW"
        print(f"{label:<28} {wall:7.3f} {cpu:7.3f} {target:7.1f}  {mark}")


if __name__ == "__main__":
    main()
