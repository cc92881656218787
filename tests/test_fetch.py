"""``cpt-addin data fetch`` against a local HTTP server (127.0.0.1, random port): no internet."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import require_shared as need

from addin.cli import main
from addin.reference import fetch
from addin.reference.store import Store

SHARED = Path(__file__).parents[1].parent / "shared"
MUE_CSV = SHARED / "cms" / "mue" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
AOC_XLSX = SHARED / "cms" / "aoc" / "AOC_V2026Q2-MCR.xlsx"
MUE_ZIP_2026Q2 = "medicare-ncci-2026-q2-practitioner-services-mue-table.zip"


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class Handler(BaseHTTPRequestHandler):
    """Serves ``files`` by path; ``/licence`` answers a web page, ``/slow`` stalls."""

    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.startswith("/licence"):
            self._answer(200, b"<!DOCTYPE html><html>Accept the AMA licence</html>", "text/html")
        elif self.path.startswith("/slow"):
            time.sleep(2)
            self._answer(200, b"PK\x03\x04late", "application/zip")
        elif self.path in self.files:
            self._answer(200, self.files[self.path], "application/zip")
        else:
            self._answer(404, b"<html>Not Found</html>", "text/html")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server():
    """A thread-served HTTP server on 127.0.0.1 and a random port; yields (base url, files)."""
    files: dict[str, bytes] = {}
    handler = type("TestHandler", (Handler,), {"files": files})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()


PLAIN_MUE = b"code,mue_units,mai,rationale\n47383,1,2,Anatomic\n"


def test_url_download_then_import(server, capsys, isolated_home):
    base, files = server
    files["/payer/mue_dme_2026q3.zip"] = zipped({"payer_mue_dme_2026q3.csv": PLAIN_MUE})
    code = main(["data", "fetch", "--url", f"{base}/payer/mue_dme_2026q3.zip"])
    out = capsys.readouterr().out
    assert code == 0, out
    saved = isolated_home / "downloads" / "mue_dme_2026q3.zip"
    assert saved.exists() and f"-> {saved}" in out
    (record,) = Store().records()
    assert (record.table, record.setting, record.vintage) == ("mue", "dme", dt.date(2026, 7, 1))
    assert record.source_file == "mue_dme_2026q3.zip!payer_mue_dme_2026q3.csv"


def test_zip_of_shared_files(server, capsys, tmp_path):
    """A zip the test builds from the real MUE CSV and AOC workbook, served and imported."""
    base, files = server
    files["/cms/q2.zip"] = zipped(
        {
            MUE_CSV.name: need(MUE_CSV).read_bytes(),
            AOC_XLSX.name: need(AOC_XLSX).read_bytes(),
            "readme.pdf": b"%PDF-1.4",
        }
    )
    code = main(["data", "fetch", "--url", f"{base}/cms/q2.zip", "--dest", str(tmp_path / "dl")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (tmp_path / "dl" / "q2.zip").exists()
    tables = sorted((r.table, r.setting, r.vintage.isoformat(), r.rows) for r in Store().records())
    assert tables == [
        ("aoc", "all", "2026-04-01", 9_000),
        ("mue", "practitioner", "2026-04-01", 15_095),
    ]


def test_quarter_names_under_base_url(server, capsys):
    """--quarter builds CMS's names under --base-url; missing files are reported, exit 2."""
    base, files = server
    files[f"/files/zip/{MUE_ZIP_2026Q2}"] = zipped(
        {
            "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv": (
                b'"notice",,,\r\n"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication '
                b"Indicator,MUE Rationale\r\n47383,1,2 Date of Service Edit: Policy,Anatomic\r\n"
            )
        }
    )
    code = main(["data", "fetch", "--quarter", "2026Q2", "--base-url", f"{base}/files/zip/"])
    captured = capsys.readouterr()
    assert code == 2
    assert f"downloaded        {base}/files/zip/{MUE_ZIP_2026Q2}" in captured.out
    failed = [line for line in captured.out.splitlines() if line.startswith("FAILED")]
    assert len(failed) == len(fetch.quarter_file_names(2026, 2)) - 1
    assert "HTTP 404" in failed[0] and "--url" in failed[0]
    assert "CMS changes its addresses" in captured.err
    (record,) = Store().records()
    assert (record.table, record.vintage) == ("mue", dt.date(2026, 4, 1))


def test_licence_page_instead_of_a_zip(server, tmp_path):
    base, _ = server
    result = fetch.download(f"{base}/licence/ama?file=/files/zip/x.zip", tmp_path)
    assert result.path is None
    assert "web page" in result.error and "browser" in result.error
    assert not list(tmp_path.iterdir())


def test_timeout_is_reported(server, tmp_path):
    base, _ = server
    result = fetch.download(f"{base}/slow/x.zip", tmp_path, timeout=0.5)
    assert result.path is None and "timed out" in result.error
    assert not list(tmp_path.iterdir())


def test_unreachable_server_is_reported(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch.download(f"http://127.0.0.1:{port}/x.zip", tmp_path, timeout=2)
    assert result.path is None and "cannot reach" in result.error


def test_quarter_file_names_follow_cms_patterns():
    names = fetch.quarter_file_names(2026, 3)
    assert "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip" in names
    assert "medicare-ncci-2026q3-hospital-ptp-edits-ccioph-v322r0-f4.zip" in names
    assert "medicare-ncci-2026-q3-practitioner-services-mue-table.zip" in names
    assert "medicare-ncci-2026-q3-facility-outpatient-hospital-services-mue-table.zip" in names
    assert "medicare-ncci-2026-q3-dme-supplier-services-mue-table.zip" in names
    assert "rvu26c.zip" in names
    assert fetch.ncci_version(2024, 1) == "300"
    urls = fetch.quarter_urls("2025Q4")
    assert (
        urls[0]
        == "https://www.cms.gov/files/zip/medicare-ncci-2025q4-practitioner-ptp-edits-ccipra-v313r0-f1.zip"
    )


def test_parse_quarter():
    assert fetch.parse_quarter("2026q3") == (2026, 3)
    assert fetch.parse_quarter(None, today=dt.date(2026, 11, 24)) == (2026, 4)
    with pytest.raises(ValueError, match="2026Q3"):
        fetch.parse_quarter("Q3")


def test_bad_quarter_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["data", "fetch", "--quarter", "third"])
