"""Five or more modifiers on a line: a clear INP002 finding, never a crash (issue 10.2).

``Mod1..Mod5`` columns and a ``modifiers`` cell holding five modifiers; the line-status
join (``checker/status.py``) used to raise ``TypeError: Cannot convert ChunkedArray`` when
the findings' text columns came in several pyarrow chunks; the server's ``/api/check`` then
answered 500.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from addin.checker import check
from addin.checker.status import line_status
from addin.reference import ReferenceData

PROJECT = Path(__file__).resolve().parents[1]
FIVE_SLOTS = (
    "claim_id,patient_id,provider_npi,dos,cpt,Mod1,Mod2,Mod3,Mod4,Mod5,units,dx,pos\n"
    "C1,P1,1234567893,2025-03-01,47383,59,XS,LT,RT,76,1,K76.89,22\n"
)
FIVE_IN_ONE_CELL = (
    "claim_id,patient_id,provider_npi,dos,cpt,modifiers,units,dx,pos\n"
    'C1,P1,1234567893,2025-03-01,47383,"59,XS,LT,RT,76",1,K76.89,22\n'
    "C1,P1,1234567893,2025-03-01,77002,,1,K76.89,22\n"
)


@pytest.fixture(scope="module")
def bundled() -> ReferenceData:
    return ReferenceData(store=PROJECT / "no-store-here", data_dir=PROJECT / "data")


@pytest.mark.parametrize("content", [FIVE_SLOTS, FIVE_IN_ONE_CELL], ids=["Mod1-Mod5", "one-cell"])
def test_five_modifiers_give_inp002_not_a_crash(tmp_path, bundled, content):
    path = tmp_path / "claims.csv"
    path.write_text(content, encoding="utf-8")
    result = check(path, reference=bundled)
    too_many = result.findings[result.findings["rule_id"] == "INP002"]
    assert len(too_many) == 1
    assert too_many["row"].tolist() == [2]
    assert too_many["modifier"].tolist() == ["59,XS,LT,RT,76"]
    assert "5 modifiers" in too_many["message"].iloc[0]
    status = result.line_status.set_index("row")
    assert status.loc[2, "finding_count"] >= 1
    assert "INP002: TOO MANY MODIFIERS" in status.loc[2, "messages"]


def test_line_status_joins_chunked_text_columns():
    pa = pytest.importorskip("pyarrow")
    chunked = pd.Series(
        pd.arrays.ArrowExtensionArray(pa.chunked_array([["A001"], ["B002", "B002"]]))
    )
    message = pd.Series(
        pd.arrays.ArrowExtensionArray(pa.chunked_array([["one"], ["two", "three"]]))
    )
    findings = pd.DataFrame(
        {"row": [2, 3, 3], "severity": ["error", "error", "info"], "rule_id": chunked, "message": message}
    )

    class Claims:
        lines = pd.DataFrame({"row": [2, 3, 4]})
        rejected = pd.DataFrame(columns=["row"])

    status = line_status(findings, Claims())
    assert status["messages"].tolist() == ["A001: one", "B002: two\nB002: three", ""]
    assert status["finding_count"].tolist() == [1, 2, 0]
