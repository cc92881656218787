"""Office.js custom functions: metadata, the JavaScript that registers them, and the calls.

Office fetches the metadata and the script itself (no credentials can be attached), so those
two are open; calls need authentication. Office.js posts one call per cell::

    POST /xlwings/custom-functions-call
    {"client": "Office.js", "func_name": "cpt_desc", "args": [[["47383"]]],
     "caller_address": "Sheet1!B2", "session_id": "…", "culture_info_name": "en-US",
     "date_format": "M/d/yyyy", "version": "0.37.8", "runtime": "1.4"}

and gets ``{"result": [[…]]}``. Input errors — an unknown function, a wrong number of
arguments, values that are not cell values, ``xlwings.XlwingsError`` — answer 400 (a 500 is
retried by clients); the function's own messages for bad codes come back as cell text.
"""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from addin.errors import CptAddinError, DataUnavailableError
from addin.server.functions import parameter_bounds

logger = logging.getLogger("addin.server.functions")
CODE_TEMPLATE = Path(__file__).parent / "taskpane" / "custom-functions.js"
CALL_PATH = "/xlwings/custom-functions-call"
SCALARS = (str, int, float, bool, type(None))


class CallRequest(BaseModel):
    """The payload Office.js sends for one custom-function call."""

    model_config = ConfigDict(extra="allow")

    client: str = "Office.js"
    func_name: str = Field(min_length=1, max_length=128)
    args: list[Any]
    caller_address: str | None = None
    session_id: str | None = None
    culture_info_name: str | None = "en-US"
    date_format: str | None = "M/d/yyyy"
    version: str | None = None
    runtime: str = "1.4"


def check_cell_values(args: list[Any]) -> None:
    """Each argument must be a cell value or a rectangle of them (a list of equal-length rows)."""
    for position, value in enumerate(args, start=1):
        if isinstance(value, SCALARS):
            continue
        if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
            raise HTTPException(400, f"argument {position}: expected a cell value or a 2-D array of cell values")
        widths = {len(row) for row in value}
        if len(widths) > 1:
            raise HTTPException(400, f"argument {position}: rows of different lengths")
        for row in value:
            if not all(isinstance(cell, SCALARS) for cell in row):
                raise HTTPException(400, f"argument {position}: cells must be text, numbers, booleans or empty")


def custom_functions_code(module: Any, entra_enabled: bool) -> str:
    """The JavaScript that associates every Excel name with a POST to the call endpoint."""
    import xlwings

    # Office associates by the metadata id, which xlwings makes the upper-case Python name.
    names = [[name, name.upper()] for name in module.FUNCTION_NAMES]
    js = CODE_TEMPLATE.read_text(encoding="utf-8")
    return (
        js.replace("__CALL_PATH__", CALL_PATH)
        .replace("__XLWINGS_VERSION__", xlwings.__version__)
        .replace('"__ENTRA_ENABLED__"', "true" if entra_enabled else "false")
        .replace('"__FUNCTIONS__"', json.dumps(names))
    )


def build_router(server: Any, functions: Any, authenticate: Any, entra_enabled: bool) -> APIRouter:
    """Routes for the custom functions in ``functions`` (see :mod:`addin.server.functions`)."""
    import xlwings

    router = APIRouter(prefix="/xlwings", tags=["custom functions"])
    meta = server.custom_functions_meta(functions)
    code = custom_functions_code(functions, entra_enabled)

    @router.get("/custom-functions-meta")
    @router.get("/custom-functions-meta.json")
    def custom_functions_meta() -> JSONResponse:
        """Office.js metadata of every function (names, parameters, result dimensionality)."""
        return JSONResponse(meta)

    @router.get("/custom-functions-code")
    @router.get("/custom-functions-code.js")
    def custom_functions_code_js() -> Response:
        """The script that registers the functions with Excel."""
        return Response(code, media_type="text/javascript")

    @router.post("/custom-functions-call", dependencies=[Depends(authenticate)])
    async def custom_functions_call(call: CallRequest, request: Request) -> JSONResponse:
        """Run one function for one cell and return its value(s)."""
        name = call.func_name.lower()
        if name not in functions.FUNCTION_NAMES:
            raise HTTPException(400, f"unknown function {call.func_name[:40]!r}")
        function = getattr(functions, name)
        required, maximum = parameter_bounds(function)
        if len(call.args) < required or (maximum is not None and len(call.args) > maximum):
            expected = f"{required}" if required == maximum else f"{required} to {maximum}"
            raise HTTPException(400, f"{name.upper()} takes {expected} arguments, got {len(call.args)}")
        check_cell_values(call.args)
        data = call.model_dump()
        data["func_name"] = name
        data["version"] = call.version or xlwings.__version__
        try:
            result = await server.custom_functions_call(data, functions)
        except DataUnavailableError:
            raise  # damaged store / refused stale table: 503 (app.py)
        except (xlwings.XlwingsError, CptAddinError, ValueError, TypeError, LookupError) as exc:
            # Input the function could not use: a client error, not retried.
            raise HTTPException(400, f"{name.upper()}: {exc}") from None
        except Exception as exc:
            # Log where it failed but not the message, which may quote claim content.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            logger.error("custom function %s failed: %s\n%s", name, type(exc).__name__, frames)
            raise HTTPException(500, f"{name.upper()} failed on the server ({type(exc).__name__})") from None
        return JSONResponse({"result": result})

    return router
