"""Modifiers, places of service and ICD-10-CM.

A mixin of :class:`addin.reference.data.ReferenceData`; it relies on that class's
version helpers (``version_for``, ``version_set``, ``_dos``, ``_days``) and tables.
"""

from __future__ import annotations

import numpy as np

from addin.codes import normalize_modifier
from addin.lazy import pandas as pd
from addin.reference import bundled, schema
from addin.reference.models import Icd10Fact, ModifierFact, PlaceOfService
from addin.reference.values import _text


class MiscQueries:
    """Modifier, place-of-service and ICD-10-CM queries for :class:`~addin.reference.data.ReferenceData`."""

    def modifier(self, modifier: object) -> ModifierFact | None:
        """A modifier's description and attributes (bundled table, then HCPCS Level II)."""
        mod = normalize_modifier(modifier) or ""
        if mod in self.modifier_table.index:
            row = self.modifier_table.loc[mod]
            return ModifierFact(
                modifier=mod,
                description=_text(row.get("description")),
                ncci_associated=bool(row.get("ncci_associated")),
                anatomic_family=_text(row.get("anatomic_family")),
                site=_text(row.get("site")),
                kind=_text(row.get("kind")),
                category=_text(row.get("category")),
                source=_text(row.get("source")),
            )
        mods = self._hcpcs_modifiers()
        if mod in mods.index:
            row = mods.loc[mod]
            return ModifierFact(
                modifier=mod,
                description=_text(row["long_description"]) or _text(row["short_description"]),
                source=_text(row["source"]),
            )
        return None

    def known_modifiers(self) -> set[str]:
        """Every modifier the loaded data knows (bundled list and HCPCS Level II modifiers)."""
        return set(self.modifier_table.index) | set(self._hcpcs_modifiers().index)

    def _hcpcs_modifiers(self) -> pd.DataFrame:
        """Level II modifiers from every HCPCS version, newest first (a codes-only release,
        such as a descriptions file, must not hide the modifiers of an earlier full one)."""
        with self._lock:
            cached = getattr(self, "_hcpcs_modifier_cache", None)
            if cached is None:
                frames = []
                for version in reversed(self.version_set(schema.HCPCS).versions):
                    table = self._hcpcs_table(version)
                    frames.append(table[table["kind"] == "modifier"])
                cached = (
                    pd.concat(frames)[lambda f: ~f.index.duplicated(keep="first")]
                    if frames
                    else pd.DataFrame(columns=["long_description", "short_description", "source"])
                )
                self._hcpcs_modifier_cache = cached
            return cached

    def ncci_associated_modifiers(self) -> set[str]:
        """Modifiers that may bypass an indicator-1 PTP edit."""
        table = self.modifier_table
        return set(table.index[table["ncci_associated"]]) if len(table) else set()

    def place_of_service(self, code: object) -> PlaceOfService | None:
        """A place-of-service code's name and facility type."""
        text = _text(code)
        if text.endswith(".0"):
            text = text[:-2]
        text = text.zfill(2)
        version = self.version_for(schema.POS, schema.ALL_SETTINGS, bundled.today())
        if version is None:
            return None
        frame = version.built(
            "pos",
            lambda f: f.assign(pos_code=f["pos_code"].astype(str).str.zfill(2)).set_index("pos_code"),
        )
        if text not in frame.index:
            return None
        row = frame.loc[text]
        source = _text(row.get("source")) if version.origin == "bundled" else version.label
        return PlaceOfService(
            pos_code=text,
            pos_type=_text(row.get("pos_type")),
            name=_text(row.get("name")),
            description=_text(row.get("description")),
            source=source,
        )

    def icd10(self, code: object, date_of_service: object = None) -> Icd10Fact:
        """ICD-10-CM validity, billability (leaf / HIPAA-valid code) and description for a date
        of service (None = today), from the imported fiscal year that covers it, else the
        bundled ``simple-icd-10-cm`` tabular when no ICD-10-CM table is imported."""
        return self.icd10_lookup.fact(_text(code), date_of_service)

    def icd10_frame(
        self,
        codes: np.ndarray | pd.Series | list[str],
        dates: object = None,
        version: int | None = None,
    ) -> pd.DataFrame:
        """Vector form of :meth:`icd10`: ``code, normalised, valid, billable, covered, source``
        aligned with the input (``dates`` one per code or None = today; ``version`` from
        :meth:`icd10_version_index` forces one version)."""
        return self.icd10_lookup.frame(codes, dates, version)

    def icd10_version_index(self, dates: object, length: int | None = None) -> np.ndarray:
        """The ICD-10-CM version answering each date of service (-1 = not covered)."""
        n = len(dates) if length is None else length
        return self.icd10_lookup.version_index(self._days(dates, n))

    def icd10_source(self, version: int) -> str:
        """The source label of an ICD-10-CM version (``ICD-10-CM FY2026 (imported)``)."""
        return self.icd10_lookup.label(version)
