"""Where the bundled data and the user's imported store live."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

HOME_ENV = "CPT_ADDIN_HOME"


def addin_home() -> Path:
    """The user's cpt-addin folder: ``$CPT_ADDIN_HOME`` or the platform user-data folder."""
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(user_data_dir("cpt-addin", appauthor=False))


def store_dir() -> Path:
    """Folder holding imported tables (Parquet) and ``manifest.json``."""
    return addin_home() / "store"


def bundled_data_dir() -> Path:
    """The project's own small fact tables (``data/`` in the source tree or the wheel)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "bundled", here.parent / "data"):
        if (candidate / "codes.csv").exists():
            return candidate
    return here.parent / "data"
