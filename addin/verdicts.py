"""Verdicts a coder reads: one pair of codes, with their modifiers, on a date of service.

The CLI (`cpt-addin conflicts`), the Excel functions (`CPT_CONFLICTS`) and the server all
word their answer from :func:`pair_verdict`, and the batch checker's PTP rule applies the
same bypass policy (:func:`bypass_for_pair`) to whole columns; a property test holds the two
together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

from addin.codes import Setting, normalize_code, split_modifiers
from addin.reference import currency as currency_policy
from addin.reference import schema
from addin.reference.indicators import MODIFIER_INDICATOR_TEXT
from addin.reference.models import Currency, ModifierFact, PtpEdit
from addin.reference.ptp_index import governing_key

CONFLICT = "conflict"
BYPASSED = "bypassed"
NO_EDIT = "no edit"

# Prefer the specific X{EPSU} modifiers over 59 (CMS guidance); 59 only when none fits.
X_MODIFIERS = ("XE", "XS", "XP", "XU")
X_MODIFIER_TEXT = {
    "XE": "separate encounter",
    "XS": "separate structure or organ",
    "XP": "separate practitioner",
    "XU": "unusual non-overlapping service",
}
EM_ONLY_MODIFIERS = frozenset({"25", "57"})
ANATOMIC_FAMILIES_SAME_SITE_BLOCKS = True


def is_em_code(code: str) -> bool:
    """Evaluation and management codes (99202–99499) and general ophthalmology visits
    (92002–92014), the codes modifiers 25 and 57 concern."""
    if not code.isdigit():
        return False
    number = int(code)
    return 99202 <= number <= 99499 or 92002 <= number <= 92014


class Bypass(BaseModel):
    """Whether modifiers bypass an indicator-1 edit, which modifier did it, and why not."""

    bypassed: bool
    modifier: str = ""
    on_line: str = ""  # "column_1" or "column_2"
    reason: str = ""


def bypass_for_pair(
    edit_indicator: int,
    column_1_code: str,
    column_2_code: str,
    column_1_mods: Iterable[str],
    column_2_mods: Iterable[str],
    modifiers: Mapping[str, ModifierFact],
) -> Bypass:
    """Apply the NCCI bypass policy to one edit between two claim lines.

    - Indicator 0: never bypassed. Indicator 9 never reaches here (it never applies).
    - Indicator 1: bypassed by an NCCI-associated modifier on either line (Medicare's
      processing; best practice puts it on the Column 2 line). 25 and 57 count only on an
      E/M line. Anatomic modifiers (LT/RT, E1–E4, F1–FA, T1–TA, coronary) bypass only when
      both lines carry one of the same family naming different sites.
    """
    mods_1 = [m for m in column_1_mods if m]
    mods_2 = [m for m in column_2_mods if m]
    if edit_indicator != 1:
        return Bypass(bypassed=False, reason="indicator 0: no modifier bypasses this edit")
    not_on_em: list[str] = []
    for line, code, mods in (("column_2", column_2_code, mods_2), ("column_1", column_1_code, mods_1)):
        for mod in mods:
            fact = modifiers.get(mod)
            if fact is None or not fact.ncci_associated or fact.anatomic_family:
                continue
            if mod in EM_ONLY_MODIFIERS and not is_em_code(code):
                not_on_em.append(f"{mod} on {code}")
                continue
            return Bypass(bypassed=True, modifier=mod, on_line=line)
    anatomic_1 = {m: modifiers[m] for m in mods_1 if m in modifiers and modifiers[m].anatomic_family}
    anatomic_2 = {m: modifiers[m] for m in mods_2 if m in modifiers and modifiers[m].anatomic_family}
    for mod_2, fact_2 in anatomic_2.items():
        for mod_1, fact_1 in anatomic_1.items():
            if fact_1.anatomic_family == fact_2.anatomic_family and mod_1 != mod_2:
                return Bypass(bypassed=True, modifier=mod_2, on_line="column_2")
    if anatomic_1 or anatomic_2:
        same = sorted(set(anatomic_1) & set(anatomic_2))
        if same:
            reason = f"both lines name the same site ({', '.join(same)}): anatomic modifiers bypass only for different sites"
        else:
            reason = "an anatomic modifier bypasses only when both lines name different sites of one family"
        return Bypass(bypassed=False, reason=reason)
    if not_on_em:
        return Bypass(
            bypassed=False,
            reason=f"{', '.join(not_on_em)}: modifiers 25 and 57 bypass only on an E/M code",
        )
    return Bypass(bypassed=False, reason="no NCCI-associated modifier on either line")


def suggested_modifier(column_1_code: str, column_2_code: str) -> tuple[str, str, str]:
    """(modifier text, code, line) to suggest for an indicator-1 conflict."""
    if is_em_code(column_2_code):
        return "25 (significant, separately identifiable E/M)", column_2_code, "column_2"
    if is_em_code(column_1_code):
        return "25 (significant, separately identifiable E/M)", column_1_code, "column_1"
    x_list = ", ".join(f"{m} ({X_MODIFIER_TEXT[m]})" for m in X_MODIFIERS)
    return f"the X modifier that fits — {x_list} — or 59 if none fits", column_2_code, "column_2"


def edit_summary(edit_indicator: int, column_1: str, column_2: str) -> str:
    """The verdict on one edit, without modifiers, in one short cell (spill tables).

    Same policy as :func:`pair_verdict`: indicator 0 never bypassed; indicator 1 bypassed
    by the modifier :func:`suggested_modifier` names, on the line it names.
    """
    if edit_indicator != 1:
        return (
            f"CONFLICT: {column_2} is denied with {column_1}; no modifier bypasses "
            f"(indicator {edit_indicator}). Report {column_1} only."
        )
    if is_em_code(column_1) or is_em_code(column_2):
        modifier, code, _ = suggested_modifier(column_1, column_2)
        fix = f"{modifier.split(' ')[0]} on {code}"
    else:
        fix = f"{'/'.join(X_MODIFIERS)} (or 59) on {column_2}"
    return (
        f"CONFLICT: {column_2} is denied with {column_1} unless the services were distinct; "
        f"then {fix} bypasses it (indicator 1)."
    )


def edit_summaries(edit_indicators, column_1, column_2) -> list[str]:
    """:func:`edit_summary` for whole columns (a spill table can hold hundreds of thousands
    of edits): the same words, one f-string per edit (the E/M case inlined: 25 goes on the
    Column 2 code when it is an E/M code, else on the Column 1 code)."""
    indicators = _plain(edit_indicators, int)
    col1, col2 = _plain(column_1, str), _plain(column_2, str)
    em = {code for code in {*col1, *col2} if is_em_code(code)}
    fix = f"{'/'.join(X_MODIFIERS)} (or 59)"
    return [
        f"CONFLICT: {b} is denied with {a}; no modifier bypasses (indicator {i}). Report {a} only."
        if i != 1
        else f"CONFLICT: {b} is denied with {a} unless the services were distinct; "
        f"then {fix if b not in em and a not in em else '25'} on {b if b in em or a not in em else a} "
        "bypasses it (indicator 1)."
        for i, a, b in zip(indicators, col1, col2, strict=True)
    ]


def _plain(values, kind: type) -> list:
    """Values as a list of plain ``kind`` objects (numpy arrays convert in one call)."""
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    return values if set(map(type, values)) <= {kind} else [kind(v) for v in values]


class PairVerdict(BaseModel):
    """The answer to "may these two codes be billed together?"."""

    code1: str
    code2: str
    date_of_service: dt.date
    setting: str
    verdict: str  # conflict / bypassed / no edit
    headline: str
    edit: PtpEdit | None = None
    bypass: Bypass | None = None
    why: str = ""
    action: str = ""
    other_edits: list[PtpEdit] = Field(default_factory=list)
    source: str = ""
    currency: Currency | None = None  # does the PTP table answering cover the date?

    def lines(self, with_currency: bool = True) -> list[str]:
        """Verdict first, then why, then what to do (the CLI prints these); a table that does
        not cover the date of service adds a ``Data currency:`` line."""
        out = [self.headline]
        if self.why:
            out.append(self.why)
        if self.action:
            out.append(f"What to do: {self.action}")
        for edit in self.other_edits:
            label = "Also in force" if edit.applies else "Other episode"
            out.append(f"{label}: {describe_edit(edit, self.currency)}")
        if self.source:
            out.append(f"Source: {self.source}")
        if with_currency and self.currency is not None and self.currency.sentence:
            out.append(f"Data currency: {self.currency.sentence}")
        return out

    def text(self) -> str:
        """The verdict as one paragraph (Excel cells; the headline carries the short currency note)."""
        return " ".join(self.lines(with_currency=False))


def describe_edit(edit: PtpEdit, currency: Currency | None = None) -> str:
    """``Column 1 43497, Column 2 43235, indicator 0, effective …, deleted …: rationale``.

    When the table answering does not cover the date of service, an edit without a deletion
    date is "not deleted in the 2024Q3 table" (never "still active") and one in force is "in
    force in the 2024Q3 table".
    """
    start = edit.effective_date.isoformat() if edit.effective_date else "the start of the table"
    behind = currency is not None and not currency.ok
    table = f"the {currency.version_period} table" if behind else ""
    if edit.deletion_date:
        end = f"last day {edit.deletion_date.isoformat()}"
    else:
        end = f"not deleted in {table}" if behind else "still active"
    if edit.applies:
        state = f"in force in {table}" if behind else "in force"
    else:
        state = "not in force on this date"
    return (
        f"Column 1 {edit.column_1}, Column 2 {edit.column_2}, modifier indicator "
        f"{edit.modifier_indicator}, from {start}, {end} ({state}); rationale: {edit.rationale}."
    )


def pair_verdict(
    reference,
    code1: object,
    code2: object,
    mods1: object = None,
    mods2: object = None,
    date_of_service: dt.date | None = None,
    setting: object = Setting.practitioner,
) -> PairVerdict:
    """Look the pair up (either order) and decide: conflict, bypassed, or no edit.

    When several rows of the pair are in force on the date (both orders, overlapping
    episodes) the strictest governs — indicator 0 over 1; on a tie the earliest effective,
    then the lower Column 1 code (:func:`~addin.reference.ptp_index.governing_key`) — and
    decides Column 1/2 and whether a modifier bypasses; every other row in force is listed
    ("Also in force"), as the batch checker's PTP rules do.
    """
    a, b = normalize_code(code1) or "", normalize_code(code2) or ""
    answer = reference.pair(a, b, date_of_service, setting)
    currency = currency_policy.for_table(reference, schema.PTP, answer.setting, answer.date_of_service)
    currency_policy.enforce([currency], getattr(reference, "stale_policy", currency_policy.WARN))
    note = f" {currency.suffix}" if currency.suffix else ""
    mods_by_code = {a: split_modifiers(mods1), b: split_modifiers(mods2)}
    base = {
        "code1": a,
        "code2": b,
        "date_of_service": answer.date_of_service,
        "setting": answer.setting,
        "source": answer.source,
        "currency": currency,
    }
    applicable = answer.applicable
    if not applicable:
        dos = answer.date_of_service.isoformat()
        if answer.edits:
            why = f"{len(answer.edits)} edit row(s) exist for this pair but none is in force on {dos}."
        else:
            why = f"No NCCI PTP edit between {a} and {b} in the {answer.setting} table."
        if note:
            headline = (
                f"NO EDIT in the {currency.version_period} PTP table: {a} and {b} have no edit in "
                f"force there on {dos} ({answer.setting}); that table is older than "
                f"{currency.date_period}, so a newer edit may exist.{note}"
                if currency.status == currency_policy.STALE
                else f"NO EDIT in the {currency.version_period} PTP table: {a} and {b} have no edit "
                f"in force there on {dos} ({answer.setting}); no loaded table covers that date.{note}"
            )
        else:
            headline = f"NO EDIT: {a} and {b} may be reported together on {dos} ({answer.setting})."
        return PairVerdict(
            **base,
            verdict=NO_EDIT,
            headline=headline,
            why=why,
            other_edits=answer.edits,
        )
    modifier_facts = {m: reference.modifier(m) for m in mods_by_code[a] + mods_by_code[b]}
    modifier_facts = {m: f for m, f in modifier_facts.items() if f is not None}
    decisions = [
        (
            candidate,
            bypass_for_pair(
                candidate.modifier_indicator,
                candidate.column_1,
                candidate.column_2,
                mods_by_code.get(candidate.column_1, []),
                mods_by_code.get(candidate.column_2, []),
                modifier_facts,
            ),
        )
        for candidate in applicable
    ]
    # several rows in force (both orders, overlapping episodes): the strictest governs
    # (indicator 0 over 1; ties: earliest effective, then lower Column 1), as the batch rule
    edit, bypass = min(decisions, key=lambda decision: governing_key(decision[0]))
    others = [e for e in answer.edits if e is not edit]
    if edit.source and edit.source != answer.source:
        base["source"] = f"{edit.source} — {answer.source}"
    why = f"{describe_edit(edit, currency)} Modifier indicator {MODIFIER_INDICATOR_TEXT[edit.modifier_indicator]}."
    if len(applicable) > 1:
        why += (
            f" {len(applicable)} rows of this pair are in force on "
            f"{answer.date_of_service.isoformat()}; the strictest governs (indicator 0 over 1)."
        )
    if bypass.bypassed:
        line_code = edit.column_2 if bypass.on_line == "column_2" else edit.column_1
        advice = "" if bypass.on_line == "column_2" else " Best practice puts it on the Column 2 line."
        return PairVerdict(
            **base,
            verdict=BYPASSED,
            headline=(
                f"BYPASSED: {edit.column_1} (Column 1) and {edit.column_2} (Column 2) have an NCCI edit, "
                f"bypassed by modifier {bypass.modifier} on {line_code}.{note}"
            ),
            edit=edit,
            bypass=bypass,
            why=why,
            action="Keep the documentation that supports a distinct service." + advice,
            other_edits=others,
        )
    headline = (
        f"CONFLICT: {edit.column_1} is Column 1 and {edit.column_2} is Column 2; "
        f"{edit.column_2} is denied when billed with {edit.column_1}.{note}"
    )
    if edit.modifier_indicator == 0:
        action = (
            f"No modifier bypasses this edit (indicator 0). Report {edit.column_1} only, "
            f"unless the services were on different dates or for different patients."
        )
    else:
        modifier, code, _ = suggested_modifier(edit.column_1, edit.column_2)
        action = (
            f"If the services were distinct and the record supports it, append {modifier} "
            f"to {code}. Otherwise report {edit.column_1} only."
        )
        if bypass.reason and "site" in bypass.reason:
            action = f"{bypass.reason[0].upper()}{bypass.reason[1:]}. " + action
    return PairVerdict(
        **base,
        verdict=CONFLICT,
        headline=headline,
        edit=edit,
        bypass=bypass,
        why=why,
        action=action,
        other_edits=others,
    )
