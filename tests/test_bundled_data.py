"""The bundled fact tables in ``data/`` and the sample claims (shape, sources, seed facts).

Reads only ``data/`` and ``tools/``; the comparisons against the CMS files (no shipped
description may equal a CMS/AMA descriptor) read ``../shared`` and skip when it is absent.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from addin.codes import code_category
from addin.reference import schema

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
TOOL = ROOT / "tools" / "make_sample_claims.py"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RVU_CSV = SHARED / "cms" / "pfs" / "rvu25d" / "PPRRVU2025_Oct.csv"
HCPCS_CSV = SHARED / "cms" / "hcpcs" / "hcpcs_level2_descriptions_2024.derived.csv"
SEEDS = SHARED / "seeds"

TABLE_COLUMNS = {
    "ptp.csv": ["setting", *schema.COLUMNS[schema.PTP], "source"],
    "mue.csv": ["setting", *schema.COLUMNS[schema.MUE], "vintage", "source"],
    "aoc.csv": [*schema.COLUMNS[schema.AOC], "source"],
    "rvu.csv": [*schema.COLUMNS[schema.RVU], "source"],
    "hcpcs.csv": [*schema.COLUMNS[schema.HCPCS], "source"],
    "pos.csv": [*schema.COLUMNS[schema.POS], "source"],
    "codes.csv": [
        "code",
        "description",
        "service_type",
        "site_of_service",
        "related_diagnoses",
        "related_procedures",
        "documentation",
        "specialties",
        "source",
    ],
    "modifiers.csv": [
        "modifier",
        "description",
        "ncci_associated",
        "anatomic_family",
        "site",
        "kind",
        "category",
        "source",
    ],
}
TABLE_NAMES = {
    "ptp.csv": schema.PTP,
    "mue.csv": schema.MUE,
    "aoc.csv": schema.AOC,
    "rvu.csv": schema.RVU,
    "hcpcs.csv": schema.HCPCS,
    "pos.csv": schema.POS,
}
CODE_COLUMNS = {
    "ptp.csv": ["column_1", "column_2"],
    "mue.csv": ["code"],
    "aoc.csv": ["addon_code", "primary_code"],
    "rvu.csv": ["code"],
    "hcpcs.csv": ["code"],
    "codes.csv": ["code"],
}
def _words(text: str) -> list[str]:
    return text.split()


# DOMAIN.md: the NCCI-associated modifiers.
NCCI_ASSOCIATED = {
    *_words("E1 E2 E3 E4 FA F1 F2 F3 F4 F5 F6 F7 F8 F9 TA T1 T2 T3 T4 T5 T6 T7 T8 T9"),
    *_words("LT RT LC LD LM RC RI 24 25 57 58 78 79 27 59 91 XE XS XP XU"),
}
ANATOMIC_FAMILIES = {"", "side", "eyelid", "finger", "toe", "coronary"}
# Codes on sample-claim lines that are wrong on purpose (bad format / unknown / blank cell).
INTENTIONALLY_UNKNOWN = {"4738", "473833", "99999", ""}
INTENTIONALLY_BAD_MODIFIERS = {"ZZ"}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8")


def load_tool():
    spec = importlib.util.spec_from_file_location("make_sample_claims", TOOL)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- shape
@pytest.mark.parametrize("name", sorted(TABLE_COLUMNS))
def test_columns_exact_and_source_on_every_row(name: str) -> None:
    frame = read(name)
    assert list(frame.columns) == TABLE_COLUMNS[name]
    assert len(frame) > 0
    assert (frame["source"].str.strip() != "").all(), f"{name}: rows without a source"
    assert not frame.duplicated().any(), f"{name}: duplicated rows"


@pytest.mark.parametrize("name", sorted(CODE_COLUMNS))
def test_codes_are_canonical(name: str) -> None:
    frame = read(name)
    for column in CODE_COLUMNS[name]:
        for code in frame[column]:
            if column == "primary_code" and code == schema.CONTRACTOR_DEFINED_PRIMARY:
                continue
            assert len(code) == 5 and code == code.strip().upper(), f"{name}.{column}: {code!r}"
            assert code_category(code) is not None, f"{name}.{column}: {code!r} is not a code shape"


@pytest.mark.parametrize("name", sorted(TABLE_NAMES))
def test_dates_are_iso_or_empty(name: str) -> None:
    frame = read(name)
    columns = list(schema.DATE_COLUMNS[TABLE_NAMES[name]])
    if "vintage" in frame.columns:
        columns.append("vintage")
    for column in columns:
        for value in frame[column]:
            if value:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), f"{name}.{column}: {value!r}"
                dt.date.fromisoformat(value)


@pytest.mark.parametrize("name", ["ptp.csv", "mue.csv"])
def test_settings_are_known(name: str) -> None:
    frame = read(name)
    assert set(frame["setting"]) <= set(schema.TABLE_SETTINGS[TABLE_NAMES[name]])


def test_indicator_values() -> None:
    ptp, mue, aoc = read("ptp.csv"), read("mue.csv"), read("aoc.csv")
    assert set(ptp["modifier_indicator"]) <= {"0", "1", "9"}
    assert set(ptp["pre_1996"]) <= {"", "*", "true", "false"}
    assert set(mue["mai"]) <= {"1", "2", "3"}
    assert all(v.isdigit() for v in mue["mue_units"])
    assert set(aoc["edit_type"]) <= {"1", "2", "3"}
    assert not read("mue.csv").duplicated(["setting", "code"]).any()


def test_rvu_ships_no_descriptor_text() -> None:
    rvu = read("rvu.csv")
    assert (rvu["description"] == "").all()
    assert not rvu.duplicated(["code", "modifier"]).any()
    for column in ["work_rvu", "nonfac_total", "fac_total", "conv_factor"]:
        pd.to_numeric(rvu[column])


def test_codes_table_covers_every_code_in_the_fact_tables() -> None:
    codes = read("codes.csv")
    assert codes["code"].is_unique
    assert (codes["description"].str.len() > 10).all()
    known = set(codes["code"])
    used = set(read("rvu.csv")["code"]) | set(read("mue.csv")["code"]) | set(read("hcpcs.csv")["code"])
    ptp = read("ptp.csv")
    used |= set(ptp["column_1"]) | set(ptp["column_2"]) | set(read("aoc.csv")["addon_code"])
    assert used <= known, sorted(used - known)


def test_codes_lists_are_well_formed() -> None:
    codes = read("codes.csv")
    for value in codes["related_procedures"]:
        for code in filter(None, value.split(";")):
            assert code_category(code) is not None, code
    for value in codes["specialties"]:
        for item in filter(None, value.split(";")):
            assert re.fullmatch(r"[0-9A-Z]{9}X .+", item), item


def test_related_diagnoses_are_billable_icd10() -> None:
    icd = pytest.importorskip("simple_icd_10_cm")
    for value in read("codes.csv")["related_diagnoses"]:
        for code in filter(None, value.split(";")):
            assert icd.is_valid_item(code) and icd.is_leaf(code), code


def test_modifiers_table() -> None:
    mods = read("modifiers.csv")
    assert mods["modifier"].is_unique
    assert mods["modifier"].str.fullmatch(r"[0-9A-Z]{2}").all()
    assert set(mods["ncci_associated"]) == {"true", "false"}
    assert set(mods.loc[mods["ncci_associated"] == "true", "modifier"]) == NCCI_ASSOCIATED
    assert set(mods["anatomic_family"]) <= ANATOMIC_FAMILIES
    assert set(mods["kind"]) <= {"pricing", "informational"}
    anatomic = mods[mods["anatomic_family"] != ""]
    assert (anatomic["site"] != "").all()
    assert (anatomic["ncci_associated"] == "true").all()
    needed = _words("22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79")
    needed += _words("80 81 82 90 91 92 95 96 97 99 TC GA GY GZ GX GT GQ Q0 Q1 QW KX AS AI JW JZ JG")
    needed += _words("GC GE PO PN CS CR FX FY CT QZ QK QX QY AA AD P1 P2 P3 P4 P5 P6")
    assert set(needed) | NCCI_ASSOCIATED <= set(mods["modifier"])


def test_pos_table() -> None:
    pos = read("pos.csv")
    assert pos["pos_code"].str.fullmatch(r"\d{2}").all()
    assert pos["pos_code"].is_unique
    assert set(pos["pos_type"]) <= {"Facility", "Non-Facility"}
    facts = dict(zip(pos["pos_code"], pos["pos_type"], strict=True))
    assert facts["11"] == "Non-Facility" and facts["22"] == "Facility" and facts["21"] == "Facility"
    assert {"11", "19", "21", "22", "23", "24", "41", "81", "99"} <= set(facts)


# ----------------------------------------------------------------------------- licensing
def _rvu_descriptions() -> dict[str, set[str]]:
    raw = pd.read_csv(RVU_CSV, dtype=str, keep_default_na=False, header=None, skiprows=10, usecols=[0, 2])
    out: dict[str, set[str]] = {}
    for code, text in zip(raw[0], raw[2], strict=True):
        out.setdefault(code.strip(), set()).add(text.strip().lower())
    return out


def test_descriptions_are_not_the_cms_or_ama_text() -> None:
    if not RVU_CSV.exists():
        pytest.skip(f"{RVU_CSV} is absent (no ../shared next to the project): cannot compare with the RVU descriptors")
    rvu = _rvu_descriptions()
    assert "47383" in rvu
    for code, text in zip(read("codes.csv")["code"], read("codes.csv")["description"], strict=True):
        assert text.strip().lower() not in rvu.get(code, set()), f"{code}: description copies the RVU file"
    if HCPCS_CSV.exists():
        level2 = pd.read_csv(HCPCS_CSV, dtype=str, keep_default_na=False)
        cms = {
            (c, t.strip().lower())
            for c, long, short in zip(level2["hcpcs_code"], level2["long_description"], level2["short_description"], strict=True)
            for t in (long, short)
        }
        for table, columns in (("codes.csv", ["description"]), ("hcpcs.csv", ["long_description", "short_description"])):
            frame = read(table)
            for column in columns:
                for code, text in zip(frame["code"], frame[column], strict=True):
                    assert (code, text.strip().lower()) not in cms, f"{table} {code}: copies the HCPCS text"


def test_descriptions_are_not_the_seed_headings() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is absent: cannot compare with the seed documents")
    phrases: set[str] = set()
    for path in SEEDS.glob("*.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for cell in re.split(r"\||\t", line):
                cell = re.sub(r"^(CPT\s+)?[0-9A-Z]{5}\s*[:\-]?\s*", "", cell.strip()).strip().lower()
                if cell:
                    phrases.add(cell)
    for code, text in zip(read("codes.csv")["code"], read("codes.csv")["description"], strict=True):
        assert text.strip().lower() not in phrases, f"{code}: description copies a seed heading"


# ----------------------------------------------------------------------------- seed facts
def _ptp(setting: str = "practitioner") -> pd.DataFrame:
    frame = read("ptp.csv")
    return frame[frame["setting"] == setting]


def _active_indicators(ptp: pd.DataFrame, col1: str, col2: str) -> set[str]:
    rows = ptp[(ptp["column_1"] == col1) & (ptp["column_2"] == col2) & (ptp["deletion_date"] == "")]
    return set(rows["modifier_indicator"])


def test_seed_facts_ptp() -> None:
    ptp = _ptp()
    for col2 in ["43235", "43191", "43197", "43200", "32665"]:
        assert _active_indicators(ptp, "43497", col2) == {"0"}, col2
    assert _active_indicators(ptp, "43262", "43260") == {"0"}
    assert _active_indicators(ptp, "47383", "77001") == {"1"}
    assert _active_indicators(ptp, "47383", "77002") == {"1"}
    both = read("ptp.csv")
    pair = {"47383", "77003"}
    assert not any({a, b} == pair for a, b in zip(both["column_1"], both["column_2"], strict=True))
    assert "9" in set(ptp["modifier_indicator"]), "an indicator-9 row is needed for the sample claims"
    assert set(read("ptp.csv")["setting"]) == {"practitioner", "hospital"}


def test_seed_facts_mue() -> None:
    mue = read("mue.csv")
    prac = mue[mue["setting"] == "practitioner"].set_index("code")
    assert set(prac["vintage"]) == {"2026-04-01"}
    expected = {
        "47383": ("1", "2"),
        "43497": ("1", "2"),
        "0397T": ("1", "3"),
        "0353T": ("2", "3"),
        "77001": ("2", "3"),
        "77002": ("1", "3"),
    }
    for code, (units, mai) in expected.items():
        assert (prac.loc[code, "mue_units"], prac.loc[code, "mai"]) == (units, mai), code
    assert {"1", "2", "3"} <= set(prac["mai"]), "MAI 1, 2 and 3 codes are needed for the sample claims"
    assert {"practitioner", "hospital", "dme"} == set(mue["setting"])


def test_seed_facts_rvu() -> None:
    rvu = read("rvu.csv")
    rows = {(c, m): r for c, m, r in zip(rvu["code"], rvu["modifier"], rvu.to_dict("records"), strict=True)}
    for code in ["77001", "77002", "77003"]:
        assert rows[(code, "")]["pctc"] == "1"
        assert rows[(code, "")]["global_days"] == "ZZZ"
        assert (code, "26") in rows and (code, "TC") in rows
    cryo = rows[("47383", "")]
    assert (cryo["global_days"], cryo["mult_proc"], cryo["asst"]) == ("010", "2", "1")
    poem = rows[("43497", "")]
    assert (poem["global_days"], poem["endo_base"]) == ("090", "43235")
    assert rows[("0397T", "")]["status"] == "C"


def test_seed_facts_aoc() -> None:
    aoc = read("aoc.csv")
    endo = aoc[aoc["addon_code"] == "0397T"]
    assert set(endo["edit_type"]) == {"1"}
    assert set(endo["primary_code"]) == {"43260", "43261", "43262", "43263", "43264", "43265",
                                         "43274", "43275", "43276", "43277", "43278"}
    needle = aoc[aoc["addon_code"] == "77002"]
    assert set(needle["edit_type"]) == {"1"}
    assert needle["primary_code"].nunique() == 77
    assert "47383" not in set(needle["primary_code"])
    venous = aoc[aoc["addon_code"] == "77001"]
    assert set(venous["edit_type"]) == {"2"}
    assert set(venous["primary_code"]) == {schema.CONTRACTOR_DEFINED_PRIMARY}
    assert {"1", "2", "3"} <= set(aoc["edit_type"])


# ----------------------------------------------------------------------------- sample claims
def _norm_code(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(int(value)).zfill(5)
    return str(value).strip()


def _norm_date(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _xlsx_lines(path: Path) -> tuple[list[object], list[list[str]], dict[str, int]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[1])
    kinds = {"date": 0, "text_date": 0, "number_code": 0}
    lines = []
    for row in rows[2:]:
        date, code = row[3], row[4]
        kinds["date"] += isinstance(date, dt.datetime)
        kinds["text_date"] += isinstance(date, str)
        kinds["number_code"] += isinstance(code, (int, float))
        lines.append([
            "" if v is None else str(v) for v in row[:3]
        ] + [_norm_date(date), _norm_code(code)] + [_norm_date(v) for v in row[5:]])  # DOB: a date
    return [rows[0][0], header], lines, kinds


def _csv_lines(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_sample_claims_xlsx_and_csv_have_the_same_lines() -> None:
    tool = load_tool()
    (title, xheader), xlines, kinds = _xlsx_lines(DATA / "sample_claims.xlsx")
    cheader, clines = _csv_lines(DATA / "sample_claims.csv")
    assert title and "fictitious" in title
    assert xheader == cheader == tool.COLUMNS
    assert xlines == clines
    assert len(clines) == len(tool.LINES) >= 40
    assert kinds["date"] > len(clines) // 2 and kinds["text_date"] >= 2 and kinds["number_code"] >= 1


def test_sample_claims_regenerate_identically(tmp_path: Path) -> None:
    tool = load_tool()
    assert tool.main(["--out-dir", str(tmp_path)]) == 0
    for name in ["sample_claims.xlsx", "sample_claims.csv"]:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), f"{name} is stale: run tools/make_sample_claims.py"


def test_sample_claims_cover_every_rule_family_and_clean_claims() -> None:
    tool = load_tool()
    families = {family for line in tool.LINES for family in line.expect}
    assert families == {
        "ptp",
        "mue",
        "aoc",
        "modifier",
        "code",
        "diagnosis",
        "demographic",  # issue 12
        "global",  # issue 12
        "duplicate",
        "input",
    }
    by_claim: dict[str, set[str]] = {}
    for line in tool.LINES:
        by_claim.setdefault(line.claim, set()).update(line.expect)
    assert sum(1 for found in by_claim.values() if not found) >= 5, "clean claims are needed too"
    rows = tool.expected_rules()
    assert min(rows) == 3 and len(rows) == len(tool.LINES)


def test_sample_claims_use_codes_and_modifiers_the_tables_know() -> None:
    tool = load_tool()
    codes = set(read("codes.csv")["code"])
    mods = set(read("modifiers.csv")["modifier"])
    for line in tool.LINES:
        if line.code not in INTENTIONALLY_UNKNOWN:
            assert line.code in codes, line.code
        for mod in filter(None, line.modifiers.split(",")):
            assert mod in mods or mod in INTENTIONALLY_BAD_MODIFIERS, mod
        if isinstance(line.dos, dt.date):
            assert dt.date(2026, 5, 4) <= line.dos <= dt.date(2026, 9, 30)
        assert re.fullmatch(r"1\d{9}", line.npi)
