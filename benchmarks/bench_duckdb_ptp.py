"""Our PTP check against a plain DuckDB SQL self-join on the same 1M claim lines.

Both sides run as whole commands in fresh processes, from the claims CSV to a findings file:

* ``cpt-addin check claims.csv --findings ptp.csv`` with every family but ``ptp`` switched
  off (a rules config), and
* one DuckDB query: the lines joined to themselves on patient, provider and date, joined to
  the practitioner PTP table of the store (Column 1 = one line's code, Column 2 = the
  other's, edit in force on the date), distinct line pairs written to CSV.

It prints both times, the hits each found and the ratio ours / DuckDB (issue 11's target:
≤ 1.5). DuckDB only answers "which pairs have an edit"; our findings also decide the
governing row, the modifier bypass, and word the message, suggestion and source.

    pip install duckdb
    python benchmarks/bench_duckdb_ptp.py --home /work/home [--claims claims.csv]
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

PROJECT = Path(__file__).resolve().parents[1]

DUCKDB_SIDE = r"""
import duckdb, json, sys, time
claims, ptp_glob, out = sys.argv[1:4]
started = time.perf_counter()
con = duckdb.connect()
con.execute(f'''
CREATE TEMP TABLE lines AS
SELECT row_number() OVER () + 1 AS row, "Patient ID" AS patient, "Rendering NPI" AS npi,
       CAST("Date of Service" AS DATE) AS dos, "CPT/HCPCS" AS cpt
FROM read_csv('{claims}', header = true, all_varchar = true)
''')
count = con.execute(f'''
COPY (
  SELECT DISTINCT b.row AS row, a.row AS related_row, b.cpt AS code, a.cpt AS related_code
  FROM lines a
  JOIN lines b ON a.patient = b.patient AND a.npi = b.npi AND a.dos = b.dos AND a.row <> b.row
  JOIN read_parquet('{ptp_glob}') p
    ON p.column_1 = a.cpt AND p.column_2 = b.cpt
   AND (p.effective_date IS NULL OR p.effective_date <= a.dos)
   AND (p.deletion_date IS NULL OR p.deletion_date >= a.dos)
  ORDER BY 1, 2
) TO '{out}' (HEADER)
''').fetchone()
hits = con.execute(f"SELECT count(*) FROM read_csv('{out}')").fetchone()[0]
print(json.dumps({"hits": hits, "seconds": time.perf_counter() - started}))
"""


def _config(path: Path) -> Path:
    from addin.rules.base import FAMILIES

    lines = ["[rules]"] + [f'{family} = "off"' for family in FAMILIES if family != "ptp"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _timed(command: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - started, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="CPT_ADDIN_HOME with the CMS tables imported")
    parser.add_argument("--claims", type=Path, help="claims CSV (default: 1M lines of make_claims.py)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        import duckdb  # noqa: F401
    except ImportError:
        print("skipped: pip install duckdb")
        return 0
    env = dict(os.environ, CPT_ADDIN_HOME=str(args.home), PYTHONPATH=str(PROJECT))
    work = Path(tempfile.mkdtemp(prefix="cpt-addin-duckdb-"))
    claims = args.claims
    if claims is None:
        claims = work / "claims.csv"
        subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "make_claims.py"), "1000000", "-o", str(claims)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    ptp_glob = str(args.home / "store" / "ptp" / "practitioner" / "*.parquet")
    config = _config(work / "ptp_only.toml")
    ours, theirs = [], []
    for _ in range(args.repeat):
        wall, _ = _timed([sys.executable, "-m", "addin", "check", str(claims), "--config", str(config),
                          "--findings", str(work / "ours.csv")], env)
        ours.append(wall)
        wall, out = _timed([sys.executable, "-c", DUCKDB_SIDE, str(claims), ptp_glob, str(work / "duck.csv")], env)
        theirs.append(wall)
        duck = json.loads(out.strip().splitlines()[-1])
    import pandas as pd

    found = pd.read_csv(work / "ours.csv", dtype=str, usecols=["rule_id", "row", "related_row"])
    ptp = found[found["rule_id"].str.startswith("PTP")]
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    print(f"claims: {claims}")
    print(f"cpt-addin check (ptp only): {ours_s:6.2f} s median of {args.repeat} ({', '.join(f'{t:.2f}' for t in ours)}); "
          f"{len(ptp):,} PTP findings on {ptp[['row', 'related_row']].drop_duplicates().shape[0]:,} line pairs")
    print(f"DuckDB self-join:           {theirs_s:6.2f} s median of {args.repeat} ({', '.join(f'{t:.2f}' for t in theirs)}); "
          f"{duck['hits']:,} line pairs with an edit in force")
    print(f"ratio ours / DuckDB: {ours_s / theirs_s:.2f} (target ≤ 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
