"""On-disk cache of tables derived from a package (ICD-10-CM code sets, Excludes1, MCE lists).

Building these tables takes seconds (XML parsing, LMDB reads); every checker process and every
streamed worker needs them. :func:`load` keeps each in one file,
``CPT_ADDIN_HOME/cache/<name>-<package version>-<format>.<layout>.arrays``:

* the file is ``MAGIC``, a sha256 of the rest, then a JSON header (cache format, table name,
  package version, table layout, and each array's name, dtype, shape and offset) and the
  arrays' raw bytes, read back as zero-copy views (``np.frombuffer``). Only plain dtypes are
  stored (bool, numbers, fixed-width text), never a pickle (an altered pickle would run code
  on load); strings are stored as their UTF-8 bytes, each ended by a NUL, and come back as an
  object array;
* checking costs one sha256 over the raw bytes (no re-serialising), then the table's own
  ``check`` (cheap consistency tests on the arrays);
* a damaged file (truncated, altered, unreadable, inconsistent) is logged with its path and
  the reason only (never claim data) and rebuilt; a file of another version or layout is
  ignored (logged at info) and rebuilt;
* the file is written atomically (temp file + ``os.replace``); a read-only home only costs
  speed: the table is built in memory and nothing is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from addin.reference.paths import addin_home

LOG = logging.getLogger(__name__)

#: Version of the container layout (bump when this module's file layout changes).
FORMAT = 1
MAGIC = b"cpt-addin derived arrays\n"
_START = len(MAGIC) + 32  # MAGIC, then the sha256 of the rest
_SIZE = 8  # bytes of the header's length
_ALIGN = 64
#: dtype kinds stored as .npy records: bool, integers, floats, fixed-width bytes and text
_PLAIN_KINDS = frozenset("biufSU")

Arrays = dict[str, np.ndarray]


class CacheDamaged(ValueError):
    """A cache file (or the arrays it holds) is not what was written; it is rebuilt."""


def package_version(distribution: str) -> str | None:
    """The installed version of a distribution (None when not installed), read from its
    ``METADATA`` without the email parser ``importlib.metadata.version`` imports (~30 ms)."""
    try:
        text = importlib.metadata.distribution(distribution).read_text("METADATA") or ""
    except importlib.metadata.PackageNotFoundError:
        return None
    match = re.search(r"^Version:[ \t]*(\S+)", text, re.MULTILINE)
    return match[1] if match else importlib.metadata.version(distribution)


def cache_path(name: str, version: str, layout: int) -> Path:
    """The cache file of table ``name`` built from package ``version`` in ``layout``."""
    safe = re.sub(r"[^0-9A-Za-z._+-]", "_", version)
    return addin_home() / "cache" / f"{name}-{safe}-{FORMAT}.{layout}.arrays"


def _plain(key: str, array: np.ndarray) -> tuple[str, np.ndarray]:
    """(kind, array as stored): strings become their NUL-ended UTF-8 bytes."""
    if array.dtype == object:
        values = array.tolist()
        if not all(isinstance(v, str) and "\0" not in v for v in values):
            raise ValueError(f"array {key!r} holds something other than plain strings")
        text = "".join(v + "\0" for v in values).encode()
        return "strings", np.frombuffer(text, dtype=np.uint8)
    if array.dtype.kind not in _PLAIN_KINDS:
        raise ValueError(f"array {key!r} has dtype {array.dtype}, which is not cached")
    return "array", np.ascontiguousarray(array)


def _padded(size: int) -> int:
    return -(-size // _ALIGN) * _ALIGN


def encode(name: str, version: str, layout: int, arrays: Arrays) -> bytes:
    """The bytes of a cache file holding ``arrays`` (object arrays must hold strings)."""
    entries, buffers, offset = [], [], 0
    for key, array in arrays.items():
        kind, stored = _plain(key, np.asarray(array))
        entries.append(
            {
                "name": key,
                "kind": kind,
                "dtype": stored.dtype.str,
                "shape": list(stored.shape),
                "offset": offset,
            }
        )
        raw = stored.tobytes()
        buffers.append(raw + b"\0" * (_padded(len(raw)) - len(raw)))
        offset += _padded(len(raw))
    header = json.dumps(
        {"format": FORMAT, "table": name, "version": version, "layout": layout, "arrays": entries}
    ).encode()
    # the arrays start aligned: pad the header with spaces (still JSON)
    header += b" " * (_padded(_START + _SIZE + len(header)) - _START - _SIZE - len(header))
    body = len(header).to_bytes(_SIZE, "little") + header + b"".join(buffers)
    return MAGIC + hashlib.sha256(body).digest() + body


class _Foreign(Exception):
    """A sound file of another version or layout."""


def _array(data: bytearray, start: int, end: int, entry: dict) -> np.ndarray:
    dtype = np.dtype(entry["dtype"])
    if dtype.kind not in _PLAIN_KINDS or dtype.hasobject:
        raise CacheDamaged("an array of another type")
    shape = tuple(int(n) for n in entry["shape"])
    count = int(np.prod(shape, dtype=np.int64))
    offset = start + int(entry["offset"])
    if offset < start or offset + count * dtype.itemsize > end:
        raise CacheDamaged("an array outside the file")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)
    if entry["kind"] == "array":
        return array
    text = array.tobytes().decode()
    if text and not text.endswith("\0"):
        raise CacheDamaged("unterminated strings")
    return np.array(text.split("\0")[:-1], dtype=object)


def decode(data: bytearray, name: str, version: str, layout: int) -> Arrays:
    """The arrays of a cache file (views of ``data``, no copy); :class:`CacheDamaged` when
    altered or unreadable."""
    if len(data) < _START + _SIZE or not data.startswith(MAGIC):
        raise CacheDamaged("not a cache file")
    body = memoryview(data)[_START:]
    if hashlib.sha256(body).digest() != data[len(MAGIC) : _START]:
        raise CacheDamaged("checksum mismatch")
    size = int.from_bytes(body[:_SIZE], "little")
    header = json.loads(bytes(body[_SIZE : _SIZE + size]))
    wanted = {"format": FORMAT, "table": name, "version": version, "layout": layout}
    if any(header.get(k) != v for k, v in wanted.items()):
        raise _Foreign
    start = _START + _SIZE + size
    return {e["name"]: _array(data, start, len(data), e) for e in header["arrays"]}


def _read_file(path: Path) -> bytearray:
    """The file's bytes in a writable buffer (arrays viewing it are writable, as built ones)."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        data = bytearray(size)
        if file.readinto(data) != size:
            raise CacheDamaged("the file changed while read")
    return data


def read(
    name: str, version: str, layout: int, check: Callable[[Arrays], None], label: str
) -> Arrays | None:
    """The cached arrays of a table, or None when absent, foreign or damaged (logged)."""
    path = cache_path(name, version, layout)
    try:
        data = _read_file(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = type(exc).__name__
        LOG.warning("%s cache %s is unreadable (%s); rebuilding it", label, path, reason)
        return None
    try:
        arrays = decode(data, name, version, layout)
        check(arrays)
        return arrays
    except _Foreign:
        LOG.info("%s cache %s is from another version; rebuilding it", label, path)
    except CacheDamaged as exc:
        LOG.warning("%s cache %s is damaged (%s); rebuilding it", label, path, exc)
    except Exception as exc:  # noqa: BLE001 - any unreadable cache is rebuilt, never fatal
        reason = f"unreadable: {type(exc).__name__}"
        LOG.warning("%s cache %s is damaged (%s); rebuilding it", label, path, reason)
    return None


def write(name: str, version: str, layout: int, arrays: Arrays) -> None:
    """Write the cache file atomically; a read-only home (or unstorable arrays) writes nothing."""
    path = cache_path(name, version, layout)
    try:
        data = encode(name, version, layout, arrays)
    except ValueError as exc:  # pragma: no cover - the tables only hold plain strings
        LOG.warning("the %s table is not cached: %s", name, exc)
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError:  # a read-only home only costs speed
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def load(
    name: str,
    version: str,
    layout: int,
    build: Callable[[], Arrays],
    check: Callable[[Arrays], None],
    label: str,
) -> Arrays:
    """The arrays of a table: from its cache file when sound, else built (and cached).

    ``check`` raises on arrays that cannot be the table (any exception: rebuilt); ``label``
    names the table in log lines (``ICD-10-CM code-set``).
    """
    arrays = read(name, version, layout, check, label)
    if arrays is None:
        arrays = build()
        write(name, version, layout, arrays)
    return arrays
