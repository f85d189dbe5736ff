"""Base class of the streaming concept-drift detectors (DDM, ADWIN).

A detector reads a model's error stream one value at a time with :meth:`update`, which
returns a frozen :class:`StreamState`; ``in_drift`` / ``in_warning`` reflect the last
update. Batch helpers run over a whole vector: :meth:`first_drift` (a fresh detector,
vectorised where the method allows) and :meth:`drift_indices`. As a
:class:`~driftline.drift.base.DriftTest`, ``test(reference_errors, current_errors)``
streams the reference then the current errors and reports a drift only when the
detector fires inside the current part; the effect size is the detector's own
statistic relative to its drift level, so ``effect_size >= threshold`` is exactly "the
detector fired" (there is no p-value).
"""

from __future__ import annotations

import inspect
import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np

from driftline.drift.base import DriftTest
from driftline.drift.inputs import COERCERS
from driftline.errors import DataError, fail


@dataclass(frozen=True)
class StreamState:
    """State of a streaming detector after one update."""

    n_seen: int
    in_warning: bool
    in_drift: bool
    statistic: float


class StreamingDetector(DriftTest):
    """Base of streaming detectors: ``update`` owns validation, ``_update`` the method."""

    kind: ClassVar[str] = "concept"

    def __init__(self, alpha: float = 0.05, threshold: float | None = None) -> None:
        super().__init__(alpha, threshold)
        self.reset()

    # -- streaming --------------------------------------------------------------------

    def update(self, x: float) -> StreamState:
        """Read one value of the stream and return the detector's state."""
        if self._n_seen == 0:
            self.check_params()
        value = self._check_value(x)
        self._n_seen += 1
        state = self._update(value)
        self._state = state
        return state

    @property
    def in_drift(self) -> bool:
        """Whether the last update signalled a drift."""
        return self._state.in_drift

    @property
    def in_warning(self) -> bool:
        """Whether the last update signalled a warning."""
        return self._state.in_warning

    def reset(self) -> None:
        """Forget everything seen so far."""
        self._n_seen = 0
        self._state = StreamState(0, False, False, 0.0)
        self._reset()

    def clone(self) -> Self:
        """A fresh detector with the same parameters."""
        params = inspect.signature(type(self).__init__).parameters
        return type(self)(**{p: getattr(self, p) for p in params if p != "self"})

    # -- batch ------------------------------------------------------------------------

    def first_drift(self, errors: Any) -> int | None:
        """Index of the first value at which a fresh detector signals drift, or None."""
        self.check_params()
        arr = COERCERS[self.input_type](errors, None, "errors")
        return self._first_drift(arr)

    def drift_indices(self, errors: Any) -> list[int]:
        """Indices of every drift signal of a fresh detector run over ``errors``."""
        self.check_params()
        arr = COERCERS[self.input_type](errors, None, "errors")
        detector = self.clone()
        return [i for i, x in enumerate(arr.tolist()) if detector._step(x).in_drift]

    # -- hooks ------------------------------------------------------------------------

    @abstractmethod
    def _reset(self) -> None:
        """Reset the method's own state."""

    @abstractmethod
    def _update(self, x: float) -> StreamState:
        """Update with one validated value."""

    def _first_drift(self, values: np.ndarray) -> int | None:
        """Vectorised override point; by default streams a fresh clone."""
        detector = self.clone()
        for i, x in enumerate(values.tolist()):
            if detector._step(x).in_drift:
                return i
        return None

    # -- helpers ----------------------------------------------------------------------

    def _step(self, x: float) -> StreamState:
        """Update without validation (values already validated as a batch)."""
        self._n_seen += 1
        self._state = self._update(x)
        return self._state

    def _check_value(self, x: Any) -> float:
        try:
            value = float(x)
        except (TypeError, ValueError) as exc:
            raise DataError(
                fail(f"{type(self).__name__}: stream value {x!r} is not a number", "pass numbers")
            ) from exc
        if not math.isfinite(value) or (self.input_type == "binary" and value not in (0.0, 1.0)):
            allowed = "0 or 1" if self.input_type == "binary" else "a finite number"
            raise DataError(
                fail(f"{type(self).__name__}: stream value {x!r} is invalid", f"pass {allowed}")
            )
        return value
