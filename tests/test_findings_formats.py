"""Findings as .json, .jsonl and .parquet: every value as it is, with its type (issue 11)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from addin.checker import write_findings
from addin.checker.writers import FindingsSink
from addin.findings import FINDING_COLUMNS

AWKWARD = ['say "hi"', "back\\slash", "two\nlines", "tab\there", "bell\x07", "crlf\r\n", "Müller ✓ 😀",
           "=1+1", "", "\u2028separator", "a/b"]


def _findings(values: list[str]) -> pd.DataFrame:
    n = len(values)
    frame = pd.DataFrame({c: [""] * n for c in FINDING_COLUMNS})
    for column in ("claim_id", "code", "message", "suggestion", "source", "patient_id"):
        frame[column] = values
    frame["row"] = range(2, n + 2)
    frame["related_row"] = [0] * (n - 1) + [7]
    frame["rule"], frame["rule_id"], frame["severity"] = "ptp", "PTP001", "error"
    frame["dos"] = pd.to_datetime(["2026-05-04"] * (n - 1) + [None])
    return frame


def _expected(frame: pd.DataFrame) -> list[dict]:
    out = []
    for record in frame.to_dict(orient="records"):
        record["dos"] = "" if pd.isna(record["dos"]) else record["dos"].strftime("%Y-%m-%d")
        out.append({c: record[c] for c in FINDING_COLUMNS})
    return out


def test_jsonl_and_json_hold_every_value_exactly(tmp_path):
    frame = _findings(AWKWARD)
    lines = write_findings(frame, tmp_path / "f.jsonl").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == len(AWKWARD) + 1
    records = [json.loads(line) for line in lines[:-1]]
    assert records == _expected(frame)
    assert json.loads(write_findings(frame, tmp_path / "f.json").read_text(encoding="utf-8")) == records
    assert list(records[0]) == FINDING_COLUMNS and isinstance(records[-1]["related_row"], int)


def test_empty_findings_give_valid_empty_files(tmp_path):
    empty = _findings(["x"]).iloc[0:0]
    assert json.loads(write_findings(empty, tmp_path / "f.json").read_text(encoding="utf-8")) == []
    assert write_findings(empty, tmp_path / "f.jsonl").read_text(encoding="utf-8") == ""
    table = pd.read_parquet(write_findings(empty, tmp_path / "f.parquet"))
    assert list(table.columns) == FINDING_COLUMNS and len(table) == 0
    header = write_findings(empty, tmp_path / "f.csv").read_text(encoding="utf-8").strip()
    assert header.replace('"', "").split(",") == FINDING_COLUMNS


def test_parquet_keeps_types_and_text(tmp_path):
    frame = _findings(AWKWARD)
    table = pd.read_parquet(write_findings(frame, tmp_path / "f.parquet"))
    assert str(table["row"].dtype) == "int64" and str(table["related_row"].dtype) == "int64"
    assert table["message"].tolist() == AWKWARD  # never neutralised: not a spreadsheet
    assert table["dos"].iloc[0].isoformat() == "2026-05-04" and pd.isna(table["dos"].iloc[-1])


def test_sink_writes_batches_in_order_and_only_on_success(tmp_path):
    frame = _findings(AWKWARD)
    target = tmp_path / "f.jsonl"
    with FindingsSink(target) as sink:
        sink.write(frame.iloc[:4])
        sink.write(frame.iloc[4:])
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").split("\n")[:-1]]
    assert [r["row"] for r in records] == list(range(2, len(AWKWARD) + 2))
    failed = tmp_path / "g.parquet"
    with pytest.raises(RuntimeError), FindingsSink(failed) as sink:
        sink.write(frame)
        raise RuntimeError("stop")
    assert not failed.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["f.jsonl"]
