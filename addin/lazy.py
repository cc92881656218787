"""Heavy libraries imported on first use, so commands that never touch them start fast.

``from addin.lazy import pandas as pd`` at the top of a module costs nothing until a function
reads ``pd.…``: ``cpt-addin lookup`` answers from pyarrow rows and never imports pandas
(~0.65 s of a 1 s start-up), while the vector queries and the checker use it as before.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """A stand-in for a module: the first attribute read imports it (each attribute read
    afterwards is a plain attribute of the stand-in)."""

    def __init__(self, name: str) -> None:
        self._lazy_name = name

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(importlib.import_module(self._lazy_name), attribute)
        setattr(self, attribute, value)
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"


pandas: Any = LazyModule("pandas")
