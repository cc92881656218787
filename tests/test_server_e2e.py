"""End to end: uvicorn on 127.0.0.1 (a free port, in a thread) answering over real HTTP, and
the task pane loading in headless Chromium without console errors.

Chromium is Debian's package (``apt-get install chromium``); the test skips with the reason
when it is absent. Office.js cannot load here (no internet), which is the point: outside
Excel the task pane must say so and raise no error. Console messages, uncaught exceptions and
failed loads are collected over the DevTools protocol (a minimal WebSocket client below).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from addin.server.config import ServerSettings  # noqa: E402

API_KEY = "e2e-key-31"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def live_server():
    """The app under uvicorn on 127.0.0.1:<free port>; yields the base URL."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
        from addin.server.app import create_app

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = create_app(ServerSettings(port=port, api_key=API_KEY))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_health_and_calls_over_http(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        payload = {"client": "Office.js", "func_name": "cpt_conflicts", "args": [[["43235"]], [["43497"]]],
                   "caller_address": "Sheet1!C2", "session_id": "e2e", "culture_info_name": "en-US",
                   "date_format": "M/d/yyyy", "version": "0.37.8", "runtime": "1.4"}
        refused = client.post("/xlwings/custom-functions-call", json=payload)
        assert refused.status_code == 401
        answer = client.post("/xlwings/custom-functions-call", json=payload, headers={"X-API-Key": API_KEY})
        assert answer.status_code == 200
        assert answer.json()["result"][0][0].startswith(("CONFLICT", "BYPASSED", "NO EDIT"))
        sample = PROJECT_ROOT / "data" / "sample_claims.csv"
        with sample.open("rb") as handle:
            checked = client.post("/api/check", files={"file": ("sample_claims.csv", handle)},
                                  headers={"Authorization": f"Bearer {API_KEY}"})
        assert checked.status_code == 200
        assert checked.json()["counts"]["findings"] > 0
        assert client.get("/manifest.xml").text.count(live_server) >= 5


# ---------------------------------------------------------------------------- browser
def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    """Just enough of a WebSocket client for Chrome's DevTools protocol (text frames)."""

    def __init__(self, ws_url: str) -> None:
        match = re.match(r"ws://([^/:]+):(\d+)(/.*)", ws_url)
        host, port, path = match.group(1), int(match.group(2)), match.group(3)
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)
        assert b" 101 " in response.split(b"\r\n", 1)[0], response
        self.next_id = 0

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def send(self, method: str, **params) -> int:
        self.next_id += 1
        payload = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)
        return self.next_id

    def receive(self) -> dict:
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            data = self._read(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the connection")
            if opcode in (0x1, 0x0):
                message += data
                if first & 0x80:
                    return json.loads(message)

    def close(self) -> None:
        self.sock.close()


def browse(chromium: str, url: str, seconds: float, profile: Path) -> tuple[list[str], dict]:
    """Open ``url`` in headless Chromium; return (problems, final DOM facts)."""
    process = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    problems: list[str] = []
    facts: dict = {}
    tools = None
    try:
        ws_url = None
        deadline = time.monotonic() + 30
        while ws_url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                ws_url = match.group(1)
        assert ws_url, "Chromium did not open the DevTools port"
        threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe drained
        port = int(re.match(r"ws://[^:]+:(\d+)", ws_url).group(1))
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        for method in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            tools.send(method)
        tools.send("Page.navigate", url=url)
        end = time.monotonic() + seconds
        tools.sock.settimeout(0.5)
        while time.monotonic() < end:
            try:
                event = tools.receive()
            except TimeoutError:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                problems.append(f"console.{params['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                problems.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                entry = params["entry"]
                problems.append(f"log {entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
            elif method == "Network.loadingFailed":
                problems.append(f"load failed: {params.get('errorText')}")
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                problems.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
        tools.sock.settimeout(10)
        expression = (
            "(() => { try { return JSON.stringify({"
            "note: !document.getElementById('office-note').hidden,"
            " button: document.getElementById('check-sheet').disabled,"
            " version: document.getElementById('data-version').textContent,"
            " office: typeof Office}); } catch (err) { return '{}'; } })()"
        )
        asked = tools.send("Runtime.evaluate", expression=expression, returnByValue=True)
        while True:
            reply = tools.receive()
            if reply.get("id") == asked:
                facts = json.loads(reply["result"]["result"]["value"])
                break
    finally:
        if tools is not None:
            tools.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return problems, facts


def test_taskpane_loads_in_headless_chromium_without_console_errors(live_server, tmp_path):
    chromium = chromium_binary()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install --no-install-recommends chromium)")
    problems, facts = browse(chromium, f"{live_server}/taskpane.html", 4.0, tmp_path / "profile")
    assert problems == []
    assert facts["office"] == "undefined"
    assert facts["note"] is True  # "open this in Excel"
    assert facts["button"] is True  # Check this sheet needs Excel
    assert facts["version"].startswith("data: ") and "unavailable" not in facts["version"]


def test_the_browser_test_sees_console_errors(live_server, tmp_path):
    """The harness itself: a page that fails must be reported (a missing script is a 404)."""
    chromium = chromium_binary()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install --no-install-recommends chromium)")
    problems, _ = browse(chromium, f"{live_server}/static/no-such-page.html", 2.0, tmp_path / "profile")
    assert any("404" in p for p in problems)


def test_lookups_are_answered_while_a_check_is_running(live_server, monkeypatch):
    """A check holds a check thread, not the event loop or the threads of function calls."""
    import addin.checker

    entered, release = threading.Event(), threading.Event()

    def held_check(source, progress, **kwargs):
        entered.set()
        release.wait(30)
        raise ValueError("stopped by the test")

    monkeypatch.setattr(addin.checker, "check", held_check)
    headers = {"X-API-Key": API_KEY}
    outcome = {}

    def upload() -> None:
        with httpx.Client(base_url=live_server, timeout=60) as client:
            outcome["check"] = client.post("/api/check", files={"file": ("c.csv", b"cpt\n47383\n")},
                                           headers=headers).status_code

    thread = threading.Thread(target=upload)
    thread.start()
    try:
        assert entered.wait(30)
        with httpx.Client(base_url=live_server, timeout=10) as client:
            assert client.get("/api/conflicts", params={"code1": "43235", "code2": "43497"},
                              headers=headers).status_code == 200
            assert client.get("/health").status_code == 200
    finally:
        release.set()
        thread.join(60)
    assert outcome["check"] == 400
