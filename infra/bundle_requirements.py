"""Prints the Lambda bundle's requirements: the `server` extra less what only runs locally."""

import tomllib
from pathlib import Path

# DuckDB and pyarrow serve the laptop engine and the local Parquet lake; on AWS, Athena runs
# the SQL and Firehose writes the Parquet. Leaving them out keeps the bundle far below
# Lambda's 250 MB unzipped limit.
LOCAL_ONLY = {"duckdb", "pyarrow"}


def lambda_requirements(pyproject: Path) -> list[str]:
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    return [req for req in extras["server"]
            if req.split("==")[0].split("[")[0].strip().lower() not in LOCAL_ONLY]


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(lambda_requirements(root / "pyproject.toml")))
