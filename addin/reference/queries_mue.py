"""MUE (medically unlikely edit) queries: one code and vectors of codes.

A mixin of :class:`addin.reference.data.ReferenceData`; it relies on that class's
version helpers (``version_for``, ``version_set``, ``_dos``, ``_days``) and tables.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from addin.codes import Setting, normalize_code
from addin.lazy import pandas as pd
from addin.reference import schema
from addin.reference.models import MueFact
from addin.reference.values import _text
from addin.reference.versions import Version


class MueQueries:
    """MUE (medically unlikely edit) queries for :class:`~addin.reference.data.ReferenceData`."""

    def _mue_frame(self, version: Version) -> pd.DataFrame:
        def build(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame[["code", "mue_units", "mai", "rationale"]].copy()
            out["source"] = (
                frame["source"].astype(str) if version.origin == "bundled" else version.label
            )
            return out.drop_duplicates("code", keep="last").set_index("code")

        return version.built("mue", build)

    def mue(
        self,
        code: object,
        date_of_service: dt.date | None = None,
        setting: object = Setting.practitioner,
    ) -> MueFact | None:
        """The MUE for a code in a setting on a date, or None when the code has none."""
        frame = self.mue_frame([normalize_code(code) or ""], date_of_service, setting)
        row = frame.iloc[0]
        if pd.isna(row["mue_units"]):
            return None
        return MueFact(
            code=row["code"],
            mue_units=int(row["mue_units"]),
            mai=int(row["mai"]),
            rationale=_text(row["rationale"]),
            setting=Setting.parse(setting).value,
            source=_text(row["source"]),
        )

    def mue_frame(
        self,
        codes: np.ndarray | pd.Series | list[str],
        dates_of_service: object = None,
        setting: object = Setting.practitioner,
    ) -> pd.DataFrame:
        """Vector query aligned with ``codes``: ``code, mue_units, mai, rationale, source``
        (NaN units where the code has no MUE)."""
        codes = np.asarray(codes, dtype=object)
        days = self._days(dates_of_service, len(codes))
        versions = self.version_set(schema.MUE, Setting.parse(setting).value)
        out = pd.DataFrame(
            {
                "code": codes,
                "mue_units": np.nan,
                "mai": np.nan,
                "rationale": None,
                "source": None,
            }
        )
        if not versions or len(codes) == 0:
            return out
        choice = versions.pick_many(days)
        for version_no in np.unique(choice):
            mask = choice == version_no
            table = self._mue_frame(versions.versions[version_no])
            found = table.reindex(codes[mask])
            for column in ("mue_units", "mai", "rationale", "source"):
                out.loc[mask, column] = found[column].to_numpy()
        out["mue_units"] = pd.to_numeric(out["mue_units"])
        out["mai"] = pd.to_numeric(out["mai"])
        return out
