"""Time the Excludes1 (DX006) and global-surgery (GLB001-GLB004) rules on synthetic claims.

Generates claims with ``benchmarks/make_claims.py``, prepares one rule context per size (the
lines as the checker keys them) and times the shared fee-schedule lookup, then each new
rule's ``check`` — the cost these families add to a check — and prints lines/s.

    python benchmarks/bench_issue12_rules.py                       # bundled data, 100k + 1M
    python benchmarks/bench_issue12_rules.py --store /path/store   # an imported store
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "benchmarks"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--store", type=Path, default=None, help="an imported store folder")
    args = parser.parse_args(argv)
    from make_claims import make_claims, write_claims

    from addin.claims import read_claims
    from addin.reference import ReferenceData
    from addin.reference.excludes1 import excludes1_table
    from addin.rules import get_rule
    from addin.rules.context import RuleContext

    store = args.store or Path(tempfile.mkdtemp()) / "no-store"
    reference = ReferenceData(store=store)
    started = time.perf_counter()
    excludes1_table()
    print(f"Excludes1 table ready in {time.perf_counter() - started:.2f} s (cache or build)")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "claims.csv"
            write_claims(make_claims(size, seed=7), path)
            claims = read_claims(path)
        context = RuleContext.from_lines(claims.lines, reference)
        timings = {}
        started = time.perf_counter()
        context.code_status  # noqa: B018 - shared by every fee-schedule rule already
        timings["code_status (shared)"] = time.perf_counter() - started
        for rule_id in ("DX006", "GLB001", "GLB002", "GLB003", "GLB004"):
            rule = get_rule(rule_id)
            started = time.perf_counter()
            found = rule.check(context)
            timings[f"{rule_id} ({len(found):,} findings)"] = time.perf_counter() - started
        new = sum(v for k, v in timings.items() if not k.startswith("code_status"))
        print(f"{size:,} lines:")
        for name, seconds in timings.items():
            print(f"  {name:32s} {seconds:6.2f} s")
        print(f"  new rules together              {new:6.2f} s ({size / new:,.0f} lines/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
