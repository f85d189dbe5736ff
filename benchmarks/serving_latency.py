"""Latency and throughput of the serving endpoint on loopback (bounded load generator).

Starts a private S3 + MLflow stack on free ports in a temporary state folder, trains the
Elec2 champion (``driftline.flow.bootstrap``), starts the ``serve`` service exactly as
``make serve`` does, then sends a fixed number of ``POST /predict`` requests with a fixed
number of client threads (one keep-alive ``httpx`` connection each) for each request size
and concurrency, after a warm-up. Prints p50 / p99 latency and throughput per cell.

    .venv/bin/python benchmarks/serving_latency.py                 # 1-row and 1,000-row
    .venv/bin/python benchmarks/serving_latency.py --requests 400 --concurrency 1,4
    .venv/bin/python benchmarks/serving_latency.py --url http://127.0.0.1:5050  # running one

Nothing here is a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _test_settings(state_dir: Path):
    """The test suite's free-port settings helper (tests/conftest.py), loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_driftline_conftest", ROOT / "tests" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.test_settings(state_dir)


def start_stack(tmp: Path):
    """S3 + MLflow + serve on free ports; the Elec2 champion trained. Returns (url, stop)."""
    from driftline import flow
    from driftline.stack import Stack, load_or_create_credentials

    settings = _test_settings(tmp)
    backend = Stack(settings, ["s3", "mlflow"])
    serve = Stack(settings, ["serve"])

    def stop() -> None:
        serve.down(progress=lambda m: None)
        backend.down(progress=lambda m: None)

    try:
        backend.up(progress=lambda m: print(m, file=sys.stderr))
        creds = load_or_create_credentials(settings)
        settings = settings.with_(
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        )
        for key, value in backend.env().items():
            if key.startswith(("DRIFTLINE_", "AWS_", "MLFLOW_")):
                os.environ[key] = value
        print("training the Elec2 champion ...", file=sys.stderr)
        flow.bootstrap("builtin:elec2", settings=settings)
        serve.up(progress=lambda m: print(m, file=sys.stderr))
    except BaseException:
        stop()
        raise
    return serve.urls()["serve"], stop


def payload(rows: int, seed: int) -> bytes:
    from driftline.datasets import load_elec2

    frame = load_elec2().drop(columns=["class"])
    sample = frame.sample(rows, replace=rows > len(frame), random_state=seed)
    return json.dumps({"dataframe_records": sample.to_dict(orient="records")}).encode()


def run_cell(url: str, body: bytes, requests: int, concurrency: int, warmup: int) -> dict:
    import httpx

    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=120)
        return local.client

    def one(_: int) -> float:
        t0 = time.perf_counter()
        resp = client().post("/predict", content=body, headers={"content-type": "application/json"})
        elapsed = time.perf_counter() - t0
        if resp.status_code != 200:
            raise RuntimeError(f"HTTP {resp.status_code}: {resp.text[:200]}")
        return elapsed

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(warmup)))
        t0 = time.perf_counter()
        latencies = np.array(list(pool.map(one, range(requests))))
        wall = time.perf_counter() - t0
    return {
        "requests": requests,
        "concurrency": concurrency,
        "p50_ms": float(np.percentile(latencies, 50) * 1e3),
        "p99_ms": float(np.percentile(latencies, 99) * 1e3),
        "mean_ms": float(latencies.mean() * 1e3),
        "req_per_s": requests / wall,
        "wall_s": wall,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="benchmark this running endpoint (else start a private one)")
    p.add_argument("--rows", default="1,1000", help="rows per request, comma-separated")
    p.add_argument("--requests", type=int, default=1000, help="requests per 1-row cell")
    p.add_argument(
        "--requests-large", type=int, default=200, help="requests per cell above 100 rows"
    )
    p.add_argument("--concurrency", default="1,4", help="client threads, comma-separated")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "serving_latency.json"))
    args = p.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    stop = None
    tmp = None
    if args.url:
        url = args.url
    else:
        tmp = tempfile.TemporaryDirectory(prefix="driftline-bench-serve-")
        url, stop = start_stack(Path(tmp.name))
    try:
        import httpx

        info = httpx.get(f"{url}/health", timeout=30).json()
        print(f"endpoint {url}: model {info['model_name']} version {info['model_version']}")
        results = []
        for rows in [int(r) for r in args.rows.split(",")]:
            body = payload(rows, seed=rows)
            n = args.requests if rows <= 100 else args.requests_large
            for conc in [int(c) for c in args.concurrency.split(",")]:
                cell = {"rows": rows, **run_cell(url, body, n, conc, args.warmup)}
                cell["rows_per_s"] = cell["req_per_s"] * rows
                results.append(cell)
                print(
                    f"  rows={rows:>5} concurrency={conc}: p50 {cell['p50_ms']:.1f} ms, "
                    f"p99 {cell['p99_ms']:.1f} ms, {cell['req_per_s']:.0f} req/s",
                    file=sys.stderr,
                )
    finally:
        if stop is not None:
            stop()
        if tmp is not None:
            tmp.cleanup()
    load = os.getloadavg()
    print(
        "\n| rows/request | concurrency | requests | p50 ms | p99 ms | requests/s | rows/s |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for r in results:
        print(
            f"| {r['rows']} | {r['concurrency']} | {r['requests']} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['req_per_s']:.1f} | {r['rows_per_s']:.0f} |"
        )
    print(
        f"\n{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(1/5/15 min) at the end"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"url": url, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
