"""A real `p402 serve` for the dashboard tests, the browser script runner, and the ledger read
back with `p402 query` (the same SQL the pages run)."""

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from serve_process import ServeProcess  # tests/support

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HERE = Path(__file__).parent
ARTIFACTS = ROOT / "tests" / "artifacts" / "dashboard"
STORM = "wf-retry-storm"  # the workflow the tests post a retry storm for


class DashboardServer(ServeProcess):
    """`p402 serve` on a free 127.0.0.1 port with its own data dir and key."""

    def __init__(self, data_dir: Path, sample: bool = False):
        args = ("--jobs-every", "0") + (("--sample",) if sample else ())
        super().__init__(data_dir, key="dash-" + uuid.uuid4().hex[:12], args=args)

    def post(self, events: list[dict]) -> dict:
        request = urllib.request.Request(
            self.url + "/v1/events", data=json.dumps(events).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
        """One GET that does not follow redirects: status, headers, body."""
        request = urllib.request.Request(self.url + path, headers=headers or {})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def run_jobs(self) -> None:
        """`p402 run-jobs`: the ranking and budget snapshots the dashboard reads."""
        done = subprocess.run([str(BIN / "p402"), "run-jobs", "--data-dir", str(self.data_dir)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-800:]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browse(mode: str, arguments: dict, timeout: float = 600) -> object:
    """Runs tests/dashboard/browse.mjs in headless chromium and returns what it printed."""
    node = shutil.which("node")
    assert node, "node is not installed (make browser sets up the browser tests)"
    assert (HERE / "node_modules" / "playwright-core").is_dir(), "run `make browser` first"
    done = subprocess.run([node, str(HERE / "browse.mjs"), mode, json.dumps(arguments)],
                          capture_output=True, text=True, timeout=timeout, cwd=HERE)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
