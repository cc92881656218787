"""LibreOffice headless as a test oracle: recalculate workbooks and read the values back.

``soffice --convert-to xlsx`` opens each workbook, computes every formula that has no cached
value (openpyxl writes none) and saves the results; ``openpyxl.load_workbook(data_only=True)``
then reads them. Starting soffice costs ~2 s, so pass several files per call. Each call uses
a fresh user profile (``-env:UserInstallation``) so runs never share state or lock files.

Also renders workbooks to PDF and PNG (pdftoppm) for people to look at.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

SOFFICE_NAMES = ("soffice", "libreoffice")
TIMEOUT_SECONDS = 180


def soffice_path() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_soffice() -> str:
    """The LibreOffice executable, or skip the calling test with the reason."""
    found = soffice_path()
    if found is None:
        pytest.skip(
            "LibreOffice (soffice) is not installed: apt-get install -y --no-install-recommends "
            "libreoffice-calc-nogui"
        )
    return found


def convert(paths: Sequence[Path], outdir: Path, target: str = "xlsx") -> list[Path]:
    """Open every file in one soffice run and save it as ``target`` into ``outdir``.

    Returns the output paths in input order; raises RuntimeError naming any that is missing.
    """
    soffice = require_soffice()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    inputs = [Path(p).resolve() for p in paths]
    if any(p.parent == outdir.resolve() for p in inputs):
        raise ValueError("outdir must differ from the inputs' folder (names would collide)")
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        command = [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, inputs),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    suffix = "." + target.split(":")[0]
    outputs = [outdir / (p.stem + suffix) for p in inputs]
    missing = [str(p) for p in outputs if not p.exists()]
    if missing:
        raise RuntimeError(
            f"soffice did not write {missing}\nstdout: {done.stdout}\nstderr: {done.stderr}"
        )
    return outputs


def recalculate(paths: Sequence[Path], outdir: Path) -> list[Path]:
    """Recalculated copies of the workbooks (xlsx) in ``outdir``, in input order."""
    return convert(paths, outdir, "xlsx")


def render_png(paths: Sequence[Path], outdir: Path, dpi: int = 60) -> list[Path]:
    """PDF then one PNG per page (``<stem>-<page>.png``) for each workbook; returns the PNGs."""
    pdfs = convert(paths, outdir, "pdf")
    pngs: list[Path] = []
    for pdf in pdfs:
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(outdir / pdf.stem)],
            check=True,
            timeout=TIMEOUT_SECONDS,
        )
        pngs.extend(sorted(outdir.glob(f"{pdf.stem}-*.png")))
    return pngs
