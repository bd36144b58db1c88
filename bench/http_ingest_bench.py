"""Ingest over HTTP: `p402 serve` on 127.0.0.1, batches of 500 events, durable before each 202.

Prints figures; asserts nothing. Starts its own `p402 serve` on a free loopback port with
a fresh data dir, posts batches from several client threads over HTTP/1.1 keep-alive
connections until a time or batch bound, then stops the server (SIGTERM: it flushes) and
checks with `p402 query` that the ledger holds exactly the events acknowledged.

Every 202 means the batch was fsynced to the server's write-ahead log. Each batch carries
500 events with unique event ids (bench/payloads.py, ids made unique per batch).
Target (issue 3): at least 20,000 events/s sustained on this 2-core machine.

    .venv/bin/python bench/http_ingest_bench.py [--clients 4] [--seconds 30]
        [--max-batches 2000] [--data-parent /tmp] [--servers 1] [--py-spy PATH]

--servers N starts N `p402 serve` processes on the same data dir (separate ports; the local
lake lets each process append its own WAL segment, and one flushes at a time), with the
clients spread over them: what a multi-process `p402 serve` would sustain.

--py-spy runs the server under `py-spy record` and writes a flame graph (SVG) and, with
--py-spy-raw, collapsed stacks next to the data dir.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from payloads import batch_bodies  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
P402 = ROOT / ".venv" / "bin" / "p402"
KEY = "p402_http_bench_key"
BATCH = 500
BASE_BODIES = 20  # distinct bodies; each send rewrites their event ids to be unique
ID_FIELD = b'"event_id": "'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its reaped children) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, data_dir: Path, port: int, py_spy: str | None, raw: bool):
        command = [str(P402), "serve", "--port", str(port), "--data-dir", str(data_dir),
                   "--jobs-every", "0"]
        if py_spy:
            out = data_dir.with_name(f"{data_dir.name}-{port}.{'txt' if raw else 'svg'}")
            fmt = ["--format", "raw"] if raw else []
            command = [py_spy, "record", "--threads", "--rate", "200", "-o", str(out),
                       *fmt, "--", *command]
            self.profile = out
        env = {**os.environ, "P402_API_KEY": KEY, "POWERTOOLS_LOG_LEVEL": "WARNING"}
        self.log = open(data_dir.with_name(f"{data_dir.name}-{port}.log"), "w")
        self.proc = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log)
        self.port = port
        self._wait_until_up()
        self.pid = self._server_pid()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/v1/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("p402 serve did not come up within 30 s")

    def _server_pid(self) -> int:
        """The pid of the Python process serving (py-spy, when used, is its parent)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        if children.exists() and children.read_text().split():
            return int(children.read_text().split()[0])
        return self.proc.pid

    def stop(self) -> float:
        """SIGTERM (the server flushes its WAL to Parquet on the way out); seconds taken."""
        started = time.monotonic()
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return time.monotonic() - started


class Load:
    """Client threads posting until the clock or the batch budget runs out."""

    def __init__(self, ports: list[int], bodies: list[bytes], seconds: float,
                 max_batches: int):
        self.ports, self.bodies = ports, bodies
        self.deadline = time.monotonic() + seconds
        self.max_batches = max_batches
        self.sent = 0
        self.acked = 0
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def _next(self) -> int | None:
        with self._lock:
            if self.sent >= self.max_batches or time.monotonic() >= self.deadline:
                return None
            self.sent += 1
            return self.sent

    def client(self, port: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Content-Type": "application/json", "X-Api-Key": KEY}
        while (number := self._next()) is not None:
            base = self.bodies[number % len(self.bodies)]
            body = base.replace(ID_FIELD, ID_FIELD + b"%07d-" % number)
            started = time.perf_counter()
            connection.request("POST", "/v1/events", body, headers)
            response = connection.getresponse()
            answer = response.read()
            elapsed = time.perf_counter() - started
            with self._lock:
                if response.status == 202:
                    self.acked += json.loads(answer)["accepted"]
                    self.latencies.append(elapsed)
                else:
                    self.failures.append(f"{response.status}: {answer[:200]!r}")
        connection.close()


def ledger_count(data_dir: Path) -> int:
    sql = "SELECT count(*) AS n FROM ai_economic_events"
    out = subprocess.run([str(P402), "query", "--data-dir", str(data_dir), "--json", sql],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    return json.loads(out.splitlines()[0])["n"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-batches", type=int, default=2000)
    parser.add_argument("--data-parent", default="/tmp", help="where the data dir goes")
    parser.add_argument("--servers", type=int, default=1, help="p402 serve processes")
    parser.add_argument("--py-spy", help="path of py-spy: profile the server")
    parser.add_argument("--py-spy-raw", action="store_true", help="collapsed stacks, not SVG")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args()

    bodies = batch_bodies(BASE_BODIES, BATCH)
    data_dir = Path(tempfile.mkdtemp(prefix="p402-http-bench-", dir=args.data_parent))
    load_before = os.getloadavg()[0]
    servers = [Server(data_dir, free_port(), args.py_spy, args.py_spy_raw)
               for _ in range(args.servers)]
    try:
        load = Load([s.port for s in servers], bodies, args.seconds, args.max_batches)
        threads = [threading.Thread(target=load.client, args=(servers[i % len(servers)].port,))
                   for i in range(args.clients)]
        server_cpu = sum(cpu_seconds(s.pid) for s in servers)
        client_cpu = time.process_time()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        server_cpu = sum(cpu_seconds(s.pid) for s in servers) - server_cpu
        client_cpu = time.process_time() - client_cpu
        load_during = os.getloadavg()[0]
    finally:
        stop_seconds = max(s.stop() for s in servers)

    counted = ledger_count(data_dir)
    rate = load.acked / wall
    print(f"{args.servers} p402 serve process(es) on 127.0.0.1, data dir on "
          f"{args.data_parent}; {args.clients} client "
          f"threads, batches of {BATCH}; load average before {load_before:.2f}, "
          f"at the end {load_during:.2f}")
    print(f"  acknowledged  {load.acked:,} events in {len(load.latencies)} batches, "
          f"{wall:.1f} s; failures {len(load.failures)}")
    print(f"  sustained     {rate:,.0f} events/s (target >= 20,000)")
    if load.latencies:
        print(f"  latency       p50 {percentile(load.latencies, 0.50) * 1000:.0f} ms, "
              f"p99 {percentile(load.latencies, 0.99) * 1000:.0f} ms per batch")
    print(f"  CPU           server {server_cpu / wall:.2f} cores, "
          f"clients {client_cpu / wall:.2f} cores (of 2)")
    print(f"  shutdown      {stop_seconds:.1f} s (final flush to Parquet)")
    verdict = "equal" if counted == load.acked else "DIFFERENT"
    print(f"  ledger count  {counted:,} via p402 query: {verdict} to the acknowledged count")
    for failure in load.failures[:5]:
        print(f"  failure: {failure}")
    if args.py_spy:
        print(f"  profile       {', '.join(str(s.profile) for s in servers)}")
    if args.keep:
        print(f"  data dir      {data_dir}")
    else:
        shutil.rmtree(data_dir)


if __name__ == "__main__":
    main()
