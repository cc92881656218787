"""Download a quarter's CMS files (for users with internet) before importing them.

``cpt-addin data fetch --quarter 2026Q3`` builds the download addresses from the naming
patterns CMS used in 2024-2026 (below), saves the zips in ``$CPT_ADDIN_HOME/downloads/`` and
imports them. **CMS changes its addresses from time to time**, and the PTP zips sit behind an
AMA licence page that wants a browser click: when an address fails, copy the link from the CMS
page and pass it with ``--url`` (repeatable), or download in a browser and run
``cpt-addin data import FILE``. ``--base-url`` swaps the ``https://www.cms.gov/files/zip/``
prefix (a mirror, an intranet copy, a test server).

Patterns (``{y}`` year, ``{q}`` quarter 1-4, ``{v}`` NCCI version ``32.2`` -> ``322``, where
version major = year - 1994 and minor = quarter - 1):

* PTP practitioner: ``medicare-ncci-{y}q{q}-practitioner-ptp-edits-ccipra-v{v}r0-f{1..4}.zip``
* PTP hospital: ``medicare-ncci-{y}q{q}-hospital-ptp-edits-ccioph-v{v}r0-f{1..4}.zip``
* MUE: ``medicare-ncci-{y}-q{q}-{practitioner|facility-outpatient-hospital|dme-supplier}-services-mue-table.zip``
* AOC: ``medicare-ncci-{y}q{q}-add-on-code-edits.zip`` (least certain: check the CMS page)
* RVU: ``rvu{yy}{a|b|c|d}.zip`` (CMS often appends ``-updated-MM-DD-YYYY``)
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from addin import __version__ as _version
from addin.reference.paths import addin_home

CMS_BASE_URL = "https://www.cms.gov/files/zip/"
MAX_DOWNLOAD = 2 * 1024**3
CHUNK = 1 << 20
DEFAULT_TIMEOUT = 60.0


@dataclass
class Download:
    """One address and what came of it: the saved file, or the reason it failed."""

    url: str
    path: Path | None = None
    error: str | None = None


def parse_quarter(text: str | None, today: dt.date | None = None) -> tuple[int, int]:
    """``2026Q3`` / ``2026q3`` / ``2026-Q3`` -> (2026, 3); None -> the current quarter."""
    if not text:
        day = today or dt.date.today()
        return day.year, (day.month - 1) // 3 + 1
    match = re.fullmatch(r"\s*(\d{4})\s*-?\s*[qQ]([1-4])\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not a quarter: use e.g. 2026Q3")
    return int(match[1]), int(match[2])


def ncci_version(year: int, quarter: int) -> str:
    """NCCI version digits of a quarter: 2026 Q3 -> ``322`` (v32.2)."""
    return f"{year - 1994}{quarter - 1}"


def quarter_file_names(year: int, quarter: int) -> list[str]:
    """The zip names CMS used for a quarter's PTP, MUE, AOC and RVU files."""
    version = ncci_version(year, quarter)
    names = [
        f"medicare-ncci-{year}q{quarter}-practitioner-ptp-edits-ccipra-v{version}r0-f{n}.zip"
        for n in range(1, 5)
    ]
    names += [
        f"medicare-ncci-{year}q{quarter}-hospital-ptp-edits-ccioph-v{version}r0-f{n}.zip"
        for n in range(1, 5)
    ]
    names += [
        f"medicare-ncci-{year}-q{quarter}-{kind}-services-mue-table.zip"
        for kind in ("practitioner", "facility-outpatient-hospital", "dme-supplier")
    ]
    names.append(f"medicare-ncci-{year}q{quarter}-add-on-code-edits.zip")
    names.append(f"rvu{year % 100:02d}{'abcd'[quarter - 1]}.zip")
    return names


def quarter_urls(quarter: str | None, base_url: str | None = None) -> list[str]:
    """Download addresses for a quarter (``base_url`` defaults to CMS's file folder)."""
    year, number = parse_quarter(quarter)
    base = (base_url or CMS_BASE_URL).rstrip("/") + "/"
    return [urllib.parse.urljoin(base, name) for name in quarter_file_names(year, number)]


def downloads_dir() -> Path:
    """``$CPT_ADDIN_HOME/downloads``: where fetched zips are kept."""
    return addin_home() / "downloads"


def download(url: str, dest: Path, timeout: float = DEFAULT_TIMEOUT) -> Download:
    """Download one address into ``dest`` (temp file, then rename); never raises."""
    dest.mkdir(parents=True, exist_ok=True)
    name = _file_name(url)
    target = dest / name
    partial = dest / f".{name}.{uuid.uuid4().hex[:8]}.part"
    request = urllib.request.Request(url, headers={"User-Agent": f"cpt-addin/{_version}"})
    try:
        with (
            urllib.request.urlopen(request, timeout=timeout) as response,
            partial.open("wb") as out,
        ):
            content_type = response.headers.get("Content-Type", "")
            first = response.read(CHUNK)
            if _looks_like_web_page(first, content_type):
                return Download(
                    url,
                    error="the server sent a web page, not a file: the address moved, or CMS "
                    "wants the AMA licence accepted in a browser; download it there and run "
                    "'cpt-addin data import FILE', or pass the right address with --url",
                )
            size = len(first)
            out.write(first)
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    return Download(url, error="refused: the download is larger than 2 GB")
                out.write(chunk)
        partial.replace(target)
        return Download(url, path=target)
    except urllib.error.HTTPError as exc:
        hint = (
            ": CMS may have moved or renamed it; copy the link from the CMS page and pass it "
            "with --url"
            if exc.code in (403, 404, 410)
            else ""
        )
        return Download(url, error=f"HTTP {exc.code} {exc.reason}{hint}")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return Download(url, error=f"no answer within {timeout:.0f} s (timed out)")
        return Download(
            url,
            error=f"cannot reach the server ({reason}); check the internet connection or "
            "proxy (HTTPS_PROXY)",
        )
    except TimeoutError:
        return Download(url, error=f"the download stalled for {timeout:.0f} s (timed out)")
    except OSError as exc:
        return Download(url, error=f"download failed: {exc}")
    finally:
        partial.unlink(missing_ok=True)


def fetch(
    quarter: str | None = None,
    urls: list[str] | None = None,
    base_url: str | None = None,
    dest: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Download]:
    """Download the given ``urls``, or the quarter's files when none are given."""
    targets = list(urls or []) or quarter_urls(quarter, base_url)
    folder = Path(dest) if dest else downloads_dir()
    return [download(url, folder, timeout) for url in targets]


def _file_name(url: str) -> str:
    path = urllib.parse.urlparse(url).path
    name = Path(urllib.parse.unquote(path)).name
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    if "file" in query:  # cms.gov/license/ama?file=/files/zip/x.zip
        name = Path(query["file"][0]).name
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return name or "download.zip"


def _looks_like_web_page(first: bytes, content_type: str) -> bool:
    if first.startswith((b"PK", b"\x1f\x8b")):
        return False
    head = first[:512].lstrip().lower()
    return "text/html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))
