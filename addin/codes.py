"""Code, modifier and date normalisation shared by every door (CLI, Excel, checker, server).

Excel hands numbers over as floats (``47383.0``; ``100.0`` for ``00100``), users type
modifiers as ``"59,XS"`` or ``"59 XS"``, and dates arrive as serials, datetimes or text.
Everything is normalised here once so the data layer only ever sees canonical values:
codes as 5-character upper-case text, modifiers as 2-character upper-case text and dates as
``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import Enum

import numpy as np

from addin.errors import CptAddinError

CODE_LENGTH = 5
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Excel's serial 60 is 1900-02-29, a day that does not exist (the 1900 leap-year bug).
EXCEL_FICTITIOUS_SERIAL = 60

# ASCII only: ``\d`` and ``str.isdigit`` also accept full-width (``４３２３５``) and
# Arabic-Indic (``٤٣٢٣٥``) digits, which no CMS table holds; patterns are used with fullmatch
# (``$`` would accept a trailing newline).
_CODE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("CPT Category I", re.compile(r"[0-9]{5}", re.ASCII)),
    ("CPT Category II", re.compile(r"[0-9]{4}F", re.ASCII)),
    ("CPT Category III", re.compile(r"[0-9]{4}T", re.ASCII)),
    ("CPT PLA (proprietary laboratory analysis)", re.compile(r"[0-9]{4}U", re.ASCII)),
    ("CPT vaccine administration", re.compile(r"[0-9]{4}A", re.ASCII)),
    ("CPT multianalyte assay (MAAA)", re.compile(r"[0-9]{4}M", re.ASCII)),
    ("HCPCS Level II", re.compile(r"[A-V][0-9]{4}", re.ASCII)),
]
_MODIFIER_RE = re.compile(r"[A-Z0-9]{2}", re.ASCII)
_ASCII_DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)
_MODIFIER_SPLIT_RE = re.compile(r"[\s,;/|+]+")


def is_ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more of the ASCII digits 0-9 (``str.isdigit`` also
    accepts full-width, Arabic-Indic and superscript digits)."""
    return bool(_ASCII_DIGITS_RE.fullmatch(text))


def is_missing(value: object) -> bool:
    """True for an empty cell as Python, numpy or pandas hands it over: None, NaN, ``pd.NA``
    (pandas 3 string and nullable columns) and NaT."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return type(value).__name__ in ("NAType", "NaTType")


class Setting(str, Enum):
    """Which NCCI table family applies: practitioner, outpatient hospital or DME supplier."""

    practitioner = "practitioner"
    hospital = "hospital"
    dme = "dme"

    @classmethod
    def parse(cls, value: object, default: Setting | None = None) -> Setting:
        """Accept the names users type (``prac``, ``outpatient``, ``OPH``, ``DME supplier``)."""
        if isinstance(value, Setting):
            return value
        if is_missing(value) or (isinstance(value, str) and not value.strip()):
            if default is None:
                return cls.practitioner
            return default
        text = str(value).strip().lower()
        for prefix, setting in (
            ("prac", cls.practitioner),
            ("phys", cls.practitioner),
            ("prof", cls.practitioner),
            ("out", cls.hospital),
            ("hosp", cls.hospital),
            ("oph", cls.hospital),
            ("facility", cls.hospital),
            ("dme", cls.dme),
        ):
            if text.startswith(prefix):
                return setting
        raise ValueError(
            f"Unknown setting {value!r}: use practitioner, hospital (outpatient) or dme"
        )


#: The settings each NCCI table family is published for (``addin.reference.schema`` holds the
#: same facts for the store). CMS publishes PTP edits for practitioners and outpatient
#: hospitals only; MUE tables exist for all three settings.
TABLE_SETTINGS: dict[str, tuple[Setting, ...]] = {
    "ptp": (Setting.practitioner, Setting.hospital),
    "mue": (Setting.practitioner, Setting.hospital, Setting.dme),
}
TABLE_LABELS = {"ptp": "NCCI PTP", "mue": "MUE"}


class SettingNotAvailableError(CptAddinError, ValueError):
    """A setting the asked table is not published for (e.g. a PTP question for ``dme``)."""


def setting_for_table(value: object, table: str, default: Setting | None = None) -> Setting:
    """:meth:`Setting.parse`, refusing a setting ``table`` (``"ptp"``, ``"mue"``) does not have.

    The message names the valid settings: ``setting_for_table("dme", "ptp")`` raises
    :class:`SettingNotAvailableError` because NCCI publishes PTP edits for practitioner and
    hospital only (PTP edits do not apply to DME supplier claims).
    """
    setting = Setting.parse(value, default)
    valid = TABLE_SETTINGS.get(table)
    if valid is None or setting in valid:
        return setting
    label = TABLE_LABELS.get(table, table.upper())
    names = " and ".join(s.value for s in valid)
    why = " (PTP edits do not apply to DME supplier claims)" if table == "ptp" and setting is Setting.dme else ""
    raise SettingNotAvailableError(
        f"No {label} table for setting {setting.value}: CMS publishes {label} tables for "
        f"{names} only{why}; use setting {' or '.join(s.value for s in valid)}"
    )


def normalize_code(value: object) -> str | None:
    """Return a code as canonical text, or None for an empty cell.

    ``47383.0`` -> ``"47383"``, ``100`` -> ``"00100"`` (anesthesia codes lose their zeros in
    Excel), ``" 0397t "`` -> ``"0397T"``.
    The result is not validated; see :func:`code_category`.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, (int, np.integer)):
        return _pad_lost_zeros(str(int(value)))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer() and 0 <= value < 100000:
            return _pad_lost_zeros(str(int(value)))
        return str(value).strip().upper()
    text = str(value).strip().upper()
    if not text:
        return None
    if text.endswith(".0") and is_ascii_digits(text[:-2]):
        text = text[:-2]
    return _pad_lost_zeros(text)


def _pad_lost_zeros(digits: str) -> str:
    """Restore the zeros a spreadsheet dropped from a number: only the anesthesia range
    00100–01999 starts with zeros, so ``100`` -> ``00100`` while ``4738`` stays ``4738``
    (a malformed code the rules report, not a silently different code)."""
    if is_ascii_digits(digits) and len(digits) < CODE_LENGTH and 100 <= int(digits) <= 1999:
        return digits.zfill(CODE_LENGTH)
    return digits


def code_category(code: str | None) -> str | None:
    """Name the code set a code's format belongs to, or None when the format is invalid."""
    if not isinstance(code, str) or not code:  # None, NaN or pd.NA from a vector of codes
        return None
    for name, pattern in _CODE_PATTERNS:
        if pattern.fullmatch(code):
            return name
    return None


def is_valid_code_format(code: str | None) -> bool:
    """True when the code has the shape of a CPT or HCPCS Level II code."""
    return code_category(code) is not None


def normalize_modifier(value: object) -> str | None:
    """One modifier as 2-character upper-case text (``5.0``? no: ``59.0`` -> ``"59"``)."""
    if is_missing(value):
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            value = int(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value)).zfill(2)
    text = str(value).strip().upper()
    if not text:
        return None
    if text.endswith(".0") and is_ascii_digits(text[:-2]):
        text = text[:-2]
    if is_ascii_digits(text) and len(text) == 1:
        text = text.zfill(2)
    return text


def split_modifiers(value: object) -> list[str]:
    """Split a modifier cell (``"59,XS"``, ``"59 XS"``, ``"-59-XS"``, ``59.0``) into a list.

    A sequence (from ``Mod1..Mod4`` columns or an Excel range) is flattened; blanks dropped.
    """
    if is_missing(value):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        out: list[str] = []
        for item in value:
            out.extend(split_modifiers(item))
        return out
    if isinstance(value, (int, float, np.integer, np.floating)):
        mod = normalize_modifier(value)
        return [mod] if mod else []
    text = str(value).strip().upper().replace("-", " ")
    if not text:
        return []
    return [normalize_modifier(part) for part in _MODIFIER_SPLIT_RE.split(text) if part]


def is_valid_modifier_format(mod: str) -> bool:
    """True when a modifier has the 2-character shape CMS uses."""
    return isinstance(mod, str) and bool(_MODIFIER_RE.fullmatch(mod))


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y%m%d", "%m-%d-%Y", "%d-%b-%Y", "%b %d %Y")


def excel_serial_date(number: float) -> dt.date:
    """The date of an Excel (1900 date system) serial, 1 = 1900-01-01.

    Raises ValueError for serial 60, Excel's fictitious 1900-02-29; serials below 60 are one
    day later than the plain epoch count because of it.
    """
    whole = int(number)
    if whole == EXCEL_FICTITIOUS_SERIAL:
        raise ValueError("Excel serial 60 is 1900-02-29, a day that does not exist")
    return EXCEL_EPOCH + dt.timedelta(days=whole + (1 if whole < EXCEL_FICTITIOUS_SERIAL else 0))


def parse_date(value: object) -> dt.date | None:
    """Parse a date of service from an Excel serial, a datetime, or common text forms.

    Returns None for an empty value; raises ValueError for text that is not a date.
    """
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        if value != value:  # NaT
            return None
        return value.to_pydatetime().date()
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, float) and math.isnan(value):
            return None
        number = float(value)
        if 19000101 <= number <= 29991231 and number.is_integer():
            return dt.datetime.strptime(str(int(number)), "%Y%m%d").date()
        if 1 <= number < 2958466:
            return excel_serial_date(number)
        raise ValueError(f"{value!r} is not a date")
    text = str(value).strip()
    if not text:
        return None
    if "T" in text[:11] or " " in text[:11]:
        head = text[:10]
        try:
            return dt.date.fromisoformat(head)
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


def encode_codes(codes: np.ndarray | list[str]) -> np.ndarray:
    """Encode 5-character codes as int64 (6 bits a character) for sorted-array joins.

    Anything but 5 digits / upper-case letters (other lengths, lower case, punctuation)
    encodes to -1 so it never matches a stored key.
    """
    arr = np.asarray(codes)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == object and arr.size > 10_000:
        # claim columns repeat a few thousand codes: encode each distinct value once
        import pandas as pd

        positions, uniques = pd.factorize(arr, use_na_sentinel=False)
        return encode_codes(np.asarray(uniques, dtype=object).astype("U6"))[positions]
    if arr.dtype.kind != "U" or arr.dtype.itemsize // 4 != 6:
        # None/NaN become "None"/"nan" and longer text is cut to 6 characters: all invalid
        arr = arr.astype("U6")
    chars = arr.view(np.uint32).reshape(-1, 6).astype(np.int64)
    key = np.zeros(len(arr), dtype=np.int64)
    for i in range(5):
        key = (key << 6) | (chars[:, i] & 0x3F)
    # only digits and upper-case letters: 6 bits would fold lower case onto digits
    # ("4738q" onto "47381") and punctuation onto letters
    head = chars[:, :5]
    canonical = ((head >= 48) & (head <= 57)) | ((head >= 65) & (head <= 90))
    valid = (chars[:, 5] == 0) & canonical.all(axis=1)
    key[~valid] = -1
    return key


def encode_code(code: str) -> int:
    """Scalar form of :func:`encode_codes` (same key for the same code)."""
    if len(code) != 5 or not all("0" <= ch <= "9" or "A" <= ch <= "Z" for ch in code):
        return -1
    key = 0
    for ch in code.encode("ascii", "replace"):
        key = (key << 6) | (ch & 0x3F)
    return key


def pair_keys(col1: np.ndarray, col2: np.ndarray) -> np.ndarray:
    """Combine two encoded code arrays into one int64 pair key (-1 where either is invalid)."""
    key = (col1 << 32) | col2
    key[(col1 < 0) | (col2 < 0)] = -1
    return key


def pair_key(code1: str, code2: str) -> int:
    """Scalar pair key, equal to :func:`pair_keys` for the same codes."""
    a, b = encode_code(code1), encode_code(code2)
    if a < 0 or b < 0:
        return -1
    return (a << 32) | b
