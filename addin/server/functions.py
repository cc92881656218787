"""The Excel functions as Office.js custom functions, generated from :mod:`addin.udfs`.

One definition for both worlds: ``addin/udfs.py`` holds each function once, decorated with
classic xlwings' ``@xw.func / @xw.arg / @xw.ret``. On Linux those decorators do nothing, so
their options are read from the module's source (the decorator expressions, evaluated in the
module's namespace exactly as Python would) and re-applied with ``xlwings.server``'s decorators
to a thin wrapper per function: same name, docstring, parameters and array options. Options
that only classic xlwings knows (``expand``, ``category``, ``async_mode`` …) are dropped: Office.js
spills arrays by itself.

The wrappers are ``async`` and run the function in a worker thread, so one slow call (a claim
range) does not hold up the others. They call it through
:func:`addin.excel.cells.call_for_server`: an input error that a classic cell shows as text
(a code that is missing, malformed or unknown, an unknown modifier, a setting the table does
not have) raises ``xlwings.XlwingsError`` instead, which the server answers with HTTP 400.
Python names are the lower-case function names
(``cpt_desc``), which is what the Office.js client sends as ``func_name``; Excel shows the
upper-case name under the manifest's namespace (``NCCI.CPT_DESC``).
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from addin.excel.cells import call_for_server

GENERATED_MODULE = "addin.server.custom_functions"
# Classic-only options (xlwings docs): Office.js spills arrays itself and has no VBA.
CLASSIC_ONLY_OPTIONS = frozenset({"expand", "category", "call_in_wizard", "async_mode", "vba"})
SERVER_FUNC_OPTIONS = frozenset({"volatile", "name", "namespace", "help_url", "cache"})
_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters)\s*:\s*$", re.IGNORECASE)
_ARG_LINE = re.compile(r"^\s*\*{0,2}([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass
class UdfSpec:
    """What the classic decorators of one function say."""

    name: str
    func_options: dict[str, Any] = field(default_factory=dict)
    arg_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    ret_options: dict[str, Any] = field(default_factory=dict)


def _decorator_kind(node: ast.expr) -> str | None:
    """``func``, ``arg`` or ``ret`` for ``@xw.func``, ``@xw.arg(...)``, ``@ret(...)``; else None."""
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    return name if name in ("func", "arg", "ret") else None


def read_udf_specs(module: types.ModuleType) -> dict[str, UdfSpec]:
    """The decorator options of every ``@xw.func`` function in ``module``, in source order."""
    source = inspect.getsource(module)
    tree = ast.parse(source)
    namespace = vars(module)
    filename = inspect.getsourcefile(module) or "<udfs>"

    def value(node: ast.expr) -> Any:
        return eval(compile(ast.Expression(body=node), filename, "eval"), namespace)  # noqa: S307 - our own source

    specs: dict[str, UdfSpec] = {}
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        kinds = [_decorator_kind(d) for d in node.decorator_list]
        if "func" not in kinds:
            continue
        spec = UdfSpec(name=node.name)
        for decorator, kind in zip(node.decorator_list, kinds, strict=True):
            if kind is None or not isinstance(decorator, ast.Call):
                continue
            args = [value(a) for a in decorator.args]
            options = {k.arg: value(k.value) for k in decorator.keywords if k.arg}
            if kind == "func":
                spec.func_options.update(options)
            elif kind == "arg" and args:
                if len(args) > 1:
                    options["convert"] = args[1]
                spec.arg_options.setdefault(str(args[0]).lstrip("*"), {}).update(options)
            elif kind == "ret":
                if args:
                    options["convert"] = args[0]
                spec.ret_options.update(options)
        specs[node.name] = spec
    return specs


def exported_names(module: types.ModuleType, specs: dict[str, UdfSpec]) -> list[str]:
    """The functions to serve: ``EXCEL_FUNCTIONS`` when the module lists them, else every
    ``@xw.func`` function in source order."""
    listed = getattr(module, "EXCEL_FUNCTIONS", None)
    if listed:
        return [item if isinstance(item, str) else item.__name__ for item in listed]
    return list(specs)


def split_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(summary paragraph, {parameter: description}) from a Google-style docstring."""
    text = textwrap.dedent(inspect.cleandoc(doc or "")).strip()
    if not text:
        return "", {}
    summary = " ".join(text.split("\n\n", 1)[0].split())
    params: dict[str, str] = {}
    current = None
    in_args = False
    indent = 0
    for line in text.splitlines():
        if _ARGS_HEADER.match(line):
            in_args, current = True, None
            continue
        if not in_args:
            continue
        if not line.strip():
            current = None
            continue
        if line[:1].strip() and line.rstrip().endswith(":"):  # next section at column 0
            in_args = False
            continue
        match = _ARG_LINE.match(line)
        if match and (current is None or len(line) - len(line.lstrip()) <= indent):
            current = match.group(1)
            indent = len(line) - len(line.lstrip())
            params[current] = match.group(2).strip()
        elif current:
            params[current] = f"{params[current]} {line.strip()}".strip()
    return summary, params


def _clean_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in CLASSIC_ONLY_OPTIONS}


def make_wrapper(udf: Callable[..., Any], spec: UdfSpec, server: types.ModuleType) -> Callable[..., Any]:
    """An ``xlwings.server`` custom function that calls ``udf`` in a worker thread."""
    signature = inspect.signature(udf)
    parameters = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    summary, param_docs = split_docstring(udf.__doc__)

    async def wrapper(*args: Any) -> Any:
        # input errors (a code that is not one, an unknown modifier, a setting without the
        # table) raise xlwings.XlwingsError: HTTP 400, not a 200 with the message as a value
        return await run_in_threadpool(call_for_server, udf, *args)

    wrapper.__name__ = wrapper.__qualname__ = udf.__name__.lower()
    wrapper.__module__ = GENERATED_MODULE
    wrapper.__doc__ = summary or f"{udf.__name__} (cpt-addin)"
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=inspect.Signature.empty
    )
    wrapper.__annotations__ = {}
    wrapper.__cpt_udf__ = udf  # type: ignore[attr-defined]
    func_options = {k: v for k, v in spec.func_options.items() if k in SERVER_FUNC_OPTIONS}
    if "name" not in func_options:
        func_options["name"] = udf.__name__.upper()
    decorated = server.func(**func_options)(wrapper)
    for parameter in parameters:
        options = _clean_options(spec.arg_options.get(parameter.name, {}))
        if "doc" not in options and parameter.name in param_docs:
            options["doc"] = param_docs[parameter.name]
        if options:
            decorated = server.arg(parameter.name, **options)(decorated)
    ret_options = _clean_options(spec.ret_options)
    if ret_options:
        decorated = server.ret(**ret_options)(decorated)
    return decorated


def build_custom_functions(
    udfs: types.ModuleType | None = None, server: types.ModuleType | None = None
) -> types.ModuleType:
    """A module holding one custom function per Excel function of ``udfs`` (default
    :mod:`addin.udfs`), ready for ``custom_functions_meta`` / ``custom_functions_call``."""
    if server is None:
        from addin.server.licence import load_xlwings_server

        server = load_xlwings_server()
    if udfs is None:
        import addin.udfs as udfs
    specs = read_udf_specs(udfs)
    module = types.ModuleType(GENERATED_MODULE, "Custom functions generated from addin.udfs.")
    names = []
    for name in exported_names(udfs, specs):
        udf = getattr(udfs, name)
        wrapper = make_wrapper(udf, specs.get(name) or UdfSpec(name=name), server)
        setattr(module, wrapper.__name__, wrapper)
        names.append(wrapper.__name__)
    module.FUNCTION_NAMES = tuple(names)  # type: ignore[attr-defined]
    # inspect.getmodule() resolves a wrapper's namespace through sys.modules.
    sys.modules[GENERATED_MODULE] = module
    return module


def parameter_bounds(function: Callable[..., Any]) -> tuple[int, int | None]:
    """(required, maximum) number of arguments of a custom function (maximum None = varargs)."""
    required, maximum = 0, 0
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return required, None
        maximum += 1
        if parameter.default is inspect.Parameter.empty:
            required += 1
    return required, maximum
