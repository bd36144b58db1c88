"""Installing the client pulls nothing: no AWS, Arrow, pydantic or provider SDK package.

The wheel is built from this checkout, then a fresh virtual environment asks pip what it
would install (offline, --no-index: a dependency would fail to resolve), installs it, and
imports p402.client there with nothing else present.
"""

import json
import subprocess
import sys
import venv

import pytest
from client_servers import ROOT

HEAVY = ("boto3", "botocore", "pyarrow", "pydantic", "genai_prices", "genai-prices", "duckdb",
         "openai", "anthropic", "google-genai", "aws-cdk-lib", "aws-lambda-powertools")
IMPORT_CHECK = """
import sys
from p402.client import Recorder
rec = Recorder("http://127.0.0.1:9", "key", spill_dir=None, close_timeout=0.1)
rec.close()
loaded = sorted({m.split('.')[0] for m in sys.modules})
print(" ".join(loaded))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT),
                    "-w", str(out)], check=True, timeout=600)
    return next(out.glob("p402-*.whl"))


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    path = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(path)
    return path / "bin"


def test_installing_the_client_would_install_only_p402(wheel, fresh_env, tmp_path):
    report = tmp_path / "report.json"
    subprocess.run([str(fresh_env / "pip"), "install", "--no-index", "--dry-run", "-q",
                    "--report", str(report), str(wheel)], check=True, timeout=300)

    installs = json.loads(report.read_text())["install"]
    assert [item["metadata"]["name"] for item in installs] == ["p402"]
    assert installs[0]["metadata"].get("requires_dist", []) == [] or all(
        "extra ==" in req for req in installs[0]["metadata"]["requires_dist"])


def test_the_client_imports_and_runs_with_nothing_else_installed(wheel, fresh_env):
    subprocess.run([str(fresh_env / "pip"), "install", "--no-index", "-q", str(wheel)],
                   check=True, timeout=300)

    done = subprocess.run([str(fresh_env / "python"), "-c", IMPORT_CHECK], cwd="/",
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-800:]
    loaded = set(done.stdout.split())
    assert "p402" in loaded
    assert loaded.isdisjoint(name.replace("-", "_") for name in HEAVY)
