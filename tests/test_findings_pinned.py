"""The findings of the sample claims and of a 100k-line random input, pinned by a hash.

The batch engine is tuned for speed again and again; these hashes say that no tuning changed
a single finding (row, rule, severity, codes, message, suggestion, source, identifiers, date,
related row). Only the rules that existed when the hashes were taken are compared, so a new
rule family does not move them. When a fix *means* to change findings, re-pin the hash in
the same commit and say in the note which findings changed and why.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from pinned_claims import PROJECT, write_pinned_claims

#: The original findings columns (a column added later is not part of the pin).
PINNED_COLUMNS = [
    "claim_id", "row", "rule", "rule_id", "severity", "code", "related_code", "modifier",
    "message", "suggestion", "source", "patient_id", "provider_npi", "dos", "related_row",
]
#: Rule ids that existed when the hashes were taken.
PINNED_RULES = {
    *(f"INP00{k}" for k in range(1, 10)), *(f"COD00{k}" for k in range(1, 10)),
    *(f"PTP00{k}" for k in range(1, 10)), *(f"MUE00{k}" for k in range(1, 10)),
    *(f"AOC00{k}" for k in range(1, 10)), *(f"MOD0{k:02d}" for k in range(1, 20)),
    *(f"DX00{k}" for k in range(1, 6)), "DUP001",
}
SAMPLE_LAST_ROW = 65
SAMPLE_SHA = "e904e460387a866cb8f3108e96025bf75374f695b9cb36a2af441d5fa2ceeb7f"
RANDOM_SHA = "e7e75c2deebce164b4f4088477ab53cd17cf4ff95f2b32dcebc4f8b02bada98f"


def _findings_digest(claims: Path, out: Path, last_row: int | None = None) -> tuple[str, int]:
    from addin.checker import check, write_findings

    result = check(claims)
    write_findings(result.findings, out)
    digest = hashlib.sha256()
    count = 0
    with out.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            if record["rule_id"] not in PINNED_RULES:
                continue
            if last_row is not None and int(record["row"]) > last_row:
                continue
            digest.update("\x1f".join(record[c] for c in PINNED_COLUMNS).encode() + b"\x1e")
            count += 1
    return digest.hexdigest(), count


def test_sample_claims_findings_are_pinned(bundled, tmp_path):
    # rows the sample had when pinned (lines appended later for new rules are not pinned)
    sample = PROJECT / "data" / "sample_claims.xlsx"
    digest, count = _findings_digest(sample, tmp_path / "f.csv", last_row=SAMPLE_LAST_ROW)
    assert (digest, count) == (SAMPLE_SHA, 37)


@pytest.mark.filterwarnings("ignore")
def test_random_claims_findings_are_pinned(bundled, tmp_path):
    claims = write_pinned_claims(tmp_path / "pinned.csv")
    digest, count = _findings_digest(claims, tmp_path / "f.csv")
    assert (digest, count) == (RANDOM_SHA, 148_532)
