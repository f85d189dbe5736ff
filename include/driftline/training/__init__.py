"""Training, tracking and promotion: the half of continual learning after the drift decision.

=====================  =================================================================
module                 concept
=====================  =================================================================
``spec``               :class:`ModelSpec` and :func:`build_pipeline` (scikit-learn Pipeline)
``window``             :class:`Batch`, :class:`Window` (all / last N / last T, recency
                       weights), :func:`split_holdout`
``metrics``            :func:`evaluate` and per-row scores for the gate
``strategies``         :func:`full_retrain` (stateless) and :func:`fine_tune` (stateful)
``policy``             :class:`Policy`: drift report -> :class:`Decision`;
                       :class:`LabelledPolicy`: the Driftline policy for labelled
                       batches (concept check, rules, training data, gate)
``evidence``           :func:`gate_split`: pooled hold-out slices for the gate;
                       :func:`labelled` rows of a partly labelled batch
``tracking``           :func:`log_training`: MLflow run with lineage, reports, profile, model
``registry``           :class:`Registry`: versions, ``challenger`` / ``champion`` aliases
``gate``               :class:`BootstrapGate`, :class:`McNemarGate` -> :class:`GateResult`
``inference``          :func:`score_batch`, :func:`write_predictions`, :func:`prediction_stats`
``iteration``          :func:`plan_iteration`: data vs model iteration (spec fingerprints)
``reproduce``          :func:`reproduce`: rebuild a version from its record, compare predictions
``steps``              what every DAG step shares: :func:`step` (failures name batch,
                       champion and next step), :func:`use_tracking`,
                       :func:`verify_and_mark`, :func:`earlier_attempt`
``lifecycle``          one call per DAG task: :func:`bootstrap`, :func:`train_and_log`,
                       :func:`gate_and_promote`, :func:`rollback_champion`,
                       :func:`score_and_write`
=====================  =================================================================
"""

from driftline.training.evidence import GateSplit, gate_split, labelled
from driftline.training.gate import BootstrapGate, Gate, GateResult, McNemarGate, bootstrap_means
from driftline.training.inference import (
    Scored,
    prediction_stats,
    score_batch,
    write_predictions,
)
from driftline.training.iteration import (
    ITERATIONS,
    IterationPlan,
    load_configured_spec,
    plan_iteration,
    save_configured_spec,
    spec_fingerprint,
)
from driftline.training.lifecycle import (
    PromotionOutcome,
    TrainingConfig,
    TrainOutcome,
    bootstrap,
    gate_and_promote,
    rollback_champion,
    score_and_write,
    train_and_log,
)
from driftline.training.metrics import GATE_METRICS, evaluate, row_scores
from driftline.training.policy import (
    ACTIONS,
    Action,
    Decision,
    DriftSummary,
    LabelledPolicy,
    Policy,
    labelled_policy,
)
from driftline.training.registry import (
    CHALLENGER,
    CHAMPION,
    PREVIOUS,
    AliasMove,
    Registry,
    promote,
    rollback,
)
from driftline.training.reproduce import Reproduction, reproduce
from driftline.training.spec import ESTIMATORS, ModelSpec, build_pipeline
from driftline.training.steps import (
    earlier_attempt,
    model_spec_of,
    step,
    use_tracking,
    verify_and_mark,
)
from driftline.training.strategies import (
    FineTune,
    FullRetrain,
    Strategy,
    TrainResult,
    fine_tune,
    full_retrain,
)
from driftline.training.tracking import (
    LoggedRun,
    code_version,
    find_logged_run,
    finish_run,
    log_training,
    pip_requirements,
    reference_profile,
)
from driftline.training.window import Batch, Window, WindowData, frame_digest, split_holdout

__all__ = [
    "ACTIONS",
    "CHALLENGER",
    "CHAMPION",
    "ESTIMATORS",
    "GATE_METRICS",
    "ITERATIONS",
    "PREVIOUS",
    "Action",
    "AliasMove",
    "Batch",
    "BootstrapGate",
    "GateSplit",
    "LabelledPolicy",
    "Decision",
    "DriftSummary",
    "FineTune",
    "FullRetrain",
    "Gate",
    "GateResult",
    "IterationPlan",
    "LoggedRun",
    "McNemarGate",
    "ModelSpec",
    "Policy",
    "PromotionOutcome",
    "Registry",
    "Reproduction",
    "Scored",
    "Strategy",
    "TrainOutcome",
    "TrainResult",
    "TrainingConfig",
    "Window",
    "WindowData",
    "bootstrap",
    "bootstrap_means",
    "build_pipeline",
    "code_version",
    "earlier_attempt",
    "evaluate",
    "find_logged_run",
    "fine_tune",
    "finish_run",
    "frame_digest",
    "full_retrain",
    "gate_and_promote",
    "load_configured_spec",
    "log_training",
    "model_spec_of",
    "pip_requirements",
    "plan_iteration",
    "prediction_stats",
    "promote",
    "reference_profile",
    "reproduce",
    "rollback",
    "rollback_champion",
    "row_scores",
    "save_configured_spec",
    "score_and_write",
    "score_batch",
    "spec_fingerprint",
    "split_holdout",
    "gate_split",
    "labelled",
    "labelled_policy",
    "step",
    "train_and_log",
    "use_tracking",
    "verify_and_mark",
    "write_predictions",
]
