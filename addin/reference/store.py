"""The user's store of imported CMS tables: Parquet files plus ``manifest.json``.

Layout and identity rules are in :mod:`addin.reference.schema`. What this module guarantees:

* **Nothing half-done.** Every file is parsed and validated first and written to a staging
  folder outside the store; only then are the Parquet files renamed into place and the
  manifest replaced atomically (temp file + ``os.replace``). A refused file leaves the store
  byte-for-byte as it was.
* **Idempotent.** Bytes already imported (same sha256) are a no-op, and so is a file whose rows
  equal the stored table of the same identity (the CSV and XLSX of one MUE release, say).
* **Re-releases replace.** Other bytes for the same (table, setting, vintage, part) replace the
  earlier entry and its Parquet file is deleted. A whole table (no part) and the parts of the
  same table/setting/vintage replace each other, so the loader never concatenates both.
* **PTP is pre-indexed.** PTP Parquet files carry ``pair_key``
  (:func:`addin.codes.pair_keys` of the encoded Column 1 / Column 2) and are sorted by it, so
  the loader can ``searchsorted``; dates are ``date32``, the rationale dictionary-encoded.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from addin.codes import Setting, encode_codes, pair_keys
from addin.errors import CptAddinError, InputFileError
from addin.reference import integrity, ptp_index_file, schema
from addin.reference.importers.common import Hints, ParsedTable, SkippedFile
from addin.reference.importers.detect import UnknownLayoutError, parse_source
from addin.reference.importers.names import parse_vintage
from addin.reference.importers.sources import PendingSource, iter_sources
from addin.reference.paths import store_dir

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
LOCK_STALE_SECONDS = 600

IMPORTED = "imported"
ALREADY = "already imported"
SKIPPED = "skipped"
REFUSED = "refused"
HELD_BACK = "held back"


@dataclass
class FileOutcome:
    """What happened to one file of an import."""

    source: str
    status: str  # imported / already imported / skipped / refused / held back
    record: schema.ImportRecord | None = None
    message: str = ""
    error: InputFileError | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """The outcome of :meth:`Store.import_paths`, one entry per file, in the order read."""

    outcomes: list[FileOutcome]

    @property
    def refused(self) -> list[FileOutcome]:
        """Files refused (the import exits 2 when there is any)."""
        return [o for o in self.outcomes if o.status == REFUSED]

    @property
    def imported(self) -> list[FileOutcome]:
        """Files written to the store by this import."""
        return [o for o in self.outcomes if o.status == IMPORTED]

    @property
    def ok(self) -> bool:
        """True when no file was refused."""
        return not self.refused


@dataclass
class _Staged:
    parsed_meta: ParsedTable
    sha256: str
    rows: int
    path: Path
    outcome: FileOutcome
    parquet_sha256: str = ""
    parquet_bytes: int = 0


class Store:
    """The folder of imported tables (default ``$CPT_ADDIN_HOME/store``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else store_dir()

    @property
    def manifest_path(self) -> Path:
        """``manifest.json`` of this store."""
        return self.root / MANIFEST

    # ------------------------------------------------------------------ reading

    def records(self) -> list[schema.ImportRecord]:
        """The manifest's import records (empty for a new store); raises
        :class:`~addin.errors.StoreDamagedError` for a damaged or missing manifest."""
        return integrity.read_records(self.root)

    def verify(self, progress=None) -> integrity.Verification:
        """Check every stored file against the manifest (``cpt-addin data verify``);
        ``progress``: optional callback ``(stage, done, total)``."""
        return integrity.verify_store(self.root, progress)

    def repair(self) -> integrity.Repair:
        """Rebuild or correct the manifest (``cpt-addin data repair``), under the store lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock():
            return integrity.repair_store(self.root, self._write_manifest)

    def read_table(
        self, record: schema.ImportRecord, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """Load one imported table (dates as ``datetime64``; PTP with ``pair_key``)."""
        table = pq.read_table(self.root / record.path, columns=columns)
        return table.to_pandas(date_as_object=False)

    # ------------------------------------------------------------------ importing

    def import_paths(
        self,
        paths: Iterable[Path | str],
        setting: str | None = None,
        vintage: object = None,
        *,
        all_or_nothing: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> ImportResult:
        """Import files, folders (recursive) and zip archives into the store.

        ``setting`` / ``vintage`` (``2026Q3`` or a date) label files that do not say it
        themselves. Each file is imported or refused on its own; with ``all_or_nothing`` one
        refused file holds every other file back. Nothing touches the store until every file
        has been read.
        """
        hints = Hints(
            Setting.parse(setting).value if setting else None,
            parse_vintage(vintage) if vintage else None,
        )
        existing = self.records()
        outcomes: list[FileOutcome] = []
        staged: list[_Staged] = []
        with self._staging() as staging:
            for pending in iter_sources(list(paths)):
                if progress:
                    progress(pending.name)
                outcome = self._stage_one(pending, hints, existing, staged, staging)
                outcomes.append(outcome)
            if staged and all_or_nothing and any(o.status == REFUSED for o in outcomes):
                for item in staged:
                    item.outcome.status = HELD_BACK
                    item.outcome.message = "not imported: another file was refused"
                    item.outcome.record = None
                staged = []
            if staged:
                self._commit(staged)
        return ImportResult(outcomes)

    def _stage_one(
        self,
        pending: PendingSource,
        hints: Hints,
        existing: list[schema.ImportRecord],
        staged: list[_Staged],
        staging: Path,
    ) -> FileOutcome:
        try:
            source = pending.load()
        except InputFileError as exc:
            return FileOutcome(pending.name, REFUSED, error=exc, message=str(exc))
        digest = hashlib.sha256(source.data).hexdigest()
        known = self._already(existing, digest, hints)
        if known is not None:
            return FileOutcome(source.name, ALREADY, record=known)
        try:
            parsed = parse_source(source, hints)
        except UnknownLayoutError as exc:
            if pending.explicit:
                return FileOutcome(source.name, REFUSED, error=exc, message=str(exc))
            return FileOutcome(source.name, SKIPPED, message=f"{exc.reason.split(':')[0]}")
        except InputFileError as exc:
            return FileOutcome(source.name, REFUSED, error=exc, message=str(exc))
        except (
            ValueError, KeyError, IndexError, TypeError, pa.ArrowException, csv.Error, zlib.error
        ) as exc:
            error = InputFileError(
                source.name, f"could not read the file ({type(exc).__name__}: {exc})"
            )
            return FileOutcome(source.name, REFUSED, error=error, message=str(error))
        if isinstance(parsed, SkippedFile):
            return FileOutcome(source.name, SKIPPED, message=parsed.reason)
        del source
        table = to_arrow(parsed)
        rows = table.num_rows
        outcome = FileOutcome(parsed.source, IMPORTED, notes=list(parsed.notes))
        twin = self._same_rows(table, parsed, existing, staged)
        if twin is not None:
            outcome.status = ALREADY
            outcome.record = twin
            outcome.message = f"same rows as {twin.source_file}"
            return outcome
        path = staging / f"{uuid.uuid4().hex}.parquet"
        pq.write_table(table, path, compression="zstd")
        outcome_sha = integrity.file_sha256(path)
        meta = ParsedTable(
            parsed.table,
            parsed.setting,
            parsed.vintage,
            parsed.part,
            parsed.layout,
            pd.DataFrame(),
            parsed.source,
            parsed.notes,
        )
        staged.append(_Staged(meta, digest, rows, path, outcome, outcome_sha, path.stat().st_size))
        return outcome

    def _already(
        self, existing: list[schema.ImportRecord], digest: str, hints: Hints
    ) -> schema.ImportRecord | None:
        for record in existing:
            if record.sha256 != digest or not (self.root / record.path).exists():
                continue
            if hints.setting and record.setting not in (hints.setting, schema.ALL_SETTINGS):
                continue
            if hints.vintage and record.vintage != hints.vintage:
                continue
            return record
        return None

    def _same_rows(
        self,
        table: pa.Table,
        parsed: ParsedTable,
        existing: list[schema.ImportRecord],
        staged: list[_Staged],
    ) -> schema.ImportRecord | None:
        """A stored or staged import of the same identity with exactly these rows."""
        for item in reversed(staged):
            if item.parsed_meta.identity == parsed.identity:
                if pq.read_table(item.path).equals(table):
                    return _record(item, self.root)
                return None
        for record in existing:
            if (record.table, record.setting, record.vintage, record.part) != parsed.identity:
                continue
            path = self.root / record.path
            if path.exists() and pq.read_table(path).equals(table):
                return record
        return None

    @contextlib.contextmanager
    def _staging(self) -> Iterator[Path]:
        """A scratch folder beside the store (same disk, so files can be renamed in)."""
        parent = self.root.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            clean_staging(parent)
            folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
        except OSError:
            folder = Path(tempfile.mkdtemp(prefix="cpt-addin-import-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _commit(self, staged: list[_Staged]) -> None:
        """Move staged Parquet files in and write the manifest (under a lock)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock():
            records = self.records()
            removed: list[schema.ImportRecord] = []
            survivors: list[_Staged] = []
            for item in staged:
                new = _record(item, self.root)
                replaced = [r for r in records if _conflicts(r, new)]
                for old in replaced:
                    records.remove(old)
                    owner = next((s for s in survivors if s.outcome.record is old), None)
                    if owner is not None:
                        survivors.remove(owner)
                        owner.outcome.status = SKIPPED
                        owner.outcome.message = (
                            f"replaced by {item.outcome.source} in this import "
                            "(same table, setting and vintage)"
                        )
                        owner.outcome.record = None
                    else:
                        removed.append(old)
                        item.outcome.message = _join(
                            item.outcome.message, f"replaces {old.source_file}"
                        )
                records.append(new)
                item.outcome.record = new
                survivors.append(item)
            for item in survivors:
                assert item.outcome.record is not None
                final = self.root / item.outcome.record.path
                final.parent.mkdir(parents=True, exist_ok=True)
                temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
                shutil.move(str(item.path), temporary)
                os.replace(temporary, final)
            self._index_ptp(records, [s.outcome.record for s in survivors], removed)
            self._write_manifest(records)
            kept = {r.path for r in records}
            for old in removed:
                if old.path not in kept:
                    with contextlib.suppress(OSError):
                        (self.root / old.path).unlink()
            ptp_index_file.remove_unlisted(self.root, records)

    def _index_ptp(
        self,
        records: list[schema.ImportRecord],
        new: list[schema.ImportRecord | None],
        removed: list[schema.ImportRecord],
    ) -> None:
        """Store the pair index of every PTP version this import changed (before the manifest
        names it; the old index file is deleted after)."""
        touched = {(r.setting, r.vintage) for r in [*new, *removed] if r is not None and r.table == schema.PTP}
        for key, group in ptp_index_file.versions_of(records).items():
            if key in touched:
                ptp_index_file.write(self.root, group, ptp_index_file.build(self.root, group))

    def _write_manifest(self, records: list[schema.ImportRecord]) -> None:
        payload = {
            "format": MANIFEST_FORMAT,
            "imports": [r.model_dump(mode="json") for r in records],
        }
        temporary = self.root / f".{MANIFEST}.{uuid.uuid4().hex[:8]}.tmp"
        temporary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.manifest_path)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """A lock file so two imports do not write the manifest at once (Windows-safe)."""
        lock = self.root / ".lock"
        deadline = time.monotonic() + 60
        while True:
            try:
                handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.write(handle, str(os.getpid()).encode())
                os.close(handle)
                break
            except FileExistsError:
                with contextlib.suppress(OSError):
                    owner = _lock_owner(lock)
                    dead = owner is not None and owner != os.getpid() and not pid_alive(owner)
                    if dead or time.time() - lock.stat().st_mtime > LOCK_STALE_SECONDS:
                        lock.unlink()  # left by a process that is gone: take it over now
                        continue
                if time.monotonic() > deadline:
                    raise CptAddinError(
                        f"the store is locked by another import ({lock}); try again later"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                lock.unlink()


# ---------------------------------------------------------------------- helpers

STAGING_PREFIX = ".cpt-addin-import-"
#: Staging folders of the old name form (no PID) are removed once this old.
STAGING_STALE_SECONDS = 3600


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists (POSIX and Windows)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))  # type: ignore[attr-defined]
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _lock_owner(lock: Path) -> int | None:
    """The PID written in a lock file (None when unreadable or empty: being written)."""
    try:
        text = lock.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def clean_staging(parent: Path) -> list[Path]:
    """Remove staging folders a killed import left beside the store: those whose process is
    gone (or, for old unnamed ones, older than an hour). Returns what was removed."""
    removed = []
    for folder in parent.glob(f"{STAGING_PREFIX}*"):
        if not folder.is_dir():
            continue
        rest = folder.name[len(STAGING_PREFIX):]
        pid_text = rest.split("-", 1)[0]
        if "-" in rest and pid_text.isdigit():
            pid = int(pid_text)
            if pid == os.getpid() or pid_alive(pid):
                continue
        else:
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime < STAGING_STALE_SECONDS:
                    continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed



def to_arrow(parsed: ParsedTable) -> pa.Table:
    """The Parquet form of a parsed table: date32 dates, plain strings, PTP keyed and sorted."""
    frame = parsed.frame
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    arrays = []
    for name in table.column_names:
        column = table.column(name)
        if name in schema.DATE_COLUMNS[parsed.table]:
            column = column.cast(pa.timestamp("s")).cast(pa.date32())
        elif pa.types.is_dictionary(column.type):
            column = column.cast(pa.dictionary(pa.int32(), pa.string()))
        elif pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        elif name == "rationale" and parsed.table == schema.PTP:
            column = column.cast(pa.string()).dictionary_encode()
        arrays.append(column)
        fields.append(pa.field(name, column.type))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    if parsed.table == schema.PTP:
        keys = pair_keys(_code_keys(table.column("column_1")), _code_keys(table.column("column_2")))
        order = np.argsort(keys, kind="stable")
        table = table.append_column("pair_key", pa.array(keys, type=pa.int64())).take(order)
        table = table.combine_chunks()
    metadata = {
        "cpt_addin": json.dumps(
            {
                "table": parsed.table,
                "setting": parsed.setting,
                "vintage": parsed.vintage.isoformat(),
                "part": parsed.part,
                "layout": parsed.layout,
            }
        )
    }
    return table.replace_schema_metadata(metadata)


def _code_keys(column: pa.ChunkedArray) -> np.ndarray:
    """:func:`addin.codes.encode_codes` of a code column, read straight from Arrow's buffer.

    Validated codes are exactly five ASCII characters, so the string data is a packed
    ``n x 5`` byte matrix: no Python string per row (2.5M rows -> ~0.1 s, no extra memory).
    """
    array = column.combine_chunks().cast(pa.string())
    if len(array) == 0:
        return np.zeros(0, dtype=np.int64)
    if array.null_count or not pc.all(pc.equal(pc.binary_length(array), 5)).as_py():
        return encode_codes(array.to_numpy(zero_copy_only=False).astype(object))
    offsets = np.frombuffer(
        array.buffers()[1], dtype=np.int32, count=len(array) + 1, offset=array.offset * 4
    )
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)
    chars = data[offsets[0] : offsets[0] + 5 * len(array)].reshape(-1, 5).astype(np.int64)
    keys = np.zeros(len(array), dtype=np.int64)
    for position in range(5):
        keys = (keys << 6) | (chars[:, position] & 0x3F)
    return keys


def _record(item: _Staged, root: Path) -> schema.ImportRecord:
    meta = item.parsed_meta
    if item.outcome.record is not None and item.outcome.status == IMPORTED:
        return item.outcome.record
    relative = f"{meta.table}/{meta.setting}/{meta.vintage.isoformat()}__{meta.part}__{item.sha256[:8]}.parquet"
    return schema.ImportRecord(
        table=meta.table,
        setting=meta.setting,
        vintage=meta.vintage,
        part=meta.part,
        layout=meta.layout,
        source_file=meta.source,
        sha256=item.sha256,
        rows=item.rows,
        imported_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
        path=relative,
        parquet_sha256=item.parquet_sha256,
        parquet_bytes=item.parquet_bytes,
    )


def _conflicts(old: schema.ImportRecord, new: schema.ImportRecord) -> bool:
    """True when ``new`` replaces ``old``: same table/setting/vintage and same part, or one
    of them is a whole table (no part)."""
    if (old.table, old.setting, old.vintage) != (new.table, new.setting, new.vintage):
        return False
    return old.part == new.part or not old.part or not new.part


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second
