"""Label-free performance estimation: Driftline's CBPE / DLE against NannyML 0.13 (a table).

For each stream of the policy suite (``driftline.backtest.STREAMS``) and seed, the
champion is the backtest's bootstrap model (trained on the first ``bootstrap_batches``
batches minus their newest 20 %, its hold-out, as ``run_backtest`` does) and is never
retrained, so every later batch is scored by the same model. Both estimators get the same
inputs: the champion's probabilities (or predictions and features, for DLE) and labels on
the hold-out, and its outputs on every later batch without labels. Per batch the estimate
is compared with the realized accuracy (MAE for the regression stream ``friedman``).

* **Driftline**: :class:`driftline.estimate.CBPE` (isotonic calibration on the hold-out;
  accuracy, F1 and ROC AUC with 95 % bands) or :class:`driftline.estimate.DLE`, in this
  process;
* **NannyML 0.13**: ``nannyml.CBPE`` (``problem_type="classification_binary"``, the same
  three metrics, one chunk per batch) or ``nannyml.DLE`` (``mae``), in its own venv
  (``.state/bench-venvs/nannyml``, created on first use: NannyML needs pandas < 3), in a
  subprocess; data handed over as parquet, results as JSON.

Seconds are wall time of fitting on the hold-out plus estimating every batch (imports,
file reading and the champion's scoring excluded), the best of ``--repeat`` runs, with
BLAS / OpenMP limited to one thread in both processes.

Usage::

    .venv/bin/python benchmarks/performance_estimation.py                  # every stream, seeds 0-2
    .venv/bin/python benchmarks/performance_estimation.py --streams covariate --seeds 0
    .venv/bin/python benchmarks/performance_estimation.py --no-nannyml     # Driftline only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".state" / "bench-venvs" / "nannyml"
NANNYML = ["nannyml==0.13.*", "pandas<3", "statsmodels"]  # statsmodels: category-encoders
#: stream -> shift kind shown in the table.
STREAMS = {
    "stationary": "none (control)",
    "covariate": "covariate shift",
    "label_shift": "label shift",
    "sea": "concept (abrupt)",
    "agrawal": "concept (gradual)",
    "hyperplane": "concept (rotating)",
    "elec2": "real (mostly concept)",
    "friedman": "regression, concept (abrupt)",
}
METRICS = ("accuracy", "f1", "roc_auc")

NANNYML_SCRIPT = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
import nannyml as nml
d, task, chunk, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ref = pd.read_parquet(f"{d}/reference.parquet"); ana = pd.read_parquet(f"{d}/analysis.parquet")
features = json.loads(open(f"{d}/features.json").read())
best, values = float("inf"), None
for _ in range(repeat):
    t0 = time.perf_counter()
    if task == "classification":
        est = nml.CBPE(y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="y_true",
                       problem_type="classification_binary",
                       metrics=["accuracy", "f1", "roc_auc"], chunk_size=chunk)
        metrics = ["accuracy", "f1", "roc_auc"]
    else:
        est = nml.DLE(feature_column_names=features, y_pred="y_pred", y_true="y_true",
                      metrics=["mae"], chunk_size=chunk)
        metrics = ["mae"]
    est.fit(ref)
    res = est.estimate(ana.drop(columns=["y_true"])).filter(period="analysis").to_df()
    best = min(best, time.perf_counter() - t0)
    values = {m: [None if v != v else float(v) for v in res[(m, "value")]] for m in metrics}
print(json.dumps({"seconds": best, "values": values, "version": nml.__version__}))
"""


def nannyml_python() -> Path | None:
    """The NannyML venv's python, created with the project's uv on first use."""
    py = VENV / "bin" / "python"
    if (VENV / ".installed").exists():
        return py
    uv = ROOT / ".venv" / "bin" / "uv"
    try:
        VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3.11", "-m", "venv", str(VENV)], check=True, timeout=300)
        subprocess.run(
            [str(uv), "pip", "install", "--python", str(py), *NANNYML],
            check=True,
            timeout=1800,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"  (nannyml: install failed, skipped: {exc})", file=sys.stderr)
        return None
    (VENV / ".installed").write_text("ok")
    return py


def champion_and_batches(name: str, seed: int):
    """The stream's bootstrap champion, its hold-out and the later batches (as the backtest)."""
    from driftline.backtest import STREAMS as SUITE
    from driftline.backtest import infer_contract, to_batches
    from driftline.training import (
        Batch,
        FullRetrain,
        LabelledPolicy,
        ModelSpec,
        Window,
        split_holdout,
    )

    stream = SUITE[name]
    frame = stream.load(seed)
    batches = to_batches(frame, stream.batch_size, source=name)
    n_boot = stream.bootstrap_batches
    reference = pd.concat([b.frame for b in batches[:n_boot]], ignore_index=True)
    contract = infer_contract(reference, stream.target)
    spec = ModelSpec.from_contract(contract, seed=seed)
    train, holdout = split_holdout(reference, LabelledPolicy().holdout_fraction, spec.timestamp)
    model = FullRetrain(Window.all()).train(spec, Batch("bootstrap", train, "bootstrap")).model
    return stream, spec, model, holdout, batches[n_boot:]


def driftline_run(spec, model, holdout, later, repeat: int) -> tuple[float, list[dict]]:
    """Best wall time of fit + estimate of every batch, and the estimates."""
    from driftline.estimate import Scored, estimator_for

    reference = Scored.of(model, holdout, spec.features, target=spec.target)
    current = [Scored.of(model, b.frame, spec.features) for b in later]
    best, out = float("inf"), []
    for _ in range(repeat):
        t0 = time.perf_counter()
        est = estimator_for(spec.task, seed=0).fit(reference)
        out = [est.estimate(c) for c in current]
        best = min(best, time.perf_counter() - t0)
    return best, out


def hand_off(d: Path, spec, model, holdout, later) -> None:
    """Reference and analysis parquet files in NannyML's layout (binary: positive = class 1)."""

    def table(frame: pd.DataFrame) -> pd.DataFrame:
        X = frame[list(spec.features)]
        out = X.copy() if spec.task == "regression" else pd.DataFrame(index=X.index)
        pred = model.predict(X)
        if spec.task == "classification":
            positive = model.classes_[1]
            out["y_pred_proba"] = model.predict_proba(X)[:, 1]
            out["y_pred"] = (pred == positive).astype(int)
            out["y_true"] = (frame[spec.target].to_numpy() == positive).astype(int)
        else:
            out["y_pred"] = pred.astype(float)
            out["y_true"] = frame[spec.target].to_numpy(dtype=float)
        return out.reset_index(drop=True)

    table(holdout).to_parquet(d / "reference.parquet")
    pd.concat([table(b.frame) for b in later], ignore_index=True).to_parquet(d / "analysis.parquet")
    features = list(spec.features) if spec.task == "regression" else []
    (d / "features.json").write_text(json.dumps(features))


def nannyml_run(py: Path, d: Path, task: str, chunk: int, repeat: int) -> dict | None:
    script = d / "_nannyml.py"
    script.write_text(NANNYML_SCRIPT)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    try:
        out = subprocess.run(
            [str(py), str(script), str(d), task, str(chunk), str(repeat)],
            capture_output=True,
            text=True,
            timeout=3600,
            check=True,
            env=env,
        )
    except subprocess.CalledProcessError as exc:
        print(f"  (nannyml failed: {exc.stderr.strip().splitlines()[-3:]})", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(name: str, seed: int, py: Path | None, repeat: int) -> dict:
    from driftline.estimate import estimator_for
    from driftline.estimate.scored import Scored

    stream, spec, model, holdout, later = champion_and_batches(name, seed)
    seconds, estimates = driftline_run(spec, model, holdout, later, repeat)
    judge = estimator_for(spec.task)  # realized metrics of the labelled batches
    judge.fit(Scored.of(model, holdout, spec.features, target=spec.target))
    realized = [
        judge.realized(Scored.of(model, b.frame, spec.features, target=spec.target)) for b in later
    ]
    metrics = ("mae",) if spec.task == "regression" else METRICS
    row: dict = {
        "stream": name,
        "seed": seed,
        "batches": len(later),
        "holdout": len(holdout),
        "reference": judge.reference_values[metrics[0]],
        "dl_seconds": seconds,
    }
    for m in metrics:
        truth = np.array([r[m] for r in realized])
        est = np.array([e[m].value for e in estimates])
        row[f"{m}_realized_mean"] = float(np.nanmean(truth))
        row[f"dl_{m}_mae"] = float(np.nanmean(np.abs(est - truth)))
        row[f"dl_{m}_coverage"] = float(
            np.mean([e[m].covers(t) for e, t in zip(estimates, truth, strict=True)])
        )
        row[f"naive_{m}_mae"] = float(np.nanmean(np.abs(judge.reference_values[m] - truth)))
    if py is not None:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            hand_off(d, spec, model, holdout, later)
            nm = nannyml_run(py, d, spec.task, stream.batch_size, repeat)
        if nm is not None:
            row["nm_seconds"] = nm["seconds"]
            row["nannyml"] = nm["version"]
            for m in metrics:
                truth = np.array([r[m] for r in realized])
                values = np.array(
                    [np.nan if v is None else v for v in nm["values"][m]], dtype=float
                )
                if len(values) != len(truth):
                    print(
                        f"  ({name}: NannyML gave {len(values)} chunks for {len(truth)} batches)",
                        file=sys.stderr,
                    )
                    values = values[: len(truth)]
                row[f"nm_{m}_mae"] = float(np.nanmean(np.abs(values - truth[: len(values)])))
    return row


def summarise(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    out = []
    for name, g in frame.groupby("stream", sort=False):
        metric = "mae" if name == "friedman" else "accuracy"
        r = {
            "stream": name,
            "shift kind": STREAMS[name],
            "metric": metric,
            "seeds": len(g),
            "batches": int(g["batches"].sum()),
            "hold-out rows": int(g["holdout"].mean()),
            "realized (mean)": g[f"{metric}_realized_mean"].mean(),
            "no-change MAE": g[f"naive_{metric}_mae"].mean(),
            "Driftline MAE": g[f"dl_{metric}_mae"].mean(),
            "NannyML MAE": g[f"nm_{metric}_mae"].mean() if f"nm_{metric}_mae" in g else np.nan,
            "Driftline band coverage": g[f"dl_{metric}_coverage"].mean(),
            "Driftline s": g["dl_seconds"].mean(),
            "NannyML s": g["nm_seconds"].mean() if "nm_seconds" in g else np.nan,
        }
        r["speed-up"] = r["NannyML s"] / r["Driftline s"]
        if metric == "accuracy":
            for m in ("f1", "roc_auc"):
                r[f"{m}: Driftline / NannyML MAE"] = f"{g[f'dl_{m}_mae'].mean():.4f} / " + (
                    f"{g[f'nm_{m}_mae'].mean():.4f}" if f"nm_{m}_mae" in g else "–"
                )
        out.append(r)
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    def cell(col: str, v) -> str:
        if isinstance(v, str):
            return v
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return "–"
        if col in ("seeds", "batches", "hold-out rows"):
            return str(int(v))
        if col == "speed-up":
            return f"{v:.1f}x"
        if col.endswith(" s"):
            return f"{v:.3f}"
        if "coverage" in col:
            return f"{100 * v:.0f} %"
        return f"{v:.4f}"

    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(cell(c, row[c]) for c in cols) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", default=",".join(STREAMS))
    ap.add_argument("--seeds", default="0,1,2", help="seeds of the synthetic streams (elec2: one)")
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    ap.add_argument("--no-nannyml", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "performance_estimation"))
    args = ap.parse_args(argv)
    py = None if args.no_nannyml else nannyml_python()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    load = []
    for name in args.streams.split(","):
        for seed in seeds if name != "elec2" else seeds[:1]:
            t = time.perf_counter()
            row = measure(name, seed, py, args.repeat)
            load.append(os.getloadavg()[0])
            rows.append(row)
            print(
                f"[estimate] {name:<11} seed {seed}: Driftline MAE "
                f"{row.get('dl_accuracy_mae', row.get('dl_mae_mae')):.4f}, NannyML "
                f"{row.get('nm_accuracy_mae', row.get('nm_mae_mae', float('nan'))):.4f}; "
                f"{row['dl_seconds']:.3f} s vs {row.get('nm_seconds', float('nan')):.3f} s "
                f"({time.perf_counter() - t:.0f} s, load {load[-1]:.1f})",
                flush=True,
            )
    table = summarise(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "runs.csv", index=False)
    text = markdown(table)
    (out / "table.md").write_text(text + "\n")
    print()
    print(text)
    print(
        f"\nload average during the run: min {min(load):.1f}, mean {np.mean(load):.1f}, "
        f"max {max(load):.1f} (2 cores)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
