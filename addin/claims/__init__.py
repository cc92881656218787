"""Reading claim spreadsheets: any layout in, one normalised table out.

>>> from addin.claims import read_claims
>>> claims = read_claims("claims.xlsx")          # doctest: +SKIP
>>> claims.lines[["row", "cpt", "modifiers", "dos"]]  # doctest: +SKIP

Modules: :mod:`.sniff` (encoding and delimiter of text files), :mod:`.csvfile` (text files),
:mod:`.xlsx` (workbook safety and reading), :mod:`.table` (the raw table every source becomes),
:mod:`.columns` (header aliases and ``--map``), :mod:`.normalize` (vectorised field rules),
:mod:`.reader` (:func:`read_claims`), :mod:`.model` (:class:`ClaimsInput`).
"""

from __future__ import annotations

from addin.claims.model import CANONICAL_COLUMNS, LINE_COLUMNS, REJECTED_COLUMNS, ClaimsInput
from addin.claims.reader import read_claims

__all__ = ["CANONICAL_COLUMNS", "LINE_COLUMNS", "REJECTED_COLUMNS", "ClaimsInput", "read_claims"]
