"""Training strategies on Elec2, and the cost of MLflow logging + registration per model.

Part 1 (no services needed) replays Elec2 as a stream of batches of ``--batch-rows`` rows
(default 1344 = four weeks). Test-then-train (prequential, Gama et al., 2013): each batch
is first scored by the current model, then the model is updated by the strategy. The table
shows the mean accuracy over the scored batches, and the CPU seconds
(:func:`time.process_time`) and wall seconds per training run. The "previous label"
baseline predicts each row's label by the row before it (about 0.85 on Elec2, Zliobaite
2013) and uses a feature the models do not have.

Part 2 (needs a running MLflow server with S3 artifacts; ``MLFLOW_TRACKING_URI`` and the
AWS/DRIFTLINE variables exported, e.g. ``source <state>/credentials.env``) times
:func:`driftline.training.log_training` plus registration (register, load-and-predict
check, ``challenger`` alias) for ``--models`` models on the Elec2 reference window. The
first model in a process pays the import costs (cold); the others are warm.

Usage::

    python benchmarks/training_benchmark.py [path/to/elec2.csv] [--batch-rows 1344] [--models 4]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from driftline.training import (
    Batch,
    FineTune,
    FullRetrain,
    ModelSpec,
    Strategy,
    Window,
    log_training,
)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "elec2.csv"
FEATURES = ("period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer")


def load(path: Path, batch_rows: int) -> list[Batch]:
    df = pd.read_csv(path)
    n = len(df) // batch_rows
    return [
        Batch(
            f"elec2-{i:03d}",
            df.iloc[i * batch_rows : (i + 1) * batch_rows].reset_index(drop=True),
            f"file://{path}#batch={i}",
        )
        for i in range(n)
    ]


class HGBWarmStart(Strategy):
    """Not offered by driftline: scikit-learn's warm start of HistGradientBoosting on new data.

    Kept here as the evidence for ``driftline.training.spec``: ``fit`` re-bins the features
    on the new data while the existing trees keep bin indices of the old bins.
    """

    name = "fine_tune"

    def __init__(self, extra_trees: int = 20, threads: int | None = None) -> None:
        super().__init__(Window.last(1), threads)
        self.extra_trees = extra_trees

    def _fit(self, spec, X, y, sample_weight, champion):
        model = copy.deepcopy(champion)
        est = model.named_steps["model"]
        est.set_params(warm_start=True, max_iter=est.n_iter_ + self.extra_trees)
        est.fit(model.named_steps["preprocess"].transform(X), y)
        return model


def spec_for(estimator: str) -> ModelSpec:
    return ModelSpec("classification", "class", numeric=FEATURES, estimator=estimator)


def prequential(
    batches: list[Batch], spec: ModelSpec, strategy, start: int, threads: int | None
) -> dict[str, float]:
    """Test-then-train over the batches after the first ``start`` (the reference)."""
    base = FullRetrain(Window.all(), strategy.threads if strategy else 1).train(
        spec, batches[:start]
    )
    model, accs, cpu, wall, runs = base.model, [], [], [], 0
    for k in range(start, len(batches)):
        frame = batches[k].frame
        accs.append(
            float(np.mean(model.predict(frame[list(FEATURES)]) == frame["class"].to_numpy()))
        )
        if strategy is None:
            continue
        result = strategy.train(spec, batches[: k + 1], champion=model)
        model = result.model
        cpu.append(result.cpu_seconds)
        wall.append(result.wall_seconds)
        runs += 1
    return {
        "accuracy": float(np.mean(accs)),
        "runs": runs,
        "cpu_mean": float(np.mean(cpu)) if cpu else 0.0,
        "wall_mean": float(np.mean(wall)) if wall else 0.0,
        "wall_max": float(np.max(wall)) if wall else 0.0,
        "reference_wall": base.wall_seconds,
    }


def previous_label_baseline(batches: list[Batch], start: int) -> float:
    accs = []
    for b in batches[start:]:
        y = b.frame["class"].to_numpy()
        accs.append(float(np.mean(y[1:] == y[:-1])))
    return float(np.mean(accs))


def part1(batches: list[Batch], start: int, threads: int | None) -> None:
    cases = [
        ("mlp", "none (reference model only)", None),
        ("mlp", "full_retrain, all history", FullRetrain(Window.all(), threads)),
        ("mlp", "full_retrain, last 6 batches", FullRetrain(Window.last(6), threads)),
        ("mlp", "full_retrain, all, half-life 3", FullRetrain(Window.all(half_life=3.0), threads)),
        (
            "mlp",
            "fine_tune, new batch, 10 epochs",
            FineTune(Window.last(1), epochs=10, threads=threads),
        ),
        (
            "mlp",
            "fine_tune, last 3 batches, 5 ep.",
            FineTune(Window.last(3), epochs=5, threads=threads),
        ),
        (
            "sgd",
            "fine_tune, new batch, 10 epochs",
            FineTune(Window.last(1), epochs=10, threads=threads),
        ),
        ("hgb", "none (reference model only)", None),
        ("hgb", "full_retrain, all history", FullRetrain(Window.all(), threads)),
        ("hgb", "full_retrain, last 6 batches", FullRetrain(Window.last(6), threads)),
        ("hgb", "sklearn warm start +20 trees (*)", HGBWarmStart(20, threads)),
    ]
    print(
        f"\nPart 1: Elec2, {len(batches)} batches of {len(batches[0].frame)} rows; "
        f"reference = first {start}; {len(batches) - start} batches scored then trained on"
    )
    print(
        f"{'estimator':<9} {'strategy':<34} {'accuracy':>8} {'runs':>4} {'cpu s/run':>9} "
        f"{'wall s/run':>10} {'wall max':>8}"
    )
    for estimator, label, strategy in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = prequential(batches, spec_for(estimator), strategy, start, threads)
        print(
            f"{estimator:<9} {label:<34} {r['accuracy']:>8.4f} {r['runs']:>4d} {r['cpu_mean']:>9.2f} "
            f"{r['wall_mean']:>10.2f} {r['wall_max']:>8.2f}"
        )
    print(
        f"{'-':<9} {'previous-label baseline':<34} {previous_label_baseline(batches, start):>8.4f}"
    )
    print("(*) not a driftline strategy; shows why HistGradientBoosting is full-retrain only")


def part2(batches: list[Batch], start: int, n_models: int) -> None:
    from driftline.settings import Settings
    from driftline.training import Registry
    from driftline.training.window import split_holdout

    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        print(
            "\nPart 2 skipped: MLFLOW_TRACKING_URI is not set. Start a stack (make up) and "
            "export its environment (source <state>/credentials.env and the DRIFTLINE_/"
            "MLFLOW_ variables) to time MLflow logging and registration."
        )
        return
    settings = Settings.from_env()
    name = f"bench-{uuid.uuid4().hex[:8]}"
    registry = Registry(name, uri)
    spec = spec_for("mlp")
    rows = []
    for i in range(n_models):
        hist = batches[: start + i + 1]
        train, holdout = split_holdout(hist[-1].frame, 0.2)
        hist = [*hist[:-1], Batch(hist[-1].batch_id, train, hist[-1].source)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = FullRetrain(Window.all(), threads=1).train(spec, hist)
        t0 = time.perf_counter()
        logged = log_training(
            result,
            batch_id=hist[-1].batch_id,
            experiment=name,
            holdout=holdout,
            trigger="benchmark",
            tracking_uri=uri,
        )
        t1 = time.perf_counter()
        version = registry.register(
            logged.model_uri,
            run_id=logged.run_id,
            batch_id=hist[-1].batch_id,
            strategy=result.strategy,
            trigger="benchmark",
            parent_version=None,
            model_id=logged.model_id,
        )
        registry.verify(str(version.version), holdout[list(spec.features)].head(5))
        registry.set_challenger(str(version.version))
        t2 = time.perf_counter()
        rows.append((i, result.rows, result.wall_seconds, t1 - t0, t2 - t1))
    print(
        f"\nPart 2: MLflow logging + registration per model ({settings.mlflow_tracking_uri}, "
        f"artifacts in s3://{settings.bucket_mlflow}); model {name}"
    )
    print(
        f"{'model':>5} {'rows':>6} {'train s':>8} {'log s':>7} {'register s':>10} {'overhead s':>10}"
    )
    for i, n, tr, lg, rg in rows:
        print(
            f"{i:>5d} {n:>6d} {tr:>8.2f} {lg:>7.2f} {rg:>10.2f} {lg + rg:>10.2f}"
            f"{'  (cold: first in process)' if i == 0 else ''}"
        )
    warm = [lg + rg for _, _, _, lg, rg in rows[1:]]
    if warm:
        print(f"warm median overhead: {statistics.median(warm):.2f} s (target < 5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch-rows", type=int, default=1344)
    parser.add_argument("--reference-batches", type=int, default=4)
    parser.add_argument("--models", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (0: no limit)")
    parser.add_argument("--skip-part1", action="store_true")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data} not found: pass the path to elec2.csv")
    batches = load(args.data, args.batch_rows)
    if not args.skip_part1:
        part1(batches, args.reference_batches, args.threads or None)
    part2(batches, args.reference_batches, args.models)


if __name__ == "__main__":
    main()
