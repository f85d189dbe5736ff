"""Variants of the Driftline policy on Elec2, and the backtest under other settings.

Part 1 replays Elec2 (weekly batches of 336 rows, bootstrap on 4 weeks, label delay 1,
default model) with ``always`` and one variant of the ``driftline`` policy per run, so
each variant's training CPU is measured against ``always`` in the same process and
period of time. Part 2 reruns the whole comparison with a label delay of 2 weeks and
with the other estimators. Tables are printed and written to
``benchmarks/out/backtest_elec2_<part>.md``.

Usage::

    python benchmarks/backtest_elec2.py [--part 1|2|all]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from driftline.backtest import BacktestConfig, run_backtest
from driftline.datasets import load_elec2
from driftline.training import McNemarGate, Policy

OUT = Path(__file__).resolve().parent / "out"

VARIANTS: list[tuple[str, dict, dict]] = [
    ("default", {}, {}),
    ("concept_window=window", {"concept_window": "window"}, {}),
    ("concept_window=since_drift", {"concept_window": "since_drift"}, {}),
    ("persist_drift", {"persist_drift": True}, {}),
    ("reference=scored_and_holdout", {"reference": "scored_and_holdout"}, {}),
    ("reference=holdout", {"reference": "holdout"}, {}),
    ("concept=adwin", {}, {"concept": "adwin"}),
    ("concept=ddm", {}, {"concept": "ddm"}),
    ("gate=McNemar", {"gate": McNemarGate()}, {}),
    ("policy=Policy() (DAG default)", {"policy": Policy()}, {}),
]

SETTINGS: list[tuple[str, dict]] = [
    ("label delay 2", {"label_delay": 2}),
    ("estimator sgd", {"estimator": "sgd"}),
    ("estimator hgb", {"estimator": "hgb"}),
]


def _config(**kwargs) -> BacktestConfig:
    return BacktestConfig(
        target="class", batch_size=336, validate=False, progress_every=1000, **kwargs
    )


def part1(frame: pd.DataFrame) -> str:
    rows = []
    for name, options, config in VARIANTS:
        t0 = time.perf_counter()
        cfg = _config(
            policies=("always", "driftline"),
            match_periodic=False,
            driftline_options=options,
            **config,
        )
        result = run_backtest(frame, cfg)
        table = result.table().set_index("policy")
        d, a = table.loc["driftline"], table.loc["always"]
        rows.append(
            {
                "driftline variant": name,
                "accuracy": d["accuracy"],
                "worst 4-batch": d["worst 4-batch accuracy"],
                "fine-tunes": int(d["fine-tunes"]),
                "full retrains": int(d["full retrains"]),
                "promoted": int(d["promoted"]),
                "CPU % of always": d["CPU % of always"],
                "rows % of always": 100 * d["rows trained"] / a["rows trained"],
                "wall s": time.perf_counter() - t0,
            }
        )
        print(f"  {name}: {d['accuracy']:.4f}", file=sys.stderr, flush=True)
    return "## Driftline policy variants (always: same run)\n\n" + _md(pd.DataFrame(rows))


def part2(frame: pd.DataFrame) -> str:
    parts = []
    for name, config in SETTINGS:
        t0 = time.perf_counter()
        result = run_backtest(frame, _config(**config))
        parts.append(
            f"## {name}\n\n{result.to_markdown()}\n\nwall time {time.perf_counter() - t0:.0f} s\n"
        )
        print(f"  {name} done", file=sys.stderr, flush=True)
    return "\n".join(parts)


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|---" + "|---:" * (len(cols) - 1) + "|"]
    for _, row in df.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            if isinstance(v, str):
                cells.append(v)
            elif c in ("accuracy", "worst 4-batch"):
                cells.append(f"{v:.4f}")
            elif "%" in c or c == "wall s":
                cells.append(f"{v:.0f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["1", "2", "all"], default="all")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    frame = load_elec2()
    sections = []
    if args.part in ("1", "all"):
        sections.append(part1(frame))
    if args.part in ("2", "all"):
        sections.append(part2(frame))
    text = "\n".join(sections)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"backtest_elec2_{args.part}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
