"""Estimating a model's performance on a batch before its labels arrive.

================  ==============================================================
module            concept
================  ==============================================================
``scored``        :class:`Scored`: a model's outputs on some rows (and labels)
``base``          :class:`PerformanceEstimator` (fit on the hold-out, estimate a
                  batch, the band), :class:`Estimate` (value, band, metric, n)
``metrics``       realized and expected accuracy, F1, ROC AUC (vectorised)
``calibration``   :class:`ProbabilityCalibration`: isotonic or Platt per class
``cbpe``          :class:`CBPE`: confidence-based performance estimation
``dle``           :class:`DLE`: direct loss estimation of the MAE
``drop``          :class:`EstimatedDrop` (the rule), :class:`DropVerdict`,
                  :func:`apply_to_decision` (``DRIFTLINE_ESTIMATED_DROP_ACTION``)
``pipeline``      :func:`estimate_unlabelled`: the drift step's estimate of an
                  unlabelled batch (hold-out from MLflow, store, verdict);
                  :func:`estimate_frame`, :func:`estimator_for`
================  ==============================================================

See ``docs/estimation.md``.
"""

from driftline.estimate.base import Estimate, PerformanceEstimator
from driftline.estimate.calibration import CALIBRATIONS, ProbabilityCalibration
from driftline.estimate.cbpe import CBPE
from driftline.estimate.dle import DLE
from driftline.estimate.drop import DropVerdict, EstimatedDrop, apply_to_decision
from driftline.estimate.pipeline import estimate_frame, estimate_unlabelled, estimator_for
from driftline.estimate.scored import Scored

__all__ = [
    "CALIBRATIONS",
    "CBPE",
    "DLE",
    "DropVerdict",
    "Estimate",
    "EstimatedDrop",
    "PerformanceEstimator",
    "ProbabilityCalibration",
    "Scored",
    "apply_to_decision",
    "estimate_frame",
    "estimate_unlabelled",
    "estimator_for",
]
