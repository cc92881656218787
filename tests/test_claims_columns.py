"""Which input column feeds which claim field: aliases, duplicates, numbered columns, --map."""

from __future__ import annotations

import pandas as pd
import pytest

from addin.claims import read_claims
from addin.claims.columns import find_header_row, header_key, map_columns, match_header
from addin.errors import InputFileError


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Claim ID", "claim_id"),
        ("Claim #", "claim_id"),
        ("claim number", "claim_id"),
        ("ClaimNo", "claim_id"),
        ("Encounter", "claim_id"),
        ("MRN", "patient_id"),
        ("Member ID", "patient_id"),
        ("Patient Account", "patient_id"),
        ("Account #", "patient_id"),
        ("Rendering NPI", "provider_npi"),
        ("NPI", "provider_npi"),
        ("Rendering Provider", "provider_npi"),
        ("DOS", "dos"),
        ("Date of Service", "dos"),
        ("service_date", "dos"),
        ("From Date", "dos"),
        ("DOS From", "dos"),
        ("CPT", "cpt"),
        ("CPT/HCPCS", "cpt"),
        ("HCPCS", "cpt"),
        ("Procedure Code", "cpt"),
        ("Proc Code", "cpt"),
        ("Code", "cpt"),
        ("Modifiers", "modifiers"),
        ("Mods", "modifiers"),
        ("Mod1", "modifiers"),
        ("Modifier 4", "modifiers"),
        ("M2", "modifiers"),
        ("Units", "units"),
        ("Qty", "units"),
        ("Days/Units", "units"),
        ("DX", "dx"),
        ("Diagnosis Codes", "dx"),
        ("ICD-10", "dx"),
        ("ICD10", "dx"),
        ("DX12", "dx"),
        ("Diagnosis 3", "dx"),
        ("ICD1", "dx"),
        ("POS", "pos"),
        ("Place of Service", "pos"),
    ],
)
def test_aliases(header, canonical):
    hit = match_header(header)
    assert hit is not None and hit[0] == canonical


def test_header_key_ignores_case_space_punctuation():
    assert header_key(" cpt / HCPCS ") == header_key("CPT-HCPCS") == "cpthcpcs"
    assert header_key("Claim #") == header_key("Claim No.") == "claimno"
    assert match_header("Amount") is None and match_header("") is None


def test_header_row_below_title_rows_and_best_row_wins():
    rows = [
        ["CPT audit for January"],
        [],
        ["Code"],  # a lone code-like cell names fewer fields than the real header
        ["Claim ID", "DOS", "CPT", "Units"],
        ["C1", "1/5/2026", "99213", "1"],
    ]
    assert find_header_row(rows) == 3
    assert find_header_row([["Amount", "Payer"], ["1", "x"]]) is None


def test_better_alias_wins_and_the_other_is_kept_as_extra():
    mapping = map_columns(["Code", "CPT", "Date", "Service Date"])
    assert mapping.sources["cpt"] == [1]
    assert mapping.sources["dos"] == [3]
    assert mapping.extras == [0, 2]
    assert any('"CPT"' in n and '"Code"' in n for n in mapping.notes)


def test_mod1_to_mod4_and_dx1_to_dx12(tmp_path):
    header = ["CPT", "DOS", "Mod1", "Mod2", "Mod3", "Mod4"] + [f"DX{i}" for i in range(1, 13)]
    row = ["99213", "1/5/2026", "25", "59", "", "lt"] + [f"Z{i:02d}.0" for i in range(1, 13)]
    result = read_claims([header, row])
    line = result.lines.iloc[0]
    assert (line["mod1"], line["mod2"], line["mod3"], line["mod4"]) == ("25", "59", "LT", "")
    assert line["modifiers"] == "25,59,LT"
    assert line["dx"] == ",".join(f"Z{i:02d}.0" for i in range(1, 13))
    assert result.meta["column_mapping"]["modifiers"] == ["Mod1", "Mod2", "Mod3", "Mod4"]


def test_more_than_four_modifiers_kept_in_modifiers():
    result = read_claims([["CPT", "DOS", "Modifiers"], ["99213", "1/5/2026", "25 59;XS,LT RT"]])
    line = result.lines.iloc[0]
    assert line["modifiers"] == "25,59,XS,LT,RT"
    assert [line[f"mod{i}"] for i in range(1, 5)] == ["25", "59", "XS", "LT"]


def test_duplicate_headers_both_feed_or_both_kept():
    header = ["CPT", "DOS", "Modifier", "Modifier", "Note", "Note"]
    result = read_claims([header, ["99213", "1/5/2026", "59", "XS", "a", "b"]])
    result.verify()
    assert result.lines["modifiers"].tolist() == ["59,XS"]
    assert result.lines["Note"].tolist() == ["a"] and result.lines["Note.1"].tolist() == ["b"]
    assert list(result.raw.columns) == [
        "row",
        "CPT",
        "DOS",
        "Modifier",
        "Modifier.1",
        "Note",
        "Note.1",
    ]
    assert any('duplicate header "Note"' in n for n in result.meta["notes"])
    assert result.meta["column_mapping"]["modifiers"] == ["Modifier", "Modifier"]


def test_two_code_columns_first_used_second_kept():
    result = read_claims([["CPT", "CPT", "DOS"], ["99213", "99214", "1/5/2026"]])
    assert result.lines["cpt"].tolist() == ["99213"]
    assert result.lines["CPT.1"].tolist() == ["99214"]


def test_map_overrides_aliases():
    header = ["Line Item", "Proc", "CPT", "When", "Member"]
    row = ["x", "99213", "11111", "1/5/2026", "P9"]
    result = read_claims(
        [header, row], column_map={"cpt": "Line Item", "dos": "When", "patient_id": "Member"}
    )
    assert result.lines["cpt"].tolist() == ["X"]  # kept as typed (upper-cased); rules judge it
    assert result.lines["patient_id"].tolist() == ["P9"]
    result = read_claims([header, row], column_map={"cpt": "proc", "dos": "When"})
    assert result.lines["cpt"].tolist() == ["99213"]
    assert result.lines["CPT"].tolist() == ["11111"]  # the alias match yields to --map
    assert result.meta["column_mapping"]["cpt"] == "Proc"


def test_map_finds_header_with_no_alias_and_multi_values():
    header = ["Billing Item", "Svc Dt", "M-A", "M-B", "Dx Primary", "Dx Secondary"]
    row = ["99213", "1/5/2026", "25", "59", "I10", "E11.9"]
    result = read_claims(
        [["Export"], header, row],
        column_map={
            "cpt": "Billing Item",
            "dos": "Svc Dt",
            "modifiers": ["M-A", "M-B"],
            "dx": ["Dx Primary", "Dx Secondary"],
        },
    )
    assert result.meta["header_row"] == 2
    line = result.lines.iloc[0]
    assert (line["cpt"], line["modifiers"], line["dx"]) == ("99213", "25,59", "I10,E11.9")


def test_map_missing_header_is_named():
    with pytest.raises(InputFileError, match='--map units="Qty Billed": no column "Qty Billed"'):
        read_claims([["CPT", "DOS"], ["99213", "1/5/2026"]], column_map={"units": "Qty Billed"})


def test_map_unknown_field_is_named():
    with pytest.raises(InputFileError, match='unknown column "procedure"'):
        read_claims([["CPT", "DOS"], ["99213", "1/5/2026"]], column_map={"procedure": "CPT"})


def test_extra_header_colliding_with_line_column_is_suffixed():
    result = read_claims([["CPT", "DOS", "row", "mod1x"], ["99213", "1/5/2026", "7", "a"]])
    assert "row_input" in result.lines.columns and result.lines["row"].tolist() == [2]
    assert "row_input" in result.raw.columns


def test_map_of_code_column_not_found_is_named():
    with pytest.raises(InputFileError, match='column "Proc Code" \\(--map cpt=...\\).*"CPT"'):
        read_claims([["CPT", "DOS"], ["99213", "1/5/2026"]], column_map={"cpt": "Proc Code"})


# -- unused headers: nothing ignored without a word ---------------------------------------

TYPO_HEADER = ["Claim ID", "Patient ID", "NPI", "DOS", "CPT", "Modifers", "Units"]
TYPO_ROWS = [
    ["C1", "P1", "1234567890", "2024-05-01", "43497", "", "1"],
    ["C1", "P1", "1234567890", "2024-05-01", "43235", "XS", "1"],
]


def test_header_close_to_a_field_stops_the_read_and_says_how_to_fix_it():
    with pytest.raises(InputFileError) as info:
        read_claims([TYPO_HEADER, *TYPO_ROWS], source_name="claims.csv")
    assert info.value.line == 1
    assert info.value.reason == (
        "column 'Modifers' is not used — did you mean modifiers? "
        "add --map modifiers=Modifers, or --ignore-column Modifers"
    )


def test_map_or_ignore_column_resolves_a_near_miss():
    mapped = read_claims([TYPO_HEADER, *TYPO_ROWS], column_map={"modifiers": "Modifers"})
    assert mapped.lines["modifiers"].tolist() == ["", "XS"]
    ignored = read_claims([TYPO_HEADER, *TYPO_ROWS], ignore_columns=["Modifers"])
    assert ignored.lines["modifiers"].tolist() == ["", ""]
    assert ignored.lines["Modifers"].tolist() == ["", "XS"]  # carried as an extra column
    with pytest.raises(InputFileError, match='--ignore-column "Nope": no column'):
        read_claims([TYPO_HEADER, *TYPO_ROWS], ignore_columns=["Modifers", "Nope"])


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Modifer", "modifiers"),
        ("Modifer 2", "modifiers"),
        ("Proceedure Code", "cpt"),
        ("Date of Servcie", "dos"),
        ("Diagnosis Cdoe", "dx"),
        ("Place of Servise", "pos"),
        ("Untis", "units"),
        ("Patinet ID", "patient_id"),
        ("Rendering Provdier NPI", "provider_npi"),
    ],
)
def test_typos_of_every_field_are_caught(header, canonical):
    base = {"cpt": ["Date"], "dos": ["Code"]}.get(canonical, ["CPT", "DOS"])
    with pytest.raises(InputFileError) as info:
        read_claims([[*base, header], ["99213", "2024-05-01", "x"][: len(base) + 1]])
    assert f"did you mean {canonical}?" in info.value.reason


@pytest.mark.parametrize(
    "header",
    [
        "Patient Name",
        "Charge",
        "Charges",
        "Billed Amount",
        "Notes",
        "Rendering Provider Name",
        "Referring NPI",
        "Ordering NPI",
        "Service Date To",
        "Date of Service To",
        "To Date",
        "Provider Name",
        "Payer",
        "Payer ID",
        "Claim Status",
        "Member Name",
        "Procedure Description",
        "Diagnosis Description",
        "Units Paid",
        "Revenue Code",
        "Rate",
        "Data",
        "Insurance",
        "Paid",
        "Balance",
    ],
)
def test_common_extra_columns_pass(header):
    result = read_claims([["CPT", "DOS", header], ["99213", "2024-05-01", "x"]])
    assert result.lines[header].tolist() == ["x"]


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("DOB", "dob"),
        ("Birth Date", "dob"),
        ("Date of Birth", "dob"),
        ("Patient DOB", "dob"),
        ("Age", "age"),
        ("Patient Age", "age"),
        ("Sex", "sex"),
        ("Gender", "sex"),
        ("Patient Sex", "sex"),
        ("Patient Gender", "sex"),
    ],
)
def test_demographic_headers_feed_dob_age_and_sex(header, canonical):
    # issue 12: these were carried as extra columns before; now they feed the MCE age/sex edits
    value = {"dob": "1980-02-03", "age": "44", "sex": "Female"}[canonical]
    result = read_claims([["CPT", "DOS", header], ["99213", "2024-05-01", value]])
    assert result.meta["column_mapping"][canonical] == header
    assert header not in result.lines.columns
    expected = {"dob": pd.Timestamp("1980-02-03"), "age": 44.0, "sex": "F"}[canonical]
    assert result.lines[canonical].tolist() == [expected]
    assert result.lines["demographic_problem"].tolist() == [""]


def test_demographic_cells_that_cannot_be_read_keep_the_line():
    result = read_claims(
        [
            ["CPT", "DOS", "DOB", "Age", "Sex"],
            ["99213", "2024-05-01", "13/45/1990", "x", "Q"],
            ["99213", "2024-05-01", "", "", "2"],
            ["99213", "2024-05-01", "1990-01-01", "125", "m"],
        ]
    )
    assert result.meta["rows_rejected"] == 0 and len(result.lines) == 3
    problems = result.lines["demographic_problem"].tolist()
    assert problems[0].startswith('DOB "13/45/1990" is not a date; Age "x" is not an age')
    assert 'Sex "Q" is not a sex' in problems[0]
    assert problems[1] == ""
    assert problems[2].startswith('Age "125" is above 124')
    assert result.lines["sex"].astype(str).tolist() == ["U", "F", "M"]
    assert result.lines["dob"].isna().tolist() == [True, True, False]


def test_near_miss_of_a_field_already_filled_is_a_note():
    result = read_claims(
        [["CPT", "DOS", "Patient ID", "Patinet ID"], ["99213", "2024-05-01", "P1", "P1"]]
    )
    assert any(
        '"Patinet ID" is not used' in n and '"Patient ID"' in n for n in result.meta["notes"]
    )


def test_alias_left_out_by_map_is_said():
    result = read_claims(
        [["CPT", "Proc Code", "DOS"], ["99213", "99214", "2024-05-01"]],
        column_map={"cpt": "Proc Code"},
    )
    assert result.lines["cpt"].tolist() == ["99214"]
    assert any('"CPT" looks like cpt but --map cpt names "Proc Code"' in n for n in result.notes)


def test_near_miss_check_is_cheap_on_a_very_wide_header():
    headers = ["CPT", "DOS"] + [f"Header number {i}" for i in range(3_000)]
    mapping = map_columns(headers)
    assert mapping.sources["cpt"] == [0] and len(mapping.extras) == 3_000


def test_cli_near_miss_exit_2_and_ignore_column(tmp_path, capsys):
    from addin.cli import main

    path = tmp_path / "claims.csv"
    path.write_text(
        "\n".join(",".join(r) for r in [TYPO_HEADER, *TYPO_ROWS]) + "\n", encoding="utf-8"
    )
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "column 'Modifers' is not used — did you mean modifiers?" in err
    assert "Traceback" not in err
    assert main(["check", str(path), "--ignore-column", "Modifers", "--quiet"]) in (0, 1)
