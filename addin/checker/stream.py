"""The streamed check: claims files of any size, in bounded memory, on every core.

Every rule looks at one patient's lines only, so the file is cut by patient, not by row:

1. **Read and spill.** The input is read in batches (:mod:`addin.claims.batches`); each batch
   is normalised and validated exactly as the whole-file reader does, then its lines are
   hashed by patient into ``buckets`` spill files (Arrow IPC, zstd) in a temporary folder.
   Rejected rows are kept (they are few) with their identifiers.
2. **Check.** Each bucket — whole patients, about ``bucket_lines`` lines — is checked by the
   in-process engine (:func:`addin.checker.run.run_rules`), on ``workers`` processes, and its
   findings, sorted, go to a findings spill file.
3. **Merge.** The sorted bucket files are merged by spreadsheet row (a line lives in one
   bucket, so the merge is the same total order as the whole-file check: row, severity,
   rule id) and written batch by batch to the findings file (``.csv``, ``.jsonl`` or
   ``.parquet``, :class:`~addin.checker.writers.FindingsSink`).

Memory is bounded by one batch plus one bucket per worker, not by the file; the findings are
byte-identical to :func:`addin.checker.check` on the same input. The audit workbook needs
every line in memory (and Excel stops at 1,048,576 rows), so it is not written here.
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Lines read per batch.
BATCH_LINES = 1_000_000
#: Lines per bucket (one bucket is checked at a time per worker: ~1.2 KB of memory per line).
BUCKET_LINES = 500_000
#: Inputs with fewer lines than this are not split for the workers' sake.
PARALLEL_MIN_LINES = 200_000
#: Rows per record batch of the spilled lines.
SPILL_ROWS = 10_000
#: Rows per record batch of a bucket's findings: the merge holds about one batch per bucket
#: (400 buckets of a 100M-line input hold ~0.8M findings, ~0.5 GB, at this size).
FINDINGS_BATCH_ROWS = 2_000

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class StreamedCheck:
    """What a streamed check produced (the findings themselves are in ``findings_path``)."""

    findings_path: Path
    meta: dict
    by_rule: dict[str, int]
    by_severity: dict[str, int]
    by_rule_id: dict[str, int]
    findings: int
    versions: list = field(default_factory=list)
    setting: str = "practitioner"
    notes: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    buckets: int = 1
    workers: int = 1

    @property
    def counts(self) -> dict[str, Any]:
        """Lines read/checked/rejected and findings by rule family and severity."""
        return {
            "rows_read": self.meta["rows_read"],
            "rows_checked": self.meta["rows_checked"],
            "rows_rejected": self.meta["rows_rejected"],
            "findings": self.findings,
            "by_rule": dict(self.by_rule),
            "by_severity": dict(self.by_severity),
        }

    @property
    def exit_code(self) -> int:
        """0 when no error-level finding, 1 when there is at least one."""
        return 1 if self.by_severity.get("error", 0) else 0


def default_workers() -> int:
    """Worker processes: one per core (``CPT_ADDIN_WORKERS`` overrides)."""
    value = os.environ.get("CPT_ADDIN_WORKERS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def check_streamed(
    path: str | Path,
    findings_path: str | Path,
    *,
    column_map: Mapping[str, str | Sequence[str]] | None = None,
    setting: object = None,
    date_default: dt.date | None = None,
    config: Any = None,
    reference: Any = None,
    ignore_columns: Sequence[str] | None = None,
    raw_csv: bool = False,
    batch_lines: int = BATCH_LINES,
    bucket_lines: int = BUCKET_LINES,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    spill_dir: str | Path | None = None,
) -> StreamedCheck:
    """Check a claims file of any size and write its findings to ``findings_path``.

    Same rules, options and findings as :func:`addin.checker.check`; see the module docs for
    how. ``workers`` > 1 checks buckets in that many processes (each loads the reference data
    from the same store); 1 checks in this process. Raises ``InputFileError`` (bad input),
    ``OutputFileError`` (bad findings path, checked first) or ``StaleDataError``.
    """
    from addin.checker.run import enabled_rules
    from addin.checker.writers import FindingsSink
    from addin.codes import Setting
    from addin.reference import get_reference_data
    from addin.rules import load_config

    started = time.perf_counter()
    path = Path(path)
    progress = progress or (lambda stage, done, total: None)
    rule_config = load_config(config)
    setting_name = Setting.parse(setting or rule_config.setting or Setting.practitioner).value
    date_default = date_default or rule_config.date_default
    reference = reference or get_reference_data()
    severities = {rule.rule_id: severity for rule, severity in enabled_rules(rule_config)}
    workers = max(1, workers or default_workers())
    sink = FindingsSink(findings_path, raw_csv=raw_csv, input_path=path)  # checks the path now

    name = path.name
    source = _open(path, column_map, batch_lines, name)
    mapping = _mapping(source, column_map, ignore_columns, name)
    buckets = max(1, math.ceil(source.estimated_rows / max(bucket_lines, 1)))
    if source.estimated_rows >= PARALLEL_MIN_LINES:
        buckets = max(buckets, workers)  # every worker gets a bucket
    spill = Path(tempfile.mkdtemp(prefix="cpt-addin-check-", dir=spill_dir))
    job = _Job(
        spill=spill,
        buckets=buckets,
        setting=setting_name,
        severities=severities,
        store=str(reference.store_path),
        data_dir=str(reference.data_dir),
        name=name,
    )
    pool = (
        ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        if workers > 1
        else None
    )
    try:
        meta, rejected, days = _read_and_spill(source, mapping, date_default, job, pool, progress)
        meta.update(file=name, sha256=None, column_mapping=_column_mapping(source, mapping))
        meta["notes"] = _unique(source.notes + list(mapping.notes) + meta["notes"])
        from addin.checker.run import versions_used
        from addin.reference.currency import annotate_check

        day_frame = pd.DataFrame(
            {"dos": pd.to_datetime(np.array(sorted(days), dtype="datetime64[D]")),
             "count": np.array([days[d] for d in sorted(days)], dtype=np.int64)}
        )
        versions = versions_used(reference, setting_name, day_frame)
        # stale tables refuse the check (policy "error") before a finding is written
        annotate_check(_no_findings(), day_frame, reference, setting_name, versions, rule_config.stale)
        rejected.to_pickle(spill / "rejected.pkl")
        from addin.rules.diagnosis import NORMALISED_FORMS_KEY

        job.meta = {"column_mapping": meta["column_mapping"], NORMALISED_FORMS_KEY: job.forms}
        notes = _check_buckets(job, pool, progress)
        if pool is not None:  # the workers' reference data is freed before the merge
            pool.shutdown(wait=True)
            pool = None
        with sink:
            totals = _merge(job, sink, progress)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        shutil.rmtree(spill, ignore_errors=True)
    return StreamedCheck(
        findings_path=Path(findings_path),
        meta=meta,
        by_rule=totals["rule"],
        by_severity=totals["severity"],
        by_rule_id=totals["rule_id"],
        findings=sink.count,
        versions=versions,
        setting=setting_name,
        notes=_unique(notes),
        elapsed_seconds=time.perf_counter() - started,
        buckets=buckets,
        workers=workers,
    )


# ---------------------------------------------------------------------------- set-up


@dataclass
class _Job:
    spill: Path
    buckets: int
    setting: str
    severities: dict[str, str]
    store: str
    data_dir: str
    name: str
    batches: int = 0
    meta: dict = field(default_factory=dict)
    forms: Any = None


def _open(path: Path, column_map, batch_lines: int, name: str):
    from addin.claims.batches import BatchSource, NotStreamable, open_batches
    from addin.claims.parquetfile import ParquetReadError
    from addin.errors import InputFileError

    if not path.is_file():
        raise InputFileError(str(path), "file not found" if not path.exists() else "not a file")
    try:
        return open_batches(path, column_map=column_map, batch_lines=batch_lines)
    except ParquetReadError as exc:
        raise InputFileError(str(path), str(exc)) from None
    except NotStreamable:  # UTF-16, mixed encodings ...: read whole, then check as one batch
        from addin.claims.sources import read_table

        _, _, table = read_table(path, None, column_map, None)
        return BatchSource(
            headers=table.headers,
            header_row=table.header_row,
            batches=iter([table]),
            estimated_rows=len(table.rows),
            notes=list(table.notes),
            extra_meta=dict(table.extra_meta),
        )


def _mapping(source, column_map, ignore_columns, name: str):
    from addin.claims.reader import column_mapping

    return column_mapping(source.headers, column_map, ignore_columns, name, source.header_row)


def _column_mapping(source, mapping) -> dict:
    from addin.claims.assemble import _column_mapping
    from addin.claims.table import RawTable, unique_names

    names, _ = unique_names(source.headers)
    table = RawTable(
        data=pd.DataFrame(columns=names), rows=np.zeros(0, np.int64), headers=source.headers,
        header_row=source.header_row,
    )
    return _column_mapping(table, mapping)


def _unique(notes: list[str]) -> list[str]:
    """Notes once each; batch notes that start with a count ("12 lines without ...") are
    summed into one."""
    import re

    counted: dict[str, int] = {}
    out: list[str] = []
    for note in notes:
        match = re.match(r"^(\d+) (.*)$", note)
        if match:
            rest = match.group(2)
            if rest not in counted:
                out.append(rest)
            counted[rest] = counted.get(rest, 0) + int(match.group(1))
        elif note not in out:
            out.append(note)
    return [f"{counted[n]} {n}" if n in counted else n for n in out]


def _no_findings() -> pd.DataFrame:
    from addin.findings import empty_findings

    return empty_findings()


# ---------------------------------------------------------------------------- 1. read and spill


def _read_and_spill(source, mapping, date_default, job: _Job, pool, progress):
    """Normalise every batch and spill its lines by patient bucket; return meta, rejected rows
    and the count of lines per day of service."""
    meta = {"rows_read": 0, "rows_checked": 0, "rows_rejected": 0, "blank_rows": 0, "notes": []}
    rejected: list[pd.DataFrame] = []
    forms: list[pd.DataFrame] = []
    days: Counter = Counter()
    in_flight: list[Future] = []

    def collect(result: dict) -> None:
        for key in ("rows_read", "rows_checked", "rows_rejected", "blank_rows"):
            meta[key] += result[key]
        meta["notes"].extend(result["notes"])
        if len(result["rejected"]):
            rejected.append(result["rejected"])
        forms.append(result["forms"])
        days.update(dict(zip(result["days"], result["day_counts"], strict=True)))
        progress("reading", meta["rows_read"], max(source.estimated_rows, meta["rows_read"]))

    for number, table in enumerate(_batches(source, job.name)):
        job.batches = number + 1
        args = (table, mapping, date_default, job, number)
        if pool is None:
            collect(_spill_batch(*args))
            continue
        in_flight.append(pool.submit(_spill_batch, *args))
        while len(in_flight) > 2:  # bounded: at most a few batches in memory at once
            collect(in_flight.pop(0).result())
    for future in in_flight:
        collect(future.result())
    from addin.rules.diagnosis import combine_normalised_forms

    out = pd.concat(rejected, ignore_index=True) if rejected else _empty_rejected()
    job.forms = combine_normalised_forms(forms)
    return meta, out, days


def _batches(source, name: str):
    import pyarrow as pa

    from addin.errors import InputFileError

    try:
        yield from source.batches
    except pa.ArrowInvalid as exc:
        raise InputFileError(
            name,
            f"could not be read in batches ({exc}); a file this size must be one encoding "
            "(UTF-8 or Windows-1252) with one delimiter: save it again as CSV UTF-8",
        ) from None


def _empty_rejected() -> pd.DataFrame:
    from addin.rules.input import IDENTIFIERS

    frame = pd.DataFrame(columns=["row", "column", "reason", "raw"])
    for name in IDENTIFIERS:
        frame[name] = pd.Series(dtype=object)
    return frame


def _spill_batch(table, mapping, date_default, job: _Job, number: int) -> dict:
    """Normalise one batch (worker side) and append its lines to the bucket spill files."""
    import pyarrow as pa

    from addin.claims.assemble import assemble
    from addin.rules.context import RuleContext
    from addin.rules.diagnosis import normalised_forms
    from addin.rules.input import rejected_with_identifiers

    claims = assemble(table, mapping, date_default, job.name, None)
    rejected = rejected_with_identifiers(claims)
    lines = claims.lines.reset_index(drop=True)
    forms = normalised_forms(RuleContext.from_lines(lines, _reference(job)))
    bucket = bucket_of(lines, job.buckets)
    plain = _plain(lines)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(job.buckets + 1))
    arrow = pa.Table.from_pandas(plain.iloc[order], preserve_index=False)
    for k in range(job.buckets):
        part = arrow.slice(bounds[k], bounds[k + 1] - bounds[k])
        if part.num_rows:
            _write_ipc(job.spill / f"lines-{k:05d}-{number:06d}.arrow", part)
    day = lines["dos"].to_numpy(dtype="datetime64[D]") if len(lines) else np.zeros(0, "datetime64[D]")
    day = day[~np.isnat(day)]
    unique, counts = np.unique(day, return_counts=True)
    meta = claims.meta
    return {
        "rows_read": meta["rows_read"],
        "rows_checked": meta["rows_checked"],
        "rows_rejected": meta["rows_rejected"],
        "blank_rows": meta["blank_rows"],
        "notes": list(meta["notes"]),
        "rejected": rejected,
        "days": unique.tolist(),
        "day_counts": counts.tolist(),
        "forms": forms,
    }


def bucket_of(lines: pd.DataFrame, buckets: int) -> np.ndarray:
    """The bucket of each line: a stable hash of its patient (claim id when blank), so one
    patient's lines — across claims, providers and dates — always share a bucket."""
    if buckets <= 1 or not len(lines):
        return np.zeros(len(lines), dtype=np.int64)
    patient = lines["patient_id"].astype(object).fillna("").astype(str)
    claim = lines["claim_id"].astype(object).fillna("").astype(str)
    key = patient.where(patient != "", "\x1fclaim:" + claim)
    hashed = pd.util.hash_array(key.to_numpy(dtype=object), categorize=True)
    return (hashed % np.uint64(buckets)).astype(np.int64)


def _plain(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines with categoricals as text (each batch has its own categories)."""
    out = {}
    for name in lines.columns:
        column = lines[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object).where(column.notna(), None)
        out[name] = column
    return pd.DataFrame(out)


def _write_ipc(path: Path, table, batch_rows: int = SPILL_ROWS) -> None:
    import pyarrow as pa

    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table, max_chunksize=batch_rows)


def _read_ipc(path: Path):
    import pyarrow as pa

    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_stream(source).read_all()


# ---------------------------------------------------------------------------- 2. check buckets


def _check_buckets(job: _Job, pool, progress) -> list[str]:
    notes: list[str] = []
    if pool is None:
        for k in range(job.buckets):
            notes.extend(_check_bucket(job, k))
            progress("checking", k + 1, job.buckets)
        return notes
    futures = [pool.submit(_check_bucket, job, k) for k in range(job.buckets)]
    for done, future in enumerate(futures, start=1):
        notes.extend(future.result())
        progress("checking", done, job.buckets)
    return notes


_WORKER_REFERENCE: dict[tuple[str, str], Any] = {}


def _reference(job: _Job):
    from addin.reference import get_reference_data
    from addin.reference.data import ReferenceData

    shared = get_reference_data()
    if str(shared.store_path) == job.store and str(shared.data_dir) == job.data_dir:
        return shared
    key = (job.store, job.data_dir)
    if key not in _WORKER_REFERENCE:
        _WORKER_REFERENCE[key] = ReferenceData(store=Path(job.store), data_dir=Path(job.data_dir))
    return _WORKER_REFERENCE[key]


def _check_bucket(job: _Job, k: int) -> list[str]:
    """Check one bucket of whole patients (worker side); write its sorted findings."""
    import pyarrow as pa

    from addin.checker.run import run_rules
    from addin.claims.model import LINE_COLUMNS
    from addin.reference.currency import annotate_sources
    from addin.rules import all_rules

    parts = sorted(job.spill.glob(f"lines-{k:05d}-*.arrow"))
    if parts:
        lines = pa.concat_tables([_read_ipc(p) for p in parts]).to_pandas()
    else:
        lines = pd.DataFrame({c: pd.Series(dtype=object) for c in LINE_COLUMNS})
    lines = lines.sort_values("row", kind="stable").reset_index(drop=True)  # input order
    rejected = pd.read_pickle(job.spill / "rejected.pkl") if k == 0 else None
    rules = [(rule, job.severities[rule.rule_id]) for rule in all_rules() if rule.rule_id in job.severities]
    reference = _reference(job)
    findings, notes = run_rules(
        lines, reference, job.setting, rules, rejected=rejected, meta=dict(job.meta)
    )
    findings = annotate_sources(findings, reference, job.setting)
    _write_ipc(job.spill / f"findings-{k:05d}.arrow", _findings_arrow(findings), FINDINGS_BATCH_ROWS)
    return notes


def _findings_arrow(findings: pd.DataFrame):
    from addin.checker.writers import arrow_findings

    return arrow_findings(findings)


# ---------------------------------------------------------------------------- 3. merge


class _BucketReader:
    """The sorted findings of one bucket, read a record batch at a time."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa

        self._file = pa.OSFile(str(path), "rb")
        self._reader = pa.ipc.open_stream(self._file)
        self.buffer = None
        self.done = False

    def fill(self) -> None:
        """Read one more batch into the buffer (or mark the bucket done)."""
        import pyarrow as pa

        try:
            batch = self._reader.read_next_batch()
        except StopIteration:
            self.done = True
            self._file.close()
            return
        table = pa.Table.from_batches([batch])
        self.buffer = table if self.buffer is None else pa.concat_tables([self.buffer, table])

    def last_row(self) -> int:
        return int(self.buffer.column("row")[-1].as_py())

    def take_below(self, limit: int | None):
        """Remove and return the buffered findings with ``row < limit`` (all when None)."""
        if self.buffer is None or not self.buffer.num_rows:
            return None
        if limit is None:
            out, self.buffer = self.buffer, None
            return out
        rows = self.buffer.column("row").to_numpy()
        cut = int(np.searchsorted(rows, limit, side="left"))
        out = self.buffer.slice(0, cut)
        self.buffer = self.buffer.slice(cut)
        return out if cut else None


def _merge(job: _Job, sink, progress) -> dict[str, Counter]:
    """Write every bucket's findings to ``sink`` in row order; count them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    totals = {"rule": Counter(), "severity": Counter(), "rule_id": Counter()}
    readers = [_BucketReader(job.spill / f"findings-{k:05d}.arrow") for k in range(job.buckets)]
    written = 0
    while True:
        for reader in readers:
            while not reader.done and (reader.buffer is None or not reader.buffer.num_rows):
                reader.fill()
        active = [r for r in readers if not r.done]
        limit = min((r.last_row() for r in active), default=None)
        parts = [p for p in (r.take_below(limit) for r in readers) if p is not None and p.num_rows]
        if parts:
            window = pa.concat_tables(parts)
            order = pc.sort_indices(window, sort_keys=[("row", "ascending")])  # stable
            window = window.take(order)
            sink.write_table(window)
            for column in ("rule", "severity", "rule_id"):
                counted = pc.value_counts(window.column(column)).to_pylist()
                totals[column].update({c["values"]: c["counts"] for c in counted})
            written += window.num_rows
            progress("writing", written, written)
        elif limit is not None:
            for reader in active:  # the lowest bucket holds only its last row: read on
                if reader.last_row() == limit:
                    reader.fill()
        if all(r.done and (r.buffer is None or not r.buffer.num_rows) for r in readers):
            break
    if not written:
        sink.write(_no_findings())
    return {k: dict(v) for k, v in totals.items()}
