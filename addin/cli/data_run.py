"""What ``cpt-addin data …`` does once parsed (see :mod:`addin.cli.data_cmd`)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from addin.checker.progress import reporter
from addin.errors import StoreDamagedError
from addin.reference import bundled, currency, schema
from addin.reference import fetch as fetching
from addin.reference.paths import bundled_data_dir
from addin.reference.store import (
    ALREADY,
    HELD_BACK,
    IMPORTED,
    REFUSED,
    SKIPPED,
    ImportResult,
    Store,
)


def run_import(args: argparse.Namespace) -> int:
    """Import the paths and print one line per file; exit 2 when any file was refused."""
    store = Store()
    bar = reporter(True)
    seen = [0]

    def each_file(name: str) -> None:
        seen[0] += 1
        bar("import", seen[0], 0, name[-60:])

    try:
        result = store.import_paths(
            args.paths,
            args.setting,
            args.vintage,
            all_or_nothing=args.all_or_nothing,
            progress=each_file,
        )
    finally:
        bar.close()
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
    """Print the tables that answer (bundled and imported), then the imported files.

    Exit 2 (with what is wrong and the mending command) when the store is damaged.
    """
    store = Store()
    try:
        records = sorted(store.records(), key=lambda r: (r.table, r.setting, r.vintage, r.part))
    except StoreDamagedError as exc:
        print(f"cpt-addin: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in records], indent=2))
        return 0
    print_tables(store)
    print()
    if not records:
        print(f"No tables imported yet: the bundled sample tables answer (store: {store.root}).")
        print("Import CMS files with: cpt-addin data import PATH...")
        return 0
    print("Imported files:")
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
    _print_table(header, rows, right={4})
    print(f"store: {store.root}")
    return 0


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]], right=frozenset()) -> None:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    for row in (header, *rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        print("  ".join(cells).rstrip())


def print_tables(store: Store) -> None:
    """Every bundled and imported table version, the one answering today, and the periods
    up to today's quarter that no version covers (answered from an older table)."""
    from addin.reference.versions import VersionSet, imported_versions

    today = bundled.today()
    imported = imported_versions(store.root)
    shipped = bundled.bundled_versions(bundled_data_dir())
    print(f"Tables (today {today.isoformat()}, {currency.quarter_label(today)}):")
    header = ("table", "setting", "vintage", "covers", "origin", "rows", "today")
    rows: list[tuple[str, ...]] = []
    gaps: list[str] = []
    for key in sorted(set(imported) | set(shipped)):
        table, setting = key
        answering = VersionSet(list(imported.get(key) or shipped[key]))
        spans = currency.periods(answering)
        now = currency.assess(answering, table, setting, today)
        answering_now = answering.pick(today)
        for version, span in zip(answering.versions, spans, strict=True):
            state = ""
            if version is answering_now:
                state = "answers today" + (f" {now.suffix}" if now.suffix else "")
            rows.append(_version_row(version, span, state))
        if key in imported and key in shipped:
            for version in shipped[key]:
                rows.append(_version_row(version, None, "replaced by the imported table"))
        if table != schema.POS:
            gaps.extend(_gaps(table, setting, answering, spans, today))
    _print_table(header, rows, right={5})
    if gaps:
        print("Periods with no table of their own (answered from an older table, or not at all):")
        for line in gaps:
            print(f"  {line}")


def _version_row(version, span, state: str) -> tuple[str, ...]:
    return (
        version.table.upper(),
        version.setting,
        version.vintage.isoformat() if version.vintage else "undated",
        span[2] if span else "",
        version.origin,
        f"{version.rows:,}",
        state,
    )


def _gaps(table, setting, versions, spans, today) -> list[str]:
    name = table.upper() + ("" if setting == schema.ALL_SETTINGS else f" {setting}")
    dated = [s for s in spans if s is not None]
    if not dated:
        return []
    out = [f"{name}: before {dated[0][2]} (no table; answered from {dated[0][2]})"]
    for (_start, end, label), following in zip(dated, [*dated[1:], None], strict=True):
        upto = following[0] if following else currency.next_quarter_start(today)
        if end < upto:
            last = upto - dt.timedelta(days=1)
            first_label = currency.date_period(end, "year" if len(label) == 4 else "quarter")
            last_label = currency.date_period(last, "year" if len(label) == 4 else "quarter")
            span = first_label if first_label == last_label else f"{first_label}–{last_label}"
            out.append(f"{name}: {span} (answered from {label}, older)")
    return out


def run_verify(args: argparse.Namespace) -> int:
    """Check every stored file (size, sha256, readable, rows); exit 2 with the mending command."""
    store = Store()
    bar = reporter(True)
    try:
        found = store.verify(progress=bar)
    finally:
        bar.close()
    if found.manifest_error:
        print(f"DAMAGED  {found.manifest_error}")
        print("Mend with: cpt-addin data repair")
        return 2
    for problem in found.problems:
        source = problem.record.source_file if problem.record else ""
        print(f"DAMAGED  {problem.path}: {problem.what} (from {source})")
    for path in found.unlisted:
        print(f"unlisted {path}: not in the manifest (left by an interrupted import?)")
    for note in found.notes:
        print(f"note     {note}")
    print(f"{found.checked} file(s) checked, {len(found.problems)} damaged (store: {store.root}).")
    if found.problems:
        names = ", ".join(sorted({p.record.source_file for p in found.problems if p.record}))
        print(f"Mend with: cpt-addin data repair, then import again: {names}")
        return 2
    return 0


def run_repair(args: argparse.Namespace) -> int:
    """Rebuild or correct the manifest; say what was dropped and must be imported again."""
    store = Store()
    done = store.repair()
    if done.rebuilt:
        print(f"Rebuilt {store.manifest_path} from {len(done.kept)} Parquet file(s).")
    for problem in done.skipped_files:
        print(f"left out {problem.path}: {problem.what}")
    for problem in done.dropped:
        source = problem.record.source_file if problem.record else problem.path
        print(f"dropped  {problem.path} ({problem.what}): import {source} again")
    if done.checksums_added:
        print(f"Recorded checksums for {done.checksums_added} file(s).")
    for label in done.indexes_built:
        print(f"Stored the PTP index of {label}.")
    print(f"The manifest lists {len(done.kept)} file(s) (store: {store.root}).")
    if done.dropped:
        print("Dropped tables now answer from the bundled data until they are imported again.")
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


def _matches(record: schema.ImportRecord, args: argparse.Namespace) -> bool:
    if args.quarter:
        year, quarter = fetching.parse_quarter(args.quarter)
        if (record.vintage.year, (record.vintage.month - 1) // 3 + 1) != (year, quarter):
            return False
    elif record.vintage != args.vintage:
        return False
    if args.table and record.table.lower() != args.table.strip().lower():
        return False
    return not (args.setting and record.setting not in (args.setting, schema.ALL_SETTINGS))


def run_remove(args: argparse.Namespace) -> int:
    """Drop the matching manifest entries and their Parquet files, under the store lock."""
    store = Store()
    if not store.manifest_path.exists():
        print(f"Nothing to remove: no table is imported (store: {store.root}).", file=sys.stderr)
        return 2
    with store._lock():
        records = store.records()
        chosen = [r for r in records if _matches(r, args)]
        if not chosen:
            have = sorted({f"{r.label}" for r in records}) or ["nothing"]
            print(f"Nothing matches; the store holds: {', '.join(have)}.", file=sys.stderr)
            return 2
        verb = "would remove" if args.dry_run else "removed"
        for record in chosen:
            print(f"{verb} {record.label} ({record.source_file}, {record.rows} rows)")
        if args.dry_run:
            return 0
        kept = [r for r in records if r not in chosen]
        store._write_manifest(kept)  # the manifest first: a crash leaves only an unlisted file
        in_use = {r.path for r in kept}
        for record in chosen:
            if record.path not in in_use:
                (store.root / record.path).unlink(missing_ok=True)
    print(f"{len(chosen)} version(s) removed; earlier versions or the bundled data answer now "
          "(see cpt-addin data status).")
    return 0
