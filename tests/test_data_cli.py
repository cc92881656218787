"""``cpt-addin data import | status``: one line per file, exit codes, the status table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli as run

from addin.cli import main
from addin.reference.store import Store

SHARED = Path(__file__).parents[1].parent / "shared"

PTP = (
    "CPT only copyright 2025 American Medical Association.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "47383\t77002\t\t20190101\t*\t1\tMisuse of Column Two code with Column One code\r\n"
    "43497\t43235\t\t20190101\t*\t0\tCPT Manual or CMS manual coding instruction\r\n"
)
GPCI = (
    "ADDENDUM E. FINAL CY 2026 GEOGRAPHIC PRACTICE COST INDICES (GPCIs),,\r\nMAC,State,Locality\r\n"
)


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "cms"
    root.mkdir()
    (root / "ccipra-v322r0-f1.txt").write_bytes(PTP.encode())
    (root / "GPCI2026.csv").write_text(GPCI)
    (root / "payer_mue.csv").write_text("code,mue_units,mai,rationale\n47383,1,2,x\n")
    (root / "README.md").write_text("# ignored\n")
    return root




def test_import_prints_a_line_per_file(folder, capsys):
    code, out, _ = run(
        capsys, "data", "import", str(folder), "--setting", "dme", "--vintage", "2026Q3"
    )
    lines = out.splitlines()
    assert code == 0
    assert (
        lines[0].startswith("skipped")
        and "GPCI2026.csv" in lines[0]
        and "not a table cpt-addin uses" in lines[0]
    )
    assert lines[1].split()[:6] == ["imported", "PTP", "practitioner", "2026-07-01", "2", "rows"]
    assert lines[1].endswith("ccipra-v322r0-f1.txt")
    assert lines[2].split()[:6] == ["imported", "MUE", "dme", "2026-07-01", "1", "rows"]
    assert lines[-1] == "2 imported, 1 skipped, 0 refused."


def test_setting_option_does_not_relabel_a_file_that_names_its_setting(folder, capsys):
    """--setting dme labels the plain MUE table; the PTP file's name says practitioner."""
    run(capsys, "data", "import", str(folder), "--setting", "dme", "--vintage", "2026Q3")
    settings = {r.table: r.setting for r in Store().records()}
    assert settings == {"ptp": "practitioner", "mue": "dme"}


def test_second_import_says_already_imported(folder, capsys):
    run(capsys, "data", "import", str(folder), "--setting", "dme", "--vintage", "2026Q3")
    code, out, _ = run(
        capsys, "data", "import", str(folder), "--setting", "dme", "--vintage", "2026Q3"
    )
    assert code == 0
    assert out.splitlines()[1].startswith("already imported")
    assert out.splitlines()[-1] == "0 imported, 2 already imported, 1 skipped, 0 refused."


def test_refused_file_exits_2_and_names_file_line_reason(folder, capsys, isolated_home):
    (folder / "payer_mue.csv").write_text("code,mue_units,mai\n47383,1,2\n0397T,1,7\n")
    code, out, _ = run(
        capsys,
        "data",
        "import",
        str(folder / "payer_mue.csv"),
        "--setting",
        "dme",
        "--vintage",
        "2026Q3",
    )
    assert code == 2
    line = out.splitlines()[0]
    assert line.startswith("REFUSED")
    assert "payer_mue.csv, line 3, column mai: '7' is not one of 1, 2, 3" in line
    assert "changed nothing" in out
    assert not (isolated_home / "store").exists()


def test_status_table_and_json(folder, capsys):
    code, out, _ = run(capsys, "data", "status")
    assert code == 0 and "No tables imported yet" in out
    run(capsys, "data", "import", str(folder), "--setting", "dme", "--vintage", "2026Q3")
    code, out, _ = run(capsys, "data", "status")
    lines = out.splitlines()
    header, *rows = lines[lines.index("Imported files:") + 1 :]
    assert header.split()[:5] == ["table", "setting", "vintage", "part", "rows"]
    assert "source file" in header and "imported at" in header
    assert any(r.split()[:3] == ["mue", "dme", "2026-07-01"] for r in rows)
    assert any("ptp-txt" in r and "ccipra-v322r0-f1.txt" in r for r in rows)
    code, out, _ = run(capsys, "data", "status", "--json")
    records = json.loads(out)
    assert {r["table"] for r in records} == {"ptp", "mue"}
    assert {"sha256", "rows", "layout", "source_file", "imported_at", "path"} <= set(records[0])


def test_bad_vintage_option_is_a_usage_error(folder, capsys):
    with pytest.raises(SystemExit) as info:
        main(["data", "import", str(folder), "--vintage", "someday"])
    assert info.value.code == 2
    assert "2026Q3" in capsys.readouterr().err


def test_data_without_subcommand_prints_help(capsys):
    code, out, _ = run(capsys, "data")
    assert code == 2 and "import" in out and "status" in out and "fetch" in out


def test_console_script_end_to_end(folder, tmp_path):
    env = {**os.environ, "CPT_ADDIN_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "addin",
            "data",
            "import",
            str(folder),
            "--setting",
            "dme",
            "--vintage",
            "2026Q3",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status = subprocess.run(
        [sys.executable, "-m", "addin", "data", "status"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "ccipra-v322r0-f1.txt" in status.stdout


@pytest.mark.slow
def test_import_all_of_shared_cms(capsys):
    cms = SHARED / "cms"
    if not cms.exists():
        pytest.skip(f"{cms} is absent: CMS reference files live in ../shared (present in CI)")
    code, out, _ = run(capsys, "data", "import", str(cms))
    assert code == 0, out
    assert out.splitlines()[-1] == "11 imported, 3 already imported, 3 skipped, 0 refused."
