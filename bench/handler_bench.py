"""The ingest handler alone, on one core: API Gateway HTTP API events with 500 events each.

Prints figures; asserts nothing. The resolver is p402.api.app.create_app, the one Lambda and
`p402 serve` run, with the key checked by a KeyRing as `p402 serve` does. Three sinks:

  discard          put() keeps nothing: the handler's own cost (parse, validate, normalize,
                   price, build rows, answer)
  lake on tmpfs    the real LocalLake under /dev/shm: rows serialized to the WAL and fsynced
  lake on disk     the real LocalLake under /tmp (this machine's disk): fsync pays the device

No flush to Parquet runs here (p402 serve does that on a background thread; see
http_ingest_bench.py). Target (issue 3): at least 50,000 events/s per core.

    .venv/bin/python bench/handler_bench.py [--batches 40] [--repeat 3] [--cpu 0]
"""

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # a log line per batch, not timed
sys.path.insert(0, str(Path(__file__).parent))

from payloads import batch_bodies  # noqa: E402

from p402.adapters.local_lake import LocalLake  # noqa: E402
from p402.api.app import IngestDependencies, create_app  # noqa: E402
from p402.keys import ALL_PROJECTS, KeyGrant, KeyRing, hash_key  # noqa: E402
from p402.pricing import PriceBook  # noqa: E402

KEY = "p402_bench_key"
BATCH = 500


class Discard:
    """An EventSink that stores nothing."""

    def put(self, rows):
        return []


class Context:
    function_name = "p402-bench"
    memory_limit_in_mb = 0
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:p402-bench"
    aws_request_id = "bench"


def api_event(body: bytes) -> dict:
    """One POST /v1/events as API Gateway's HTTP API (payload 2.0) hands it to Lambda."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/v1/events",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-api-key": KEY,
                    "content-length": str(len(body))},
        "requestContext": {"http": {"method": "POST", "path": "/v1/events",
                                    "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                    "userAgent": "bench"},
                           "requestId": str(uuid.uuid4()), "stage": "$default",
                           "timeEpoch": int(time.time() * 1000)},
        "body": body.decode(), "isBase64Encoded": False,
    }


def run(sink, events: list[dict], repeat: int) -> list[float]:
    """Events per second of each run over every batch."""
    keys = KeyRing([KeyGrant(hash_key(KEY), frozenset({ALL_PROJECTS}), "bench")])
    app = create_app(IngestDependencies(sink=sink, prices=PriceBook(), keys=keys))
    answer = app.resolve(events[0], Context())  # warm: resolve every model's price once
    if answer["statusCode"] != 202:
        raise SystemExit(f"handler answered {answer['statusCode']}: {answer['body'][:300]}")
    rates = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        for event in events:
            answer = app.resolve(event, Context())
            if answer["statusCode"] != 202 or '"rejected":[]' not in answer["body"]:
                raise SystemExit(f"handler answered {answer['statusCode']}: "
                                 f"{answer['body'][:300]}")
        rates.append(len(events) * BATCH / (time.perf_counter() - started))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=0, help="the one core to run on")
    args = parser.parse_args()

    os.sched_setaffinity(0, {args.cpu})
    events = [api_event(body) for body in batch_bodies(args.batches, BATCH)]
    print(f"{args.batches} batches of {BATCH} events; core {args.cpu}; "
          f"load average {os.getloadavg()[0]:.2f}")

    places = (("discard", None), ("lake on tmpfs", "/dev/shm"), ("lake on disk", "/tmp"))
    for name, parent in places:
        folder = tempfile.mkdtemp(prefix="p402-handler-bench-", dir=parent) if parent else None
        try:
            sink = LocalLake(folder) if folder else Discard()
            rates = run(sink, events, args.repeat)
        finally:
            if folder:
                shutil.rmtree(folder)
        runs = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"  {name:14} {max(rates):>9,.0f} events/s per core  (runs {runs})")
    print(f"target: >= 50,000 events/s per core; load average after "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
