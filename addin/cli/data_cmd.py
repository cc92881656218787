"""``cpt-addin data import | status | verify | repair | fetch``: the user's store of CMS tables.

``import`` prints one line per file (imported / already imported / skipped and why /
REFUSED with file, line and reason) and exits 2 when any file was refused; a refused file
never changes the store. ``status`` lists the bundled and imported tables, which version
answers today and which periods no table covers. ``verify`` checks every stored file
against the manifest; ``repair`` rebuilds or corrects the manifest. ``fetch`` downloads a
quarter's zips (or the ``--url`` addresses given) and imports them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from addin.cli.common import EXIT_REFUSED, add_command
from addin.cli.common import setting_name_arg as _setting

EXIT_OK_REPAIR = "0 the manifest lists every file left (dropped entries are printed)"

#: Seconds ``data fetch`` waits for CMS (addin.reference.fetch.DEFAULT_TIMEOUT).
FETCH_TIMEOUT = 60.0


def _vintage(text: str):
    from addin.reference.importers.names import parse_vintage

    try:
        return parse_vintage(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _quarter(text: str) -> str:
    from addin.reference import fetch as fetching

    try:
        fetching.parse_quarter(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _run(name: str):
    """The ``func`` of a sub-command: :mod:`addin.cli.data_run` imported when it runs."""

    def call(args: argparse.Namespace) -> int:
        from addin.cli import data_run

        return getattr(data_run, name)(args)

    call.__name__ = name
    return call


def register(subparsers) -> None:
    """Add ``data`` with its ``import``, ``status`` and ``fetch`` sub-commands."""
    data = add_command(
        subparsers,
        "data",
        help="import CMS tables into the local store, list them",
        exits=("0 done", "2 no sub-command given, or the sub-command failed (see its --help)"),
    )
    data.set_defaults(func=lambda args: data.print_help() or 2)
    commands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    importing = add_command(
        commands,
        "import",
        help="import CMS files (PTP, MUE, AOC, RVU, HCPCS, POS), folders, zips or plain CSV",
        exits=("0 every file imported, already imported or skipped (with the reason)",
               "2 a file was refused (file, line and reason printed; it changed nothing)"),
    )
    importing.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _label_options(importing)
    importing.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="import nothing when any file is refused (default: import the good files)",
    )
    importing.set_defaults(func=_run("run_import"))

    status = add_command(
        commands,
        "status",
        help="list bundled and imported tables, which answers today, periods not covered",
        exits=("0 listed", "2 the store's manifest is damaged (mend with: cpt-addin data repair)"),
    )
    status.add_argument("--json", action="store_true", help="print the manifest records as JSON")
    status.set_defaults(func=_run("run_status"))

    verify = add_command(
        commands,
        "verify",
        help="check every stored file against the manifest",
        exits=("0 every file is intact", "2 damaged files or manifest (the mending command is printed)"),
    )
    verify.set_defaults(func=_run("run_verify"))
    repair = add_command(
        commands,
        "repair",
        help="rebuild a lost or damaged manifest; drop entries whose file is gone",
        exits=(EXIT_OK_REPAIR, EXIT_REFUSED),
    )
    repair.set_defaults(func=_run("run_repair"))

    getting = add_command(
        commands,
        "fetch",
        help="download a quarter's files from CMS (or --url addresses) and import them",
        exits=("0 every download arrived and imported",
               "2 a download failed or a downloaded file was refused"),
    )
    getting.add_argument("--quarter", type=_quarter, help="e.g. 2026Q3 (default: this quarter)")
    getting.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="URL",
        help="download this address instead of the quarter's (repeatable)",
    )
    getting.add_argument("--base-url", help="prefix replacing https://www.cms.gov/files/zip/")
    getting.add_argument(
        "--dest", type=Path, help="folder for the downloads (default $CPT_ADDIN_HOME/downloads)"
    )
    getting.add_argument(
        "--timeout", type=float, default=FETCH_TIMEOUT, help=f"seconds (default {FETCH_TIMEOUT:g})"
    )
    getting.add_argument("--no-import", action="store_true", help="download only")
    _label_options(getting)
    getting.set_defaults(func=_run("run_fetch"))
    register_remove(commands)


def register_remove(commands) -> None:
    """``data remove``: take imported versions out of the store (roll back a quarter)."""
    removing = commands.add_parser(
        "remove",
        help="remove imported tables of a quarter or vintage (roll back to the previous one)",
        description="Remove imported table versions from the store. The previous versions (or the "
        "bundled data) answer again. Exit 0 when something was removed (or listed with "
        "--dry-run), 2 when nothing matches.",
    )
    which = removing.add_mutually_exclusive_group(required=True)
    which.add_argument("--quarter", type=_quarter, help="every version whose vintage is in it, e.g. 2026Q3")
    which.add_argument("--vintage", type=_vintage, help="the versions of this vintage, e.g. 2026-07-01")
    removing.add_argument("--table", help="only this table (ptp, mue, aoc, rvu, hcpcs, pos, icd10cm ...)")
    removing.add_argument("--setting", type=_setting, help="only this setting")
    removing.add_argument("--dry-run", action="store_true", help="list what would be removed")
    removing.set_defaults(func=_run("run_remove"))


def _label_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--setting",
        type=_setting,
        help="practitioner, hospital or dme, for files that do not say it themselves",
    )
    parser.add_argument(
        "--vintage",
        type=_vintage,
        help="quarter or date the files are for (2026Q3 or 2026-07-01) when the file does not say",
    )


