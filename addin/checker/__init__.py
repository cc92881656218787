"""The batch check: claims in (file, DataFrame or read claims), every enabled rule, findings out.

>>> from addin.checker import check
>>> result = check("data/sample_claims.xlsx")          # doctest: +SKIP
>>> result.findings[["row", "rule_id", "severity", "message"]]  # doctest: +SKIP

Stages: :mod:`.run` (read, run rules over whole columns, by patient partition for huge
inputs), :mod:`.status` (one status per input row), :mod:`.writers` (findings CSV/JSON,
written atomically).
"""

from addin.checker.run import check, run_rules
from addin.checker.writers import write_findings

__all__ = ["check", "run_rules", "write_findings"]
