"""Adapting a model without new labels (label shift and covariate shift).

================  ==============================================================
module            concept
================  ==============================================================
``priors``        :class:`BlackBoxShiftEstimator` (BBSE), :class:`EMPriorEstimator`
                  (Saerens et al., 2002), :class:`PriorEstimate`,
                  :class:`PriorShiftCorrection`, :class:`PriorCorrectedClassifier`,
                  :func:`prediction_shift` (BBSD: label shift without labels)
``weights``       :class:`ImportanceWeighting` (calibrated domain classifier),
                  :class:`ImportanceWeights`, Kish :func:`effective_sample_size`,
                  :class:`InsufficientOverlap`
``retrain``       :func:`recalibrate_priors`, :func:`reweight_retrain`,
                  :class:`ReweightedRetrain`, :class:`Adaptation`,
                  :func:`importance_resample` (the gate's rows without labels)
``pyfunc``        :class:`PriorCorrectedModel` (MLflow pyfunc: champion + correction)
``register``      :func:`adapt_and_log`: the DAG step (log, tag ``label_free``, register)
================  ==============================================================

See ``docs/adapt.md``.
"""

from driftline.adapt.priors import (
    BlackBoxShiftEstimator,
    EMPriorEstimator,
    PriorCorrectedClassifier,
    PriorEstimate,
    PriorEstimator,
    PriorShiftCorrection,
    prediction_shift,
    reweight,
)
from driftline.adapt.retrain import (
    Adaptation,
    ReweightedRetrain,
    importance_resample,
    recalibrate_priors,
    reweight_retrain,
)
from driftline.adapt.weights import (
    ImportanceWeighting,
    ImportanceWeights,
    InsufficientOverlap,
    effective_sample_size,
)

__all__ = [
    "Adaptation",
    "BlackBoxShiftEstimator",
    "EMPriorEstimator",
    "ImportanceWeighting",
    "ImportanceWeights",
    "InsufficientOverlap",
    "PriorCorrectedClassifier",
    "PriorEstimate",
    "PriorEstimator",
    "PriorShiftCorrection",
    "ReweightedRetrain",
    "effective_sample_size",
    "importance_resample",
    "prediction_shift",
    "recalibrate_priors",
    "reweight",
    "reweight_retrain",
]
