"""Hostile input files for the fuzz suite, generated in code (no binaries in the repository).

A fuzz case is a small frozen dataclass of *operations* (flip byte 812 to 0x00, truncate at
3 000, re-encode every other line as cp1252, ...) applied to a valid starting file: when a
property fails, Hypothesis prints the case, and that repr is the whole recipe to rebuild the
file (``case.build()``). Starting files are the bundled sample claims, a workbook made from
them with openpyxl, and the official CMS layout excerpts in ``../shared/cms-layouts``.

Also here: :func:`run_cli` (the ``cpt-addin`` command in-process, every escape caught),
:func:`assert_clean` (exit code allowed, no traceback text) and :func:`tree_checksum`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import struct
import tempfile
import traceback
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = PROJECT_ROOT / "data" / "sample_claims.csv"
TRACEBACK = "Traceback (most recent call last)"

#: The four delimiters the claims reader and the plain-CSV importer accept.
DELIMITERS = (",", ";", "\t", "|")
#: Encodings a text file may be re-encoded in, line by line.
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-16-be")
NEWLINES = ("\n", "\r\n", "\r")

# Non-ASCII text every encoding above can carry (all of it is in cp1252), put in the free-text
# Scenario column so that re-encoding matters.
ACCENTED = "Café naïve – ½ dose “as charted” ©"


def fuzz_settings(max_examples: int) -> settings:
    """Settings for a fuzz property: reproducible, no deadline, no example database.

    Shrinking is off by default: the cases are already short recipes, and shrinking a failure
    of a multi-second check would blow the suite's time budget. ``FUZZ_SHRINK=1`` turns it on
    to minimise a failure by hand.
    """
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    if os.environ.get("FUZZ_SHRINK"):
        phases.append(Phase.shrink)
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=phases,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# ----------------------------------------------------------------------------- running


@dataclass
class Run:
    """What one in-process ``cpt-addin`` call did."""

    code: int | None
    out: str
    err: str
    escaped: str | None = None  # formatted traceback of an exception that escaped main()

    def describe(self) -> str:
        """Exception type and first line, or the exit code and the first lines of output."""
        if self.escaped:
            lines = self.escaped.strip().splitlines()
            return f"exception escaped main(): {lines[-1]}"
        tail = (self.err.strip() or self.out.strip()).splitlines()[:3]
        return f"exit {self.code}: " + " / ".join(tail)


def run_cli(argv: Sequence[str]) -> Run:
    """Run ``cpt-addin ARGV`` in this process; catch SystemExit and any other escape."""
    from addin.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    escaped = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse and friends
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException:  # noqa: BLE001 - the property is that nothing escapes
            escaped = traceback.format_exc()
    return Run(code, out.getvalue(), err.getvalue(), escaped)


def assert_clean(run: Run, allowed: Sequence[int], case: object) -> None:
    """Fail (naming the case) unless the exit code is allowed and no traceback was shown."""
    problems = []
    if run.escaped:
        problems.append(run.describe())
    elif run.code not in allowed:
        problems.append(f"exit code {run.code!r} not in {tuple(allowed)}: {run.describe()}")
    for stream, text in (("stdout", run.out), ("stderr", run.err)):
        if TRACEBACK in text:
            problems.append(f"traceback text on {stream}: {_traceback_tail(text)}")
    if problems:
        pytest.fail(f"{describe(case)}: " + "; ".join(problems), pytrace=False)


def _traceback_tail(text: str) -> str:
    lines = text[text.index(TRACEBACK) :].strip().splitlines()
    return lines[-1] if lines else ""


def describe(case: object) -> str:
    """A short description of a case (its repr, long byte strings abbreviated)."""
    text = repr(case)
    return text if len(text) <= 600 else text[:600] + "..."


_SUMMARY_RE = re.compile(r"(\d+) rows read, (\d+) checked, (\d+) rejected")


def summary_counts(out: str) -> tuple[int, int, int] | None:
    """``(read, checked, rejected)`` from the check summary line, or None."""
    match = _SUMMARY_RE.search(out)
    return tuple(int(g) for g in match.groups()) if match else None  # type: ignore[return-value]


def tree_checksum(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes (a missing folder hashes as empty)."""
    digest = hashlib.sha256()
    if folder.exists():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A fresh temporary folder for one Hypothesis example (examples share the test's tmp)."""
    folder = Path(tempfile.mkdtemp(prefix="cpt-addin-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ----------------------------------------------------------------------------- byte ops


@dataclass(frozen=True)
class ByteOp:
    """One edit of a byte string; ``at`` is taken modulo the length (so any int is valid)."""

    kind: str  # flip, insert, delete, truncate, nul, repeat
    at: int
    data: bytes = b""
    length: int = 0

    def apply(self, blob: bytes) -> bytes:
        """The edited bytes."""
        n = len(blob)
        at = self.at % (n + 1)
        if self.kind == "flip":
            if not n:
                return blob
            at %= n
            return blob[:at] + bytes([blob[at] ^ (self.length or 0xFF)]) + blob[at + 1 :]
        if self.kind == "insert":
            return blob[:at] + self.data + blob[at:]
        if self.kind == "delete":
            return blob[:at] + blob[at + self.length :]
        if self.kind == "truncate":
            return blob[:at]
        if self.kind == "nul":
            return blob[:at] + b"\0" * max(self.length, 1) + blob[at:]
        if self.kind == "repeat":  # a chunk repeated: long lines, many columns, many rows
            chunk = blob[at : at + max(self.length, 1)]
            return blob[:at] + chunk * 50 + blob[at:]
        raise ValueError(self.kind)


HOSTILE_SNIPPETS = (
    b'"',
    b'""',
    b",,,,,,,,,,",
    b"\r",
    b"\n",
    b"\r\n\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x80\x81\x8d\x8f\x90\x9d",  # the five bytes cp1252 leaves undefined, and more
    b"\xc3",  # a cut UTF-8 sequence
    b"\xed\xa0\x80",  # a UTF-16 surrogate encoded as UTF-8
    b'=HYPERLINK("http://x")',
    b"+1+1",
    b"sep=;\n",
    b"PK\x03\x04",
    b"\x1a",
    b"9" * 40,
    b"-1",
    b"1e308",
    b"NaN",
    b"2026-02-30",
    b"99999-01-01",
)

byte_ops = st.one_of(
    st.builds(ByteOp, st.just("flip"), st.integers(0, 1 << 20), st.just(b""), st.integers(1, 255)),
    st.builds(
        ByteOp,
        st.just("insert"),
        st.integers(0, 1 << 20),
        st.one_of(st.sampled_from(HOSTILE_SNIPPETS), st.binary(min_size=1, max_size=16)),
    ),
    st.builds(ByteOp, st.just("delete"), st.integers(0, 1 << 20), length=st.integers(1, 64)),
    st.builds(ByteOp, st.just("truncate"), st.integers(0, 1 << 20)),
    st.builds(ByteOp, st.just("nul"), st.integers(0, 1 << 20), length=st.integers(1, 8)),
    st.builds(ByteOp, st.just("repeat"), st.integers(0, 1 << 20), length=st.integers(1, 40)),
)


def apply_ops(blob: bytes, ops: Sequence[ByteOp]) -> bytes:
    """Apply the byte edits in order."""
    for op in ops:
        blob = op.apply(blob)
    return blob


# ----------------------------------------------------------------------------- claims text


@cache
def sample_rows() -> tuple[tuple[str, ...], ...]:
    """The sample claims as rows of cells (header first), accented text in some Scenarios."""
    rows = list(csv.reader(io.StringIO(SAMPLE_CSV.read_text(encoding="utf-8-sig"))))
    scenario = rows[0].index("Scenario")
    for i in range(1, len(rows), 4):
        rows[i][scenario] = f"{ACCENTED} {rows[i][scenario]}"
    return tuple(tuple(r) for r in rows)


def sample_data_rows() -> int:
    """Data records of the sample (rows below the header)."""
    return len(sample_rows()) - 1


def rows_text(
    rows: Sequence[Sequence[str]], delimiter: str = ",", newline: str = "\n"
) -> list[str]:
    """Each row as one delimited record (quoted as the csv module does), newline included."""
    out = []
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerow(row)
        out.append(buffer.getvalue())
    return out


def encode_lines(lines: Sequence[str], encodings: Sequence[str]) -> bytes:
    """Encode line ``i`` with ``encodings[i % len]`` (one encoding for all: a plain file)."""
    return b"".join(
        line.encode(encodings[i % len(encodings)], errors="replace") for i, line in enumerate(lines)
    )


@dataclass(frozen=True)
class TextCase:
    """Sample claims written with a delimiter, newline and per-line encodings, then byte-edited."""

    delimiter: str = ","
    newline: str = "\n"
    encodings: tuple[str, ...] = ("utf-8",)
    ops: tuple[ByteOp, ...] = ()
    suffix: str = ".csv"

    def build(self) -> bytes:
        """The file's bytes."""
        lines = rows_text(sample_rows(), self.delimiter, self.newline)
        return apply_ops(encode_lines(lines, self.encodings), self.ops)


#: Structure-preserving layouts only: every record must still be read.
clean_text_cases = st.builds(
    TextCase,
    delimiter=st.sampled_from(DELIMITERS),
    newline=st.sampled_from(NEWLINES),
    encodings=st.one_of(
        st.sampled_from(ENCODINGS).map(lambda e: (e,)),
        st.lists(st.sampled_from(("utf-8", "cp1252")), min_size=2, max_size=4).map(tuple),
    ),
    suffix=st.sampled_from((".csv", ".txt", ".tsv")),
)

#: Anything: mixed encodings (UTF-16 between UTF-8 lines too) and byte edits.
hostile_text_cases = st.builds(
    TextCase,
    delimiter=st.sampled_from(DELIMITERS),
    newline=st.sampled_from(NEWLINES),
    encodings=st.lists(st.sampled_from(ENCODINGS), min_size=1, max_size=3).map(tuple),
    ops=st.lists(byte_ops, min_size=1, max_size=6).map(tuple),
    suffix=st.sampled_from((".csv", ".txt", ".tsv")),
)


@dataclass(frozen=True)
class RawCase:
    """A file given by a name and a recipe that is too big to print (explicit examples)."""

    name: str
    label: str
    payload: bytes = field(repr=False, default=b"")

    def build(self) -> bytes:
        """The file's bytes."""
        return self.payload


#: Claim rows whose identifiers and free text look like spreadsheet formulas; the first two
#: are a PTP conflict, so their claim and patient ids reach the findings.
FORMULA_ROWS = (
    (
        "=1+1",
        "@SUM(1)",
        "+1900000013",
        "2026-05-04",
        "43497",
        "",
        "1",
        "K22.0",
        "22",
        '=HYPERLINK("http://x")',
    ),
    ("=1+1", "@SUM(1)", "+1900000013", "2026-05-04", "43235", "", "1", "K22.0", "22", "-2+3"),
    (
        '=cmd|"/c calc"!A1',
        "@SUM(1)",
        "1900000013",
        "2026-05-04",
        "43235",
        "",
        "1",
        "K22.0",
        "22",
        "+1",
    ),
)
FORMULA_PAYLOADS = frozenset(
    cell for row in FORMULA_ROWS for cell in row if cell[:1] in ("=", "+", "-", "@")
)


def _header() -> str:
    return rows_text(sample_rows()[:1])[0]


def _first_rows(n: int) -> str:
    return "".join(rows_text(sample_rows()[: n + 1]))


def explicit_text_cases() -> list[RawCase]:
    """The hostile text files worth one example each (a few are big)."""
    header = _header()
    row = rows_text(sample_rows()[1:2])[0]
    return [
        RawCase("claims.csv", "empty file", b""),
        RawCase("claims.csv", "only a newline", b"\n"),
        RawCase("claims.csv", "header only", header.encode()),
        RawCase("claims.csv", "header only, no newline", header.rstrip("\n").encode()),
        RawCase("claims.csv", "NUL bytes only", b"\0" * 4096),
        RawCase("claims.csv", "NUL inside a row", (header + row[:20] + "\0" + row[20:]).encode()),
        RawCase("claims.csv", "UTF-16 BOM then UTF-8 body", b"\xff\xfe" + _first_rows(5).encode()),
        RawCase(
            "claims.csv",
            "4 MB cell in the Scenario column",
            (header + row.rstrip("\n") + "x" * (4 << 20) + "\n" + row).encode(),
        ),
        RawCase(
            "claims.csv",
            "4 MB quoted cell with newlines",
            (header + row.rstrip("\n") + ',"' + "a\n" * (2 << 20) + '"\n' + row).encode(),
        ),
        RawCase(
            "claims.csv",
            "20 000 columns in one data row",
            (header + row.rstrip("\n") + "," * 20_000 + "\n" + row).encode(),
        ),
        RawCase(
            "claims.csv",
            "20 000 columns in the header",
            (header.rstrip("\n") + "".join(f",X{i}" for i in range(20_000)) + "\n" + row).encode(),
        ),
        RawCase("claims.csv", "unclosed quote", (header + '"' + row * 3).encode()),
        RawCase(
            "claims.csv", "5 000 empty lines then a row", (header + "\n" * 5000 + row).encode()
        ),
        RawCase("claims.csv", "5 000 one-letter lines", (header + "a\n" * 5_000 + row).encode()),
        RawCase(
            "claims.csv",
            "modifiers cell with 8 modifiers",
            (header + row.replace(",,1,", ',"25,59,XS,XU,RT,LT,76,77",1,', 1)).encode(),
        ),
        RawCase(
            "claims.csv",
            "formula-like cells",
            (header + "".join(rows_text(FORMULA_ROWS))).encode(),
        ),
        RawCase("claims.csv", "one byte 0xFF", b"\xff"),
        RawCase("claims.csv", "a UTF-8 BOM only", b"\xef\xbb\xbf"),
        RawCase("claims.csv", "sep= line only", b"sep=|\n"),
    ]


# ----------------------------------------------------------------------------- workbooks


@cache
def sample_xlsx() -> bytes:
    """The sample claims as a small workbook (made with openpyxl, cached)."""
    return workbook_bytes(sample_rows(), "Claims")


def workbook_bytes(rows: Sequence[Sequence[object]], title: str = "Sheet1") -> bytes:
    """A one-sheet workbook of ``rows`` (made with openpyxl)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_members(blob: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The members of a zip and their bytes."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def rebuild_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A deflated zip of ``(name, bytes)`` members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass(frozen=True)
class MemberOp:
    """An edit of one member of a zip; ``index`` is taken modulo the member count."""

    kind: str  # drop, truncate, garbage, edit, duplicate
    index: int
    ops: tuple[ByteOp, ...] = ()

    def apply(self, members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        """The edited member list."""
        if not members:
            return members
        i = self.index % len(members)
        name, data = members[i]
        out = list(members)
        if self.kind == "drop":
            del out[i]
        elif self.kind == "edit":  # bytes inside the XML edited, zip intact
            out[i] = (name, apply_ops(data, self.ops))
        elif self.kind == "garbage":
            out[i] = (name, b"<?xml version='1.0'?><not-a-sheet>" + b"\x00\xff" * 8)
        elif self.kind == "duplicate":
            out.append((name, data))
        else:
            raise ValueError(self.kind)
        return out


member_ops = st.one_of(
    st.builds(MemberOp, st.sampled_from(("drop", "garbage", "duplicate")), st.integers(0, 64)),
    st.builds(
        MemberOp,
        st.just("edit"),
        st.integers(0, 64),
        st.lists(byte_ops, min_size=1, max_size=4).map(tuple),
    ),
)


@dataclass(frozen=True)
class WorkbookCase:
    """The sample workbook with its members edited, then its zip bytes edited."""

    members: tuple[MemberOp, ...] = ()
    ops: tuple[ByteOp, ...] = ()
    suffix: str = ".xlsx"

    def build(self, base: bytes | None = None) -> bytes:
        """The file's bytes (``base``: another workbook to start from than the sample)."""
        blob = sample_xlsx() if base is None else base
        if self.members:
            parts = [(info.filename, data) for info, data in zip_members(blob)]
            for op in self.members:
                parts = op.apply(parts)
            with _quiet_duplicates():
                blob = rebuild_zip(parts)
        return apply_ops(blob, self.ops)


@contextlib.contextmanager
def _quiet_duplicates() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is the point of that edit
        yield


hostile_workbook_cases = st.builds(
    WorkbookCase,
    members=st.lists(member_ops, max_size=3).map(tuple),
    ops=st.lists(byte_ops, max_size=3).map(tuple),
    suffix=st.sampled_from((".xlsx", ".xlsm")),
).filter(lambda c: c.members or c.ops)


def zip_bomb(members: Sequence[tuple[str, bytes]], name: str, size: int) -> bytes:
    """A zip of ``members`` plus ``name``: ``size`` zero bytes deflated (about 1 000:1).

    Streamed into the archive 1 MB at a time, so building it needs little memory.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member_name, data in members:
            archive.writestr(member_name, data)
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = bytes(1 << 20)
        with archive.open(info, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as handle:
            for _ in range(size // len(chunk)):
                handle.write(chunk)
    return buffer.getvalue()


def with_declared_size(blob: bytes, name: str, declared: int) -> bytes:
    """``blob`` with member ``name``'s uncompressed size rewritten as ``declared`` (a lie).

    Both the local header and the central directory entry are patched, so a reader that trusts
    the directory thinks the member is small; only decompressing it shows otherwise.
    """
    out = bytearray(blob)
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        info = archive.getinfo(name)
        start = archive.start_dir
    struct.pack_into("<I", out, info.header_offset + 22, declared)
    at = start
    while out[at : at + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", out, at + 28)
        if bytes(out[at + 46 : at + 46 + n]).decode() == name:
            struct.pack_into("<I", out, at + 24, declared)
            break
        at += 46 + n + m + k
    return bytes(out)


# ----------------------------------------------------------------------------- CMS files

#: Layout excerpts the importers know, by file name (read at test time from ../shared).
CMS_EXCERPTS = (
    "ccipra-v322r0-f1.excerpt.txt",
    "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv",
    "PPRRVU2026_Jul_nonQPP.excerpt.redacted.csv",
    "HCPC2026_OCT_ANWEB.excerpt.csv",
)
#: How the excerpts are named when imported: the names CMS gives the full files.
CMS_NAMES = {
    "ccipra-v322r0-f1.excerpt.txt": "ccipra-v322r0-f1.txt",
    "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv": (
        "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
    ),
    "PPRRVU2026_Jul_nonQPP.excerpt.redacted.csv": "PPRRVU2026_Jul_nonQPP.csv",
    "HCPC2026_OCT_ANWEB.excerpt.csv": "HCPC2026_OCT_ANWEB.csv",
}

#: A plain (docs/custom_tables.md) MUE table, as a user would write it.
PLAIN_MUE = (
    "code,mue_units,mai,rationale\n47383,1,2,Clinical\n64483,1,2,Anatomic\n77002,1,3,Policy\n"
)


@dataclass(frozen=True)
class CmsCase:
    """A CMS layout excerpt (or a plain table), re-encoded / re-ended, then byte-edited."""

    source: str  # an entry of CMS_EXCERPTS, or "plain_mue.csv"
    newline: str | None = None  # None: as CMS wrote it
    encoding: str | None = None  # None: as CMS wrote it
    ops: tuple[ByteOp, ...] = ()
    zipped: bool = False  # put the file in a .zip (as CMS ships it)
    delimiter: str | None = None  # replaces the file's own (tab in PTP .txt, else comma)

    @property
    def name(self) -> str:
        """The file name the import sees."""
        base = CMS_NAMES.get(self.source, self.source)
        return Path(base).with_suffix(".zip").name if self.zipped else base

    def build(self, layouts: Path) -> bytes:
        """The file's bytes (layouts: the ../shared/cms-layouts folder)."""
        if self.source in CMS_EXCERPTS:
            raw = (layouts / self.source).read_bytes()
        else:
            raw = PLAIN_MUE.encode()
        if self.newline is not None or self.encoding is not None or self.delimiter is not None:
            text = raw.decode("latin-1")  # every excerpt is ASCII or Latin-1
            if self.delimiter is not None:
                text = text.replace("\t" if self.source.endswith(".txt") else ",", self.delimiter)
            if self.newline is not None:
                text = re.sub(r"\r\n|\r|\n", lambda _: self.newline, text)
            raw = text.encode(self.encoding or "latin-1", errors="replace")
        if self.zipped:
            return apply_ops(
                rebuild_zip([(CMS_NAMES.get(self.source, self.source), raw)]), self.ops
            )
        return apply_ops(raw, self.ops)


hostile_cms_cases = st.builds(
    CmsCase,
    source=st.sampled_from((*CMS_EXCERPTS, "plain_mue.csv")),
    newline=st.one_of(st.none(), st.sampled_from(NEWLINES)),
    encoding=st.one_of(st.none(), st.sampled_from(ENCODINGS)),
    ops=st.lists(byte_ops, max_size=5).map(tuple),
    zipped=st.booleans(),
    delimiter=st.one_of(st.none(), st.sampled_from(DELIMITERS)),
)


def excerpt_rows(layouts: Path, source: str) -> list[list[str]]:
    """The records of a CSV layout excerpt (Latin-1), as an official xlsx would hold them."""
    text = (layouts / source).read_bytes().decode("latin-1")
    return list(csv.reader(io.StringIO(text, newline="")))
