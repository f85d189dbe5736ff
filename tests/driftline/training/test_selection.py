from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from driftline.training import Batch, FullRetrain, LabelledPolicy, ModelSpec, gate_split
from driftline.training.selection import Candidate, candidates, select, train_and_select

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), estimator="sgd")


def frames(n_batches, rows=300, flip_at=None, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_batches):
        x = rng.normal(size=(rows, 2))
        logit = 3 * x[:, 0] - 2 * x[:, 1]
        if flip_at is not None and i >= flip_at:
            logit = -logit
        y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
        out.append(Batch(f"b{i}", pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y}), "mem"))
    return out


def test_candidates_per_action():
    train = frames(5, rows=100)
    lp = LabelledPolicy(fine_tune_rows=None, retrain_alternative=False)
    assert candidates(lp, "fine_tune", train, SPEC, 8) == [Candidate("fine_tune", 1)]
    assert candidates(lp, "full_retrain", train, SPEC, 8) == [Candidate("full_retrain", 8)]
    # the defaults: replay 600 labelled rows (5 batches of 100), retrain beside the fine-tune
    assert candidates(LabelledPolicy(), "full_retrain", train, SPEC, 8) == [
        Candidate("fine_tune", 5),
        Candidate("full_retrain", 8),
    ]
    wide = LabelledPolicy(fine_tune_rows=250, retrain_alternative=True)
    assert candidates(wide, "fine_tune", train, SPEC, 8) == [Candidate("fine_tune", 3)]
    assert candidates(wide, "full_retrain", train, SPEC, 8) == [
        Candidate("fine_tune", 3),
        Candidate("full_retrain", 8),
    ]
    # no champion or no partial_fit: a full retrain only
    assert candidates(wide, "full_retrain", train, SPEC, 8, has_champion=False) == [
        Candidate("full_retrain", 8)
    ]
    hgb = ModelSpec("classification", "y", numeric=("x1", "x2"), estimator="hgb")
    assert candidates(lp, "fine_tune", train, hgb, 8) == [Candidate("full_retrain", 8)]


def test_after_a_concept_change_the_retrain_beats_the_fine_tune_and_is_chosen():
    # an MLP fine-tuned for one epoch cannot unlearn a reversed rule; a retrain learns it
    mlp = ModelSpec("classification", "y", numeric=("x1", "x2"), estimator="mlp")
    hist = frames(6, flip_at=5)
    champion = FullRetrain().train(mlp, hist[:4]).model
    lp = LabelledPolicy(fine_tune_rows=None, fine_tune_epochs=1)
    split = gate_split(hist, target="y", fraction=0.2, batches=2, since="b5")
    chosen, record = train_and_select(
        lp, "full_retrain", mlp, split.train, champion, split.holdout, window=1
    )
    assert record["candidates"] == ["fine_tune[1]", "full_retrain[1]"]
    assert chosen.strategy == "full_retrain" and record["won"] is True
    assert record["retrain_vs_fine_tune"]["ci_low"] > 0


def test_without_a_significant_gain_the_fine_tuned_lineage_is_kept():
    hist = frames(6)
    champion = FullRetrain().train(SPEC, hist[:4]).model
    lp = LabelledPolicy(retrain_alternative=True)
    split = gate_split(hist, target="y", fraction=0.2, batches=2)
    chosen, record = train_and_select(
        lp, "full_retrain", SPEC, split.train, champion, split.holdout, window=4
    )
    assert chosen.strategy == "fine_tune" and record["won"] is False
    # every candidate's CPU counts
    assert chosen.cpu_seconds > 0 and "candidates" in chosen.notes[-1]


def test_mean_rule_takes_any_gain():
    hist = frames(6)
    split = gate_split(hist, target="y", fraction=0.2, batches=2)
    results = [
        FullRetrain().train(SPEC, split.train[-1:]),
        FullRetrain().train(SPEC, split.train),
    ]
    results[0] = replace(results[0], strategy="fine_tune")  # stands in for a fine-tune
    lp = LabelledPolicy(retrain_test="mean")
    _, record = select(lp, results, split.holdout, SPEC)
    scores = record["pool_scores"]
    assert record["won"] == (scores[1] > scores[0])


def test_invalid_retrain_test():
    from driftline.errors import ConfigError

    with pytest.raises(ConfigError, match="retrain_test"):
        LabelledPolicy(retrain_test="best").validate()
