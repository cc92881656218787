"""Bounded load test of the add-in server on 127.0.0.1: a fixed mix of calls and uploads.

Starts ``cpt-addin serve`` in its own process on a free loopback port (licence key
``noncommercial`` unless one is set, an API key for the run), warms it up, then sends the same
fixed set of requests ``--repeats`` times from ``--workers`` threads (httpx, keep-alive):
``--calls`` custom-function calls (``CPT_DESC``, ``CPT_CONFLICTS``, ``CPT_MUE``,
``SUGGEST_MODIFIERS``, with codes from the bundled PTP table), a tenth as many
``GET /api/conflicts`` lookups, and ``--uploads`` checks of ``data/sample_claims.csv``
(``POST /api/check``). Per repeat it reports req/s, p50/p95/p99 per kind, errors (any answer
that is not 200 with the expected body) and the server's resident memory (VmRSS) before and
after; memory should stay flat from repeat to repeat.

Run: ``python benchmarks/bench_server_load.py [--calls 2000] [--uploads 50] [--workers 8]
[--repeats 3] [--json]``. Exit code 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_server import (  # noqa: E402
    API_KEY,
    CALL,
    PROJECT_ROOT,
    free_port,
    payload,
    sample_codes,
    start_server,
    stop_server,
    wait_for_health,
)

SAMPLE = PROJECT_ROOT / "data" / "sample_claims.csv"
KINDS = ("cpt_desc", "cpt_conflicts", "cpt_mue", "suggest_modifiers", "api_conflicts", "upload")


def server_rss_mb(pid: int) -> float:
    """The server process's resident memory in MB (Linux ``/proc``; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def plan(calls: int, uploads: int, seed: int = 11) -> list[tuple[str, str, dict]]:
    """The fixed request list: (kind, method+path, httpx keyword arguments), shuffled."""
    rng = random.Random(seed)
    pairs = sample_codes()
    requests: list[tuple[str, str, dict]] = []
    call_kinds = ("cpt_desc", "cpt_conflicts", "cpt_mue", "suggest_modifiers")
    for number in range(calls):
        code1, code2 = rng.choice(pairs)
        kind = call_kinds[number % len(call_kinds)]
        args = [[[code1]]] if kind in ("cpt_desc", "cpt_mue") else [[[code1]], [[code2]]]
        requests.append((kind, "POST " + CALL, {"json": payload(kind, args)}))
    for _ in range(calls // 10):
        code1, code2 = rng.choice(pairs)
        requests.append(("api_conflicts", "GET /api/conflicts", {"params": {"code1": code1, "code2": code2}}))
    content = SAMPLE.read_bytes()
    for _ in range(uploads):
        requests.append(("upload", "POST /api/check", {"files": {"file": ("sample_claims.csv", content)}}))
    rng.shuffle(requests)
    return requests


def _ok(kind: str, answer) -> bool:
    if answer.status_code != 200:
        return False
    body = answer.json()
    if kind == "upload":
        return body["counts"]["findings"] == len(body["findings"]) > 0
    if kind == "api_conflicts":
        return bool(body.get("lines"))
    return "result" in body


def run_once(base_url: str, requests: list[tuple[str, str, dict]], workers: int) -> dict:
    """Send every request once from ``workers`` threads; latencies and errors per kind."""
    import httpx

    todo: queue.Queue = queue.Queue()
    for request in requests:
        todo.put(request)
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors: dict[str, int] = dict.fromkeys(KINDS, 0)
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=base_url, headers={"X-API-Key": API_KEY}, timeout=120) as http:
            while True:
                try:
                    kind, target, kwargs = todo.get_nowait()
                except queue.Empty:
                    return
                method, path = target.split(" ", 1)
                start = time.perf_counter()
                try:
                    ok = _ok(kind, http.request(method, path, **kwargs))
                except (httpx.HTTPError, ValueError, KeyError):
                    ok = False
                elapsed = time.perf_counter() - start
                with lock:
                    if ok:
                        latencies[kind].append(elapsed)
                    else:
                        errors[kind] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "latencies": latencies, "errors": errors}


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)


def summarise(kind: str, latencies: list[float], errors: int, seconds: float) -> dict:
    """One table row: requests, req/s, p50/p95/p99 in ms, errors."""
    return {
        "kind": kind,
        "requests": len(latencies) + errors,
        "req_per_s": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": _percentile(latencies, 0.95),
        "p99_ms": _percentile(latencies, 0.99),
        "errors": errors,
    }


def print_table(report: dict) -> None:
    print(f"{report['requests']} requests x {len(report['repeats'])} repeats, {report['workers']} workers, "
          f"127.0.0.1, one uvicorn worker, {report['cpus']} CPUs")
    print(f"{'repeat':>6} {'kind':<18} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6}")
    for number, repeat in enumerate(report["repeats"], start=1):
        for row in repeat["rows"]:
            print(f"{number:>6} {row['kind']:<18} {row['requests']:>8} {row['req_per_s']:>8} "
                  f"{row['p50_ms']!s:>8} {row['p95_ms']!s:>8} {row['p99_ms']!s:>8} {row['errors']:>6}")
        print(f"{'':>6} server RSS {repeat['rss_before_mb']:.0f} MB -> {repeat['rss_after_mb']:.0f} MB "
              f"({repeat['seconds']:.1f} s)")
    print(f"memory: {report['rss_warm_mb']:.0f} MB after warm-up, {report['rss_end_mb']:.0f} MB at the end "
          f"({report['rss_end_mb'] - report['rss_after_first_mb']:+.0f} MB from the end of repeat 1)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="function calls per repeat (default 2000)")
    parser.add_argument("--uploads", type=int, default=50, help="claim-file uploads per repeat (default 50)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats against the same server (default 3)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    requests = plan(args.calls, args.uploads)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        wait_for_health(base_url, server)
        warm = [r for kind in KINDS for r in [next(x for x in requests if x[0] == kind)] * 3]
        run_once(base_url, warm, 2)  # the first calls load the tables
        report: dict = {"requests": len(requests), "workers": args.workers, "cpus": os.cpu_count(),
                        "rss_warm_mb": server_rss_mb(server.pid), "repeats": []}
        for _ in range(args.repeats):
            before = server_rss_mb(server.pid)
            outcome = run_once(base_url, requests, args.workers)
            rows = [summarise(k, outcome["latencies"][k], outcome["errors"][k], outcome["seconds"]) for k in KINDS]
            every = [x for k in KINDS for x in outcome["latencies"][k]]
            rows.append(summarise("all", every, sum(outcome["errors"].values()), outcome["seconds"]))
            report["repeats"].append({"rows": rows, "seconds": round(outcome["seconds"], 2),
                                      "rss_before_mb": before, "rss_after_mb": server_rss_mb(server.pid)})
            last = report["repeats"][-1]
            print(f"repeat {len(report['repeats'])}: {last['seconds']:.0f} s, {rows[-1]['errors']} errors, "
                  f"server RSS {before:.0f} -> {last['rss_after_mb']:.0f} MB", file=sys.stderr, flush=True)
    finally:
        stop_server(server)
    report["rss_after_first_mb"] = report["repeats"][0]["rss_after_mb"]
    report["rss_end_mb"] = report["repeats"][-1]["rss_after_mb"]
    errors = sum(repeat["rows"][-1]["errors"] for repeat in report["repeats"])
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
