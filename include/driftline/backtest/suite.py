"""The policy suite: every policy on many streams and label regimes, one verdict.

``driftline bench-policies`` (and ``benchmarks/policy_suite.py``) replays each stream of
:data:`~driftline.backtest.streams.STREAMS` under each label regime of :data:`REGIMES`
with :func:`~driftline.backtest.run_backtest` — the same validation, drift, policy,
training and gate code as the DAGs — and compares ``driftline`` with the baselines
``never``, ``periodic`` (every 4), ``always`` and ``always_finetune``.

For each case (stream x regime) the *gap* of a policy is its metric minus the best
baseline's: accuracy points for classification, and for regression the MAE saving in
percent of the best baseline's MAE (positive is better in both). The summary gives, per
policy, the mean and the worst gap over all cases, the mean training CPU in percent of
``always``, and the share of promotions after which the promoted model did significantly
worse on the next labelled batch than the champion it replaced
(:attr:`~driftline.backtest.base.Step.after_promotion`).

The targets (issue 15), checked by :meth:`SuiteResult.targets`:

* on every case, ``driftline``'s gap >= -0.5 (points, or percent of MAE);
* ``driftline``'s mean gap >= the best baseline's mean gap;
* ``driftline``'s training CPU <= 40 % of ``always``'s (mean over cases);
* worse promotions <= 5 % of ``driftline``'s checked promotions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftline.backtest.result import BacktestResult
from driftline.backtest.runner import BacktestConfig, run_backtest, validate_batches
from driftline.backtest.streams import STREAMS, StreamSpec, get_stream
from driftline.errors import ConfigError, fail

#: Label regimes: name -> BacktestConfig fields.
REGIMES: dict[str, dict[str, Any]] = {
    "delay 1": {"label_delay": 1},
    "delay 4": {"label_delay": 4},
    "20% labels": {"label_fraction": 0.2},
}
BASELINES: tuple[str, ...] = ("never", "periodic", "always", "always_finetune")
POLICIES: tuple[str, ...] = (*BASELINES, "driftline")
TARGET_GAP = -0.5
TARGET_CPU = 40.0
TARGET_WORSE = 5.0
Progress = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class Case:
    """One stream under one label regime, every policy replayed."""

    stream: StreamSpec
    regime: str
    result: BacktestResult

    def scores(self) -> dict[str, float]:
        """Each policy's metric over all scored rows, by policy name."""
        return {r.name: self.result.overall(r.scores) for r in self.result.runs}

    def best_baseline(self) -> tuple[str, float]:
        scores = self.scores()
        pick = max if self.result.higher_is_better else min
        name = pick((b for b in BASELINES if b in scores), key=scores.__getitem__)
        return name, scores[name]

    def gap(self, policy: str) -> float:
        """Metric minus the best baseline's: points, or % of MAE saved (higher is better)."""
        value = self.scores()[policy]
        _, best = self.best_baseline()
        if self.result.higher_is_better:
            return 100.0 * (value - best)
        return 100.0 * (best - value) / best if best else 0.0

    def cpu_percent(self, policy: str) -> float:
        always = self.result.run("always").cpu_seconds
        run = self.result.run(policy)
        return 100.0 * run.cpu_seconds / always if always else float("nan")


@dataclass(frozen=True, eq=False)
class SuiteResult:
    """Every case of :func:`run_suite`, with tables, targets and a chart."""

    cases: tuple[Case, ...]
    wall_seconds: float
    seed: int = 0
    notes: tuple[str, ...] = field(default=())

    def policies(self) -> list[str]:
        present = {r.name for c in self.cases for r in c.result.runs}
        return [p for p in POLICIES if p in present]

    def table(self) -> pd.DataFrame:
        """One row per case: every policy's metric, and driftline against the best baseline."""
        rows = []
        for c in self.cases:
            scores = c.scores()
            best, _ = c.best_baseline()
            d = c.result.run("driftline")
            rows.append(
                {
                    "stream": c.stream.name,
                    "drift": c.stream.drift,
                    "regime": c.regime,
                    "metric": c.result.metric,
                    **{p: scores[p] for p in self.policies()},
                    "best baseline": best,
                    "gap": c.gap("driftline"),
                    "worst 4-batch": c.result.worst_window(d.scores),
                    "fine-tunes": d.count("fine_tune"),
                    "full retrains": d.count("full_retrain"),
                    "promoted": d.promotions,
                    "CPU % of always": c.cpu_percent("driftline"),
                    "worse promotions": d.worse_promotions,
                    "checked promotions": d.checked_promotions,
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        """One row per policy: mean and worst gap, CPU, worse-promotion rate over all cases."""
        rows = []
        for p in self.policies():
            gaps = [c.gap(p) for c in self.cases]
            worst = int(np.argmin(gaps))
            cpu = [c.cpu_percent(p) for c in self.cases]
            checked = sum(c.result.run(p).checked_promotions for c in self.cases)
            worse = sum(c.result.run(p).worse_promotions for c in self.cases)
            rows.append(
                {
                    "policy": p,
                    "mean gap": float(np.mean(gaps)),
                    "worst gap": gaps[worst],
                    "worst case": f"{self.cases[worst].stream.name} / {self.cases[worst].regime}",
                    "cases within 0.5": sum(g >= TARGET_GAP for g in gaps),
                    "mean CPU % of always": float(np.nanmean(cpu)),
                    "max CPU % of always": float(np.nanmax(cpu)),
                    "promotions checked": checked,
                    "worse promotions %": 100.0 * worse / checked if checked else float("nan"),
                }
            )
        return pd.DataFrame(rows)

    def targets(self) -> list[tuple[str, str, bool]]:
        """``(target, measured, met)`` for the four targets of the module docstring."""
        summary = self.summary().set_index("policy")
        d = summary.loc["driftline"]
        best = max(summary.loc[b, "mean gap"] for b in BASELINES if b in summary.index)
        worse = d["worse promotions %"]
        return [
            (
                f"every case: driftline gap >= {TARGET_GAP}",
                f"worst {d['worst gap']:+.2f} ({d['worst case']}); "
                f"{int(d['cases within 0.5'])}/{len(self.cases)} cases",
                bool(d["worst gap"] >= TARGET_GAP),
            ),
            (
                "mean gap >= best baseline's mean gap",
                f"{d['mean gap']:+.2f} vs {best:+.2f}",
                bool(d["mean gap"] >= best),
            ),
            (
                f"training CPU <= {TARGET_CPU:.0f}% of always (mean over cases)",
                f"{d['mean CPU % of always']:.0f}% (max {d['max CPU % of always']:.0f}%)",
                bool(d["mean CPU % of always"] <= TARGET_CPU),
            ),
            (
                f"worse promotions <= {TARGET_WORSE:.0f}%",
                f"{worse:.1f}% of {int(d['promotions checked'])}",
                bool(worse <= TARGET_WORSE) if worse == worse else True,
            ),
        ]

    def to_markdown(self) -> str:
        """Per-case table, summary and targets as Markdown."""
        table = self.table().drop(columns=["checked promotions"])
        table["worse promotions"] = [
            f"{w}/{c.result.run('driftline').checked_promotions}"
            for w, c in zip(table["worse promotions"], self.cases, strict=True)
        ]
        parts = [
            "### Per stream and label regime (accuracy, or MAE for regression)",
            "",
            _suite_markdown(table),
            "",
            "### Summary over all cases (gap: points, or % of MAE, against the best baseline)",
            "",
            _suite_markdown(self.summary()),
            "",
            "### Targets",
            "",
            "| target | measured | met |",
            "|---|---|---|",
            *[f"| {t} | {m} | {'yes' if ok else 'NO'} |" for t, m, ok in self.targets()],
        ]
        return "\n".join(parts)

    def policy_tables(self) -> str:
        """Each case's full backtest table (per stream, per regime)."""
        out = []
        for c in self.cases:
            out.append(f"#### {c.stream.name} ({c.stream.drift}), {c.regime}\n")
            out.append(c.result.to_markdown())
            out.append("")
        return "\n".join(out)

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """``suite.md``, ``cases.csv``, ``summary.csv``, ``policies.md`` and ``suite.png``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "suite_md": out / "suite.md",
            "cases_csv": out / "cases.csv",
            "summary_csv": out / "summary.csv",
            "policies_md": out / "policies.md",
        }
        paths["suite_md"].write_text(self.to_markdown() + "\n", encoding="utf-8")
        self.table().to_csv(paths["cases_csv"], index=False, float_format="%.6g")
        self.summary().to_csv(paths["summary_csv"], index=False, float_format="%.6g")
        paths["policies_md"].write_text(self.policy_tables(), encoding="utf-8")
        from driftline.backtest.chart import plot_suite

        paths["chart"] = plot_suite(self, out / "suite.png")
        return paths


def _suite_markdown(table: pd.DataFrame) -> str:
    def cell(col: str, v: Any) -> str:
        if isinstance(v, str):
            return v
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return ""
        if col in POLICIES or col.startswith("worst 4"):
            return f"{v:.4f}"
        if "gap" in col and "case" not in col:
            return f"{v:+.2f}"
        if "%" in col:
            return f"{v:.1f}" if "worse" in col else f"{v:.0f}"
        return f"{int(v)}"

    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(cell(c, row[c]) for c in cols) + " |")
    return "\n".join(lines)


def run_suite(
    streams: Sequence[str] | None = None,
    regimes: Sequence[str] | None = None,
    *,
    policies: Sequence[str] = POLICIES,
    seed: int = 0,
    validate: bool = True,
    driftline_options: dict[str, Any] | None = None,
    estimator: str | None = None,
    progress: Progress | None = None,
    max_batches: int | None = None,
) -> SuiteResult:
    """Replay every stream under every regime (module docstring).

    ``max_batches`` cuts each stream to its first batches (quick runs and tests).
    Validation runs once per stream and label fraction, and is reused across delays.
    """
    say = progress or (lambda _line: None)
    names = list(streams or STREAMS)
    chosen = list(regimes or REGIMES)
    for r in chosen:
        if r not in REGIMES:
            raise ConfigError(fail(f"unknown label regime {r!r}", f"use some of {list(REGIMES)}"))
    if "driftline" not in policies or "always" not in policies:
        raise ConfigError(fail("the suite compares driftline with always", "keep both policies"))
    t0 = time.perf_counter()
    cases: list[Case] = []
    for name in names:
        spec = get_stream(name)
        frame = spec.load(seed)
        if max_batches is not None:
            frame = frame.iloc[: max_batches * spec.batch_size]
        validated: dict[float, Any] = {}
        for regime in chosen:
            config = BacktestConfig(
                target=spec.target,
                batch_size=spec.batch_size,
                bootstrap_batches=spec.bootstrap_batches,
                policies=tuple(policies),
                seed=seed,
                estimator=estimator,
                validate=validate,
                match_periodic=False,
                progress_every=10**9,
                driftline_options=dict(driftline_options or {}),
                **REGIMES[regime],
            )
            t = time.perf_counter()
            key = config.label_fraction
            if validate and key not in validated:
                validated[key] = validate_batches(frame, config, source=name)
            result = run_backtest(
                frame, config, source=name, validated=validated.get(key) if validate else None
            )
            case = Case(spec, regime, result)
            cases.append(case)
            say(
                f"[suite] {name:<12} {regime:<11} driftline {case.gap('driftline'):+6.2f} vs best "
                f"baseline ({case.best_baseline()[0]}), CPU {case.cpu_percent('driftline'):.0f}% "
                f"of always, {time.perf_counter() - t:.0f} s"
            )
    return SuiteResult(tuple(cases), time.perf_counter() - t0, seed)
