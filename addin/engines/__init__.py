"""Other engines for the batch check: the same rules and findings on a distributed engine.

- :mod:`.spark` — :func:`~addin.engines.spark.check_spark` runs the in-process rule engine
  per bucket of patients with Spark's ``applyInPandas`` (optional extra ``cpt-addin[spark]``).
- :mod:`.spark_session` — a Spark session set up the way the check needs it, and stage
  progress from Spark's status tracker.
- :mod:`.spark_cli` — ``cpt-addin check --engine spark``.

Nothing here is imported by the rest of the package: pyspark is needed only when used.
"""
