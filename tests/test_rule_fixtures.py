"""Tiny reference tables built in code (bundled CSV format) and claim-line builders.

Every fact the rule tests rely on is written here, so each test controls its data. Other
test modules import the helpers: ``from test_rule_fixtures import ...``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from addin.checker import run_rules
from addin.checker.run import enabled_rules
from addin.claims import ClaimsInput
from addin.claims.model import LINE_COLUMNS, REJECTED_COLUMNS
from addin.reference import ReferenceData, schema

PTP_ROWS = [
    # setting, column_1, column_2, pre_1996, effective, deletion, indicator, rationale
    (
        "practitioner",
        "43497",
        "43235",
        "",
        "2020-01-01",
        "",
        "0",
        "CPT Manual or CMS manual coding instruction",
    ),
    (
        "practitioner",
        "47383",
        "77002",
        "",
        "2019-01-01",
        "",
        "1",
        "Standards of medical / surgical practice",
    ),
    # deleted at the end of 2021, re-added from 2023 with indicator 0
    (
        "practitioner",
        "11000",
        "11001",
        "",
        "2018-01-01",
        "2021-12-31",
        "1",
        "Misuse of column two code",
    ),
    ("practitioner", "11000", "11001", "", "2023-01-01", "", "0", "Misuse of column two code"),
    # deleted retroactively: indicator 9 never applies
    (
        "practitioner",
        "20000",
        "20001",
        "",
        "2022-01-01",
        "2022-01-01",
        "9",
        "Deleted retroactively",
    ),
    # in force 2024-04-01 .. 2024-06-30 only
    (
        "practitioner",
        "30000",
        "30001",
        "",
        "2024-04-01",
        "2024-06-30",
        "1",
        "Mutually exclusive procedures",
    ),
    ("practitioner", "73562", "73560", "", "2010-01-01", "", "1", "Misuse of column two code"),
    ("practitioner", "11750", "11730", "", "2010-01-01", "", "1", "Mutually exclusive procedures"),
    (
        "practitioner",
        "20610",
        "99214",
        "",
        "2010-01-01",
        "",
        "1",
        "Standard preparation for procedure",
    ),
    (
        "practitioner",
        "20610",
        "20605",
        "",
        "2010-01-01",
        "2010-01-01",
        "9",
        "Deleted retroactively",
    ),
    # hospital table differs
    ("hospital", "47383", "77003", "", "2019-01-01", "", "1", "Hospital-only edit"),
]

MUE_ROWS = [
    # setting, code, units, mai, rationale
    ("practitioner", "77001", "2", "1", "Anatomic consideration"),
    ("practitioner", "47383", "1", "2", "Code descriptor / CPT instruction"),
    ("practitioner", "77002", "1", "3", "Clinical: data"),
    ("practitioner", "64483", "1", "2", "Anatomic consideration"),
    ("hospital", "77002", "4", "3", "Clinical: data"),
]

AOC_ROWS = [
    # edit_type, addon, addon_deletion, primary, primary_deletion, effective, deletion, notes
    ("1", "0397T", "", "43260", "", "2016-01-01", "", ""),
    ("1", "0397T", "", "43261", "2019-12-31", "2016-01-01", "", ""),  # primary deleted 2019
    ("1", "77002", "", "47000", "", "2010-01-01", "", ""),
    ("2", "77001", "", "CCCCC", "", "2010-01-01", "", ""),
    ("3", "88311", "", "88302", "", "2010-01-01", "", ""),
    ("3", "88311", "", "88304", "", "2010-01-01", "", ""),
]

RVU_HEADER = schema.COLUMNS[schema.RVU][: schema.COLUMNS[schema.RVU].index("endo_base") + 1]
RVU_ROWS = [
    ("77002", "", "", "A", "1", "ZZZ", "0", "0", "9", "9", "9", ""),
    ("77001", "", "", "A", "1", "ZZZ", "0", "0", "9", "9", "9", ""),
    ("93000", "", "", "A", "4", "XXX", "0", "0", "9", "9", "9", ""),
    ("80502", "", "", "A", "6", "XXX", "9", "9", "9", "9", "9", ""),
    ("47383", "", "", "A", "0", "010", "2", "0", "1", "0", "0", ""),
    ("47000", "", "", "A", "0", "000", "2", "0", "1", "0", "0", ""),
    ("64483", "", "", "A", "0", "000", "2", "1", "0", "0", "0", ""),
    ("73562", "", "", "A", "1", "XXX", "4", "3", "9", "9", "9", ""),
    ("73560", "", "", "A", "1", "XXX", "4", "3", "9", "9", "9", ""),
    ("99214", "", "", "A", "0", "XXX", "0", "9", "9", "9", "9", ""),
    ("43497", "", "", "A", "0", "090", "2", "0", "2", "1", "2", "43235"),
    ("43235", "", "", "A", "0", "000", "3", "0", "1", "0", "0", "43235"),
    ("99358", "", "", "B", "0", "XXX", "0", "9", "9", "9", "9", ""),
    ("99243", "", "", "I", "0", "XXX", "0", "9", "9", "9", "9", ""),
    ("82947", "", "", "X", "9", "XXX", "9", "9", "9", "9", "9", ""),
    ("1036F", "", "", "M", "9", "XXX", "9", "9", "9", "9", "9", ""),
    ("99211", "", "", "T", "0", "XXX", "0", "9", "9", "9", "9", ""),
    ("20610", "", "", "A", "0", "000", "2", "1", "1", "0", "0", ""),
    ("20605", "", "", "A", "0", "000", "2", "1", "1", "0", "0", ""),
    ("11750", "", "", "A", "0", "010", "2", "0", "1", "0", "0", ""),
    ("11730", "", "", "A", "0", "000", "2", "0", "1", "0", "0", ""),
    ("99999", "", "", "D", "0", "XXX", "0", "9", "9", "9", "9", ""),
]
# codes the fixture knows without fee-schedule rows (MUE/AOC/PTP-only codes still count as known)
HCPCS_HEADER = [
    "code",
    "kind",
    "long_description",
    "short_description",
    "add_date",
    "effective_date",
    "termination_date",
    "action_code",
]
HCPCS_ROWS = [
    (
        "G0364",
        "code",
        "Bone marrow aspiration add-on",
        "Bone marrow aspiration",
        "",
        "2000-01-01",
        "2017-12-31",
        "D",
    ),
    ("G0500", "code", "Future code", "Future code", "", "2030-01-01", "", "A"),
    ("AA", "modifier", "Anesthesia performed personally", "Anesthesia personally", "", "", "", ""),
]
MODIFIER_HEADER = [
    "modifier",
    "description",
    "ncci_associated",
    "anatomic_family",
    "site",
    "kind",
    "category",
]
MODIFIER_ROWS = [
    ("24", "Unrelated E/M in a postoperative period", "true", "", "", "cpt", "global"),
    ("25", "Significant, separately identifiable E/M", "true", "", "", "cpt", "global"),
    ("57", "Decision for surgery", "true", "", "", "cpt", "global"),
    ("59", "Distinct procedural service", "true", "", "", "cpt", "other"),
    ("XE", "Separate encounter", "true", "", "", "hcpcs", "other"),
    ("XS", "Separate structure", "true", "", "", "hcpcs", "other"),
    ("XP", "Separate practitioner", "true", "", "", "hcpcs", "other"),
    ("XU", "Unusual non-overlapping service", "true", "", "", "hcpcs", "other"),
    ("91", "Repeat clinical diagnostic laboratory test", "true", "", "", "cpt", "other"),
    ("76", "Repeat procedure by the same physician", "false", "", "", "cpt", ""),
    ("77", "Repeat procedure by another physician", "false", "", "", "cpt", ""),
    ("26", "Professional component", "false", "", "", "cpt", ""),
    ("TC", "Technical component", "false", "", "", "hcpcs", ""),
    ("50", "Bilateral procedure", "false", "", "", "cpt", ""),
    ("51", "Multiple procedures", "false", "", "", "cpt", ""),
    ("62", "Two surgeons", "false", "", "", "cpt", ""),
    ("66", "Surgical team", "false", "", "", "cpt", ""),
    ("80", "Assistant surgeon", "false", "", "", "cpt", ""),
    ("81", "Minimum assistant surgeon", "false", "", "", "cpt", ""),
    ("82", "Assistant surgeon (no qualified resident)", "false", "", "", "cpt", ""),
    ("AS", "Non-physician assistant at surgery", "false", "", "", "hcpcs", ""),
    ("LT", "Left side", "true", "side", "left", "hcpcs", "anatomic"),
    ("RT", "Right side", "true", "side", "right", "hcpcs", "anatomic"),
    ("F1", "Left hand, second digit", "true", "finger", "left 2", "hcpcs", "anatomic"),
    ("F2", "Left hand, third digit", "true", "finger", "left 3", "hcpcs", "anatomic"),
    ("TA", "Left foot, great toe", "true", "toe", "left 1", "hcpcs", "anatomic"),
    ("T1", "Left foot, second digit", "true", "toe", "left 2", "hcpcs", "anatomic"),
]
POS_ROWS = [
    ("11", "Non-Facility", "Office", "Office"),
    ("22", "Facility", "On Campus-Outpatient Hospital", ""),
]
CODES_ROWS = [("43497", "Lower esophageal myotomy, transoral (project paraphrase)")]


def write_csv(
    path: Path, header: list[str], rows: list[tuple], source: str = "test fixture"
) -> None:
    """A bundled-format CSV with a source column on every row."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "source"])
        writer.writerows([*row, source] for row in rows)


def write_data_dir(root: Path, **overrides: list[tuple]) -> Path:
    """A data folder in the bundled format holding exactly the facts above (or overrides)."""
    root.mkdir(parents=True, exist_ok=True)
    tables = {
        "ptp.csv": (
            [
                "setting",
                "column_1",
                "column_2",
                "pre_1996",
                "effective_date",
                "deletion_date",
                "modifier_indicator",
                "rationale",
            ],
            overrides.get("ptp", PTP_ROWS),
        ),
        "mue.csv": (
            ["setting", "code", "mue_units", "mai", "rationale"],
            overrides.get("mue", MUE_ROWS),
        ),
        "aoc.csv": (
            [
                "edit_type",
                "addon_code",
                "addon_deletion_date",
                "primary_code",
                "primary_deletion_date",
                "effective_date",
                "deletion_date",
                "notes",
            ],
            overrides.get("aoc", AOC_ROWS),
        ),
        "rvu.csv": (RVU_HEADER, overrides.get("rvu", RVU_ROWS)),
        "hcpcs.csv": (HCPCS_HEADER, overrides.get("hcpcs", HCPCS_ROWS)),
        "modifiers.csv": (MODIFIER_HEADER, overrides.get("modifiers", MODIFIER_ROWS)),
        "pos.csv": (
            ["pos_code", "pos_type", "name", "description"],
            overrides.get("pos", POS_ROWS),
        ),
        "codes.csv": (["code", "description"], overrides.get("codes", CODES_ROWS)),
    }
    for name, (header, rows) in tables.items():
        write_csv(root / name, header, rows)
    return root


def tiny_reference(tmp_path: Path, **overrides: list[tuple]) -> ReferenceData:
    """A ReferenceData answering only from the fixture tables (empty store)."""
    data = write_data_dir(tmp_path / "data", **overrides)
    return ReferenceData(store=tmp_path / "store", data_dir=data)


@pytest.fixture
def reference(tmp_path) -> ReferenceData:
    """The fixture reference data (imported by the rule test modules)."""
    return tiny_reference(tmp_path)


def line(
    cpt: str,
    mods: str = "",
    units: int = 1,
    dos: str = "2024-05-01",
    patient: str = "P1",
    claim: str = "C1",
    provider: str = "1111111111",
    dx: str = "K83.1",
    pos: str = "11",
) -> dict:
    """One claim line as a dict (modifiers comma-separated)."""
    return {
        "cpt": cpt,
        "mods": mods,
        "units": units,
        "dos": dos,
        "patient": patient,
        "claim": claim,
        "provider": provider,
        "dx": dx,
        "pos": pos,
    }


def claims_input(
    lines: list[dict], rejected: list[dict] | None = None, with_dx: bool = True
) -> ClaimsInput:
    """A :class:`ClaimsInput` as the reader would give (row numbers from 2)."""
    records = []
    for number, item in enumerate(lines):
        mods = [m for m in item["mods"].replace(" ", ",").split(",") if m]
        slots = (mods + ["", "", "", ""])[:4]
        records.append(
            {
                "row": number + 2,
                "claim_id": item["claim"],
                "patient_id": item["patient"],
                "provider_npi": item["provider"],
                "dos": pd.Timestamp(item["dos"]),
                "cpt": item["cpt"],
                "mod1": slots[0],
                "mod2": slots[1],
                "mod3": slots[2],
                "mod4": slots[3],
                "modifiers": ",".join(mods),
                "units": item["units"],
                "dx": item["dx"],
                "pos": item["pos"],
            }
        )
    frame = pd.DataFrame(records)
    if frame.empty:
        frame = pd.DataFrame(columns=LINE_COLUMNS)
    for column in ("cpt", "mod1", "mod2", "mod3", "mod4", "modifiers", "dx", "pos"):
        frame[column] = frame[column].astype(str).astype("category")
    frame["units"] = frame["units"].astype("int64")
    frame["dos"] = pd.to_datetime(frame["dos"])
    rejected_frame = pd.DataFrame(rejected or [], columns=REJECTED_COLUMNS)
    mapping = {
        "claim_id": "Claim",
        "patient_id": "Patient",
        "provider_npi": "NPI",
        "dos": "DOS",
        "cpt": "CPT",
        "modifiers": "Mods",
        "units": "Units",
        "pos": "POS",
    }
    if with_dx:
        mapping["dx"] = "DX"
    meta = {
        "file": "test",
        "sha256": None,
        "sheet": None,
        "header_row": 1,
        "column_mapping": mapping,
        "rows_read": len(frame) + len(rejected_frame),
        "rows_checked": len(frame),
        "rows_rejected": len(rejected_frame),
        "blank_rows": 0,
        "notes": [],
    }
    return ClaimsInput(lines=frame, rejected=rejected_frame, raw=frame.copy(), meta=meta)


def findings_for(
    reference: ReferenceData,
    lines: list[dict],
    setting: str = "practitioner",
    family: str | None = None,
    rule_id: str | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Run the enabled rules (optionally one family / rule) and return the findings."""
    claims = claims_input(lines, **kwargs)
    rules = [
        (rule, severity)
        for rule, severity in enabled_rules()
        if (family is None or rule.family == family)
        and (rule_id is None or rule.rule_id == rule_id)
    ]
    findings, _ = run_rules(
        claims.lines, reference, setting, rules, rejected=claims.rejected, meta=claims.meta
    )
    return findings


def ids(findings: pd.DataFrame) -> list[tuple[str, int]]:
    """``(rule_id, row)`` of each finding, sorted."""
    return sorted(zip(findings["rule_id"], findings["row"].astype(int), strict=True))
