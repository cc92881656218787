"""The findings CSV is opened in Excel: text that would run as a formula is neutralised
(OWASP "CSV Injection"), unless ``--raw-csv``; JSON is written as is (issue 10, point 6)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from addin.checker import write_findings
from addin.checker.writers import neutralise_formulas
from addin.cli import main
from addin.findings import FINDING_COLUMNS

TRIGGERS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")']
SAFE = ["47383", "C1", "a=b", " =1", "", "'=already"]


def findings(values: list[str]) -> pd.DataFrame:
    n = len(values)
    frame = pd.DataFrame({c: [""] * n for c in FINDING_COLUMNS})
    for column in ("claim_id", "code", "related_code", "modifier", "message", "suggestion", "patient_id"):
        frame[column] = values
    frame["row"] = range(2, n + 2)
    frame["related_row"] = [-1] * n
    frame["rule"], frame["rule_id"], frame["severity"] = "ptp", "PTP001", "error"
    return frame


def read_cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_formula_triggers_get_a_leading_quote(tmp_path):
    path = write_findings(findings(TRIGGERS + SAFE), tmp_path / "f.csv")
    rows = read_cells(path)
    for column in ("claim_id", "code", "related_code", "modifier", "message", "suggestion", "patient_id"):
        got = [r[column] for r in rows]
        assert got == ["'" + v for v in TRIGGERS] + SAFE, column
    assert [r["row"] for r in rows] == [str(n) for n in range(2, 2 + len(TRIGGERS + SAFE))]
    assert {r["related_row"] for r in rows} == {"-1"}  # numbers stay numbers


def test_raw_csv_and_json_keep_the_text(tmp_path):
    raw = read_cells(write_findings(findings(TRIGGERS), tmp_path / "f.csv", raw_csv=True))
    assert [r["claim_id"] for r in raw] == TRIGGERS
    records = json.loads(write_findings(findings(TRIGGERS), tmp_path / "f.json").read_text(encoding="utf-8"))
    assert [r["code"] for r in records] == TRIGGERS


def test_nulls_and_non_text_columns_are_untouched():
    import pyarrow as pa

    table = pa.table({"a": pa.array(["=x", None, "y"]), "n": pa.array([-1, 2, 3])})
    out = neutralise_formulas(table)
    assert out.column("a").to_pylist() == ["'=x", None, "y"]
    assert out.column("n").to_pylist() == [-1, 2, 3]


def test_cli_neutralises_by_default_and_raw_csv_switches_it_off(tmp_path):
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "Claim ID,Patient ID,NPI,Date of Service,CPT,Modifiers,Units,DX\n"
        "=1+1,@P1,1234567890,2024-05-01,43497,,1,K22.0\n"
        "=1+1,@P1,1234567890,2024-05-01,43235,,1,K22.0\n",
        encoding="utf-8",
    )
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    assert main(["check", str(claims), "--findings", str(safe), "--quiet"]) == 1
    assert main(["check", str(claims), "--findings", str(raw), "--quiet", "--raw-csv"]) == 1
    safe_rows, raw_rows = read_cells(safe), read_cells(raw)
    assert safe_rows and {r["claim_id"] for r in safe_rows} == {"'=1+1"}
    assert {r["patient_id"] for r in safe_rows} == {"'@P1"}
    assert {r["claim_id"] for r in raw_rows} == {"=1+1"}
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in safe_rows for k, c in r.items()
                   if k not in ("row", "related_row"))
