"""The store: atomic, idempotent imports; re-releases replace; refused files change nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from addin.codes import encode_codes, pair_keys
from addin.errors import InputFileError, StoreDamagedError
from addin.reference import schema
from addin.reference.importers.sources import zip_bomb_problem
from addin.reference.paths import store_dir
from addin.reference.store import ALREADY, HELD_BACK, IMPORTED, REFUSED, SKIPPED, Store

SHARED = Path(__file__).parents[1].parent / "shared"

PTP_HEADER = (
    "CPT only copyright 2025 American Medical Association.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
)
PTP_ROWS = [
    "47383\t77002\t\t20190101\t*\t1\tMisuse of Column Two code with Column One code",
    "43497\t43235\t\t20190101\t*\t0\tCPT Manual or CMS manual coding instruction",
    "0001A\t0591T\t\t20220101\t20231231\t1\tCPT Manual or CMS manual coding instruction",
    "43497\t43191\t*\t20190101\t*\t0\tStandards of medical/surgical practice",
]
MUE_NOTICE = '"Current Procedural Terminology (CPT) codes ... AMA.\n\nAll rights reserved.",,,\r\n'
MUE_HEADER = '"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'


def ptp_txt(rows: list[str] = PTP_ROWS) -> bytes:
    return (PTP_HEADER + "".join(r + "\r\n" for r in rows)).encode("latin-1")


def mue_csv(rows: list[str] | None = None) -> bytes:
    rows = rows or [
        "47383,1,2 Date of Service Edit: Policy,Anatomic Consideration",
        "0397T,1,3 Date of Service Edit: Clinical,Nature of Service",
    ]
    return (MUE_NOTICE + MUE_HEADER + "".join(r + "\r\n" for r in rows)).encode("latin-1")


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def checksum(folder: Path) -> str:
    """Hash of every file (name and bytes) under a folder: 'byte-for-byte unchanged'."""
    digest = hashlib.sha256()
    if folder.exists():
        for path in sorted(p for p in folder.rglob("*")):
            digest.update(path.relative_to(folder).as_posix().encode())
            if path.is_file():
                digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "home" / "store")


def test_default_root_is_under_cpt_addin_home(isolated_home):
    assert Store().root == store_dir() == isolated_home / "store"


def test_import_writes_parquet_and_manifest(store, tmp_path):
    path = write(tmp_path / "in", "ccipra-v322r0-f1.txt", ptp_txt())
    result = store.import_paths([path])
    assert result.ok and [o.status for o in result.outcomes] == [IMPORTED]
    (record,) = store.records()
    assert (record.table, record.setting, record.vintage, record.part, record.layout) == (
        "ptp",
        "practitioner",
        dt.date(2026, 7, 1),
        "f1",
        "ptp-txt",
    )
    assert record.rows == 4
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.path == f"ptp/practitioner/2026-07-01__f1__{record.sha256[:8]}.parquet"
    assert record.source_file == "ccipra-v322r0-f1.txt"
    manifest = json.loads(store.manifest_path.read_text())
    assert manifest["format"] == 1 and len(manifest["imports"]) == 1
    assert not list(store.root.parent.glob(".cpt-addin-import-*"))  # staging cleaned up


def test_ptp_parquet_is_keyed_sorted_and_typed(store, tmp_path):
    store.import_paths([write(tmp_path, "ccipra-v322r0-f1.txt", ptp_txt())])
    (record,) = store.records()
    table = pq.read_table(store.root / record.path)
    assert str(table.schema.field("effective_date").type) == "date32[day]"
    assert str(table.schema.field("rationale").type).startswith("dictionary")
    keys = table.column("pair_key").to_numpy()
    assert (np.diff(keys) >= 0).all()
    expected = pair_keys(
        encode_codes(table.column("column_1").to_numpy(zero_copy_only=False).astype(object)),
        encode_codes(table.column("column_2").to_numpy(zero_copy_only=False).astype(object)),
    )
    assert (keys == expected).all()
    frame = store.read_table(record)
    assert set(schema.COLUMNS[schema.PTP]) <= set(frame.columns)
    assert str(frame.effective_date.dtype).startswith("datetime64")
    row = frame[(frame.column_1 == "0001A")].iloc[0]
    assert row.deletion_date.date() == dt.date(2023, 12, 31)
    only = store.read_table(record, columns=["column_1", "pair_key"])
    assert list(only.columns) == ["column_1", "pair_key"]


def test_same_bytes_twice_is_a_no_op(store, tmp_path):
    path = write(tmp_path, "ccipra-v322r0-f1.txt", ptp_txt())
    store.import_paths([path])
    before = checksum(store.root)
    result = store.import_paths([path])
    assert [o.status for o in result.outcomes] == [ALREADY]
    assert checksum(store.root) == before


def test_re_release_replaces_the_earlier_entry(store, tmp_path):
    first = write(tmp_path / "a", "ccipra-v322r0-f1.txt", ptp_txt())
    store.import_paths([first])
    (old,) = store.records()
    second = write(tmp_path / "b", "ccipra-v322r1-f1.txt", ptp_txt(PTP_ROWS[:2]))
    result = store.import_paths([second])
    assert result.outcomes[0].status == IMPORTED
    assert "replaces ccipra-v322r0-f1.txt" in result.outcomes[0].message
    (new,) = store.records()
    assert (new.rows, new.vintage, new.part) == (2, old.vintage, "f1")
    assert not (store.root / old.path).exists()
    assert (store.root / new.path).exists()


def test_other_parts_and_vintages_are_kept(store, tmp_path):
    store.import_paths(
        [
            write(tmp_path, "ccipra-v322r0-f1.txt", ptp_txt()),
            write(tmp_path, "ccipra-v322r0-f2.txt", ptp_txt(PTP_ROWS[:1])),
            write(tmp_path, "ccipra-v321r0-f1.txt", ptp_txt(PTP_ROWS[:2])),
            write(tmp_path, "ccioph-v322r0-f1.txt", ptp_txt(PTP_ROWS[:3])),
        ]
    )
    keys = sorted((r.setting, r.vintage.isoformat(), r.part, r.rows) for r in store.records())
    assert keys == [
        ("hospital", "2026-07-01", "f1", 3),
        ("practitioner", "2026-04-01", "f1", 2),
        ("practitioner", "2026-07-01", "f1", 4),
        ("practitioner", "2026-07-01", "f2", 1),
    ]


def test_whole_table_and_parts_replace_each_other(store, tmp_path):
    """A derived whole-table CSV and official parts of the same quarter never coexist."""
    store.import_paths(
        [
            write(tmp_path, "ccipra-v322r0-f1.txt", ptp_txt()),
            write(tmp_path, "ccipra-v322r0-f2.txt", ptp_txt(PTP_ROWS[:1])),
        ]
    )
    whole = (
        "column_1,column_2,deletion_date,modifier_indicator,ptp_edit_rationale\n43497,43235,*,0,x\n"
    )
    store.import_paths([write(tmp_path, "ncci_ptp_practitioner_2026q3.csv", whole.encode())])
    assert [(r.part, r.layout) for r in store.records()] == [("", "plain-csv")]
    store.import_paths([write(tmp_path, "ccipra-v322r0-f3.txt", ptp_txt(PTP_ROWS[:2]))])
    assert [(r.part, r.layout) for r in store.records()] == [("f3", "ptp-txt")]
    assert len(list(store.root.rglob("*.parquet"))) == 1


def test_refused_file_leaves_the_store_byte_for_byte_unchanged(store, tmp_path):
    store.import_paths([write(tmp_path / "ok", "ccipra-v322r0-f1.txt", ptp_txt())])
    before = checksum(store.root)
    bad_rows = [*PTP_ROWS, "43497\t43200\t\t20191399\t*\t0\tx"]
    bad = write(tmp_path / "bad", "ccipra-v322r0-f2.txt", ptp_txt(bad_rows))
    truncated = write(tmp_path / "bad", "ccipra-v322r0-f3.txt", ptp_txt()[:-30])
    result = store.import_paths([bad, truncated])
    assert [o.status for o in result.outcomes] == [REFUSED, REFUSED]
    error = result.outcomes[0].error
    assert isinstance(error, InputFileError)
    assert (error.file, error.line, error.column) == ("ccipra-v322r0-f2.txt", 9, "Effective Date")
    assert checksum(store.root) == before


def test_refused_file_on_an_empty_store_creates_nothing(store, tmp_path):
    bad = write(tmp_path, "ccipra-v322r0-f1.txt", "Column 1\tColumn 2\r\n".encode("utf-16"))
    result = store.import_paths([bad])
    assert result.refused and not store.root.exists()


def test_good_files_import_beside_a_refused_one(store, tmp_path):
    good = write(tmp_path, "ccipra-v322r0-f1.txt", ptp_txt())
    bad = write(
        tmp_path, "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", mue_csv(["47383,x,2,y"])
    )
    result = store.import_paths([good, bad])
    assert [o.status for o in result.outcomes] == [IMPORTED, REFUSED]
    assert [r.table for r in store.records()] == ["ptp"]


def test_all_or_nothing_holds_back_good_files(store, tmp_path):
    good = write(tmp_path, "ccipra-v322r0-f1.txt", ptp_txt())
    bad = write(tmp_path, "ccipra-v322r0-f2.txt", ptp_txt()[:-5])
    result = store.import_paths([good, bad], all_or_nothing=True)
    assert [o.status for o in result.outcomes] == [HELD_BACK, REFUSED]
    assert not store.root.exists()


def test_same_rows_in_another_format_is_already_imported(store, tmp_path):
    """The CSV and the XLSX of one release: imported once, and re-runs stay no-ops."""
    import openpyxl

    csv_path = write(tmp_path, "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", mue_csv())
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["notice"])
    ws.append(
        [
            "HCPCS/\nCPT Code",
            "Practitioner Services MUE Values",
            "MUE Adjudication Indicator",
            "MUE Rationale",
        ]
    )
    ws.append(["47383", 1, "2 Date of Service Edit: Policy", "Anatomic Consideration"])
    ws.append(["0397T", 1, "3 Date of Service Edit: Clinical", "Nature of Service"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx_path = write(
        tmp_path, "MCR_MUE_PractitionerServices_Eff_07-01-2026.xlsx", buffer.getvalue()
    )
    first = store.import_paths([csv_path, xlsx_path])
    assert [o.status for o in first.outcomes] == [IMPORTED, ALREADY]
    assert "same rows as" in first.outcomes[1].message
    before = checksum(store.root)
    again = store.import_paths([xlsx_path, csv_path])
    assert [o.status for o in again.outcomes] == [ALREADY, ALREADY]
    assert checksum(store.root) == before
    assert len(store.records()) == 1


def test_two_different_files_for_one_identity_in_one_import(store, tmp_path):
    first = write(tmp_path / "a", "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", mue_csv())
    second = write(
        tmp_path / "b",
        "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv",
        mue_csv(["47383,2,2 Date of Service Edit: Policy,x"]),
    )
    result = store.import_paths([first, second])
    assert [o.status for o in result.outcomes] == [SKIPPED, IMPORTED]
    assert "replaced by" in result.outcomes[0].message
    (record,) = store.records()
    assert record.rows == 1 and len(list(store.root.rglob("*.parquet"))) == 1


def test_same_bytes_under_another_setting_imports_again(store, tmp_path):
    path = write(
        tmp_path, "payer_2026q1.csv", b"column_1,column_2,modifier_indicator\n43497,43235,0\n"
    )
    store.import_paths([path], setting="practitioner")
    result = store.import_paths([path], setting="hospital")
    assert result.outcomes[0].status == IMPORTED
    assert sorted(r.setting for r in store.records()) == ["hospital", "practitioner"]
    assert store.import_paths([path], setting="hospital").outcomes[0].status == ALREADY


def test_vintage_option_accepts_quarter_text(store, tmp_path):
    path = write(tmp_path, "payer.csv", b"code,mue_units,mai\n47383,1,2\n")
    store.import_paths([path], setting="dme", vintage="2026Q4")
    (record,) = store.records()
    assert (record.table, record.setting, record.vintage) == ("mue", "dme", dt.date(2026, 10, 1))


def test_folder_import_is_recursive_and_ignores_readme(store, tmp_path):
    folder = tmp_path / "cms"
    write(folder / "ptp", "ccipra-v322r0-f1.txt", ptp_txt())
    write(folder / "mue" / "deeper", "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", mue_csv())
    write(folder, "README.md", b"# notes\n")
    write(folder / "ptp", "README.txt", b"not data\n")
    result = store.import_paths([folder])
    assert sorted(o.source for o in result.outcomes) == [
        "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv",
        "ccipra-v322r0-f1.txt",
    ]
    assert sorted(r.table for r in store.records()) == ["mue", "ptp"]


def test_unknown_files_are_skipped_in_folders_but_refused_when_named(store, tmp_path):
    """A CMS zip also holds files cpt-addin does not use (ANES, LOCCO...): skip those."""
    folder = tmp_path / "rvu26a"
    other = write(
        folder, "ANES2026.csv", b"Contractor,Locality,Locality Name,Conv Factor\n01112,05,CA,20.1\n"
    )
    write(folder, "ccipra-v322r0-f1.txt", ptp_txt())
    result = store.import_paths([folder])
    assert [o.status for o in result.outcomes] == [SKIPPED, IMPORTED]
    assert "not a layout cpt-addin knows" in result.outcomes[0].message
    named = store.import_paths([other])
    assert named.outcomes[0].status == REFUSED


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_import_reads_members_in_memory(store, tmp_path):
    inner = make_zip({"ccioph-v322r0-f2.txt": ptp_txt(PTP_ROWS[:2])})
    data = make_zip(
        {
            "ccipra-v322r0-f1.txt": ptp_txt(),
            "README.txt": b"readme",
            "Intro.pdf": b"%PDF-1.4 ...",
            "nested/medicare-ncci-2026q3-hospital-ptp-edits-ccioph-v322r0-f2.zip": inner,
            "__MACOSX/._ccipra-v322r0-f1.txt": b"junk",
        }
    )
    path = write(tmp_path, "medicare-ncci-2026q3-practitioner-ptp-edits.zip", data)
    result = store.import_paths([path])
    statuses = {o.source: o.status for o in result.outcomes}
    assert statuses == {
        "medicare-ncci-2026q3-practitioner-ptp-edits.zip!Intro.pdf": SKIPPED,
        "medicare-ncci-2026q3-practitioner-ptp-edits.zip!ccipra-v322r0-f1.txt": IMPORTED,
        "medicare-ncci-2026q3-practitioner-ptp-edits.zip!nested/medicare-ncci-2026q3-hospital-ptp-edits-ccioph-v322r0-f2.zip!ccioph-v322r0-f2.txt": IMPORTED,
    }
    records = {r.setting: r for r in store.records()}
    assert records["hospital"].part == "f2"
    assert records["practitioner"].source_file.endswith("!ccipra-v322r0-f1.txt")
    assert not list(tmp_path.glob("*.txt"))  # nothing extracted to disk


def test_zip_bomb_is_refused(store, tmp_path):
    bomb = make_zip({"ccipra-v322r0-f1.txt": b"\0" * (20 * 1024 * 1024)})
    path = write(tmp_path, "bomb.zip", bomb)
    result = store.import_paths([path])
    assert [o.status for o in result.outcomes] == [REFUSED]
    assert "zip bomb" in result.outcomes[0].message
    assert not store.root.exists()


def test_zip_size_limit():
    huge = zipfile.ZipInfo("a.txt")
    huge.file_size, huge.compress_size = 3 * 1024**3, 100 * 1024**2
    assert "2 GB" in zip_bomb_problem([huge], 100 * 1024**2)
    fine = zipfile.ZipInfo("b.txt")
    fine.file_size, fine.compress_size = 150 * 1024**2, 20 * 1024**2
    assert zip_bomb_problem([fine], 20 * 1024**2) is None


def test_damaged_zip_is_refused(store, tmp_path):
    path = write(tmp_path, "q.zip", make_zip({"a.txt": b"x" * 1000})[:-40])
    assert store.import_paths([path]).outcomes[0].status == REFUSED


def test_missing_path_is_refused(store, tmp_path):
    result = store.import_paths([tmp_path / "nope.txt"])
    assert result.outcomes[0].status == REFUSED
    assert "no such file" in result.outcomes[0].message


def test_damaged_manifest_is_reported_not_overwritten(store, tmp_path):
    store.root.mkdir(parents=True)
    store.manifest_path.write_text("{not json")
    with pytest.raises(StoreDamagedError, match="manifest"):  # names `cpt-addin data repair`
        store.import_paths([write(tmp_path, "ccipra-v322r0-f1.txt", ptp_txt())])
    assert store.manifest_path.read_text() == "{not json"


def test_shared_cms_tables_without_ptp(store):
    """Every small official table in ../shared/cms imports; CSV/XLSX/TXT twins collapse."""
    cms = SHARED / "cms"
    if not cms.exists():
        pytest.skip(f"{cms} is absent: CMS reference files live in ../shared (present in CI)")
    folders = [cms / name for name in ("aoc", "hcpcs", "mue", "nucc", "pfs", "pos")]
    result = store.import_paths(folders, vintage=None)
    assert result.ok, [str(o.error) for o in result.refused]
    tables = sorted((r.table, r.setting, r.vintage.isoformat()) for r in store.records())
    assert ("aoc", "all", "2026-04-01") in tables
    assert ("rvu", "all", "2025-10-01") in tables
    assert ("mue", "practitioner", "2026-04-01") in tables
    assert {("mue", s, "2024-07-01") for s in ("practitioner", "hospital", "dme")} <= set(tables)
    assert sum(o.status == SKIPPED for o in result.outcomes) == 3  # GPCI and two NUCC files
    assert sum(o.status == ALREADY for o in result.outcomes) == 3  # MUE xlsx, RVU txt and xlsx


@pytest.mark.slow
def test_shared_cms_everything(store):
    cms = SHARED / "cms"
    if not cms.exists():
        pytest.skip(f"{cms} is absent: CMS reference files live in ../shared (present in CI)")
    result = store.import_paths([cms])
    assert result.ok
    ptp = {r.setting: r.rows for r in store.records() if r.table == "ptp"}
    assert ptp == {"practitioner": 2_546_017, "hospital": 1_775_818}
    assert {r.table for r in store.records()} == set(schema.COLUMNS)
