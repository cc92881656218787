"""The fast paths behind the Excel functions give the same words as the slow ones:
descriptions in bulk from the first miss of a date, edit summaries over numpy columns."""

from __future__ import annotations

import datetime as dt

import numpy as np

from addin import udfs
from addin.excel import answers
from addin.verdicts import edit_summaries, edit_summary

DOS = dt.date(2026, 7, 15)
CODES = ["47383", "0397T", "77002", "G0364", "00100", "99999", "4738X", "A0425", "11730", 100.0]


def test_the_first_description_of_a_date_describes_every_code_of_that_date(bundled):
    assert udfs.CPT_DESC("47383", DOS)
    assert answers._bulk_done.get(DOS)  # the next new code on that date is a dictionary lookup
    assert answers._bulk_done[DOS].get("77002")


def test_bulk_descriptions_from_the_first_miss_equal_single_lookups(bundled, monkeypatch):
    monkeypatch.setattr(answers, "EAGER_BULK_DATES", 0)
    monkeypatch.setattr(answers, "BULK_AFTER_MISSES", 10**9)
    single = [udfs.CPT_DESC(code, DOS) for code in CODES]
    assert not answers._bulk_done
    monkeypatch.undo()
    answers.clear()
    assert [udfs.CPT_DESC(code, DOS) for code in CODES] == single
    assert answers._bulk_done


def test_later_dates_take_the_bulk_only_after_misses(bundled):
    days = [DOS + dt.timedelta(days=n) for n in range(answers.EAGER_BULK_DATES + 1)]
    for day in days:
        udfs.CPT_DESC("47383", day)
    assert set(answers._bulk_done) == set(days[:-1])  # a sheet with a date per row pays no bulk each
    for n in range(answers.BULK_AFTER_MISSES):
        udfs.CPT_DESC(f"4{n:04d}", days[-1])
    assert days[-1] in answers._bulk_done


def test_edit_summaries_of_numpy_columns_equal_one_by_one():
    codes = ["99213", "43235", "92002", "0001A", "G0364", "99499", "92014", "92015"]
    cases = [(i, a, b) for i in (0, 1, 9) for a in codes for b in codes]
    indicators = np.asarray([c[0] for c in cases], dtype=np.int64)
    first = np.asarray([c[1] for c in cases], dtype=object)
    second = np.asarray([c[2] for c in cases], dtype=object)
    expected = [edit_summary(*case) for case in cases]
    assert edit_summaries(indicators, first, second) == expected
    assert edit_summaries(indicators.astype(np.int8), first, second) == expected
