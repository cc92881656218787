"""Words for a code: the one-line description and the full card a coder reads.

The CLI (`cpt-addin lookup`), ``CPT_DESC``/``CPT_INFO`` and the server share these texts.
"""

from __future__ import annotations

import datetime as dt

from addin.reference import indicators, schema
from addin.reference.models import CodeInfo

NO_LICENSED_TEXT = (
    "no licensed CPT description is loaded (import the CMS RVU file or an AMA data file)"
)


def short_description(info: CodeInfo) -> str:
    """The description a cell shows: licensed/public text first, else the project paraphrase.

    Unknown or malformed codes get a clear message instead. When the table that describes the
    code (RVU, or HCPCS for Level II codes) does not cover the date of service, a short note
    follows: ``[RVU table 2025Q4 older than 2026Q2]``.
    """
    text = describe_code(
        info.code,
        info.category,
        info.known,
        info.active,
        info.description,
        info.plain_description,
        info.date_of_service,
        info.inactive_reason,
    )
    if info.category is None or not info.known:
        return text  # "not in the loaded CMS tables" already says where it looked
    return _noted(text, info.currency_for(_describing_table(info.category)))


def describing_currency(info: CodeInfo):
    """The currency of the table that describes the code (RVU, or HCPCS for Level II codes)."""
    return info.currency_for(_describing_table(info.category))


def _describing_table(category: str | None) -> str:
    return schema.HCPCS if category and category.startswith("HCPCS") else schema.RVU


def _noted(text: str, currency) -> str:
    note = currency.suffix if currency is not None else ""
    return f"{text} {note}" if note else text


def describe_code(
    code: str,
    category: str | None,
    known: bool,
    active: bool,
    description: str,
    plain_description: str,
    date_of_service: dt.date,
    inactive_reason: str = "",
) -> str:
    """:func:`short_description` from plain values (the vector form calls it per code)."""
    if category is None:
        return f"Invalid code format {code or '(empty)'}: expected 5 characters such as 47383, 0397T or G0364"
    if not known:
        return f"Unknown code {code}: not in the loaded CMS tables"
    text = description or plain_description
    if not text:
        text = f"{category} code; {NO_LICENSED_TEXT}"
    elif not description and category.startswith("CPT"):
        text = f"{text} (plain-language summary; {NO_LICENSED_TEXT})"
    if not active:
        text += f" [inactive on {date_of_service.isoformat()}: {inactive_reason}]"
    return text


def short_descriptions(frame, date_of_service: dt.date) -> list[str]:
    """:func:`short_description` for every row of ``ReferenceData.descriptions_frame``;
    an empty code gives an empty text (an empty cell stays empty)."""
    columns = [
        frame[name].tolist()
        for name in ("code", "category", "known", "active", "description", "plain_description", "inactive_reason")
    ]
    notes = frame["currency"].tolist() if "currency" in frame.columns else [""] * len(frame)
    cache: dict[str, str] = {}
    out = []
    for code, category, known, active, description, plain, reason, note in zip(*columns, notes, strict=True):
        text = cache.get(code)
        if text is None:
            category = category if isinstance(category, str) else None  # NaN from pandas
            text = "" if not code else describe_code(
                code, category, known, active, description, plain, date_of_service, reason
            )
            if text and note:
                text = f"{text} {note}"
            cache[code] = text
        out.append(text)
    return out


def mue_line(info: CodeInfo) -> str:
    """``MUE (practitioner): 1 unit(s) per day — MAI 2 …; rationale: …`` (card and CPT_MUE)."""
    table = info.currency_for(schema.MUE)
    if info.mue is None:
        return _noted(f"MUE ({info.setting}): none published for this code", table)
    mue = info.mue
    return _noted(
        f"MUE ({mue.setting}): {mue.mue_units} unit(s) per day — {mue.mai_text}; rationale: {mue.rationale or 'n/a'}",
        table,
    )


def addon_line(info: CodeInfo) -> str:
    """The add-on facts of a code in one line (card and CPT_ADDON); ``""`` when none."""
    parts = []
    if info.addon is not None:
        primaries = ", ".join(info.addon.primaries) or "contractor-defined"
        parts.append(f"Add-on code, {info.addon.type_text}. Primary codes: {primaries}")
    if info.addon_for:
        parts.append(f"Primary for add-on codes: {', '.join(info.addon_for)}")
    return _noted(". ".join(parts), info.currency_for(schema.AOC)) if parts else ""


def code_card(info: CodeInfo) -> list[str]:
    """Every fact about the code, one line each, in the order a coder asks for them."""
    lines = [f"{info.code} — {short_description(info)}"]
    if info.category is None or not info.known:
        return lines
    lines.append(f"Code set: {info.category}; date of service {info.date_of_service}, setting {info.setting}")
    state = "active" if info.active else f"INACTIVE ({info.inactive_reason})"
    describing = info.currency_for(_describing_table(info.category))
    if describing is not None and describing.suffix:
        state = (
            f"{state} in the {describing.table.upper()} table {describing.version_period}"
            + (f" (older than {describing.date_period})" if describing.status == "stale" else
               f" (no table covers {describing.date_period})")
        )
    lines.append(f"Status on that date: {state}")
    if info.plain_description and info.description:
        lines.append(f"In plain words: {info.plain_description}")
    fee = info.fee_schedule
    if fee is not None:
        lines.append(f"Payment status: {fee.status} — {indicators.describe(indicators.STATUS_TEXT, fee.status)}")
        lines.append(f"Global period: {fee.global_days} — {indicators.describe(indicators.GLOBAL_DAYS_TEXT, fee.global_days)}")
        lines.append(f"PC/TC indicator: {fee.pctc} — {indicators.describe(indicators.PCTC_TEXT, fee.pctc)}")
        if info.component_rows:
            mods = ", ".join(row.modifier for row in info.component_rows)
            lines.append(f"Separate fee-schedule rows for modifiers: {mods}")
        lines.append(f"Multiple procedures (51): {fee.mult_proc} — {indicators.describe(indicators.MULT_PROC_TEXT, fee.mult_proc)}")
        if fee.endo_base:
            lines.append(f"Endoscopic base code: {fee.endo_base}")
        lines.append(f"Bilateral (50): {fee.bilat} — {indicators.describe(indicators.BILAT_TEXT, fee.bilat)}")
        lines.append(f"Assistant at surgery (80/81/82): {fee.asst} — {indicators.describe(indicators.ASST_TEXT, fee.asst)}")
        lines.append(f"Co-surgeons (62): {fee.co_surg} — {indicators.describe(indicators.CO_SURG_TEXT, fee.co_surg)}")
        lines.append(f"Team surgery (66): {fee.team_surg} — {indicators.describe(indicators.TEAM_SURG_TEXT, fee.team_surg)}")
    else:
        lines.append("Fee schedule: not in the loaded RVU file")
    lines.append(mue_line(info))
    if info.addon is not None:
        primaries = ", ".join(info.addon.primaries) or "contractor-defined"
        lines.append(f"Add-on code, {info.addon.type_text}. Primary codes: {primaries}")
    if info.addon_for:
        lines.append(f"Primary for add-on codes: {', '.join(info.addon_for)}")
    notes = info.notes
    if notes is not None:
        for label, value in (
            ("Service type", notes.service_type),
            ("Typical site of service", notes.site_of_service),
            ("Related diagnoses", "; ".join(notes.related_diagnoses)),
            ("Related procedures", "; ".join(notes.related_procedures)),
            ("Documentation", notes.documentation),
            ("Specialties", "; ".join(notes.specialties)),
        ):
            if value:
                lines.append(f"{label}: {value}")
    if info.sources:
        lines.append("Sources: " + "; ".join(info.sources))
    lines.extend(currency_lines(info.currency))
    return lines


def currency_lines(currencies) -> list[str]:
    """``Data currency: …`` lines for the answers from a table that does not cover the date."""
    return [f"Data currency: {c.sentence}" for c in currencies if c is not None and c.sentence]
