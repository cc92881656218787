"""A store that knows when it is damaged: every command that would use it exits 2 (Excel: a
cell message; server: 503) with what is wrong and the mending command, never a silent
fall-back to the bundled tables. ``data verify`` / ``data repair``, stale locks and staging.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli as run

from addin import udfs
from addin.errors import StoreDamagedError
from addin.reference import ReferenceData
from addin.reference.store import STAGING_PREFIX, Store

# A PTP edit the bundled table does not have (indicator 0 for 47383/77002; bundled says 1).
PTP = (
    "CPT only copyright 2025 American Medical Association.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    + "".join(
        f"4{n:04d}\t7{n:04d}\t\t20190101\t*\t1\tMisuse of Column Two code with Column One code\r\n"
        for n in range(200)
    )
    + "47383\t77002\t\t20190101\t*\t0\tImported test rationale\r\n"
)
DATE = "2026-07-15"




pytestmark = pytest.mark.usefixtures("fresh_reference")


@pytest.fixture
def store(isolated_home, tmp_path, capsys) -> Path:
    source = tmp_path / "ccipra-v322r0-f1.txt"
    source.write_bytes(PTP.encode())
    code, _, _ = run(capsys, "data", "import", str(source), "--vintage", "2026Q3")
    assert code == 0
    root = isolated_home / "store"
    assert (root / "manifest.json").exists()
    return root


def _parquet(store: Path) -> Path:
    return next(store.glob("ptp/practitioner/*.parquet"))


def _manifest_gone(store: Path) -> None:
    (store / "manifest.json").unlink()


def _manifest_damaged(store: Path) -> None:
    (store / "manifest.json").write_text('{"format": 1, "imports": [{"table": ')


def _manifest_empty(store: Path) -> None:
    (store / "manifest.json").write_text("")


def _parquet_missing(store: Path) -> None:
    _parquet(store).unlink()


def _parquet_corrupt(store: Path) -> None:
    path = _parquet(store)
    path.write_bytes(b"\0" * path.stat().st_size)


def _sha_mismatch(store: Path) -> None:
    path = _parquet(store)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed
    path.write_bytes(bytes(data))


FAULTS = {
    "manifest gone": (_manifest_gone, "no manifest.json"),
    "manifest damaged": (_manifest_damaged, "manifest.json cannot be read"),
    "manifest empty": (_manifest_empty, "it is empty"),
    "parquet missing": (_parquet_missing, "is missing"),
    "parquet corrupt": (_parquet_corrupt, ""),
    "sha mismatch": (_sha_mismatch, "sha256"),
}


def test_sound_store_answers_from_the_imported_table(store, capsys):
    code, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", DATE)
    assert code == 1 and "Imported test rationale" in out and "(imported)" in out
    record = Store().records()[0]
    assert len(record.parquet_sha256) == 64 and record.parquet_bytes == _parquet(store).stat().st_size
    code, out, _ = run(capsys, "data", "verify")
    assert code == 0 and "1 file(s) checked, 0 damaged" in out


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_exits_2_in_the_cli_with_the_mending_command(store, capsys, fault):
    damage, words = FAULTS[fault]
    damage(store)
    code, out, err = run(capsys, "conflicts", "47383", "77002", "--date", DATE)
    assert code == 2, out
    assert "store of imported tables is damaged" in err and words in err
    assert "cpt-addin data repair" in err
    assert "Traceback" not in err and out == ""
    code, out, _ = run(capsys, "data", "verify")
    assert code == 2 and "DAMAGED" in out and "cpt-addin data repair" in out


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_is_a_cell_message_in_excel(store, fault):
    FAULTS[fault][0](store)
    text = udfs.CPT_CONFLICTS("47383", "77002", date=DATE)
    assert text.startswith("the store of imported tables is damaged") and "cpt-addin data repair" in text


@pytest.mark.parametrize("fault", ["manifest gone", "parquet corrupt", "sha mismatch"])
def test_every_fault_is_503_from_the_server(store, fault):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app
        from addin.server.config import ServerSettings

        client = TestClient(create_app(ServerSettings(api_key="k")), headers={"X-API-Key": "k"})
    FAULTS[fault][0](store)
    answer = client.get("/api/conflicts", params={"code1": "47383", "code2": "77002", "date": DATE})
    assert answer.status_code == 503 and "cpt-addin data repair" in answer.json()["detail"]


def test_data_status_reports_a_damaged_store(store, capsys):
    _manifest_gone(store)
    code, _, err = run(capsys, "data", "status")
    assert code == 2 and "no manifest.json" in err


def test_import_into_a_store_without_manifest_is_refused(store, capsys, tmp_path):
    _manifest_gone(store)
    other = tmp_path / "payer_mue.csv"
    other.write_text("code,mue_units,mai,rationale\n47383,1,2,x\n")
    code, _, err = run(capsys, "data", "import", str(other), "--setting", "dme", "--vintage", "2026Q3")
    assert code == 2 and "data repair" in err


def test_repair_rebuilds_a_lost_manifest_from_the_parquet_metadata(store, capsys):
    before = Store().records()[0]
    _manifest_gone(store)
    code, out, _ = run(capsys, "data", "repair")
    assert code == 0 and "Rebuilt" in out
    after = Store().records()[0]
    assert (after.table, after.setting, after.vintage, after.rows, after.path) == (
        before.table, before.setting, before.vintage, before.rows, before.path
    )
    assert after.parquet_sha256 == before.parquet_sha256
    code, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", DATE)
    assert code == 1 and "Imported test rationale" in out


def test_repair_drops_entries_whose_file_is_gone_and_says_so(store, capsys):
    _parquet_missing(store)
    code, out, _ = run(capsys, "data", "repair")
    assert code == 0 and "dropped" in out and "import ccipra-v322r0-f1.txt again" in out
    assert Store().records() == []
    code, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", DATE)
    assert "(bundled)" in out  # the user was told the table must be imported again


def test_old_manifest_without_checksums_still_loads_and_repair_adds_them(store, capsys):
    manifest = store / "manifest.json"
    payload = json.loads(manifest.read_text())
    for item in payload["imports"]:
        del item["parquet_sha256"], item["parquet_bytes"]
    manifest.write_text(json.dumps(payload))
    code, out, _ = run(capsys, "conflicts", "47383", "77002", "--date", DATE)
    assert code == 1 and "Imported test rationale" in out
    code, out, _ = run(capsys, "data", "repair")
    assert code == 0 and "Recorded checksums for 1 file(s)" in out
    assert len(Store().records()[0].parquet_sha256) == 64


def test_old_manifest_with_a_corrupt_file_is_reported_not_skipped(store):
    manifest = store / "manifest.json"
    payload = json.loads(manifest.read_text())
    for item in payload["imports"]:
        del item["parquet_sha256"], item["parquet_bytes"]
    manifest.write_text(json.dumps(payload))
    _parquet_corrupt(store)
    reference = ReferenceData(store=store)
    with pytest.raises(StoreDamagedError, match="cannot be read as Parquet"):
        reference.pair("47383", "77002", DATE)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_lock_left_by_a_dead_process_is_taken_over_at_once(store, capsys, tmp_path, monkeypatch):
    import addin.reference.store as store_module

    (store / ".lock").write_text(str(_dead_pid()))
    monkeypatch.setattr(store_module.time, "sleep", lambda _: pytest.fail("waited for a dead lock"))
    other = tmp_path / "payer_mue.csv"
    other.write_text("code,mue_units,mai,rationale\n47383,1,2,x\n")
    code, _, _ = run(capsys, "data", "import", str(other), "--setting", "dme", "--vintage", "2026Q3")
    assert code == 0 and not (store / ".lock").exists()


def test_leftover_staging_folders_of_dead_imports_are_cleaned(store, capsys, tmp_path):
    parent = store.parent
    dead = parent / f"{STAGING_PREFIX}{_dead_pid()}-abc123"
    dead.mkdir()
    (dead / "x.parquet").write_bytes(b"half written")
    alive = parent / f"{STAGING_PREFIX}{os.getppid()}-def456"
    alive.mkdir()
    other = tmp_path / "payer_mue.csv"
    other.write_text("code,mue_units,mai,rationale\n47383,1,2,x\n")
    code, _, _ = run(capsys, "data", "import", str(other), "--setting", "dme", "--vintage", "2026Q3")
    assert code == 0
    assert not dead.exists() and alive.exists()
