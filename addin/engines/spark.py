"""The batch check on Apache Spark: the same rules and the same findings, on a cluster.

:func:`check_spark` takes a Spark DataFrame of claim lines (canonical or the user's own
headers, as :func:`addin.claims.read_claims` accepts them) and returns a Spark DataFrame of
findings with :data:`addin.findings.FINDING_COLUMNS`. How:

1. **On the driver**: the rule config, the setting and the column mapping are settled once;
   the column names are validated by reading a small sample with ``read_claims`` (a bad
   ``--map`` or a header typo fails here, with the reader's own message).
2. **Row numbers**: a ``row_column`` the caller names, else the line's position in the
   DataFrame + 2 (header = row 1, as for a DataFrame checked in process).
3. **Buckets of patients**: each line gets a bucket from a stable hash of its patient key
   (the patient id, or the claim id when the patient cell is blank — the reader's own
   normalisation), never from the date: PTP, MUE, add-on and duplicate edits and any
   patient-history rule need all of a patient's lines together.
4. **Per bucket** (``groupBy(bucket).applyInPandas``): the lines, in row order, go through
   the reader (:func:`addin.claims.read_claims`: every row validated, rejected rows give
   their ``INP001`` finding), get the input's row numbers back, then the in-process
   :func:`addin.checker.check` runs every enabled rule.
5. **Reference store**: every executor reads ``reference_home`` (a folder holding
   ``store/``: a shared file system, DBFS or a Unity Catalog volume), or, with
   ``ship_reference=True``, the driver's folder is shipped once with ``SparkContext.addFile``.
   Each Python worker loads it once and keeps it for the following buckets.

Each bucket also returns one statistics row (``rule_id == "__stats__"``: counts, notes and
lines per date of service) that :func:`check_spark` drops and the command line reads for its
summary (:func:`checked_frame`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from addin.findings import FINDING_COLUMNS, SEVERITY_RANK

#: Hidden columns added to the input (names no claims file uses).
ROW = "__cpt_addin_row"
BUCKET = "__cpt_addin_bucket"
#: ``rule_id`` of the per-bucket statistics rows.
STATS_ID = "__stats__"
#: Rows read on the driver to validate the headers.
SAMPLE_ROWS = 200

_SPARK_TYPES = {"row": "long", "related_row": "long", "dos": "date"}

#: The findings' Spark schema (DDL), in :data:`FINDING_COLUMNS` order.
FINDINGS_SCHEMA = ", ".join(f"{c} {_SPARK_TYPES.get(c, 'string')}" for c in FINDING_COLUMNS)


@dataclass(frozen=True)
class BucketJob:
    """What every bucket needs, settled on the driver and shipped with the task (picklable)."""

    setting: str
    rule_config: Any  # addin.rules.RuleConfig
    column_map: dict | None
    date_default: dt.date | None
    ignore_columns: tuple[str, ...] | None
    source_name: str
    home: str
    shipped: str | None = None  # SparkFiles name of the shipped home folder


def check_spark(
    claims_df: Any,
    *,
    setting: object = None,
    config: Any = None,
    reference_home: str | Path | None = None,
    column_map: Mapping[str, str | Sequence[str]] | None = None,
    date_default: dt.date | None = None,
    ignore_columns: Sequence[str] | None = None,
    row_column: str | None = None,
    buckets: int | None = None,
    ship_reference: bool = False,
    source_name: str = "Spark DataFrame",
) -> Any:
    """Check a Spark DataFrame of claim lines; return a Spark DataFrame of findings.

    Args:
        claims_df: one row per claim line; columns named as in a claims file (canonical
            names, the usual aliases, or any header with ``column_map``). Extra columns are
            allowed and ignored.
        setting: ``practitioner`` (default), ``hospital`` or ``dme``; None = the config's.
        config: rule config (TOML path, mapping or :class:`addin.rules.RuleConfig`).
        reference_home: a folder with the reference ``store/`` that every executor can read
            (default: the driver's ``CPT_ADDIN_HOME``).
        column_map, date_default, ignore_columns: as for :func:`addin.claims.read_claims`.
        row_column: a column holding each line's row number (kept in the findings' ``row``);
            default: position in the DataFrame + 2, header = row 1.
        buckets: number of patient buckets (default twice the default parallelism); each
            bucket is checked in one Python worker, so keep it at or below ~500k lines.
        ship_reference: copy ``reference_home`` to every executor with
            ``SparkContext.addFile`` instead of reading it in place.
        source_name: how messages name the input.

    Returns:
        A Spark DataFrame with :data:`~addin.findings.FINDING_COLUMNS` (``row`` and
        ``related_row`` long, ``dos`` date, the rest string), unordered: sort by ``row``,
        then severity, then ``rule_id`` for the in-process order.

    Raises:
        addin.errors.InputFileError: no code column, a ``column_map`` header not found, no
            date column and no ``date_default`` ... (read from a sample on the driver).
    """
    frame = checked_frame(
        claims_df,
        setting=setting,
        config=config,
        reference_home=reference_home,
        column_map=column_map,
        date_default=date_default,
        ignore_columns=ignore_columns,
        row_column=row_column,
        buckets=buckets,
        ship_reference=ship_reference,
        source_name=source_name,
    )
    return only_findings(frame)


def only_findings(frame: Any) -> Any:
    """The findings of :func:`checked_frame` without its statistics rows."""
    from pyspark.sql import functions as F

    return frame.filter(F.col("rule_id") != F.lit(STATS_ID))


def checked_frame(
    claims_df: Any,
    *,
    setting: object = None,
    config: Any = None,
    reference_home: str | Path | None = None,
    column_map: Mapping[str, str | Sequence[str]] | None = None,
    date_default: dt.date | None = None,
    ignore_columns: Sequence[str] | None = None,
    row_column: str | None = None,
    buckets: int | None = None,
    ship_reference: bool = False,
    source_name: str = "Spark DataFrame",
) -> Any:
    """Findings plus one statistics row per bucket (see :func:`bucket_stats`); arguments as
    for :func:`check_spark`."""
    from addin.codes import Setting
    from addin.engines.spark_session import quiet_pandas_warning
    from addin.reference.paths import addin_home
    from addin.rules import load_config

    quiet_pandas_warning()
    rule_config = load_config(config)
    setting_name = Setting.parse(setting or rule_config.setting or Setting.practitioner).value
    date_default = date_default or rule_config.date_default
    if row_column is not None and row_column not in claims_df.columns:
        from addin.errors import InputFileError

        raise InputFileError(source_name, f'row column "{row_column}" not found')
    data_columns = [c for c in claims_df.columns if c != row_column]
    mapping = _validated_mapping(
        claims_df.select(*[_col(c) for c in data_columns]),
        column_map,
        date_default,
        ignore_columns,
        source_name,
    )
    spark = claims_df.sparkSession
    home = str(Path(reference_home) if reference_home else addin_home())
    shipped = None
    if ship_reference:
        spark.sparkContext.addFile(home, recursive=True)
        shipped = Path(home).name
    job = BucketJob(
        setting=setting_name,
        rule_config=rule_config,
        column_map=dict(column_map) if column_map else None,
        date_default=date_default,
        ignore_columns=tuple(ignore_columns) if ignore_columns else None,
        source_name=source_name,
        home=home,
        shipped=shipped,
    )
    count = int(buckets or _default_buckets(spark))
    if row_column is not None:
        numbered = claims_df.withColumn(ROW, _col(row_column).cast("long")).drop(row_column)
    else:
        numbered = _numbered(claims_df)
    key_udf = _bucket_udf(_partition_keys(spark, count))
    patient = _key_column(mapping.get("patient_id"), data_columns)
    claim = _key_column(mapping.get("claim_id"), data_columns)
    # one bucket per partition (its key hashes to it), and groupBy reuses that partitioning
    keyed = numbered.withColumn(BUCKET, key_udf(patient, claim)).repartition(count, BUCKET)
    return keyed.groupBy(BUCKET).applyInPandas(_bucket_function(job), schema=FINDINGS_SCHEMA)


def _partition_keys(spark: Any, count: int) -> list[int]:
    """For each partition 0..count-1 an int key that Spark's hash partitioning sends there.

    Spark places a key in ``pmod(hash(key), partitions)`` (Murmur3, seed 42): buckets
    0, 1, 2 ... would often share a partition and run one after the other on one core.
    Asked of Spark itself, so it is Spark's own hash.
    """
    from pyspark.sql import functions as F

    probe = spark.range(count * 64).select(
        F.col("id").cast("int").alias("key"),
        F.expr(f"pmod(hash(cast(id as int)), {int(count)})").alias("part"),
    )
    found: dict[int, int] = {}
    for key, part in probe.collect():
        found.setdefault(int(part), int(key))
    # a partition no probe reached (vanishingly rare) shares another's key: slower, still right
    return [found.get(k, k) for k in range(count)]


def _default_buckets(spark: Any) -> int:
    """Twice the cluster's cores (Spark Connect has no SparkContext: its shuffle partitions)."""
    try:
        return max(2, 2 * int(spark.sparkContext.defaultParallelism))
    except Exception:  # noqa: BLE001 - Spark Connect sessions raise here
        return max(2, int(spark.conf.get("spark.sql.shuffle.partitions", "8")))


def _bucket_function(job: BucketJob) -> Any:
    """``check_bucket`` bound to ``job``, as the one-argument function applyInPandas wants."""

    def checked(lines: pd.DataFrame) -> pd.DataFrame:
        return check_bucket(job, lines)

    return checked


def _bucket_udf(keys: list[int]) -> Any:
    """A scalar pandas UDF ``(patient, claim) -> bucket key`` (``keys[bucket_of(...)]``)."""
    from pyspark.sql.functions import pandas_udf

    table = np.asarray(keys, dtype=np.int32)

    def bucket(patient: pd.Series, claim: pd.Series) -> pd.Series:
        return pd.Series(table[bucket_of(patient, claim, count=len(table)).to_numpy()])

    return pandas_udf(bucket, returnType="int")


def _col(name: str) -> Any:
    """A column by its exact name (dots, slashes and spaces included)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _key_column(header: object, columns: list[str]) -> Any:
    from pyspark.sql import functions as F

    if isinstance(header, str) and header in columns:
        return _col(header)
    return F.lit("").cast("string")


def _validated_mapping(
    sample_df: Any,
    column_map: Mapping[str, Any] | None,
    date_default: dt.date | None,
    ignore_columns: Sequence[str] | None,
    source_name: str,
) -> dict[str, Any]:
    """The column mapping, from reading the first rows on the driver (raises its errors)."""
    from addin.claims import read_claims
    from addin.errors import InputFileError

    sample = sample_df.limit(SAMPLE_ROWS).toPandas()
    claims = read_claims(
        sample,
        column_map=column_map,
        date_default=date_default,
        source_name=source_name,
        ignore_columns=ignore_columns,
    )
    if claims.meta.get("header_row") != 1:
        raise InputFileError(
            source_name,
            "the column names are not claim headers (a header row inside the data is not "
            "supported on Spark): name the columns, or use --map",
        )
    return dict(claims.meta.get("column_mapping") or {})


def _numbered(claims_df: Any) -> Any:
    """``claims_df`` with :data:`ROW` = position + 2 (contiguous, in partition order).

    Positions come from ``spark_partition_id`` and ``monotonically_increasing_id`` (record
    number in the lower 33 bits) plus each partition's offset; the input must be read the
    same way twice (a file, a table or local data: not the output of an unordered shuffle).
    """
    from pyspark.sql import functions as F

    tagged = claims_df.withColumn("__pid", F.spark_partition_id()).withColumn(
        "__mid", F.monotonically_increasing_id()
    )
    counts = sorted(tuple(r) for r in tagged.groupBy("__pid").count().collect())
    offsets, total = [], 0
    for pid, size in counts:
        offsets.extend([F.lit(int(pid)), F.lit(total)])
        total += int(size)
    offset = F.create_map(*offsets)[F.col("__pid")] if offsets else F.lit(0)
    local = F.col("__mid") - F.col("__pid").cast("long") * F.lit(1 << 33)
    return tagged.withColumn(ROW, (local + offset + F.lit(2)).cast("long")).drop("__pid", "__mid")


def bucket_of(patient: pd.Series, claim: pd.Series, *, count: int) -> pd.Series:
    """The bucket (0..count-1) of each line: a stable hash of its patient key.

    The key is the reader's: the patient id as read (stripped, whole floats unfloated), or
    the claim id when the patient cell is blank; the same key gives the same bucket in every
    process.
    """
    from addin.claims.normalize import text_column

    patient_text = text_column(patient.reset_index(drop=True))
    claim_text = text_column(claim.reset_index(drop=True))
    key = patient_text.where(patient_text != "", claim_text).to_numpy(dtype=object)
    hashed = pd.util.hash_array(key, categorize=True)
    return pd.Series((hashed % np.uint64(count)).astype(np.int32))


_REFERENCES: dict[str, Any] = {}


def _reference(job: BucketJob) -> Any:
    """This worker's ReferenceData for the job's home folder (loaded once per process)."""
    home = job.home
    if job.shipped:
        from pyspark import SparkFiles

        home = SparkFiles.get(job.shipped)
    # stale policy, ICD-10 cache and config.toml are read from the home folder too
    os.environ["CPT_ADDIN_HOME"] = home
    reference = _REFERENCES.get(home)
    if reference is None:
        from addin.reference.data import ReferenceData

        reference = ReferenceData(store=Path(home) / "store")
        _REFERENCES[home] = reference
    return reference


def check_bucket(job: BucketJob, lines: pd.DataFrame) -> pd.DataFrame:
    """Check one bucket's lines in process; findings with the input's row numbers, then one
    statistics row."""
    from addin.checker import check
    from addin.claims import read_claims
    from addin.engines.spark_session import quiet_pandas_warning

    quiet_pandas_warning()
    lines = lines.sort_values(ROW, kind="stable")
    rows = lines[ROW].to_numpy(dtype=np.int64)
    bucket = int(lines[BUCKET].iloc[0]) if len(lines) else 0
    data = lines.drop(columns=[ROW, BUCKET]).reset_index(drop=True)
    claims = read_claims(
        data,
        column_map=job.column_map,
        date_default=job.date_default,
        source_name=job.source_name,
        ignore_columns=list(job.ignore_columns) if job.ignore_columns else None,
    )
    # the reader numbered the bucket's rows 2, 3, ...: give them the input's numbers before
    # any rule writes one into a message
    for frame in (claims.lines, claims.raw, claims.rejected):
        frame["row"] = _input_rows(frame["row"].to_numpy(dtype=np.int64), rows)
    result = check(
        claims,
        setting=job.setting,
        date_default=job.date_default,
        config=job.rule_config,
        reference=_reference(job),
    )
    findings = _spark_ready(result.findings)
    return pd.concat([findings, bucket_stats(result, bucket)], ignore_index=True)


def _input_rows(local: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Bucket row numbers (position + 2) -> the input's row numbers (0 stays 0)."""
    if not len(rows):
        return local
    position = np.clip(local - 2, 0, len(rows) - 1)
    return np.where(local >= 2, rows[position], local)


def _spark_ready(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings as plain object/int64 columns Arrow turns into :data:`FINDINGS_SCHEMA`
    (pandas 3 ``str`` columns are cast to object, dates become ``datetime.date``)."""
    out: dict[str, Any] = {}
    for column in FINDING_COLUMNS:
        values = findings[column]
        if column in ("row", "related_row"):
            out[column] = values.to_numpy(dtype=np.int64)
        elif column == "dos":
            stamps = pd.to_datetime(values)
            dates = np.empty(len(stamps), dtype=object)
            known = stamps.notna().to_numpy()
            dates[known] = list(stamps[known].dt.date)
            out[column] = dates
        else:
            text = values.astype(object)
            out[column] = text.where(text.notna(), None).to_numpy(dtype=object)
    return pd.DataFrame(out, columns=FINDING_COLUMNS)


def bucket_stats(result: Any, bucket: int) -> pd.DataFrame:
    """One row (``rule_id`` :data:`STATS_ID`, ``message`` JSON) with the bucket's counts, its
    reader and rule notes and its lines per date of service (for versions and currency)."""
    meta = result.claims.meta
    dos = pd.to_datetime(result.claims.lines["dos"]).dropna()
    days = dos.dt.strftime("%Y-%m-%d").value_counts()
    payload = {
        "bucket": bucket,
        "rows_read": int(meta.get("rows_read", 0)),
        "rows_checked": int(meta.get("rows_checked", 0)),
        "rows_rejected": int(meta.get("rows_rejected", 0)),
        "blank_rows": int(meta.get("blank_rows", 0)),
        "reader_notes": list(result.claims.notes),
        "rule_notes": list(result.options.get("notes", [])),
        "days": {str(k): int(v) for k, v in days.items()},
    }
    row: dict[str, Any] = {c: "" for c in FINDING_COLUMNS}
    row.update(
        row=0, related_row=0, dos=None, rule_id=STATS_ID, message=json.dumps(payload)
    )
    return pd.DataFrame([row], columns=FINDING_COLUMNS).astype(
        {c: object for c in FINDING_COLUMNS if c not in ("row", "related_row")}
    )


def findings_to_pandas(findings_df: Any) -> pd.DataFrame:
    """Collect Spark findings into a pandas frame shaped like the in-process findings
    (``dos`` datetime64, rows int64), in the in-process order (row, severity, rule id)."""
    frame = findings_df.toPandas()
    for column in FINDING_COLUMNS:
        if column in ("row", "related_row"):
            frame[column] = frame[column].astype(np.int64)
        elif column == "dos":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return sort_findings(frame[FINDING_COLUMNS])


def sort_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """By row, then severity (errors first), then rule id, then the other columns (so the
    order does not depend on how Spark returned the rows)."""
    if findings.empty:
        return findings.reset_index(drop=True)
    rank = findings["severity"].map(SEVERITY_RANK).fillna(9)
    keyed = findings.assign(_rank=rank.to_numpy())
    ties = [c for c in FINDING_COLUMNS if c not in ("row", "rule_id", "dos")]
    ordered = keyed.sort_values(["row", "_rank", "rule_id", *ties], kind="stable")
    return ordered.drop(columns="_rank").reset_index(drop=True)


def merged_stats(stats_rows: Sequence[Any]) -> dict[str, Any]:
    """The statistics rows of :func:`checked_frame`, added up (``message`` of each row)."""
    total: dict[str, Any] = {
        "rows_read": 0,
        "rows_checked": 0,
        "rows_rejected": 0,
        "blank_rows": 0,
        "reader_notes": [],
        "rule_notes": [],
        "days": {},
        "buckets": 0,
    }
    for message in stats_rows:
        part = json.loads(message)
        total["buckets"] += 1
        for key in ("rows_read", "rows_checked", "rows_rejected", "blank_rows"):
            total[key] += part[key]
        for key in ("reader_notes", "rule_notes"):
            total[key].extend(part[key])
        for day, n in part["days"].items():
            total["days"][day] = total["days"].get(day, 0) + n
    for key in ("reader_notes", "rule_notes"):
        total[key] = merged_notes(total[key])
    return total


_COUNTED = re.compile(r"^(\d+) lines?\b(.*)$", re.DOTALL)


def merged_notes(notes: Sequence[str]) -> list[str]:
    """Distinct notes in first-seen order; notes that start with a count of lines or rows
    ("3 lines without a patient id: …", the reader's form) are added up across buckets."""
    order: list[str] = []
    counts: dict[str, int] = {}
    for note in notes:
        match = _COUNTED.match(note)
        key = match.group(2) if match else note
        if key not in counts:
            order.append(key)
            counts[key] = 0
        if match:
            counts[key] += int(match.group(1))
        else:
            counts[key] = -1
    out = []
    for key in order:
        n = counts[key]
        if n < 0:
            out.append(key)
        else:
            out.append(f"{n} line{'' if n == 1 else 's'}{key}")
    return out


def claims_frame(spark: Any, claims: Any) -> Any:
    """A Spark DataFrame of an already read :class:`addin.claims.ClaimsInput` (or a pandas
    frame of claim lines under their headers): every cell as the text a user reads in it
    (Excel columns mix numbers, dates and text, a Spark column has one type), plus the
    spreadsheet ``row`` of a ClaimsInput. Check it with ``check_spark(df, row_column="row")``.
    """
    from addin.claims.table import cell_text

    frame = claims.raw if hasattr(claims, "raw") else claims
    out = {}
    for name in frame.columns:
        values = frame[name]
        if name == "row" and hasattr(claims, "raw"):
            out[name] = values.to_numpy(dtype=np.int64)
        else:
            out[name] = np.array([cell_text(v) for v in values.to_numpy(dtype=object)], dtype=object)
    return spark.createDataFrame(pd.DataFrame(out, columns=list(frame.columns)))
