"""Generate realistic synthetic claim lines from the loaded reference tables.

Codes come from the tables themselves: payable fee-schedule codes (status A) drawn with a
Zipf-like popularity, real PTP pairs in force, real add-on/primary pairs from the AOC table
and real MUE limits. A configurable share of claims hits PTP, MUE and add-on edits; claims
have several lines; patients have several claims, some split across claims on one day.

Usage::

    CPT_ADDIN_HOME=/tmp/home python benchmarks/make_claims.py 100000 -o claims.csv [--xlsx]

No claim data here is real: ids are sequence numbers, diagnoses are drawn from ICD-10-CM.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HEADERS = [
    "Claim ID",
    "Patient ID",
    "Rendering NPI",
    "Date of Service",
    "CPT/HCPCS",
    "Modifiers",
    "Units",
    "Diagnosis Codes",
    "POS",
]
PLAIN_MODIFIERS = ["LT", "RT", "26", "TC", "59", "XS", "XU", "76", "51", "50", "80"] * 5 + ["ZZ"]
POS_CODES = ["11"] * 12 + ["22"] * 5 + ["19", "21", "23", "24", "81"]
START = dt.date(2025, 1, 2)
DAYS = 360


def _table(reference, table: str, setting: str) -> pd.DataFrame:
    versions = reference.version_set(table, setting)
    if not versions:
        raise SystemExit(f"no {table} {setting} table loaded: run `cpt-addin data import` first")
    return versions.versions[-1].load()


#: Share of lines by kind of service (office claims are mostly visits, labs and imaging).
SERVICE_MIX = {"lab": 0.35, "imaging": 0.22, "medicine": 0.13, "level2": 0.07, "surgery": 0.23}


def _code_pool(reference, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Real codes by kind of service, each kind with a Zipf-like popularity."""
    rvu = _table(reference, "rvu", "all")
    rvu = rvu[rvu["modifier"].fillna("") == ""]
    addons = set(reference.addon_edits(None)["addon_code"].astype(str))
    # add-on codes are placed with their primaries below, never at random
    rvu = rvu[~rvu["code"].astype(str).isin(addons) & (rvu["global_days"].astype(str) != "ZZZ")]
    code = rvu["code"].astype(str)
    status = rvu["status"].astype(str)
    digits = code.str.fullmatch(r"\d{5}")
    number = pd.to_numeric(code.where(digits, "0"), errors="coerce").fillna(0)
    kinds = {
        "lab": digits & number.between(80000, 89999) & status.isin(["A", "X"]),
        "imaging": digits & number.between(70000, 79999) & (status == "A"),
        "medicine": digits & number.between(90000, 99199) & (status == "A"),
        "level2": ~digits & code.str.match(r"^[GJ]\d{4}$") & status.isin(["A", "X", "E"]),
        "surgery": digits & number.between(10000, 69999) & (status == "A"),
    }
    pools, weights = [], []
    for kind, share in SERVICE_MIX.items():
        codes = code[kinds[kind]].unique()
        codes = rng.permutation(codes)[: max(1, int(size * share))]
        w = 1.0 / np.arange(1, len(codes) + 1) ** 1.1
        pools.append(codes.astype(object))
        weights.append(w / w.sum() * share)
    weights_all = np.concatenate(weights)
    return np.concatenate(pools), weights_all / weights_all.sum()


def _diagnoses(rng: np.random.Generator, size: int) -> np.ndarray:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import simple_icd_10_cm as cm
    leaves = [c for c in cm.get_all_codes(with_dots=True) if cm.is_leaf(c)]
    chosen = rng.choice(np.array(leaves, dtype=object), size=size, replace=False)
    return np.concatenate([chosen, np.array(["K83", "E11", "R10.9X", "ZZZ.9"], dtype=object)])


def make_claims(
    n_lines: int,
    reference=None,
    seed: int = 7,
    ptp_share: float = 0.08,
    mue_share: float = 0.03,
    addon_share: float = 0.04,
) -> pd.DataFrame:
    """A DataFrame of ``n_lines`` claim lines under the usual headers (see module docstring).

    ``ptp_share`` of claims get a real PTP pair (a third of them with a modifier),
    ``mue_share`` of lines get units above their code's MUE, ``addon_share`` of claims get an
    add-on code (most with a listed primary, some without).
    """
    if reference is None:
        from addin.reference import get_reference_data

        reference = get_reference_data()
    rng = np.random.default_rng(seed)
    pool, weights = _code_pool(reference, rng, 4000)
    # claims: 1-6 lines each; patients: ~1.6 claims each; providers: a few thousand NPIs
    sizes = rng.choice(
        np.arange(1, 7), size=n_lines // 2 + 10, p=[0.2, 0.25, 0.2, 0.15, 0.12, 0.08]
    )
    ends = np.cumsum(sizes)
    n_claims = int(np.searchsorted(ends, n_lines)) + 1
    sizes = sizes[:n_claims]
    sizes[-1] -= ends[n_claims - 1] - n_lines
    claim_of_line = np.repeat(np.arange(n_claims), sizes)
    first_line = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    n_patients = max(1, int(n_claims / 1.6))
    claim_patient = rng.integers(0, n_patients, n_claims)
    providers = 1_000_000_000 + rng.choice(9_000_000, size=max(10, n_claims // 50), replace=False)
    claim_provider = rng.choice(providers, n_claims)
    claim_day = rng.integers(0, DAYS, n_claims)
    # one claim in ten continues the previous claim's patient, provider and day (split claims)
    split = np.flatnonzero(rng.random(n_claims) < 0.1)
    split = split[split > 0]
    claim_patient[split] = claim_patient[split - 1]
    claim_provider[split] = claim_provider[split - 1]
    claim_day[split] = claim_day[split - 1]

    cpt = rng.choice(pool, size=n_lines, p=weights)
    modifiers = np.full(n_lines, "", dtype=object)
    with_mod = rng.random(n_lines) < 0.12
    modifiers[with_mod] = rng.choice(PLAIN_MODIFIERS, size=int(with_mod.sum()))
    units = np.ones(n_lines, dtype=np.int64)
    more_units = rng.random(n_lines) < 0.05
    units[more_units] = rng.integers(2, 4, int(more_units.sum()))

    # one E/M visit on a third of the claims (their first line), half of them with 25
    em = rng.random(n_claims) < 0.35
    em_lines = first_line[em]
    cpt[em_lines] = rng.choice(
        np.array(["99213", "99214", "99203", "99204", "99232"], dtype=object), size=len(em_lines)
    )
    modifiers[em_lines[rng.random(len(em_lines)) < 0.5]] = "25"

    # real PTP pairs in force on two lines of a claim with at least two lines
    ptp = _table(reference, "ptp", "practitioner")
    active = ptp[(ptp["deletion_date"].isna()) & (ptp["modifier_indicator"] != 9)]
    multi = np.flatnonzero(sizes >= 2)
    hit = multi[rng.random(len(multi)) < ptp_share * n_claims / max(len(multi), 1)]
    sample = active.iloc[rng.integers(0, len(active), len(hit))]
    a, b = first_line[hit], first_line[hit] + 1
    flip = rng.random(len(hit)) < 0.5  # either input order
    col1 = sample["column_1"].to_numpy(dtype=object)
    col2 = sample["column_2"].to_numpy(dtype=object)
    cpt[np.where(flip, b, a)] = col1
    cpt[np.where(flip, a, b)] = col2
    bypass = rng.random(len(hit)) < 0.33
    modifiers[np.where(flip, a, b)[bypass]] = rng.choice(
        ["XS", "59", "XU", "LT"], size=int(bypass.sum())
    )

    # add-on codes: a listed primary on the line before, or none
    aoc = reference.addon_edits(None)
    listed = aoc[aoc["primary_code"] != "CCCCC"]
    hit = multi[rng.random(len(multi)) < addon_share * n_claims / max(len(multi), 1)]
    rows = listed.iloc[rng.integers(0, len(listed), len(hit))]
    last = first_line[hit] + sizes[hit] - 1
    cpt[last] = rows["addon_code"].to_numpy(dtype=object)
    keep_primary = rng.random(len(hit)) < 0.75
    cpt[(last - 1)[keep_primary]] = rows["primary_code"].to_numpy(dtype=object)[keep_primary]

    # units over the MUE
    mue = _table(reference, "mue", "practitioner")
    mue = mue[(mue["mue_units"] > 0) & (mue["mue_units"] < 20)]
    over = np.flatnonzero(rng.random(n_lines) < mue_share)
    picks = mue.iloc[rng.integers(0, len(mue), len(over))]
    cpt[over] = picks["code"].to_numpy(dtype=object)
    units[over] = picks["mue_units"].to_numpy(dtype=np.int64) + 1

    # diagnoses: a pool of common combinations (one, two or three codes), Zipf-like popularity
    dx_pool = _diagnoses(rng, 3000)
    n_combos = 20_000
    first, second, third = (rng.choice(dx_pool, size=n_combos) for _ in range(3))
    how_many = rng.choice([1, 2, 3], size=n_combos, p=[0.55, 0.3, 0.15])
    combos = np.where(
        how_many == 1,
        first,
        np.where(how_many == 2, first + "," + second, first + "," + second + "," + third),
    )
    combo_weights = 1.0 / np.arange(1, n_combos + 1) ** 0.8
    dx = rng.choice(combos, size=n_lines, p=combo_weights / combo_weights.sum())
    dx[rng.random(n_lines) < 0.01] = ""

    dates = (np.datetime64(START) + claim_day).astype("datetime64[D]")
    frame = pd.DataFrame(
        {
            "Claim ID": pd.Series(
                np.char.add("CLM", np.char.zfill(np.arange(n_claims).astype(str), 8))
            )[claim_of_line].to_numpy(),
            "Patient ID": pd.Series(np.char.add("PT", np.char.zfill(claim_patient.astype(str), 7)))[
                claim_of_line
            ].to_numpy(),
            "Rendering NPI": claim_provider[claim_of_line].astype(str),
            "Date of Service": np.datetime_as_string(dates[claim_of_line]),
            "CPT/HCPCS": cpt,
            "Modifiers": modifiers,
            "Units": units,
            "Diagnosis Codes": dx,
            "POS": rng.choice(POS_CODES, size=n_lines),
        }
    )
    bad_pos = rng.random(n_lines) < 0.002
    frame.loc[bad_pos, "POS"] = "35"  # an unassigned place of service
    return frame


def write_claims(frame: pd.DataFrame, path: Path) -> Path:
    """Write CSV (pyarrow) or xlsx (openpyxl write-only)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Claims")
        sheet.append(HEADERS)
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
        workbook.save(path)
        return path
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame.astype({"Units": "int64"}), preserve_index=False)
    pacsv.write_csv(table, str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lines", type=int)
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="claims file (.csv or .xlsx)"
    )
    parser.add_argument(
        "--xlsx", action="store_true", help="also write an .xlsx beside it (≤100k lines)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ptp-share", type=float, default=0.08)
    parser.add_argument("--mue-share", type=float, default=0.03)
    parser.add_argument("--addon-share", type=float, default=0.04)
    args = parser.parse_args(argv)
    frame = make_claims(
        args.lines,
        seed=args.seed,
        ptp_share=args.ptp_share,
        mue_share=args.mue_share,
        addon_share=args.addon_share,
    )
    write_claims(frame, args.output)
    print(f"wrote {len(frame):,} lines to {args.output}")
    if args.xlsx:
        if len(frame) > 100_000:
            print("skipping xlsx: more than 100,000 lines", file=sys.stderr)
        else:
            xlsx = write_claims(frame, args.output.with_suffix(".xlsx"))
            print(f"wrote {xlsx}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
