"""The real add-in server for the JavaScript tests: uvicorn on 127.0.0.1, a free port.

Run as ``python tests/js/live_server.py``; prints ``LISTENING http://127.0.0.1:<port>`` once it
answers, then serves until its standard input closes (the test process that started it ended)
or it is terminated. The API key is ``CPT_ADDIN_TEST_API_KEY`` (default ``js-test-key``); the
store is whatever ``CPT_ADDIN_HOME`` names (the tests give it an empty folder: the bundled
tables in data/ answer). Needs a licence key for xlwings Server; ``noncommercial`` is set
when none is given (tests are non-commercial use).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import urllib.request


def warm_up(base: str, api_key: str) -> None:
    """The first answers load the reference tables and code sets: do that before the tests
    run (and, from the pytest wrapper, while ``npm ci`` runs), so they time their own work."""
    calls = [
        ("/api/code/43235", None),
        ("/api/check-sheet", {"values": [["Claim", "DOS", "CPT", "DX"], ["C1", "2026-05-04", "43235", "K22.0"]],
                              "first_row": 1, "sheet": "warm-up"}),
        ("/xlwings/custom-functions-call", {"func_name": "claim_check", "args": [[["CPT"], ["43235"]], None]}),
    ]
    for path, body in calls:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(base + path, data=data, headers={"X-API-Key": api_key,
                                                                           "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                answer.read()
        except OSError as exc:  # a refused warm-up call is the tests' business, not ours
            print(f"warm-up {path}: {exc}", file=sys.stderr)


def main() -> int:
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import uvicorn

    from addin.server.app import create_app
    from addin.server.config import ServerSettings

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    api_key = os.environ.get("CPT_ADDIN_TEST_API_KEY", "js-test-key")
    app = create_app(ServerSettings(port=port, api_key=api_key))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            print("the server did not start", file=sys.stderr)
            return 2
        time.sleep(0.05)
    warm_up(f"http://127.0.0.1:{port}", api_key)
    print(f"LISTENING http://127.0.0.1:{port}", flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or dies)
    server.should_exit = True
    thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
