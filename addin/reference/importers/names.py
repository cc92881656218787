"""What a file's name (or title, or sheet name) says: vintage, setting, part.

Used only to label an import; a file's layout is always recognised by content. Users can
override with ``--setting`` / ``--vintage`` (:class:`Hints`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TypeVar

from addin.codes import Setting
from addin.errors import InputFileError
from addin.reference import schema
from addin.reference.importers.common import Hints, Source

QUARTER_START_MONTH = {1: 1, 2: 4, 3: 7, 4: 10}
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
T = TypeVar("T")


def vintage_from_text(text: str) -> dt.date | None:
    """Find a vintage in a file name, sheet name or title line.

    Recognises ``2024q3`` / ``V2026Q2`` / ``2026-q2`` (quarter start), ``Eff_04-01-2026``,
    NCCI versions ``v322r0`` (v32.2 = 2026 Q3: major N is year 1994 + N, minor 0..3 is Q1..Q4),
    RVU names ``PPRRVU2025_Oct`` / ``rvu25d`` (A..D = Jan, Apr, Jul, Oct), HCPCS
    ``HCPC2026_OCT``, titles such as ``2025 ... October Release``, and a lone year (January 1).
    """
    lower = text.lower()
    patterns: list[tuple[str, Callable[[re.Match[str]], dt.date]]] = [
        (
            r"eff(?:ective)?[ _-]*(\d{1,2})[-_/](\d{1,2})[-_/](\d{4})",
            lambda m: dt.date(int(m[3]), int(m[1]), int(m[2])),
        ),
        (
            r"(?<!\d)(20\d{2})[ _-]?q([1-4])(?!\d)",
            lambda m: dt.date(int(m[1]), QUARTER_START_MONTH[int(m[2])], 1),
        ),
        (
            r"(?<![a-z0-9])q([1-4])[ _-]?(20\d{2})(?!\d)",
            lambda m: dt.date(int(m[2]), QUARTER_START_MONTH[int(m[1])], 1),
        ),
        (
            r"(?<![a-z])v(\d{2})([0-3])r\d+",
            lambda m: dt.date(1994 + int(m[1]), QUARTER_START_MONTH[int(m[2]) + 1], 1),
        ),
        (
            r"(?<![a-z])rvu(\d{2})([a-d])(?![a-z])",
            lambda m: dt.date(2000 + int(m[1]), QUARTER_START_MONTH["abcd".index(m[2]) + 1], 1),
        ),
        (
            r"(20\d{2}|\d{2})[ _-]?(jan|apr|jul|oct)(?:uary|il|y|ober)?(?![a-z])",
            lambda m: dt.date(_year(m[1]), _MONTHS[m[2]], 1),
        ),
        (
            r"(20\d{2})\b.*?\b(january|april|july|october)\s+release",
            lambda m: dt.date(int(m[1]), _MONTHS[m[2]], 1),
        ),
        (r"(?<!\d)((?:19|20)\d{2})(?!\d)", lambda m: dt.date(int(m[1]), 1, 1)),
    ]
    for pattern, build in patterns:
        match = re.search(pattern, lower)
        if match:
            try:
                return build(match)
            except (ValueError, KeyError):
                continue
    return None


def fiscal_year_vintage(text: str) -> dt.date | None:
    """The first day of the ICD-10-CM release a file name names (US federal fiscal years).

    ICD-10-CM files carry the fiscal year, which starts on 1 October of the year before:
    ``icd10cm_order_2026.txt`` / ``FY2026`` -> 2025-10-01. A mid-year April update
    (``...April-1-2026...``, ``2026_april``) starts on 1 April of that year.
    """
    lower = text.lower()
    match = re.search(r"(?<!\d)(20\d{2})(?!\d)", lower)
    if match is None:
        return None
    year = int(match[1])
    if re.search(r"(?<![a-z])apr(?:il)?(?![a-z])", lower):
        return dt.date(year, 4, 1)
    return dt.date(year - 1, 10, 1)


def fiscal_year(day: dt.date) -> int:
    """The US federal fiscal year a date falls in (FY2026 = 2025-10-01 .. 2026-09-30)."""
    return day.year + 1 if day.month >= 10 else day.year


def _year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def setting_from_text(text: str) -> str | None:
    """Find the NCCI setting in a file name or title (``ccipra``, ``outpatient``, ``DME``...)."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]
    for token in tokens:
        if token.startswith(("ccipra", "prac", "physician", "professional")):
            return Setting.practitioner.value
        if token.startswith(("ccioph", "ccihcfa", "out", "hosp", "facility", "oph")):
            return Setting.hospital.value
        if token.startswith("dme"):
            return Setting.dme.value
    return None


def part_from_name(name: str) -> str:
    """The part of a multi-part PTP file (``ccipra-v322r0-f2.txt`` -> ``f2``), else ``""``."""
    match = re.search(r"(?<![a-z0-9])f([1-9])(?![0-9])", name.lower())
    return f"f{match[1]}" if match else ""


def quarter_start(day: dt.date) -> dt.date:
    """First day of the quarter a date falls in."""
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def parse_vintage(value: object) -> dt.date:
    """Parse a ``--vintage`` value: ``2026Q3``, ``2026-07-01``, ``07/01/2026`` or a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})\s*-?\s*[qQ]([1-4])", text)
    if match:
        return dt.date(int(match[1]), QUARTER_START_MONTH[int(match[2])], 1)
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a vintage: use 2026Q3 or 2026-07-01")


def resolve_setting(
    table: str,
    source: Source,
    hints: Hints,
    from_content: str | None = None,
) -> str:
    """Decide the setting of an import: content, then ``--setting``, then the file name.

    A ``--setting`` that contradicts what the file itself says is refused rather than
    silently mislabelling a whole table.
    """
    allowed = schema.TABLE_SETTINGS[table]
    if allowed == (schema.ALL_SETTINGS,):
        return schema.ALL_SETTINGS
    override = Setting.parse(hints.setting).value if hints.setting else None
    if override not in allowed:
        override = None  # ``--setting dme`` labels the MUE files of a folder, not its PTP files
    if from_content and override and from_content != override:
        raise InputFileError(
            source.name,
            f"the file says it is the {from_content} table but --setting {override} was given",
        )
    setting = from_content or override or _first_hint(setting_from_text, source.name_chain)
    if setting is None:
        raise InputFileError(
            source.name,
            f"cannot tell which setting this {table.upper()} table is for: keep CMS's file "
            f"name or pass --setting ({' / '.join(allowed)})",
        )
    if setting not in allowed:
        raise InputFileError(
            source.name, f"{table.upper()} tables have no {setting} setting ({', '.join(allowed)})"
        )
    return setting


def resolve_vintage(
    table: str,
    source: Source,
    hints: Hints,
    from_content: dt.date | None = None,
    fallback: dt.date | None = None,
    notes: list[str] | None = None,
) -> dt.date:
    """Decide the vintage: ``--vintage``, then the file's content, name, or a fallback."""
    if hints.vintage:
        return hints.vintage
    # the file's name, else the zip's (medicare-ncci-2026q2-...)
    vintage = from_content or _first_hint(vintage_from_text, source.name_chain)
    if vintage is None and fallback is not None:
        vintage = fallback
        if notes is not None:
            notes.append(f"no date in the file or its name; vintage set to {fallback.isoformat()}")
    if vintage is None:
        raise InputFileError(
            source.name,
            f"cannot tell which quarter this {table.upper()} file is for: keep CMS's file name "
            "(e.g. ..._2026q3...) or pass --vintage 2026Q3",
        )
    return vintage


def _first_hint(find: Callable[[str], T | None], names: list[str]) -> T | None:
    for name in names:
        found = find(name)
        if found is not None:
            return found
    return None
