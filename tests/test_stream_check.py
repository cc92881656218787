"""The streamed check (addin.checker.stream): the same findings as the in-memory check, in parts.

Batches and buckets are made tiny here so that every path — many batches, many buckets,
patients spread over batches, irregular rows, a second process — runs on small files.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from cli_helpers import run_cli
from pinned_claims import PROJECT, write_pinned_claims


@pytest.fixture(scope="module")
def pinned(tmp_path_factory):
    """8,000 pinned random lines (bundled codes, bad rows, patients across claims)."""
    return write_pinned_claims(tmp_path_factory.mktemp("pinned") / "claims.csv", lines=8_000)


def _whole(path, out):
    from addin.checker import check, write_findings

    write_findings(check(path).findings, out)
    return out.read_bytes()


def _streamed(path, out, **options):
    from addin.checker.stream import check_streamed

    options.setdefault("batch_lines", 1_500)
    options.setdefault("bucket_lines", 1_000)
    options.setdefault("workers", 1)
    result = check_streamed(path, out, **options)
    return result, out.read_bytes()


def test_streamed_findings_are_byte_identical(bundled, pinned, tmp_path):
    whole = _whole(pinned, tmp_path / "whole.csv")
    result, streamed = _streamed(pinned, tmp_path / "streamed.csv")
    assert result.buckets > 3
    assert streamed == whole
    assert result.findings == whole.count(b"\n") - 1
    assert result.meta["rows_read"] == 8_000
    assert result.meta["rows_checked"] + result.meta["rows_rejected"] == 8_000


def test_one_patient_across_batches_and_claims_keeps_its_pair(bundled, tmp_path):
    rows = [["Claim ID", "Patient ID", "NPI", "DOS", "CPT", "Modifiers"]]
    rows += [[f"F{k}", f"P{k}", "1900000013", "2026-05-04", "99213", ""] for k in range(50)]
    rows.insert(3, ["A1", "PX", "1900000013", "2026-05-04", "43497", ""])
    rows.append(["A2", "PX", "1900000013", "2026-05-04", "43235", ""])  # 50 rows later
    path = tmp_path / "claims.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    result, text = _streamed(path, tmp_path / "f.csv", batch_lines=10, bucket_lines=10)
    assert result.buckets >= 5
    found = list(csv.DictReader(text.decode().splitlines()))
    ptp = [f for f in found if f["rule_id"] == "PTP001"]
    assert [(f["code"], f["related_code"], f["row"], f["related_row"]) for f in ptp] == [
        ("43235", "43497", "53", "4")
    ]
    assert text == _whole(path, tmp_path / "w.csv")


def test_irregular_blank_sep_line_and_bom_rows_match_the_whole_file_read(bundled, tmp_path):
    body = (
        "\ufeffsep=,\nTitle row of an export\n"
        "Claim ID,Patient ID,DOS,CPT,Units\n"
        "C1,P1,2026-05-04,43497,1\n"
        "C1,P1,2026-05-04,43235\n"  # one cell short: padded
        "\n"  # blank row: counted, not checked
        "C2,P2,2026-05-04,99213,1,extra,cells\n"  # more cells than the header
        'C3,P3,2026-05-04,"77002",x\n'  # bad units: rejected
        + "".join(f"D{k},Q{k},2026-05-04,99213,1\n" for k in range(60))
        + "E1,R1,2026-05-04,99213,1,beyond,the,sampled,width\n"  # wider than every sampled row
    )
    path = tmp_path / "odd.csv"
    path.write_bytes(body.encode("utf-8"))
    whole = _whole(path, tmp_path / "w.csv")
    result, streamed = _streamed(path, tmp_path / "s.csv", batch_lines=2, bucket_lines=2)
    assert streamed == whole
    assert result.meta["blank_rows"] == 1 and result.meta["rows_rejected"] == 1
    assert any("1 row(s) had more cells than the header" in n for n in result.meta["notes"])


def test_windows_1252_and_utf16_inputs(bundled, tmp_path):
    text = "Claim ID,Patient ID,DOS,CPT,Note\nC1,Müller,2026-05-04,43497,é\nC1,Müller,2026-05-04,43235,ü\n"
    for name, encoding in (("cp.csv", "cp1252"), ("u16.csv", "utf-16")):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        whole = _whole(path, tmp_path / f"w-{name}")
        _, streamed = _streamed(path, tmp_path / f"s-{name}")
        assert streamed == whole
        assert "Müller" in streamed.decode("utf-8")


def test_parquet_input_and_outputs(bundled, pinned, tmp_path):
    frame = pd.read_csv(pinned, dtype=str, keep_default_na=False)
    source = tmp_path / "claims.parquet"
    frame.to_parquet(source)
    whole = _whole(pinned, tmp_path / "whole.csv")
    _, from_parquet = _streamed(source, tmp_path / "p.csv", batch_lines=2_000)
    assert from_parquet == whole
    expected = list(csv.DictReader(whole.decode().splitlines()))
    _streamed(pinned, tmp_path / "s.jsonl")
    records = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text("utf-8").splitlines()]
    assert len(records) == len(expected)
    assert records[5]["message"] == expected[5]["message"].lstrip("'")
    assert isinstance(records[5]["row"], int)
    _streamed(pinned, tmp_path / "s.parquet")
    table = pd.read_parquet(tmp_path / "s.parquet")
    assert len(table) == len(expected) and str(table["row"].dtype) == "int64"
    assert table["rule_id"].tolist() == [r["rule_id"] for r in expected]


def test_two_worker_processes_give_the_same_findings(bundled, pinned, tmp_path, monkeypatch):
    monkeypatch.setenv("CPT_ADDIN_HOME", str(bundled.store_path.parent))
    whole = _whole(pinned, tmp_path / "whole.csv")
    result, streamed = _streamed(pinned, tmp_path / "s.csv", workers=2, bucket_lines=3_000)
    assert result.workers == 2 and streamed == whole


def test_partitioned_in_memory_check_keeps_dx004_file_wide(bundled, pinned):
    from addin.checker import check

    one = check(pinned).findings
    parts = check(pinned, chunk_lines=1_000).findings
    pd.testing.assert_frame_equal(one, parts)
    assert (one["rule_id"] == "DX004").sum() >= 1


def test_cli_streams_large_inputs_and_refuses_a_workbook(bundled, pinned, tmp_path, capsys, monkeypatch):
    from addin.cli import stream_cmd

    out = tmp_path / "f.jsonl"
    workbook = tmp_path / "a.xlsx"
    code, _, err = run_cli(capsys, "check", str(pinned), "--stream", "--findings", str(out), "-o", str(workbook))
    assert code == 2 and "-o" in err and not out.exists()
    monkeypatch.setattr(stream_cmd, "AUTO_STREAM_LINES", 10)
    code, printed, _ = run_cli(capsys, "check", str(pinned), "--findings", str(out), "--workers", "1")
    assert code == 1 and out.exists() and "streamed in" in printed
    code, printed, _ = run_cli(capsys, "check", str(pinned), "--findings", str(tmp_path / "g.csv"), "-o", str(workbook))
    assert code == 1 and workbook.exists() and "streamed in" not in printed  # a workbook: in memory
    sample = str(PROJECT / "data" / "sample_claims.xlsx")
    code, _, err = run_cli(capsys, "check", sample, "--stream", "--findings", str(out))
    assert code == 2 and "--stream reads" in err


def test_stale_policy_error_refuses_before_writing(bundled, pinned, tmp_path):
    from addin.reference.currency import StaleDataError

    out = tmp_path / "f.csv"
    with pytest.raises(StaleDataError):
        _streamed(pinned, out, config={"data": {"stale": "error"}})
    assert not out.exists()
