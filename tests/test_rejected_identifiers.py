"""A rejected row's INP001 finding keeps its claim id, patient and provider as read, so a
user filtering the findings (file, JSON, report) by claim sees it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from addin.checker import check, write_findings
from addin.reference import ReferenceData

PROJECT = Path(__file__).resolve().parents[1]
CLAIMS = (
    "Claim ID,Patient,NPI,DOS,CPT,Mods,Units\n"
    "C-77,P 9,12345,13/45/2024,47383,,1\n"  # bad date; an NPI of 5 digits, kept as read
    "C-78,,1234567893,2024-05-01,47383,,x\n"  # bad units; no patient: the claim stands in
    "C-79,P9,1234567893,2024-05-01,47383,,1\n"
)


@pytest.fixture(scope="module")
def bundled() -> ReferenceData:
    return ReferenceData(store=PROJECT / "no-store-here", data_dir=PROJECT / "data")


@pytest.fixture
def result(tmp_path, bundled):
    path = tmp_path / "claims.csv"
    path.write_text(CLAIMS, encoding="utf-8")
    return check(path, reference=bundled)


def test_rejected_rows_keep_their_identifiers(result):
    rejected = result.findings[result.findings["rule_id"] == "INP001"].set_index("row")
    assert rejected.loc[2, ["claim_id", "patient_id", "provider_npi"]].tolist() == ["C-77", "P 9", "12345"]
    assert rejected.loc[3, ["claim_id", "patient_id", "provider_npi"]].tolist() == [
        "C-78",
        "C-78",
        "1234567893",
    ]
    by_claim = result.findings[result.findings["claim_id"] == "C-77"]
    assert by_claim["rule_id"].tolist() == ["INP001"]


def test_findings_file_and_report_carry_the_claim_id(result, tmp_path, bundled):
    out = write_findings(result.findings, tmp_path / "findings.csv")
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table.loc[table["row"] == "2", "claim_id"].tolist() == ["C-77"]
    from openpyxl import load_workbook

    from addin.workbooks.report import write_report

    report = write_report(result, tmp_path / "audit.xlsx", reference=bundled)
    sheet = load_workbook(report, read_only=True)["Findings"]
    rows = [[("" if v is None else str(v)) for v in r] for r in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if "rule_id" in [c.lower().replace(" ", "_") for c in r])
    names = [c.lower().replace(" ", "_") for c in rows[header]]
    claim_col, rule_col = names.index("claim_id"), names.index("rule_id")
    inp = [r[claim_col] for r in rows[header + 1 :] if r[rule_col] == "INP001"]
    assert sorted(inp) == ["C-77", "C-78"]
