"""Backtest results: per-policy scores and steps, the summary table, and files on disk.

The summary (:meth:`BacktestResult.table`) has one row per policy:

* the metric over all scored rows (``accuracy`` for classification, ``mae`` for
  regression) and its worst rolling mean over ``rolling`` consecutive batches;
* the number of fine-tunes and full retrains trained, and of models promoted;
* training CPU seconds (``time.process_time`` around the fits only, bootstrap excluded)
  and their share of the ``always`` policy's, and the rows trained on;
* ``worse promotions %``: the share of promotions after which the promoted model did
  significantly worse than the champion it replaced on the next labelled batch
  (:attr:`driftline.backtest.base.Step.after_promotion`).

A last row gives the "previous value" baseline: each row's label predicted by the
row before it (Zliobaite, 2013). It needs row-level labels with no delay, which no
batch policy has, so it is a reference point rather than a competitor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftline.backtest.base import Step
from driftline.backtest.series import BASELINE, rolling_mean


@dataclass(frozen=True, eq=False)
class PolicyRun:
    """One policy's replay: per-batch metric (scored batches in order) and learning steps."""

    label: str
    name: str
    scores: np.ndarray
    steps: tuple[Step, ...]

    def count(self, strategy: str) -> int:
        """Training runs with ``strategy`` (``fine_tune`` or ``full_retrain``)."""
        return sum(1 for s in self.steps if s.trained and s.strategy == strategy)

    @property
    def promotions(self) -> int:
        return sum(1 for s in self.steps if s.promoted)

    @property
    def cpu_seconds(self) -> float:
        return float(sum(s.cpu_seconds for s in self.steps))

    @property
    def rows_trained(self) -> int:
        return int(sum(s.rows for s in self.steps))

    @property
    def checked_promotions(self) -> int:
        """Promotions followed by a labelled batch (so checked against the replaced model)."""
        return sum(1 for s in self.steps if s.after_promotion is not None)

    @property
    def worse_promotions(self) -> int:
        """Promotions shown worse than the replaced champion on the next labelled batch."""
        return sum(1 for s in self.steps if s.after_promotion and s.after_promotion["worse"])

    @property
    def worse_rate(self) -> float:
        """:attr:`worse_promotions` / :attr:`checked_promotions` (NaN without promotions)."""
        n = self.checked_promotions
        return self.worse_promotions / n if n else float("nan")


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """What :func:`~driftline.backtest.run_backtest` measured."""

    config: Any
    task: str
    estimator: str
    batch_ids: tuple[str, ...]
    rows: np.ndarray
    runs: tuple[PolicyRun, ...]
    baseline: np.ndarray
    quarantined: tuple[str, ...]
    bootstrap_cpu_seconds: float
    wall_seconds: float
    matched_period: int | None = None
    source: str = "stream"
    notes: tuple[str, ...] = ()

    @property
    def metric(self) -> str:
        return "accuracy" if self.task == "classification" else "mae"

    @property
    def higher_is_better(self) -> bool:
        return self.task == "classification"

    def run(self, label_or_name: str) -> PolicyRun:
        """The run of one policy, by label (``periodic (every 4)``) or name (``periodic``)."""
        for r in self.runs:
            if label_or_name in (r.label, r.name):
                return r
        raise KeyError(label_or_name)

    # -- summary ----------------------------------------------------------------------

    def overall(self, scores: np.ndarray) -> float:
        """Row-weighted mean of per-batch scores (the metric over all scored rows)."""
        return float(np.sum(scores * self.rows) / np.sum(self.rows))

    def worst_window(self, scores: np.ndarray) -> float:
        """Worst rolling mean over ``config.rolling`` batches."""
        rolled = rolling_mean(scores, self.config.rolling)
        return float(rolled.min() if self.higher_is_better else rolled.max())

    def table(self) -> pd.DataFrame:
        """The summary table (module docstring)."""
        always = next((r for r in self.runs if r.name == "always"), None)
        base_cpu = always.cpu_seconds if always is not None else None
        m, k = self.metric, self.config.rolling
        rows = []
        for r in self.runs:
            rows.append(
                {
                    "policy": r.label,
                    m: self.overall(r.scores),
                    f"worst {k}-batch {m}": self.worst_window(r.scores),
                    "fine-tunes": r.count("fine_tune"),
                    "full retrains": r.count("full_retrain"),
                    "promoted": r.promotions,
                    "training CPU s": r.cpu_seconds,
                    "CPU % of always": (
                        100.0 * r.cpu_seconds / base_cpu if base_cpu else float("nan")
                    ),
                    "rows trained": r.rows_trained,
                    "worse promotions %": 100.0 * r.worse_rate,
                    **(
                        {
                            "prior recalibrations": r.count("recalibrate_priors"),
                            "reweighted retrains": r.count("reweight_retrain"),
                        }
                        if getattr(self.config, "label_free", False)
                        else {}
                    ),
                }
            )
        rows.append(
            {
                "policy": f"{BASELINE} (row-level labels)",
                m: self.overall(self.baseline),
                f"worst {k}-batch {m}": self.worst_window(self.baseline),
            }
        )
        return pd.DataFrame(rows)

    def per_batch(self) -> pd.DataFrame:
        """One row per scored batch: each policy's metric, the baseline and driftline's action."""
        out = pd.DataFrame({"batch_id": self.batch_ids, "rows": self.rows})
        for r in self.runs:
            out[r.label] = r.scores
        out[BASELINE] = self.baseline
        return out

    def to_markdown(self) -> str:
        """The table as GitHub Markdown."""
        return _markdown(self.table())

    def describe(self) -> str:
        """A few lines of context printed under the table."""
        c = self.config
        lines = [
            f"{len(self.batch_ids)} scored batches of {c.batch_size} rows from {self.source}; "
            f"bootstrap on {c.bootstrap_batches} batches; label delay {c.label_delay}; "
            f"full retrains on the last {c.window} batches; model {self.estimator}; seed {c.seed}.",
            f"Bootstrap training: {self.bootstrap_cpu_seconds:.2f} CPU s (not in the table); "
            f"quarantined batches: {len(self.quarantined)}; wall time {self.wall_seconds:.0f} s.",
        ]
        lines += [f"- {note}" for note in self.notes[:10]]
        if self.matched_period is not None:
            lines.append(
                f"periodic (every {self.matched_period}) was added: about as many full "
                "retrains as driftline trained."
            )
        return "\n".join(lines)

    # -- files ------------------------------------------------------------------------

    def save(self, out_dir: str | Path, *, chart: bool = True) -> dict[str, Path]:
        """Write ``summary.csv``, ``summary.md``, ``per_batch.csv``, ``steps.jsonl`` (and the chart)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "summary_csv": out / "summary.csv",
            "summary_md": out / "summary.md",
            "per_batch": out / "per_batch.csv",
            "steps": out / "steps.jsonl",
        }
        self.table().to_csv(paths["summary_csv"], index=False, float_format="%.6g")
        paths["summary_md"].write_text(
            f"{self.to_markdown()}\n\n{self.describe()}\n", encoding="utf-8"
        )
        self.per_batch().to_csv(paths["per_batch"], index=False, float_format="%.6g")
        with paths["steps"].open("w", encoding="utf-8") as fh:
            for r in self.runs:
                for s in r.steps:
                    fh.write(json.dumps(s.to_dict(), default=_json_default) + "\n")
        if chart:
            from driftline.backtest.chart import plot_backtest

            paths["chart"] = plot_backtest(self, out / "backtest.png")
        return paths


def _markdown(table: pd.DataFrame) -> str:
    cols = list(table.columns)
    lines = [
        "| " + " | ".join(cols) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|",
    ]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(_cell(c, row[c]) for c in cols) + " |")
    return "\n".join(lines)


def _cell(column: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if column in ("accuracy", "mae") or column.startswith("worst"):
        return f"{value:.4f}"
    if column == "training CPU s":
        return f"{value:.1f}"
    if column.startswith("CPU %"):
        return f"{value:.0f}%"
    if column.startswith("worse promotions"):
        return f"{value:.1f}%"
    return f"{int(value):d}"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
