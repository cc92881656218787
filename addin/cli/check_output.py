"""The findings of ``cpt-addin check`` on the console: text (one line per finding, like ruff),
GitHub workflow commands, one JSON document, or CSV.

Text and GitHub lines carry the file, row, rule id, severity, code and message — never the
patient, claim or provider ids (those are in the findings file and in JSON/CSV, which the user
asks for explicitly to pipe them somewhere).
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from typing import IO

FORMATS = ("text", "json", "csv", "github")
#: Findings printed one a line before "… and N more" (``--max-findings``).
MAX_FINDINGS = 50
#: Line width when stdout is not a terminal.
PLAIN_WIDTH = 200
GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def line_width(stream: IO[str] | None = None) -> int:
    """The terminal's width when ``stream`` is one, else :data:`PLAIN_WIDTH`."""
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return max(40, shutil.get_terminal_size().columns)
    except (AttributeError, ValueError):
        pass
    return PLAIN_WIDTH


def _trim(text: str, width: int) -> str:
    text = " ".join(text.split())  # a message never spans lines on the console
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def finding_lines(findings, label: str, width: int = PLAIN_WIDTH) -> list[str]:
    """``claims.xlsx:12: PTP001 error 43235 <message>`` for each finding, trimmed to ``width``."""
    rows = findings["row"].to_numpy()
    out = []
    for row, rule_id, severity, code, message in zip(
        rows,
        findings["rule_id"].astype(str),
        findings["severity"].astype(str),
        findings["code"].fillna("").astype(str),
        findings["message"].fillna("").astype(str),
        strict=True,
    ):
        where = f"{label}:{int(row)}:" if int(row) > 0 else f"{label}:"
        code_part = f" {code}" if code else ""
        out.append(_trim(f"{where} {rule_id} {severity}{code_part} {message}", width))
    return out


def more_line(left_out: int, written: list) -> str:
    """The line that says how many findings were not printed and where they are."""
    where = (
        "see " + ", ".join(str(p) for p in written)
        if written
        else "write them all with --findings FILE or -o AUDIT.xlsx"
    )
    return f"… and {left_out} more finding{'s' if left_out != 1 else ''} ({where})"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_lines(findings, path: str) -> list[str]:
    """GitHub Actions workflow commands, ``::error file=…,line=…,title=PTP001::message``
    (warning → ``::warning``, info → ``::notice``)."""
    out = []
    for row, rule_id, severity, code, message in zip(
        findings["row"].to_numpy(),
        findings["rule_id"].astype(str),
        findings["severity"].astype(str),
        findings["code"].fillna("").astype(str),
        findings["message"].fillna("").astype(str),
        strict=True,
    ):
        level = GITHUB_LEVEL.get(severity, "notice")
        props = [f"file={_escape_property(path)}"]
        if int(row) > 0:
            props.append(f"line={int(row)}")
        props.append(f"title={_escape_property(f'{rule_id} {severity}')}")
        text = f"{rule_id} {code} {message}" if code else f"{rule_id} {message}"
        out.append(f"::{level} {','.join(props)}::{_escape_data(text)}")
    return out


def summary_record(result, written: list) -> dict:
    """The check's counts and data versions as a JSON-ready mapping."""
    counts = result.counts
    meta = result.claims.meta
    findings = result.findings
    return {
        "file": str(meta.get("file")),
        "setting": result.setting,
        "rows_read": int(counts["rows_read"]),
        "rows_checked": int(counts["rows_checked"]),
        "rows_rejected": int(counts["rows_rejected"]),
        "findings": int(counts["findings"]),
        "by_severity": {s: int(counts["by_severity"].get(s, 0)) for s in ("error", "warning", "info")},
        "by_rule": {str(k): int(v) for k, v in findings.groupby("rule_id").size().items()}
        if len(findings)
        else {},
        "rules": result.options.get("rules", {}),
        "versions": [v.model_dump(mode="json") for v in result.versions],
        "written": [str(p) for p in written],
        "elapsed_seconds": round(float(result.elapsed_seconds), 3),
    }


def _records(findings) -> list[dict]:
    from addin.checker.writers import findings_for_output

    table = findings_for_output(findings)
    return json.loads(table.to_json(orient="records", force_ascii=False))


def json_document(result, written: list, exit_code: int, *, with_findings: bool = True) -> str:
    """One JSON document: ``{"summary": {...}, "exit_code": N, "findings": [...]}``."""
    document: dict = {"summary": summary_record(result, written), "exit_code": exit_code}
    if with_findings:
        document["findings"] = _records(result.findings)
    return json.dumps(document, indent=2, ensure_ascii=False)


def csv_text(findings, raw: bool = False) -> str:
    """The findings as CSV (the findings file's columns), with the findings file's formula
    guard unless ``raw``: a text cell starting ``= + - @`` gets a leading ``'``."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from addin.checker.writers import findings_for_output, neutralise_formulas

    table = pa.Table.from_pandas(findings_for_output(findings), preserve_index=False)
    if not raw:
        table = neutralise_formulas(table)
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return buffer.getvalue().decode("utf-8")
