"""The canonical shape of every reference table, shared by importers, bundled data and loader.

Importers turn each official CMS layout into one of these DataFrames; the bundled CSV files
in ``data/`` use the same columns (plus ``source``); the loader reads nothing else. Dates are
``datetime.date``-typed columns (pandas ``datetime64``/pyarrow ``date32``); a missing
effective date means "applies from the start", a missing deletion date means "still active".

Store layout (under ``CPT_ADDIN_HOME``, default the platform user-data folder)::

    store/manifest.json                  # {"format": 1, "imports": [ImportRecord, ...]}
    store/<table>/<setting>/<vintage>__<part>__<sha8>.parquet

An import is identified by (table, setting, vintage, part). Importing the same bytes twice is a
no-op; importing other bytes for the same identity replaces the earlier entry (a re-release).
PTP TXT/XLSX files come in parts (``-f1`` .. ``-f4``); the loader concatenates all parts of
the chosen vintage.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

# Table names (the ``table`` field of the manifest and the folder under store/).
PTP = "ptp"
MUE = "mue"
AOC = "aoc"
RVU = "rvu"
HCPCS = "hcpcs"
POS = "pos"
ICD10CM = "icd10cm"  # ICD-10-CM order file, one version per fiscal year (vintage = 1 October)
ALL_SETTINGS = "all"  # setting value for tables that do not vary by setting

TABLE_SETTINGS: dict[str, tuple[str, ...]] = {
    PTP: ("practitioner", "hospital"),
    MUE: ("practitioner", "hospital", "dme"),
    AOC: (ALL_SETTINGS,),
    RVU: (ALL_SETTINGS,),
    HCPCS: (ALL_SETTINGS,),
    POS: (ALL_SETTINGS,),
    ICD10CM: (ALL_SETTINGS,),
}

# Columns of each canonical table, in order. Types in comments.
COLUMNS: dict[str, list[str]] = {
    # column_1, column_2: str code; pre_1996: bool; effective_date, deletion_date: date or NaT;
    # modifier_indicator: int 0/1/9; rationale: str
    PTP: [
        "column_1",
        "column_2",
        "pre_1996",
        "effective_date",
        "deletion_date",
        "modifier_indicator",
        "rationale",
    ],
    # code: str; mue_units: int; mai: int 1/2/3; rationale: str
    MUE: ["code", "mue_units", "mai", "rationale"],
    # edit_type: int 1/2/3; addon_code, primary_code: str (primary "CCCCC" = contractor defined);
    # *_date: date or NaT; notes: str
    AOC: [
        "edit_type",
        "addon_code",
        "addon_deletion_date",
        "primary_code",
        "primary_deletion_date",
        "effective_date",
        "deletion_date",
        "notes",
    ],
    # One row per (code, modifier) as in the RVU file: modifier "" for the global row, "26",
    # "TC", "53" for the separate rows. Indicators kept as the file's text ("0".."9", "XXX").
    RVU: [
        "code",
        "modifier",
        "description",
        "status",
        "pctc",
        "global_days",
        "mult_proc",
        "bilat",
        "asst",
        "co_surg",
        "team_surg",
        "endo_base",
        "pric_ind",
        "work_rvu",
        "nonfac_total",
        "fac_total",
        "conv_factor",
    ],
    # kind: "code" or "modifier"; dates date or NaT; action_code str
    HCPCS: [
        "code",
        "kind",
        "long_description",
        "short_description",
        "add_date",
        "effective_date",
        "termination_date",
        "action_code",
    ],
    # pos_code: 2-digit str; pos_type: "Facility"/"Non-Facility"/""
    POS: ["pos_code", "pos_type", "name", "description"],
    # code: str, dotless upper case (``E119``); billable: bool (the order file's header flag:
    # True = valid for HIPAA-covered transactions, False = a header); order_number: int
    ICD10CM: ["code", "billable", "short_description", "long_description", "order_number"],
}

DATE_COLUMNS: dict[str, list[str]] = {
    PTP: ["effective_date", "deletion_date"],
    MUE: [],
    AOC: [
        "addon_deletion_date",
        "primary_deletion_date",
        "effective_date",
        "deletion_date",
    ],
    RVU: [],
    HCPCS: ["add_date", "effective_date", "termination_date"],
    POS: [],
    ICD10CM: [],
}

CONTRACTOR_DEFINED_PRIMARY = "CCCCC"


class ImportRecord(BaseModel):
    """One entry of the store manifest: a file imported into one table/setting/vintage."""

    table: str
    setting: str
    vintage: dt.date
    part: str = ""
    layout: str  # e.g. "ptp-txt", "mue-official-csv", "rvu-2026-csv", "plain-csv"
    source_file: str  # file name (and member name inside a zip: "q.zip!ccipra-f1.txt")
    sha256: str  # of the *source* file's bytes (a re-import of the same bytes is a no-op)
    rows: int
    imported_at: dt.datetime
    path: str  # parquet path relative to the store folder
    # the stored Parquet file itself, for ``data verify`` and the load-time check; empty/0 in
    # manifests written before they were recorded (``cpt-addin data repair`` adds them)
    parquet_sha256: str = ""
    parquet_bytes: int = 0
    # PTP only: the version's stored pair index (addin.reference.ptp_index_file), the same on
    # every part of the version; empty in stores written before it (``data repair`` adds it)
    index_path: str = ""
    index_sha256: str = ""
    index_bytes: int = 0

    @property
    def label(self) -> str:
        """Human label of the table version, e.g. ``PTP practitioner 2024-07-01``."""
        setting = "" if self.setting == ALL_SETTINGS else f" {self.setting}"
        return f"{self.table.upper()}{setting} {self.vintage.isoformat()}"
