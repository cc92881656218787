"""Fuzz ``cpt-addin data import`` with hostile CMS files: no traceback, a refusal changes nothing.

Each example gets its own copy of a small store (a PTP and an MUE table built in code) under a
fresh ``CPT_ADDIN_HOME``. Properties:

- ``data import`` exits 0, 1 or 2 and prints no traceback;
- when it refused (exit 2), the store folder is byte for byte what it was (checksum of every
  file's path and bytes), also with ``--all-or-nothing`` beside a good file;
- afterwards ``data status`` still reads the store (exit 0, no traceback).

The hostile files start from the official layout excerpts in ``../shared/cms-layouts``
(skipped when absent) and a plain MUE table, then are re-encoded, re-ended, zipped and
byte-edited (see ``fuzz_helpers``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SHARED_LAYOUTS, require_shared
from fuzz_helpers import (
    CMS_EXCERPTS,
    CMS_NAMES,
    ByteOp,
    CmsCase,
    RawCase,
    WorkbookCase,
    assert_clean,
    describe,
    excerpt_rows,
    fuzz_settings,
    hostile_cms_cases,
    hostile_workbook_cases,
    rebuild_zip,
    run_cli,
    scratch_dir,
    tree_checksum,
    with_declared_size,
    workbook_bytes,
    zip_bomb,
)
from hypothesis import example, given

BOMB_BYTES = 100 << 20

BASE_PTP = (
    "CPT only copyright 2025 American Medical Association.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "47383\t77002\t\t20190101\t*\t1\tMisuse of Column Two code with Column One code\r\n"
    "43497\t43235\t\t20190101\t*\t0\tCPT Manual or CMS manual coding instruction\r\n"
)
BASE_MUE = "code,mue_units,mai,rationale\n47383,1,2,Clinical\n"
GOOD_PLAIN_PTP = "column_1,column_2,modifier_indicator\n64483,99213,1\n"


@pytest.fixture(scope="module")
def layouts() -> Path:
    return require_shared(SHARED_LAYOUTS)


@pytest.fixture(scope="module")
def template_home(tmp_path_factory) -> Path:
    """A home whose store holds a small PTP and MUE table (built once, copied per example)."""
    home = tmp_path_factory.mktemp("fuzz-template-home")
    source = tmp_path_factory.mktemp("fuzz-template-src")
    (source / "ccipra-v322r0-f1.txt").write_text(BASE_PTP, newline="")
    (source / "payer_mue.csv").write_text(BASE_MUE)
    from addin.reference.store import Store

    result = Store(home / "store").import_paths([source], "practitioner", "2026Q3")
    assert result.ok and len(result.imported) == 2, [o.message for o in result.outcomes]
    return home


class Home:
    """A fresh copy of the template home, made the process's ``CPT_ADDIN_HOME``."""

    def __init__(self, template: Path, folder: Path, monkeypatch) -> None:
        self.path = folder / "home"
        shutil.copytree(template, self.path)
        monkeypatch.setenv("CPT_ADDIN_HOME", str(self.path))
        self.store = self.path / "store"


def import_and_check(case, files: list[Path], home: Home, *options: str) -> None:
    """Import ``files``; assert exit/traceback, the unchanged store after a refusal, status."""
    before = tree_checksum(home.store)
    run = run_cli(["data", "import", *files, *options])
    assert_clean(run, (0, 1, 2), case)
    if run.code == 2:
        assert "REFUSED" in run.out or run.err.strip(), f"{describe(case)}: exit 2, no reason"
        after = tree_checksum(home.store)
        assert after == before, (
            f"{describe(case)}: refused import changed the store ({run.describe()})"
        )
    status = run_cli(["data", "status"])
    assert_clean(status, (0,), f"data status after importing {describe(case)}")


@fuzz_settings(max_examples=60)
@given(case=hostile_cms_cases)
@example(case=CmsCase(CMS_EXCERPTS[1], ops=(ByteOp("truncate", 700),)))
@example(case=CmsCase(CMS_EXCERPTS[0], zipped=True, ops=(ByteOp("flip", 180),)))
@example(case=CmsCase(CMS_EXCERPTS[2], encoding="utf-16"))
@example(case=CmsCase("plain_mue.csv", ops=(ByteOp("insert", 40, b"\xff\xfe"),)))
@example(case=CmsCase("plain_mue.csv", newline="\r"))  # found: _csv.Error escaped on main
@example(case=CmsCase(CMS_EXCERPTS[3], zipped=True, ops=(ByteOp("delete", 225, length=64),)))
@example(case=CmsCase(CMS_EXCERPTS[3], zipped=True, ops=(ByteOp("flip", 88, length=33),)))
def test_import_of_hostile_cms_files(case, layouts, template_home, monkeypatch):
    with scratch_dir() as folder:
        home = Home(template_home, folder, monkeypatch)
        path = folder / case.name
        path.write_bytes(case.build(layouts))
        import_and_check(case, [path], home)


@fuzz_settings(max_examples=25)
@given(case=hostile_cms_cases)
def test_all_or_nothing_import_beside_a_good_file(case, layouts, template_home, monkeypatch):
    """With --all-or-nothing, a refused hostile file holds the good one back: store unchanged."""
    with scratch_dir() as folder:
        home = Home(template_home, folder, monkeypatch)
        good = folder / "payer_ptp.csv"
        good.write_text(GOOD_PLAIN_PTP)
        path = folder / case.name
        path.write_bytes(case.build(layouts))
        import_and_check(case, [good, path], home, "--all-or-nothing", "--vintage", "2026Q4")


@pytest.fixture(scope="module")
def mue_workbook(layouts) -> bytes:
    """The MUE excerpt as the official xlsx layout holds it (one sheet, same records)."""
    return workbook_bytes(excerpt_rows(layouts, CMS_EXCERPTS[1]), "MUE")


@fuzz_settings(max_examples=20)
@given(case=hostile_workbook_cases)
@example(case=WorkbookCase(ops=(ByteOp("truncate", 3000),)))
def test_import_of_hostile_workbooks(case, mue_workbook, template_home, monkeypatch):
    """A damaged MUE workbook: refused or imported, never a traceback; a refusal changes nothing."""
    with scratch_dir() as folder:
        home = Home(template_home, folder, monkeypatch)
        path = folder / f"MCR_MUE_PractitionerServices_Eff_07-01-2026{case.suffix}"
        path.write_bytes(case.build(mue_workbook))
        import_and_check(case, [path], home)


def test_the_undamaged_mue_workbook_imports(mue_workbook, template_home, monkeypatch):
    """The starting point of the workbook fuzz is a file the importer takes."""
    with scratch_dir() as folder:
        Home(template_home, folder, monkeypatch)
        path = folder / "MCR_MUE_PractitionerServices_Eff_07-01-2026.xlsx"
        path.write_bytes(mue_workbook)
        run = run_cli(["data", "import", path])
    assert run.code == 0 and "imported" in run.out, run.describe()


def _explicit_cases() -> list[RawCase]:
    row = "47383,1,2,Clinical\n"
    header = "code,mue_units,mai,rationale\n"
    return [
        RawCase("payer_mue.csv", "empty file", b""),
        RawCase("payer_mue.csv", "header only", header.encode()),
        RawCase("payer_mue.csv", "NUL bytes only", b"\0" * 4096),
        RawCase(
            "payer_mue.csv", "4 MB cell", (header + "47383,1,2," + "x" * (4 << 20) + "\n").encode()
        ),
        RawCase(
            "payer_mue.csv",
            "20 000 columns in a row",
            (header + row.rstrip() + "," * 20_000 + "\n").encode(),
        ),
        RawCase(
            "payer_mue.csv",
            "20 000 columns in the header",
            (header.rstrip() + "".join(f",x{i}" for i in range(20_000)) + "\n" + row).encode(),
        ),
        RawCase("payer_mue.csv", "unclosed quote", (header + '"' + row * 3).encode()),
        RawCase(
            "payer_mue.csv",
            "units -1 and 1e308",
            (header + "47383,-1,2,x\n64483,1e308,2,x\n").encode(),
        ),
        RawCase("ccipra-v322r0-f1.txt", "empty PTP file", b""),
        RawCase("ccipra-v322r0-f1.txt", "PTP header only", BASE_PTP.split("47383")[0].encode()),
        RawCase(
            "ccipra-v322r0-f1.txt",
            "PTP with a 4 MB rationale",
            (BASE_PTP + "64483\t99213\t\t20190101\t*\t1\t" + "r" * (4 << 20) + "\r\n").encode(),
        ),
        RawCase("ccipra-v322r0-f1.txt", "PTP in UTF-16", BASE_PTP.encode("utf-16")),
        RawCase("medicare.zip", "empty zip", rebuild_zip([])),
        RawCase(
            "medicare.zip",
            "zip of a zip of garbage",
            rebuild_zip([("inner.zip", b"PK\x03\x04garbage")]),
        ),
    ]


@pytest.mark.parametrize("case", _explicit_cases(), ids=lambda c: c.label)
def test_import_of_explicit_hostile_files(case, template_home, monkeypatch):
    with scratch_dir() as folder:
        home = Home(template_home, folder, monkeypatch)
        path = folder / case.name
        path.write_bytes(case.build())
        import_and_check(case, [path], home)


def test_zip_bombs_are_refused_and_change_nothing(template_home, monkeypatch):
    """100 MB of zeros in a zip (honest sizes, then sizes that lie): refused, store unchanged."""
    honest = zip_bomb([], "payer_mue.csv", BOMB_BYTES)
    lying = with_declared_size(honest, "payer_mue.csv", 2000)
    for label, data in (
        ("zip bomb, honest sizes", honest),
        ("zip bomb, declared 2 000 bytes", lying),
    ):
        with scratch_dir() as folder:
            home = Home(template_home, folder, monkeypatch)
            path = folder / "mue_bomb.zip"
            path.write_bytes(data)
            before = tree_checksum(home.store)
            run = run_cli(["data", "import", path])
            assert_clean(run, (2,), label)
            assert tree_checksum(home.store) == before, label


def test_names_of_the_excerpts_are_the_cms_names(layouts):
    """The fuzz imports each excerpt under the name CMS gives the full file."""
    assert set(CMS_NAMES) == set(CMS_EXCERPTS)
    assert all((layouts / name).is_file() for name in CMS_EXCERPTS)
