"""Drift Detection Method, DDM (Gama, Medas, Castillo & Rodrigues, 2004).

DDM watches a 0/1 error stream. After ``i`` values with error rate ``p_i`` and
``s_i = sqrt(p_i (1 - p_i) / i)`` it keeps the ``(p_min, s_min)`` at which ``p + s`` was
smallest and signals a warning when ``p_i + s_i >= p_min + 2 s_min`` and a drift when
``p_i + s_i >= p_min + 3 s_min``, after which it starts afresh. Equivalently, with the
excursion ``z_i = (p_i + s_i - p_min) / s_min``: warning at ``z >= warning_level``, drift
at ``z >= threshold`` (3 by default: the effect-size floor *is* the drift level).

One deviation, a guard: the ``p`` inside ``s`` is Laplace-smoothed, ``(errors + 1) /
(i + 2)``, so that an error-free start (``s = 0`` in the textbook formula) does not make
the first error a drift; for the usual ``i >= 30`` and error rates away from 0 the change
is negligible.

DDM's running minimum is noisy early on: on stationary streams of 5000 values at a 20 %
error rate about 30 % of fresh detectors signal once, mostly in the first few hundred
values, but about 3 % after the first 1000. Warm the detector up on reference errors,
as :meth:`~driftline.drift.base.DriftTest.test` does.
Until the first drift the statistics are cumulative sums, so :meth:`DDM.first_drift`
is one vectorised pass (``cumsum`` + running minimum).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from driftline.drift.base import _Computed, _is_int, _is_real
from driftline.drift.stream import StreamingDetector, StreamState


class DDM(StreamingDetector):
    """DDM on a 0/1 error stream (1 = the model was wrong).

    Parameters
    ----------
    alpha
        Unused (DDM has no p-value); kept for the common interface.
    threshold : float or None
        Drift level in units of ``s_min`` (default 3, Gama et al.).
    warning_level : float
        Warning level in units of ``s_min`` (default 2).
    min_samples : int
        Values read before any signal (default 30).

    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(1000) < 0.1, rng.random(1000) < 0.3])
    >>> 1000 <= DDM().first_drift(errors) < 1200
    True
    """

    input_type: ClassVar[str] = "binary"
    method: ClassVar[str] = "ddm"
    effect_size_name: ClassVar[str] = "ddm_excursion"
    default_threshold: ClassVar[float] = 3.0
    reference: ClassVar[str] = (
        "Gama, Medas, Castillo & Rodrigues (2004), Learning with drift detection, SBIA"
    )

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        warning_level: float = 2.0,
        min_samples: int = 30,
    ) -> None:
        self.warning_level = warning_level
        self.min_samples = min_samples
        super().__init__(alpha, threshold)

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            (
                "warning_level",
                _is_real(self.warning_level)
                and 1 <= self.warning_level <= self.effective_threshold,
                "a number in [1, threshold]",
            ),
            ("min_samples", _is_int(self.min_samples, 1), "an integer >= 1"),
        )

    # -- streaming --------------------------------------------------------------------

    def _reset(self) -> None:
        self._i = 0
        self._errors = 0.0
        self._p_min = math.inf
        self._s_min = math.inf

    def _update(self, x: float) -> StreamState:
        self._i += 1
        self._errors += x
        i = self._i
        if i < self.min_samples:
            return StreamState(self._n_seen, False, False, 0.0)
        p = self._errors / i
        smooth = (self._errors + 1) / (i + 2)
        s = math.sqrt(smooth * (1 - smooth) / i)
        if p + s < self._p_min + self._s_min:
            self._p_min, self._s_min = p, s
        z = (p + s - self._p_min) / self._s_min
        if z >= self.effective_threshold:
            self._reset()
            return StreamState(self._n_seen, False, True, z)
        return StreamState(self._n_seen, z >= self.warning_level, False, z)

    # -- batch ------------------------------------------------------------------------

    def _excursions(self, values: np.ndarray) -> np.ndarray:
        """``z_i`` of a fresh detector over ``values`` (NaN before ``min_samples``)."""
        z = np.full(len(values), np.nan)
        start = self.min_samples - 1
        if len(values) <= start:
            return z
        i = np.arange(1, len(values) + 1, dtype=np.float64)
        errors = np.cumsum(values)
        p = errors / i
        smooth = (errors + 1) / (i + 2)
        s = np.sqrt(smooth * (1 - smooth) / i)
        v = (p + s)[start:]
        previous_min = np.concatenate([[np.inf], np.minimum.accumulate(v)[:-1]])
        at = np.maximum.accumulate(np.where(v < previous_min, np.arange(len(v)), 0))
        z[start:] = (v - p[start:][at]) / s[start:][at]
        return z

    def _first_drift(self, values: np.ndarray) -> int | None:
        hits = np.flatnonzero(self._excursions(values) >= self.effective_threshold)
        return int(hits[0]) if len(hits) else None

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        values = np.concatenate([reference, current])
        n_ref = len(reference)
        threshold = self.effective_threshold
        start, in_reference = 0, 0
        first: int | None = None
        effect = 0.0
        warning: int | None = None
        while start < len(values):
            z = self._excursions(values[start:])
            hits = np.flatnonzero(z >= threshold)
            hit = start + int(hits[0]) if len(hits) else None
            if hit is not None and hit < n_ref:  # a (false) alarm inside the reference
                in_reference += 1
                start = hit + 1
                continue
            stop = len(values) if hit is None else hit + 1
            window = z[max(n_ref - start, 0) : stop - start]
            if not np.isnan(window).all():
                effect = float(np.nanmax(window))
                warned = np.flatnonzero(window >= self.warning_level)
                warning = int(warned[0]) + max(start, n_ref) - n_ref if len(warned) else None
            first = None if hit is None else hit - n_ref
            break
        return _Computed(
            statistic=effect,
            p_value=None,
            effect_size=effect,
            details={
                "first_drift_current": first,
                "first_warning_current": warning,
                "alarms_in_reference": in_reference,
                "error_rate_reference": float(reference.mean()),
                "error_rate_current": float(current.mean()),
            },
        )
