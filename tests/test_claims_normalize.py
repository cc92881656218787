"""Field rules of the claims reader: dates, units, codes, modifiers, diagnoses, POS."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from addin.claims.normalize import (
    Coded,
    code_column,
    date_column,
    dx_value,
    joined_column,
    modifiers_value,
    pos_value,
    units_column,
    units_value,
)
from addin.claims.table import cell_text, column_letter, unique_names
from addin.codes import normalize_code

JAN5 = pd.Timestamp("2026-01-05")


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-05",
        "2026-1-5",
        "01/05/2026",
        "1/5/2026",
        "1/5/26",
        "20260105",
        "46027",
        "46027.75",
        46027,
        46027.5,
        20260105,
        dt.date(2026, 1, 5),
        dt.datetime(2026, 1, 5, 23, 59),
        pd.Timestamp("2026-01-05 08:00"),
        np.datetime64("2026-01-05T12:00"),
        "2026-01-05 13:45:00",
        "2026-01-05T13:45",
        "1/5/2026 1:45 PM",
        "1/5/2026 13:45",
        "01-05-2026",
        "05-Jan-2026",
        "Jan 5, 2026",
        "2026/01/05",
        "  2026-01-05  ",
    ],
)
def test_dates_read_in_every_common_form(value):
    result = date_column(pd.Series([value], dtype=object))
    assert result.problems[0] is None and not result.empty[0]
    assert pd.Timestamp(result.values[0]) == JAN5


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-13-45", "is not a date"),
        ("13/45/2026", "is not a date"),
        ("yesterday", "is not a date"),
        ("20261345", "is not a date"),
        ("0", "is not a date"),
        ("-3", "is not a date"),
        (3_000_000, "is not a date"),
        (True, "is not a date"),
        (dt.time(12, 0), "is a time, not a date"),
        ("2958465", "is out of range"),  # 9999-12-31: a real Excel date, but no claim's
    ],
)
def test_unreadable_dates_say_why(value, problem):
    result = date_column(pd.Series([value], dtype=object))
    assert result.problems[0] == problem
    assert np.isnat(result.values[0])


@pytest.mark.parametrize("value", [60, 60.0, "60", 60.5])
def test_excel_serial_60_is_not_a_date(value):
    """Serial 60 is Excel's fictitious 1900-02-29: refused, not read as 1900-02-28."""
    result = date_column(pd.Series([value], dtype=object))
    assert np.isnat(result.values[0])
    assert "1900-02-29" in result.problems[0] and "does not exist" in result.problems[0]


@pytest.mark.parametrize(
    ("serial", "day"),
    [(1, dt.date(1900, 1, 1)), (59, dt.date(1900, 2, 28)), (61, dt.date(1900, 3, 1))],
)
def test_excel_serials_around_the_1900_leap_bug(serial, day):
    from addin.codes import excel_serial_date, parse_date

    assert excel_serial_date(serial) == day == parse_date(serial)
    with pytest.raises(ValueError, match="1900-02-29"):
        parse_date(60)


@pytest.mark.parametrize("value", [None, "", "   ", float("nan"), pd.NaT])
def test_empty_dates_are_empty_not_bad(value):
    result = date_column(pd.Series([value], dtype=object))
    assert result.empty[0] and result.problems[0] is None


def test_date_column_of_text_dtype_many_rows():
    values = ["1/5/2026", "2026-01-05", "", "nope"] * 1000
    result = date_column(pd.Series(values, dtype="str"))
    assert result.values.dtype == np.dtype("datetime64[ns]")
    assert (result.values[0::4] == np.datetime64("2026-01-05")).all()
    assert result.empty[2::4].all() and (result.problems[3::4] == "is not a date").all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", (1, None)),
        (None, (1, None)),
        (float("nan"), (1, None)),
        ("2", (2, None)),
        ("2.0", (2, None)),
        (3.0, (3, None)),
        (4, (4, None)),
        (" 5 ", (5, None)),
        ("+1", (1, None)),
        ("0", (0, None)),
        ("2.5", (0, "is not a whole number")),
        ("-1", (0, "is negative")),
        ("abc", (0, "is not a number")),
        ("nan", (0, "is not a number")),
        ("inf", (0, "is not a number")),
        (True, (0, "is not a number")),
        ("1e9", (0, "is implausibly large")),
    ],
)
def test_units(value, expected):
    assert units_value(value) == expected


def test_units_column_vectorised():
    result = units_column(pd.Series(["1", "", "2.0", "x"], dtype="str"))
    assert result.values.tolist()[:3] == [1, 1, 2]
    assert result.problems.tolist() == [None, None, None, "is not a number"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100, "00100"),
        (100.0, "00100"),
        ("100", "00100"),
        ("100.0", "00100"),
        (47383.0, "47383"),
        ("47383.0", "47383"),
        (" 0397t ", "0397T"),
        ("g0364", "G0364"),
        ("=HYPERLINK(1)", "=HYPERLINK(1)"),
        ("", ""),
        (None, ""),
    ],
)
def test_codes(value, expected):
    assert code_column(pd.Series([value], dtype=object)).values().tolist() == [expected]


def test_code_column_equals_scalar_rule_on_mixed_values():
    values = [100, "100", 47383.0, "99213", None, "abc", 12345678.0, 1.5, "00100", "  ", True]
    got = code_column(pd.Series(values, dtype=object)).values().tolist()
    assert got == [normalize_code(v) or "" for v in values]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("59,XS", "59,XS"),
        ("59 xs", "59,XS"),
        ("59;XS", "59,XS"),
        ("-59-XS", "59,XS"),
        (59.0, "59"),
        ("", ""),
        (None, ""),
    ],
)
def test_modifier_cells(value, expected):
    assert modifiers_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("e11.9, i10", "E11.9,I10"),
        ("E11.9;I10 K83.1", "E11.9,I10,K83.1"),
        ("E119", "E119"),
        ("", ""),
        (None, ""),
    ],
)
def test_dx_cells(value, expected):
    assert dx_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (11, "11"),
        (11.0, "11"),
        ("2", "02"),
        (2.0, "02"),
        ("11.0", "11"),
        ("", ""),
        (None, ""),
        ("ab", "AB"),
    ],
)
def test_pos(value, expected):
    assert pos_value(value) == expected


def test_joined_column_skips_empties_left_to_right():
    a = pd.Series(["25", "", "59", ""], dtype="str")
    b = pd.Series(["", "lt", "xs", ""], dtype="str")
    assert joined_column([a, b], modifiers_value).values().tolist() == ["25", "LT", "59,XS", ""]


def test_coded_round_trip_and_categorical():
    coded = Coded.of(pd.Series(["b", "a", None, "b"], dtype=object)).map(
        lambda v: (v or "").upper()
    )
    assert coded.values().tolist() == ["B", "A", "", "B"]
    cat = coded.categorical(np.array([True, True, False, True]))
    assert list(cat) == ["B", "A", "B"] and sorted(cat.categories) == ["A", "B"]


def test_cell_text_and_headers():
    assert cell_text(1001.0) == "1001" and cell_text(1.5) == "1.5" and cell_text(None) == ""
    assert cell_text(dt.datetime(2026, 1, 5)) == "2026-01-05"
    assert column_letter(0) == "A" and column_letter(25) == "Z" and column_letter(27) == "AB"
    names, notes = unique_names(["A", "", "A", "B", "A"])
    assert names == ["A", "Column B", "A.1", "B", "A.2"] and notes


def test_serial_60_row_is_rejected_with_row_and_column():
    from addin.claims import read_claims

    claims = read_claims([["CPT", "DOS"], ["99213", 60], ["99213", 46027]])
    claims.verify()
    assert claims.lines["row"].tolist() == [3]
    rejected = claims.rejected.iloc[0]
    assert (rejected["row"], rejected["column"]) == (2, "DOS")
    assert "1900-02-29" in rejected["reason"]
