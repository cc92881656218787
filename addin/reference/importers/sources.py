"""Turn the paths a user names (files, folders, zip archives) into files to import.

Folders are walked recursively in name order; README files, ``.md`` files and hidden files are
ignored. Zip archives (CMS ships every table zipped) are read in memory, member by member, and
a zip nested in a zip is opened too. A zip whose members add up to more than 2 GB, or that
expands more than 200 times its compressed size, is refused (zip-bomb guard); so is a member
that expands past the size its header declared.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from addin.errors import InputFileError
from addin.reference.importers.common import Source

MAX_TOTAL_BYTES = 2 * 1024**3
MAX_RATIO = 200
IGNORED_SUFFIXES = (".md",)


@dataclass
class PendingSource:
    """A file found under the user's paths; ``load()`` reads its bytes (or raises)."""

    name: str
    load: Callable[[], Source]
    explicit: bool = False  # named by the user (not found in a folder or zip)


def is_ignored(name: str) -> bool:
    """README files, Markdown, hidden files and macOS zip debris are not data."""
    base = PurePosixPath(name.replace("\\", "/")).name
    return (
        not base
        or base.startswith((".", "~$"))
        or base.lower().startswith("readme")
        or base.lower().endswith(IGNORED_SUFFIXES)
        or "__MACOSX" in name
    )


def iter_sources(paths: list[Path | str]) -> Iterator[PendingSource]:
    """Every file under ``paths``, zips opened; missing paths yield a refusal when loaded."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                relative = child.relative_to(path).as_posix()
                if not any(is_ignored(part) for part in relative.split("/")):
                    yield from _from_file(child, explicit=False)
        elif path.exists():
            yield from _from_file(path, explicit=True)
        else:
            yield PendingSource(str(path), _missing(str(path)), explicit=True)


def _missing(name: str) -> Callable[[], Source]:
    def load() -> Source:
        raise InputFileError(name, "no such file or folder")

    return load


def _from_file(path: Path, explicit: bool) -> Iterator[PendingSource]:
    if _is_zip_archive(path):
        data = path.read_bytes()
        yield from iter_zip(path.name, data)
    else:
        yield PendingSource(path.name, lambda: Source(path.name, path.read_bytes()), explicit)


def _is_zip_archive(path: Path) -> bool:
    """A real .zip archive (a .xlsx is a zip too, but it is a file to parse)."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".docx"):
        return False
    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return False
    return True


def iter_zip(name: str, data: bytes, depth: int = 0) -> Iterator[PendingSource]:
    """Members of an in-memory zip, after the zip-bomb checks (nested zips opened once)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except zipfile.BadZipFile as exc:
        yield PendingSource(name, _refuse(name, f"damaged or incomplete zip archive: {exc}"))
        return
    if _is_workbook(archive):
        yield PendingSource(name, lambda: Source(name, data))
        return
    problem = zip_bomb_problem(members, len(data))
    if problem:
        yield PendingSource(name, _refuse(name, problem))
        return
    for member in sorted(members, key=lambda m: m.filename):
        inner = f"{name}!{member.filename}"
        if is_ignored(member.filename):
            continue
        if member.filename.lower().endswith(".zip") and depth == 0:
            try:
                nested = _read_member(archive, member, inner)
            except InputFileError as exc:
                yield PendingSource(inner, _raise(exc))
                continue
            yield from iter_zip(inner, nested, depth + 1)
            continue
        yield PendingSource(inner, _member_loader(archive, member, inner))


def zip_bomb_problem(members: list[zipfile.ZipInfo], archive_size: int) -> str | None:
    """Why a zip must not be opened (too big, suspicious ratio), or None."""
    total = sum(m.file_size for m in members)
    compressed = max(sum(m.compress_size for m in members), 1)
    if total > MAX_TOTAL_BYTES:
        return f"refused: the zip expands to {total / 1024**3:.1f} GB (limit 2 GB)"
    if total > 1024 * 1024 and total / compressed > MAX_RATIO:
        return (
            f"refused: the zip expands {total / compressed:.0f} times its size "
            f"(limit {MAX_RATIO}:1), a zip bomb or a damaged archive"
        )
    return None


def _is_workbook(archive: zipfile.ZipFile) -> bool:
    names = archive.namelist()
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> bytes:
    """Read a member, refusing one that expands past its declared size."""
    try:
        with archive.open(member) as handle:
            data = handle.read(member.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as exc:
        # a damaged archive: bad CRC, corrupt deflate stream, offsets past the end
        raise InputFileError(name, f"cannot read from the zip (damaged archive?): {exc}") from exc
    if len(data) > member.file_size:
        raise InputFileError(name, "the zip member is larger than its header says; refused")
    return data


def _member_loader(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str
) -> Callable[[], Source]:
    return lambda: Source(name, _read_member(archive, member, name))


def _refuse(name: str, reason: str) -> Callable[[], Source]:
    def load() -> Source:
        raise InputFileError(name, reason)

    return load


def _raise(error: InputFileError) -> Callable[[], Source]:
    def load() -> Source:
        raise error

    return load
