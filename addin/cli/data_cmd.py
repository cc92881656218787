"""``cpt-addin data import | status | fetch``: the user's store of CMS tables.

``import`` prints one line per file (imported / already imported / skipped and why /
REFUSED with file, line and reason) and exits 2 when any file was refused; a refused file
never changes the store. ``status`` lists what is loaded. ``fetch`` downloads a quarter's
zips (or the ``--url`` addresses given) and imports them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from addin.codes import Setting
from addin.reference import fetch as fetching
from addin.reference.importers.names import parse_vintage
from addin.reference.store import (
    ALREADY,
    HELD_BACK,
    IMPORTED,
    REFUSED,
    SKIPPED,
    ImportResult,
    Store,
)


def _setting(text: str) -> str:
    try:
        return Setting.parse(text).value
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _vintage(text: str):
    try:
        return parse_vintage(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _quarter(text: str) -> str:
    try:
        fetching.parse_quarter(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def register(subparsers) -> None:
    """Add ``data`` with its ``import``, ``status`` and ``fetch`` sub-commands."""
    data = subparsers.add_parser("data", help="import CMS tables into the local store, list them")
    data.set_defaults(func=lambda args: data.print_help() or 2)
    commands = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    importing = commands.add_parser(
        "import",
        help="import CMS files (PTP, MUE, AOC, RVU, HCPCS, POS), folders, zips or plain CSV",
    )
    importing.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _label_options(importing)
    importing.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="import nothing when any file is refused (default: import the good files)",
    )
    importing.set_defaults(func=run_import)

    status = commands.add_parser("status", help="list the imported tables")
    status.add_argument("--json", action="store_true", help="print the manifest records as JSON")
    status.set_defaults(func=run_status)

    getting = commands.add_parser(
        "fetch", help="download a quarter's files from CMS (or --url addresses) and import them"
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
    getting.add_argument("--timeout", type=float, default=fetching.DEFAULT_TIMEOUT, help="seconds")
    getting.add_argument("--no-import", action="store_true", help="download only")
    _label_options(getting)
    getting.set_defaults(func=run_fetch)


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


def run_import(args: argparse.Namespace) -> int:
    """Import the paths and print one line per file; exit 2 when any file was refused."""
    store = Store()
    result = store.import_paths(
        args.paths,
        args.setting,
        args.vintage,
        all_or_nothing=args.all_or_nothing,
        progress=_progress,
    )
    _clear_progress()
    print_result(result)
    return 2 if result.refused else 0


def print_result(result: ImportResult, out=None) -> None:
    """One line per file, then a count line."""
    out = out or sys.stdout
    for outcome in result.outcomes:
        record = outcome.record
        if outcome.status in (IMPORTED, ALREADY) and record is not None:
            label = f"{record.table.upper():<5} {record.setting:<12} {record.vintage.isoformat()}"
            line = f"{outcome.status:<17} {label} {record.rows:>10,} rows  {outcome.source}"
            if outcome.message:
                line += f" ({outcome.message})"
        elif outcome.status == REFUSED:
            line = f"{'REFUSED':<17} {outcome.error or outcome.message}"
        else:
            line = f"{outcome.status:<17} {outcome.source}: {outcome.message}"
        print(line, file=out)
        for note in outcome.notes:
            print(f"{'':<17} note: {note}", file=out)
    counts = {
        s: sum(o.status == s for o in result.outcomes)
        for s in (IMPORTED, ALREADY, SKIPPED, HELD_BACK, REFUSED)
    }
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n or s in (IMPORTED, REFUSED))
    print(f"{summary}.", file=out)
    if result.refused:
        print("Refused files changed nothing in the store; fix them and import again.", file=out)


def run_status(args: argparse.Namespace) -> int:
    """Print the store's tables (or the manifest records as JSON)."""
    store = Store()
    records = sorted(store.records(), key=lambda r: (r.table, r.setting, r.vintage, r.part))
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in records], indent=2))
        return 0
    if not records:
        print(f"No tables imported yet (store: {store.root}).")
        print("Import CMS files with: cpt-addin data import PATH...")
        return 0
    header = ("table", "setting", "vintage", "part", "rows", "layout", "source file", "imported at")
    rows = [
        (
            r.table,
            r.setting,
            r.vintage.isoformat(),
            r.part,
            f"{r.rows:,}",
            r.layout,
            r.source_file,
            r.imported_at.strftime("%Y-%m-%d %H:%M"),
        )
        for r in records
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    right = {4}
    for row in (header, *rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        print("  ".join(cells).rstrip())
    print(f"store: {store.root}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    """Download, report each address, then import what arrived."""
    downloads = fetching.fetch(args.quarter, args.url, args.base_url, args.dest, args.timeout)
    for item in downloads:
        if item.path:
            print(f"{'downloaded':<17} {item.url} -> {item.path}")
        else:
            print(f"{'FAILED':<17} {item.url}: {item.error}")
    failed = [d for d in downloads if d.error]
    saved = [d.path for d in downloads if d.path]
    status = 2 if failed else 0
    if saved and not args.no_import:
        result = Store().import_paths(saved, args.setting, args.vintage)
        print_result(result)
        if result.refused:
            status = 2
    if failed:
        print(
            f"{len(failed)} of {len(downloads)} downloads failed. CMS changes its addresses: "
            "pass the current links with --url, or download in a browser and use "
            "'cpt-addin data import'.",
            file=sys.stderr,
        )
    return status


def _progress(name: str) -> None:
    if sys.stderr.isatty():
        print(f"\rreading {name[-70:]:<70}", end="", file=sys.stderr, flush=True)


def _clear_progress() -> None:
    if sys.stderr.isatty():
        print("\r" + " " * 80 + "\r", end="", file=sys.stderr, flush=True)
