"""Shared test fixtures: where ../shared is, and small reference tables built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"
SHARED_CMS = SHARED / "cms"
SHARED_LAYOUTS = SHARED / "cms-layouts"
BUNDLED_DATA = PROJECT_ROOT / "data"


def require_shared(path: Path = SHARED_CMS) -> Path:
    """Skip the calling test when ../shared (CMS files for tests) is not beside the project."""
    if not path.exists():
        pytest.skip(f"{path} is absent: CMS reference files live in ../shared (present in CI)")
    return path


@pytest.fixture
def shared_cms() -> Path:
    """Path to ../shared/cms, or skip."""
    return require_shared(SHARED_CMS)


@pytest.fixture
def shared_layouts() -> Path:
    """Path to ../shared/cms-layouts, or skip."""
    return require_shared(SHARED_LAYOUTS)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own empty CPT_ADDIN_HOME so no user store leaks in."""
    home = tmp_path_factory.mktemp("cpt-addin-home")
    monkeypatch.setenv("CPT_ADDIN_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def imported_store(tmp_path_factory) -> Path:
    """A store with every table in ../shared/cms imported (once per test session)."""
    require_shared(SHARED_CMS)
    from addin.reference.store import Store

    root = tmp_path_factory.mktemp("imported-home") / "store"
    result = Store(root).import_paths([SHARED_CMS])
    assert result.ok, [o.message for o in result.refused]
    return root


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """The process-wide reference data answering from data/ only (no store), with the Excel
    answers' caches emptied before and after."""
    from addin.excel import answers
    from addin.reference import data as data_module
    from addin.reference.data import ReferenceData

    ref = ReferenceData(store=tmp_path / "store")
    monkeypatch.setattr(data_module, "_SHARED", ref)
    answers.clear()
    yield ref
    answers.clear()


@pytest.fixture
def fresh_reference(monkeypatch):
    """Each test builds its own process-wide reference data (policy and store read then),
    with the Excel answers' caches emptied before and after."""
    from addin.excel import answers
    from addin.reference import data as data_module

    monkeypatch.setattr(data_module, "_SHARED", None)
    answers.clear()
    yield
    answers.clear()
