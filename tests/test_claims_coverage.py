"""What could not be checked: missing columns are said on the console, the report and findings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from addin.checker import check
from addin.claims.coverage import add_caveats, missing_columns
from addin.cli.check_cmd import summary_text

PAIR = [("43497", "2024-05-01"), ("43235", "2024-05-01")]  # a bundled PTP edit


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def test_missing_columns_are_said_in_notes_console_and_findings(tmp_path):
    path = _csv(
        tmp_path / "bare.csv",
        ["Claim ID", "Patient ID", "DOS", "CPT"],
        [["C1", "P1", dos, code] for code, dos in PAIR],
    )
    result = check(path)
    notes = result.claims.notes
    for expected in (
        "no modifiers column",
        "no diagnosis column",
        "no place-of-service column",
        "no provider NPI column",
        "no units column",
    ):
        assert any(n.startswith(expected) for n in notes), expected
    console = summary_text(result)
    assert "Note: no modifiers column" in console and "Note: no provider NPI column" in console
    ptp = result.findings[result.findings["rule"] == "ptp"]
    assert len(ptp)
    for message in ptp["message"]:
        assert "Not checked: no modifiers column: bypass modifiers were not considered" in message
        assert "no provider column: lines were grouped per patient and date only" in message


def test_with_every_column_findings_carry_no_caveat(tmp_path):
    path = _csv(
        tmp_path / "full.csv",
        ["Claim ID", "Patient ID", "NPI", "DOS", "CPT", "Modifiers", "Units", "DX", "POS"],
        [["C1", "P1", "1234567890", dos, code, "", "1", "K22.0", "11"] for code, dos in PAIR],
    )
    result = check(path)
    assert len(result.findings)
    assert not result.findings["message"].str.contains("Not checked").any()
    assert not any(n.startswith("no ") for n in result.claims.notes)


def test_add_caveats_only_touches_the_affected_families():
    findings = pd.DataFrame({"rule": ["ptp", "mue", "code"], "message": ["A.", "B.", "C."]})
    mapping = {
        "cpt": "CPT",
        "dos": "DOS",
        "patient_id": "P",
        "provider_npi": "N",
        "dx": "D",
        "pos": "POS",
        "modifiers": "M",
    }
    assert missing_columns(mapping) == ["units"]
    out = add_caveats(findings, mapping)
    assert out["message"].tolist() == [
        "A.",
        "B. Not checked: no units column: 1 unit per line was assumed.",
        "C.",
    ]
    assert add_caveats(findings, None) is findings
    assert add_caveats(findings, {**mapping, "units": "U"}) is findings
