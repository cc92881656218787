"""A store that knows when it is damaged: reading, verifying and repairing ``manifest.json``.

Faults and what every command that would use the store does about them (raise
:class:`~addin.errors.StoreDamagedError`: CLI exit 2, a cell message in Excel, 503 from the
server), never answering from other data instead:

* Parquet files but no manifest, an empty or damaged manifest -> ``cpt-addin data repair``
  rebuilds it from the ``cpt_addin`` metadata every stored Parquet file carries.
* A listed Parquet file missing, unreadable, of another size or (when the version is loaded)
  another sha256 than recorded -> ``cpt-addin data repair`` drops the entry and names the
  file to import again.

Cost: building :class:`~addin.reference.data.ReferenceData` reads only the manifest and
lists the store folder. A table version is checked when it is first loaded: size against the
manifest, the sha256 of the bytes it reads anyway (about 0.1 s for the 2.5M-row practitioner
PTP file) and a readable Parquet footer; ``cpt-addin data verify`` checks every file.
Manifests written before checksums were recorded stay readable: their files are verified
by reading them, and ``cpt-addin data repair`` records the checksums.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from addin.errors import StoreDamagedError
from addin.reference import schema

MANIFEST = "manifest.json"
REPAIR = "cpt-addin data repair"
VERIFY = "cpt-addin data verify"
_CHUNK = 8 * 1024 * 1024
_verified: dict[tuple[str, int, int], str] = {}
_verified_lock = threading.Lock()


def parquet_files(store: Path) -> list[Path]:
    """Every stored Parquet file (``<table>/<setting>/*.parquet``, no temporary files)."""
    if not store.is_dir():
        return []
    return sorted(
        p for p in store.glob("*/*/*.parquet") if p.is_file() and not p.name.startswith(".")
    )


def read_records(store: Path) -> list[schema.ImportRecord]:
    """The manifest's import records; [] for a store with no manifest and no Parquet file.

    Raises :class:`StoreDamagedError` for Parquet files without a manifest and for an empty
    or damaged manifest.
    """
    manifest = store / MANIFEST
    if not manifest.exists():
        orphans = parquet_files(store)
        if orphans:
            raise StoreDamagedError(
                f"{store} holds {len(orphans)} Parquet file(s) but no {MANIFEST}", REPAIR
            )
        return []
    try:
        text = manifest.read_text(encoding="utf-8")
        payload = json.loads(text)
        if not isinstance(payload, dict) or not isinstance(payload.get("imports"), list):
            raise ValueError("it has no list of imports")
        records = [schema.ImportRecord.model_validate(item) for item in payload["imports"]]
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
        reason = "it is empty" if manifest.exists() and not manifest.read_bytes().strip() else str(exc).splitlines()[0]
        raise StoreDamagedError(f"{manifest} cannot be read ({reason})", REPAIR) from None
    if not records and parquet_files(store):
        raise StoreDamagedError(
            f"{manifest} lists no tables but the store holds Parquet files", REPAIR
        )
    return records


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (read in chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _mend(record: schema.ImportRecord) -> str:
    return f"{REPAIR} (it drops the entry), then import {record.source_file} again with cpt-addin data import"


def check_cheap(store: Path, record: schema.ImportRecord) -> None:
    """The file exists and has the recorded size (raises :class:`StoreDamagedError`)."""
    path = store / record.path
    try:
        size = path.stat().st_size
    except OSError:
        raise StoreDamagedError(
            f"{record.path} ({record.label}, from {record.source_file}) is missing", _mend(record)
        ) from None
    if record.parquet_bytes and size != record.parquet_bytes:
        raise StoreDamagedError(
            f"{record.path} ({record.label}) has {size:,} bytes, the manifest recorded "
            f"{record.parquet_bytes:,}",
            _mend(record),
        )


def read_verified(store: Path, record: schema.ImportRecord) -> bytes:
    """The Parquet file's bytes, after checking size and (when recorded) sha256."""
    check_cheap(store, record)
    path = store / record.path
    data = path.read_bytes()
    if record.parquet_sha256:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with _verified_lock:
            known = _verified.get(key)
        if known != record.parquet_sha256:
            actual = hashlib.sha256(data).hexdigest()
            if actual != record.parquet_sha256:
                raise StoreDamagedError(
                    f"{record.path} ({record.label}) no longer matches its sha256 in the manifest",
                    _mend(record),
                )
            with _verified_lock:
                _verified[key] = actual
    return data


def unreadable(record: schema.ImportRecord, exc: Exception) -> StoreDamagedError:
    """The error for a Parquet file that exists but cannot be decoded."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return StoreDamagedError(
        f"{record.path} ({record.label}) cannot be read as Parquet ({reason})", _mend(record)
    )


# ---------------------------------------------------------------------- verify


@dataclass
class Problem:
    """One fault ``data verify`` found."""

    path: str
    what: str
    record: schema.ImportRecord | None = None


@dataclass
class Verification:
    """What ``data verify`` found: checked records, faults, files the manifest does not list."""

    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    manifest_error: str = ""
    notes: list[str] = field(default_factory=list)  # sound but improvable (no stored PTP index)

    @property
    def ok(self) -> bool:
        """True when every listed file is sound (unlisted files are only reported)."""
        return not self.problems and not self.manifest_error


def verify_record(store: Path, record: schema.ImportRecord) -> str:
    """``""`` when the file is sound, else what is wrong (full read and checksum)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = store / record.path
    if not path.exists():
        return "missing"
    size = path.stat().st_size
    if record.parquet_bytes and size != record.parquet_bytes:
        return f"{size:,} bytes, the manifest recorded {record.parquet_bytes:,}"
    if record.parquet_sha256 and file_sha256(path) != record.parquet_sha256:
        return "sha256 no longer matches the manifest"
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        return f"cannot be read as Parquet ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if table.num_rows != record.rows:
        return f"{table.num_rows:,} rows, the manifest recorded {record.rows:,}"
    return ""


def verify_store(store: Path, progress=None) -> Verification:
    """Check every file the manifest lists (size, sha256, readable, row count).

    ``progress``: an optional callback ``(stage, done, total)``, called with ``"verify"``."""
    out = Verification()
    try:
        records = read_records(store)
    except StoreDamagedError as exc:
        out.manifest_error = exc.problem
        return out
    for record in records:
        if progress:
            progress("verify", out.checked, len(records))
        out.checked += 1
        what = verify_record(store, record)
        if what:
            out.problems.append(Problem(record.path, what, record))
    if progress:
        progress("verify", out.checked, len(records))
    _verify_ptp_indexes(store, records, out)
    listed = {r.path for r in records}
    out.unlisted = [
        p.relative_to(store).as_posix() for p in parquet_files(store)
        if p.relative_to(store).as_posix() not in listed
    ]
    return out


def _verify_ptp_indexes(store: Path, records: list[schema.ImportRecord], out: Verification) -> None:
    """The stored pair index of each PTP version: a damaged one is a problem (``data repair``
    rebuilds it); a store written before indexes were stored gets a note."""
    from addin.reference import ptp_index_file

    for group in ptp_index_file.versions_of(records).values():
        record = group[0]
        if any(out_problem.record in group for out_problem in out.problems):
            continue  # the table itself is damaged: that is the fault to mend
        if not record.index_path or any(r.index_path != record.index_path for r in group):
            out.notes.append(
                f"{record.label}: no stored PTP index (each process builds it, ~0.3 s); "
                f"{REPAIR} stores it"
            )
            continue
        what = ptp_index_file.problem(store, group)
        if what:
            out.problems.append(
                Problem(record.index_path, f"PTP index {what} ({REPAIR} rebuilds it from the table)", record)
            )


# ---------------------------------------------------------------------- repair


@dataclass
class Repair:
    """What ``data repair`` did."""

    rebuilt: bool = False  # the manifest was rebuilt from the Parquet files' metadata
    kept: list[schema.ImportRecord] = field(default_factory=list)
    dropped: list[Problem] = field(default_factory=list)  # entries whose file is gone/damaged
    checksums_added: int = 0
    skipped_files: list[Problem] = field(default_factory=list)  # files left out of a rebuild
    indexes_built: list[str] = field(default_factory=list)  # PTP versions whose index was (re)stored


def record_from_parquet(store: Path, path: Path) -> schema.ImportRecord:
    """An import record rebuilt from a stored Parquet file's ``cpt_addin`` metadata."""
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    meta = json.loads((metadata.metadata or {})[b"cpt_addin"])
    stat = path.stat()
    return schema.ImportRecord(
        table=meta["table"],
        setting=meta["setting"],
        vintage=dt.date.fromisoformat(meta["vintage"]),
        part=meta.get("part", ""),
        layout=meta["layout"],
        source_file=f"(recovered by data repair from {path.name})",
        sha256="",
        rows=metadata.num_rows,
        imported_at=dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).replace(microsecond=0),
        path=path.relative_to(store).as_posix(),
        parquet_sha256=file_sha256(path),
        parquet_bytes=stat.st_size,
    )


def _conflicts(old: schema.ImportRecord, new: schema.ImportRecord) -> bool:
    if (old.table, old.setting, old.vintage) != (new.table, new.setting, new.vintage):
        return False
    return old.part == new.part or not old.part or not new.part


def repair_store(store: Path, write) -> Repair:
    """Make the manifest match the files: rebuild it when gone or damaged, drop entries whose
    file is missing or damaged, record missing checksums. ``write(records)`` saves it."""
    out = Repair()
    try:
        records = read_records(store)
    except StoreDamagedError:
        records = None
    if records is None:
        out.rebuilt = True
        found: list[schema.ImportRecord] = []
        for path in sorted(parquet_files(store), key=lambda p: p.stat().st_mtime, reverse=True):
            relative = path.relative_to(store).as_posix()
            try:
                record = record_from_parquet(store, path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not fatal
                out.skipped_files.append(Problem(relative, f"cannot be read ({type(exc).__name__})"))
                continue
            newer = next((r for r in found if _conflicts(r, record)), None)
            if newer is not None:
                out.skipped_files.append(Problem(relative, f"an older copy of {newer.label}"))
                continue
            found.append(record)
        out.kept = sorted(found, key=lambda r: (r.table, r.setting, r.vintage, r.part))
    else:
        for record in records:
            what = verify_record(store, record)
            if what:
                out.dropped.append(Problem(record.path, what, record))
                continue
            if not record.parquet_sha256:
                path = store / record.path
                record.parquet_sha256 = file_sha256(path)
                record.parquet_bytes = path.stat().st_size
                out.checksums_added += 1
            out.kept.append(record)
    _repair_ptp_indexes(store, out)
    write(out.kept)
    from addin.reference import ptp_index_file

    ptp_index_file.remove_unlisted(store, out.kept)
    return out


def _repair_ptp_indexes(store: Path, out: Repair) -> None:
    """Store (again) the pair index of each kept PTP version whose index is missing, damaged
    or was built from other files (written before the manifest that names it)."""
    from addin.reference import ptp_index_file

    for group in ptp_index_file.versions_of(out.kept).values():
        try:
            if ptp_index_file.ensure(store, group):
                out.indexes_built.append(group[0].label)
        except Exception as exc:  # noqa: BLE001 - the tables stay usable without it
            out.skipped_files.append(Problem(group[0].path, f"PTP index not rebuilt ({type(exc).__name__})"))
