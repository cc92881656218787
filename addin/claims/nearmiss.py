"""Unused headers that look like a typo of a claim field (``Modifers`` for ``Modifiers``).

A column the reader does not use is carried through untouched; when its header is one or two
keystrokes away from a canonical name or alias (compared by the same key as the header
matcher, see :func:`addin.claims.columns.header_key`), the user almost certainly meant that
field, and checking without it would give confident wrong answers (an ``XS`` that bypasses a
PTP edit, lost). Such a header stops the read unless the user maps it (``--map``) or says it
is meant to be ignored (``--ignore-column``).

"Close" is deliberately strict, so the extra columns people carry (Patient Name, Charge,
Billed Amount, Notes, DOB, Rendering Provider Name, Service Date To ...) pass: keys shorter
than 5 characters are never compared; the edit distance (insertions, deletions,
substitutions, swaps of neighbours) may be 1 for keys up to 9 characters and 2 beyond; and a
header that merely adds a word before or after an alias (``Date of Service To``) is not a
typo. Candidates come from a deletion index, so a 16,384-column header costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Keys shorter than this are never called close (DOB/DOS, POS, Rate/Date are different).
MIN_KEY_LENGTH = 5
#: Keys of at least this length may be 2 edits away; shorter ones 1.
TWO_EDITS_FROM = 12


@dataclass(frozen=True)
class NearMiss:
    """An unused header close to ``alias`` (a key) of the canonical field ``canonical``."""

    position: int
    header: str
    canonical: str
    alias: str


def _allowed(length: int) -> int:
    return 2 if length >= TWO_EDITS_FROM else 1


def _deletions(key: str, most: int) -> set[str]:
    """``key`` and every string made by deleting up to ``most`` of its characters."""
    out = {key}
    frontier = {key}
    for _ in range(most):
        frontier = {word[:i] + word[i + 1 :] for word in frontier for i in range(len(word))}
        out |= frontier
    return out


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b`` (``limit + 1`` when above it)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _adds_a_word(key: str, alias: str) -> bool:
    """``Date of Service To`` around ``Date of Service``: an extra word, not a typo (a plural
    ``s`` is still a typo)."""
    short, long = sorted((key, alias), key=len)
    if not long.startswith(short) and not long.endswith(short):
        return False
    return long != short + "s"


class NearMissIndex:
    """Alias keys (canonical -> keys) indexed by their deletion variants."""

    def __init__(self, keys: dict[str, Iterable[str]]) -> None:
        self._owner: dict[str, str] = {}
        self._index: dict[str, set[str]] = {}
        for canonical, aliases in keys.items():
            for alias in aliases:
                if len(alias) < MIN_KEY_LENGTH or alias in self._owner:
                    continue
                self._owner[alias] = canonical
                for variant in _deletions(alias, _allowed(len(alias) + 2)):
                    self._index.setdefault(variant, set()).add(alias)
        self._longest = max((len(a) for a in self._owner), default=0)
        self._variants = frozenset(self._index)

    def closest(self, key: str) -> tuple[str, str] | None:
        """``(canonical, alias key)`` of the alias closest to ``key``, or None."""
        if len(key) < MIN_KEY_LENGTH or len(key) > self._longest + 2:
            return None
        shared = _deletions(key, _allowed(len(key) + 2)) & self._variants
        candidates: set[str] = set().union(*(self._index[v] for v in shared))
        best: tuple[int, str] | None = None
        for alias in sorted(candidates):
            if alias == key or _adds_a_word(key, alias):
                continue
            limit = _allowed(max(len(key), len(alias)))
            distance = edit_distance(key, alias, limit)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, alias)
        return None if best is None else (self._owner[best[1]], best[1])
