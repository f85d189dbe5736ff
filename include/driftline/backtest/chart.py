"""The backtest chart: rolling metric per policy, and where the Driftline policy trained.

One line per policy (the rolling mean over ``config.rolling`` batches of the per-batch
metric, plotted at the last batch of each window), the previous-label baseline as a
dotted grey line, and on the ``driftline`` line one marker per training run: a triangle
for a fine-tune, a square for a full retrain; filled when the gate promoted the model,
hollow when it refused it. Rendered with matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from driftline.backtest.series import BASELINE, rolling_mean

MARKERS = {"fine_tune": "^", "full_retrain": "s"}


def plot_backtest(result: Any, path: str | Path, *, title: str | None = None) -> Path:
    """Draw ``result`` (a :class:`~driftline.backtest.result.BacktestResult`) to a PNG file."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    k = result.config.rolling
    n_boot = result.config.bootstrap_batches
    x_all = np.arange(n_boot, n_boot + len(result.batch_ids))
    fig, ax = plt.subplots(figsize=(13, 5.5), dpi=110)
    series = [(r.label, r.scores, r.name) for r in result.runs]
    series.append((f"{BASELINE} (row-level labels)", result.baseline, "baseline"))
    drift_line = None
    for label, scores, name in series:
        rolled = rolling_mean(scores, k)
        x = x_all[len(x_all) - len(rolled) :]
        style: dict[str, Any] = {"linewidth": 1.3, "alpha": 0.9}
        if name == "driftline":
            style = {"linewidth": 2.2, "color": "black", "zorder": 5}
        elif name == "baseline":
            style = {"linewidth": 1.0, "color": "grey", "linestyle": ":"}
        mean = result.overall(scores)
        ax.plot(x, rolled, label=f"{label} ({mean:.3f})", **style)
        if name == "driftline":
            drift_line = (x, rolled, result.run(label))
    if drift_line is not None:
        _mark_training(ax, *drift_line, scored_from=n_boot)
    ax.set_xlabel(f"batch ({result.config.batch_size} rows each)")
    ax.set_ylabel(f"{result.metric}, rolling mean over {k} batches")
    ax.set_title(
        title
        or f"Backtest on {Path(str(result.source)).name}: policies side by side "
        f"({result.estimator}, label delay {result.config.label_delay})"
    )
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def _mark_training(ax: Any, x: np.ndarray, y: np.ndarray, run: Any, scored_from: int) -> None:
    """Markers on the driftline line at each batch whose labels triggered training."""
    where = {int(b): float(v) for b, v in zip(x, y, strict=True)}
    first = int(x[0]) if len(x) else scored_from
    shown: set[str] = set()
    for step in run.steps:
        if not step.trained or step.strategy not in MARKERS:
            continue
        b = max(step.index, first)
        if b not in where:
            continue
        kind = f"{step.strategy.replace('_', '-')} {'promoted' if step.promoted else 'refused'}"
        ax.plot(
            [b],
            [where[b]],
            marker=MARKERS[step.strategy],
            markersize=(7 if step.strategy == "full_retrain" else 6)
            - (0 if step.promoted else 1.5),
            markerfacecolor="crimson" if step.promoted else "white",
            markeredgecolor="crimson",
            linestyle="none",
            zorder=6,
            label=f"driftline {kind}" if kind not in shown else None,
        )
        shown.add(kind)


SUITE_COLORS = {
    "never": "#1f77b4",
    "periodic": "#ff7f0e",
    "always": "#2ca02c",
    "always_finetune": "#9467bd",
    "driftline": "black",
}


def plot_suite(suite: Any, path: str | Path) -> Path:
    """Draw a :class:`~driftline.backtest.suite.SuiteResult`: gap to the best baseline per case.

    Left: one group of bars per case (stream / regime), one bar per policy, the height
    its gap to the best baseline of that case (accuracy points, or percent of MAE saved),
    with the -0.5 target line. Right: each policy's mean gap against its mean training
    CPU in percent of ``always``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    policies = suite.policies()
    cases = suite.cases
    labels = [f"{c.stream.name}\n{c.regime}" for c in cases]
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(max(12, 0.55 * len(cases) + 5), 5.8), dpi=110, width_ratios=[4, 1]
    )
    width = 0.8 / len(policies)
    x = np.arange(len(cases))
    for i, p in enumerate(policies):
        gaps = np.clip([c.gap(p) for c in cases], -8, None)  # keep never's drops readable
        ax.bar(
            x + (i - (len(policies) - 1) / 2) * width,
            gaps,
            width,
            label=p,
            color=SUITE_COLORS.get(p),
            edgecolor="black" if p == "driftline" else "none",
            zorder=3 if p == "driftline" else 2,
        )
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.axhline(-0.5, color="crimson", linewidth=0.9, linestyle="--", label="target: -0.5")
    ax.set_xticks(x, labels, rotation=90, fontsize=7)
    ax.set_ylabel("gap to the best baseline (points, or % of MAE); clipped at -8")
    ax.set_title("Policy suite: every policy against the best fixed schedule, per case")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=3, loc="lower left")
    summary = suite.summary().set_index("policy")
    for p in policies:
        ax2.scatter(
            summary.loc[p, "mean CPU % of always"],
            summary.loc[p, "mean gap"],
            s=60,
            color=SUITE_COLORS.get(p),
            edgecolor="black",
            zorder=3,
        )
        ax2.annotate(
            p,
            (summary.loc[p, "mean CPU % of always"], summary.loc[p, "mean gap"]),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax2.axvline(40, color="crimson", linewidth=0.9, linestyle="--")
    ax2.set_xlabel("mean training CPU, % of always")
    ax2.set_ylabel("mean gap")
    ax2.set_title("accuracy vs cost")
    ax2.grid(True, alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
