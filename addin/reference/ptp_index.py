"""A PTP table held as sorted numpy arrays: point and vector pair queries share one code path.

Each row's (Column 1, Column 2) is packed into one int64 ``pair_key`` (see
:func:`addin.codes.pair_keys`); rows are sorted by it, so finding every episode of a pair is
two ``searchsorted`` calls. Dates are int32 days since 1970-01-01 with sentinels for
"from the start" (missing effective date) and "still active" (deletion date ``*``). Codes are
decoded back from the key, so no per-row string arrays are kept (2.5M rows ≈ 40 MB).

Pair lookups go through a :class:`PairDirectory`: one sorted entry per unordered pair of
codes with the row ranges of both orders, so a vector query is one ``searchsorted`` per pair
(no hash table to build). Imports store the directory beside the Parquet file
(:mod:`addin.reference.ptp_index_file`); a store without it builds it in memory.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np

from addin.codes import encode_code, encode_codes, pair_keys
from addin.lazy import pandas as pd

NO_START = np.iinfo(np.int32).min
NO_END = np.iinfo(np.int32).max
EPOCH = dt.date(1970, 1, 1)
NOT_APPLICABLE = 9

#: Which of several rows in force for one pair on a date governs (DOMAIN.md, "Decisions"):
#: the strictest (indicator 0 over 1), then the earliest effective date (unknown = earliest),
#: then the lower Column 1 code, Column 2 code, and the active row before a dated one. Sort
#: ascending by these columns with missing dates first; :func:`governing_key` is the same
#: order for one :class:`~addin.reference.models.PtpEdit`.
GOVERNING_ORDER = ["modifier_indicator", "effective_date", "column_1", "column_2", "deletion_date"]


def governing_key(edit) -> tuple:
    """Sort key of one PTP row (a ``PtpEdit``) in :data:`GOVERNING_ORDER`: the row that
    governs among those in force sorts first. The point answers (``pair``) and the vector
    rule (``ptp_edits_for``) both pick with it, so they agree whichever order the codes
    are typed in."""
    return (
        int(edit.modifier_indicator),
        edit.effective_date or dt.date.min,
        str(edit.column_1),
        str(edit.column_2),
        edit.deletion_date or dt.date.min,
    )


def date_to_day(value: dt.date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def day_to_date(day: int) -> dt.date | None:
    """Inverse of :func:`date_to_day`; sentinels become None."""
    if day in (NO_START, NO_END):
        return None
    return EPOCH + dt.timedelta(days=int(day))


def days_from_series(values: pd.Series, missing: int) -> np.ndarray:
    """Dates (any pandas date-like dtype) as int32 days, ``missing`` where empty."""
    stamps = pd.to_datetime(values, errors="coerce")
    days = stamps.to_numpy(dtype="datetime64[D]").astype("int64")
    out = np.where(stamps.isna().to_numpy(), missing, days)
    return out.astype(np.int32)


def decode_code(key: int) -> str:
    """Decode one 30-bit code key back to its 5 characters."""
    chars = []
    for shift in (24, 18, 12, 6, 0):
        value = (key >> shift) & 0x3F
        chars.append(chr(value | 0x40) if value < 32 else chr(value))
    return "".join(chars)


def decode_codes(keys: np.ndarray) -> np.ndarray:
    """Vector form of :func:`decode_code` (object array of str); decodes each distinct key once."""
    keys = np.asarray(keys, dtype=np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    chars = np.empty((len(unique), 5), dtype=np.uint8)
    for i, shift in enumerate((24, 18, 12, 6, 0)):
        value = (unique >> shift) & 0x3F
        chars[:, i] = np.where(value < 32, value | 0x40, value)
    decoded = chars.view("S5").ravel().astype("U5").astype(object)
    return decoded[inverse]


@dataclass
class PairDirectory:
    """The distinct unordered code pairs of a sorted PTP table and where their rows are.

    ``pairs`` holds ``low << 32 | high`` (the two code keys, smaller first), sorted; for each,
    ``forward_start/forward_count`` is the run of rows with Column 1 = low (key ``low, high``)
    and ``reverse_start/reverse_count`` the run with Column 1 = high (count 0 when absent or
    when both codes are the same). Built once at import time and stored
    (:mod:`addin.reference.ptp_index_file`), or in memory for a store written before.
    """

    pairs: np.ndarray  # int64, sorted, unique
    forward_start: np.ndarray  # int32 (int64 past 2**31 rows): first row of (low, high)
    forward_count: np.ndarray  # int32
    reverse_start: np.ndarray  # int32: first row of (high, low)
    reverse_count: np.ndarray  # int32
    rows: int = 0  # rows of the table it indexes

    COLUMNS = ("pairs", "forward_start", "forward_count", "reverse_start", "reverse_count")

    @classmethod
    def build(cls, keys: np.ndarray) -> PairDirectory:
        """From the sorted ``pair_key`` column of a PTP table (vectorised: ~0.3 s for 2.5M rows)."""
        keys = np.asarray(keys, dtype=np.int64)
        total = len(keys)
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty.copy(), empty.copy(), 0)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        distinct = keys[starts]
        counts = np.diff(np.r_[starts, total])
        first, second = distinct >> 32, distinct & 0xFFFFFFFF
        low, high = np.minimum(first, second), np.maximum(first, second)
        unordered = (low << 32) | high
        forward = first <= second
        order = np.argsort(unordered, kind="stable")
        ordered = unordered[order]
        new = np.r_[True, ordered[1:] != ordered[:-1]]
        group = np.cumsum(new) - 1
        pairs = ordered[new]
        small = np.int32 if total < 2**31 else np.int64  # row numbers: half the memory
        out = [np.zeros(len(pairs), dtype=small) for _ in range(4)]
        is_forward = forward[order]
        for offset, mask in ((0, is_forward), (2, ~is_forward)):
            out[offset][group[mask]] = starts[order[mask]]
            out[offset + 1][group[mask]] = counts[order[mask]]
        return cls(pairs, *out, rows=total)

    def __len__(self) -> int:
        return len(self.pairs)

    def find(self, unordered: np.ndarray) -> np.ndarray:
        """Directory position of each ``low << 32 | high`` key, -1 when absent (or key < 0)."""
        unordered = np.asarray(unordered, dtype=np.int64)
        if len(self.pairs) == 0:
            return np.full(len(unordered), -1, dtype=np.int64)
        position = np.searchsorted(self.pairs, unordered)
        np.minimum(position, len(self.pairs) - 1, out=position)
        found = (self.pairs[position] == unordered) & (unordered >= 0)
        return np.where(found, position, -1)

    def find_one(self, unordered: int) -> int:
        """Scalar :meth:`find`."""
        if unordered < 0 or len(self.pairs) == 0:
            return -1
        position = int(self.pairs.searchsorted(unordered))
        if position < len(self.pairs) and int(self.pairs[position]) == unordered:
            return position
        return -1

    def same_as(self, other: PairDirectory) -> bool:
        """Equal arrays (tests, and the store's check of a loaded file)."""
        return self.rows == other.rows and all(
            np.array_equal(getattr(self, name), getattr(other, name)) for name in self.COLUMNS
        )


def unordered_keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``low << 32 | high`` of two encoded code arrays (-1 where either is invalid)."""
    low, high = np.minimum(first, second), np.maximum(first, second)
    key = (low << 32) | high
    key[low < 0] = -1
    return key


@dataclass
class PtpIndex:
    """One version of one PTP table (one setting), sorted by pair key."""

    keys: np.ndarray  # int64, sorted
    effective: np.ndarray  # int32 days, NO_START when unknown
    deletion: np.ndarray  # int32 days, NO_END when active
    indicator: np.ndarray  # int8
    rationale_codes: np.ndarray  # int32 index into rationales
    rationales: list[str]
    pre_1996: np.ndarray  # bool
    source_codes: np.ndarray  # int32 index into sources
    sources: list[str]
    directory: PairDirectory | None = field(default=None, repr=False)
    _codes: np.ndarray | None = field(default=None, repr=False)

    @property
    def pairs(self) -> PairDirectory:
        """The pair directory (built from ``keys`` on first use when none was loaded)."""
        if self.directory is None:
            self.directory = PairDirectory.build(self.keys)
        return self.directory

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str | pd.Series) -> PtpIndex:
        """Build from a canonical PTP DataFrame (``pair_key`` used when present)."""
        if "pair_key" in frame.columns:
            keys = frame["pair_key"].to_numpy(dtype=np.int64)
        else:
            keys = pair_keys(
                encode_codes(frame["column_1"].astype(str).to_numpy()),
                encode_codes(frame["column_2"].astype(str).to_numpy()),
            )
        order = np.argsort(keys, kind="stable")
        if not np.all(order[:-1] < order[1:]):
            frame = frame.iloc[order]
            keys = keys[order]
        rationale = pd.Categorical(frame["rationale"].fillna("").astype(str))
        if isinstance(source, str):
            source_codes = np.zeros(len(frame), dtype=np.int32)
            sources = [source]
        else:
            cat = pd.Categorical(source.iloc[order] if len(order) else source)
            source_codes = cat.codes.astype(np.int32)
            sources = list(cat.categories)
        pre = frame["pre_1996"] if "pre_1996" in frame.columns else pd.Series(False, index=frame.index)
        return cls(
            keys=keys,
            effective=days_from_series(frame["effective_date"], NO_START),
            deletion=days_from_series(frame["deletion_date"], NO_END),
            indicator=frame["modifier_indicator"].to_numpy(dtype=np.int8),
            rationale_codes=rationale.codes.astype(np.int32),
            rationales=list(rationale.categories),
            pre_1996=pre.fillna(False).astype(bool).to_numpy(),
            source_codes=source_codes,
            sources=sources,
        )

    @staticmethod
    def empty_matches() -> pd.DataFrame:
        """The result of :meth:`match_pairs` when nothing matches."""
        return _empty_matches()

    @classmethod
    def from_arrow(cls, table, source: str, directory: PairDirectory | None = None) -> PtpIndex:
        """Build from a stored PTP Parquet table (sorted by ``pair_key``) without pandas.

        Dates are cast to int32 days directly and the dictionary-encoded rationale keeps its
        indices, so loading 2.5M rows costs a few hundred milliseconds. ``directory`` is the
        stored :class:`PairDirectory` of the table (ignored unless it has the table's row count).
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        keys = table.column("pair_key").to_numpy()
        if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
            order = np.argsort(keys, kind="stable")
            table = table.take(pa.array(order))
            keys = keys[order]

        def days(name: str, missing: int) -> np.ndarray:
            column = table.column(name)
            if not pa.types.is_date32(column.type):
                column = pc.cast(column, pa.date32())
            return pc.fill_null(pc.cast(column, pa.int32()), missing).to_numpy()

        rationale = table.column("rationale").combine_chunks()
        if not pa.types.is_dictionary(rationale.type):
            rationale = rationale.dictionary_encode()
        if "pre_1996" in table.column_names:
            pre = pc.fill_null(table.column("pre_1996"), False).to_numpy(zero_copy_only=False)
        else:
            pre = np.zeros(len(keys), dtype=bool)
        return cls(
            keys=keys,
            effective=days("effective_date", NO_START),
            deletion=days("deletion_date", NO_END),
            indicator=table.column("modifier_indicator").to_numpy().astype(np.int8),
            rationale_codes=rationale.indices.to_numpy(zero_copy_only=False).astype(np.int32),
            rationales=[str(v) for v in rationale.dictionary.to_pylist()],
            pre_1996=pre.astype(bool),
            source_codes=np.zeros(len(keys), dtype=np.int32),
            sources=[source],
            directory=directory if directory is not None and directory.rows == len(keys) else None,
        )

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def codes(self) -> np.ndarray:
        """Sorted keys of every code named by some row (Column 1 or Column 2), built once."""
        if self._codes is None:
            self._codes = np.unique(np.concatenate([self.keys >> 32, self.keys & 0xFFFFFFFF]))
        return self._codes

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(
            a.nbytes
            for a in (
                self.keys,
                self.effective,
                self.deletion,
                self.indicator,
                self.rationale_codes,
                self.pre_1996,
                self.source_codes,
            )
        )

    def _runs(self, enc_a: np.ndarray, enc_b: np.ndarray) -> tuple[np.ndarray, ...]:
        """The pairs with any row, as ``(found, a_start, a_count, b_start, b_count)``: their
        positions in the input, then the first row and count of the rows with Column 1 = a
        and of those with Column 1 = b (count 0 when absent; b's run is empty when a == b)."""
        directory = self.pairs
        position = directory.find(unordered_keys(enc_a, enc_b))
        found = np.flatnonzero(position >= 0)
        position = position[found]
        a_is_low = enc_a[found] <= enc_b[found]
        f_start, f_count = directory.forward_start[position], directory.forward_count[position]
        r_start, r_count = directory.reverse_start[position], directory.reverse_count[position]
        return (
            found,
            np.where(a_is_low, f_start, r_start),
            np.where(a_is_low, f_count, r_count),
            np.where(a_is_low, r_start, f_start),
            np.where(a_is_low, r_count, f_count),
        )

    def rows_for_pair(self, code1: str, code2: str) -> np.ndarray:
        """Row positions of every episode of the pair, in either order (``code1`` as Column 1
        first)."""
        first, second = encode_code(code1), encode_code(code2)
        if first < 0 or second < 0:
            return np.zeros(0, dtype=np.int64)
        directory = self.pairs
        low, high = (first, second) if first <= second else (second, first)
        position = directory.find_one((low << 32) | high)
        if position < 0:
            return np.zeros(0, dtype=np.int64)
        runs = [
            (int(directory.forward_start[position]), int(directory.forward_count[position])),
            (int(directory.reverse_start[position]), int(directory.reverse_count[position])),
        ]
        if first > second:
            runs.reverse()
        rows = [np.arange(start, start + count) for start, count in runs if count]
        if not rows:
            return np.zeros(0, dtype=np.int64)
        return rows[0] if len(rows) == 1 else np.concatenate(rows)

    def applies_on(self, rows: np.ndarray, day: int | np.ndarray) -> np.ndarray:
        """Whether each row is in force on the day: effective ≤ day ≤ deletion, indicator ≠ 9."""
        return (
            (self.effective[rows] <= day)
            & (day <= self.deletion[rows])
            & (self.indicator[rows] != NOT_APPLICABLE)
        )

    def row_dict(self, row: int) -> dict:
        """One row as plain values (codes decoded from the key)."""
        key = int(self.keys[row])
        return {
            "column_1": decode_code(key >> 32),
            "column_2": decode_code(key & 0xFFFFFFFF),
            "modifier_indicator": int(self.indicator[row]),
            "rationale": self.rationales[self.rationale_codes[row]],
            "effective_date": day_to_date(int(self.effective[row])),
            "deletion_date": day_to_date(int(self.deletion[row])),
            "pre_1996": bool(self.pre_1996[row]),
            "source": self.sources[self.source_codes[row]],
        }

    def point_rows(self, code1: str, code2: str) -> list[dict]:
        """:meth:`rows_for_pair` as :meth:`row_dict` values, without numpy per row (the codes
        are the ones asked for, so nothing is decoded): the point query's hot path."""
        first, second = _code_key(code1), _code_key(code2)
        if first < 0 or second < 0:
            return []
        directory = self.pairs
        low, high = (first, second) if first <= second else (second, first)
        position = directory.find_one((low << 32) | high)
        if position < 0:
            return []
        runs = [
            (int(directory.forward_start[position]), int(directory.forward_count[position])),
            (int(directory.reverse_start[position]), int(directory.reverse_count[position])),
        ]
        # the run of (low, high) names low as Column 1
        names = [(code1, code2), (code2, code1)] if first <= second else [(code2, code1), (code1, code2)]
        if first > second:
            runs.reverse()
            names.reverse()
        out = []
        for (start, count), (column_1, column_2) in zip(runs, names, strict=True):
            for row in range(start, start + count):
                effective, deletion = int(self.effective[row]), int(self.deletion[row])
                out.append(
                    {
                        "column_1": column_1,
                        "column_2": column_2,
                        "modifier_indicator": int(self.indicator[row]),
                        "rationale": self.rationales[self.rationale_codes[row]],
                        "effective_date": _day_date(effective),
                        "deletion_date": _day_date(deletion),
                        "pre_1996": bool(self.pre_1996[row]),
                        "source": self.sources[self.source_codes[row]],
                        "_days": (effective, deletion),
                    }
                )
        return out

    def rows_among(self, codes: np.ndarray) -> np.ndarray:
        """Rows whose Column 1 and Column 2 are both in ``codes`` (any order, any date)."""
        wanted = np.unique(encode_codes(np.asarray(codes, dtype=object)))
        wanted = wanted[wanted >= 0]
        if wanted.size == 0 or len(self.keys) == 0:
            return np.zeros(0, dtype=np.int64)
        # keys are sorted, so each Column 1 code's rows are one run [code << 32, code + 1 << 32)
        lo = np.searchsorted(self.keys, wanted << 32, "left")
        counts = np.searchsorted(self.keys, (wanted + 1) << 32, "left") - lo
        rows = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        second = self.keys[rows] & 0xFFFFFFFF
        found = wanted[np.minimum(np.searchsorted(wanted, second), wanted.size - 1)] == second
        return rows[found]

    def frame_for_rows(self, rows: np.ndarray, day: int) -> pd.DataFrame:
        """Rows as a DataFrame (codes decoded) with ``applies`` on the day."""
        keys = self.keys[rows]
        return pd.DataFrame(
            {
                "column_1": decode_codes(keys >> 32),
                "column_2": decode_codes(keys & 0xFFFFFFFF),
                "modifier_indicator": self.indicator[rows].astype(np.int64),
                "rationale": pd.Categorical.from_codes(
                    self.rationale_codes[rows], categories=self.rationales
                ),
                "effective_date": _days_to_datetime(self.effective[rows]),
                "deletion_date": _days_to_datetime(self.deletion[rows]),
                "source": pd.Categorical.from_codes(self.source_codes[rows], categories=self.sources),
                "applies": self.applies_on(rows, day),
            }
        )

    def match_pairs(
        self, code_a: np.ndarray, code_b: np.ndarray, days: np.ndarray
    ) -> pd.DataFrame:
        """Vector query: the edits in force for each (a, b, day), in either order.

        Returns one row per matching edit row with ``pair`` (position in the input),
        ``column_1``, ``column_2``, ``modifier_indicator``, ``rationale``, ``effective_date``,
        ``deletion_date`` and ``source``. Semantics equal :meth:`rows_for_pair` +
        :meth:`applies_on`.
        """
        code_a = np.asarray(code_a, dtype=object)
        code_b = np.asarray(code_b, dtype=object)
        enc_a, enc_b = encode_codes(code_a), encode_codes(code_b)
        days = np.asarray(days, dtype=np.int64)
        found, a_start, a_count, b_start, b_count = self._runs(enc_a, enc_b)
        positions, rows, reversed_flags = [], [], []
        # rows with Column 1 = a for every pair, then those with Column 1 = b (as before)
        for reverse, (lo, counts) in enumerate(((a_start, a_count), (b_start, b_count))):
            hit = np.flatnonzero(counts)
            if hit.size == 0:
                continue
            counts = counts[hit]
            pair_index = np.repeat(found[hit], counts)
            # row numbers lo..lo+count-1 for each hit, flattened without a Python loop
            starts = np.repeat(lo[hit] - np.cumsum(counts) + counts, counts)
            rows.append(starts + np.arange(counts.sum()))
            positions.append(pair_index)
            reversed_flags.append(np.full(len(pair_index), bool(reverse)))
        if not rows:
            return _empty_matches()
        pair_index = np.concatenate(positions)
        row_index = np.concatenate(rows)
        is_reversed = np.concatenate(reversed_flags)
        keep = self.applies_on(row_index, days[pair_index])
        pair_index, row_index, is_reversed = pair_index[keep], row_index[keep], is_reversed[keep]
        # the codes come from the input (the key matched them), so nothing is decoded: one
        # gather from [a..., b...] per column instead of two gathers and a where
        both = np.concatenate([code_a, code_b])
        offset = np.where(is_reversed, len(code_a), 0)
        return pd.DataFrame(
            {
                "pair": pair_index,
                "column_1": pd.Series(both[pair_index + offset], dtype=object),
                "column_2": pd.Series(both[pair_index + (len(code_a) - offset)], dtype=object),
                "modifier_indicator": self.indicator[row_index].astype(np.int64),
                "rationale": pd.Categorical.from_codes(
                    self.rationale_codes[row_index], categories=self.rationales
                ),
                "effective_date": _days_to_datetime(self.effective[row_index]),
                "deletion_date": _days_to_datetime(self.deletion[row_index]),
                "source": pd.Categorical.from_codes(
                    self.source_codes[row_index], categories=self.sources
                ),
            }
        )


@functools.lru_cache(maxsize=65536)
def _code_key(code: str) -> int:
    """:func:`addin.codes.encode_code`, cached (a table has a few tens of thousands of codes)."""
    return encode_code(code)


@functools.lru_cache(maxsize=65536)
def _day_date(day: int) -> dt.date | None:
    """:func:`day_to_date`, cached (a table has a few thousand distinct dates)."""
    return day_to_date(day)


def _days_to_datetime(days: np.ndarray) -> np.ndarray:
    """int32 days as ``datetime64[ns]``; the open-ended sentinels become NaT (masked before
    the unit change, which numpy >= 2.5 refuses for out-of-range days)."""
    open_ended = (days == NO_START) | (days == NO_END)
    safe = np.where(open_ended, 0, days).astype("int64").astype("datetime64[D]")
    out = safe.astype("datetime64[ns]")
    out[open_ended] = np.datetime64("NaT", "ns")
    return out


def _empty_matches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pair": np.zeros(0, dtype=np.int64),
            "column_1": np.zeros(0, dtype=object),
            "column_2": np.zeros(0, dtype=object),
            "modifier_indicator": np.zeros(0, dtype=np.int64),
            "rationale": pd.Categorical([]),
            "effective_date": np.zeros(0, dtype="datetime64[ns]"),
            "deletion_date": np.zeros(0, dtype="datetime64[ns]"),
            "source": pd.Categorical([]),
        }
    )
