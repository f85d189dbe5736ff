"""Challenger selection: a few cheap candidates, the best on the pooled hold-out is gated.

Which update suits a stream is an empirical question: a pure prior shift wants the newest
batch only, a sparsely labelled regression stream wants more rows per update, and a full
retrain pays after some concept changes and throws a good lineage away after others. The
Driftline policy therefore trains a small set of candidates for the action and lets the
pooled hold-out (:func:`~driftline.training.evidence.gate_split`) choose — a validation-set
model selection (Hastie, Tibshirani & Friedman, 2009, section 7.2) before the gate:

1. candidates (:func:`candidates`): the fine-tune of the champion on the newest batches
   that hold ``fine_tune_rows`` labelled rows
   (:meth:`~driftline.training.LabelledPolicy.fine_tune_batches`); for a ``full_retrain``
   action, with ``retrain_alternative``, also the full retrain on the retrain window;
2. (no step: one fine-tune candidate);
3. the full retrain replaces the fine-tune only when it is better on the pool
   (``retrain_test="superiority"``: *significantly* better, paired bootstrap at
   ``gate_alpha``; ``"mean"``: any higher mean): a fresh model must beat the updated
   lineage, not only the stale champion, and a retrain discards what the lineage
   remembers;
4. the chosen candidate then goes to the gate against the champion on the same pool (the
   selection makes the gate slightly optimistic for the chosen candidate; the gate's
   not-worse test is lenient by design and the after-promotion check of the backtest
   measures what that costs).

CPU seconds of every candidate count towards the training cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from driftline.training.metrics import model_output, row_scores, split_xy
from driftline.training.spec import ModelSpec
from driftline.training.strategies import FineTune, FullRetrain, TrainResult
from driftline.training.window import Batch, Window


@dataclass(frozen=True)
class Candidate:
    """One challenger to train: ``strategy`` on the newest ``batches`` training batches."""

    strategy: str
    batches: int

    @property
    def label(self) -> str:
        return f"{self.strategy}[{self.batches}]"


def candidates(
    policy: Any,
    action: str,
    train: Sequence[Batch],
    spec: ModelSpec,
    window: int,
    has_champion: bool = True,
) -> list[Candidate]:
    """The candidates of ``action`` (module docstring, step 1), fine-tunes first.

    Without a champion (or an estimator without ``partial_fit``) only a full retrain.
    """
    out: list[Candidate] = []
    tunable = spec.supports_fine_tune and has_champion
    if tunable and (action == "fine_tune" or policy.retrain_alternative):
        out.append(Candidate("fine_tune", policy.fine_tune_batches(train)))
    if action == "full_retrain" or not out:  # an estimator without partial_fit retrains
        out.append(Candidate("full_retrain", window))
    return out


def train_candidate(
    candidate: Candidate,
    spec: ModelSpec,
    train: Sequence[Batch],
    champion: Any,
    *,
    epochs: int,
    threads: int | None = None,
    half_life: float | None = None,
) -> TrainResult:
    """Train one :class:`Candidate` on the training batches (oldest first).

    A fine-tune over several batches weights them by recency with ``half_life`` batches
    (:class:`~driftline.training.window.Window`), when given.
    """
    if candidate.strategy == "fine_tune":
        window = Window.last(
            candidate.batches, half_life=half_life if candidate.batches > 1 else None
        )
        return FineTune(window, epochs, threads).train(spec, list(train), champion=champion)
    return FullRetrain(Window.last(candidate.batches), threads).train(spec, list(train))


def select(
    policy: Any, results: Sequence[TrainResult], holdout: Any, spec: ModelSpec
) -> tuple[TrainResult, dict[str, Any]]:
    """The candidate to gate (module docstring, steps 2-3) and a JSON-ready record.

    ``won`` is whether a full retrain candidate was chosen (significantly better than the
    best fine-tune on the pool), ``None`` without a full retrain candidate.
    """
    results = list(results)
    labels = [f"{r.strategy}[{len(r.batch_ids)}]" for r in results]
    record: dict[str, Any] = {"candidates": labels}
    retrain = [i for i, r in enumerate(results) if r.strategy == "full_retrain"]
    tunes = [i for i, r in enumerate(results) if r.strategy == "fine_tune"]
    if len(results) == 1 or holdout is None or not len(holdout):
        chosen = tunes[0] if tunes else 0
        record.update(chosen=labels[chosen], won=None if not retrain or not tunes else False)
        return results[chosen], record
    gate = policy.gate(spec.task, iteration="model")  # superiority at the gate's level
    X, y = split_xy(holdout, spec)
    outputs = [model_output(r.model, X, gate.metric)[0] for r in results]
    scores = [float(row_scores(gate.metric, y, o).mean()) for o in outputs]
    record["pool_scores"] = scores
    chosen = max(tunes, key=lambda i: (scores[i], -i)) if tunes else retrain[0]
    won = None
    if retrain and tunes:
        test = gate.compare(y, outputs[chosen], outputs[retrain[0]])
        won = bool(test.diff > 0 and (policy.retrain_test == "mean" or test.ci_low > 0))
        ci_low = test.ci_low if test.ci_low == test.ci_low else None  # NaN: too few rows
        record["retrain_vs_fine_tune"] = {"diff": test.diff, "ci_low": ci_low}
        if won:
            chosen = retrain[0]
    record.update(chosen=labels[chosen], won=won)
    return results[chosen], record


def train_and_select(
    policy: Any,
    action: str,
    spec: ModelSpec,
    train: Sequence[Batch],
    champion: Any,
    holdout: Any,
    *,
    window: int,
    threads: int | None = None,
) -> tuple[TrainResult, dict[str, Any]]:
    """Train the candidates of ``action``, choose one; its CPU seconds are all candidates'."""
    planned = candidates(policy, action, train, spec, window, champion is not None)
    results = [
        train_candidate(
            c,
            spec,
            train,
            champion,
            epochs=policy.fine_tune_epochs,
            threads=threads,
            half_life=policy.fine_tune_half_life,
        )
        for c in planned
    ]
    chosen, record = select(policy, results, holdout, spec)
    cpu = sum(r.cpu_seconds for r in results)
    wall = sum(r.wall_seconds for r in results)
    notes = [f"candidates {record['candidates']}: chosen {record['chosen']} on the pooled hold-out"]
    if action == "fine_tune" and chosen.strategy == "full_retrain":
        notes.append(f"estimator {spec.estimator} cannot fine-tune: retrained fully")
    out = replace(chosen, cpu_seconds=cpu, wall_seconds=wall, notes=(*chosen.notes, *notes))
    return out, record
