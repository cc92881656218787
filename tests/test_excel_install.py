"""``cpt-addin excel install``: the xlwings settings that register addin.udfs.

The files written must read back through xlwings' own reader
(:func:`xlwings.utils.read_user_config`), keep every setting that was there, and never
touch the input workbook.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import openpyxl
import pytest
import xlwings
import xlwings.utils

from addin.cli import excel_cmd
from addin.errors import CptAddinError
from addin.excel import install


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cpt-addin")
    excel_cmd.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def read_with_xlwings(path, monkeypatch) -> dict[str, str]:
    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(path))
    return xlwings.utils.read_user_config()


def test_new_config_file_registers_the_module_and_interpreter(tmp_path, monkeypatch, capsys):
    config = tmp_path / ".xlwings" / "xlwings.conf"
    assert run(["excel", "install", "--config", str(config), "--pythonpath", "C:\\proj"]) == 0
    settings = read_with_xlwings(config, monkeypatch)
    assert settings["udf modules"] == "addin.udfs"
    assert settings[install.interpreter_key().lower()] == sys.executable
    assert settings["pythonpath"] == "C:\\proj"
    out = capsys.readouterr().out
    assert "xlwings addin install" in out and "Trust access to the VBA project object model" in out
    assert "Import Functions" in out and "cpt-addin data fetch" in out


def test_existing_settings_are_kept_and_lists_extended(tmp_path, monkeypatch):
    config = tmp_path / "xlwings.conf"
    config.write_text(
        '"INTERPRETER_WIN","C:\\old\\python.exe"\n"UDF MODULES","mymodule"\n'
        '"LICENSE_KEY","noncommercial"\n"PYTHONPATH","C:\\lib"\n',
        encoding="utf-8",
    )
    changes = install.write_config_file(
        config, {"UDF MODULES": "addin.udfs", "INTERPRETER_WIN": "C:\\py\\python.exe", "PYTHONPATH": "C:\\proj"}
    )
    settings = read_with_xlwings(config, monkeypatch)
    assert settings == {
        "interpreter_win": "C:\\py\\python.exe",
        "udf modules": "mymodule;addin.udfs",
        "license_key": "noncommercial",
        "pythonpath": "C:\\lib;C:\\proj",
    }
    assert any(c.startswith("UDF MODULES: mymodule -> mymodule;addin.udfs") for c in changes)
    # running again changes nothing
    before = config.read_bytes()
    install.write_config_file(config, {"UDF MODULES": "addin.udfs", "INTERPRETER_WIN": "C:\\py\\python.exe"})
    assert config.read_bytes() == before
    assert not list(tmp_path.glob(".xlwings.conf.*"))  # no temporary file left behind


def test_keys_compare_case_insensitively_like_xlwings():
    pairs, _ = install.merge([("Udf Modules", "a"), ("interpreter_win", "x")], {"UDF MODULES": "addin.udfs", "INTERPRETER_WIN": "y"})
    assert pairs == [("UDF MODULES", "a;addin.udfs"), ("INTERPRETER_WIN", "y")]


def test_values_with_quotes_are_refused(tmp_path):
    with pytest.raises(CptAddinError, match="double quote"):
        install.write_config_file(tmp_path / "x.conf", {"PYTHONPATH": 'C:\\"odd"'})


def test_interpreter_key_follows_the_platform():
    assert install.interpreter_key("win32") == "INTERPRETER_WIN"
    assert install.interpreter_key("darwin") == "INTERPRETER_MAC"


def test_workbook_copy_gets_a_config_sheet_and_the_input_is_unchanged(tmp_path, capsys):
    book = openpyxl.Workbook()
    book.active.title = "Claims"
    book.active["A1"] = "CPT"
    config = book.create_sheet("xlwings.conf")
    config.append(["UDF Modules", "mymodule"])
    config.append(["LICENSE_KEY", "noncommercial"])
    source = tmp_path / "Claims.xlsx"
    book.save(source)
    before = source.read_bytes()

    assert run(["excel", "install", "--workbook", str(source), "--interpreter", "C:\\py\\python.exe", "--pythonpath", "=HACK()"]) == 0
    assert source.read_bytes() == before
    copy = tmp_path / "Claims-cpt-addin.xlsx"
    assert "Claims-cpt-addin.xlsx" in capsys.readouterr().out
    result = openpyxl.load_workbook(copy)
    assert result.sheetnames == ["Claims", "xlwings.conf"]
    assert result["Claims"]["A1"].value == "CPT"
    sheet = result["xlwings.conf"]
    settings = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert settings == {
        "UDF MODULES": "mymodule;addin.udfs",
        "LICENSE_KEY": "noncommercial",
        "INTERPRETER_WIN": "C:\\py\\python.exe",
        "PYTHONPATH": "=HACK()",
    }
    assert sheet["B4"].data_type == "s"  # text, not a formula
    assert sheet.sheet_state == "hidden"


def test_workbook_copy_never_overwrites_the_input(tmp_path):
    source = tmp_path / "Book.xlsx"
    openpyxl.Workbook().save(source)
    with pytest.raises(CptAddinError, match="must not overwrite"):
        install.write_workbook_config(source, {"UDF MODULES": "addin.udfs"}, output=source)
    with pytest.raises(CptAddinError, match="no such workbook"):
        install.write_workbook_config(tmp_path / "missing.xlsx", {})
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(CptAddinError, match="cannot be read"):
        install.write_workbook_config(bad, {})


@pytest.mark.parametrize(
    ("returncode", "printed", "expected"),
    [(0, "{root}/addin", False), (0, "/elsewhere/addin", True), (1, "", True)],
)
def test_pythonpath_is_only_needed_when_the_interpreter_cannot_import_this_project(
    monkeypatch, returncode, printed, expected
):
    def fake_run(command, **kwargs):
        assert "PYTHONPATH" not in kwargs["env"]
        stdout = printed.format(root=install.project_root())
        return subprocess.CompletedProcess(command, returncode, stdout=stdout + "\n", stderr="")

    monkeypatch.setattr(install.subprocess, "run", fake_run)
    assert install.needs_pythonpath("python") is expected


def test_missing_interpreter_needs_pythonpath():
    assert install.needs_pythonpath("/nonexistent/python") is True


def test_functions_lists_every_excel_function(capsys):
    assert run(["excel", "functions"]) == 0
    out = capsys.readouterr().out
    assert "=CPT_CONFLICTS(code1, code2, [mods1], [mods2], [date], [setting])" in out
    assert out.count("\n=") + 1 == 14
