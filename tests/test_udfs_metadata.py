"""What Windows Excel registers: the ``__xlfunc__`` metadata of ``addin.udfs``.

On Linux ``xw.func/arg/ret`` are identity decorators. Following ../shared/docs/EXCEL.md, the
COM modules are stubbed, ``xlwings.udfs`` is imported, the decorators are bound to its
``xlfunc/xlarg/xlret`` and ``addin.udfs`` is imported again in isolation, so the metadata the
Windows add-in reads can be checked here: names, argument docs, ``ndim`` options, return docs
and converters xlwings knows. ``sys.modules`` is restored afterwards.
"""

from __future__ import annotations

import importlib
import sys
from unittest import mock

import pytest

COM_MODULES = ("pythoncom", "pywintypes", "win32com", "win32com.client")
RANGE_ARGS = {
    "CPT_DESC_TABLE": "codes",
    "CPT_CONFLICTS_TABLE": "codes",
    "SUGGEST_MODIFIERS_TABLE": "codes",
    "CLAIM_CHECK": "claims",
}
SIGNATURES = {
    "CPT_DESC": ["code", "date"],
    "CPT_CONFLICTS": ["code1", "code2", "mods1", "mods2", "date", "setting"],
    "SUGGEST_MODIFIERS": ["code", "other_code", "date", "setting"],
    "CPT_INFO": ["code", "field", "date", "setting"],
    "CPT_MUE": ["code", "setting", "date"],
    "CPT_ADDON": ["code", "date"],
    "MODIFIER_DESC": ["modifier"],
    "ICD10_DESC": ["code", "date"],
    "CPT_VALID": ["code", "date", "with_reason"],
    "CPT_DATA_VERSION": [],
    "CPT_DESC_TABLE": ["codes", "date"],
    "CPT_CONFLICTS_TABLE": ["codes", "date", "setting"],
    "SUGGEST_MODIFIERS_TABLE": ["codes", "date", "setting"],
    "CLAIM_CHECK": ["claims", "setting"],
}
REQUIRED = {"CPT_CONFLICTS": 2, "CPT_INFO": 2}  # other functions need their first argument only


@pytest.fixture(scope="module")
def registered():
    """``addin.udfs`` imported with the Windows decorators; yields (module, xlwings.udfs)."""
    import addin

    saved = dict(sys.modules)
    saved_attribute = getattr(addin, "udfs", None)
    for name in COM_MODULES:
        sys.modules[name] = mock.MagicMock(name=name)
    try:
        import xlwings as xw

        sys.modules.pop("xlwings.udfs", None)
        xlwings_udfs = importlib.import_module("xlwings.udfs")
        with mock.patch.multiple(xw, func=xlwings_udfs.xlfunc, arg=xlwings_udfs.xlarg, ret=xlwings_udfs.xlret):
            sys.modules.pop("addin.udfs", None)
            module = importlib.import_module("addin.udfs")
        yield module, xlwings_udfs
    finally:
        for name in list(sys.modules):
            if name not in saved:
                del sys.modules[name]
        sys.modules.update(saved)
        if saved_attribute is not None:
            addin.udfs = saved_attribute  # the re-import rebound the package attribute


def functions(module):
    return {name: f for name, f in vars(module).items() if hasattr(f, "__xlfunc__")}


def test_every_function_is_registered_under_its_excel_name(registered):
    module, _ = registered
    found = functions(module)
    assert set(found) == set(SIGNATURES)
    for name, func in found.items():
        meta = func.__xlfunc__
        assert meta["name"] == name
        assert meta["category"] == "CPT add-in"
        assert meta["sub"] is False and meta["volatile"] is False and meta["async_mode"] is None
        assert [a["name"] for a in meta["args"]] == SIGNATURES[name]


def test_argument_docs_and_optional_defaults(registered):
    module, _ = registered
    for name, func in functions(module).items():
        args = func.__xlfunc__["args"]
        required = REQUIRED.get(name, min(1, len(args)))
        for position, arg in enumerate(args):
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) <= 255, (name, arg["name"])  # Excel's limit
            if position >= required:
                assert arg["optional"] is None, (name, arg["name"])
            else:
                assert "optional" not in arg, (name, arg["name"])


def test_range_arguments_arrive_as_2d_lists_and_tables_spill_natively(registered):
    module, _ = registered
    for name, func in functions(module).items():
        args = {a["name"]: a for a in func.__xlfunc__["args"]}
        ret = func.__xlfunc__["ret"]["options"]
        if name in RANGE_ARGS:
            assert args[RANGE_ARGS[name]]["options"]["ndim"] == 2
        else:
            assert all("ndim" not in a["options"] for a in args.values()), name
        # native dynamic arrays: the legacy "expand" resizing must not be set
        assert "expand" not in ret, name


def test_return_docs_are_the_docstrings_and_fit_excel(registered):
    module, _ = registered
    for name, func in functions(module).items():
        doc = func.__xlfunc__["ret"]["doc"]
        assert doc == func.__doc__
        # Excel shows doc[:255] as the function's help: one clean line that fits
        assert "\n" not in doc and 40 <= len(doc) <= 255, (name, len(doc))


def test_converters_are_ones_xlwings_knows(registered):
    """Type hints become ``convert`` options; an unknown one would fail every call on Windows."""
    module, _ = registered
    from xlwings.conversion import accessors

    for name, func in functions(module).items():
        meta = func.__xlfunc__
        for option_set in [a["options"] for a in meta["args"]] + [meta["ret"]["options"]]:
            if "convert" in option_set:
                assert option_set["convert"] in accessors, (name, option_set["convert"])


def test_arguments_and_results_pass_through_xlwings_conversion(registered):
    """Read the arguments and write the result the way ``call_udf`` does, with a fake engine."""
    module, _ = registered
    import xlwings as xw
    from xlwings import conversion

    class FakeImpl:
        name = "excel"
        type = "desktop"

        def clean_value_data(self, data, datetime_builder, empty_as, none_as, err_to_str):
            return [[empty_as if v is None else v for v in row] for row in data]

        def prepare_xl_data_element(self, x, options):
            return x

    class FakeEngine:
        impl = FakeImpl()
        name = "excel"

    with mock.patch.object(xw, "engines", {"excel": FakeEngine()}):
        func = module.CPT_DESC_TABLE
        info = func.__xlfunc__
        codes = conversion.read(None, 47383.0, info["args"][0]["options"])
        assert codes == [[47383.0]]  # one cell still arrives 2-D with ndim=2
        column = conversion.read(None, ((47383.0,), (None,)), info["args"][0]["options"])
        assert column == [[47383.0], [None]]
        result = [["a", "b"], ["c", None]]
        assert conversion.write(result, None, info["ret"]["options"]) == result
        scalar = conversion.read(None, 47383.0, module.CPT_DESC.__xlfunc__["args"][0]["options"])
        assert scalar == 47383.0
