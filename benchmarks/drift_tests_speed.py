"""Wall time of each individual drift test in ``driftline.drift`` (prints a table).

Each test runs on synthetic data with ``n`` rows per side (a small shift, so the tests
do real work), best of ``--repeat`` runs, in this process. Streaming detectors are timed
on a stream of ``2 n`` values: the vectorised ``first_drift`` against ``update`` called
per value.

Usage::

    .venv/bin/python benchmarks/drift_tests_speed.py                  # 10k, 100k, 1M
    .venv/bin/python benchmarks/drift_tests_speed.py --sizes 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from driftline.drift import (
    ADWIN,
    DDM,
    PSI,
    BlackBoxShift,
    CategoricalPSI,
    ChiSquare,
    DomainClassifier,
    JensenShannon,
    KolmogorovSmirnov,
    LabelProportions,
    PerformanceDrop,
    Wasserstein,
)


def _cases(n: int, rng: np.random.Generator) -> dict[str, Callable[[], object]]:
    x, y = rng.normal(size=n), rng.normal(0.05, 1, n)
    levels = np.array([f"level-{i}" for i in range(30)])
    c1, c2 = levels[rng.integers(0, 30, n)], levels[rng.integers(0, 29, n)]
    labels1, labels2 = rng.integers(0, 3, n), rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3))
    p1 = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p2 = np.roll(p1, 1, axis=0)
    ok1, ok2 = rng.random(n) < 0.85, rng.random(n) < 0.83
    errors = np.r_[rng.random(n) < 0.1, rng.random(n) < 0.12].astype(float)
    f1 = pd.DataFrame({"a": x, "b": rng.normal(size=n), "c": c1})
    f2 = pd.DataFrame({"a": y, "b": rng.normal(size=n), "c": c2})

    def streamed(detector: ADWIN | DDM) -> Callable[[], object]:
        def run() -> object:
            d = detector.clone()
            return [d.update(v) for v in errors]

        return run

    cases: dict[str, Callable[[], object]] = {
        "KolmogorovSmirnov": lambda: KolmogorovSmirnov().test(x, y),
        "PSI": lambda: PSI().test(x, y),
        "Wasserstein (500 perms)": lambda: Wasserstein().test(x, y),
        "ChiSquare (30 levels)": lambda: ChiSquare().test(c1, c2),
        "JensenShannon (30 levels)": lambda: JensenShannon().test(c1, c2),
        "CategoricalPSI (30 levels)": lambda: CategoricalPSI().test(c1, c2),
        "LabelProportions": lambda: LabelProportions().test(labels1, labels2),
        "BlackBoxShift (3 classes)": lambda: BlackBoxShift().test(p1, p2),
        "PerformanceDrop": lambda: PerformanceDrop().test(ok1, ok2),
        "DomainClassifier (3 cols)": lambda: DomainClassifier().test(f1, f2),
        "DDM.first_drift (2n)": lambda: DDM().first_drift(errors),
        "ADWIN.first_drift (2n)": lambda: ADWIN().first_drift(errors),
    }
    if n <= 100_000:
        cases["DDM.update x 2n"] = streamed(DDM())
        cases["ADWIN.update x 2n"] = streamed(ADWIN())
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    table: dict[str, dict[int, float]] = {}
    for n in args.sizes:
        for name, run in _cases(n, rng).items():
            best = np.inf
            for _ in range(args.repeat):
                start = time.perf_counter()
                run()
                best = min(best, time.perf_counter() - start)
            table.setdefault(name, {})[n] = best
    width = max(len(k) for k in table)
    print(f"{'test (rows per side)':<{width}} " + " ".join(f"{n:>12,}" for n in args.sizes))
    for name, row in table.items():
        cells = [f"{row[n]:>11.3f}s" if n in row else f"{'-':>12}" for n in args.sizes]
        print(f"{name:<{width}} " + " ".join(cells))


if __name__ == "__main__":
    main()
