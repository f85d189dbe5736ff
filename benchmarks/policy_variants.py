"""How the Driftline policy's defaults were chosen: variants of it on the whole policy suite.

Each variant is a set of :class:`driftline.training.LabelledPolicy` options; each is replayed
on every case of the policy suite (``driftline.backtest.streams`` x label regimes) and
compared, case by case, with the best of the four baselines (``never``, ``periodic`` every
4, ``always``, ``always_finetune``), which are replayed once per case and reused. The summary
gives, per variant: the mean and the worst gap to the best baseline (accuracy points, or
percent of MAE saved for regression), how many cases are within 0.5, the mean training CPU
in percent of ``always`` (the baseline run's), and the share of promotions that did
significantly worse on the next labelled batch than the model they replaced.

``--seed 1`` replays other realisations of the synthetic streams (and other model seeds):
the check that the chosen defaults were not fitted to one draw.

Usage::

    python benchmarks/policy_variants.py                         # every variant, every case
    python benchmarks/policy_variants.py --variants default,no_gate --regimes "delay 1"
    python benchmarks/policy_variants.py --seed 1 --variants default
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from driftline.backtest import REGIMES, STREAMS, BacktestConfig, run_backtest
from driftline.backtest.suite import BASELINES

OUT = Path(__file__).resolve().parent / "out"
FT_ONLY = {
    "covariate": "fine_tune",
    "concept": "fine_tune",
    "label": "fine_tune",
    "severe": "fine_tune",
    "unknown": "fine_tune",
    "stable": "fine_tune",
}
#: name -> (LabelledPolicy options, what it tests); "default" is the library's default.
#: Each other variant changes the default in one respect (the tuning steps of docs/backtest.md).
VARIANTS: dict[str, tuple[dict, str]] = {
    "default": ({}, "the defaults (LabelledPolicy())"),
    "before_issue_15": (
        {
            "rules": {**FT_ONLY, "concept": "full_retrain", "stable": "none"},
            "holdout_fraction": 0.2,
            "gate_batches": 1,
            "gate_test": "superiority",
            "fine_tune_rows": None,
            "fine_tune_half_life": None,
            "retrain_alternative": False,
        },
        "the old policy: gate on 20 % of the new batch, superiority, no training without drift",
    ),
    "one_batch_fine_tune": (
        {"fine_tune_rows": None},
        "fine-tune on the newest batch only",
    ),
    "equal_weights": ({"fine_tune_half_life": None}, "replayed batches weighted equally"),
    "half_life_1": ({"fine_tune_half_life": 1.0}, "recency half-life 1 batch"),
    "holdout_20_pool_4": (
        {"holdout_fraction": 0.2, "gate_batches": 4},
        "larger hold-out slices, fewer of them",
    ),
    "no_gate": ({"gate_alpha": 0.001}, "gate almost never refuses"),
    "retrain_on_mean": ({"retrain_test": "mean"}, "full retrain kept when its pool mean is higher"),
    "retrain_unselected": (
        {"retrain_alternative": False},
        "full retrain on every concept alarm, gated (no fine-tune alternative)",
    ),
    "fine_tune_only": ({"rules": FT_ONLY}, "never a full retrain"),
}


def gap(value: float, best: float, higher_is_better: bool) -> float:
    if higher_is_better:
        return 100.0 * (value - best)
    return 100.0 * (best - value) / best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", default=",".join(STREAMS))
    ap.add_argument("--regimes", default=",".join(REGIMES))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    names = [v for v in args.variants.split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variants {unknown}; use some of {list(VARIANTS)}")
    per_variant: dict[str, list[tuple[str, float, float, int, int]]] = {v: [] for v in names}
    per_variant.update({b: [] for b in BASELINES})
    t0 = time.perf_counter()
    for stream in [s for s in args.streams.split(",") if s]:
        spec = STREAMS[stream]
        frame = spec.load(args.seed)
        for regime in [r for r in args.regimes.split(",") if r]:
            common = dict(
                target=spec.target,
                batch_size=spec.batch_size,
                bootstrap_batches=spec.bootstrap_batches,
                seed=args.seed,
                validate=False,
                match_periodic=False,
                progress_every=10**9,
                **REGIMES[regime],
            )
            base = run_backtest(frame, BacktestConfig(policies=BASELINES, **common), source=stream)
            scores = {r.name: base.overall(r.scores) for r in base.runs}
            pick = max if base.higher_is_better else min
            best = pick(scores.values())
            always = base.run("always").cpu_seconds
            case = f"{stream} / {regime}"
            for r in base.runs:
                per_variant[r.name].append(
                    (
                        case,
                        gap(scores[r.name], best, base.higher_is_better),
                        100 * r.cpu_seconds / always,
                        r.checked_promotions,
                        r.worse_promotions,
                    )
                )
            for v in names:
                options, _ = VARIANTS[v]
                cfg = BacktestConfig(policies=("driftline",), driftline_options=options, **common)
                run = run_backtest(frame, cfg, source=stream).run("driftline")
                value = base.overall(run.scores)
                per_variant[v].append(
                    (
                        case,
                        gap(value, best, base.higher_is_better),
                        100 * run.cpu_seconds / always,
                        run.checked_promotions,
                        run.worse_promotions,
                    )
                )
            print(f"[variants] {case} done, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    lines = [
        f"Policy variants on {len(per_variant[names[0]])} cases, seed {args.seed} "
        "(gap: points, or % of MAE, against the best baseline of each case)",
        "",
        "| variant | what it tests | mean gap | worst gap (case) | cases within 0.5 | "
        "mean CPU % of always | worse promotions |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for v in [*BASELINES, *names]:
        rows = per_variant[v]
        gaps = np.array([g for _, g, *_ in rows])
        worst = rows[int(np.argmin(gaps))]
        checked = sum(r[3] for r in rows)
        worse = sum(r[4] for r in rows)
        what = VARIANTS[v][1] if v in VARIANTS else "baseline"
        rate = f"{100 * worse / checked:.1f}% of {checked}" if checked else ""
        lines.append(
            f"| {v} | {what} | {gaps.mean():+.2f} | {worst[1]:+.2f} ({worst[0]}) | "
            f"{int((gaps >= -0.5).sum())} | {np.mean([r[2] for r in rows]):.0f} | {rate} |"
        )
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"policy_variants_seed{args.seed}.md").write_text(text + "\n", encoding="utf-8")
    (OUT / f"policy_variants_seed{args.seed}.json").write_text(
        json.dumps(per_variant, indent=1), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
