"""``cpt-addin excel install | functions``: register the Excel functions with xlwings.

``install`` writes ``UDF MODULES = addin.udfs`` and the Python interpreter in use to the
user's xlwings configuration (or, with ``--workbook``, to an ``xlwings.conf`` sheet in a copy
of that workbook) and prints the next steps. ``functions`` lists the functions with the help
Excel shows for them.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from addin.cli.common import EXIT_REFUSED, add_command
from addin.excel import install


def register(subparsers) -> None:
    """Add ``excel`` with its ``install`` and ``functions`` sub-commands."""
    excel = add_command(
        subparsers,
        "excel",
        help="register the Excel functions (xlwings) and list them",
        exits=("0 done", "2 no sub-command given, or it could not be done"),
    )
    excel.set_defaults(func=lambda args: excel.print_help() or 2)
    commands = excel.add_subparsers(dest="excel_command", metavar="SUBCOMMAND")

    setup = add_command(
        commands,
        "install",
        help="write the xlwings configuration that registers addin.udfs",
        exits=("0 the configuration was written", EXIT_REFUSED),
        description="Register addin.udfs with the classic xlwings add-in: writes UDF MODULES and "
        "the Python interpreter to the user's xlwings.conf (keeping its other settings), or with "
        "--workbook to an xlwings.conf sheet in a copy of that workbook.",
    )
    setup.add_argument("--workbook", type=Path, metavar="PATH",
                       help="write the settings into a copy of this .xlsx/.xlsm (NAME-cpt-addin.xlsx beside it)")
    setup.add_argument("--output", type=Path, metavar="PATH", help="with --workbook: where to write the copy")
    setup.add_argument("--config", type=Path, metavar="PATH",
                       help=f"xlwings config file to update (default {install.user_config_path()})")
    setup.add_argument("--interpreter", metavar="PYTHON",
                       help=f"Python that Excel should start (default this one: {sys.executable})")
    setup.add_argument("--pythonpath", metavar="DIR",
                       help="add DIR to PYTHONPATH (default: the project folder, only when the "
                       "interpreter cannot import cpt-addin by itself)")
    setup.set_defaults(func=run_install)

    listing = add_command(
        commands, "functions", help="list the Excel functions and their help", exits=("0 listed",)
    )
    listing.set_defaults(func=run_functions)


def run_install(args: argparse.Namespace) -> int:
    """Write the settings, say what changed, print the next steps."""
    interpreter = args.interpreter or sys.executable
    pythonpath = args.pythonpath
    if pythonpath is None and install.needs_pythonpath(interpreter):
        pythonpath = str(install.project_root())
    wanted = install.desired_settings(interpreter, pythonpath)
    if args.workbook:
        target, changes = install.write_workbook_config(args.workbook, wanted, args.output)
        print(f"Wrote {target} with an '{install.CONFIG_SHEET}' sheet (the input workbook is unchanged).")
    else:
        target = args.config or install.user_config_path()
        changes = install.write_config_file(target, wanted)
        print(f"Updated {target}")
    for change in changes:
        print(f"  {change}")
    print()
    print(install.NEXT_STEPS)
    return 0


def run_functions(args: argparse.Namespace) -> int:
    """One block per function: the Excel signature, then the help text."""
    from addin import udfs

    for name, func in inspect.getmembers(udfs, inspect.isfunction):
        if not name.isupper():
            continue
        params = inspect.signature(func).parameters.values()
        shown = ", ".join(p.name if p.default is inspect.Parameter.empty else f"[{p.name}]" for p in params)
        print(f"={name}({shown})")
        print(f"    {inspect.getdoc(func).splitlines()[0]}")
    return 0
