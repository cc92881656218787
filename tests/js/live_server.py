"""The real add-in server for the JavaScript tests: uvicorn on 127.0.0.1, a free port.

Run as ``python tests/js/live_server.py``; prints ``LISTENING http://127.0.0.1:<port>`` once it
answers, then serves until its standard input closes (the test process that started it ended)
or it is terminated. The API key is ``CPT_ADDIN_TEST_API_KEY`` (default ``js-test-key``); the
store is whatever ``CPT_ADDIN_HOME`` names (the tests give it an empty folder: the bundled
tables in data/ answer). Needs a licence key for xlwings Server; ``noncommercial`` is set
when none is given (tests are non-commercial use).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time


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
    print(f"LISTENING http://127.0.0.1:{port}", flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or dies)
    server.should_exit = True
    thread.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
