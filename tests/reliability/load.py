"""Load: many small batches land within a minute; each must be processed exactly once.

:func:`run_load` drives a running stack (the landing sensor DAG and the continual-training
DAG): it puts ``n`` distinct small batches (random rows of the Elec2 reference period, so
the drift policy mostly takes the cheap no-training path) under the landing prefix, spread
over at most a minute, watches the number of running training DAG runs through the REST
API while they are processed, and accounts for every batch at the end.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

from driftline import batches, s3

TRAINING = "driftline_continual_training"
SENSOR = "driftline_landing_sensor"


@dataclass(frozen=True)
class LoadResult:
    """What a load run measured and counted."""

    n: int
    put_seconds: float
    total_seconds: float
    max_running_training: int
    max_running_sensor: int
    max_active_runs: int
    training_runs: int
    claimed_once: int
    processed_once: int
    published: int
    quarantined: int
    lost: list[str]
    run_batches: dict[str, int] = field(default_factory=dict)

    @property
    def batches_per_minute(self) -> float:
        return 60.0 * self.n / self.total_seconds if self.total_seconds else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "batches_per_minute": self.batches_per_minute}


def make_batches(n: int, rows: int = 48, seed: int = 0) -> dict[str, bytes]:
    """``n`` distinct CSV batches of ``rows`` random rows from the reference period."""
    import numpy as np

    from driftline.datasets import load_elec2

    reference = load_elec2().iloc[: 4 * 336]
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        picked = reference.iloc[np.sort(rng.choice(len(reference), rows, replace=False))]
        out[f"load-{seed:03d}-{i:04d}.csv"] = picked.to_csv(index=False).encode()
    return out


class RunWatcher(threading.Thread):
    """Polls the REST API for the number of running DAG runs; keeps the maximum seen."""

    def __init__(self, api: Any, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.api, self.every = api, every
        self.max = {TRAINING: 0, SENSOR: 0}
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            for dag_id in self.max:
                try:
                    running = self.api.get(f"/api/v2/dags/{dag_id}/dagRuns?state=running&limit=1")
                    self.max[dag_id] = max(self.max[dag_id], running["total_entries"])
                except Exception:  # noqa: BLE001 - a slow answer is skipped, not fatal
                    continue
            self.samples += 1
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(30)


def _keys(client: Any, bucket: str, prefix: str) -> list[str]:
    out: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out.extend(o["Key"] for o in page.get("Contents", []))
    return out


def _training_runs_since(api: Any, since: str) -> list[dict[str, Any]]:
    runs, offset = [], 0
    while True:
        page = api.get(
            f"/api/v2/dags/{TRAINING}/dagRuns?run_after_gte={quote(since)}&limit=100&offset={offset}"
        )
        runs.extend(page["dag_runs"])
        offset += 100
        if offset >= page["total_entries"]:
            return runs


def run_load(
    settings: Any,
    api: Any,
    n: int,
    *,
    seed: int = 0,
    timeout: float | None = None,
    progress: Callable[[str], None] = print,
) -> LoadResult:
    """Land ``n`` batches within a minute, wait until each is processed, account for all."""
    client = s3.client(settings)
    bodies = make_batches(n, seed=seed)
    digests = {name: hashlib.sha256(body).hexdigest() for name, body in bodies.items()}
    ids = {name: batches.batch_id_for(name, digests[name]) for name in bodies}
    dag = api.get(f"/api/v2/dags/{TRAINING}")
    since = api.get(f"/api/v2/dags/{TRAINING}/dagRuns?order_by=-run_after&limit=1")["dag_runs"]
    since_stamp = since[0]["run_after"] if since else "2000-01-01T00:00:00Z"
    watcher = RunWatcher(api)
    watcher.start()
    spacing = min(1.0, 55.0 / max(n, 1))
    t0 = time.monotonic()
    try:
        for name, body in bodies.items():
            client.put_object(
                Bucket=settings.bucket_landing, Key=f"{settings.landing_prefix}{name}", Body=body
            )
            time.sleep(spacing)
        put_seconds = time.monotonic() - t0
        progress(f"put {n} batches in {put_seconds:.1f} s")
        deadline = t0 + (timeout or max(900.0, 240.0 * n))
        done: set[str] = set()
        while time.monotonic() < deadline:
            published = {
                k.removeprefix("runs/").removesuffix(".json")
                for k in _keys(client, settings.bucket_reports, "runs/load-")
            }
            quarantined = {
                k.split("/", 1)[0] for k in _keys(client, settings.bucket_quarantine, "load-")
            }
            done = (published | quarantined) & set(ids.values())
            if len(done) == n:
                break
            progress(f"{len(done)}/{n} batches done after {time.monotonic() - t0:.0f} s")
            time.sleep(10)
        total = time.monotonic() - t0
        # let the last run finish its tail (more_batches_waiting) before counting runs
        time.sleep(5)
    finally:
        watcher.stop()

    index = {}
    for digest in set(digests.values()):
        body = client.get_object(Bucket=settings.bucket_landing, Key=f"index/{digest}.json")
        index[digest] = json.loads(body["Body"].read())["batch_id"]
    processed = Counter(
        k.split("/")[1] for k in _keys(client, settings.bucket_landing, f"{batches.PROCESSED}load-")
    )
    quarantined = Counter(
        k.split("/")[0]
        for k in _keys(client, settings.bucket_quarantine, "load-")
        if not k.endswith("validation.json")
    )
    incoming = _keys(client, settings.bucket_landing, f"{settings.landing_prefix}load-")
    claimed = [b for b in batches.list_claimed(settings) if b.startswith("load-")]
    published = {
        k.removeprefix("runs/").removesuffix(".json")
        for k in _keys(client, settings.bucket_reports, "runs/load-")
    }
    lost = (
        sorted(b for b in ids.values() if processed.get(b, 0) + quarantined.get(b, 0) != 1)
        + [f"still incoming: {k}" for k in incoming]
        + [f"still claimed: {b}" for b in claimed]
    )

    # which batch each training run resolved (XCom of resolve_batch)
    run_batches: Counter[str] = Counter()
    runs = _training_runs_since(api, since_stamp)
    for run in runs:
        try:
            value = api.get(
                f"/api/v2/dags/{TRAINING}/dagRuns/{run['dag_run_id']}/taskInstances/"
                "resolve_batch/xcomEntries/return_value"
            )["value"]
        except Exception:  # noqa: BLE001 - skipped runs have no XCom
            continue
        # the stored (serialized) form: find the batch id in it whatever the envelope
        text = value if isinstance(value, str) else json.dumps(value)
        found = re.search(r"""["']batch_id["']:\s*["'](load-[^"']+)["']""", text)
        if found:
            run_batches[found.group(1)] += 1
    return LoadResult(
        n=n,
        put_seconds=put_seconds,
        total_seconds=total,
        max_running_training=watcher.max[TRAINING],
        max_running_sensor=watcher.max[SENSOR],
        max_active_runs=int(dag.get("max_active_runs") or 0),
        training_runs=len(runs),
        claimed_once=sum(1 for name, d in digests.items() if index.get(d) == ids[name]),
        processed_once=sum(1 for b in ids.values() if processed.get(b) == 1),
        published=len(published & set(ids.values())),
        quarantined=sum(quarantined.values()),
        lost=lost,
        run_batches=dict(run_batches),
    )


def table(result: LoadResult) -> str:
    """A small Markdown table of a load run."""
    rows = [
        ("batches", result.n),
        ("landing spread (s)", f"{result.put_seconds:.1f}"),
        ("landing -> all processed (s)", f"{result.total_seconds:.0f}"),
        ("throughput (batches/min)", f"{result.batches_per_minute:.2f}"),
        ("training DAG runs", result.training_runs),
        (
            "max running training runs (max_active_runs)",
            f"{result.max_running_training} ({result.max_active_runs})",
        ),
        (
            "claimed once / processed once / published",
            f"{result.claimed_once} / {result.processed_once} / {result.published}",
        ),
        ("quarantined / lost", f"{result.quarantined} / {len(result.lost)}"),
    ]
    return "\n".join(["| measure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])
