"""The `p402` command: normalize, serve, query, import-bedrock-logs, run-jobs."""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_DATA_DIR = "./.p402"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except BrokenPipeError:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="p402", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    normalize = commands.add_parser("normalize", help="print the ledger row of each event")
    normalize.add_argument("--prices", help="price-override file (JSON)")
    normalize.add_argument("file", nargs="?", default="-", help="events: JSON, array or lines")
    normalize.set_defaults(run=_normalize)

    serve = commands.add_parser("serve", help="run the ingest API and jobs locally")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8402)
    serve.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    serve.add_argument("--prices", help="price-override file (JSON)")
    serve.add_argument("--budgets", help="budgets file (JSON or YAML)")
    serve.add_argument("--jobs-every", type=float, default=60.0, help="seconds between job runs")
    serve.add_argument("--sample", action="store_true", help="load the sample workload once")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow binding beyond loopback (the API key is still required)")
    serve.set_defaults(run=_lazy("p402.local.server", "serve_command"))

    query = commands.add_parser("query", help="run Athena-dialect SQL on the local ledger")
    query.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    query.add_argument("--json", action="store_true", help="one JSON object per row")
    query.add_argument("sql")
    query.set_defaults(run=_lazy("p402.local.query", "query_command"))

    imports = commands.add_parser("import-bedrock-logs", help="land Bedrock invocation logs")
    imports.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    imports.add_argument("--prices", help="price-override file (JSON)")
    imports.add_argument("--owners", help="JSON object: caller ARN (or prefix) -> owner")
    imports.add_argument("paths", nargs="+")
    imports.set_defaults(run=_lazy("p402.local.commands", "import_bedrock_command"))

    jobs = commands.add_parser("run-jobs", help="rank waste, evaluate budgets, alert")
    jobs.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    jobs.add_argument("--budgets", help="budgets file (JSON or YAML)")
    jobs.add_argument("--now", help="evaluate as of this ISO-8601 time (default: now)")
    jobs.set_defaults(run=_lazy("p402.local.commands", "run_jobs_command"))
    return parser


def _lazy(module: str, function: str):
    def run(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(module), function)(args)

    return run


def load_prices(path: str | None):
    from p402.pricing import PriceBook, load_price_file

    if not path:
        return PriceBook()
    entries, aliases, digest = load_price_file(Path(path).read_text())
    return PriceBook(entries, aliases, digest)


def read_events(text: str) -> list:
    """One JSON event, a JSON array of events, or JSON lines."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        document = json.loads(stripped)
    except RecursionError:
        return [_Unreadable("nested too deeply to read as JSON")]
    except ValueError:
        return [_json_line(line, n) for n, line in enumerate(stripped.splitlines(), 1)
                if line.strip()]
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        return document["events"]
    return document if isinstance(document, list) else [document]


def _json_line(line: str, number: int):
    try:
        return json.loads(line)
    except ValueError as exc:
        return _Unreadable(f"line {number}: not JSON ({exc})")
    except RecursionError:
        return _Unreadable(f"line {number}: nested too deeply to read as JSON")


class _Unreadable:
    def __init__(self, reason: str):
        self.reason = reason


def _normalize(args: argparse.Namespace) -> int:
    import orjson

    from p402.errors import EventRefused, PriceFileError
    from p402.events import build_row

    try:
        prices = load_prices(args.prices)
    except (OSError, PriceFileError) as exc:
        print(f"p402 normalize: {exc}", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"p402 normalize: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2

    refused = 0
    now = datetime.now(UTC)
    for index, event in enumerate(read_events(text)):
        if isinstance(event, _Unreadable):
            out = {"index": index, "error": event.reason}
        else:
            try:
                out = build_row(event, prices, now)
            except EventRefused as exc:
                out = {"index": index, "error": str(exc),
                       "problems": [p.as_dict() for p in exc.problems]}
        refused += "error" in out
        print(orjson.dumps(out).decode())
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
