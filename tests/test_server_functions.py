"""The custom functions are generated from the classic UDF definitions (one definition).

A small UDF module written here pins the generator's rules: lower-case Python names, Excel
ids/names, docstring summary and parameter docs, array options carried over, classic-only
options dropped. The real :mod:`addin.udfs` is then checked to be exported whole.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import sys
import textwrap

import pytest

pytest.importorskip("fastapi")

from addin.server.functions import (  # noqa: E402
    build_custom_functions,
    exported_names,
    parameter_bounds,
    read_udf_specs,
    split_docstring,
)

FAKE_UDFS = '''
"""A stand-in UDF module."""
import xlwings as xw

@xw.func
@xw.arg("code", doc="a CPT or HCPCS code")
def CPT_DESC(code, date=None):
    """The description of a code.

    Second paragraph, not in Excel's help.

    Args:
        code: ignored here (the @xw.arg doc wins)
        date: date of service,
            default today
    """
    return f"desc {code} {date}"

@xw.func(category="cpt-addin", volatile=False)
@xw.arg("codes", ndim=2)
@xw.ret(expand="table")
def CPT_DESC_TABLE(codes):
    """One row per code."""
    return [["code"]] + [[row[0]] for row in codes]

def not_a_udf():
    return 1
'''


@pytest.fixture(scope="module")
def server_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.licence import load_xlwings_server

        return load_xlwings_server()


@pytest.fixture(scope="module")
def fake_udfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fake_udfs")
    path = folder / "fake_udfs_for_server.py"
    path.write_text(textwrap.dedent(FAKE_UDFS), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("fake_udfs_for_server", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_decorator_options_are_read_from_the_source(fake_udfs):
    specs = read_udf_specs(fake_udfs)
    assert list(specs) == ["CPT_DESC", "CPT_DESC_TABLE"]
    assert specs["CPT_DESC"].arg_options == {"code": {"doc": "a CPT or HCPCS code"}}
    assert specs["CPT_DESC_TABLE"].arg_options == {"codes": {"ndim": 2}}
    assert specs["CPT_DESC_TABLE"].ret_options == {"expand": "table"}
    assert specs["CPT_DESC_TABLE"].func_options == {"category": "cpt-addin", "volatile": False}
    assert exported_names(fake_udfs, specs) == ["CPT_DESC", "CPT_DESC_TABLE"]


def test_docstring_summary_and_parameters():
    summary, params = split_docstring(
        """Short line
        continues.

        Body.

        Args:
            code: the code
            date (str): the date,
                over two lines
        Returns:
            text
        """
    )
    assert summary == "Short line continues."
    assert params == {"code": "the code", "date": "the date, over two lines"}


def test_generated_functions_mirror_the_udfs(fake_udfs, server_module):
    module = build_custom_functions(fake_udfs, server_module)
    assert module.FUNCTION_NAMES == ("cpt_desc", "cpt_desc_table")
    wrapper = module.cpt_desc
    assert wrapper.__cpt_udf__ is fake_udfs.CPT_DESC
    assert list(inspect.signature(wrapper).parameters) == ["code", "date"]
    assert parameter_bounds(wrapper) == (1, 2)
    table = module.cpt_desc_table.__xlfunc__
    assert table["args"][0]["options"] == {"ndim": 2}
    assert "expand" not in table["ret"]["options"]  # classic-only: Office.js spills by itself

    meta = server_module.custom_functions_meta(module)
    functions = {f["id"]: f for f in meta["functions"]}
    desc = functions["CPT_DESC"]
    assert desc["name"] == "CPT_DESC"
    assert desc["description"] == "The description of a code."
    assert [p["name"] for p in desc["parameters"]] == ["code", "date"]
    assert desc["parameters"][0]["description"] == "a CPT or HCPCS code"
    assert desc["parameters"][1] == {
        "description": "date of service, default today", "name": "date",
        "dimensionality": "matrix", "type": "any", "optional": True,
    }
    assert desc["result"] == {"dimensionality": "matrix", "type": "any"}


def test_generated_function_runs_the_udf(fake_udfs, server_module):
    module = build_custom_functions(fake_udfs, server_module)
    payload = {
        "client": "Office.js", "func_name": "cpt_desc_table", "args": [[["47383"], ["00100"]]],
        "caller_address": "Sheet1!A1", "culture_info_name": "en-US", "date_format": "M/d/yyyy",
        "version": "0.37.8", "runtime": "1.4",
    }
    result = asyncio.run(server_module.custom_functions_call(payload, module))
    assert result == [["code"], ["47383"], ["00100"]]
    payload.update(func_name="cpt_desc", args=[[["47383"]], None])
    assert asyncio.run(server_module.custom_functions_call(payload, module)) == [["desc 47383 None"]]


def test_every_excel_function_of_addin_udfs_is_served(server_module):
    udfs = pytest.importorskip("addin.udfs")
    specs = read_udf_specs(udfs)
    names = exported_names(udfs, specs)
    for required in ("CPT_DESC", "CPT_CONFLICTS", "SUGGEST_MODIFIERS", "CPT_INFO", "CPT_MUE",
                     "CPT_ADDON", "MODIFIER_DESC", "ICD10_DESC", "CPT_VALID", "CPT_DATA_VERSION",
                     "CPT_DESC_TABLE", "CPT_CONFLICTS_TABLE", "CLAIM_CHECK"):
        assert required in names
    module = build_custom_functions(udfs, server_module)
    assert tuple(name.lower() for name in names) == module.FUNCTION_NAMES
    for name in names:
        wrapper = getattr(module, name.lower())
        original = getattr(udfs, name)
        assert wrapper.__cpt_udf__ is original  # the same function, not a copy
        assert list(inspect.signature(wrapper).parameters) == list(inspect.signature(original).parameters)
