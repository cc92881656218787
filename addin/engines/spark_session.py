"""A Spark session set up for the check, and progress from Spark's stages.

Traps this module avoids (each measured): Python workers start the first ``python`` on the
PATH unless ``PYSPARK_PYTHON`` names this interpreter (then ``addin`` or pandas are missing
or of another version); the web UI and the console progress bar cost time and ports; the
default 200 shuffle partitions make a small check slow.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

#: Said when pyspark is not installed (exit 2 on the command line).
PYSPARK_MISSING = (
    "the Spark engine needs pyspark and a Java runtime (17 or newer): "
    'pip install "cpt-addin[spark]"'
)


class SparkUnavailable(RuntimeError):
    """pyspark is not installed, or no Java runtime starts."""


def require_pyspark() -> None:
    """Raise :class:`SparkUnavailable` unless pyspark can be imported."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable(PYSPARK_MISSING) from None


def quiet_pandas_warning() -> None:
    """Silence pyspark's FutureWarning about pandas 3 (the check casts its own columns)."""
    warnings.filterwarnings(
        "ignore", message=".*PySpark does not yet fully support pandas.*", category=FutureWarning
    )


def spark_session(
    master: str = "local[2]",
    *,
    app_name: str = "cpt-addin check",
    driver_memory: str = "2g",
    shuffle_partitions: int | None = None,
    conf: Mapping[str, str] | None = None,
) -> Any:
    """A ``SparkSession`` on ``master`` (``local[2]``, ``spark://host:7077``, ``yarn`` ...).

    Sets ``PYSPARK_PYTHON`` (and the driver's) to this interpreter unless already set, turns
    the UI and console progress bar off, and keeps the shuffle partitions small for
    ``local[...]`` masters (twice the cores) unless ``shuffle_partitions`` says otherwise.
    An existing session is reused (``getOrCreate``): on Databricks pass nothing but use
    the notebook's ``spark``.
    """
    require_pyspark()
    quiet_pandas_warning()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    if shuffle_partitions is None and master.startswith("local"):
        shuffle_partitions = 2 * _local_cores(master)
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # JVM did not start: no java, or a broken JAVA_HOME
        raise SparkUnavailable(f"Spark could not start ({_first_line(exc)}); {PYSPARK_MISSING}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _local_cores(master: str) -> int:
    """Cores of a ``local[N]`` / ``local[*]`` / ``local`` master."""
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    if inside.strip() in ("*", ""):
        return os.cpu_count() or 2
    try:
        return max(1, int(inside.split(",")[0]))
    except ValueError:
        return 2


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@contextmanager
def stage_progress(
    spark: Any, callback: Callable[[str, int, int], None] | None, interval: float = 0.5
) -> Iterator[None]:
    """Report Spark's running stages to ``callback(stage, done, total)`` while the block runs.

    A daemon thread polls ``statusTracker()`` every ``interval`` seconds: for each active
    stage, completed tasks of all tasks. Nothing happens when ``callback`` is None.
    """
    if callback is None:
        yield
        return
    tracker = spark.sparkContext.statusTracker()
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(interval):
            try:
                for stage_id in tracker.getActiveStageIds():
                    info = tracker.getStageInfo(stage_id)
                    if info is not None and info.numTasks:
                        callback(f"Spark stage {stage_id}", info.numCompletedTasks, info.numTasks)
            except Exception:  # noqa: BLE001 - progress only; the job reports its own errors
                return

    thread = threading.Thread(target=poll, name="cpt-addin-spark-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=2 * interval + 1)
        callback("done", 1, 1)
