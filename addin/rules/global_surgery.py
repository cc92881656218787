"""Global surgery: visits and procedures inside a surgery's global period (family ``global``).

The fee schedule (RVU file, column GLOB DAYS, read per line from the release that answers
its date of service) gives each procedure its global period:

- ``090`` major surgery: the day before, the day of the procedure and 90 post-operative days;
- ``010`` minor surgery: the day of the procedure and 10 post-operative days;
- ``000`` endoscopies and minor procedures: the day of the procedure only;
- ``ZZZ`` add-on code: inside the global period of its primary procedure; an add-on line
  never opens a period and is never flagged here (its primary line is);
- ``XXX`` the global concept does not apply (visits, imaging, labs): such lines never open a
  period and are never "a procedure in the period";
- ``MMM`` maternity care (the obstetric package has its own rules): ignored here;
- ``YYY`` the Medicare contractor sets the period: unknown to us, so ignored here.

Days are counted from the date of service: the post-operative days of a procedure on day 0
are days 1..10 (``010``) or 1..90 (``090``). A procedure billed with 78 (unplanned return to
the operating room) does not open a period of its own (CMS: the original period continues).

The global package belongs to the surgeon (CMS: the same physician, or physicians of the
same group and specialty). The claim lines carry no group, so the checker keys on the
rendering NPI column given: same patient, same ``provider_npi``. A visit by a different NPI
is never flagged, even when that physician is in the surgeon's group.

E/M services are the codes of :func:`addin.rules.context.is_em_codes`: 99202-99499 (the E/M
section: office, hospital, consultation, emergency, critical care, nursing facility, home,
preventive, prolonged and care-management services) and the ophthalmological visits
92002-92014, i.e. the codes modifiers 24, 25 and 57 concern. 99024 (post-operative visit,
status B) is outside the set: it is how an included post-op visit is reported.

Everything is keyed by patient (and provider), so a partition of patients needs nothing
outside it. Windows are found with sorted searches (``merge_asof`` by patient + provider),
never a Python loop over lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits
from addin.rules.text import cat, iso_dates, rows_text

NO_DAY = np.iinfo(np.int64).min


#: GLOB DAYS values the rules tell apart, as small integers per line
KIND_NONE, KIND_000, KIND_010, KIND_090 = 0, 1, 2, 3
_KINDS = {"000": KIND_000, "010": KIND_010, "090": KIND_090}
_POSTOP_BY_KIND = np.array([0, 0, 10, 90], dtype=np.int64)
_LABEL_BY_KIND = np.array(["", "000", "010", "090"], dtype=object)


@dataclass
class GlobalLines:
    """The lines the global rules read (positions in ``context.lines``)."""

    key: np.ndarray  # patient + provider id per line
    day: np.ndarray  # int64 day per line (NO_DAY when the date is missing)
    kind: np.ndarray  # int8 KIND_* per line (GLOB DAYS 000/010/090, else KIND_NONE)
    source: pd.Series  # fee-schedule source per line
    em: np.ndarray  # bool: E/M code
    dated: np.ndarray  # bool: line has a date of service

    def label(self, lines: np.ndarray) -> pd.Series:
        """The GLOB DAYS value (``090`` ...) of the lines at ``lines``."""
        return pd.Series(_LABEL_BY_KIND[self.kind[lines]], dtype=object)


def _kinds(values: pd.Series) -> np.ndarray:
    """KIND_* per value of a (categorical or text) GLOB DAYS column, one lookup per category."""
    column = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    categories = pd.Series(np.asarray(column.cat.categories, dtype=object)).astype(str).str.strip()
    per_category = np.append(categories.map(_KINDS).fillna(KIND_NONE).to_numpy(np.int8), KIND_NONE)
    return per_category[column.cat.codes.to_numpy()]


def _global_lines(context: RuleContext) -> GlobalLines:
    def build() -> GlobalLines:
        lines = context.lines
        n = len(lines)
        patient = context.patient_numbers
        provider, providers = pd.factorize(lines["provider_npi"])
        key = patient * (len(providers) + 1) + provider
        day = lines["day"].to_numpy(dtype=np.int64)
        dated = lines["dos"].notna().to_numpy()
        status = context.code_status
        kind = (
            _kinds(pd.Series(status["global_days"]).reset_index(drop=True))
            if "global_days" in status
            else np.zeros(n, np.int8)
        )
        source = (
            pd.Series(status["source"]).reset_index(drop=True)
            if "source" in status
            else pd.Series([""] * n, dtype=object)
        )
        return GlobalLines(
            key=key,
            day=np.where(dated, day, NO_DAY),
            kind=kind,
            source=source,
            em=np.asarray(context.is_em, dtype=bool),
            dated=dated,
        )

    return context.memo("global_lines", build)


def _windows(context: RuleContext, g: GlobalLines, targets: np.ndarray) -> pd.DataFrame:
    """For each target line, the procedure whose post-operative days hold its date.

    Procedures with 010/090 days (not billed with 78) open the window days ``day+1 ..
    day+N``. Per patient and provider the procedures are sorted by day and the running
    latest window end is carried forward with the procedure that set it, so a
    ``merge_asof`` (strictly earlier days) finds, for every target, whether any earlier
    procedure's window still covers it. Returns ``line`` (target), ``procedure`` (line),
    ``end`` (last post-op day), one row per covered target.
    """
    days = _POSTOP_BY_KIND[g.kind]
    opens = (days > 0) & g.dated & ~context.has_modifier("78")
    starts = np.flatnonzero(opens)
    empty = pd.DataFrame(
        {"line": np.zeros(0, np.int64), "procedure": np.zeros(0, np.int64), "end": 0}
    )
    targets = targets[g.dated[targets]]
    if not len(starts) or not len(targets):
        return empty
    proc = pd.DataFrame(
        {
            "key": g.key[starts],
            "day": g.day[starts],
            "end": g.day[starts] + days[starts],
            "procedure": starts,
        }
    ).sort_values(["key", "day", "end"], kind="stable")
    latest = proc.groupby("key")["end"].cummax()
    setter = proc["procedure"].where(proc["end"] == latest)
    proc = proc.assign(end=latest, procedure=setter.groupby(proc["key"]).ffill())
    proc = proc.sort_values("day", kind="stable")
    wanted = pd.DataFrame(
        {"key": g.key[targets], "day": g.day[targets], "line": targets}
    ).sort_values("day", kind="stable")
    joined = pd.merge_asof(
        wanted, proc, on="day", by="key", allow_exact_matches=False, direction="backward"
    )
    joined = joined[joined["procedure"].notna() & (joined["day"] <= joined["end"])]
    return (
        pd.DataFrame(
            {
                "line": joined["line"].to_numpy(dtype=np.int64),
                "procedure": joined["procedure"].to_numpy(dtype=np.int64),
                "end": joined["end"].to_numpy(dtype=np.int64),
            }
        )
        .sort_values("line", kind="stable")
        .reset_index(drop=True)
    )


def _same_or_next_day(
    g: GlobalLines, targets: np.ndarray, partners: np.ndarray, offsets: tuple[int, ...]
) -> pd.DataFrame:
    """For each target, the first partner line (same patient + provider) dated the target's
    day plus one of ``offsets`` (0: same day, 1: the next day). ``line, procedure``."""
    targets = targets[g.dated[targets]]
    partners = partners[g.dated[partners]]
    empty = pd.DataFrame({"line": np.zeros(0, np.int64), "procedure": np.zeros(0, np.int64)})
    if not len(targets) or not len(partners):
        return empty
    table = pd.DataFrame(
        {"key": g.key[partners], "day": g.day[partners], "procedure": partners}
    ).drop_duplicates(["key", "day"])
    found = []
    for offset in offsets:  # one or two merges, not a loop over lines
        wanted = pd.DataFrame(
            {"key": g.key[targets], "day": g.day[targets] + offset, "line": targets}
        )
        found.append(wanted.merge(table, on=["key", "day"])[["line", "procedure"]])
    out = pd.concat(found, ignore_index=True).drop_duplicates("line")
    return out.sort_values("line", kind="stable").reset_index(drop=True)


def _day_text(day: np.ndarray) -> pd.Series:
    return iso_dates(np.asarray(day, dtype=np.int64).astype("datetime64[D]"))


def _proc_text(context: RuleContext, g: GlobalLines, procedure: np.ndarray) -> pd.Series:
    """``27447 (090 global days) on 2026-03-02 (row 5)``."""
    return cat(
        pd.Series(context.cpt[procedure], dtype=object),
        " (",
        g.label(procedure),
        " global days) on ",
        _day_text(g.day[procedure]),
        " (row ",
        rows_text(context.lines["row"].to_numpy()[procedure]),
        ")",
    )


def _window_text(g: GlobalLines, procedure: np.ndarray, end: np.ndarray) -> pd.Series:
    return cat("post-operative days ", _day_text(g.day[procedure] + 1), " to ", _day_text(end))


def _source(g: GlobalLines, procedure: np.ndarray) -> pd.Series:
    return cat("RVU GLOB DAYS, ", g.source.take(procedure).astype(object).fillna(""))


def _findings(
    context: RuleContext,
    g: GlobalLines,
    frame: pd.DataFrame,
    message: pd.Series,
    suggestion: pd.Series,
) -> pd.DataFrame:
    hits = Hits(context, frame["line"].to_numpy())
    procedure = frame["procedure"].to_numpy()
    return hits.findings(
        related_code=pd.Series(context.cpt[procedure], dtype=object),
        message=message,
        suggestion=suggestion,
        source=_source(g, procedure),
        related_line=procedure,
    )


class GLB001(Rule):
    """An E/M visit in the post-operative days of a 010/090 procedure, without 24 or 25.

    **What it checks.** E/M lines (99202-99499, 92002-92014) of the same patient and the same
    rendering NPI dated 1 to 10 days after a procedure with 010 global days, or 1 to 90 days
    after one with 090 global days (GLOB DAYS of the fee-schedule release of the procedure's
    date of service), without modifier 24 (unrelated E/M in a post-operative period) or 25.
    The message names the procedure, its date and the post-operative days.

    **Why CMS denies it.** The global surgical package pays the surgeon for the usual
    post-operative visits; a visit in the period is bundled into the surgery and denied
    unless 24 says it is unrelated to it (25 marks a significant, separately identifiable
    visit on the day of another minor procedure).

    **Example.** 27447 (090 days) on 2026-03-02, then 99213 by the same NPI on 2026-03-20.

    **Fix.** If the visit treated a problem unrelated to the surgery, add 24 and a diagnosis
    that shows it; if it was routine follow-up, it is included in the surgery: remove the
    charge (report 99024 where the payer tracks post-operative visits).
    """

    rule_id = "GLB001"
    family = "global"
    name = "global.em_in_postop"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        g = _global_lines(context)
        targets = np.flatnonzero(g.em & ~context.has_modifier(("24", "25")))
        frame = _windows(context, g, targets)
        if not len(frame):
            return no_findings()
        procedure, end = frame["procedure"].to_numpy(), frame["end"].to_numpy()
        hits = Hits(context, frame["line"].to_numpy())
        message = cat(
            "E/M IN GLOBAL PERIOD: ",
            hits.code,
            " on ",
            _day_text(g.day[frame["line"].to_numpy()]),
            " falls in the global period of ",
            _proc_text(context, g, procedure),
            " by the same patient and provider (",
            _window_text(g, procedure, end),
            "), without 24 or 25.",
        )
        suggestion = cat(
            "If the visit on row ",
            hits.rows,
            " was unrelated to the surgery, add 24 and the diagnosis that shows it; routine "
            "post-operative care is included in the surgery's payment (no separate charge).",
        )
        return _findings(context, g, frame, message, suggestion)


class GLB002(Rule):
    """An E/M visit the day before or the day of a 090 (major) procedure, without 57.

    **What it checks.** E/M lines of the same patient and rendering NPI dated the day of, or
    the day before, a procedure with 090 global days, without modifier 57 (decision for
    surgery).

    **Why CMS denies it.** For major surgery the global package starts the day before the
    operation: the pre-operative visit is bundled unless it is the visit where the decision
    to operate was made, which 57 marks.

    **Example.** 99214 on 2026-03-01 and 27447 on 2026-03-02 by the same NPI, no 57.

    **Fix.** If the visit is where the decision for surgery was made, add 57; otherwise it
    is included in the surgery.
    """

    rule_id = "GLB002"
    family = "global"
    name = "global.em_before_major"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        g = _global_lines(context)
        targets = np.flatnonzero(g.em & ~context.has_modifier("57"))
        majors = np.flatnonzero(g.kind == KIND_090)
        frame = _same_or_next_day(g, targets, majors, (0, 1))
        if not len(frame):
            return no_findings()
        procedure = frame["procedure"].to_numpy()
        line = frame["line"].to_numpy()
        hits = Hits(context, line)
        when = pd.Series(
            np.where(g.day[line] == g.day[procedure], "the day of", "the day before"),
            dtype=object,
        )
        has_25 = context.has_modifier("25")[line]
        extra = pd.Series(
            np.where(
                has_25, " 25 does not apply here: it is for visits with 000/010 procedures.", ""
            ),
            dtype=object,
        )
        message = cat(
            "E/M BEFORE MAJOR SURGERY: ",
            hits.code,
            " on ",
            _day_text(g.day[line]),
            " is ",
            when,
            " ",
            _proc_text(context, g, procedure),
            " by the same patient and provider (the global period runs ",
            _day_text(g.day[procedure] - 1),
            " to ",
            _day_text(g.day[procedure] + 90),
            "), without 57.",
            extra,
        )
        suggestion = cat(
            "Add 57 to row ",
            hits.rows,
            " if this visit is where the decision for surgery was made; otherwise it is "
            "included in the surgery.",
        )
        return _findings(context, g, frame, message, suggestion)


class GLB003(Rule):
    """An E/M visit on the day of a 000/010 procedure, without 25.

    **What it checks.** E/M lines of the same patient and rendering NPI dated the day of a
    procedure with 000 or 010 global days, without modifier 25 (significant, separately
    identifiable E/M). Days that also hold a 090 procedure are left to GLB002 (57).

    **Why CMS denies it.** The global package of a minor procedure includes the usual
    evaluation on the day of the procedure; a visit beyond it is paid only when 25 says it
    is significant and separately identifiable.

    **Example.** 99213 and 64483 (000 days) on 2026-06-09 by the same NPI, no 25.

    **Fix.** If the visit went beyond the usual pre-procedure evaluation (documented
    separately), add 25 to the E/M; otherwise it is included in the procedure.
    """

    rule_id = "GLB003"
    family = "global"
    name = "global.em_same_day_minor"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        g = _global_lines(context)
        targets = np.flatnonzero(g.em & ~context.has_modifier("25"))
        minors = np.flatnonzero((g.kind == KIND_000) | (g.kind == KIND_010))
        frame = _same_or_next_day(g, targets, minors, (0,))
        majors = _same_or_next_day(
            g, frame["line"].to_numpy(), np.flatnonzero(g.kind == KIND_090), (0,)
        )
        frame = frame[~frame["line"].isin(majors["line"])].reset_index(drop=True)
        if not len(frame):
            return no_findings()
        procedure = frame["procedure"].to_numpy()
        hits = Hits(context, frame["line"].to_numpy())
        message = cat(
            "E/M WITH MINOR PROCEDURE: ",
            hits.code,
            " on ",
            _day_text(g.day[procedure]),
            " is billed the day of ",
            _proc_text(context, g, procedure),
            " by the same patient and provider, without 25.",
        )
        suggestion = cat(
            "Add 25 to row ",
            hits.rows,
            " if the visit was significant and separately identifiable (documented apart "
            "from the procedure); otherwise it is included in the procedure.",
        )
        return _findings(context, g, frame, message, suggestion)


class GLB004(Rule):
    """A procedure in the post-operative days of another procedure, without 58, 78 or 79.

    **What it checks.** Procedure lines (000, 010 or 090 global days) of the same patient and
    rendering NPI dated 1 to 10 (010) or 1 to 90 (090) days after an earlier procedure,
    without 58 (staged or related procedure), 78 (unplanned return to the operating room,
    related) or 79 (unrelated procedure). Add-on codes (ZZZ) follow their primary and are
    not flagged; codes without a surgical global period (XXX, MMM, YYY) are not either.

    **Why CMS denies it.** Treatment of complications and related procedures in the global
    period is part of the surgical package unless a modifier says the new procedure was
    staged or planned (58), a return to the operating room (78) or unrelated (79).

    **Example.** 19301 (090 days) on 2026-08-03, then 19301 again on 2026-09-10 by the same
    NPI, no modifier.

    **Fix.** Add 58, 78 or 79 as the record supports; a procedure that treats a routine
    complication without a return to the operating room is not separately payable.
    """

    rule_id = "GLB004"
    family = "global"
    name = "global.procedure_in_postop"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        g = _global_lines(context)
        targets = np.flatnonzero((g.kind != KIND_NONE) & ~context.has_modifier(("58", "78", "79")))
        frame = _windows(context, g, targets)
        if not len(frame):
            return no_findings()
        procedure, end = frame["procedure"].to_numpy(), frame["end"].to_numpy()
        line = frame["line"].to_numpy()
        hits = Hits(context, line)
        message = cat(
            "PROCEDURE IN GLOBAL PERIOD: ",
            hits.code,
            " on ",
            _day_text(g.day[line]),
            " falls in the global period of ",
            _proc_text(context, g, procedure),
            " by the same patient and provider (",
            _window_text(g, procedure, end),
            "), without 58, 78 or 79.",
        )
        suggestion = cat(
            "Add 58 (staged or related), 78 (return to the operating room) or 79 (unrelated) "
            "to row ",
            hits.rows,
            " as the record supports.",
        )
        return _findings(context, g, frame, message, suggestion)


RULES = [GLB001, GLB002, GLB003, GLB004]
