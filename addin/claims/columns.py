"""Which input column is which claim field: header aliases, header-row detection, ``--map``.

Headers are compared by a key that ignores case, spaces and punctuation (``"CPT/HCPCS"``,
``"cpt hcpcs"`` and ``"CPT-HCPCS"`` are the same; ``#`` reads as ``no`` so ``"Claim #"`` is
``"Claim No"``). Aliases are listed best first: when two columns could feed one single-valued
field the better alias wins (``CPT`` over ``Code``), then the leftmost column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from addin.claims.model import CANONICAL_COLUMNS, MULTI_COLUMNS
from addin.claims.nearmiss import NearMiss, NearMissIndex
from addin.claims.table import MAX_COLUMNS, cell_text

#: How many rows from the top are searched for the header row (title rows may sit above it).
HEADER_SCAN_ROWS = 30

#: Aliases per canonical column, best first (compared by :func:`header_key`).
ALIASES: dict[str, tuple[str, ...]] = {
    "claim_id": (
        "claim_id",
        "Claim ID",
        "Claim #",
        "Claim Number",
        "ClaimNo",
        "Claim",
        "Claim Key",
        "Encounter",
        "Encounter ID",
        "Encounter #",
        "Encounter Number",
        "Visit ID",
        "Visit #",
        "Invoice",
        "Invoice #",
        "Invoice Number",
        "ICN",
        "TCN",
    ),
    "patient_id": (
        "patient_id",
        "Patient ID",
        "MRN",
        "Medical Record Number",
        "Member ID",
        "Patient #",
        "Patient Number",
        "Patient Account",
        "Patient Account #",
        "Patient Acct",
        "Pt ID",
        "Account #",
        "Account Number",
        "Account",
        "Acct #",
        "Subscriber ID",
        "Beneficiary ID",
        "MBI",
        "Patient",
    ),
    "provider_npi": (
        "provider_npi",
        "Rendering NPI",
        "Rendering Provider NPI",
        "Provider NPI",
        "Servicing NPI",
        "Performing NPI",
        "Rendering Physician NPI",
        "NPI",
        "Rendering Provider",
        "Provider ID",
        "Provider",
        "Billing NPI",
    ),
    "dos": (
        "dos",
        "Date of Service",
        "DOS",
        "Service Date",
        "DOS From",
        "From DOS",
        "From Date",
        "Date of Service From",
        "Service From Date",
        "Service From",
        "Svc Date",
        "Date of Svc",
        "Line DOS",
        "Visit Date",
        "Encounter Date",
        "Date",
    ),
    "cpt": (
        "cpt",
        "CPT",
        "CPT Code",
        "CPT/HCPCS",
        "CPT/HCPCS Code",
        "HCPCS/CPT",
        "HCPCS",
        "HCPCS Code",
        "CPT4",
        "Procedure Code",
        "Proc Code",
        "Procedure",
        "Proc",
        "Service Code",
        "Billing Code",
        "Code",
    ),
    "modifiers": (
        "modifiers",
        "Modifiers",
        "Modifier",
        "Mods",
        "Mod",
        "CPT Modifiers",
        "CPT Modifier",
        "Modifier Codes",
    ),
    "units": (
        "units",
        "Units",
        "Unit",
        "Qty",
        "Quantity",
        "Days/Units",
        "Days or Units",
        "Service Units",
        "Units of Service",
        "UOS",
        "Billed Units",
    ),
    "dx": (
        "dx",
        "DX",
        "DX Codes",
        "DX Code",
        "Diagnosis",
        "Diagnosis Codes",
        "Diagnosis Code",
        "Diagnoses",
        "ICD-10",
        "ICD10",
        "ICD-10-CM",
        "ICD-10 Codes",
        "ICD-10 Code",
        "ICD Codes",
        "ICD Code",
        "ICD",
        "Diag",
        "Diag Codes",
    ),
    "pos": ("pos", "POS", "Place of Service", "POS Code", "Place of Svc", "Place Of Service Code"),
    # demographics (issue 12): the MCE age and sex edits
    "dob": (
        "dob",
        "DOB",
        "Date of Birth",
        "Birth Date",
        "Patient DOB",
        "Patient Date of Birth",
        "Patient Birth Date",
        "Birthdate",
        "Pt DOB",
        "Member DOB",
    ),
    "age": ("age", "Age", "Patient Age", "Pt Age", "Age at Service", "Age (Years)"),
    "sex": (
        "sex",
        "Sex",
        "Gender",
        "Patient Sex",
        "Patient Gender",
        "Pt Sex",
        "Pt Gender",
        "Member Sex",
        "Member Gender",
    ),
}

# Numbered columns feeding a multi-valued field: Mod1..Mod4, Modifier 2, M3; DX1..DX12,
# Diagnosis 4, ICD1, "Dx Code 3".
_NUMBERED: dict[str, re.Pattern[str]] = {
    "modifiers": re.compile(
        r"^(?:mod|mods|modifier|modifiers|m|cptmod|cptmodifier)(?:code)?\d{1,2}$"
    ),
    "dx": re.compile(
        r"^(?:dx|diag|diagnosis|diagnosiscode|dxcode|icd|icd10|icd10cm|icdcode|icd10code)"
        r"(?:code)?\d{1,2}$"
    ),
}


def header_key(text: object) -> str:
    """Comparison key of a header: lower case, ``#`` read as ``no``, only letters and digits."""
    return re.sub(r"[^a-z0-9]", "", cell_text(text).lower().replace("#", "no"))


_ALIAS_INDEX: dict[str, tuple[str, int]] = {}
for _canonical, _aliases in ALIASES.items():
    for _priority, _alias in enumerate(_aliases):
        _ALIAS_INDEX.setdefault(header_key(_alias), (_canonical, _priority))


_NEAR_MISSES = NearMissIndex(
    {canonical: [header_key(a) for a in aliases] for canonical, aliases in ALIASES.items()}
)
_NEAR_MISSES_NUMBERED = NearMissIndex(
    {c: [header_key(a) for a in aliases] for c, aliases in ALIASES.items() if c in MULTI_COLUMNS}
)
_TRAILING_NUMBER_RE = re.compile(r"\d{1,2}$")


def near_miss(position: int, text: str) -> NearMiss | None:
    """The claim field an unused header ``text`` looks like a typo of (``Modifers``), or None.

    A numbered header (``Modifer 2``) is compared without its number against the fields that
    take numbered columns (modifiers, dx).
    """
    key = header_key(text)
    hit = _NEAR_MISSES.closest(key)
    if hit is None:
        stripped = _TRAILING_NUMBER_RE.sub("", key)
        if stripped != key:
            hit = _NEAR_MISSES_NUMBERED.closest(stripped)
    return None if hit is None else NearMiss(position, text, hit[0], hit[1])


def typo_hint(headers: Sequence[str]) -> str:
    """For a "no code column" message: ``; column 'Proceedure Code' ... did you mean cpt? ...``
    when a header looks like a typo of the code column, else ``""``."""
    for position, text in enumerate(headers[: MAX_COLUMNS + 1]):
        text = cell_text(text)
        if text and match_header(text) is None:
            miss = near_miss(position, text)
            if miss is not None and miss.canonical == "cpt":
                return "; " + _near_miss_text(miss)
    return ""


def match_header(text: object) -> tuple[str, int] | None:
    """The canonical column a header names and its alias priority (lower is better)."""
    key = header_key(text)
    if not key:
        return None
    hit = _ALIAS_INDEX.get(key)
    if hit is not None:
        return hit
    for canonical, pattern in _NUMBERED.items():
        if pattern.match(key):
            return canonical, 0
    return None


def _requested_headers(column_map: Mapping[str, object] | None) -> dict[str, list[str]]:
    """``column_map`` with every value as a list of header texts (validation in map_columns)."""
    out: dict[str, list[str]] = {}
    for canonical, value in (column_map or {}).items():
        values = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        out[canonical] = [str(v) for v in values]
    return out


def _matches_requested(cell: str, wanted: str) -> bool:
    return cell == wanted.strip() or (
        bool(header_key(cell)) and header_key(cell) == header_key(wanted)
    )


def row_fields(cells: Sequence[object], column_map: Mapping[str, object] | None = None) -> set[str]:
    """The canonical fields a candidate header row names (aliases and ``--map`` headers)."""
    requested = _requested_headers(column_map)
    found: set[str] = set()
    for cell in cells[: MAX_COLUMNS + 1]:  # a wider row is refused anyway: bound the work
        if not isinstance(cell, str):
            continue
        text = cell.strip()
        if not text:
            continue
        mapped = [
            c for c, wanted in requested.items() if any(_matches_requested(text, w) for w in wanted)
        ]
        if mapped:
            found.update(mapped)
            continue
        hit = match_header(text)
        if hit is not None and hit[0] not in requested:
            found.add(hit[0])
    return found


def find_header_row(
    rows: Sequence[Sequence[object]],
    column_map: Mapping[str, object] | None = None,
    max_scan: int = HEADER_SCAN_ROWS,
) -> int | None:
    """Index of the header row among the first ``max_scan`` rows, or None.

    The header row is the one naming the most claim fields; it must name a code column. Ties
    go to the upper row, so a title row above the header never wins over it.
    """
    best: tuple[int, int] | None = None  # (score, index)
    for index, cells in enumerate(rows[:max_scan]):
        fields = row_fields(cells, column_map)
        if "cpt" not in fields:
            continue
        if best is None or len(fields) > best[0]:
            best = (len(fields), index)
    return None if best is None else best[1]


@dataclass
class ColumnMapping:
    """Where each canonical field comes from.

    Attributes:
        sources: canonical -> positions of the input columns feeding it (one for single-valued
            fields; several, left to right, for ``modifiers`` and ``dx``).
        extras: positions of the columns that feed no field (carried through untouched).
        notes: choices the user should know about.
        ignored: positions the user asked to ignore (``--ignore-column``; also in ``extras``).
    """

    sources: dict[str, list[int]] = field(default_factory=dict)
    extras: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored: list[int] = field(default_factory=list)


class MappingError(ValueError):
    """``--map`` names an unknown field or a header the file does not have."""


class UnusedColumnError(MappingError):
    """Unused headers look like a typo of a claim field; ``misses`` says which and of what."""

    def __init__(self, misses: list[NearMiss]) -> None:
        self.misses = misses
        super().__init__("; ".join(_near_miss_text(m) for m in misses))


def _arg(text: str) -> str:
    """A header as a command-line argument (quoted when it has spaces or quotes)."""
    return text if re.fullmatch(r"[\w./#-]+", text) else '"' + text.replace('"', '\\"') + '"'


def _near_miss_text(miss: NearMiss) -> str:
    return (
        f"column '{miss.header}' is not used — did you mean {miss.canonical}? "
        f"add --map {miss.canonical}={_arg(miss.header)}, "
        f"or --ignore-column {_arg(miss.header)}"
    )


def validate_column_map(column_map: Mapping[str, object] | None) -> None:
    """Raise :class:`MappingError` when ``--map`` names a field that does not exist or no header."""
    for canonical, value in (column_map or {}).items():
        if canonical not in CANONICAL_COLUMNS:
            raise MappingError(
                f'--map names unknown column "{canonical}"; use one of: '
                + ", ".join(CANONICAL_COLUMNS)
            )
        values = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise MappingError(f"--map {canonical}= needs a header name")
        if len(values) > 1 and canonical not in MULTI_COLUMNS:
            raise MappingError(
                f"--map {canonical} takes one header (only modifiers and dx take several)"
            )


def _ignored_positions(texts: list[str], ignore: Sequence[str] | None) -> list[int]:
    """Positions of the ``--ignore-column`` headers; :class:`MappingError` for one not found."""
    out: list[int] = []
    for wanted in ignore or ():
        if not isinstance(wanted, str) or not wanted.strip():
            raise MappingError("--ignore-column needs a header name")
        exact = [j for j, t in enumerate(texts) if t == wanted.strip()]
        hits = exact or [j for j, t in enumerate(texts) if _matches_requested(t, wanted)]
        if not hits:
            raise MappingError(f'--ignore-column "{wanted}": no column "{wanted}" in the header row')
        out.extend(j for j in hits if j not in out)
    return sorted(out)


def map_columns(
    headers: Sequence[str],
    column_map: Mapping[str, object] | None = None,
    ignore: Sequence[str] | None = None,
) -> ColumnMapping:
    """Decide which input column feeds which canonical field.

    ``column_map`` (canonical -> header or list of headers, from ``--map``) wins over aliases;
    a mapped header that is not in ``headers`` raises :class:`MappingError` naming it.
    ``ignore`` (``--ignore-column``) names headers that feed no field and raise no alarm.

    Nothing is left out without a word: a header that an alias names but that is not used
    (another column feeds that field) gets a note, and an unused header that looks like a
    typo of a field (:func:`near_miss`) raises :class:`UnusedColumnError` when that field has
    no column yet (or takes several), else gets a note.
    """
    validate_column_map(column_map)
    requested = _requested_headers(column_map)
    texts = [h.strip() for h in headers]
    result = ColumnMapping()
    ignored = _ignored_positions(texts, ignore)
    result.ignored = ignored
    taken: set[int] = set(ignored)
    for canonical, wanted_list in requested.items():
        positions: list[int] = []
        for wanted in wanted_list:
            exact = [j for j, t in enumerate(texts) if t == wanted.strip() and j not in taken]
            loose = [
                j for j, t in enumerate(texts) if j not in taken and _matches_requested(t, wanted)
            ]
            hits = exact or loose
            if not hits:
                raise MappingError(
                    f'--map {canonical}="{wanted}": no column "{wanted}" in the header row'
                )
            if canonical not in MULTI_COLUMNS:
                hits = hits[:1]
            positions.extend(hits)
            taken.update(hits)
        result.sources[canonical] = sorted(positions)

    candidates: dict[str, list[tuple[int, int]]] = {}
    for j, text in enumerate(texts):
        if j in taken:
            continue
        hit = match_header(text)
        if hit is None:
            continue
        if hit[0] in requested:
            result.notes.append(
                f'column "{text}" looks like {hit[0]} but --map {hit[0]} names '
                + ", ".join(f'"{w}"' for w in requested[hit[0]])
                + f': "{text}" kept as an extra column'
            )
            continue
        candidates.setdefault(hit[0], []).append((hit[1], j))

    for canonical in CANONICAL_COLUMNS:
        found = candidates.get(canonical)
        if not found:
            continue
        if canonical in MULTI_COLUMNS:
            result.sources[canonical] = sorted(j for _, j in found)
            continue
        found.sort()
        chosen = found[0][1]
        result.sources[canonical] = [chosen]
        others = sorted(j for _, j in found[1:])
        if others:
            names = ", ".join(f'"{texts[j]}"' for j in others)
            result.notes.append(
                f'several columns look like {canonical}: using "{texts[chosen]}", '
                f"keeping {names} as extra column(s)"
            )
    used = {j for positions in result.sources.values() for j in positions}
    result.extras = [j for j in range(len(texts)) if j not in used]
    _check_unused(texts, result)
    return result


def _check_unused(texts: list[str], result: ColumnMapping) -> None:
    """Raise :class:`UnusedColumnError` (or note) for unused headers that look like typos."""
    ignored = set(result.ignored)
    misses: list[NearMiss] = []
    seen: set[str] = set()
    for j in result.extras:
        if j in ignored or not texts[j] or texts[j] in seen:
            continue
        seen.add(texts[j])
        miss = near_miss(j, texts[j])
        if miss is None:
            continue
        if miss.canonical in result.sources and miss.canonical not in MULTI_COLUMNS:
            source = texts[result.sources[miss.canonical][0]]
            result.notes.append(
                f'column "{miss.header}" is not used: it looks like {miss.canonical}, which '
                f'comes from "{source}" (--ignore-column silences this note)'
            )
        else:
            misses.append(miss)
    if misses:
        raise UnusedColumnError(misses)
