"""The Office.js side without Excel: node runs the real task pane and custom-functions scripts
against fake Office / Excel / CustomFunctions globals, talking to the real server (started
here, on 127.0.0.1), and checks the manifest offline. The JavaScript tests live in tests/js
(``node --test``, dependencies pinned in its package-lock.json and installed with ``npm ci``
into tests/js/node_modules, reused while the lockfile is unchanged).

Skipped, with the reason, when node (18 or newer) or npm is absent
(Debian: ``apt-get install nodejs npm``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
JS_DIR = PROJECT_ROOT / "tests" / "js"
JS_TESTS = ("custom-functions.test.mjs", "taskpane.test.mjs", "manifest.test.mjs")
API_KEY = "js-test-key-14"
STAMP = JS_DIR / "node_modules" / ".cpt-addin-lock.sha256"


def node_or_skip() -> tuple[str, str]:
    """(node, npm) executables, or skip the calling test with what to install."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are not installed (Debian: apt-get install nodejs npm): the Office.js tests need them")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    major = int(re.match(r"v(\d+)", version).group(1))
    if major < 18:
        pytest.skip(f"node {version} is too old for the Office.js tests (node --test needs 18 or newer)")
    return node, npm


def install_dependencies(npm: str) -> None:
    """``npm ci`` unless tests/js/node_modules already holds this lockfile's packages."""
    digest = hashlib.sha256((JS_DIR / "package-lock.json").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=JS_DIR, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, f"npm ci failed in {JS_DIR}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    STAMP.write_text(digest + "\n")


def share_code_set_cache(home: Path) -> None:
    """The server's store is empty and new each run, but its cache folder (the ICD-10-CM code
    sets, gzip'd JSON per package version, checksummed and rebuilt when unsound) is kept in
    tests/js/.cache: building it costs the first check about 20 s on a busy machine."""
    kept = JS_DIR / ".cache" / "cpt-addin-cache"
    kept.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # no symlinks (Windows without the privilege): it builds its own
        (home / "cache").symlink_to(kept, target_is_directory=True)


def server_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["CPT_ADDIN_HOME"] = str(home)
    env["CPT_ADDIN_TEST_API_KEY"] = API_KEY
    env["CPT_ADDIN_TEST_PYTHON"] = sys.executable
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    for name in ("CPT_ADDIN_API_KEY", "CPT_ADDIN_PUBLIC_URL", "CPT_ADDIN_ENTRA_TENANT_ID", "CPT_ADDIN_ENTRA_CLIENT_ID"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def js_setup(tmp_path_factory):
    """Dependencies installed and the real server running: yields (node, environment)."""
    node, npm = node_or_skip()
    home = tmp_path_factory.mktemp("js-home")
    share_code_set_cache(home)
    env = server_env(home)
    log = (home / "server.log").open("w+")
    # the server starts and warms up while npm ci runs
    server = subprocess.Popen(
        [sys.executable, str(JS_DIR / "live_server.py")],
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    found: dict[str, str] = {}

    def read_address() -> None:
        for line in server.stdout:
            match = re.match(r"LISTENING (\S+)", line)
            if match:
                found["url"] = match.group(1)
                return

    reader = threading.Thread(target=read_address, daemon=True)
    reader.start()
    try:
        install_dependencies(npm)
        reader.join(120)
        if "url" not in found:
            server.kill()
            log.seek(0)
            pytest.fail(f"the server did not start:\n{log.read()[-3000:]}")
        env["CPT_ADDIN_TEST_URL"] = found["url"]
        yield node, env
    finally:
        server.stdin.close()
        server.terminate()  # uvicorn runs in a thread there: SIGTERM ends the process at once
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        server.stdout.close()
        log.close()


@pytest.mark.parametrize("test_file", JS_TESTS)
def test_office_js(js_setup, test_file):
    """One node test file: its TAP report is shown when it fails."""
    node, env = js_setup
    done = subprocess.run([node, "--test", test_file], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=300)
    report = done.stdout + done.stderr
    assert done.returncode == 0, f"node --test {test_file} failed:\n{report[-12000:]}"
    assert re.search(r"^# pass [1-9]", report, re.MULTILINE), report[-3000:]
    assert re.search(r"^# fail 0$", report, re.MULTILINE), report[-3000:]
