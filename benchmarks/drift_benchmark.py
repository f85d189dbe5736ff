"""Benchmark of Driftline's dataset-level drift check (prints a table; not a test).

Data: 20 numeric float64 columns (normal, lognormal, uniform and two-component normal
mixtures at scales 0.01 to 100) and 5 string categorical columns (5 to 50 levels,
Zipf-like). The current batch shifts the mean of 5 numeric columns by 0.25 sd and moves 2
categorical columns halfway toward their reversed frequencies: 7 shifted columns, 18 not.

Each measurement runs in its own subprocess (time and peak RSS of that process,
``ru_maxrss``, imports included):

* ``driftline``  load the stored profile (JSON), read the current parquet in chunks and
  run the univariate suite with Holm correction and effect sizes (``check_parquet``);
* ``read+sort``  read both parquet files and sort every numeric column once (a floor for
  any exact two-sample method);
* ``scipy``      read both files, ``scipy.stats.ks_2samp`` per numeric column and
  ``chi2_contingency`` per categorical one, Holm-corrected;
* ``evidently`` / ``alibi-detect`` (``--with-competitors``) in their own venvs under
  ``.state/bench-venvs/`` (Evidently 0.7 needs pandas<3; alibi-detect needs numpy<2).

Usage::

    .venv/bin/python benchmarks/drift_benchmark.py                 # 10k, 100k, 1M rows
    .venv/bin/python benchmarks/drift_benchmark.py --sizes 10000 --with-competitors
    .venv/bin/python benchmarks/drift_benchmark.py --big            # adds 10M rows
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".state" / "bench-venvs"
FAMILIES = ("normal", "lognormal", "uniform", "mixture")
N_NUMERIC = 20
CAT_LEVELS = (5, 10, 20, 35, 50)
SHIFTED_NUMERIC = tuple(f"num_{i:02d}" for i in range(5))
SHIFTED_CATEGORICAL = ("cat_0", "cat_3")
SHIFT_SD = 0.25
CHUNK = 1_000_000
LN_SIGMA = 0.75

COMPETITORS = {
    "evidently": ["evidently==0.7.*", "pandas<3", "pyarrow<25"],
    "alibi-detect": ["alibi-detect", "numpy<2", "pandas<3", "pyarrow<25"],
}


# ---------------------------------------------------------------------------------------
# data


def _numeric(i: int, n: int, rng: np.random.Generator, shifted: bool) -> np.ndarray:
    fam = FAMILIES[i % 4]
    scale = 10.0 ** (i // 4 - 2)
    if fam == "normal":
        x, sd = rng.normal(3 * scale, scale, n), scale
    elif fam == "lognormal":
        s2 = LN_SIGMA**2
        x, sd = (
            scale * rng.lognormal(0, LN_SIGMA, n),
            scale * np.sqrt((np.exp(s2) - 1) * np.exp(s2)),
        )
    elif fam == "uniform":
        x, sd = rng.uniform(-scale, 3 * scale, n), 4 * scale / np.sqrt(12)
    else:
        first = rng.random(n) < 0.6
        x = np.where(first, rng.normal(0, scale, n), rng.normal(4 * scale, 0.5 * scale, n))
        sd = scale * np.sqrt(0.6 * 1 + 0.4 * (16 + 0.25) - 1.6**2)
    if shifted and f"num_{i:02d}" in SHIFTED_NUMERIC:
        x = x + SHIFT_SD * sd
    return x


def _categorical(j: int, n: int, rng: np.random.Generator, shifted: bool) -> pa.Array:
    k = CAT_LEVELS[j]
    p = 1.0 / np.arange(1, k + 1) ** 1.1
    p /= p.sum()
    if shifted and f"cat_{j}" in SHIFTED_CATEGORICAL:
        p = (p + p[::-1]) / 2
    idx = rng.choice(k, size=n, p=p).astype(np.int32)
    levels = pa.array([f"level_{v:02d}" for v in range(k)])
    return pa.DictionaryArray.from_arrays(pa.array(idx), levels).cast(pa.string())


def make_table(n: int, seed: int, shifted: bool) -> pa.Table:
    """One chunk of benchmark data."""
    rng = np.random.default_rng(seed)
    cols = {f"num_{i:02d}": _numeric(i, n, rng, shifted) for i in range(N_NUMERIC)}
    cols |= {f"cat_{j}": _categorical(j, n, rng, shifted) for j in range(len(CAT_LEVELS))}
    return pa.table(cols)


def write_parquet(path: Path, n: int, seed: int, shifted: bool) -> None:
    """Write ``n`` rows in chunks of at most 1M rows (memory bounded)."""
    writer = None
    done, part = 0, 0
    while done < n:
        m = min(CHUNK, n - done)
        t = make_table(m, seed * 1000 + part, shifted)
        if writer is None:
            writer = pq.ParquetWriter(str(path), t.schema)
        writer.write_table(t, row_group_size=min(m, CHUNK))
        done += m
        part += 1
    assert writer is not None
    writer.close()


# ---------------------------------------------------------------------------------------
# workers (each runs in its own process)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def work_driftline(d: Path) -> dict:
    from driftline.drift import DatasetDrift, ReferenceProfile

    t0, c0 = time.perf_counter(), time.process_time()
    profile = ReferenceProfile.from_json(d / "profile.json")
    report = DatasetDrift(alpha=0.05, correction="holm").check_parquet(
        profile, d / "current.parquet", chunk_rows=CHUNK
    )
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": time.process_time() - c0,
        "found": report.drifted_columns,
        "tested": len(report.columns),
    }


def _read_both(d: Path) -> tuple[pa.Table, pa.Table]:
    return pq.read_table(d / "reference.parquet"), pq.read_table(d / "current.parquet")


def work_readsort(d: Path) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    ref, cur = _read_both(d)
    for t in (ref, cur):
        for name in t.column_names:
            if name.startswith("num_"):
                np.sort(t.column(name).to_numpy())
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "found": None}


def work_scipy(d: Path) -> dict:
    import pyarrow.compute as pc
    from scipy import stats

    from driftline.drift.decision import adjust_pvalues

    t0, c0 = time.perf_counter(), time.process_time()
    ref, cur = _read_both(d)
    names, pvals = [], []
    for name in ref.column_names:
        if name.startswith("num_"):
            p = stats.ks_2samp(ref.column(name).to_numpy(), cur.column(name).to_numpy()).pvalue
        else:
            a = pc.value_counts(ref.column(name))
            b = pc.value_counts(cur.column(name))
            ca = dict(
                zip(a.field("values").to_pylist(), a.field("counts").to_pylist(), strict=True)
            )
            cb = dict(
                zip(b.field("values").to_pylist(), b.field("counts").to_pylist(), strict=True)
            )
            levels = sorted(set(ca) | set(cb))
            table = np.array([[ca.get(k, 0) for k in levels], [cb.get(k, 0) for k in levels]])
            p = stats.chi2_contingency(table).pvalue
        names.append(name)
        pvals.append(p)
    adj = adjust_pvalues(pvals, "holm")
    found = [n for n, p in zip(names, adj, strict=True) if p < 0.05]
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "found": found}


WORKERS = {"driftline": work_driftline, "read+sort": work_readsort, "scipy": work_scipy}

# Competitor workers: run with the competitor venv's python, read parquet with pandas.
EVIDENTLY_SCRIPT = r"""
import json, resource, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
d = sys.argv[1]
t0, c0 = time.perf_counter(), time.process_time()
ref = pd.read_parquet(f"{d}/reference.parquet"); cur = pd.read_parquet(f"{d}/current.parquet")
snap = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
res = snap.dict()
sec, cpu = time.perf_counter() - t0, time.process_time() - c0
found = []
for m in res.get("metrics", []):
    cfg = m.get("config") or {}
    if not str(cfg.get("type", "")).endswith("ValueDrift") or m.get("value") is None:
        continue
    thr, val = float(cfg.get("threshold", 0.05)), float(m["value"])
    is_test = "p_value" in str(cfg.get("method"))  # tests: p < threshold; distances: >=
    if (val < thr) if is_test else (val >= thr):
        found.append(cfg["column"])
print(json.dumps({"seconds": sec, "cpu": cpu, "found": sorted(set(found)),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

ALIBI_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
import pandas as pd
from alibi_detect.cd import TabularDrift
d = sys.argv[1]
t0, c0 = time.perf_counter(), time.process_time()
ref = pd.read_parquet(f"{d}/reference.parquet"); cur = pd.read_parquet(f"{d}/current.parquet")
cols = list(ref.columns)
cats = {}
xr = np.empty((len(ref), len(cols)), dtype=np.float64); xc = np.empty((len(cur), len(cols)), dtype=np.float64)
for i, c in enumerate(cols):
    if c.startswith("cat_"):
        levels = pd.Index(sorted(set(ref[c].unique()) | set(cur[c].unique())))
        xr[:, i] = levels.get_indexer(ref[c]); xc[:, i] = levels.get_indexer(cur[c])
        cats[i] = len(levels)
    else:
        xr[:, i] = ref[c].to_numpy(); xc[:, i] = cur[c].to_numpy()
cd = TabularDrift(xr, p_val=0.05, categories_per_feature=cats, correction="bonferroni")
pred = cd.predict(xc, drift_type="feature")
sec, cpu = time.perf_counter() - t0, time.process_time() - c0
found = [cols[i] for i, f in enumerate(np.asarray(pred["data"]["is_drift"]).ravel()) if f]
print(json.dumps({"seconds": sec, "cpu": cpu, "found": found,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
SCRIPTS = {"evidently": EVIDENTLY_SCRIPT, "alibi-detect": ALIBI_SCRIPT}


def _competitor_python(name: str) -> Path | None:
    venv = VENVS / name
    py = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.exists():
        return py
    if (venv / ".failed").exists():
        return None
    uv = ROOT / ".venv" / "bin" / "uv"
    try:
        VENVS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3.11", "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run(
            [str(uv), "pip", "install", "--python", str(py), *COMPETITORS[name]],
            check=True,
            timeout=1800,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as e:
        print(f"  ({name}: install failed, skipped: {e})", file=sys.stderr)
        venv.mkdir(parents=True, exist_ok=True)
        (venv / ".failed").write_text(str(e))
        return None
    stamp.write_text("ok")
    return py


def run_worker(name: str, d: Path, timeout: float) -> dict:
    """Run one measurement in a fresh process; returns seconds, peak RSS and columns found."""
    if name in SCRIPTS:
        py = _competitor_python(name)
        if py is None:
            return {"skipped": True}
        script = d / f"_{name}.py"
        script.write_text(SCRIPTS[name])
        cmd = [str(py), str(script), str(d)]
    else:
        cmd = [sys.executable, __file__, "--worker", name, "--dir", str(d)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"timeout": True}
    except subprocess.CalledProcessError as e:
        print(f"  ({name} failed: {e.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return {"failed": True}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# driver


def prepare(d: Path, n: int) -> float:
    """Write reference and current parquet files and the stored profile; profile time."""
    from driftline.drift import ReferenceProfile

    write_parquet(d / "reference.parquet", n, seed=1, shifted=False)
    write_parquet(d / "current.parquet", n, seed=2, shifted=True)
    t0 = time.perf_counter()
    ReferenceProfile.from_parquet(d / "reference.parquet", chunk_rows=CHUNK).to_json(
        d / "profile.json"
    )
    return time.perf_counter() - t0


def _found(res: dict) -> str:
    if res.get("found") is None:
        return "-"
    found = set(res["found"])
    shifted = set(SHIFTED_NUMERIC) | set(SHIFTED_CATEGORICAL)
    return f"{len(found & shifted)}/7 + {len(found - shifted)}/18 false"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--big", action="store_true", help="also 10M rows (chunked)")
    ap.add_argument("--with-competitors", action="store_true")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        res = WORKERS[args.worker](Path(args.dir))
        res["rss_mb"] = _rss_mb()
        print(json.dumps(res))
        return
    sizes = list(args.sizes) + ([10_000_000] if args.big else [])
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    names = ["driftline", "read+sort", "scipy"]
    if args.with_competitors:
        names += list(SCRIPTS)
    rows = []
    print(
        f"{'rows':>10} {'method':>13} {'seconds':>9} {'cpu s':>8} {'peak MB':>8} "
        f"{'x driftline':>11}  found"
    )
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"driftbench-{n}-"))
        try:
            build = prepare(tmp, n)
            base = None
            for name in names:
                if n >= 10_000_000 and name in ("evidently", "alibi-detect", "scipy"):
                    continue
                res = run_worker(name, tmp, args.timeout)
                if "seconds" not in res:
                    status = "skipped" if res.get("skipped") else "timeout/failed"
                    print(f"{n:>10} {name:>13} {status:>9}")
                    continue
                base = res["seconds"] if name == "driftline" else base
                ratio = res["seconds"] / base if base else float("nan")
                print(
                    f"{n:>10} {name:>13} {res['seconds']:>9.3f} {res.get('cpu', float('nan')):>8.2f} "
                    f"{res['rss_mb']:>8.0f} "
                    f"{ratio:>11.1f}  {_found(res)}",
                    flush=True,
                )
                rows.append({"rows": n, "method": name, **res})
            print(f"{n:>10} {'(profile build)':>13} {build:>9.3f}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "drift_benchmark.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
