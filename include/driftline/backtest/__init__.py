"""Backtest: replay a labelled stream through training policies, side by side.

``driftline backtest`` (and :func:`run_backtest`) scores each batch of a stream with
every policy's current model, then lets each policy learn from the labels, with the same
library code the DAGs run: validation (:mod:`driftline.validation`), drift tests and
reports (:mod:`driftline.drift`), the policy, training strategies and the promotion gate
(:mod:`driftline.training`). No Airflow, no MLflow server.

====================  =================================================================
module                concept
====================  =================================================================
``stream``            :func:`read_stream`, :func:`to_batches`: the stream in time order
``base``              :class:`ReplayPolicy` (learn: plan, hold out, train, gate),
                      :class:`Champion`, :class:`Plan`, :class:`Step`
``baselines``         :class:`Never`, :class:`Periodic`, :class:`Always`,
                      :class:`AlwaysFineTune`
``triggered``         :class:`DriftTriggered`: the training DAG's
                      :class:`~driftline.training.LabelledPolicy`, replayed
``label_free``        :class:`LabelFree`: the label-free mode's policy (adapt without
                      labels: prior recalibration or importance-weighted retraining)
``runner``            :class:`BacktestConfig`, :func:`run_backtest` (test-then-train
                      with a label delay), :func:`make_policy`
``result``            :class:`BacktestResult`, :class:`PolicyRun`: table, files
``series``            :func:`rolling_mean` and the baseline's name (tables and charts)
``streams``           :data:`STREAMS`: Elec2 and seeded synthetic streams of known drift
``suite``             :func:`run_suite`: every policy on every stream and label regime
                      (``driftline bench-policies``), targets, chart
``chart``             :func:`plot_backtest`: rolling metric per policy, training markers
``tracking``          :func:`log_backtest`: optional MLflow logging (local store)
====================  =================================================================

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": rng.normal(size=1200)})
>>> df["y"] = (df.x > 0).astype(int)
>>> cfg = BacktestConfig(target="y", batch_size=200, bootstrap_batches=2,
...                      policies=("never", "always"), estimator="sgd", validate=False)
>>> result = run_backtest(df, cfg)
>>> result.table()[["policy", "full retrains"]].to_dict("list")
{'policy': ['never', 'always', 'previous label (row-level labels)'], 'full retrains': [0.0, 3.0, nan]}
"""

from driftline.backtest.base import Champion, Plan, ReplayPolicy, Step
from driftline.backtest.baselines import Always, AlwaysFineTune, Never, Periodic
from driftline.backtest.chart import plot_backtest
from driftline.backtest.label_free import LabelFree
from driftline.backtest.result import BacktestResult, PolicyRun
from driftline.backtest.runner import (
    DEFAULT_POLICIES,
    LABEL_FREE_POLICIES,
    POLICY_NAMES,
    BacktestConfig,
    infer_contract,
    make_policy,
    parse_policy,
    run_backtest,
    validate_batches,
)
from driftline.backtest.series import rolling_mean
from driftline.backtest.stream import read_stream, to_batches
from driftline.backtest.streams import STREAMS, StreamSpec, get_stream
from driftline.backtest.suite import REGIMES, SuiteResult, run_suite
from driftline.backtest.tracking import log_backtest
from driftline.backtest.triggered import DriftTriggered

__all__ = [
    "DEFAULT_POLICIES",
    "LABEL_FREE_POLICIES",
    "POLICY_NAMES",
    "REGIMES",
    "STREAMS",
    "StreamSpec",
    "SuiteResult",
    "Always",
    "AlwaysFineTune",
    "BacktestConfig",
    "BacktestResult",
    "Champion",
    "DriftTriggered",
    "LabelFree",
    "Never",
    "Periodic",
    "Plan",
    "PolicyRun",
    "ReplayPolicy",
    "Step",
    "infer_contract",
    "log_backtest",
    "make_policy",
    "parse_policy",
    "plot_backtest",
    "read_stream",
    "rolling_mean",
    "run_backtest",
    "run_suite",
    "get_stream",
    "validate_batches",
    "to_batches",
]
