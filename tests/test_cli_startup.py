"""Start-up: ``--help`` and each sub-command's ``--help`` import no pandas/numpy (structural,
not timed; times are in benchmarks/bench_cli.py); the lookup path's reference shortcuts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from addin.cli import COMMANDS

PROJECT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "pyarrow", "pydantic", "openpyxl", "rich", "addin.rules", "addin.reference")

SCRIPT = """
import sys
from addin.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print("LOADED", *[m for m in {heavy!r} if m in sys.modules])
"""


def _loaded(argv: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(argv=argv, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT,
        env={**__import__("os").environ, "PYTHONPATH": str(PROJECT)},
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOADED"))
    return line.split()[1:]


def test_top_level_help_and_version_import_nothing_heavy():
    assert _loaded(["--help"]) == []
    assert _loaded(["--version"]) == []
    assert _loaded([]) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_help_imports_nothing_heavy(command):
    assert _loaded([command, "--help"]) == []


def test_importing_the_cli_loads_no_command_module():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, addin.cli; print(sorted(m for m in sys.modules "
         "if m.startswith('addin.') and m.endswith('_cmd')), 'pandas' in sys.modules)"],
        capture_output=True, text=True, check=True, env={**__import__("os").environ,
                                                          "PYTHONPATH": str(PROJECT)},
    )
    assert done.stdout.split() == ["[]", "False"]


def test_grouped_rows_answer_as_a_groupby_would():
    from addin.reference.grouped import GroupedRows

    frame = pd.DataFrame(
        {"code": ["B", "A", "B", "C", "A"], "n": [1, 2, 3, 4, 5]}, index=[10, 11, 12, 13, 14]
    )
    grouped = GroupedRows(frame, "code")
    for code, group in frame.groupby("code"):
        pd.testing.assert_frame_equal(grouped.get(code), group)  # same rows, order and index
    assert grouped.get("Z") is None and "Z" not in grouped and "A" in grouped
    assert len(grouped) == 3
    assert GroupedRows(frame.iloc[:0], "code").get("A") is None


def test_bundled_tables_the_store_replaces_are_not_read(tmp_path):
    from addin.reference import bundled, schema
    from addin.reference.paths import bundled_data_dir

    every = bundled.bundled_versions(bundled_data_dir())
    skip = {(schema.RVU, schema.ALL_SETTINGS), (schema.PTP, "practitioner"), (schema.PTP, "hospital"),
            (schema.MUE, "practitioner")}
    fewer = bundled.bundled_versions(bundled_data_dir(), skip=skip)
    assert (schema.RVU, schema.ALL_SETTINGS) not in fewer
    assert (schema.PTP, "practitioner") not in fewer and (schema.PTP, "hospital") not in fewer
    assert (schema.MUE, "practitioner") in fewer  # MUE hospital/dme still come from the file
    version = every[(schema.RVU, schema.ALL_SETTINGS)][0]
    frame = version.load()
    assert frame is version.load()  # typed once, on first use
    assert pd.api.types.is_float_dtype(frame["work_rvu"])
