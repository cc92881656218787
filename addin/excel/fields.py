"""Cell-sized wording for the Excel functions that have no CLI twin (fields, modifiers,
ICD-10-CM), built from the same records and indicator texts the CLI prints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from addin.explain import addon_line, code_card, mue_line, short_description
from addin.reference import indicators
from addin.reference.models import CodeInfo, Icd10Fact, ModifierFact


def _fee(name: str) -> Callable[[CodeInfo], Any]:
    def get(info: CodeInfo) -> Any:
        if info.fee_schedule is None:
            return indicators.describe({}, "")  # "not in the loaded fee schedule"
        return getattr(info.fee_schedule, name)

    return get


def _fee_text(name: str, table: dict[str, str]) -> Callable[[CodeInfo], Any]:
    def get(info: CodeInfo) -> Any:
        value = info.fee_schedule and getattr(info.fee_schedule, name)
        return indicators.describe(table, value or "")

    return get


def _number(name: str) -> Callable[[CodeInfo], Any]:
    def get(info: CodeInfo) -> Any:
        value = info.fee_schedule and getattr(info.fee_schedule, name)
        return value if value is not None else ""

    return get


# field name -> value of a CodeInfo (CPT_INFO); indicator fields have a *_text twin
INFO_FIELDS: dict[str, Callable[[CodeInfo], Any]] = {
    "description": short_description,
    "plain": lambda i: i.plain_description,
    "category": lambda i: i.category or "invalid code format",
    "known": lambda i: i.known,
    "active": lambda i: i.active,
    "inactive_reason": lambda i: i.inactive_reason,
    "status": _fee("status"),
    "status_text": _fee_text("status", indicators.STATUS_TEXT),
    "global": _fee("global_days"),
    "global_text": _fee_text("global_days", indicators.GLOBAL_DAYS_TEXT),
    "pctc": _fee("pctc"),
    "pctc_text": _fee_text("pctc", indicators.PCTC_TEXT),
    "mult_proc": _fee("mult_proc"),
    "mult_proc_text": _fee_text("mult_proc", indicators.MULT_PROC_TEXT),
    "bilat": _fee("bilat"),
    "bilat_text": _fee_text("bilat", indicators.BILAT_TEXT),
    "asst": _fee("asst"),
    "asst_text": _fee_text("asst", indicators.ASST_TEXT),
    "co_surg": _fee("co_surg"),
    "co_surg_text": _fee_text("co_surg", indicators.CO_SURG_TEXT),
    "team_surg": _fee("team_surg"),
    "team_surg_text": _fee_text("team_surg", indicators.TEAM_SURG_TEXT),
    "endo_base": _fee("endo_base"),
    "work_rvu": _number("work_rvu"),
    "nonfac_total": _number("nonfac_total"),
    "fac_total": _number("fac_total"),
    "component_rows": lambda i: ", ".join(r.modifier for r in i.component_rows),
    "mue": lambda i: i.mue.mue_units if i.mue else "",
    "mai": lambda i: i.mue.mai if i.mue else "",
    "mue_text": mue_line,
    "addon_type": lambda i: i.addon.edit_type if i.addon else "",
    "primaries": lambda i: (", ".join(i.addon.primaries) or "contractor-defined") if i.addon else "",
    "addon_text": lambda i: addon_line(i),
    "addon_for": lambda i: ", ".join(i.addon_for),
    "source": lambda i: "; ".join(i.sources),
    "card": lambda i: "\n".join(code_card(i)),
}
#: Fields about the code's status itself: answered for any code, known or not (CPT_INFO);
#: every other field needs a code the loaded tables know.
STATUS_FIELDS = frozenset({"description", "category", "known", "active"})
FIELD_ALIASES = {
    "desc": "description",
    "global_days": "global",
    "glob_days": "global",
    "pc_tc": "pctc",
    "bilateral": "bilat",
    "assistant": "asst",
    "cosurg": "co_surg",
    "co-surg": "co_surg",
    "team": "team_surg",
    "mue_units": "mue",
    "type": "addon_type",
    "sources": "source",
}


def field_names() -> str:
    """The field names, for the message an unknown field gets."""
    return ", ".join(INFO_FIELDS)


def resolve_field(name: str) -> str | None:
    """Canonical field name (case, spaces and aliases forgiven) or None."""
    key = name.strip().lower().replace(" ", "_")
    key = FIELD_ALIASES.get(key, key)
    return key if key in INFO_FIELDS else None


def modifier_text(mod: str, fact: ModifierFact | None) -> str:
    """``59: Distinct procedural service (NCCI-associated: can bypass an indicator-1 edit)``."""
    if fact is None:
        return f"Unknown modifier {mod}"
    text = f"{fact.modifier}: {fact.description}"
    if fact.ncci_associated:
        text += " (NCCI-associated: can bypass an indicator-1 PTP edit)"
    return text


def icd10_text(fact: Icd10Fact) -> str:
    """The ICD-10-CM description, or why the code cannot be billed."""
    if not fact.covered:
        return f"ICD-10-CM not checked for {fact.code or '(empty)'}: {fact.note}"
    if not fact.valid:
        return f"Unknown ICD-10-CM code {fact.code or '(empty)'}"
    note = f" ({fact.note})" if fact.note else ""
    if not fact.billable:
        return f"{fact.code}: {fact.description} — header code, not billable: report a more specific code{note}"
    return f"{fact.code}: {fact.description}{note}"


def validity(info: CodeInfo) -> tuple[bool, str]:
    """(valid, reason) for ``CPT_VALID``: known and active on the date of service."""
    if info.category is None or not info.known or not info.active:
        return False, short_description(info)
    reason = f"Valid: {info.category} code, active on {info.date_of_service.isoformat()}"
    fee = info.fee_schedule
    if fee is not None and fee.status in indicators.NOT_PAYABLE_STATUS:
        reason += f" (Medicare payment status {fee.status}: {indicators.describe(indicators.STATUS_TEXT, fee.status)})"
    return True, reason
