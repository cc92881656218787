"""Register ``addin.udfs`` with the classic xlwings add-in by writing its configuration.

The xlwings add-in (VBA, ``xlwings.xlam``) reads its settings from, first, an
``xlwings.conf`` sheet in the active workbook, then ``xlwings.conf`` beside the workbook,
then the user file ``%USERPROFILE%\\.xlwings\\xlwings.conf`` (macOS:
``~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf``). The user file has one
setting a line, ``"KEY","VALUE"`` — the format VBA's ``Write #`` produces and both the
add-in (``Input #``) and :func:`xlwings.utils.read_user_config` read back (keys are
case-insensitive; values cannot contain a double quote). The keys used here are the ones
the add-in asks for: ``UDF MODULES`` (``;``-separated module names), ``INTERPRETER_WIN`` /
``INTERPRETER_MAC`` (the Python that has cpt-addin installed) and ``PYTHONPATH``.

Existing settings are kept: other keys untouched, ``addin.udfs`` added to the module list
and the project folder to ``PYTHONPATH`` rather than replacing them. Files are written to a
temporary file beside the target and renamed over it, so a crash never leaves half a file;
a workbook is never changed in place, its copy gets the ``xlwings.conf`` sheet.
"""

from __future__ import annotations

import locale
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from addin.errors import CptAddinError
from addin.outputs import atomic_write, check_output

UDF_MODULE = "addin.udfs"
UDF_MODULES_KEY = "UDF MODULES"
PYTHONPATH_KEY = "PYTHONPATH"
CONFIG_SHEET = "xlwings.conf"
_VALUE_RE = re.compile(r'"[^"]*"')


def interpreter_key(platform: str | None = None) -> str:
    """``INTERPRETER_MAC`` on macOS, else ``INTERPRETER_WIN`` (as ``xlwings config create``)."""
    return "INTERPRETER_MAC" if (platform or sys.platform).startswith("darwin") else "INTERPRETER_WIN"


def user_config_path() -> Path:
    """The xlwings user configuration file of this platform (what xlwings itself uses)."""
    if sys.platform.startswith("darwin"):
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return Path.home() / ".xlwings" / "xlwings.conf"


def project_root() -> Path:
    """The folder that holds the ``addin`` package."""
    return Path(__file__).resolve().parents[2]


def needs_pythonpath(interpreter: str) -> bool:
    """True when ``interpreter`` cannot import this very ``addin`` package on its own (a
    source checkout that is not installed), so Excel's Python needs ``PYTHONPATH``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    try:
        done = subprocess.run(
            [interpreter, "-c", "import addin, pathlib; print(pathlib.Path(addin.__file__).resolve().parent)"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tempfile.gettempdir(),
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return True
    return done.returncode != 0 or Path(done.stdout.strip()) != project_root() / "addin"


@dataclass
class Settings:
    """The keys ``cpt-addin excel install`` sets; ``changes`` says what happened to each."""

    values: dict[str, str]
    changes: list[str] = field(default_factory=list)


def desired_settings(interpreter: str | None = None, pythonpath: str | None = None) -> dict[str, str]:
    """The settings that register ``addin.udfs`` for ``interpreter`` (default: this Python)."""
    interpreter = interpreter or sys.executable
    wanted = {UDF_MODULES_KEY: UDF_MODULE, interpreter_key(): interpreter}
    if pythonpath:
        wanted[PYTHONPATH_KEY] = pythonpath
    return wanted


def merge(existing: list[tuple[str, str]], wanted: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Existing (key, value) pairs with ``wanted`` applied; returns the pairs and what changed.

    ``UDF MODULES`` and ``PYTHONPATH`` are ``;``-lists: the new entry is appended when absent.
    Other keys are replaced. Keys compare case-insensitively, as xlwings does.
    """
    out: list[tuple[str, str]] = []
    changes: list[str] = []
    seen: set[str] = set()
    upper_wanted = {k.upper(): (k, v) for k, v in wanted.items()}
    for key, value in existing:
        hit = upper_wanted.get(key.upper())
        if hit is None or key.upper() in seen:
            if hit is None:
                out.append((key, value))
            continue
        seen.add(key.upper())
        new = _merged_value(hit[0], value, hit[1])
        changes.append(f"{hit[0]}: unchanged ({new})" if new == value else f"{hit[0]}: {value or '(empty)'} -> {new}")
        out.append((hit[0], new))
    for upper, (key, value) in upper_wanted.items():
        if upper not in seen:
            out.append((key, value))
            changes.append(f"{key}: set to {value}")
    return out, changes


def _merged_value(key: str, old: str, new: str) -> str:
    if key.upper() not in (UDF_MODULES_KEY, PYTHONPATH_KEY):
        return new
    parts = [p for p in old.split(";") if p.strip()]
    if any(p.strip().lower() == new.lower() for p in parts):
        return ";".join(parts)
    return ";".join([*parts, new])


def read_config_file(path: Path) -> list[tuple[str, str]]:
    """The (key, value) pairs of an xlwings config file, parsed like xlwings does."""
    if not path.exists():
        return []
    pairs = []
    with path.open(encoding=_config_encoding(), errors="replace") as handle:
        for line in handle:
            values = _VALUE_RE.findall(line)
            if len(values) >= 2:
                pairs.append((values[0].strip('"'), values[1].strip('"')))
    return pairs


def _config_encoding() -> str:
    # VBA's Input # reads the file in the system's ANSI code page, as xlwings writes it
    return locale.getpreferredencoding(False)


def write_config_file(path: Path, wanted: dict[str, str]) -> list[str]:
    """Merge ``wanted`` into the config file at ``path`` atomically; returns the changes."""
    for key, value in wanted.items():
        if '"' in value or "\n" in value:
            raise CptAddinError(f"{key} cannot contain a double quote or a line break: {value}")
    pairs, changes = merge(read_config_file(path), wanted)
    try:  # the xlwings folder (~/.xlwings) is created as xlwings itself does
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CptAddinError(f"{path}: cannot be written: the folder {path.parent} cannot be created ({exc.strerror})") from None
    check_output(path, what="xlwings configuration")
    text = "".join(f'"{key}","{value}"\n' for key, value in pairs)
    # text mode: "\n" becomes CRLF on Windows, as in the files xlwings writes there
    with atomic_write(path) as temp, open(temp, "w", encoding=_config_encoding()) as out:
        out.write(text)
    return changes


def workbook_copy_path(workbook: Path) -> Path:
    """``Claims.xlsx`` -> ``Claims-cpt-addin.xlsx`` beside it."""
    return workbook.with_name(f"{workbook.stem}-cpt-addin{workbook.suffix}")


def write_workbook_config(workbook: Path, wanted: dict[str, str], output: Path | None = None) -> tuple[Path, list[str]]:
    """Copy ``workbook`` with an ``xlwings.conf`` sheet holding ``wanted`` merged into any
    existing one; the input file is never changed. Returns the copy's path and the changes."""
    from openpyxl import load_workbook

    workbook = Path(workbook)
    if not workbook.exists():
        raise CptAddinError(f"{workbook}: no such workbook")
    if workbook.suffix.lower() not in (".xlsx", ".xlsm"):
        raise CptAddinError(f"{workbook}: expected an .xlsx or .xlsm workbook")
    target = Path(output) if output else workbook_copy_path(workbook)
    if target.resolve() == workbook.resolve():
        raise CptAddinError(f"{target}: the copy must not overwrite the input workbook")
    if target.suffix.lower() != workbook.suffix.lower():
        raise CptAddinError(f"{target}: keep the input's extension ({workbook.suffix})")
    check_output(target, inputs=[workbook], what="workbook copy")  # hard links, devices, folders
    try:
        book = load_workbook(workbook, keep_vba=workbook.suffix.lower() == ".xlsm")
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear message
        raise CptAddinError(f"{workbook}: cannot be read as a workbook ({type(exc).__name__})") from None
    existing: list[tuple[str, str]] = []
    if CONFIG_SHEET in book.sheetnames:
        sheet = book[CONFIG_SHEET]
        for key, value, *_ in sheet.iter_rows(min_row=1, max_col=2, values_only=True):
            if key is None:
                break  # the add-in reads down to the first empty cell of column A
            existing.append((str(key), "" if value is None else str(value)))
        del book[CONFIG_SHEET]
    pairs, changes = merge(existing, wanted)
    sheet = book.create_sheet(CONFIG_SHEET)
    for key, value in pairs:
        sheet.append([key, value])  # strings: openpyxl would read "=..." as a formula
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"
    sheet.sheet_state = "hidden" if len(book.sheetnames) > 1 else "visible"
    with atomic_write(target) as temp:
        book.save(temp)
    return target, changes


NEXT_STEPS = """Next steps (Windows, desktop Excel):
  1. Install the xlwings add-in once:        xlwings addin install
  2. In Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings:
     tick "Trust access to the VBA project object model".
  3. Open your workbook (save it as .xlsm, Excel Macro-Enabled Workbook), go to the
     xlwings tab and click "Import Functions".
  4. Type =CPT_DESC(47383) in a cell; =CPT_DATA_VERSION() shows which CMS tables answer.
Refresh the CMS tables each quarter with `cpt-addin data fetch` or `cpt-addin data import`,
then click "Restart UDF Server" on the xlwings tab. Guide: docs/excel.md ("Use in Excel")."""
