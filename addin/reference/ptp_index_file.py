"""The stored PTP pair index: one file per PTP version beside its Parquet part(s).

A vector PTP query needs the :class:`~addin.reference.ptp_index.PairDirectory` of the table
(the distinct code pairs and where their rows start). Building it costs about 0.3 s of CPU
for the 2.5M-row practitioner table, in every process that asks; so the import builds it once
and stores it as an Arrow IPC file (``ptp/<setting>/<vintage>__index__<hash>.ptpindex``,
LZ4-compressed, ~15 MB), written atomically and listed in the manifest on each part's record
(``index_path``, ``index_sha256``, ``index_bytes``).

* Loading checks it like the Parquet files (size, sha256, readable) and that it was built
  from exactly these parts (their sha256 and row count, kept in the file's metadata): a
  damaged or mismatched file raises :class:`~addin.errors.StoreDamagedError` naming
  ``cpt-addin data repair``, which rebuilds it from the table.
* A store written before the index existed has no ``index_path``: the directory is built in
  memory (as before, a note in the log) and ``data verify`` says so; ``data repair`` stores it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from addin.errors import StoreDamagedError
from addin.reference import schema
from addin.reference.ptp_index import PairDirectory

LOG = logging.getLogger(__name__)
SUFFIX = ".ptpindex"
FORMAT = 1
META_KEY = b"cpt_addin_ptp_index"
REPAIR = "cpt-addin data repair (it rebuilds the PTP index from the table)"


def versions_of(records: Iterable[schema.ImportRecord]) -> dict[tuple[str, object], list[schema.ImportRecord]]:
    """PTP records grouped by (setting, vintage), each group in part order (as loaded)."""
    groups: dict[tuple[str, object], list[schema.ImportRecord]] = {}
    for record in records:
        if record.table == schema.PTP:
            groups.setdefault((record.setting, record.vintage), []).append(record)
    for group in groups.values():
        group.sort(key=lambda r: r.part)
    return groups


def relative_path(records: list[schema.ImportRecord]) -> str:
    """Where the index of a version goes: named by a hash of its parts' checksums, so a new
    part (or a re-release) gets a new file and the old one is never half-replaced."""
    first = records[0]
    parts = hashlib.sha256("|".join(f"{r.path}:{r.parquet_sha256}" for r in records).encode()).hexdigest()
    return f"{first.table}/{first.setting}/{first.vintage.isoformat()}__index__{parts[:8]}{SUFFIX}"


def build(store: Path, records: list[schema.ImportRecord]) -> PairDirectory:
    """The directory of the version's rows in the order the loader sees them (parts
    concatenated in part order, then stably sorted by ``pair_key`` when not sorted)."""
    import pyarrow.parquet as pq

    keys = [pq.read_table(store / r.path, columns=["pair_key"]).column("pair_key").to_numpy() for r in records]
    joined = keys[0] if len(keys) == 1 else np.concatenate(keys)
    if len(joined) > 1 and not bool(np.all(joined[1:] >= joined[:-1])):
        joined = joined[np.argsort(joined, kind="stable")]
    return PairDirectory.build(joined)


def _metadata(records: list[schema.ImportRecord], directory: PairDirectory) -> dict:
    return {
        "format": FORMAT,
        "rows": directory.rows,
        "parts": [r.parquet_sha256 for r in records],
    }


def write(store: Path, records: list[schema.ImportRecord], directory: PairDirectory) -> None:
    """Write the index file (temp file + ``os.replace``) and record it on every part."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    relative = relative_path(records)
    final = store / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    small = lambda values: values.astype(np.int32 if len(values) == 0 or values.max() < 2**31 else np.int64)  # noqa: E731
    table = pa.table(
        {
            "pairs": directory.pairs,
            "forward_start": small(directory.forward_start),
            "forward_count": small(directory.forward_count),
            "reverse_start": small(directory.reverse_start),
            "reverse_count": small(directory.reverse_count),
        }
    ).replace_schema_metadata({META_KEY: json.dumps(_metadata(records, directory))})
    temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with pa.OSFile(str(temporary), "wb") as sink, ipc.new_file(
            sink, table.schema, options=ipc.IpcWriteOptions(compression="lz4")
        ) as writer:
            writer.write_table(table)
        digest = _sha256(temporary)
        size = temporary.stat().st_size
        os.replace(temporary, final)
    finally:
        if temporary.exists():
            temporary.unlink()
    for record in records:
        record.index_path, record.index_sha256, record.index_bytes = relative, digest, size


def ensure(store: Path, records: list[schema.ImportRecord]) -> bool:
    """Build and store the index of one PTP version unless a sound one is recorded; True
    when it was (re)built."""
    recorded = records[0].index_path and all(r.index_path == records[0].index_path for r in records)
    if recorded and not problem(store, records):
        return False
    write(store, records, build(store, records))
    return True


def parse(data: bytes) -> tuple[PairDirectory, dict]:
    """The directory and metadata held in an index file's bytes (ValueError when it is not one)."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        table = ipc.open_file(pa.BufferReader(data)).read_all()
        meta = json.loads((table.schema.metadata or {})[META_KEY])
        arrays = [table.column(name).to_numpy() for name in PairDirectory.COLUMNS]
    except (pa.ArrowException, KeyError, ValueError, TypeError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"index format {meta.get('format')!r}, expected {FORMAT}")
    if arrays[0].dtype != np.int64 or any(a.dtype.kind != "i" or len(a) != len(arrays[0]) for a in arrays):
        raise ValueError("unexpected column types")
    directory = PairDirectory(*arrays, rows=int(meta.get("rows", -1)))
    return directory, meta


def _mismatch(records: list[schema.ImportRecord], directory: PairDirectory, meta: dict) -> str:
    """Why an index file (read and parsed) does not belong to these parts, ``""`` when it does."""
    rows = sum(r.rows for r in records)
    if directory.rows != rows:
        return f"indexes {directory.rows:,} rows, the table has {rows:,}"
    recorded = [r.parquet_sha256 for r in records]
    stored = meta.get("parts")
    if all(recorded) and isinstance(stored, list) and all(stored) and stored != recorded:
        return "was built from other table files"
    if len(directory) and (
        int(directory.forward_start.max(initial=0)) >= max(rows, 1)
        or int(directory.reverse_start.max(initial=0)) >= max(rows, 1)
        or not bool(np.all(directory.pairs[1:] > directory.pairs[:-1]))
    ):
        return "holds row positions outside the table"
    return ""


def _checked(store: Path, records: list[schema.ImportRecord]) -> tuple[str, PairDirectory | None]:
    """What is wrong with the version's recorded index file (``""`` when sound: full read
    and checksum) and, when sound, its directory."""
    record = records[0]
    path = store / record.index_path
    try:
        size = path.stat().st_size
    except OSError:
        return "is missing", None
    if record.index_bytes and size != record.index_bytes:
        return f"has {size:,} bytes, the manifest recorded {record.index_bytes:,}", None
    data = path.read_bytes()
    if record.index_sha256 and hashlib.sha256(data).hexdigest() != record.index_sha256:
        return "no longer matches its sha256 in the manifest", None
    try:
        directory, meta = parse(data)
    except ValueError as exc:
        return f"cannot be read as a PTP index ({exc})", None
    what = _mismatch(records, directory, meta)
    return what, None if what else directory


def problem(store: Path, records: list[schema.ImportRecord]) -> str:
    """``""`` when the version's recorded index file is sound, else what is wrong
    (``data verify`` / ``data repair``)."""
    return _checked(store, records)[0]


def load(store: Path, records: list[schema.ImportRecord]) -> PairDirectory | None:
    """The stored directory of a PTP version, checked; None (build it in memory) for a store
    written before indexes were stored. Raises :class:`StoreDamagedError` for a damaged one."""
    record = records[0]
    if not record.index_path or any(r.index_path != record.index_path for r in records):
        LOG.info(
            "%s has no stored PTP index: building it in memory (run cpt-addin data repair to store it)",
            record.label,
        )
        return None
    what, directory = _checked(store, records)
    if directory is None:
        raise StoreDamagedError(f"{record.index_path} (PTP index of {record.label}) {what}", REPAIR)
    return directory


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def index_files(store: Path) -> list[Path]:
    """Every stored index file (``<table>/<setting>/*.ptpindex``)."""
    if not store.is_dir():
        return []
    return sorted(p for p in store.glob(f"*/*/*{SUFFIX}") if p.is_file() and not p.name.startswith("."))


def remove_unlisted(store: Path, records: list[schema.ImportRecord]) -> list[str]:
    """Delete index files no record lists (a replaced version's); returns their paths."""
    listed = {r.index_path for r in records if r.index_path}
    removed = []
    for path in index_files(store):
        relative = path.relative_to(store).as_posix()
        if relative not in listed:
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(relative)
    return removed
