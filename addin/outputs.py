"""Every file cpt-addin writes goes through here: a check before the work, then an atomic write.

:func:`check_output` runs *before* the (possibly long) work that produces a file, so a
wrong output path fails in a second with a clear message instead of a traceback after the
whole check ran. It refuses (:class:`OutputFileError`, exit code 2):

- a path that is a folder, or whose folder is missing or is not a folder (missing folders
  are never created silently: create them first);
- a path that exists but is not a regular file — a device such as ``/dev/full`` or
  ``/dev/null``, a FIFO, a socket: only regular files are ever replaced;
- a path that is an input file, also through a hard link or a symbolic link (compared by
  inode with :func:`os.path.samefile`), and two outputs that are the same file;
- a read-only file, and a folder where no file can be created (tested by creating and
  removing a temporary file there, which also catches read-only file systems and, as root,
  folders such as ``/sys`` where permission bits alone would not tell).

:func:`atomic_write` then writes to a temporary file in the same folder, flushes it to disk
(``fsync``) and renames it over the target with :func:`os.replace`, so a reader never sees a
half-written file and a failed run leaves the previous file (or nothing). On any error —
a full disk included — and on SIGTERM/SIGINT the temporary file is removed; an ``OSError``
becomes an :class:`OutputFileError` naming the file and the reason. A symbolic link to a
regular file is kept: the file it points to is replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from addin.errors import InputFileError

#: Exit status of a run stopped by SIGTERM (128 + 15, as a shell reports it).
TERMINATED_EXIT = 128 + int(getattr(signal, "SIGTERM", 15))


class OutputFileError(InputFileError):
    """An output file that cannot or must not be written: ``"PATH: reason"`` (exit code 2).

    A kind of :class:`~addin.errors.InputFileError` (a file the command refused), so code
    that caught that for a refused findings path keeps working.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        super().__init__(str(path), reason)


class Terminated(SystemExit):
    """Raised inside :func:`atomic_write` when the process gets SIGTERM (or SIGHUP).

    A :class:`SystemExit` with code 143, so clean-up code (``finally``, ``except
    BaseException``) runs and the process then ends as a terminated one would.
    """


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full (No space left on device)"
    if exc.errno == getattr(errno, "EDQUOT", None):
        return "the disk quota is used up"
    return exc.strerror or type(exc).__name__


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve_target(path: str | Path) -> Path:
    """The file a write to ``path`` replaces: ``path`` itself, or what its symbolic link names."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they point
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_output(
    path: str | Path,
    *,
    inputs: Iterable[str | Path | None] = (),
    others: Iterable[str | Path | None] = (),
    suffixes: Iterable[str] | None = None,
    what: str = "output",
) -> Path:
    """Check that ``path`` can be written, before any work; returns it as a :class:`Path`.

    ``inputs``: files that must never be overwritten (the claims file); ``others``: other
    outputs of the same run (each must be a different file); ``suffixes``: the allowed
    extensions (e.g. ``(".csv", ".json")``); ``what`` names the file in messages
    ("findings file", "audit workbook").

    Raises:
        OutputFileError: the path is a folder, a device/FIFO/socket, an input file, another
            output, read-only, has a wrong extension, or its folder is missing, not a folder
            or not writable.
    """
    path = Path(path)
    if not str(path) or path.name in ("", ".", ".."):
        raise OutputFileError(path, f"the {what} needs a file name, e.g. audit.xlsx")
    target = resolve_target(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        info = None  # reported below: a parent is a file
    except OSError as exc:
        raise OutputFileError(path, f"cannot be written ({_describe(exc)})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            example = path / ("findings" if what.startswith("findings") else "audit")
            suffix = next(iter(suffixes or ()), "") or ".xlsx"
            raise OutputFileError(path, f"is a folder; give a file name, e.g. {example.with_suffix(suffix)}")
        if not stat.S_ISREG(info.st_mode):
            raise OutputFileError(
                path, f"is {_kind(info.st_mode)}; cpt-addin writes only regular files and never replaces a device, FIFO or socket"
            )
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if path.suffix.lower() not in allowed:
            raise OutputFileError(path, f"the {what} must end in {' or '.join(allowed)}")
    for source in inputs:
        if source is not None and str(source) and _same_file(path, Path(source)):
            raise OutputFileError(path, f"is the input file {source}: refusing to overwrite the input (choose another name)")
    for other in others:
        if other is not None and str(other) and _same_file(path, Path(other)):
            raise OutputFileError(path, f"is also the other output {other}: give each output its own name")
    _check_folder(path, target)
    if info is not None and not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise OutputFileError(path, "is read-only: make it writable or choose another name")
    return path


def _check_folder(path: Path, target: Path) -> None:
    folder = target.parent if str(target.parent) else Path(".")
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        raise OutputFileError(path, f"cannot be written: the folder {folder} does not exist (create it first)") from None
    except NotADirectoryError:
        raise OutputFileError(path, f"cannot be written: {_first_non_folder(folder)} is a file, not a folder") from None
    except OSError as exc:
        raise OutputFileError(path, f"cannot be written: the folder {folder} cannot be used ({_describe(exc)})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise OutputFileError(path, f"cannot be written: {folder} is a file, not a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise OutputFileError(path, f"cannot be written: no file can be created in the folder {folder} ({_describe(exc)})") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def _first_non_folder(folder: Path) -> Path:
    """The first ancestor of ``folder`` that exists but is not a folder (``folder`` if none)."""
    for candidate in reversed([folder, *folder.parents]):
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return folder


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    """Flush ``path`` to disk (best effort where the platform cannot)."""
    try:
        handle = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@contextlib.contextmanager
def _terminate_raises() -> Iterator[None]:
    """While the body runs, SIGTERM (and SIGHUP) raise :class:`Terminated` instead of killing
    the process outright, so temporary files are removed; the previous handlers come back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {}

    def handler(signum, frame):  # noqa: ARG001 - signal handler signature
        raise Terminated(TERMINATED_EXIT)

    for name in names:
        number = getattr(signal, name)
        try:
            previous[number] = signal.signal(number, handler)
        except (ValueError, OSError):  # pragma: no cover - not settable here
            continue
    try:
        yield
    finally:
        for number, old in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, old if old is not None else signal.SIG_DFL)


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the body succeeds, move it over ``path``.

    The temporary file is flushed to disk and renamed with :func:`os.replace`; only a regular
    file is ever replaced (checked again just before the rename). On any exception, SIGTERM
    or SIGINT the temporary file is removed; an ``OSError`` (full disk, read-only folder, a
    file locked by Excel) becomes :class:`OutputFileError` naming ``path`` and the reason.
    The folder is not created: call :func:`check_output` first for a clear message.
    """
    path = Path(path)
    target = resolve_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    temp: Path | None = None
    with _terminate_raises():
        try:
            handle, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix + ".tmp", dir=folder)
            temp = Path(name)
            os.close(handle)
            yield temp
            _fsync(temp)
            mode = 0o666 & ~_umask()  # mkstemp makes 0600; give the usual permissions
            try:
                info = os.stat(target)
            except FileNotFoundError:
                info = None
            if info is not None:
                if not stat.S_ISREG(info.st_mode):
                    raise OutputFileError(path, f"is {_kind(info.st_mode)}; only regular files are ever replaced")
                mode = stat.S_IMODE(info.st_mode)  # keep the permissions of the file replaced
            os.chmod(temp, mode)
            os.replace(temp, target)
            temp = None
            _fsync_folder(folder)
        except OSError as exc:
            where = ""
            if exc.filename and str(exc.filename) not in (str(temp), str(target), str(path)):
                where = f" while writing {exc.filename}"  # e.g. a full temporary folder
            raise OutputFileError(path, f"could not be written ({_describe(exc)}{where}); nothing was replaced") from None
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    temp.unlink()
