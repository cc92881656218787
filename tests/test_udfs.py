"""The Excel functions called as plain Python with the argument shapes Excel sends.

Classic xlwings passes a number cell as a float (``47383.0``; ``100.0`` for ``00100``), an
empty cell as ``None``, a range as a (1-D or 2-D) list, a date cell as a ``datetime``. These
tests answer from the bundled ``data/`` tables; ``test_udfs_cms.py`` repeats the key facts
on the full CMS tables.
"""

from __future__ import annotations

import datetime as dt
import inspect
import subprocess
import sys
import textwrap

import pytest

import addin.reference.data as data_module
from addin import udfs
from addin.excel import answers
from addin.reference import ReferenceData

FUNCTIONS = sorted(name for name, f in vars(udfs).items() if callable(f) and name.isupper())
EXPECTED = {
    "CPT_DESC", "CPT_CONFLICTS", "SUGGEST_MODIFIERS", "CPT_INFO", "CPT_MUE", "CPT_ADDON",
    "MODIFIER_DESC", "ICD10_DESC", "CPT_VALID", "CPT_DATA_VERSION", "CPT_DESC_TABLE",
    "CPT_CONFLICTS_TABLE", "SUGGEST_MODIFIERS_TABLE", "CLAIM_CHECK",
}
DOS = dt.datetime(2026, 5, 4)



def test_every_function_of_the_product_exists():
    assert set(FUNCTIONS) == EXPECTED


@pytest.mark.parametrize("shape", [47383.0, 47383, "47383", " 47383 ", [[47383.0]], [47383.0], ("47383",)])
def test_cpt_desc_accepts_every_shape_of_one_code(bundled, shape):
    assert udfs.CPT_DESC(shape) == udfs.CPT_DESC("47383")
    assert "cryoablation" in udfs.CPT_DESC(shape).lower()


def test_number_cell_100_means_00100_and_empty_cell_stays_empty(bundled):
    assert udfs.CPT_DESC(100.0) == udfs.CPT_DESC("00100")
    assert udfs.CPT_DESC(None) == "" and udfs.CPT_DESC([[None]]) == "" and udfs.CPT_DESC("  ") == ""


def test_bad_and_unknown_codes_say_so_in_the_cell(bundled):
    assert udfs.CPT_DESC("4738X").startswith("Invalid code format 4738X")
    assert udfs.CPT_DESC("99999") == "Unknown code 99999: not in the loaded CMS tables"
    assert udfs.CPT_DESC([[47383.0], [43235.0]]).startswith("code: expected one cell, got a range of 2 cells")


@pytest.mark.parametrize("date", [DOS, DOS.date(), 46146.0, "2026-05-04", "05/04/2026", 20260504.0, [[DOS]]])
def test_dates_as_serial_datetime_or_text(bundled, date):
    assert udfs.CPT_DESC("47383", date) == udfs.CPT_DESC("47383", "2026-05-04")


def test_bad_date_and_setting_are_explained(bundled):
    assert udfs.CPT_DESC("47383", "soon").startswith("Bad date soon")
    assert udfs.CPT_CONFLICTS("43235", "43497", None, None, None, "moon").startswith("Unknown setting")


def test_inactive_code_is_flagged_for_the_date(bundled):
    assert "[inactive on 2026-05-04" in udfs.CPT_DESC("G0364", DOS)
    assert udfs.CPT_VALID("G0364", DOS) is False
    assert "inactive" in udfs.CPT_VALID("G0364", DOS, True)


@pytest.mark.parametrize(("first", "second"), [("43235", "43497"), ("43497", "43235"), (43235.0, 43497.0)])
def test_cpt_conflicts_names_column_1_whichever_order(bundled, first, second):
    text = udfs.CPT_CONFLICTS(first, second, None, None, DOS)
    assert text.startswith("CONFLICT: 43497 is Column 1 and 43235 is Column 2")
    assert "modifier indicator 0" in text and "No modifier bypasses" in text
    assert "Source:" in text


def test_cpt_conflicts_with_modifiers_as_excel_sends_them(bundled):
    assert udfs.CPT_CONFLICTS("47383", "77002", None, "XS", DOS).startswith("BYPASSED")
    assert udfs.CPT_CONFLICTS("47383", 77002.0, None, [["XS", None, None, None]], DOS).startswith("BYPASSED")
    assert udfs.CPT_CONFLICTS("47383", "77002", None, None, DOS).startswith("CONFLICT")
    assert udfs.CPT_CONFLICTS("47383", "77002", None, "X", DOS).startswith("Bad modifier X in mods2")
    # one code of the pair missing is named (issue 9); both empty (a filled-down row) stay empty
    assert udfs.CPT_CONFLICTS("47383", None).startswith("code2 is missing")
    assert udfs.CPT_CONFLICTS(None, None) == ""


def test_cpt_conflicts_same_words_as_the_cli(bundled):
    from addin.verdicts import pair_verdict

    verdict = pair_verdict(bundled, "43235", "43497", None, None, DOS.date())
    assert udfs.CPT_CONFLICTS("43235", "43497", None, None, DOS) == verdict.text()


def test_suggest_modifiers_done_when_facts_on_bundled_data(bundled):
    imaging = udfs.SUGGEST_MODIFIERS("77002", None, DOS)
    assert "26 (professional component)" in imaging and "TC (technical component)" in imaging
    surgery = udfs.SUGGEST_MODIFIERS(47383.0, None, DOS)
    assert "26 (" not in surgery and "TC (" not in surgery
    pair = udfs.SUGGEST_MODIFIERS("47383", "77002", DOS)
    assert pair.startswith("XE/XS/XP/XU/59 (") and "on 77002" in pair.split(";")[0]
    assert udfs.SUGGEST_MODIFIERS(None) == ""


def test_cpt_info_fields(bundled):
    assert udfs.CPT_INFO("47383", "global", DOS) == "010"
    assert udfs.CPT_INFO("47383", "Global Days", DOS) == "010"
    assert udfs.CPT_INFO("77002", "pctc", DOS) == "1"
    assert "professional (26)" in udfs.CPT_INFO("77002", "pctc_text", DOS)
    assert udfs.CPT_INFO("47383", "mue", DOS) == 1
    assert udfs.CPT_INFO("47383", "active", DOS) is True
    assert udfs.CPT_INFO("0397T", "addon_type", DOS) == 1
    assert "43260" in udfs.CPT_INFO("0397T", "primaries", DOS)
    assert udfs.CPT_INFO("43497", "endo_base", DOS) == "43235"
    assert udfs.CPT_INFO("4738X", "global").startswith("Invalid code format")
    unknown = udfs.CPT_INFO("47383", "colour")
    assert unknown.startswith("Unknown field colour: use one of description, plain")


def test_mue_addon_modifier_icd10_and_version(bundled):
    assert udfs.CPT_MUE("47383", None, DOS).startswith("MUE (practitioner): 1 unit(s) per day — MAI 2")
    assert udfs.CPT_ADDON("0397T", DOS).startswith("Add-on code, type 1")
    assert "not an add-on code" in udfs.CPT_ADDON(47383.0, DOS)
    assert udfs.MODIFIER_DESC("59").startswith("59: ") and "NCCI-associated" in udfs.MODIFIER_DESC(59.0)
    assert udfs.MODIFIER_DESC("ZZ") == "Unknown modifier ZZ"
    assert "header code, not billable" in udfs.ICD10_DESC("K83")
    assert udfs.ICD10_DESC("k83.1").startswith("K83.1: ")
    assert udfs.ICD10_DESC("XYZ") == "Unknown ICD-10-CM code XYZ"
    assert "PTP" in udfs.CPT_DATA_VERSION()


def test_cpt_valid(bundled):
    assert udfs.CPT_VALID(47383.0) is True
    assert udfs.CPT_VALID("4738X") is False and udfs.CPT_VALID(None) is False
    assert udfs.CPT_VALID("47383", DOS, True).startswith("Valid: CPT Category I code, active on 2026-05-04")
    assert udfs.CPT_VALID("4738X", None, "TRUE").startswith("Invalid code format")


def test_cpt_desc_table_keeps_the_shape_and_equals_cpt_desc(bundled):
    block = [[47383.0, "0397T"], [None, 100.0], ["4738X", "G0364"]]
    out = udfs.CPT_DESC_TABLE(block, DOS)
    assert [len(row) for row in out] == [2, 2, 2]
    for row_in, row_out in zip(block, out, strict=True):
        for code, text in zip(row_in, row_out, strict=True):
            assert text == udfs.CPT_DESC(code, DOS)
    assert udfs.CPT_DESC_TABLE(47383.0) == [[udfs.CPT_DESC(47383.0)]]
    assert udfs.CPT_DESC_TABLE([47383.0, "43235"]) == [[udfs.CPT_DESC("47383")], [udfs.CPT_DESC("43235")]]


def test_conflicts_table_lists_every_edit_in_either_order(bundled):
    for codes in ([["43235"], ["43497"], [47383.0], [77002.0]], [["77002"], ["47383"], ["43497"], [43235.0]]):
        out = udfs.CPT_CONFLICTS_TABLE(codes, DOS)
        assert out[0] == udfs.CONFLICT_HEADER
        rows = {(r[0], r[1]): r for r in out[1:]}
        assert rows[("43497", "43235")][2] == 0
        assert "no modifier bypasses" in rows[("43497", "43235")][3]
        assert rows[("47383", "77002")][2] == 1
        assert rows[("47383", "77002")][6] == "*"  # still active
    assert udfs.CPT_CONFLICTS_TABLE([["47383"], ["99385"]], DOS)[0][0].startswith("No NCCI PTP edit among these 2 codes")


def test_suggest_modifiers_table_rows(bundled):
    out = udfs.SUGGEST_MODIFIERS_TABLE([["47383", "77002"], ["77002", None], [None, None]], DOS)
    assert out[0] == ["Code", "Modifier", "Goes on", "Suggestion", "Reason"]
    assert out[1][1] == "XE/XS/XP/XU/59" and out[1][2] == "77002"
    assert any(row[0] == "77002" and row[1] == "26" for row in out[1:])
    assert udfs.SUGGEST_MODIFIERS_TABLE([[None]]) == [["No codes in the range"]]


def test_claim_check_returns_a_findings_table(bundled):
    pytest.importorskip("addin.checker", reason="the batch checker (addin.checker) is not built yet")
    claims = [
        ["Claim", "Patient", "NPI", "DOS", "CPT", "Modifiers", "Units", "DX"],
        ["c1", "p1", 1234567893.0, DOS, 43497.0, None, 1.0, "K22.0"],
        ["c1", "p1", 1234567893.0, DOS, 43235.0, None, 1.0, "K22.0"],
        [None, None, None, None, None, None, None, None],
    ]
    out = udfs.CLAIM_CHECK(claims)
    assert isinstance(out, list), out
    header = out[0]
    assert header[:3] == ["Row", "Severity", "Rule"] and "Message" in header
    codes = header.index("Code")
    rules = header.index("Rule ID")
    assert any(row[rules].startswith("PTP") and row[codes] in ("43235", "43497") for row in out[1:])
    assert all(not isinstance(v, float) or v == v for row in out for v in row)  # no NaN cells
    assert udfs.CLAIM_CHECK([["CPT"]]).startswith("The claim range needs a header row")


WEIRD_INPUTS = [None, [[None]], 1.5, -3.0, "garbage", [[1.0, 2.0], [3.0, 4.0]], True, DOS, "=1+1", ""]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_input_shape_gives_a_traceback(bundled, name):
    func = getattr(udfs, name)
    arity = len(inspect.signature(func).parameters)
    for value in WEIRD_INPUTS:
        for position in range(arity):
            args = ["47383"] * arity
            args[position] = value
            result = func(*args)
            assert isinstance(result, (str, bool, int, float, list)), (name, args, result)
            text = repr(result)
            assert "Traceback" not in text and "Error(" not in text, (name, args, result)


def test_unexpected_failure_is_one_line_without_claim_contents(bundled, monkeypatch):
    def boom(*args):
        raise RuntimeError("patient Jane Doe, DOB 1950-01-01")

    monkeypatch.setattr(answers, "description", boom)
    text = udfs.CPT_DESC("47383")
    assert text == "CPT_DESC: unexpected error (RuntimeError); details: xlwings tab > Show Console"
    assert "Jane" not in text


def test_answers_are_cached_until_the_reference_data_changes(bundled, monkeypatch, tmp_path):
    calls = []
    original = bundled.pair

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(bundled, "pair", counting)
    for _ in range(3):
        udfs.CPT_CONFLICTS("43235", "43497", None, None, DOS)
    assert len(calls) == 1
    monkeypatch.setattr(data_module, "_SHARED", ReferenceData(store=tmp_path / "other"))
    udfs.CPT_CONFLICTS("43235", "43497", None, None, DOS)
    assert len(calls) == 1  # the new object answered, with an emptied cache
    assert answers.verdict.__wrapped__ is not None


def test_bulk_descriptions_equal_single_lookups(bundled, monkeypatch):
    codes = ["47383", "0397T", "77002", "G0364", "00100", "99999", "4738X", "A0425", "11730"]
    single = {code: udfs.CPT_DESC(code, DOS) for code in codes}
    answers.clear()
    monkeypatch.setattr(answers, "BULK_AFTER_MISSES", 1)
    assert {code: udfs.CPT_DESC(code, DOS) for code in codes} == single
    assert answers._bulk_done  # the bulk path answered


def test_importing_udfs_loads_no_table(tmp_path):
    """A fresh interpreter imports addin.udfs without reading any Parquet file or building
    the reference data (how long the import takes is measured by benchmarks/bench_udfs.py,
    not here: no timed tests)."""
    script = textwrap.dedent(
        """
        import pyarrow.parquet as pq
        def refuse(*args, **kwargs):
            raise AssertionError("a table was read at import")
        pq.read_table = refuse
        pq.ParquetFile = refuse
        import addin.udfs
        import addin.reference.data as data
        assert data._SHARED is None, "reference data built at import"
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_vector_verdict_wording_equals_the_scalar_one():
    from addin.verdicts import edit_summaries, edit_summary

    cases = [
        (0, "43497", "43235"), (1, "47383", "77002"), (1, "99213", "47383"), (1, "47383", "99214"),
        (9, "11000", "11001"), (1, "92002", "65855"), (1, "99999", "0397T"), (1, "0397T", "G0364"),
    ]
    assert edit_summaries(*zip(*cases, strict=True)) == [edit_summary(*case) for case in cases]


def test_conflicts_table_orders_column_1_by_first_appearance(bundled):
    codes = ["77002", "43235", "47383", "43497"]
    out = udfs.CPT_CONFLICTS_TABLE([[c] for c in codes], DOS)
    firsts = [codes.index(row[0]) for row in out[1:]]
    assert firsts == sorted(firsts)
