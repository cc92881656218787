"""Vectorised normalisation of claim columns: codes, modifiers, diagnoses, dates, units, POS.

Claim columns repeat few distinct values (a million lines use a few thousand codes, a few
hundred dates), so each column is factorised once and the scalar rules of
:mod:`addin.codes` run once per *distinct* value; results are spread back to the rows with
one ``take``. This keeps exactly one definition of each rule (the helpers every door uses)
and stays fast. Text dates are parsed with pandas' vectorised parser format by format; the
rare value none of them reads goes through :func:`addin.codes.parse_date`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.claims.table import cell_text
from addin.codes import excel_serial_date, normalize_code, parse_date, split_modifiers

#: Largest Excel date serial (9999-12-31).
MAX_EXCEL_SERIAL = 2958465
#: Units above this are refused as implausible (and to keep int64 arithmetic safe).
MAX_UNITS = 1_000_000

_DX_SPLIT_RE = re.compile(r"[\s,;|]+")
_NUMBER_RE = re.compile(r"^[+-]?\d+(?:\.\d*)?$")
_TIME_SUFFIX_RE = re.compile(
    r"^(?P<date>\S+?)(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[AaPp][Mm])?)$"
)
_EXTRA_DATE_FORMATS = (
    "%Y/%m/%d",
    "%m-%d-%Y",
    "%m-%d-%y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%B %d, %Y",
    "%d.%m.%Y",
)
# Text formats parsed vectorised, each guarded by a regex so pandas never guesses.
_VECTOR_DATE_FORMATS: tuple[tuple[str, str], ...] = (
    (r"\d{4}-\d{1,2}-\d{1,2}", "%Y-%m-%d"),
    (r"\d{1,2}/\d{1,2}/\d{4}", "%m/%d/%Y"),
    (r"\d{1,2}/\d{1,2}/\d{2}", "%m/%d/%y"),
    (r"\d{8}", "%Y%m%d"),
)
#: Why Excel serial 60 is refused as a date.
_FICTITIOUS_DAY = "is Excel's date 1900-02-29 (serial 60), a day that does not exist"
_NS_MIN = pd.Timestamp.min.ceil("D")
_NS_MAX = pd.Timestamp.max.floor("D")


@dataclass
class Coded:
    """A column as ``codes`` into a small list of distinct values (``uniques``).

    Missing cells point at a trailing ``None`` in ``uniques``, so every scalar function sees
    them too. :meth:`map` applies a function once per distinct value.
    """

    codes: np.ndarray
    uniques: list[object]

    @classmethod
    def of(cls, column: pd.Series | np.ndarray) -> Coded:
        """Factorise a column (any dtype)."""
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        values = list(uniques.tolist() if hasattr(uniques, "tolist") else uniques)
        values.append(None)
        codes = np.asarray(codes, dtype=np.int64)
        codes[codes < 0] = len(values) - 1
        return cls(codes, values)

    def map(self, func: Callable[[object], object]) -> Coded:
        """Apply ``func`` to each distinct value; equal results are merged."""
        mapped = _object_array([func(u) for u in self.uniques])
        new_codes, new_uniques = pd.factorize(mapped, use_na_sentinel=False)
        return Coded(np.asarray(new_codes, dtype=np.int64)[self.codes], list(new_uniques))

    def combine(self, other: Coded, func: Callable[[object, object], object]) -> Coded:
        """Row-wise ``func(a, b)`` of two coded columns, evaluated once per distinct pair."""
        width = len(other.uniques)
        keys = self.codes * width + other.codes
        pair_codes, pair_keys = pd.factorize(keys, use_na_sentinel=False)
        mapped = _object_array(
            [func(self.uniques[k // width], other.uniques[k % width]) for k in pair_keys.tolist()]
        )
        new_codes, new_uniques = pd.factorize(mapped, use_na_sentinel=False)
        return Coded(np.asarray(new_codes, dtype=np.int64)[pair_codes], list(new_uniques))

    def values(self) -> np.ndarray:
        """The column as an object array."""
        return _object_array(self.uniques)[self.codes]

    def categorical(self, keep: np.ndarray | None = None) -> pd.Categorical:
        """The column (rows where ``keep``, default all) as a categorical of its strings.

        Only the values that occur become categories.
        """
        codes = self.codes if keep is None else self.codes[keep]
        used = np.bincount(codes, minlength=len(self.uniques)) > 0
        remap = np.cumsum(used) - 1
        categories = pd.Index(
            [u for u, hit in zip(self.uniques, used, strict=True) if hit], dtype="str"
        )
        small = (
            np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32767 else np.int32
        )
        return pd.Categorical.from_codes(remap[codes].astype(small), categories=categories)


def _object_array(values: Sequence[object]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


# -- text fields ------------------------------------------------------------------------


def text_column(column: pd.Series) -> pd.Series:
    """Identifier text (claim, patient, NPI): stripped, ``""`` when empty, whole floats unfloated."""
    if column.dtype == "str" or isinstance(column.dtype, pd.StringDtype):
        return column.fillna("").str.strip().astype("str")
    return pd.Series(Coded.of(column).map(cell_text).values(), dtype="str")


def code_column(column: pd.Series) -> Coded:
    """CPT/HCPCS codes via :func:`addin.codes.normalize_code` (``100`` -> ``00100``); ``""`` = none."""
    return Coded.of(column).map(lambda v: normalize_code(v) or "")


def pos_value(value: object) -> str:
    """Place of service as 2-digit text (``11``, ``2`` -> ``02``, ``11.0`` -> ``11``)."""
    text = cell_text(value).upper()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if text.isdigit() and len(text) < 2:
        text = text.zfill(2)
    return text


def pos_column(column: pd.Series) -> Coded:
    """Vectorised :func:`pos_value`."""
    return Coded.of(column).map(pos_value)


def modifiers_value(value: object) -> str:
    """One modifier cell (``59,XS``, ``59 XS``, ``59;XS``, ``59.0``) as ``"59,XS"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return cell_text(value)
    return ",".join(m for m in split_modifiers(value) if m)


def dx_value(value: object) -> str:
    """One diagnosis cell (``"E11.9, I10"``, ``"e11.9;i10"``) as ``"E11.9,I10"`` (dots kept)."""
    text = cell_text(value).upper()
    if not text:
        return ""
    return ",".join(part for part in _DX_SPLIT_RE.split(text) if part)


def joined_column(columns: Sequence[pd.Series], cell: Callable[[object], str]) -> Coded:
    """Normalise each source column with ``cell`` and join them left to right with ``,``."""
    result: Coded | None = None
    for column in columns:
        coded = Coded.of(column).map(cell)
        result = coded if result is None else result.combine(coded, _join_pair)
    if result is None:
        raise ValueError("joined_column needs at least one column")
    return result


def _join_pair(left: object, right: object) -> str:
    a, b = str(left or ""), str(right or "")
    return f"{a},{b}" if a and b else a or b


def nth_item(joined: Coded, index: int) -> Coded:
    """Item ``index`` of a ``,``-joined column (``""`` when absent): ``mod1``..``mod4``."""

    def pick(value: object) -> str:
        parts = str(value or "").split(",")
        return parts[index] if index < len(parts) else ""

    return joined.map(pick)


# -- units ------------------------------------------------------------------------------


@dataclass
class UnitsResult:
    """Units per row (``int64``; 1 when blank) and, per row, why it is unreadable (or None)."""

    values: np.ndarray
    problems: np.ndarray


def units_value(value: object) -> tuple[int, str | None]:
    """Units of one cell: ``(units, None)`` or ``(0, "is not a whole number")``-style problem."""
    if isinstance(value, (bool, np.bool_)):
        return 0, "is not a number"
    text = cell_text(value)
    if not text:
        return 1, None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    elif _NUMBER_RE.match(text):
        number = float(text)
    else:
        try:
            number = float(text)
        except ValueError:
            return 0, "is not a number"
    if not math.isfinite(number):
        return 0, "is not a number"
    if not number.is_integer():
        return 0, "is not a whole number"
    if number < 0:
        return 0, "is negative"
    if number > MAX_UNITS:
        return 0, "is implausibly large"
    return int(number), None


def units_column(column: pd.Series) -> UnitsResult:
    """Vectorised :func:`units_value`."""
    coded = Coded.of(column)
    parsed = [units_value(u) for u in coded.uniques]
    values = np.array([p[0] for p in parsed], dtype=np.int64)[coded.codes]
    problems = _object_array([p[1] for p in parsed])[coded.codes]
    return UnitsResult(values, problems)


# -- dates ------------------------------------------------------------------------------


@dataclass
class DatesResult:
    """Dates per row (``datetime64[ns]`` at midnight, NaT when empty or unreadable).

    ``empty`` marks empty cells; ``problems`` holds why a non-empty cell is not a date.
    """

    values: np.ndarray
    empty: np.ndarray
    problems: np.ndarray


def date_column(column: pd.Series) -> DatesResult:
    """Parse a date-of-service column of any dtype (text, serials, datetimes, mixed)."""
    if column.dtype.kind == "M":
        values = column.dt.tz_localize(None) if getattr(column.dt, "tz", None) else column
        try:
            stamps = values.dt.normalize().astype("datetime64[ns]").to_numpy()
        except (OverflowError, ValueError):  # a year pandas' ns range cannot hold
            column = values.astype(object)
        else:
            return DatesResult(stamps, np.isnat(stamps), np.full(len(stamps), None, dtype=object))
    coded = Coded.of(column)
    parsed = parse_date_values(coded.uniques)
    stamps = np.array([p[0] for p in parsed], dtype="datetime64[ns]")
    problems = _object_array([p[1] for p in parsed])
    empties = np.array([is_empty for _, _, is_empty in parsed], dtype=bool)
    return DatesResult(stamps[coded.codes], empties[coded.codes], problems[coded.codes])


def parse_date_values(values: Sequence[object]) -> list[tuple[np.datetime64, str | None, bool]]:
    """Parse distinct cell values to ``(date, problem, empty)`` triples.

    Text in the common formats is parsed vectorised; numbers are Excel serials (1..2958465,
    also as text) or ``YYYYMMDD``; everything else goes through :func:`addin.codes.parse_date`
    one value at a time.
    """
    nat = np.datetime64("NaT", "ns")
    out: list[tuple[np.datetime64, str | None, bool]] = [(nat, None, False)] * len(values)
    texts: dict[int, str] = {}
    for i, value in enumerate(values):
        if isinstance(value, str):
            text = value.strip()
            if text:
                texts[i] = text
            else:
                out[i] = (nat, None, True)
        else:
            out[i] = _date_from_object(value)
    if not texts:
        return out
    index = list(texts)
    series = pd.Series([texts[i] for i in index], index=index, dtype=object)
    done = pd.Series(False, index=index)
    for pattern, fmt in _VECTOR_DATE_FORMATS:
        todo = series[~done]
        if todo.empty:
            break
        matched = todo[todo.str.fullmatch(pattern)]
        if matched.empty:
            continue
        parsed = pd.to_datetime(matched, format=fmt, errors="coerce")
        for i, stamp in zip(matched.index, parsed, strict=True):
            out[i] = _checked_stamp(stamp, texts[i])
        done[matched.index] = True
    for i in series[~done].index:
        out[i] = _date_from_text(texts[i])
    return out


def _checked_stamp(stamp: object, text: str) -> tuple[np.datetime64, str | None, bool]:
    nat = np.datetime64("NaT", "ns")
    if stamp is None or stamp is pd.NaT or (isinstance(stamp, float) and math.isnan(stamp)):
        return nat, "is not a date", False
    ts = pd.Timestamp(stamp)  # type: ignore[arg-type]
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    if ts < _NS_MIN or ts > _NS_MAX:
        return nat, "is out of range", False
    return np.datetime64(ts.normalize().to_datetime64(), "ns"), None, False


def _date_from_serial(number: float, text: str) -> tuple[np.datetime64, str | None, bool]:
    if not math.isfinite(number) or not 1 <= number <= MAX_EXCEL_SERIAL:
        return np.datetime64("NaT", "ns"), "is not a date", False
    try:
        day = excel_serial_date(number)
    except ValueError:
        return np.datetime64("NaT", "ns"), _FICTITIOUS_DAY, False
    return _checked_stamp(pd.Timestamp(day), text)


def _date_from_object(value: object) -> tuple[np.datetime64, str | None, bool]:
    nat = np.datetime64("NaT", "ns")
    text = cell_text(value)
    if not text:
        return nat, None, True
    if isinstance(value, (bool, np.bool_)):
        return nat, "is not a date", False
    if isinstance(value, (dt.datetime, dt.date, np.datetime64)):
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        return _checked_stamp(value, text)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if number.is_integer() and 19000101 <= number <= 29991231:
            return _date_from_text(str(int(number)))
        return _date_from_serial(number, text)
    if isinstance(value, dt.time):
        return nat, "is a time, not a date", False
    return _date_from_text(text)


def _date_from_text(text: str) -> tuple[np.datetime64, str | None, bool]:
    nat = np.datetime64("NaT", "ns")
    if _NUMBER_RE.match(text) and not (len(text) == 8 and text.isdigit()):
        return _date_from_serial(float(text), text)
    match = _TIME_SUFFIX_RE.match(text)
    candidates = [text] + ([match.group("date")] if match else [])
    for candidate in candidates:
        try:
            day = parse_date(candidate)
        except (ValueError, OverflowError):
            day = None
        if day is None:
            for fmt in _EXTRA_DATE_FORMATS:
                try:
                    day = dt.datetime.strptime(candidate, fmt).date()
                    break
                except ValueError:
                    continue
        if day is not None:
            return _checked_stamp(pd.Timestamp(day), text)
    return nat, "is not a date", False


# -- demographics (date of birth, age, sex: the MCE age and sex edits) -------------------

#: Highest age the CMS Medicare Code Editor accepts.
MAX_AGE = 124
_SEX_VALUES = {
    "M": "M",
    "MALE": "M",
    "1": "M",
    "F": "F",
    "FEMALE": "F",
    "2": "F",
    "U": "U",
    "UNK": "U",
    "UNKNOWN": "U",
    "0": "U",
    "X": "U",
}
#: The categories of the ``sex`` column (``""`` = not given, ``U`` = unknown: never judged).
SEX_CODES = ["", "M", "F", "U"]
#: Columns :func:`demographic_columns` adds to the claim lines.
DEMOGRAPHIC_COLUMNS = ("dob", "age", "sex", "demographic_problem")


def sex_value(value: object) -> tuple[str, str | None]:
    """One sex cell as ``M``/``F``/``U`` (``""`` when empty) and a problem (or None).

    ``M``/``Male``/``1`` and ``F``/``Female``/``2`` (the CMS grouper's numbers) are judged;
    ``U``/``Unknown``/``0``/``X`` are read as unknown and never judged; anything else is
    unknown with a problem.
    """
    text = cell_text(value).upper()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        return "", None
    if text in _SEX_VALUES:
        return _SEX_VALUES[text], None
    return "U", "is not a sex the checker reads (M, F, Male, Female, 1, 2 or U)"


def age_value(value: object) -> tuple[float, str | None]:
    """One age cell as whole years (NaN when empty or unreadable) and a problem (or None)."""
    if isinstance(value, (bool, np.bool_)):
        return math.nan, "is not an age in years"
    text = cell_text(value)
    if not text:
        return math.nan, None
    try:
        number = float(text)
    except ValueError:
        return math.nan, "is not an age in years"
    if not math.isfinite(number) or not number.is_integer():
        return math.nan, "is not a whole number of years"
    if number < 0:
        return math.nan, "is negative"
    if number > MAX_AGE:
        return math.nan, f"is above {MAX_AGE}, the highest age the Medicare Code Editor accepts"
    return number, None


def _problem_text(column: pd.Series, problems: np.ndarray, label: str) -> np.ndarray:
    out = np.full(len(problems), "", dtype=object)
    bad = np.flatnonzero(problems != None)  # noqa: E711 - element-wise on an object array
    if len(bad):
        values = column.iloc[bad].tolist()
        texts = [cell_text(v) for v in values]
        out[bad] = [
            f'{label} "{t if len(t) <= 40 else t[:39] + "…"}" {p}'
            for t, p in zip(texts, problems[bad], strict=True)
        ]
    return out


def demographic_columns(columns: dict[str, tuple[pd.Series, str]], n: int) -> dict[str, object]:
    """``dob``, ``age``, ``sex`` and ``demographic_problem`` for ``n`` rows.

    ``columns`` maps the canonical names present in the input to (column, header as typed).
    An unreadable cell is not a rejected row: the line is checked, its date of birth, age or
    sex is left unknown, and ``demographic_problem`` says why (``Header "value" problem``).
    """
    dob = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    age = np.full(n, np.nan)
    sex_codes = np.zeros(n, dtype=np.int8)
    problems: list[np.ndarray] = []
    if "dob" in columns:
        column, label = columns["dob"]
        dates = date_column(column)
        dob = dates.values
        problems.append(_problem_text(column, dates.problems, label))
    if "age" in columns:
        column, label = columns["age"]
        coded = Coded.of(column)
        parsed = [age_value(u) for u in coded.uniques]
        age = np.array([p[0] for p in parsed], dtype=float)[coded.codes]
        problems.append(
            _problem_text(column, _object_array([p[1] for p in parsed])[coded.codes], label)
        )
    if "sex" in columns:
        column, label = columns["sex"]
        coded = Coded.of(column)
        parsed = [sex_value(u) for u in coded.uniques]
        lookup = np.array([SEX_CODES.index(p[0]) for p in parsed], dtype=np.int8)
        sex_codes = lookup[coded.codes]
        problems.append(
            _problem_text(column, _object_array([p[1] for p in parsed])[coded.codes], label)
        )
    problems = [texts for texts in problems if (texts != "").any()]
    problem: np.ndarray | None = None
    for texts in problems:
        problem = (
            texts
            if problem is None
            else np.where(
                (problem != "") & (texts != ""),
                problem + "; " + texts,
                np.where(texts != "", texts, problem),
            )
        )
    return {
        "dob": dob,
        "age": age,
        "sex": pd.Categorical.from_codes(sex_codes, categories=pd.Index(SEX_CODES, dtype="str")),
        "demographic_problem": _text_categorical(problem, n),
    }


def _text_categorical(values: np.ndarray | None, n: int) -> pd.Categorical:
    """Mostly-empty text as a categorical (None: all empty, no per-row string objects)."""
    if values is None or not (values != "").any():
        return pd.Categorical.from_codes(
            np.zeros(n, dtype=np.int8), categories=pd.Index([""], dtype="str")
        )
    return pd.Categorical(values.astype(str))


def prepared_demographics(frame: pd.DataFrame) -> dict[str, object]:
    """The demographic columns of claim lines for the rules (defaults where absent)."""
    n = len(frame)
    empty = demographic_columns({}, n)
    out: dict[str, object] = {}
    for name in DEMOGRAPHIC_COLUMNS:
        if name not in frame:
            out[name] = empty[name]
        elif name == "dob":
            column = frame[name]
            if column.dtype != "datetime64[ns]":
                column = pd.to_datetime(column, errors="coerce").astype("datetime64[ns]")
            out[name] = column.to_numpy()
        elif name == "age":
            column = frame[name]
            if column.dtype.kind != "f":
                column = pd.to_numeric(column, errors="coerce")
            out[name] = column.to_numpy(dtype=float)
        elif (
            name == "sex"
            and isinstance(frame[name].dtype, pd.CategoricalDtype)
            and set(frame[name].cat.categories) <= {"", "M", "F", "U"}
        ):
            out[name] = frame[name].reset_index(drop=True)
        elif name == "sex":  # lines built by hand may carry "Male", "2" ...: read them again
            coded = Coded.of(frame[name].astype(object)).map(lambda v: sex_value(v)[0])
            out[name] = pd.Categorical(coded.values(), categories=SEX_CODES)
        elif isinstance(frame[name].dtype, pd.CategoricalDtype):
            out[name] = frame[name].reset_index(drop=True)
        else:
            text = frame[name].astype(object).fillna("").astype(str).to_numpy()
            out[name] = _text_categorical(text, n)
    return out
