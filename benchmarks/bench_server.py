"""Bounded load test of the add-in server on 127.0.0.1: calls/s, p50/p95 latency, errors.

Starts ``cpt-addin serve`` in its own process on a free port (licence key ``noncommercial``
unless one is set, an API key for the run), waits for ``/health``, then runs N concurrent
clients for a fixed time — each posting the Office.js payload of ``CPT_DESC`` and
``CPT_CONFLICTS`` calls over keep-alive connections, with codes drawn from the bundled data —
and stops everything. Clients run in ``--procs`` processes (asyncio + httpx) so the load
generator is not the bottleneck of one interpreter.

Run: ``python benchmarks/bench_server.py [--seconds 10] [--clients 16] [--procs 2] [--json]``.
Exit code 1 when any call failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-" + os.urandom(8).hex()
CALL = "/xlwings/custom-functions-call"
FALLBACK_CODES = ["47383", "43235", "43239", "43497", "99213", "20610", "64483", "11042"]


def sample_codes(limit: int = 200) -> list[tuple[str, str]]:
    """(code1, code2) pairs from the bundled PTP table, for realistic lookups."""
    import csv

    path = PROJECT_ROOT / "data" / "ptp.csv"
    pairs = []
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                pairs.append((row["column_1"], row["column_2"]))
    if not pairs:
        pairs = [(a, b) for a in FALLBACK_CODES for b in FALLBACK_CODES if a != b]
    random.Random(7).shuffle(pairs)
    return pairs[:limit]


def payload(func_name: str, args: list) -> dict:
    """The body Office.js sends for one cell."""
    return {"client": "Office.js", "func_name": func_name, "args": args, "caller_address": "Sheet1!B2",
            "session_id": "bench", "culture_info_name": "en-US", "date_format": "M/d/yyyy",
            "version": "0.37.8", "runtime": "1.4"}


async def _clients(base_url: str, key: str, clients: int, seconds: float, seed: int) -> dict:
    import httpx

    pairs = sample_codes()
    results: dict[str, list] = {"cpt_desc": [], "cpt_conflicts": []}
    errors: dict[str, int] = {"cpt_desc": 0, "cpt_conflicts": 0}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"X-API-Key": key}

    async def client(number: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(seed * 1000 + number)
        while time.perf_counter() < deadline:
            code1, code2 = rng.choice(pairs)
            if rng.random() < 0.5:
                name, body = "cpt_desc", payload("cpt_desc", [[[code1]]])
            else:
                name, body = "cpt_conflicts", payload("cpt_conflicts", [[[code1]], [[code2]]])
            start = time.perf_counter()
            try:
                answer = await http.post(CALL, json=body, headers=headers)
                ok = answer.status_code == 200 and "result" in answer.json()
            except httpx.HTTPError:
                ok = False
            if ok:
                results[name].append(time.perf_counter() - start)
            else:
                errors[name] += 1

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    return {"latencies": results, "errors": errors}


def client_process(base_url: str, key: str, clients: int, seconds: float, seed: int) -> dict:
    """One load-generating process (runs an asyncio loop of ``clients`` connections)."""
    return asyncio.run(_clients(base_url, key, clients, seconds, seed))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server process: SIGTERM, then SIGKILL after 15 s."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def start_server(port: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    env["CPT_ADDIN_BENCH_KEY"] = API_KEY
    command = [sys.executable, "-m", "addin", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--api-key-env", "CPT_ADDIN_BENCH_KEY", "--log-level", "warning"]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_for_health(base_url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}: {server.stderr.read()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not answer /health in time")


def summarise(name: str, latencies: list[float], errors: int, seconds: float) -> dict:
    latencies = sorted(latencies)
    count = len(latencies)
    return {
        "function": name.upper(),
        "calls": count,
        "calls_per_s": round(count / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if count else None,
        "p95_ms": round(latencies[int(0.95 * (count - 1))] * 1000, 2) if count else None,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time (default 10)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections in total (default 16)")
    parser.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        wait_for_health(base_url, server)
        client_process(base_url, API_KEY, 2, 1.0, 0)  # warm up: first calls load the tables
        per_proc = [args.clients // args.procs + (1 if i < args.clients % args.procs else 0)
                    for i in range(args.procs)]
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(args.procs) as pool:
            parts = pool.starmap(client_process, [(base_url, API_KEY, n, args.seconds, i + 1)
                                                  for i, n in enumerate(per_proc) if n])
        elapsed = time.perf_counter() - started
    finally:
        stop_server(server)
    seconds = min(args.seconds, elapsed)
    rows = []
    for name in ("cpt_desc", "cpt_conflicts"):
        latencies = [x for part in parts for x in part["latencies"][name]]
        errors = sum(part["errors"][name] for part in parts)
        rows.append(summarise(name, latencies, errors, seconds))
    everything = [x for part in parts for name in ("cpt_desc", "cpt_conflicts") for x in part["latencies"][name]]
    total = summarise("all", everything, sum(r["errors"] for r in rows), seconds)
    report = {"seconds": args.seconds, "clients": args.clients, "procs": args.procs,
              "cpus": os.cpu_count(), "results": [*rows, total]}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.clients} clients in {args.procs} processes for {args.seconds:.0f} s "
              f"against 127.0.0.1 ({os.cpu_count()} CPUs, one uvicorn worker):")
        print(f"{'function':<15} {'calls':>7} {'calls/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
        for row in report["results"]:
            print(f"{row['function']:<15} {row['calls']:>7} {row['calls_per_s']:>9} "
                  f"{row['p50_ms']!s:>8} {row['p95_ms']!s:>8} {row['errors']:>7}")
    return 1 if total["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
