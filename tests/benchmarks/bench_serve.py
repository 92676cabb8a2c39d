"""Benchmark: ``POST /v1/evaluate`` of ``ce-rules serve`` against ``ce.evaluate`` in process.

Run: ``python tests/benchmarks/bench_serve.py [--seconds 10] [--clients 1 4]``. Starts
``python -m ce_rules serve`` on a free localhost port, then for the same person (the
10-entry year of bench_evaluate.py) measures, in one run:

- ``ce.evaluate`` in process, with and without writing the verdict as JSON (the service
  writes it: that is the fair comparison);
- requests per second over HTTP with 1 and with N concurrent clients (keep-alive
  connections, httpx), and the median and 90th-percentile latency.

Every HTTP answer is checked to be the in-process verdict. The client runs on the same
machine as the server and competes with it for the CPUs: the figures are a floor.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from bench_evaluate import scenario

import ce_rules as ce

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ce_rules", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/health").status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait()


def in_process(seconds: float, serialise: bool) -> float:
    person, entries = scenario()
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(100):
            verdict = ce.evaluate(person, entries, year=2024)
            if serialise:
                verdict.model_dump_json()
        calls += 100
    return calls / (time.perf_counter() - started)


def over_http(url: str, seconds: float, clients: int, body: bytes, expected: object):
    latencies: list[float] = []

    def client_loop() -> list[float]:
        own: list[float] = []
        headers = {"Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers) as client:
            stop = time.perf_counter() + seconds
            while time.perf_counter() < stop:
                start = time.perf_counter()
                response = client.post("/v1/evaluate", content=body)
                own.append(time.perf_counter() - start)
                if response.status_code != 200 or response.json() != expected:
                    raise SystemExit(f"unexpected answer: {response.status_code}")
        return own

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for own in pool.map(lambda _: client_loop(), range(clients)):
            latencies.extend(own)
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=10)
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, cuts[8] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    person, entries = scenario()
    verdict = ce.evaluate(person, entries, year=2024)
    expected = json.loads(verdict.model_dump_json())
    body = json.dumps(
        {
            "person": json.loads(person.model_dump_json()),
            "entries": [json.loads(e.model_dump_json()) for e in entries],
            "year": 2024,
        },
        ensure_ascii=False,
    ).encode()
    print(f"ce-rules {ce.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    plain = in_process(args.seconds, serialise=False)
    dumped = in_process(args.seconds, serialise=True)
    print(f"in process: ce.evaluate                 {plain:10.0f} calls/s")
    print(f"in process: ce.evaluate + JSON          {dumped:10.0f} calls/s")
    with running_server() as url:
        over_http(url, 1.0, 1, body, expected)  # warm up
        for clients in args.clients:
            rate, median, p90 = over_http(url, args.seconds, clients, body, expected)
            print(
                f"HTTP, {clients} client(s):                {rate:10.0f} requests/s"
                f"  (median {median:.2f} ms, p90 {p90:.2f} ms)"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
