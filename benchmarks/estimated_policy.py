"""Act on the estimated drop before labels arrive, or wait for the labels? (prints a table)

Each stream of the policy suite is replayed with a label delay (default 4: the labels of
batch ``t`` arrive after batch ``t + 3`` was scored) through

* ``driftline`` — the Driftline policy, which reacts when a batch's labels arrive
  ("wait for labels");
* ``estimated (<action>)`` — the same policy plus, on every new batch before its labels
  exist, CBPE / DLE of the champion and, on an estimated drop (estimate more than
  ``--floor`` below the champion's hold-out value), the label-free ``<action>`` at once,
  promoted only through the gate (:class:`driftline.backtest.estimated.EstimatedDropPolicy`).

Same batches, bootstrap model, validation and scoring as ``run_backtest``
(:func:`driftline.backtest.estimated.replay`). The policy is benchmark-only: the runner's
``make_policy`` does not name it (registering it is more than a one-line change).

Usage::

    .venv/bin/python benchmarks/estimated_policy.py
    .venv/bin/python benchmarks/estimated_policy.py --streams label_shift,covariate --seeds 0,1
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
STREAMS = ("stationary", "covariate", "label_shift", "sea", "agrawal", "elec2", "friedman")
ACTIONS = ("recalibrate_priors", "reweight_retrain")


def run(name: str, seed: int, delay: int, floor: float) -> list[dict]:
    from driftline.backtest import STREAMS as SUITE
    from driftline.backtest import BacktestConfig, make_policy
    from driftline.backtest.estimated import EstimatedDropPolicy, replay

    spec = SUITE[name]
    frame = spec.load(seed)
    config = BacktestConfig(
        target=spec.target,
        batch_size=spec.batch_size,
        bootstrap_batches=spec.bootstrap_batches,
        label_delay=delay,
        seed=seed,
        progress_every=10**9,
    )
    actions = ACTIONS if spec.task == "classification" else ("reweight_retrain",)
    policies = [make_policy("driftline", config)] + [
        EstimatedDropPolicy(labelled=config.policy_defaults, action=a, floor=floor) for a in actions
    ]
    t = time.perf_counter()
    result = replay(frame, config, policies, source=name)
    wait = result.overall(result.run("driftline").scores)
    rows = []
    for r in result.runs:
        early = [s for s in r.steps if s.action in ACTIONS]
        value = result.overall(r.scores)
        gain = value - wait if result.higher_is_better else (wait - value) / wait
        rows.append(
            {
                "stream": name,
                "seed": seed,
                "metric": result.metric,
                "policy": r.label if r.name != "driftline" else "driftline (wait for labels)",
                "value": value,
                "worst 4-batch": result.worst_window(r.scores),
                "gain vs waiting": 100.0 * gain,
                "estimated drops": len(early),
                "adapted": sum(1 for s in early if s.trained),
                "promoted early": sum(1 for s in early if s.promoted),
                "CPU s": r.cpu_seconds,
            }
        )
    print(
        f"[estimated] {name:<11} seed {seed}: "
        + " | ".join(f"{x['policy']} {x['value']:.4f} ({x['estimated drops']} drops)" for x in rows)
        + f" | {time.perf_counter() - t:.0f} s, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return rows


def markdown(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            if isinstance(v, str):
                cells.append(v)
            elif c in ("seeds", "estimated drops", "adapted", "promoted early"):
                cells.append(f"{v:g}")
            elif c == "gain vs waiting":
                cells.append(f"{v:+.2f}")
            elif c == "CPU s":
                cells.append(f"{v:.1f}")
            else:
                cells.append(f"{v:.4f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", default=",".join(STREAMS))
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--delay", type=int, default=4)
    ap.add_argument("--floor", type=float, default=0.05)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "estimated_policy"))
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    rows, load = [], []
    with threadpool_limits(limits=1):
        for name in args.streams.split(","):
            seeds = [int(s) for s in args.seeds.split(",")]
            for seed in seeds if name != "elec2" else seeds[:1]:
                rows += run(name, seed, args.delay, args.floor)
                load.append(os.getloadavg()[0])
    frame = pd.DataFrame(rows)
    table = (
        frame.groupby(["stream", "policy"], sort=False)
        .agg(
            metric=("metric", "first"),
            seeds=("seed", "nunique"),
            value=("value", "mean"),
            worst=("worst 4-batch", "mean"),
            gain=("gain vs waiting", "mean"),
            drops=("estimated drops", "sum"),
            adapted=("adapted", "sum"),
            promoted=("promoted early", "sum"),
            cpu=("CPU s", "mean"),
        )
        .reset_index()
        .rename(
            columns={
                "worst": "worst 4-batch",
                "gain": "gain vs waiting",
                "drops": "estimated drops",
                "promoted": "promoted early",
                "cpu": "CPU s",
            }
        )
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "runs.csv", index=False)
    text = markdown(table)
    (out / "table.md").write_text(text + "\n")
    print()
    print(
        f"label delay {args.delay}, drop floor {100 * args.floor:g} % of the hold-out metric; "
        "gain: accuracy points (regression: % of MAE saved) against waiting for labels"
    )
    print(text)
    print(f"\nload average: min {min(load):.1f}, mean {np.mean(load):.1f}, max {max(load):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
