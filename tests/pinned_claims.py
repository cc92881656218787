"""A 100k-line random claims file built only from the bundled data, the same on every platform.

It feeds the pinned-findings test (``tests/test_findings_pinned.py``): the checker's findings
on it must stay byte-identical while the engine is rewritten for speed. Python's own
``random.Random`` (Mersenne Twister, ``random()`` only) draws everything, so numpy and pandas
versions cannot change the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DATA = PROJECT / "data"
HEADER = ["Claim ID", "Patient ID", "Rendering NPI", "Date of Service", "CPT/HCPCS",
          "Modifiers", "Units", "Diagnosis Codes", "POS"]
MODIFIERS = ["", "", "", "", "", "", "59", "XS", "XU", "25", "26", "TC", "LT", "RT", "50",
             "76", "91", "51", "80", "59,LT", "XS,RT", "26,59", "ZZ", "GA"]
DIAGNOSES = ["K22.0", "K80.20", "K83.1", "E11.9", "I10", "Z00.00", "M54.5", "M54.50", "J45.909",
             "R10.9", "e119", "K83.0", "XX.9", "S72.001A", "O80", "Z38.00", ""]
POS = ["11", "22", "19", "21", "23", "24", "", "99", "1"]
START = dt.date(2024, 1, 2)


def _pick(rng: random.Random, values: list):
    return values[int(rng.random() * len(values))]


def _bundled_codes() -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    def rows(name: str) -> list[dict]:
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    codes = sorted({r["code"] for r in rows("rvu.csv")} | {r["code"] for r in rows("mue.csv")})
    ptp = [(r["column_1"], r["column_2"]) for r in rows("ptp.csv")]
    aoc = [(r["primary_code"], r["addon_code"]) for r in rows("aoc.csv")]
    return codes, ptp, aoc


def pinned_rows(lines: int = 100_000, seed: int = 20261202) -> list[list[str]]:
    """The rows (header first) of the pinned claims file."""
    rng = random.Random(seed)
    codes, ptp, aoc = _bundled_codes()
    odd = ["4738", "ABCDE", "", "99999", "G0121", "J1100", "0397t"]
    out = [HEADER]
    claim = 0
    while len(out) - 1 < lines:
        claim += 1
        patient = f"PT-{int(rng.random() * lines / 6):06d}" if rng.random() > 0.02 else ""
        npi = _pick(rng, ["1900000013", "1900000021", "1900000039", ""])
        day = START + dt.timedelta(days=int(rng.random() * 900))
        when = day.isoformat() if rng.random() > 0.01 else _pick(rng, ["", "2026-13-40", "05/04/2026"])
        kind = rng.random()
        if kind < 0.35:
            picked = list(_pick(rng, ptp))
        elif kind < 0.5:
            picked = list(_pick(rng, aoc))
        else:
            picked = [_pick(rng, codes) for _ in range(1 + int(rng.random() * 3))]
        if rng.random() < 0.08:
            picked.append(_pick(rng, odd))
        if rng.random() < 0.05:
            picked.append(picked[0])
        for code in picked:
            units = str(1 + int(rng.random() ** 3 * 6)) if rng.random() > 0.005 else "x"
            dx = ",".join(_pick(rng, DIAGNOSES) for _ in range(1 + int(rng.random() * 2)))
            out.append([f"C{claim:07d}", patient, npi, when, code, _pick(rng, MODIFIERS), units,
                        dx, _pick(rng, POS)])
    return out[: lines + 1]


def write_pinned_claims(path: Path, lines: int = 100_000) -> Path:
    """Write the pinned claims as UTF-8 CSV."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(pinned_rows(lines))
    return path
