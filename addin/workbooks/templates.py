"""Prebuilt workbooks: the registry, building one, and rebuilding ``workbook_templates/``.

``cpt-addin template list`` / ``cpt-addin template NAME -o FILE [--codes ...]`` use
:func:`build_template`; ``python -m addin.workbooks.templates [OUTDIR]`` (or ``cpt-addin
template build-all --out workbook_templates``) rebuilds the committed copies. Those are built
from the bundled data only and saved byte-stable, so a test can regenerate them and compare
bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from addin.errors import CptAddinError
from addin.outputs import OutputFileError
from addin.workbooks import claim_entry, lookup_sheets, standalone_pair
from addin.workbooks.atomic import atomic_path, check_output
from addin.workbooks.stable_zip import make_byte_stable
from addin.workbooks.template_parts import data_as_of


@dataclass(frozen=True)
class Template:
    """A workbook the user can ask for by name."""

    name: str
    filename: str
    summary: str
    build: Callable[..., object]
    needs_addin: bool
    takes_codes: bool = False


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("claim-entry", "claim_entry.xlsx",
                 "type claim lines with drop-downs; live description, conflict and modifier columns",
                 claim_entry.build, needs_addin=True),
        Template("code-lookup", "code_lookup.xlsx",
                 "everything about a code (and a list of codes) from the Excel functions",
                 lookup_sheets.build_code_lookup, needs_addin=True),
        Template("pair-checker", "pair_checker.xlsx",
                 "NCCI PTP verdicts and suggested modifiers for pairs of codes (Excel functions)",
                 lookup_sheets.build_pair_checker, needs_addin=True),
        Template("pair-checker-standalone", "pair_checker_standalone.xlsx",
                 "pair checker with its own table of edits, for any spreadsheet app",
                 standalone_pair.build, needs_addin=False, takes_codes=True),
    )
}


def get_template(name: str) -> Template:
    """The template called ``name`` (raises CptAddinError listing the names)."""
    key = name.strip().lower().replace("_", "-")
    if key not in TEMPLATES:
        raise CptAddinError(f"unknown template {name!r}: use one of {', '.join(TEMPLATES)}")
    return TEMPLATES[key]


def bundled_reference():
    """Reference data from the bundled tables only (no user imports): reproducible output."""
    from addin.reference import ReferenceData
    from addin.reference.paths import bundled_data_dir

    return ReferenceData(store=bundled_data_dir() / ".no-store", data_dir=bundled_data_dir())


def build_template(
    name: str,
    path: Path,
    codes: Iterable[str] | None = None,
    reference=None,
    as_of: dt.date | None = None,
    stable: bool = True,
) -> Path:
    """Write template ``name`` to ``path`` (atomically); returns the path.

    ``codes``: the code list of templates that embed data (pair-checker-standalone).
    ``reference``: the data to use (default: the user's, bundled plus imported).
    ``as_of``: the date facts are given for (default: the newest vintage of the data).
    """
    template = get_template(name)
    if codes is not None and not template.takes_codes:
        raise CptAddinError(f"template {template.name} takes no --codes (it asks the add-in for any code)")
    path = check_output(path, what="workbook")  # before any work: a clear message, no traceback
    if reference is None:
        from addin.reference import get_reference_data

        reference = get_reference_data()
    as_of = as_of or data_as_of(reference)
    with atomic_path(path) as temp:
        workbook = template.build(reference, codes=codes, as_of=as_of)
        workbook.save(temp)
        if stable:
            make_byte_stable(temp)
    return path


def build_all(outdir: Path) -> list[Path]:
    """Rebuild every prebuilt template into ``outdir`` from the bundled data."""
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)  # the folder named by --out is the one to fill
    except OSError as exc:
        raise OutputFileError(outdir, f"the folder cannot be created ({exc.strerror})") from None
    reference = bundled_reference()
    return [
        build_template(t.name, outdir / t.filename, reference=reference)
        for t in TEMPLATES.values()
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m addin.workbooks.templates [OUTDIR]``: rebuild the prebuilt templates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", default="workbook_templates")
    args = parser.parse_args(argv)
    for path in build_all(Path(args.outdir)):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
