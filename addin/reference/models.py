"""The records the data layer answers with (pydantic): one shape for CLI, Excel and server."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Source(BaseModel):
    """Where an answer came from: table, setting, vintage and file."""

    table: str
    setting: str = "all"
    vintage: dt.date | None = None
    origin: str = "bundled"  # "bundled" or "imported"
    file: str = ""

    @property
    def label(self) -> str:
        """Short text such as ``CMS PTP practitioner 2024-07-01 (imported)``."""
        setting = "" if self.setting == "all" else f" {self.setting}"
        vintage = f" {self.vintage.isoformat()}" if self.vintage else ""
        return f"{self.table.upper()}{setting}{vintage} ({self.origin})"


class Currency(BaseModel):
    """Whether the table version answering a date of service covers that date.

    ``status``: ``current`` (the date falls in the version's period), ``stale`` (the date's
    period is later than the version's), ``uncovered`` (the date is before every version) or
    ``missing`` (no version of the table is loaded). See :mod:`addin.reference.currency`.
    """

    table: str
    setting: str = "all"
    date_of_service: dt.date
    status: str = "current"
    vintage: dt.date | None = None
    origin: str = ""
    version_period: str = ""  # e.g. "2024Q3" (or "2024" for a yearly table)
    date_period: str = ""  # the date of service's period, e.g. "2026Q2"
    oldest_period: str = ""  # the oldest loaded version's period (for "uncovered")

    @property
    def ok(self) -> bool:
        """True when the answering version covers the date (or nothing can be said)."""
        return self.status in ("current", "missing")

    @property
    def suffix(self) -> str:
        """The short note a cell carries, e.g. ``[PTP table 2024Q3 older than 2026Q2]``."""
        name = self.table.upper()
        if self.status == "stale":
            return f"[{name} table {self.version_period} older than {self.date_period}]"
        if self.status == "uncovered":
            return f"[no {name} table covers {self.date_period}; oldest is {self.oldest_period}]"
        return ""

    @property
    def table_name(self) -> str:
        """``PTP practitioner`` / ``RVU``."""
        setting = "" if self.setting == "all" else f" {self.setting}"
        return f"{self.table.upper()}{setting}"

    @property
    def sentence(self) -> str:
        """The plain-words statement for the CLI, the report and the server (``""`` when current)."""
        dos = self.date_of_service.isoformat()
        where = f"{self.version_period}, {self.origin}" if self.origin else self.version_period
        if self.status == "stale":
            return (
                f"The {self.table_name} table answering ({where}) is older than the date of "
                f"service {dos} ({self.date_period}): changes CMS published after "
                f"{self.version_period} are not known to this answer. Import the current tables "
                "(cpt-addin data fetch, or cpt-addin data import)."
            )
        if self.status == "uncovered":
            return (
                f"No loaded {self.table_name} table covers the date of service {dos} "
                f"({self.date_period}): the oldest is {self.oldest_period}, so this answer comes "
                "from a later table and may not be the rule of that date. Import the table for "
                "that quarter (cpt-addin data import)."
            )
        return ""


class PtpEdit(BaseModel):
    """One row of an NCCI procedure-to-procedure table (one episode of a pair)."""

    column_1: str
    column_2: str
    modifier_indicator: int
    rationale: str
    effective_date: dt.date | None = None  # None: applies from the start (unknown)
    deletion_date: dt.date | None = None  # None: still active; else the last day it applies
    pre_1996: bool = False
    applies: bool = False  # on the date of service asked about
    source: str = ""

    @property
    def bypassable(self) -> bool:
        """True for indicator 1 (an NCCI-associated modifier may bypass the edit)."""
        return self.modifier_indicator == 1


class PairAnswer(BaseModel):
    """Everything known about a pair of codes on a date of service in a setting."""

    code1: str
    code2: str
    date_of_service: dt.date
    setting: str
    edits: list[PtpEdit] = Field(default_factory=list)  # every row, either order
    source: str = ""
    currency: Currency | None = None

    @property
    def applicable(self) -> list[PtpEdit]:
        """Rows in force on the date of service (indicator 9 never is)."""
        return [edit for edit in self.edits if edit.applies]


class MueFact(BaseModel):
    """A medically unlikely edit: the most units per day (MAI says how they are counted)."""

    code: str
    mue_units: int
    mai: int
    rationale: str = ""
    setting: str = "practitioner"
    source: str = ""

    @property
    def mai_text(self) -> str:
        """What the adjudication indicator means, in words."""
        return MAI_TEXT.get(self.mai, f"MAI {self.mai}")


MAI_TEXT = {
    1: "MAI 1, line edit: each claim line is judged on its own",
    2: "MAI 2, date-of-service edit (policy): units are summed per date and the limit is absolute",
    3: "MAI 3, date-of-service edit (clinical): units are summed per date; "
    "an appeal with records may overturn a denial",
}


class AddonPrimary(BaseModel):
    """One primary code listed for an add-on code."""

    primary_code: str
    primary_deletion_date: dt.date | None = None


class AddonFact(BaseModel):
    """An NCCI add-on code edit: type and the primaries it needs."""

    addon_code: str
    edit_type: int
    primaries: list[str] = Field(default_factory=list)  # empty for type 2 (contractor-defined)
    contractor_defined: bool = False
    effective_date: dt.date | None = None
    deletion_date: dt.date | None = None
    notes: str = ""
    source: str = ""

    @property
    def type_text(self) -> str:
        """The edit type in words."""
        return ADDON_TYPE_TEXT.get(self.edit_type, f"type {self.edit_type}")


ADDON_TYPE_TEXT = {
    1: "type 1: paid only with one of the listed primary codes",
    2: "type 2: no primary list; the contractor decides which primaries qualify",
    3: "type 3: some primaries are listed; the contractor may accept others",
}


class FeeScheduleFact(BaseModel):
    """Physician Fee Schedule indicators for one code (and modifier row) from the RVU file."""

    code: str
    modifier: str = ""
    status: str = ""
    pctc: str = ""
    global_days: str = ""
    mult_proc: str = ""
    bilat: str = ""
    asst: str = ""
    co_surg: str = ""
    team_surg: str = ""
    endo_base: str = ""
    pric_ind: str = ""
    work_rvu: float | None = None
    nonfac_total: float | None = None
    fac_total: float | None = None
    source: str = ""


class CodeNotes(BaseModel):
    """Project-written notes about a code (service type, site, related codes, documentation)."""

    description: str = ""
    service_type: str = ""
    site_of_service: str = ""
    related_diagnoses: list[str] = Field(default_factory=list)
    related_procedures: list[str] = Field(default_factory=list)
    documentation: str = ""
    specialties: list[str] = Field(default_factory=list)
    source: str = ""


class CodeInfo(BaseModel):
    """What a coder wants to know about one code on a date of service."""

    code: str
    date_of_service: dt.date
    setting: str
    category: str | None  # code set by format, None = not a valid code shape
    known: bool
    active: bool
    inactive_reason: str = ""
    description: str = ""  # licensed/public description (RVU DESCRIPTION or HCPCS text)
    description_source: str = ""
    plain_description: str = ""  # project-written paraphrase
    fee_schedule: FeeScheduleFact | None = None
    component_rows: list[FeeScheduleFact] = Field(default_factory=list)  # 26 / TC / 53 rows
    mue: MueFact | None = None
    addon: AddonFact | None = None
    addon_for: list[str] = Field(default_factory=list)  # add-on codes this code is a primary of
    notes: CodeNotes | None = None
    sources: list[str] = Field(default_factory=list)
    currency: list[Currency] = Field(default_factory=list)  # one per table consulted

    def currency_for(self, table: str) -> Currency | None:
        """The currency of one table in this answer (None when not consulted)."""
        return next((c for c in self.currency if c.table == table), None)


class ModifierFact(BaseModel):
    """A modifier and the attributes the rules use."""

    modifier: str
    description: str
    ncci_associated: bool = False
    anatomic_family: str = ""
    site: str = ""
    kind: str = ""
    category: str = ""
    source: str = ""


class PlaceOfService(BaseModel):
    """A CMS place-of-service code."""

    pos_code: str
    pos_type: str = ""
    name: str = ""
    description: str = ""
    source: str = ""


class Icd10Fact(BaseModel):
    """An ICD-10-CM code: valid, billable (a leaf code), description."""

    code: str
    valid: bool
    billable: bool = False
    description: str = ""
    source: str = "ICD-10-CM (simple-icd-10-cm)"
    #: False when no imported ICD-10-CM fiscal year covers the date of service (no judgement)
    covered: bool = True
    #: how the typed form was read (``typed as 'e119', read as E11.9``), or why not covered
    note: str = ""


class TableVersion(BaseModel):
    """One loaded version of a table, for ``CPT_DATA_VERSION`` and report About sheets."""

    table: str
    setting: str
    vintage: dt.date | None
    origin: str
    rows: int
    files: list[str] = Field(default_factory=list)
    period: str = ""  # the period the version covers, e.g. "2024Q3"
    # batch checks: lines this version answered whose date is later than / before its period
    lines_stale: int = 0
    lines_uncovered: int = 0
    stale_periods: list[str] = Field(default_factory=list)  # the date periods of those lines
