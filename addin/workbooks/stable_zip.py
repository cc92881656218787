"""Make an .xlsx byte-stable: same inputs, same bytes, on any day and any machine.

openpyxl stamps ``docProps/core.xml`` with the time of saving and every zip entry with the
current time. The prebuilt templates in ``workbook_templates/`` are committed and a test
regenerates them and compares bytes, so :func:`make_byte_stable` rewrites the package with a
fixed document date, fixed entry dates, fixed permissions and a fixed entry order, compressed
at a fixed level. (Deflate output is stable for a given zlib; a different zlib build could
compress differently, in which case regenerating the templates is the fix.)
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

FIXED_DATE = dt.datetime(2025, 1, 1, 0, 0, 0)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
LEVEL = 6
_STAMP = re.compile(
    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(created|modified)>)"
)


def _fixed_core(xml: bytes, when: dt.datetime) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _STAMP.sub(lambda m: m.group(1) + stamp + m.group(3), xml)


def _order(name: str) -> tuple[int, str]:
    # [Content_Types].xml first, as Office writes it; then every part by name.
    return (0 if name == "[Content_Types].xml" else 1, name)


def make_byte_stable(path: Path, when: dt.datetime = FIXED_DATE) -> Path:
    """Rewrite an .xlsx in place with fixed timestamps and permissions, in a fixed order."""
    path = Path(path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as target:
        for name in sorted(parts, key=_order):
            data = parts[name]
            if name == "docProps/core.xml":
                data = _fixed_core(data, when)
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 0
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=LEVEL)
    path.write_bytes(buffer.getvalue())
    return path
