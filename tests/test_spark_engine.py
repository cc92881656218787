"""The batch check on Apache Spark (``addin.engines.spark``) gives the in-process findings.

One real ``local[2]`` session for the module (skipped, with the reason, when pyspark or a
Java runtime is missing). Findings are compared exactly, column by column, after sorting
both sides the same way (Spark returns rows in no particular order).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli
from conftest import BUNDLED_DATA, PROJECT_ROOT

from addin.findings import FINDING_COLUMNS

SAMPLE = BUNDLED_DATA / "sample_claims.xlsx"
FULL_HOME = Path("/work/home")  # a developer machine's full store (read-only); CI imports one
GENERATED_LINES = 100_000


def _java_missing() -> str | None:
    if os.environ.get("JAVA_HOME") and Path(os.environ["JAVA_HOME"], "bin", "java").exists():
        return None
    return None if shutil.which("java") else "no Java runtime (apt-get install default-jre-headless)"


@pytest.fixture(scope="module")
def spark():
    """A real local[2] session: UI off, 2 shuffle partitions, workers on this Python."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
    reason = _java_missing()
    if reason:
        pytest.skip(reason)
    from addin.engines.spark_session import spark_session

    session = spark_session("local[2]", shuffle_partitions=2, driver_memory="1g")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def full_home(request) -> Path:
    """A home folder whose store has every CMS table: /work/home where present, else the
    session's imported store (../shared/cms, present in CI)."""
    if (FULL_HOME / "store" / "manifest.json").exists():
        return FULL_HOME
    return request.getfixturevalue("imported_store").parent


@pytest.fixture(scope="module")
def bundled_home(tmp_path_factory) -> Path:
    """One empty home (bundled data only) for the module, so each Python worker loads its
    reference once; its ICD-10 cache is built here, on the driver, before any worker runs."""
    home = tmp_path_factory.mktemp("spark-bundled-home")
    previous = os.environ.get("CPT_ADDIN_HOME")
    os.environ["CPT_ADDIN_HOME"] = str(home)
    try:
        from addin.reference.icd10_package import package_codes

        package_codes()
    finally:
        if previous is None:
            os.environ.pop("CPT_ADDIN_HOME", None)
        else:
            os.environ["CPT_ADDIN_HOME"] = previous
    return home


@pytest.fixture
def home(bundled_home, monkeypatch) -> Path:
    monkeypatch.setenv("CPT_ADDIN_HOME", str(bundled_home))
    return bundled_home


def _comparable(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings with plain dtypes, sorted the way :func:`sort_findings` does."""
    from addin.engines.spark import sort_findings

    out = findings[FINDING_COLUMNS].copy()
    for column in FINDING_COLUMNS:
        if column in ("row", "related_row"):
            out[column] = out[column].astype(np.int64)
        elif column == "dos":
            out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        else:
            out[column] = out[column].astype(object).where(out[column].notna(), "")
    return sort_findings(out)


def _assert_same(local: pd.DataFrame, distributed: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(_comparable(local), _comparable(distributed))


def _make_claims():
    spec = importlib.util.spec_from_file_location(
        "make_claims", PROJECT_ROOT / "benchmarks" / "make_claims.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_claims


# -- without Spark -------------------------------------------------------------------------


def test_bucket_follows_the_readers_patient_key():
    from addin.engines.spark import bucket_of

    patient = pd.Series(["PT1", " PT1 ", "", None, "PT2", 1001.0], dtype=object)
    claim = pd.Series(["C1", "C2", "PT1", "PT1", "C3", "C4"], dtype=object)
    buckets = bucket_of(patient, claim, count=64).to_numpy()
    # same patient after stripping; a blank patient stands for its claim id (as the reader)
    assert buckets[0] == buckets[1] == buckets[2] == buckets[3]
    assert bucket_of(pd.Series(["1001"]), pd.Series(["x"]), count=64)[0] == buckets[5]
    assert set(buckets) <= set(range(64))
    # stable: the same key gives the same bucket on every call (every executor)
    assert (bucket_of(patient, claim, count=64).to_numpy() == buckets).all()


def test_findings_schema_is_the_findings_contract():
    from addin.engines.spark import FINDINGS_SCHEMA

    names = [part.split()[0] for part in FINDINGS_SCHEMA.split(", ")]
    assert names == FINDING_COLUMNS
    assert "dos date" in FINDINGS_SCHEMA and "row long" in FINDINGS_SCHEMA


def test_cli_without_pyspark_exits_2_with_the_install_hint(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    claims = tmp_path / "claims.parquet"
    pd.DataFrame({"CPT": ["99213"], "DOS": ["2026-01-05"]}).to_parquet(claims)
    code, out, err = run_cli(capsys, "check", str(claims), "--engine", "spark")
    assert code == 2
    assert "cpt-addin[spark]" in err and "Traceback" not in err


# -- on Spark --------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["practitioner", "hospital"])
def test_sample_claims_same_findings_as_in_process(spark, home, setting):
    from addin.checker import check
    from addin.claims import read_claims
    from addin.engines.spark import check_spark, claims_frame, findings_to_pandas
    from addin.reference.data import ReferenceData

    claims = read_claims(SAMPLE)
    local = check(claims, setting=setting, reference=ReferenceData(store=home / "store"))
    assert (local.findings["rule_id"] == "INP001").sum() == claims.meta["rows_rejected"] > 0
    distributed = check_spark(
        claims_frame(spark, claims), setting=setting, reference_home=home, row_column="row"
    )
    _assert_same(local.findings, findings_to_pandas(distributed))


def test_generated_claims_same_findings_as_in_process_both_settings(spark, full_home, monkeypatch):
    """100k lines with real PTP pairs, add-ons and MUE overs; rows numbered by Spark."""
    from addin.checker import check
    from addin.engines.spark import check_spark, findings_to_pandas
    from addin.reference.data import ReferenceData

    monkeypatch.setenv("CPT_ADDIN_HOME", str(full_home))
    reference = ReferenceData(store=full_home / "store")
    frame = _make_claims()(GENERATED_LINES, reference=reference, seed=11)
    claims_df = spark.createDataFrame(frame).cache()
    for setting in ("practitioner", "hospital"):
        local = check(frame, setting=setting, reference=reference)
        assert {"ptp", "mue", "aoc"} <= set(local.findings["rule"])
        distributed = check_spark(
            claims_df, setting=setting, reference_home=full_home, buckets=3
        )
        _assert_same(local.findings, findings_to_pandas(distributed))
    claims_df.unpersist()


def test_shipped_reference_and_mapped_columns(spark, home):
    """--map'd headers and a reference folder copied to the executors (SparkFiles)."""
    from addin.checker import check
    from addin.engines.spark import check_spark, findings_to_pandas
    from addin.reference.data import ReferenceData

    frame = pd.DataFrame(
        {
            "Proc": ["43497", "43235", "99213", "99213", "ABC", "77002"],
            "When": ["2026-05-04"] * 3 + ["2026-05-04", "2026-05-04", "not a date"],
            "Member": ["P1", "P1", "P2", "P2", "P3", "P3"],
            "Claim": ["C1", "C1", "C2", "C2", "C3", "C3"],
            "Units": ["1", "1", "1", "1", "1", "x"],
        }
    )
    mapping = {"cpt": "Proc", "dos": "When", "patient_id": "Member", "claim_id": "Claim"}
    local = check(frame, column_map=mapping, reference=ReferenceData(store=home / "store"))
    distributed = check_spark(
        spark.createDataFrame(frame),
        column_map=mapping,
        reference_home=home,
        ship_reference=True,
    )
    result = findings_to_pandas(distributed)
    _assert_same(local.findings, result)
    assert {"PTP001", "INP001"} <= set(result["rule_id"])
    assert 7 in set(result.loc[result["rule_id"] == "INP001", "row"])  # the last line, as read


def test_bad_map_is_refused_on_the_driver(spark, home):
    from addin.engines.spark import check_spark
    from addin.errors import InputFileError

    frame = spark.createDataFrame(pd.DataFrame({"Proc": ["99213"], "When": ["2026-05-04"]}))
    with pytest.raises(InputFileError, match="No Such Header|not found"):
        check_spark(frame, column_map={"cpt": "No Such Header"}, reference_home=home)


def test_cli_spark_engine_parquet_in_and_out(spark, home, fresh_reference, capsys, tmp_path):
    """cpt-addin check claims.parquet --engine spark --findings f.parquet: the in-process
    findings, the usual summary and exit code 1 (the sample has errors)."""
    from addin.checker import check
    from addin.claims import read_claims
    from addin.claims.table import cell_text
    from addin.reference.data import ReferenceData

    raw = read_claims(SAMPLE).raw.drop(columns="row")
    frame = pd.DataFrame({c: [cell_text(v) for v in raw[c]] for c in raw.columns})
    claims = tmp_path / "claims.parquet"
    frame.to_parquet(claims)
    findings = tmp_path / "findings.parquet"
    code, out, err = run_cli(
        capsys, "check", str(claims), "--engine", "spark", "--master", "local[2]",
        "--setting", "hospital", "--findings", str(findings),
    )
    assert code == 1, err
    local = check(frame, setting="hospital", reference=ReferenceData(store=home / "store"))
    assert f"{len(frame)} rows read" in out and "(hospital," in out
    assert f"Findings: {len(local.findings)} —" in out
    assert "Errors found (exit 1)." in out and f"Wrote {findings}" in out
    _assert_same(local.findings, pd.read_parquet(findings))
    assert spark.sparkContext._jsc is not None  # the test's session was not stopped


def test_cli_spark_engine_refuses_a_workbook(spark, capsys):
    code, _, err = run_cli(capsys, "check", str(SAMPLE), "--engine", "spark")
    assert code == 2 and ".parquet" in err and "Traceback" not in err


def test_bucket_notes_are_added_up():
    from addin.engines.spark import merged_notes

    notes = [
        "3 lines without a patient id: claim id used",
        "no provider NPI column: all lines are treated as one provider",
        "1 line without a patient id: claim id used",
        "no provider NPI column: all lines are treated as one provider",
    ]
    assert merged_notes(notes) == [
        "4 lines without a patient id: claim id used",
        "no provider NPI column: all lines are treated as one provider",
    ]


def test_each_bucket_gets_its_own_partition(spark):
    """Bucket keys hash to distinct partitions, so buckets run in parallel (0, 1, 2, 3 as keys
    would often share a partition and run one after the other)."""
    from pyspark.sql import functions as F

    from addin.engines.spark import _partition_keys

    for count in (2, 4, 7):
        keys = _partition_keys(spark, count)
        frame = spark.createDataFrame([(k,) for k in keys], "key int").repartition(count, "key")
        parts = frame.select(F.spark_partition_id().alias("p")).collect()
        assert sorted(r["p"] for r in parts) == list(range(count))


def test_stage_progress_reports_running_stages(spark):
    import time

    from addin.engines.spark_session import stage_progress

    calls = []
    with stage_progress(spark, lambda stage, done, total: calls.append((stage, done, total)), 0.05):
        spark.sparkContext.parallelize(range(4), 2).map(lambda x: time.sleep(1.0) or x).collect()
    stages = [c for c in calls if c[0].startswith("Spark stage ")]
    assert stages and all(total == 2 and 0 <= done <= 2 for _, done, total in stages)
    assert calls[-1] == ("done", 1, 1)
