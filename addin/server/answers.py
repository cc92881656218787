"""Answers to a claim-file check, streamed so that a large answer never sits in memory twice.

- JSON (``format=json``, the default): ``{"file", "counts", "exit_code", "columns",
  "findings": [...]}``, the findings rendered in batches of :data:`BATCH_ROWS` records.
- JSON Lines (``format=jsonl``): the same head (without ``findings``) on the first line, then
  one finding per line — easy to read one line at a time.
- ``answer=counts``: only the head (file, counts, exit code), for scripts that want the verdict.
- The audit workbook (``format=xlsx``) is written to a temporary file by the caller and
  streamed from the open file by :func:`file_chunks`; the file is removed before streaming.

:func:`refuse_large_answer` caps the findings a JSON answer may carry (422 with what to do).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from fastapi import HTTPException

BATCH_ROWS = 5_000
CHUNK_BYTES = 256 * 1024
ANSWERS = ("findings", "counts")
FORMATS = ("json", "jsonl", "xlsx")
MEDIA_TYPES = {"json": "application/json", "jsonl": "application/x-ndjson"}


def answer_head(result: Any, file_name: str, answer: str = "findings") -> dict[str, Any]:
    """File name, counts and exit code (and the findings' columns unless ``answer=counts``)."""
    head: dict[str, Any] = {"file": file_name, "counts": result.counts, "exit_code": result.exit_code}
    if answer != "counts":
        head["columns"] = list(result.findings.columns)
    return json.loads(json.dumps(head, default=str))


def refuse_large_answer(result: Any, limit: int, answer: str, output: str) -> None:
    """422 when a JSON answer would carry more than ``limit`` findings (the workbook has its
    own limits, the counts are always small)."""
    total = int(len(result.findings))
    if answer == "counts" or output == "xlsx" or total <= limit:
        return
    raise HTTPException(
        422,
        f"The check found {total:,} findings; a {output.upper()} answer carries at most {limit:,} "
        "(CPT_ADDIN_MAX_ANSWER_FINDINGS). Ask for the counts only (answer=counts) or the audit "
        "workbook (format=xlsx), split the file, or use the command line for files this large "
        "(cpt-addin check FILE --findings findings.csv).",
    )


def _records(frame: Any, lines: bool) -> str:
    """One batch of findings as JSON records (the same values as ``DataFrame.to_json``)."""
    text = frame.to_json(orient="records", date_format="iso", lines=lines)
    return text.strip() if lines else text[1:-1]


def json_chunks(result: Any, file_name: str, answer: str = "findings",
                batch_rows: int = BATCH_ROWS) -> Iterator[bytes]:
    """The JSON answer in pieces: the head, then the findings a batch at a time."""
    head = answer_head(result, file_name, answer)
    if answer == "counts":
        yield json.dumps(head).encode()
        return
    yield (json.dumps(head)[:-1] + ', "findings": [').encode()
    findings = result.findings
    separator = ""
    for start in range(0, len(findings), batch_rows):
        part = _records(findings.iloc[start:start + batch_rows], lines=False)
        if part:
            yield (separator + part).encode()
            separator = ","
    yield b"]}"


def jsonl_chunks(result: Any, file_name: str, answer: str = "findings",
                 batch_rows: int = BATCH_ROWS) -> Iterator[bytes]:
    """The JSON Lines answer: the head on the first line, then one finding per line."""
    yield (json.dumps(answer_head(result, file_name, answer)) + "\n").encode()
    if answer == "counts":
        return
    findings = result.findings
    for start in range(0, len(findings), batch_rows):
        part = _records(findings.iloc[start:start + batch_rows], lines=True)
        if part:
            yield (part + "\n").encode()


def open_and_remove(path: Path, folder: Path) -> tuple[IO[bytes], bool]:
    """Open ``path`` for streaming and delete ``folder`` (with it) right away where the system
    allows deleting open files; returns the handle and whether the folder is gone."""
    handle = path.open("rb")
    shutil.rmtree(folder, ignore_errors=True)
    return handle, not folder.exists()


def file_chunks(handle: IO[bytes], folder: Path | None = None) -> Iterator[bytes]:
    """Stream an open file, then close it (and remove ``folder`` if it is still there)."""
    try:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
