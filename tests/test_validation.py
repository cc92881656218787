"""No verdict about a thing that is not a code (issue 9 point 2, issue 10 point 10).

Unknown, malformed or empty codes, invalid modifiers and settings a table does not have are
named as such by every door: the CLI (exit 2), the Excel functions (a message in the cell)
and the server (HTTP 400 from the JSON API and from the Office.js custom functions), never
answered "NO EDIT". Full-width and Arabic-Indic digits are not code digits.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cli_helpers import run_cli as run

import addin.reference.data as data_module
from addin import udfs
from addin.codes import (
    SettingNotAvailableError,
    code_category,
    is_ascii_digits,
    is_valid_modifier_format,
    normalize_code,
    normalize_modifier,
    setting_for_table,
)
from addin.excel import answers
from addin.reference import ReferenceData
from addin.validation import (
    CodeInputError,
    check_code,
    check_modifiers,
    code_problem,
    code_problems,
)

DOS = dt.date(2026, 5, 4)
FULL_WIDTH = "４３２３５"  # 43235 typed with a Japanese input method
ARABIC_INDIC = "٤٣٢٣٥"



# ----------------------------------------------------------------------------- formats
@pytest.mark.parametrize(
    "text",
    [FULL_WIDTH, ARABIC_INDIC, "４３２３T", "G０３６４", "٠٣٩٧T", "4323５", "47383\n", "²3235"],
)
def test_non_ascii_digits_fail_the_code_format_check(text):
    assert code_category(text) is None
    assert code_category(normalize_code(text)) is None or normalize_code(text) == "47383"


def test_ascii_codes_still_pass():
    for code, name in [("47383", "CPT Category I"), ("0397T", "CPT Category III"), ("G0364", "HCPCS Level II"),
                       ("0001A", "CPT vaccine administration"), ("3008F", "CPT Category II")]:
        assert code_category(code) == name


def test_non_ascii_digits_are_not_padded_or_unfloated():
    assert normalize_code("١٠٠") == "١٠٠"  # not "00١٠٠": only a number that lost its zeros is padded
    assert normalize_code("１００") == "１００"
    assert normalize_code("٤٣٢٣٥.0") == "٤٣٢٣٥.0"
    assert normalize_code("100") == "00100" and normalize_code(100.0) == "00100"
    assert is_ascii_digits("123") and not is_ascii_digits("１２３") and not is_ascii_digits("")


def test_modifier_format_is_ascii_only():
    assert is_valid_modifier_format("59") and is_valid_modifier_format("XS")
    assert not is_valid_modifier_format("５９") and not is_valid_modifier_format("٥٩")
    assert normalize_modifier("٥") == "٥"  # not zero-padded to "0٥"
    assert normalize_modifier("5") == "05"


def test_full_width_code_is_named_not_answered(bundled):
    problem = code_problem(bundled, FULL_WIDTH, DOS, "code2")
    assert problem.startswith(f"Invalid code format {FULL_WIDTH} (code2)")
    assert "full-width or Arabic-Indic digits" in problem


# ----------------------------------------------------------------------------- settings
def test_ptp_has_practitioner_and_hospital_only():
    with pytest.raises(SettingNotAvailableError) as error:
        setting_for_table("dme", "ptp")
    assert "practitioner and hospital" in str(error.value) and "dme" in str(error.value)
    assert setting_for_table("DME supplier", "mue").value == "dme"
    assert setting_for_table("outpatient", "ptp").value == "hospital"


@pytest.mark.parametrize(
    "query",
    [
        lambda ref: ref.pair("43497", "43235", DOS, "dme"),
        lambda ref: ref.ptp_matches(["43497"], ["43235"], DOS, "dme"),
        lambda ref: ref.ptp_edits_among(["43497", "43235"], DOS, "dme"),
        lambda ref: ref.ptp_edits_for_code("43497", DOS, "dme"),
    ],
)
def test_reference_refuses_a_dme_ptp_query(bundled, query):
    with pytest.raises(SettingNotAvailableError, match="practitioner and hospital"):
        query(bundled)


def test_batch_check_for_dme_notes_that_ptp_does_not_apply(bundled):
    from addin.checker import check

    claims = [
        ["claim_id", "patient_id", "provider_npi", "dos", "cpt", "units", "dx"],
        ["C1", "P1", "1234567893", "2026-05-04", "43497", "1", "K22.0"],
        ["C1", "P1", "1234567893", "2026-05-04", "43235", "1", "K22.0"],
    ]
    dme = check(claims, setting="dme", reference=bundled)
    assert not (dme.findings["rule"] == "ptp").any()
    assert any("PTP edits do not apply to DME supplier claims" in n for n in dme.options["notes"])
    practitioner = check(claims, setting="practitioner", reference=bundled)
    assert (practitioner.findings["rule"] == "ptp").any()
    assert not any("DME" in n for n in practitioner.options["notes"])


# ----------------------------------------------------------------------------- the checks
def test_unknown_code_with_bundled_data_says_how_little_it_covers(bundled):
    problem = code_problem(bundled, "99999", DOS, "code2")
    covered = len(bundled.known_codes(DOS))
    assert problem.startswith("Unknown code 99999 (code2): not in the loaded tables for 2026-05-04")
    assert f"bundled sample data covers only {covered} codes" in problem
    assert "cpt-addin data import" in problem


def test_missing_malformed_known(bundled):
    assert code_problem(bundled, "", DOS, "code2").startswith("code2 is missing")
    assert code_problem(bundled, None, DOS, "code1").startswith("code1 is missing")
    assert code_problem(bundled, "4738", DOS).startswith("Invalid code format 4738 (code)")
    assert code_problem(bundled, 43497.0, DOS) is None
    assert check_code(bundled, 731.0, DOS) == "00731"
    with pytest.raises(CodeInputError, match="Unknown code 99999"):
        check_code(bundled, "99999", DOS)


def test_a_code_only_the_add_on_table_lists_is_known(bundled):
    # 64400 is a primary of an add-on code in the bundled AOC table: it exists
    assert code_problem(bundled, "64400", DOS) is None


def test_modifiers_malformed_or_unknown_are_named(bundled):
    assert check_modifiers(bundled, "59,XS", "mods2") == ["59", "XS"]
    with pytest.raises(CodeInputError, match="Unknown modifier XX in mods2"):
        check_modifiers(bundled, "XX", "mods2")
    with pytest.raises(CodeInputError, match="Bad modifier X in mods1"):
        check_modifiers(bundled, "59 X", "mods1")


def test_vector_check_equals_the_point_check(bundled):
    codes = ["43497", "99999", "4738", FULL_WIDTH, "64400", "00731", "G0364"]
    found = code_problems(bundled, codes, DOS)
    assert set(found) == {"99999", "4738", FULL_WIDTH}
    for code in codes:
        assert found.get(code) == code_problem(bundled, code, DOS)


# ----------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["conflicts", "43497", "99999"], "Unknown code 99999 (code2)"),
        (["conflicts", "99999", "43497"], "Unknown code 99999 (code1)"),
        (["conflicts", "43497", ""], "code2 is missing"),
        (["conflicts", "43497", "4738"], "Invalid code format 4738 (code2)"),
        (["conflicts", "43497", FULL_WIDTH], f"Invalid code format {FULL_WIDTH} (code2)"),
        (["conflicts", "43497", ARABIC_INDIC], f"Invalid code format {ARABIC_INDIC} (code2)"),
        (["conflicts", "43497", "43235", "--setting", "dme"], "practitioner and hospital"),
        (["conflicts", "43497", "43235", "--mods2", "XX"], "Unknown modifier XX in mods2"),
        (["conflicts", "43497", "43235", "--mods1", "5"], "Unknown modifier 05 in mods1"),
        (["suggest", "99999"], "Unknown code 99999 (code)"),
        (["suggest", "43497", "99999"], "Unknown code 99999 (other)"),
        (["suggest", "43497", ""], "other is missing"),
        (["suggest", "43497", "43235", "--setting", "dme"], "practitioner and hospital"),
        (["lookup", "99999"], "Unknown code 99999"),
        (["lookup", FULL_WIDTH], "Invalid code format"),
        (["lookup", ""], "code is missing"),
    ],
)
def test_cli_refuses_with_exit_2(bundled, capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    assert fragment in err
    assert "NO EDIT" not in out and "Traceback" not in err


def test_cli_still_answers_real_codes(bundled, capsys):
    code, out, _ = run(capsys, "conflicts", "43235", "43497", "--date", "2026-05-04", "--mods2", "59")
    assert code == 1 and out.startswith("CONFLICT: 43497 is Column 1")
    code, out, _ = run(capsys, "conflicts", "43497", "47383", "--date", "2026-05-04", "--setting", "hospital")
    assert code == 0 and out.startswith("NO EDIT")
    code, out, _ = run(capsys, "lookup", "43235", "--setting", "dme")
    assert code == 0 and out.startswith("43235")
    code, out, _ = run(capsys, "suggest", "77002", "--setting", "dme")
    assert code == 0 and "26 on 77002" in out


# ----------------------------------------------------------------------------- Excel functions
def test_cpt_conflicts_names_what_is_not_a_code(bundled):
    assert udfs.CPT_CONFLICTS("43497", "99999", None, None, DOS).startswith("Unknown code 99999 (code2)")
    assert udfs.CPT_CONFLICTS("43497", "", None, None, DOS).startswith("code2 is missing")
    assert udfs.CPT_CONFLICTS(None, 43235.0, None, None, DOS).startswith("code1 is missing")
    assert udfs.CPT_CONFLICTS("43497", FULL_WIDTH, None, None, DOS).startswith("Invalid code format")
    assert udfs.CPT_CONFLICTS("43497", "43235", None, "XX", DOS).startswith("Unknown modifier XX in mods2")
    dme = udfs.CPT_CONFLICTS("43497", "43235", None, None, DOS, "dme")
    assert dme.startswith("No NCCI PTP table for setting dme") and "practitioner and hospital" in dme
    assert udfs.CPT_CONFLICTS("43497", "43235", None, None, DOS, "hospital").startswith("CONFLICT")


def test_suggest_and_fact_functions_name_an_unknown_code(bundled):
    assert udfs.SUGGEST_MODIFIERS("43497", "99999", DOS).startswith("Unknown code 99999 (other_code)")
    assert udfs.SUGGEST_MODIFIERS("99999", None, DOS).startswith("Unknown code 99999 (code)")
    assert udfs.SUGGEST_MODIFIERS(None, "43235", DOS).startswith("code is missing")
    assert "practitioner and hospital" in udfs.SUGGEST_MODIFIERS("43497", "43235", DOS, "dme")
    assert "26 (professional component)" in udfs.SUGGEST_MODIFIERS("77002", None, DOS, "dme")
    assert udfs.CPT_MUE("99999", None, DOS).startswith("Unknown code 99999")
    assert udfs.CPT_MUE("47383", "dme", DOS).startswith("MUE (dme)")
    assert udfs.CPT_ADDON("99999", DOS).startswith("Unknown code 99999")
    assert udfs.CPT_INFO("99999", "global", DOS).startswith("Unknown code 99999")
    assert udfs.CPT_INFO("99999", "known", DOS) is False
    assert udfs.CPT_DESC(FULL_WIDTH).startswith("Invalid code format")
    assert udfs.CPT_VALID(ARABIC_INDIC) is False


def test_library_suggestions_for_a_pair_never_say_no_edit_for_a_non_code(bundled):
    from addin.suggest import suggest_modifiers

    found = suggest_modifiers(bundled, "43497", "99999", DOS)
    assert [s.label for s in found] == [code_problem(bundled, "99999", DOS, "other code")]


def test_conflicts_table_names_a_bad_code_in_its_row(bundled):
    out = udfs.CPT_CONFLICTS_TABLE([["43235"], ["99999"], ["43497"], [FULL_WIDTH], [None]], DOS)
    assert out[0] == udfs.CONFLICT_HEADER
    assert any(row[:2] == ["43497", "43235"] for row in out[1:])  # the real edit is still there
    named = {row[0]: row[3] for row in out[1:] if row[1] == ""}
    assert named["99999"].startswith("Unknown code 99999")
    assert named[FULL_WIDTH].startswith("Invalid code format")
    assert {len(row) for row in out} == {len(udfs.CONFLICT_HEADER)}
    only_bad = udfs.CPT_CONFLICTS_TABLE([["47383"], ["99999"]], DOS)
    assert only_bad[1][3].startswith("No NCCI PTP edit among the known 1 codes")
    assert only_bad[2][0] == "99999" and only_bad[2][3].startswith("Unknown code 99999")
    assert udfs.CPT_CONFLICTS_TABLE([["43235"], ["43497"]], DOS, "dme").startswith("No NCCI PTP table")


def test_suggest_table_names_a_bad_code_in_its_row(bundled):
    out = udfs.SUGGEST_MODIFIERS_TABLE([["77002", None], ["99999", None], ["47383", "4738"], ["47383", "77002"]], DOS)
    rows = out[1:]
    assert any(r[0] == "77002" and r[1] == "26" for r in rows)
    assert any(r[0] == "99999" and r[3].startswith("Unknown code 99999") for r in rows)
    assert any(r[0] == "47383" and r[3].startswith("Invalid code format 4738 (other code)") for r in rows)
    assert any(r[1] == "XE/XS/XP/XU/59" for r in rows)  # the good pair is still answered
    dme = udfs.SUGGEST_MODIFIERS_TABLE([["47383", "77002"], ["77002", None]], DOS, "dme")
    assert any("practitioner and hospital" in r[3] for r in dme[1:])
    assert any(r[0] == "77002" and r[1] == "26" for r in dme[1:])


def test_claim_check_for_dme_shows_the_ptp_note(bundled):
    claims = [
        ["Claim", "Patient", "NPI", "DOS", "CPT", "Units", "DX"],
        ["c1", "p1", 1234567893.0, DOS, 43497.0, 1.0, "K22.0"],
        ["c1", "p1", 1234567893.0, DOS, 43235.0, 1.0, "K22.0"],
    ]
    out = udfs.CLAIM_CHECK(claims, "dme")
    text = repr(out)
    assert "PTP edits do not apply to DME supplier claims" in text
    assert "PTP001" not in text


# ----------------------------------------------------------------------------- server
@pytest.fixture(scope="module")
def server_client():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from addin.server.config import ServerSettings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app

        app = create_app(ServerSettings(api_key="k-validation", max_call_bytes=64 * 1024))
    return TestClient(app, headers={"X-API-Key": "k-validation"})


def call(client, name: str, *args):
    body = {"client": "Office.js", "func_name": name, "args": [[[a]] if a is not None else None for a in args],
            "caller_address": "Sheet1!B2", "version": "0.37.8", "runtime": "1.4"}
    return client.post("/xlwings/custom-functions-call", json=body)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("43497", "99999"), "Unknown code 99999 (code2)"),
        (("43497", ""), "code2 is missing"),
        (("43497", FULL_WIDTH), "Invalid code format"),
        (("43497", "43235", None, "XX"), "Unknown modifier XX in mods2"),
        (("43497", "43235", None, None, "2026-05-04", "dme"), "practitioner and hospital"),
    ],
)
def test_custom_function_input_errors_are_400(bundled, server_client, args, fragment):
    answer = call(server_client, "cpt_conflicts", *args)
    assert answer.status_code == 400, answer.text
    assert fragment in answer.json()["detail"]
    assert answer.json()["detail"].startswith("CPT_CONFLICTS: ")


def test_custom_functions_still_answer(bundled, server_client):
    answer = call(server_client, "cpt_conflicts", "43497", "43235", None, None, "2026-05-04")
    assert answer.status_code == 200 and answer.json()["result"][0][0].startswith("CONFLICT")
    assert call(server_client, "suggest_modifiers", "43497", "99999").status_code == 400
    assert call(server_client, "cpt_mue", "99999").status_code == 400
    # describing a code is the answer of CPT_DESC / CPT_VALID, not an input error
    described = call(server_client, "cpt_desc", "99999")
    assert described.status_code == 200 and "Unknown code 99999" in described.json()["result"][0][0]
    body = {"client": "Office.js", "func_name": "cpt_conflicts_table",
            "args": [[["43235"], ["99999"], ["43497"]], None, None], "version": "0.37.8"}
    table = server_client.post("/xlwings/custom-functions-call", json=body)
    assert table.status_code == 200
    assert any(row[0] == "99999" and str(row[3]).startswith("Unknown code") for row in table.json()["result"])


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"code1": "43497", "code2": "99999"}, "Unknown code 99999 (code2)"),
        ({"code1": "43497", "code2": FULL_WIDTH}, "Invalid code format"),
        ({"code1": "43497", "code2": "4738"}, "Invalid code format 4738"),
        ({"code1": "43497", "code2": "43235", "mods2": "XX"}, "Unknown modifier XX in mods2"),
        ({"code1": "43497", "code2": "43235", "setting": "dme"}, "practitioner and hospital"),
    ],
)
def test_api_conflicts_input_errors_are_400(bundled, server_client, params, fragment):
    answer = server_client.get("/api/conflicts", params=params)
    assert answer.status_code == 400, answer.text
    assert fragment in answer.json()["detail"]


def test_api_code_unknown_is_400_and_dme_has_no_ptp_edits(bundled, server_client):
    unknown = server_client.get("/api/code/99999")
    assert unknown.status_code == 400 and "Unknown code 99999" in unknown.json()["detail"]
    assert server_client.get(f"/api/code/{FULL_WIDTH}").status_code == 400
    dme = server_client.get("/api/code/43235", params={"setting": "dme"})
    assert dme.status_code == 200, dme.text
    body = dme.json()
    assert body["edits"] == [] and "do not apply to DME supplier claims" in body["edits_note"]
    practitioner = server_client.get("/api/code/43235").json()
    assert practitioner["edits"] and practitioner["edits_note"] == ""


# ----------------------------------------------------------------------------- full CMS tables
def test_unknown_code_with_imported_tables_names_them(imported_store, tmp_path, monkeypatch, capsys):
    ref = ReferenceData(store=imported_store)
    monkeypatch.setattr(data_module, "_SHARED", ref)
    answers.clear()
    try:
        problem = code_problem(ref, "99999", DOS, "code2")
        assert problem.startswith("Unknown code 99999 (code2)") and "bundled" not in problem
        assert "RVU" in problem and "(imported)" in problem
        code, _, err = run(capsys, "conflicts", "43497", "99999", "--date", "2026-05-04")
        assert code == 2 and "Unknown code 99999" in err
        assert udfs.CPT_CONFLICTS("43497", "99999", None, None, DOS).startswith("Unknown code 99999")
    finally:
        answers.clear()


def test_batch_check_flags_a_full_width_code_as_bad_format(bundled):
    from addin.checker import check

    claims = [
        ["claim_id", "patient_id", "provider_npi", "dos", "cpt", "units", "dx"],
        ["C1", "P1", "1234567893", "2026-05-04", FULL_WIDTH, "1", "K22.0"],
        ["C1", "P1", "1234567893", "2026-05-04", ARABIC_INDIC, "1", "K22.0"],
        ["C1", "P1", "1234567893", "2026-05-04", "43497", "1", "K22.0"],
    ]
    findings = check(claims, reference=bundled).findings
    bad = findings[findings["rule_id"] == "COD001"]
    assert sorted(bad["row"].tolist()) == [2, 3]


def test_a_store_with_only_a_ptp_table_still_answers_its_codes(tmp_path, monkeypatch, capsys):
    """A code in the PTP table of the question is known, even when no RVU/HCPCS is imported."""
    from addin.reference.store import Store

    source = tmp_path / "payer_ptp_practitioner_2026q1.csv"
    source.write_text("column_1,column_2,modifier_indicator,rationale\n29881,29880,0,Payer rule\n")
    store = tmp_path / "store"
    assert Store(store).import_paths([source]).ok
    ref = ReferenceData(store=store)
    monkeypatch.setattr(data_module, "_SHARED", ref)
    answers.clear()
    try:
        assert code_problem(ref, "29881", DOS, "code1", "practitioner") is None
        assert code_problem(ref, "29881", DOS).startswith("Unknown code 29881")  # not a PTP question
        code, out, _ = run(capsys, "conflicts", "29880", "29881", "--date", "2026-05-04")
        assert code == 1 and out.startswith("CONFLICT: 29881 is Column 1")
        assert udfs.CPT_CONFLICTS("29881", "29880", None, None, DOS).startswith("CONFLICT")
        code, _, err = run(capsys, "conflicts", "29880", "29882", "--date", "2026-05-04")
        assert code == 2 and "Unknown code 29882" in err and "bundled sample data" in err
    finally:
        answers.clear()
