"""Regression tests from the review of the data layer (codes, reference, verdicts, importers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from addin.codes import (
    Setting,
    code_category,
    encode_code,
    encode_codes,
    normalize_code,
    normalize_modifier,
    parse_date,
    split_modifiers,
)
from addin.errors import InputFileError
from addin.reference import ReferenceData
from addin.reference.importers import Source, parse_source
from addin.reference.models import ModifierFact
from addin.reference.store import Store
from addin.verdicts import bypass_for_pair

# ---------------------------------------------------------------- missing values (pandas 3)


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT, np.datetime64("NaT", "ns")])
def test_pandas_missing_values_are_empty_cells(missing):
    assert normalize_code(missing) is None
    assert normalize_modifier(missing) is None
    assert split_modifiers(missing) == []
    assert parse_date(missing) is None
    assert Setting.parse(missing) is Setting.practitioner


def test_code_category_of_a_missing_value_is_none():
    assert code_category(np.nan) is None
    assert code_category(pd.NA) is None


def test_vector_status_and_descriptions_take_missing_codes():
    reference = ReferenceData()
    dos = dt.date(2026, 6, 1)
    for codes in (["47383", np.nan], ["47383", None], pd.Series(["47383", None], dtype="str")):
        status = reference.code_status_frame(codes, dos)
        assert status["known"].tolist() == [True, False]
        assert status["category"].iloc[1] is None or pd.isna(status["category"].iloc[1])
        described = reference.descriptions_frame(codes, dos)
        assert described["known"].tolist() == [True, False]


# ---------------------------------------------------------------- code keys


def test_code_keys_reject_lower_case_and_punctuation():
    # 6 bits a character folded "q" onto "1": "4738q" must not find the edits of 47381
    for text in ("4738q", "0397t", "4738.", "47 83", "4738@"):
        assert encode_code(text) == -1
        assert encode_codes(np.array([text], dtype=object))[0] == -1
    assert encode_codes(np.array(["4738q"], dtype=object))[0] != encode_code("47381")
    for code in ("47383", "0397T", "G0364", "CCCCC"):
        assert encode_codes(np.array([code], dtype=object))[0] == encode_code(code) >= 0


# ---------------------------------------------------------------- add-on codes by date

AOC_ROWS = [
    # add-on whose edit changed type: 1 until 2022 (more rows), 3 since 2023
    (1, "20701", "", "11010", "", "2020-01-01", "2022-12-31"),
    (1, "20701", "", "11011", "", "2020-01-01", "2022-12-31"),
    (1, "20701", "", "20240", "", "2020-01-01", "2022-12-31"),
    (3, "20701", "", "11010", "", "2023-01-01", ""),
    (3, "20701", "", "13100", "", "2023-01-01", ""),
    # contractor-defined (type 2) in 2013, type 3 with a list since 2014
    (2, "49327", "", "CCCCC", "", "2013-04-01", "2013-12-31"),
    (3, "49327", "", "CCCCC", "", "2014-01-01", ""),
    (3, "49327", "", "47560", "2015-12-31", "2014-01-01", "2015-12-31"),
    (3, "49327", "", "47562", "", "2014-01-01", ""),
    # an add-on code deleted at the end of 2017
    (1, "G0364", "2017-12-31", "38221", "", "2013-04-01", "2017-12-31"),
]


@pytest.fixture
def aoc_reference(tmp_path: Path) -> ReferenceData:
    data = tmp_path / "data"
    data.mkdir()
    header = "edit_type,addon_code,addon_deletion_date,primary_code,primary_deletion_date,effective_date,deletion_date,notes,source"
    lines = [header] + [",".join(str(v) for v in row) + ",,test" for row in AOC_ROWS]
    (data / "aoc.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ReferenceData(store=tmp_path / "store", data_dir=data)


def test_addon_type_comes_from_the_rows_in_force(aoc_reference):
    early = aoc_reference.addon("20701", dt.date(2021, 6, 1))
    assert (early.edit_type, early.primaries) == (1, ["11010", "11011", "20240"])
    late = aoc_reference.addon("20701", dt.date(2026, 5, 1))
    assert (late.edit_type, late.primaries) == (3, ["11010", "13100"])
    assert late.effective_date == dt.date(2023, 1, 1)


def test_addon_contractor_defined_only_while_in_force(aoc_reference):
    first = aoc_reference.addon("49327", dt.date(2013, 6, 1))
    assert (first.edit_type, first.contractor_defined, first.primaries) == (2, True, [])
    later = aoc_reference.addon("49327", dt.date(2016, 1, 1))
    assert (later.edit_type, later.contractor_defined, later.primaries) == (3, True, ["47562"])


def test_deleted_addon_has_no_edit_on_a_later_date(aoc_reference):
    assert aoc_reference.addon("G0364", dt.date(2026, 6, 1)) is None
    assert aoc_reference.addon("G0364", dt.date(2015, 6, 1)).primaries == ["38221"]
    assert aoc_reference.addons_for_primary("38221", dt.date(2026, 6, 1)) == []
    assert aoc_reference.addons_for_primary("38221", dt.date(2015, 6, 1)) == ["G0364"]
    assert aoc_reference.addons_for_primary("13100", dt.date(2021, 6, 1)) == []
    assert aoc_reference.addons_for_primary("13100", dt.date(2024, 6, 1)) == ["20701"]


# ---------------------------------------------------------------- code status per date


def test_vector_code_status_uses_the_hcpcs_version_of_each_date(tmp_path: Path):
    header = "hcpcs_code,long_description,short_description\n"
    old = tmp_path / "hcpcs_codes_2023.csv"
    old.write_text(header + "J1100,Dexamethasone injection,Dexamethasone\n", encoding="utf-8")
    new = tmp_path / "hcpcs_codes_2024.csv"
    new.write_text(
        header + "J1100,Dexamethasone injection,Dexamethasone\nC1605,New device,New device\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    assert Store(store).import_paths([old, new]).ok
    reference = ReferenceData(store=store)
    codes = np.array(["C1605", "C1605"], dtype=object)
    dates = [dt.date(2023, 6, 1), dt.date(2024, 6, 1)]
    frame = reference.code_status_frame(codes, np.array(dates, dtype="datetime64[D]"))
    point = [reference.code_info(code, day).known for code, day in zip(codes, dates, strict=True)]
    assert frame["known"].tolist() == point == [False, True]


# ---------------------------------------------------------------- importers


def test_plain_mue_with_a_code_twice_is_refused():
    data = b"code,mue_units,mai\n47383,1,2\n47383,2,2\n"
    with pytest.raises(InputFileError) as info:
        parse_source(Source("payer_mue_practitioner_2026q1.csv", data))
    assert (info.value.line, info.value.column) == (3, "code")
    assert "47383" in info.value.reason


# ---------------------------------------------------------------- bypass wording


def _fact(mod: str) -> ModifierFact:
    return ModifierFact(modifier=mod, description=mod, ncci_associated=True)


def test_25_off_an_em_code_says_why_it_does_not_bypass():
    facts = {"25": _fact("25")}
    bypass = bypass_for_pair(1, "47383", "77002", [], ["25"], facts)
    assert not bypass.bypassed
    assert "25 on 77002" in bypass.reason and "E/M" in bypass.reason
    assert bypass_for_pair(1, "20610", "99214", [], ["25"], facts).bypassed


# ---------------------------------------------------------------- date of service types


@pytest.mark.parametrize(
    "when",
    [dt.datetime(2026, 6, 1, 10, 30), pd.Timestamp("2026-06-01"), np.datetime64("2026-06-01")],
)
def test_datetime_like_dates_of_service_answer_like_a_date(when):
    reference = ReferenceData()
    day = dt.date(2026, 6, 1)
    answer = reference.pair("43235", "43497", when)
    assert answer.date_of_service == day and len(answer.applicable) == 1
    assert reference.code_info("47383", when).date_of_service == day
    assert reference.mue("47383", when) == reference.mue("47383", day)
    assert reference.addon("0397T", when) == reference.addon("0397T", day)
    matches = reference.ptp_matches(np.array(["43235"], object), np.array(["43497"], object), when)
    assert matches["column_1"].tolist() == ["43497"]
    assert reference.mue_frame(["47383"], when)["mue_units"].tolist() == [1.0]
