"""A real `p402 serve` on 127.0.0.1 for the tests: started from this checkout's environment
with its own data dir and key, read back with `p402 query`, stopped by its process id."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServeProcess:
    """One `p402 serve`; stop() then start() again keeps the port and the data dir."""

    def __init__(self, data_dir: Path, port: int | None = None, key: str | None = None,
                 args: tuple[str, ...] = ("--jobs-every", "0"), log_path: Path | None = None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.key = key or "test-" + uuid.uuid4().hex[:12]
        self.args = tuple(args)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        command = [sys.executable, "-m", "p402.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--data-dir", str(self.data_dir), *self.args]
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(command, env=dict(os.environ, P402_API_KEY=self.key),
                                        stdout=output, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait_healthy()
        return self

    def stop(self) -> None:
        """SIGTERM (the server flushes its WAL to Parquet), SIGKILL after 15 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the server and its housekeeping process, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def query(self, sql: str) -> list[dict]:
        done = subprocess.run([str(BIN / "p402"), "query", "--data-dir", str(self.data_dir),
                               "--json", sql], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-800:]
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"p402 serve exited at start ({self.log_path})")
            try:
                with urllib.request.urlopen(self.url + "/v1/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("p402 serve did not answer /v1/health within 60 s")
