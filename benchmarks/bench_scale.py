"""Whole-command timings of ``cpt-addin check`` from 1M to 100M lines (issue 11's table).

Each measure runs the real command in a fresh process (``python -m addin check ...``) and
prints the median wall time of ``--repeat`` runs and the peak resident memory of the whole
process tree (the streamed check's worker processes included). Every CMS table in
``../shared/cms`` is imported first (or ``--home`` reuses a filled ``CPT_ADDIN_HOME``).

Inputs: ``make_claims`` — ``benchmarks/make_claims.py`` (realistic mix); ``heavy`` —
``../shared/bench/gen_claims.py`` (findings-heavy, ~70 % of lines with a finding). The 10M
and 100M inputs are Parquet files made of copies of the 1M ``make_claims`` lines, each copy
with its own claim and patient ids (so patients never merge across copies).

    python benchmarks/bench_scale.py --home /work/home                 # 1M both, formats
    python benchmarks/bench_scale.py --home /work/home --sizes 10000000 100000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from memory import run_measured

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
TARGETS = {
    "make_claims 1M csv": (5.0, 1500),
    "heavy 1M csv": (6.0, 2000),
}


def _env(home: Path) -> dict:
    env = dict(os.environ)
    env["CPT_ADDIN_HOME"] = str(home)
    env["PYTHONPATH"] = str(PROJECT)
    return env


def _make_inputs(work: Path, env: dict) -> dict[str, Path]:
    made = work / "make_1m.csv"
    if not made.exists():
        subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "make_claims.py"), "1000000", "-o", str(made)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    heavy = work / "heavy_1m.csv"
    if not heavy.exists():
        subprocess.run([sys.executable, str(SHARED / "bench" / "gen_claims.py"), str(SHARED / "cms"), "1000000", str(heavy)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    return {"make": made, "heavy": heavy}


def replicated_parquet(base_csv: Path, lines: int, out: Path) -> Path:
    """``lines`` claim lines as Parquet: copies of ``base_csv`` with their own ids."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if out.exists():
        return out
    base = pacsv.read_csv(base_csv, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in pacsv.read_csv(base_csv, read_options=pacsv.ReadOptions(block_size=1 << 16)).column_names}))
    claim, patient = base.column_names[0], base.column_names[1]
    temp = out.with_suffix(".partial")
    with pq.ParquetWriter(str(temp), base.schema, compression="zstd") as writer:
        written, copy = 0, 0
        while written < lines:
            part = base.slice(0, min(base.num_rows, lines - written))
            suffix = pa.scalar(f"-{copy}")
            part = part.set_column(0, claim, pc.binary_join_element_wise(part.column(claim), suffix, ""))
            part = part.set_column(1, patient, pc.binary_join_element_wise(part.column(patient), suffix, ""))
            writer.write_table(part, row_group_size=1_000_000)
            written += part.num_rows
            copy += 1
    temp.replace(out)
    return out


def _measure(label: str, command: list[str], env: dict, repeat: int) -> None:
    runs = [run_measured(command, env) for _ in range(repeat)]
    wall = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    target = TARGETS.get(label)
    goal = f"  (target ≤ {target[0]:.0f} s, ≤ {target[1]:,} MB)" if target else ""
    print(f"{label:<34} {wall:>8.2f} s {peak:>9,.0f} MB  runs: "
          + ", ".join(f"{r[0]:.2f}" for r in runs) + goal, flush=True)
    return wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a CPT_ADDIN_HOME with every CMS table imported")
    parser.add_argument("--work", type=Path, help="folder for the claim and findings files")
    parser.add_argument("--sizes", type=int, nargs="*", default=[], help="streamed Parquet sizes (10M, 100M)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-1m", action="store_true", help="only the streamed sizes")
    args = parser.parse_args(argv)
    if not (SHARED / "cms").exists():
        print(f"skipped: {SHARED / 'cms'} is absent")
        return 0
    home = args.home or Path(tempfile.mkdtemp(prefix="cpt-addin-bench-"))
    work = args.work or Path(tempfile.mkdtemp(prefix="cpt-addin-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = _env(home)
    if not (home / "store" / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "addin", "data", "import", str(SHARED / "cms")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    inputs = _make_inputs(work, env)
    check = [sys.executable, "-m", "addin", "check"]
    print(f"{'measure':<34} {'median':>10} {'peak RSS':>12}")
    if not args.skip_1m:
        csv_time = _measure("make_claims 1M csv", [*check, str(inputs["make"]), "--findings", str(work / "f.csv")], env, args.repeat)
        _measure("heavy 1M csv", [*check, str(inputs["heavy"]), "--findings", str(work / "h.csv")], env, args.repeat)
        for suffix in (".jsonl", ".parquet", ".json"):
            wall = _measure(f"make_claims 1M {suffix}", [*check, str(inputs["make"]), "--findings", str(work / f"f{suffix}")], env, args.repeat)
            print(f"{'':<34} {wall / csv_time:>8.2f} × CSV (target ≤ 1.2)")
        _measure("make_claims 1M csv --stream", [*check, str(inputs["make"]), "--stream", "--findings", str(work / "s.csv")], env, args.repeat)
    for size in args.sizes:
        source = replicated_parquet(inputs["make"], size, work / f"claims_{size}.parquet")
        wall = _measure(f"{size:,} lines parquet --stream", [*check, str(source), "--stream", "--findings", str(work / f"f_{size}.parquet")], env, 1)
        print(f"{'':<34} {size / wall:>10,.0f} lines/s (target ≥ 200,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
