"""The JSON API behind the task pane, also usable from scripts and other tools.

- ``GET /api/code/{code}``: what a coder wants to know about a code (description, facts,
  the code card the CLI prints) and its PTP edits with other codes.
- ``GET /api/conflicts?code1=&code2=``: the verdict for a pair (either order), with modifiers.
- ``POST /api/check`` (multipart ``file``, ``?format=json|xlsx``): check a claim file; answers
  the findings with counts, or the audit workbook. The upload is written to a private
  temporary folder that is deleted when the answer is ready.
- ``POST /api/check-sheet``: the task pane's "Check this sheet": the used range's cell texts in,
  the findings table (ready to write to a sheet) out.

Every answer comes from the same functions the CLI and the Excel functions use. Bad input
answers 400 with a message; nothing about the request's content is logged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from addin.codes import Setting, normalize_code, parse_date
from addin.errors import CptAddinError, DataUnavailableError
from addin.reference import schema
from addin.server.answers import (
    MEDIA_TYPES,
    answer_head,
    file_chunks,
    json_chunks,
    jsonl_chunks,
    open_and_remove,
    refuse_large_answer,
)
from addin.server.limits import CheckLimiter, Deadline
from addin.validation import CodeInputError, check_pair, code_problem

CLAIM_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EDITS = 500
# Columns of the Findings sheet the task pane writes, in order.
SHEET_COLUMNS = [
    "row", "claim_id", "severity", "rule_id", "rule", "code", "related_code",
    "modifier", "message", "suggestion", "source",
]


class SheetCheck(BaseModel):
    """The used range of a sheet, as the cells' display texts, and where it starts."""

    # cells as Office.js sends them: text, numbers, booleans or empty (a nested object or
    # list is no cell value: 400, not a crash further in)
    values: list[list[str | int | float | bool | None]] = Field(min_length=1)
    first_row: int = Field(default=1, ge=1)
    sheet: str = Field(default="", max_length=100)
    setting: str | None = None


def _date(text: str | None) -> dt.date | None:
    try:
        return parse_date(text) if text else None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _setting(text: str | None) -> Setting:
    try:
        return Setting.parse(text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _json_safe(value: Any) -> Any:
    """Plain JSON values from what pandas and pydantic produce."""
    return json.loads(json.dumps(value, default=str))


def code_answer(code: str, date_text: str | None, setting_text: str | None) -> dict[str, Any]:
    """The code search result (see module docstring)."""
    from addin.explain import code_card, short_description
    from addin.reference import get_reference_data

    if len(code) > 20:
        raise HTTPException(400, "a code has at most 7 characters (e.g. 47383, 0397T, G0364)")
    setting = _setting(setting_text)
    reference = get_reference_data()
    dos = _date(date_text)
    problem = code_problem(reference, code, dos)
    if problem is not None:  # missing, malformed or unknown: as `cpt-addin lookup` (exit 2)
        raise HTTPException(400, problem)
    info = reference.code_info(code, dos, setting)
    # no PTP table for DME suppliers: the code's facts, without PTP edits
    ptp_setting = setting.value in schema.TABLE_SETTINGS[schema.PTP]
    edits = reference.ptp_edits_for_code(info.code, info.date_of_service, setting) if ptp_setting else None
    edit_rows: list[dict[str, Any]] = []
    total = 0
    if edits is not None and len(edits):
        total = len(edits)
        shown = edits.head(MAX_EDITS).copy()
        shown["other_code"] = np.where(shown["column_1"] == info.code, shown["column_2"], shown["column_1"])
        shown["role"] = np.where(shown["column_1"] == info.code, "column 1", "column 2")
        edit_rows = json.loads(shown.to_json(orient="records", date_format="iso"))
    return {
        "code": info.code,
        "description": short_description(info),
        "known": info.known,
        "active": info.active,
        "card": code_card(info),
        "info": json.loads(info.model_dump_json()),
        "edits": edit_rows,
        "edits_total": total,
        "edits_truncated": total > len(edit_rows),
        "edits_note": "" if ptp_setting else (
            "NCCI PTP edits do not apply to DME supplier claims: CMS publishes PTP tables "
            "for practitioner and outpatient hospital claims only"
        ),
        "data_version": reference.data_version_text(),
    }


def conflicts_answer(code1: str, code2: str, mods1: str, mods2: str, date_text: str | None,
                     setting_text: str | None) -> dict[str, Any]:
    """The pair verdict (see module docstring)."""
    from addin.reference import get_reference_data
    from addin.verdicts import pair_verdict

    for code in (code1, code2):
        if not normalize_code(code) or len(code) > 20:
            raise HTTPException(400, "code1 and code2 must both be codes (e.g. 43235 and 43239)")
    reference = get_reference_data()
    dos = _date(date_text)
    try:  # the checks of `cpt-addin conflicts` and CPT_CONFLICTS: no verdict about a non-code
        first, second, m1, m2, setting = check_pair(reference, code1, code2, mods1, mods2, dos, setting_text)
    except CodeInputError as exc:
        raise HTTPException(400, str(exc)) from None
    verdict = pair_verdict(reference, first, second, m1, m2, dos, setting)
    answer = json.loads(verdict.model_dump_json())
    answer["lines"] = verdict.lines()
    return answer


def _safe_name(name: str | None, default: str) -> str:
    base = Path(name or default).name
    return re.sub(r"[^A-Za-z0-9._ -]", "_", base)[:100] or default


def findings_payload(result: Any, file_name: str) -> dict[str, Any]:
    """The findings of a check as JSON: counts, exit code and one record per finding."""
    findings = result.findings
    records = json.loads(findings.to_json(orient="records", date_format="iso")) if len(findings) else []
    return _json_safe(
        {
            "file": file_name,
            "counts": result.counts,
            "exit_code": result.exit_code,
            "columns": list(findings.columns),
            "findings": records,
        }
    )


def _check_or_400(source: Path | list[list[Any]], setting: str | None, shown_name: str,
                  progress: Any = False) -> Any:
    """Run the batch checker; input it cannot process answers 400 with its message."""
    from addin.checker import check

    try:
        return check(source, setting=setting or None, source_name=shown_name, progress=progress)
    except DataUnavailableError:
        raise  # a damaged store or a refused stale table: 503 (app.py), not the user's input
    except (CptAddinError, ValueError) as exc:
        message = str(exc)
        if isinstance(source, Path):  # name the user's file, not the temporary copy
            message = message.replace(str(source), shown_name)
        raise HTTPException(400, f"could not check {shown_name}: {message}") from None


def sheet_table(findings: pd.DataFrame, first_row: int) -> list[list[Any]]:
    """Header plus one row per finding, rows renumbered to the sheet's own row numbers."""
    table: list[list[Any]] = [[c.replace("_", " ").capitalize() for c in SHEET_COLUMNS]]
    if not len(findings):
        return table
    frame = findings.reindex(columns=SHEET_COLUMNS).copy()
    rows = pd.to_numeric(frame["row"], errors="coerce")
    frame["row"] = (rows + first_row - 1).where(rows.notna() & (rows > 0), rows)
    frame = frame.astype(object).where(frame.notna(), "")
    for record in frame.itertuples(index=False):
        table.append([int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else
                      (v if isinstance(v, (int, float, str)) else str(v)) for v in record])
    return table


def _result_headers(result: Any) -> dict[str, str]:
    return {"X-Findings": str(result.counts["findings"]), "X-Exit-Code": str(result.exit_code)}


async def _workbook_answer(checks: CheckLimiter, path: Path, setting: str | None, shown_name: str,
                           folder: Path) -> Response:
    """Check and write the audit workbook on a check thread, then stream it from the temporary
    file, which is removed once it is open (or when the answer is done)."""
    from addin.workbooks.report import write_report

    report = folder / "audit.xlsx"

    def work(deadline: Deadline) -> Any:
        try:
            result = _check_or_400(path, setting, shown_name, deadline.progress)
            path.unlink(missing_ok=True)
            write_report(result, report)
            return result
        finally:
            if deadline.stopped.is_set():  # answered 422 already: nobody will stream the workbook
                shutil.rmtree(folder, ignore_errors=True)

    try:
        result = await checks.run(work, f"The check of {shown_name}")
        handle, removed = open_and_remove(report, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    headers = {
        "Content-Disposition": f'attachment; filename="{Path(shown_name).stem}-audit.xlsx"',
        "Content-Length": str(os.fstat(handle.fileno()).st_size),
        **_result_headers(result),
    }
    return StreamingResponse(file_chunks(handle, None if removed else folder), media_type=XLSX_MEDIA_TYPE,
                             headers=headers)


def build_router(authenticate: Any, checks: CheckLimiter | None = None,
                 max_answer_findings: int = 100_000) -> APIRouter:
    """The ``/api`` routes, all behind ``authenticate``; claim checks run through ``checks``."""
    checks = checks or CheckLimiter(2, 120)
    router = APIRouter(prefix="/api", tags=["api"], dependencies=[Depends(authenticate)])

    @router.get("/code/{code}")
    async def code(code: str, date: str | None = None, setting: str | None = None) -> JSONResponse:
        """Description, facts, code card and PTP edits with other codes for one code."""
        return JSONResponse(await run_in_threadpool(code_answer, code, date, setting))

    @router.get("/conflicts")
    async def conflicts(
        code1: str, code2: str, mods1: str = "", mods2: str = "", date: str | None = None,
        setting: str | None = None,
    ) -> JSONResponse:
        """Conflict, bypassed or no edit for two codes (either order), with what to do."""
        return JSONResponse(await run_in_threadpool(conflicts_answer, code1, code2, mods1, mods2, date, setting))

    @router.post("/check")
    async def check_file(
        file: Annotated[UploadFile, File(description="claims as .xlsx, .xlsm, .csv or .tsv")],
        output: Annotated[str, Query(alias="format", pattern="^(json|jsonl|xlsx)$")] = "json",
        answer: Annotated[str, Query(pattern="^(findings|counts)$")] = "findings",
        setting: str | None = None,
    ) -> Response:
        """Check an uploaded claim file; answer the findings (JSON, JSON Lines) or the audit workbook.

        Answers are streamed; ``answer=counts`` leaves out the findings. A JSON answer with more
        findings than the server's limit is refused with 422 (ask for the counts or the workbook).
        """
        shown_name = _safe_name(file.filename, "claims.csv")
        suffix = Path(shown_name).suffix.lower()
        if suffix not in CLAIM_SUFFIXES:
            raise HTTPException(400, f"{shown_name}: upload a claim file ending in {', '.join(CLAIM_SUFFIXES)}")
        if setting:
            _setting(setting)
        folder = Path(tempfile.mkdtemp(prefix="cpt-addin-upload-"))
        handed_over = False
        try:
            path = folder / shown_name
            with path.open("wb") as out:
                while chunk := await file.read(1024 * 1024):
                    out.write(chunk)
            await file.close()
            if output == "xlsx":
                handed_over = True  # the workbook answer removes the folder
                return await _workbook_answer(checks, path, setting, shown_name, folder)
            result = await checks.run(
                lambda deadline: _check_or_400(path, setting, shown_name, deadline.progress),
                f"The check of {shown_name}",
            )
        finally:
            if not handed_over:
                shutil.rmtree(folder, ignore_errors=True)  # before the answer is sent
        refuse_large_answer(result, max_answer_findings, answer, output)
        chunks = json_chunks if output == "json" else jsonl_chunks
        return StreamingResponse(chunks(result, shown_name, answer), media_type=MEDIA_TYPES[output],
                                 headers=_result_headers(result))

    @router.post("/check-sheet")
    async def check_sheet(sheet: SheetCheck) -> JSONResponse:
        """Check a sheet's used range (cell texts, header row first) for the task pane."""
        if sheet.setting:
            _setting(sheet.setting)
        shown_name = _safe_name(sheet.sheet, "sheet")
        rows = [["" if v is None else v for v in row] for row in sheet.values]
        result = await checks.run(
            lambda deadline: _check_or_400(rows, sheet.setting, shown_name, deadline.progress),
            f"The check of {shown_name}",
        )
        refuse_large_answer(result, max_answer_findings, "findings", "json")
        payload = answer_head(result, shown_name)
        payload["table"] = await run_in_threadpool(sheet_table, result.findings, sheet.first_row)
        return JSONResponse(payload)

    return router
