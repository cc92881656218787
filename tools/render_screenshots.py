"""Render the screenshots in docs/images/ from LibreOffice: ``python tools/render_screenshots.py``.

Builds every template from the bundled data (the same as ``workbook_templates/``) and takes the
sample audit workbook (docs/sample_audit.xlsx), shows one sheet of each, converts it with
``soffice --headless --convert-to pdf``, rasterises page 1 with ``pdftoppm -png -r 50``, trims
the white margin and saves a palette PNG (Pillow, the ``docs`` extra).

LibreOffice does not know the add-in's Excel functions, so for the add-in templates the script
first computes each call the way Excel would: it lets LibreOffice evaluate the call's arguments,
calls the real function in :mod:`addin.udfs` (bundled data only: an empty CPT_ADDIN_HOME, so no
licensed descriptor text can reach a picture) and writes the answer into the formula as a
literal; calls whose arguments need other calls are done in later passes.

Needs soffice, pdftoppm and Pillow. ``--out DIR`` writes elsewhere (default docs/images).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
DPI = 100  # -r 50 leaves a landscape page's text unreadable
MAX_PASSES = 4
SCRATCH = "__args"


@dataclass(frozen=True)
class Shot:
    """One picture: a workbook, the sheet to show, the rows to compute."""

    name: str
    sheet: str
    source: str  # a template name, or a path relative to the project
    rows: int = 40  # formulas below this row are blanked (they show "" in an empty sheet)
    area: str = ""  # print area of the picture (default: the sheet's own)


SHOTS = [
    Shot("claim_entry", "Claim lines", "claim-entry", rows=12, area="A1:O12"),
    Shot("code_lookup", "Code lookup", "code-lookup", rows=40, area="A1:F24"),
    Shot("pair_checker", "Pair checker", "pair-checker", rows=10, area="A1:H8"),
    Shot("pair_checker_standalone", "Pair checker", "pair-checker-standalone", rows=12, area="A1:K12"),
    Shot("audit_summary", "Summary", "docs/sample_audit.xlsx", rows=10**6),
    Shot("audit_findings", "Findings", "docs/sample_audit.xlsx", rows=10**6, area="A1:L20"),
]


def soffice(args: list[str], profile: Path) -> None:
    """Run LibreOffice headless with its own profile."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        sys.exit("soffice (LibreOffice) is not installed")
    command = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--nolockcheck", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=600)


def recalculated(path: Path, work: Path, profile: Path):
    """The workbook's values after a LibreOffice recalculation (openpyxl, data_only)."""
    import openpyxl

    out = work / "calc"
    out.mkdir(exist_ok=True)
    soffice(["--convert-to", "xlsx", "--outdir", str(out), str(path)], profile)
    return openpyxl.load_workbook(out / path.name, data_only=True)


# ------------------------------------------------------------- the add-in's calls


def udf_names() -> dict[str, object]:
    """The Excel functions of :mod:`addin.udfs` by name."""
    from addin import udfs

    return {name: obj for name, obj in vars(udfs).items() if name.isupper() and callable(obj)}


def calls(text: str, names) -> list[tuple[int, int, list[str]]]:
    """(start, end, argument texts) of each add-in call with no add-in call inside it."""
    from openpyxl.formula.tokenizer import Tokenizer

    tokens = Tokenizer(text).items
    found, stack, position = [], [], 1  # position: offset in ``text`` (after the "=")
    for token in tokens:
        start, position = position, position + len(token.value)
        if token.type == "FUNC" and token.subtype == "OPEN":
            stack.append({"name": token.value[:-1].upper(), "start": start, "args": [], "arg": start + len(token.value), "inner": False})
        elif token.type == "SEP" and token.subtype == "ARG" and stack:
            frame = stack[-1]
            frame["args"].append(text[frame["arg"]:start])
            frame["arg"] = position
        elif token.type == "FUNC" and token.subtype == "CLOSE":
            frame = stack.pop()
            frame["args"].append(text[frame["arg"]:start])
            is_udf = frame["name"] in names
            if is_udf and not frame["inner"]:
                args = [] if frame["args"] == [""] else frame["args"]
                found.append((frame["start"], position, args))
            if stack and (is_udf or frame["inner"]):
                stack[-1]["inner"] = True
    return found


def qualify(expression: str, sheet: str) -> str:
    """``$E4`` -> ``'Sheet'!$E4`` for every reference without a sheet name."""
    from openpyxl.formula.tokenizer import Tokenizer

    out = []
    for token in Tokenizer("=" + expression).items:
        value = token.value
        if token.type == "OPERAND" and token.subtype == "RANGE" and "!" not in value:
            value = f"'{sheet}'!{value}"
        elif token.type == "OPERAND" and token.subtype == "TEXT":
            value = value  # already quoted
        out.append(value)
    return "".join(out)


def literal(value) -> str:
    """An answer as a formula literal."""
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):  # a spill table: its first cell (screenshots show one cell)
        return literal(value[0][0] if value and value[0] else "")
    return '"' + str(value).replace('"', '""') + '"'


def references(text: str, sheet: str) -> list[tuple[str, int, int, int, int]]:
    """(sheet, min column, min row, max column, max row) of each reference in a formula."""
    from openpyxl.formula.tokenizer import Tokenizer
    from openpyxl.utils.cell import range_boundaries

    out = []
    for token in Tokenizer(text).items:
        if token.type != "OPERAND" or token.subtype != "RANGE":
            continue
        where, _, ref = token.value.rpartition("!")
        try:
            low_col, low_row, high_col, high_row = range_boundaries(ref.replace("$", ""))
        except ValueError:
            continue  # a defined name or an error literal
        out.append((where.strip("'") or sheet, low_col or 1, low_row or 1,
                    high_col or 16384, high_row or 1048576))
    return out


def tainted_cells(workbook, functions) -> dict[tuple[str, int], set[int]]:
    """Cells whose value still depends on an add-in call: (sheet, column) -> rows."""
    formulas = {}
    for ws in workbook.worksheets:
        for line in ws.iter_rows():
            for cell in line:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    formulas[(ws.title, cell.column, cell.row)] = cell.value
    tainted: dict[tuple[str, int], set[int]] = {}
    for (sheet, col, row), text in formulas.items():
        if calls(text, functions) or any(f"{n}(" in text.upper() for n in functions):
            tainted.setdefault((sheet, col), set()).add(row)
    refs = {key: references(text, key[0]) for key, text in formulas.items()}
    changed = True
    while changed:
        changed = False
        for (sheet, col, row), found in refs.items():
            if row in tainted.get((sheet, col), ()):
                continue
            if any(touches(tainted, ref) for ref in found):
                tainted.setdefault((sheet, col), set()).add(row)
                changed = True
    return tainted


def touches(tainted, ref) -> bool:
    """Whether a reference covers a tainted cell."""
    sheet, low_col, low_row, high_col, high_row = ref
    for (name, col), rows in tainted.items():
        if name == sheet and low_col <= col <= high_col and any(low_row <= r <= high_row for r in rows):
            return True
    return False


def _argument(value, joined):
    if isinstance(value, str) and value.startswith("#"):
        value = joined
    if isinstance(value, str) and value.startswith("#"):
        raise ValueError(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


def evaluate_calls(path: Path, work: Path, profile: Path) -> None:
    """Replace every add-in call in the workbook by its answer (in place)."""
    import openpyxl

    functions = udf_names()
    for _ in range(MAX_PASSES):
        workbook = openpyxl.load_workbook(path)
        tainted = tainted_cells(workbook, functions)
        pending = []  # (sheet, cell, start, end, name, [scratch refs])
        scratch = workbook.create_sheet(SCRATCH)
        row = 1
        for ws in workbook.worksheets[:-1]:
            for line in ws.iter_rows():
                for cell in line:
                    if cell.data_type != "f" or not isinstance(cell.value, str):
                        continue
                    for start, end, args in calls(cell.value, functions):
                        if any(touches(tainted, ref) for arg in args for ref in references("=" + arg, ws.title)):
                            continue  # an argument waits for another call: a later pass
                        refs = []
                        for arg in args:
                            if not arg.strip():
                                refs.append(None)
                                continue
                            expr = qualify(arg, ws.title)
                            scratch.cell(row=row, column=1, value=f"={expr}")
                            scratch.cell(row=row, column=2, value=f'=_xlfn.TEXTJOIN(",",1,{expr})')
                            # an empty cell reaches the add-in as None (LibreOffice would say 0)
                            scratch.cell(row=row, column=3, value=f"=IFERROR(ISBLANK({expr}),FALSE)")
                            refs.append(row)
                            row += 1
                        name = cell.value[start:end].split("(", 1)[0].upper()
                        pending.append((ws.title, cell.coordinate, start, end, name, refs))
        if not pending:
            return
        workbook.save(path)
        values = recalculated(path, work, profile)[SCRATCH] if row > 1 else None
        workbook = openpyxl.load_workbook(path)
        del workbook[SCRATCH]
        for sheet, coordinate, start, end, name, refs in sorted(pending, key=lambda p: -p[2]):
            cell = workbook[sheet][coordinate]
            try:
                args = [None if r is None or values.cell(r, 3).value is True
                        else _argument(values.cell(r, 1).value, values.cell(r, 2).value) for r in refs]
                answer = functions[name](*args)
            except ValueError:
                answer = ""  # Excel's IF would not have asked (an argument is an error)
            cell.value = cell.value[:start] + literal(answer) + cell.value[end:]
        workbook.save(path)


# ------------------------------------------------------------------- rendering


def prepare(shot: Shot, path: Path) -> None:
    """Show only the shot's sheet and blank the formulas below its rows."""
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    for ws in workbook.worksheets:
        if ws.title != shot.sheet:
            ws.sheet_state = "hidden"
        for line in ws.iter_rows(min_row=shot.rows + 1):
            for cell in line:
                if cell.data_type == "f":
                    cell.value = None
    workbook.active = workbook.sheetnames.index(shot.sheet)
    shown = workbook[shot.sheet]
    shown.sheet_state = "visible"
    if shot.area:
        shown.print_area = shot.area
        shown.page_setup.fitToHeight = 1
        shown.page_setup.fitToWidth = 1
        shown.sheet_properties.pageSetUpPr.fitToPage = True
    workbook.save(path)


def to_png(path: Path, target: Path, work: Path, profile: Path) -> None:
    """Page 1 of the workbook as a trimmed palette PNG."""
    from PIL import Image, ImageChops

    pdfs = work / "pdf"
    pdfs.mkdir(exist_ok=True)
    soffice(["--convert-to", "pdf", "--outdir", str(pdfs), str(path)], profile)
    stem = pdfs / path.stem
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile",
                    str(pdfs / f"{path.stem}.pdf"), str(stem)], check=True, timeout=300)
    image = Image.open(f"{stem}.png").convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    box = ImageChops.difference(image, background).getbbox()
    if box:
        left, top, right, bottom = box
        image = image.crop((max(0, left - 6), max(0, top - 6), min(image.width, right + 6),
                            min(image.height, bottom + 6)))
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    image.save(target, optimize=True)


def render(shot: Shot, outdir: Path, work: Path, profile: Path) -> Path:
    """Build or copy the shot's workbook, compute the add-in calls, write the PNG."""
    from addin.workbooks import templates

    folder = work / shot.name
    folder.mkdir()
    path = folder / f"{shot.name}.xlsx"
    if shot.source.endswith(".xlsx"):
        shutil.copyfile(PROJECT / shot.source, path)
    else:
        templates.build_template(shot.source, path, reference=templates.bundled_reference())
    prepare(shot, path)
    evaluate_calls(path, folder, profile)
    target = outdir / f"{shot.name}.png"
    to_png(path, target, folder, profile)
    return target


def main(argv: list[str] | None = None) -> int:
    """Render every screenshot; print each file and its size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "images")
    parser.add_argument("names", nargs="*", help="only these shots (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cpt-shots-") as temp:
        work = Path(temp)
        os.environ["CPT_ADDIN_HOME"] = str(work / "home")  # bundled data only
        profile = work / "profile"
        for shot in SHOTS:
            if args.names and shot.name not in args.names:
                continue
            target = render(shot, args.out, work, profile)
            print(f"{target} ({target.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT))
    sys.exit(main())
