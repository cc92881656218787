"""``cpt-addin check`` and ``cpt-addin rules``: exit codes, files, refusing to overwrite input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from addin.cli import main
from addin.findings import FINDING_COLUMNS
from addin.rules import all_rules

PROJECT = Path(__file__).resolve().parents[1]


def write_claims(path: Path, rows: list[list[str]]) -> Path:
    header = "Claim ID,Patient ID,NPI,Date of Service,CPT,Modifiers,Units,DX\n"
    path.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


CLEAN = [["C1", "P1", "1234567890", "2024-05-01", "99214", "", "1", "I10"]]
CONFLICT = [
    ["C1", "P1", "1234567890", "2024-05-01", "43497", "", "1", "K22.0"],
    ["C1", "P1", "1234567890", "2024-05-01", "43235", "", "1", "K22.0"],
]


def test_exit_0_when_no_errors(tmp_path, capsys):
    claims = write_claims(tmp_path / "clean.csv", CLEAN)
    assert main(["check", str(claims), "--config", str(_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "1 rows read, 1 checked, 0 rejected" in out
    assert "No errors found." in out


def _config(tmp_path: Path) -> Path:
    """Unknown codes are only a warning; switch the code family off to keep this test clean."""
    path = tmp_path / "rules.toml"
    path.write_text('[rules]\ncode = "off"\n', encoding="utf-8")
    return path


def test_exit_1_and_findings_csv(tmp_path, capsys):
    claims = write_claims(tmp_path / "claims.csv", CONFLICT)
    out_path = tmp_path / "findings.csv"
    assert main(["check", str(claims), "--findings", str(out_path)]) == 1
    findings = pd.read_csv(out_path, dtype=str, keep_default_na=False)
    assert list(findings.columns) == FINDING_COLUMNS
    assert "PTP001" in set(findings["rule_id"])
    out = capsys.readouterr().out
    assert "ptp" in out and "PTP001" in out and "Data:" in out
    assert "P1" not in out and "C1" not in out  # no claim contents on the console


def test_findings_json(tmp_path):
    claims = write_claims(tmp_path / "claims.csv", CONFLICT)
    out_path = tmp_path / "findings.json"
    assert main(["check", str(claims), "--findings", str(out_path), "--quiet"]) == 1
    records = json.loads(out_path.read_text(encoding="utf-8"))
    assert records and set(FINDING_COLUMNS) == set(records[0])


def test_exit_2_for_unreadable_input(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    bad = tmp_path / "claims.pdf"
    bad.write_bytes(b"%PDF")
    assert main(["check", str(bad)]) == 2


def test_exit_2_when_findings_would_overwrite_input(tmp_path, capsys):
    claims = write_claims(tmp_path / "claims.csv", CONFLICT)
    before = claims.read_bytes()
    assert main(["check", str(claims), "--findings", str(claims)]) == 2
    assert claims.read_bytes() == before
    assert "overwrite" in capsys.readouterr().err
    assert main(["check", str(claims), "--findings", str(tmp_path / "f.txt")]) == 2


def test_exit_2_for_bad_config(tmp_path):
    claims = write_claims(tmp_path / "claims.csv", CONFLICT)
    config = tmp_path / "rules.toml"
    config.write_text("[rules]\nXYZ999 = 'off'\n", encoding="utf-8")
    assert main(["check", str(claims), "--config", str(config)]) == 2


def test_map_and_setting(tmp_path, capsys):
    path = tmp_path / "odd.csv"
    path.write_text("Proc,When,Who\n43497,2024-05-01,P\n43235,2024-05-01,P\n", encoding="utf-8")
    code = main(
        [
            "check",
            str(path),
            "--map",
            "cpt=Proc",
            "--map",
            "dos=When",
            "--map",
            "patient_id=Who",
            "--setting",
            "hospital",
        ]
    )
    assert code in (0, 1)
    out = capsys.readouterr().out
    assert "2 rows read, 2 checked, 0 rejected (hospital" in out


def test_sample_workbook_from_the_command_line(tmp_path):
    sample = PROJECT / "data" / "sample_claims.xlsx"
    if not sample.exists():
        pytest.skip("data/sample_claims.xlsx not built yet")
    out_path = tmp_path / "f.csv"
    assert main(["check", str(sample), "--findings", str(out_path), "--quiet"]) == 1
    findings = pd.read_csv(out_path, dtype=str, keep_default_na=False)
    assert set(findings["rule"]) == {
        "ptp",
        "mue",
        "aoc",
        "modifier",
        "code",
        "diagnosis",
        "global",
        "demographic",  # issue 12: the sample gained a demographic block
        "duplicate",
        "input",
    }


def test_rules_command_lists_every_rule(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule in all_rules():
        assert rule.rule_id in out
    assert main(["rules", "--json", "ptp"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["rule_id"] for r in records] == ["PTP001", "PTP002", "PTP003"]
    assert "What it checks" in records[0]["doc"]


def test_every_rule_is_documented():
    seen = set()
    for rule in all_rules():
        assert rule.rule_id not in seen
        seen.add(rule.rule_id)
        doc = rule.doc()
        for part in ("**What it checks.**", "**Example.**", "**Fix.**"):
            assert part in doc, (rule.rule_id, part)
        assert rule.severity in ("error", "warning", "info")
