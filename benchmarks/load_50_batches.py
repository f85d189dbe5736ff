"""Load: 50 small batches land within a minute; time until each is processed exactly once.

Starts its own private stack (the reliability tests' ``pg_stack``: S3, MLflow, Airflow
standalone with LocalExecutor on a private PostgreSQL, training default ``strategy=none``)
by running ``tests/reliability/test_load.py`` with ``DRIFTLINE_LOAD_BATCHES``, which also
asserts exactly-once processing and ``max_active_runs``; prints the measured table.

    .venv/bin/python benchmarks/load_50_batches.py            # 50 batches
    .venv/bin/python benchmarks/load_50_batches.py --batches 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=50)
    args = parser.parse_args()
    report = Path(tempfile.mkdtemp(prefix="driftline-load-")) / "load.json"
    env = {
        **os.environ,
        "DRIFTLINE_LOAD_BATCHES": str(args.batches),
        "DRIFTLINE_LOAD_REPORT": str(report),
    }
    test = "tests/reliability/test_load.py"
    out = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-m", "pytest", test, "-q", "-x", "-p", "no:randomly"],
        cwd=ROOT,
        env=env,
        check=False,
    )
    if not report.exists():
        sys.exit(f"the load test wrote no report (pytest exit {out.returncode})")
    sys.path.insert(0, str(ROOT))
    from tests.reliability.load import LoadResult, table

    data = json.loads(report.read_text())
    data.pop("batches_per_minute", None)
    print(table(LoadResult(**data)))
    print(
        f"\nexactly-once and max_active_runs assertions: {'passed' if out.returncode == 0 else 'FAILED'}"
    )
    sys.exit(out.returncode)


if __name__ == "__main__":
    main()
