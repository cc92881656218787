"""ICD-10-CM Excludes1 notes as intervals over the tabular order, built once per process.

An Excludes1 note ("NOT CODED HERE") says two conditions are never coded together. The notes
come from the CMS tabular list shipped by the ``simple-icd-10-cm`` package (the imported
order files carry no notes), so every answer names the package release.

How the notes become fast lookups:

* Every code of the tabular gets an **ordinal**: its rank in the order of a sort key made of
  its category's position in the tabular (so ``C4A`` sorts between ``C43`` and ``C44`` as in
  the book, not after ``C49`` as in ASCII) and its remaining characters. A code's subtree is
  then one interval of ordinals, and so is a block (``C00-C14``) or a chapter.
* A note sits on a chapter, block, category or subcategory (its *bearer*): the codes below the
  bearer inherit it, i.e. the bearer is an interval too. Each code reference in the note is
  parsed into an interval: ``E10.9`` (that code and any codes below it), ``E10.-`` /
  ``E10.1-`` / ``D29.2.-`` (the whole subtree), ``C00-C14`` / ``O00-O9A`` / ``A48.51-A48.52``
  (a range, compared on the characters the range names, categories in tabular order),
  ``E08-E13 with .44`` (the ``.44`` subcategory of each category of the range).
* Only code references inside parentheses count ("type 1 diabetes mellitus (E10.-)"), except in
  a note with no parenthesised code and no "see" cross-reference ("... syndrome E72.4").
  References qualified by a character rule we cannot read as an interval ("with fifth
  character 2", "with seventh character A", "with final characters -23", "with
  ketoacidosis") are not applied: better silent than wrong.
* A note line ending in ``:`` ("meningitis (in):") heads the lines after it; their text is
  shown with the heading.

:class:`Excludes1Table` holds one row per (note reference) with the bearer interval and the
excluded interval; :meth:`Excludes1Table.pairs` answers, for many (code A, code B) pairs at
once, which note on A (or an ancestor of A) excludes B, with sorted searches (no Python loop
over pairs).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.reference import derived_cache
from addin.reference.icd10_package import _package_version, module, package_source
from addin.reference.sorted_keys import SortedKeys

_CODE = r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?"
#: one code reference: a range (tried first) or a single code, each with an optional dash,
#: then an optional qualifier ("with .44", "with fifth character 2")
_REFERENCE = re.compile(
    rf"(?:(?P<lo>{_CODE})\.?-?\s*-\s*(?P<hi>{_CODE})|(?P<one>{_CODE}))(?P<dash>\.?-)?"
    r"(?P<dot>\.(?![0-9A-Z-]))?"
    r"(?:\s+with\s+(?P<with>[^,;)]*))?"
)
_PARENS = re.compile(r"\(([^()]*)\)")
_WITH_SUBCATEGORY = re.compile(r"^\.([0-9A-Z]{1,4})\s*$")


def _dotless(code: str) -> str:
    return code.replace(".", "")


@dataclass
class Excludes1Table:
    """The compiled Excludes1 notes (see the module docstring)."""

    codes: np.ndarray  # dotted codes (``U``) in tabular order (ordinal = position)
    rules: pd.DataFrame  # bearer_lo, bearer_hi, ex_lo, ex_hi, note (index into notes)
    notes: pd.DataFrame  # bearer (dotted item), text, reference (the parsed reference)
    source: str
    #: the codes sorted, for a binary search instead of a hash index built per process
    lookup: SortedKeys | None = None

    def ordinals(self, dotted_codes: np.ndarray) -> np.ndarray:
        """The ordinal of each dotted code (``E11.9``), -1 when the tabular has no such code."""
        if self.lookup is not None:
            return self.lookup.positions(dotted_codes)
        index = pd.Index(np.asarray(self.codes, dtype=object))
        return index.get_indexer(pd.Index(np.asarray(dotted_codes, dtype=object)))

    def excluded(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One bool per pair (a[i], b[i]): does any note on ``a`` (or its ancestors) exclude
        ``b``? The excluded intervals of each distinct ``a`` are merged into disjoint
        segments, so one sorted search per pair answers (no join); :meth:`pairs` names the
        notes of the pairs found."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        held = self._held(np.unique(a))
        if not len(held) or not len(a):
            return np.zeros(len(a), dtype=bool)
        stride = np.int64(len(self.codes) + 1)
        lo = held["a"].to_numpy() * stride + self.rules["ex_lo"].to_numpy()[held["rule"]]
        hi = held["a"].to_numpy() * stride + self.rules["ex_hi"].to_numpy()[held["rule"]]
        order = np.argsort(lo, kind="stable")
        lo, hi = lo[order], hi[order]
        reach = np.maximum.accumulate(hi)  # segments of one a never reach the next a's keys
        starts = np.concatenate([[True], lo[1:] > reach[:-1] + 1])
        seg_lo = lo[starts]
        seg_hi = np.maximum.reduceat(hi, np.flatnonzero(starts))
        query = a * stride + b
        at = np.searchsorted(seg_lo, query, "right") - 1
        return (at >= 0) & (query <= seg_hi[np.maximum(at, 0)])

    def _held(self, distinct_a: np.ndarray) -> pd.DataFrame:
        """``a`` (a value of the sorted ``distinct_a``) and ``rule`` for every rule whose
        bearer holds ``a``: a sorted search per rule (bearers are intervals)."""
        lo = np.searchsorted(distinct_a, self.rules["bearer_lo"].to_numpy(), "left")
        hi = np.searchsorted(distinct_a, self.rules["bearer_hi"].to_numpy(), "right")
        counts = np.maximum(hi - lo, 0)
        rule = np.repeat(np.arange(len(self.rules)), counts)
        offsets = np.arange(len(rule)) - np.repeat(np.cumsum(counts) - counts, counts)
        position = np.repeat(lo, counts) + offsets
        return pd.DataFrame({"a": distinct_a[position], "rule": rule, "position": position})

    def pairs(self, a: np.ndarray, b: np.ndarray) -> pd.DataFrame:
        """For ordinal pairs (a[i], b[i]): the notes on ``a`` (or its ancestors) excluding ``b``.

        Returns ``pair`` (index i), ``note`` (index into :attr:`notes`), one row per matching
        note (a pair may match several; none when no note applies).
        """
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        empty = pd.DataFrame({"pair": np.zeros(0, np.int64), "note": np.zeros(0, np.int64)})
        if not len(a) or not len(self.rules):
            return empty
        # the rules whose bearer holds each distinct a: a sorted search per rule over the
        # distinct a values (bearers are intervals), then the pairs of those a
        distinct_a, pair_a = np.unique(a, return_inverse=True)
        held = self._held(distinct_a)
        held = pd.DataFrame({"a": held["position"].to_numpy(), "rule": held["rule"].to_numpy()})
        wanted = pd.DataFrame({"a": pair_a, "b": b, "pair": np.arange(len(a))})
        joined = wanted.merge(held, on="a")
        if not len(joined):
            return empty
        rule = joined["rule"].to_numpy()
        ex_lo = self.rules["ex_lo"].to_numpy()[rule]
        ex_hi = self.rules["ex_hi"].to_numpy()[rule]
        bb = joined["b"].to_numpy()
        hit = (bb >= ex_lo) & (bb <= ex_hi)
        out = pd.DataFrame(
            {
                "pair": joined["pair"].to_numpy()[hit],
                "note": self.rules["note"].to_numpy()[rule[hit]],
            }
        )
        return out.drop_duplicates().sort_values(["pair", "note"]).reset_index(drop=True)


def _sort_keys(codes: list[str], category_rank: dict[str, int]) -> list[str]:
    return [f"{category_rank[c[:3]]:04d}{_dotless(c)[3:]}" for c in codes]


def _build() -> Excludes1Table:
    cm = module()
    items = list(cm.get_all_codes(with_dots=True))
    codes = list(dict.fromkeys(i for i in items if "-" not in i and not i.isdigit()))
    category_rank: dict[str, int] = {}
    for code in codes:
        category_rank.setdefault(code[:3], len(category_rank))
    raw_keys = _sort_keys(codes, category_rank)
    order = np.argsort(np.asarray(raw_keys, dtype=object), kind="stable")
    keys = np.asarray(raw_keys, dtype=object)[order]
    dotted = np.asarray(codes, dtype=object)[order]

    def key_of(code: str) -> str | None:
        category = category_rank.get(code[:3])
        if category is None:
            return None
        return f"{category:04d}{_dotless(code)[3:]}"

    def subtree(code: str) -> tuple[int, int] | None:
        key = key_of(code)
        if key is None:
            return None
        lo = int(np.searchsorted(keys, key, "left"))
        hi = int(np.searchsorted(keys, key + "\uffff", "left")) - 1
        return (lo, hi) if hi >= lo else None

    def span(first: str, last: str) -> tuple[int, int] | None:
        a, b = subtree(first), subtree(last)
        if a is None or b is None or b[1] < a[0]:
            return None
        return a[0], b[1]

    def categories_between(first: str, last: str) -> list[str]:
        a, b = category_rank.get(first[:3]), category_rank.get(last[:3])
        if a is None or b is None:
            return []
        return [c for c, rank in category_rank.items() if a <= rank <= b]

    def bearer_interval(item: str) -> tuple[int, int] | None:
        if item.isdigit():  # a chapter: from its first block to its last
            blocks = cm.get_children(item)
            if not blocks:
                return None
            first = bearer_interval(blocks[0])
            last = bearer_interval(blocks[-1])
            return (first[0], last[1]) if first and last else None
        if "-" in item:
            first, last = item.split("-", 1)
            return span(first, last)
        return subtree(item)

    def references(text: str) -> list[tuple[str, tuple[int, int]]]:
        groups = _PARENS.findall(text)
        chunks = [g for g in groups if re.search(_CODE, g)]
        if not chunks and "see " not in text.lower():
            chunks = [text]
        found: list[tuple[str, tuple[int, int]]] = []
        for chunk in chunks:
            for match in _REFERENCE.finditer(chunk):
                qualifier = (match["with"] or "").strip()
                if match["dot"] and not match["dash"]:  # "I69. with final characters -23"
                    continue
                label = match[0].strip()
                if match["one"]:
                    first = last = match["one"]
                else:
                    first, last = match["lo"], match["hi"]
                if qualifier:
                    sub = _WITH_SUBCATEGORY.match(qualifier)
                    if not sub:
                        continue  # a character rule we cannot read as intervals
                    for category in categories_between(first, last):
                        interval = subtree(f"{category}.{sub[1]}")
                        if interval:
                            found.append((label, interval))
                    continue
                interval = span(first, last)
                if interval:
                    found.append((label, interval))
        return found

    rule_rows: list[tuple[int, int, int, int, int]] = []
    note_rows: list[tuple[str, str, str]] = []
    for item in dict.fromkeys(items):
        notes = cm.get_excludes1(item)
        if not notes:
            continue
        bearer = bearer_interval(item)
        if bearer is None:
            continue
        heading = ""
        for note in notes:
            text = note.strip()
            if text.endswith(":"):
                heading = text
                continue
            shown = f"{heading} {text}" if heading else text
            for label, (lo, hi) in references(text):
                if bearer[0] <= lo and hi <= bearer[1]:
                    continue  # a note never excludes codes below its own bearer
                note_rows.append((item, shown, label))
                rule_rows.append((bearer[0], bearer[1], lo, hi, len(note_rows) - 1))
    rules = pd.DataFrame(
        rule_rows, columns=["bearer_lo", "bearer_hi", "ex_lo", "ex_hi", "note"]
    ).astype(np.int64)
    notes_frame = pd.DataFrame(note_rows, columns=["bearer", "text", "reference"])
    return Excludes1Table(
        codes=np.asarray(dotted, dtype=str),
        rules=rules,
        notes=notes_frame,
        source=f"Excludes1 notes, {package_source()}",
        lookup=SortedKeys.of(dotted),
    )


#: Layout of the cached arrays (see :func:`_arrays`); bump when it changes.
LAYOUT = 1
_RULE_COLUMNS = ["bearer_lo", "bearer_hi", "ex_lo", "ex_hi", "note"]
_NOTE_COLUMNS = ["bearer", "text", "reference"]


def _arrays(table: Excludes1Table) -> derived_cache.Arrays:
    lookup = table.lookup or SortedKeys.of(table.codes)
    arrays = {  # the codes are stored once, sorted, with their tabular order
        "sorted": lookup.keys,
        "order": lookup.order,
        "rules": table.rules[_RULE_COLUMNS].to_numpy(dtype=np.int64),
        "source": np.array([table.source], dtype=object),
    }
    for column in _NOTE_COLUMNS:
        arrays[column] = table.notes[column].to_numpy(dtype=object)
    return arrays


def _from_arrays(arrays: derived_cache.Arrays) -> Excludes1Table:
    codes = np.empty_like(arrays["sorted"])
    codes[arrays["order"]] = arrays["sorted"]
    return Excludes1Table(
        codes=codes,
        rules=pd.DataFrame(arrays["rules"], columns=_RULE_COLUMNS),
        notes=pd.DataFrame({column: arrays[column] for column in _NOTE_COLUMNS}),
        source=str(arrays["source"][0]),
        lookup=SortedKeys(arrays["sorted"], arrays["order"]),
    )


def _check(arrays: derived_cache.Arrays) -> None:
    codes, rules = arrays["sorted"], arrays["rules"]
    notes = len(arrays["bearer"])
    if rules.dtype != np.int64 or rules.ndim != 2 or rules.shape[1] != len(_RULE_COLUMNS):
        raise derived_cache.CacheDamaged("no rule table")
    lengths = {len(arrays[column]) for column in _NOTE_COLUMNS}
    if lengths != {notes} or arrays["source"].shape != (1,):
        raise derived_cache.CacheDamaged("notes of different lengths")
    if len(rules) and (
        rules.min() < 0 or int(rules[:, 4].max()) >= notes or int(rules[:, :4].max()) >= len(codes)
    ):
        raise derived_cache.CacheDamaged("rules point outside the code list")
    if not SortedKeys(codes, arrays["order"]).is_sound(len(codes)):
        raise derived_cache.CacheDamaged("inconsistent code lookup")


_TABLE: Excludes1Table | None = None
_LOCK = threading.Lock()


def excludes1_table() -> Excludes1Table:
    """The compiled Excludes1 notes of the package, built once per process.

    Building needs the package's parsed XML (seconds); the compiled table is cached per
    package version by :mod:`addin.reference.derived_cache` (checksummed arrays, never a
    pickle; a damaged cache is logged and rebuilt).
    """
    global _TABLE
    with _LOCK:
        if _TABLE is None:
            arrays = derived_cache.load(
                "excludes1",
                _package_version(),
                LAYOUT,
                lambda: _arrays(_build()),
                _check,
                "Excludes1",
            )
            _TABLE = _from_arrays(arrays)
        return _TABLE
