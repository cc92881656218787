"""``cpt-addin template``: list the prebuilt workbooks, write one, or rebuild them all."""

from __future__ import annotations

import argparse
from pathlib import Path

from addin.cli.common import EXIT_REFUSED, add_command
from addin.errors import CptAddinError

BUILD_ALL = "build-all"
LIST = "list"


def register(subparsers) -> None:
    """Add the ``template`` sub-command."""
    parser = add_command(
        subparsers,
        "template",
        help="write a prebuilt workbook (claim entry, code lookup, pair checker)",
        exits=("0 listed or written", EXIT_REFUSED + "; unknown template or bad output path"),
        description=(
            "cpt-addin template list | cpt-addin template NAME -o FILE [--codes 47383,77002] | "
            "cpt-addin template build-all --out workbook_templates"
        ),
    )
    parser.add_argument("name", help="a template name, 'list' or 'build-all'")
    parser.add_argument("-o", "--output", type=Path, help="the workbook to write (.xlsx)")
    parser.add_argument(
        "--codes",
        help="comma-separated codes whose edits the standalone pair checker embeds "
        "(default: the bundled code list)",
    )
    parser.add_argument("--out", type=Path, default=Path("workbook_templates"),
                        help="folder for build-all (default workbook_templates)")
    parser.set_defaults(func=run_template)


def run_template(args: argparse.Namespace) -> int:
    """List, build one, or build all; exit 0 on success (2 on a usage error via CptAddinError)."""
    from addin.workbooks import templates

    name = args.name.strip().lower()
    if name == LIST:
        width = max(len(n) for n in templates.TEMPLATES)
        for template in templates.TEMPLATES.values():
            needs = "needs the add-in" if template.needs_addin else "no add-in needed"
            print(f"{template.name:<{width}}  {template.summary} ({needs})")
        return 0
    if name == BUILD_ALL:
        for path in templates.build_all(args.out):
            print(f"wrote {path}")
        return 0
    if args.output is None:
        raise CptAddinError(f"say where to write the workbook: cpt-addin template {name} -o FILE.xlsx")
    if args.output.suffix.lower() != ".xlsx":
        raise CptAddinError(f"{args.output}: the output must be an .xlsx file")
    codes = None
    if args.codes is not None:
        codes = [c.strip() for c in args.codes.replace(";", ",").split(",") if c.strip()]
        if not codes:
            raise CptAddinError("--codes is empty: give codes such as --codes 47383,77002")
    path = templates.build_template(name, args.output, codes=codes)
    print(f"wrote {path}")
    return 0
