"""Is this a code, a modifier, a setting we can answer about? One check for every door.

``cpt-addin conflicts``/``suggest``/``lookup``, the Excel functions and the server ask these
functions before they answer, so a thing that is not a code never gets a verdict ("NO EDIT"
for ``99999`` or an empty cell would be a confident wrong answer). Each refusal is a
:class:`CodeInputError` whose message names the input and what is wrong with it; the doors
turn it into exit code 2 (CLI), a message in the cell (classic Excel functions) or HTTP 400
(server: the JSON API and the Office.js custom functions).

- **Missing**: an empty argument where a code is needed.
- **Malformed**: not one of the code formats of DOMAIN.md (5 digits; 4 digits + F, T, U, A
  or M; a letter A–V + 4 digits). Only ASCII digits count: full-width (``４３２３５``) or
  Arabic-Indic digits are named as such.
- **Unknown**: well formed, but no loaded table knows it on the date of service (RVU fee
  schedule, HCPCS Level II, the project's code notes, MUE, add-on code edits, PTP). With only
  the bundled sample tables the message says how few codes they cover and how to import
  the CMS files.
- **Invalid modifier**: not 2 ASCII letters/digits, or in neither the modifier list nor the
  HCPCS Level II modifiers.
- **Setting**: a setting the asked table is not published for (PTP: practitioner and
  hospital only), see :func:`addin.codes.setting_for_table`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from addin.codes import (
    Setting,
    code_category,
    is_valid_modifier_format,
    normalize_code,
    setting_for_table,
    split_modifiers,
)
from addin.errors import CptAddinError
from addin.reference import schema

CODE_FORMATS = (
    "5 digits (47383), 4 digits and F, T, U, A or M (0397T), or a letter and 4 digits (G0364)"
)

__all__ = [
    "CodeInputError",
    "check_code",
    "check_modifiers",
    "check_setting",
    "code_problem",
    "code_problems",
    "is_known_code",
    "modifier_problem",
]


class CodeInputError(CptAddinError, ValueError):
    """A code, modifier or setting no answer can be given about; the message names it."""


def _label(what: str) -> str:
    return f" ({what})" if what else ""


def format_problem(code: str | None, what: str = "code") -> str | None:
    """Why ``code`` (already normalised) is not a code, or None when its format is valid."""
    if not code:
        return f"{what or 'code'} is missing: enter a CPT or HCPCS code such as 47383, 0397T or G0364"
    if code_category(code) is not None:
        return None
    ascii_note = ""
    if not code.isascii():
        ascii_note = (
            "; it contains characters other than plain ASCII letters and digits (full-width or "
            "Arabic-Indic digits, for instance): type the code with 0-9 and A-Z"
        )
    return f"Invalid code format {code}{_label(what)}: expected {CODE_FORMATS}{ascii_note}"


def is_known_code(
    reference, code: str, date_of_service: dt.date | None = None, ptp_setting: object = None
) -> bool:
    """True when a table loaded for the date knows the well-formed ``code``: the RVU fee
    schedule, HCPCS Level II, the code notes or an MUE table (``CodeInfo.known``), the add-on
    code edits (as add-on or as primary) or, for a PTP question (``ptp_setting``), that
    setting's PTP table (as Column 1 or Column 2; the table the question loads anyway, so a
    store with only PTP imported still answers for its codes)."""
    # whether the code exists is no answer from a table: the stale policy applies to the
    # answer that follows (a PTP verdict from a current PTP table is not refused for the RVU's age)
    try:
        info = reference.code_info(code, date_of_service, enforce_currency=False)
    except TypeError:  # a reference without the keyword (tests' stand-ins)
        info = reference.code_info(code, date_of_service)
    if info.known or info.addon is not None or info.addon_for:
        return True
    if ptp_setting is not None:
        return bool(len(reference.ptp_edits_for_code(code, info.date_of_service, ptp_setting)))
    return False


def unknown_message(reference, code: str, date_of_service: dt.date | None, what: str = "code") -> str:
    """``Unknown code 99999 (code2): not in the loaded tables …`` with what covers what."""
    dos = reference._dos(date_of_service)
    head = f"Unknown code {code}{_label(what)}: not in the loaded tables for {dos.isoformat()}"
    answering = (reference.version_for(t, schema.ALL_SETTINGS, dos) for t in (schema.RVU, schema.HCPCS))
    code_tables = [v.describe() for v in answering if v is not None]
    if not code_tables or all(v.origin == "bundled" for v in code_tables):
        covered = len(reference.known_codes(dos))
        return (
            f"{head}. The bundled sample data covers only {covered} codes: import the CMS files "
            "(RVU fee schedule, HCPCS, PTP, MUE, add-on codes) with `cpt-addin data import` "
            "(or `cpt-addin data fetch`) to answer for every code"
        )
    names = ", ".join(
        f"{v.table.upper()} {v.vintage.isoformat() if v.vintage else 'undated'} ({v.origin})"
        for v in code_tables
    )
    return f"{head} ({names}): no answer about it; check the code or import the tables of its year"


def code_problem(
    reference,
    value: object,
    date_of_service: dt.date | None = None,
    what: str = "code",
    ptp_setting: object = None,
) -> str | None:
    """Why ``value`` cannot be answered about (missing, malformed, unknown), or None;
    ``ptp_setting`` for a PTP question (see :func:`is_known_code`)."""
    code = normalize_code(value)
    problem = format_problem(code, what)
    if problem is None and not is_known_code(reference, code, date_of_service, ptp_setting):
        problem = unknown_message(reference, code, date_of_service, what)
    return problem


def code_problems(
    reference,
    codes: Iterable[str],
    date_of_service: dt.date | None = None,
    what: str = "code",
    ptp_setting: object = None,
) -> dict[str, str]:
    """:func:`code_problem` for many normalised codes at once (spill tables): ``{code:
    message}`` for the codes that are missing, malformed or unknown. Known-ness comes from
    one vector lookup in ``known_codes``; only the codes it does not know are asked one by
    one (add-on and PTP tables)."""
    import numpy as np
    import pandas as pd

    distinct = list(dict.fromkeys(codes))
    out: dict[str, str] = {}
    shaped = []
    for code in distinct:
        problem = format_problem(code, what)
        if problem is None:
            shaped.append(code)
        else:
            out[code] = problem
    if shaped:
        # the codes code_status_frame marks known, without computing every other column
        known_set = pd.Index(reference.known_codes(reference._dos(date_of_service)))
        known_flags = known_set.get_indexer(np.asarray(shaped, dtype=object)) >= 0
        if ptp_setting is not None and hasattr(reference, "ptp_lists_codes") and not known_flags.all():
            # a code the question's PTP table names is known: one vector lookup, not a
            # code_info and a table scan per code (is_known_code asks the same last)
            with contextlib.suppress(CodeInputError, ValueError):
                known_flags |= reference.ptp_lists_codes(shaped, date_of_service, ptp_setting)
        for code, known in zip(shaped, known_flags, strict=True):
            if not known and not is_known_code(reference, code, date_of_service, ptp_setting):
                out[code] = unknown_message(reference, code, date_of_service, what)
    return out


def check_code(
    reference,
    value: object,
    date_of_service: dt.date | None = None,
    what: str = "code",
    ptp_setting: object = None,
) -> str:
    """The canonical code, or :class:`CodeInputError` naming why it is not one we know."""
    problem = code_problem(reference, value, date_of_service, what, ptp_setting)
    if problem is not None:
        raise CodeInputError(problem)
    return normalize_code(value)  # type: ignore[return-value]


def modifier_problem(reference, modifier: str, what: str = "modifiers") -> str | None:
    """Why one (normalised) modifier is not a modifier, or None."""
    if not is_valid_modifier_format(modifier):
        return f"Bad modifier {modifier} in {what}: modifiers are 2 characters such as 59, XS, LT, 26"
    if reference.modifier(modifier) is None:
        return (
            f"Unknown modifier {modifier} in {what}: not in the loaded modifier list "
            "(the project's list and the HCPCS Level II modifiers)"
        )
    return None


def check_modifiers(reference, value: object, what: str = "modifiers") -> list[str]:
    """The modifiers of a cell or argument (``"59,XS"``, a Mod1..Mod4 range), each checked;
    :class:`CodeInputError` names the first that is malformed or unknown."""
    mods = [m for m in split_modifiers(value) if m]
    for mod in mods:
        problem = modifier_problem(reference, mod, what)
        if problem is not None:
            raise CodeInputError(problem)
    return mods


def check_setting(value: object, table: str = schema.PTP) -> Setting:
    """The setting, refused (naming the valid ones) when it is unknown or ``table`` does not
    have it; :class:`CodeInputError` either way."""
    try:
        return setting_for_table(value, table)
    except ValueError as exc:
        raise CodeInputError(str(exc)) from None


def check_pair(
    reference,
    code1: object,
    code2: object,
    mods1: object = None,
    mods2: object = None,
    date_of_service: dt.date | None = None,
    setting: object = None,
    names: Iterable[str] = ("code1", "code2", "mods1", "mods2"),
) -> tuple[str, str, list[str], list[str], Setting]:
    """Everything a PTP question needs, checked in the order the user typed it: the setting
    (PTP has practitioner and hospital only), both codes, both modifier lists."""
    name1, name2, mname1, mname2 = names
    chosen = check_setting(setting, schema.PTP)
    first = check_code(reference, code1, date_of_service, name1, chosen)
    second = check_code(reference, code2, date_of_service, name2, chosen)
    return (
        first,
        second,
        check_modifiers(reference, mods1, mname1),
        check_modifiers(reference, mods2, mname2),
        chosen,
    )
