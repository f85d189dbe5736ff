"""Base class and result type shared by every drift test.

Each drift test is a small class that stores its parameters in ``__init__`` and
implements one hook, :meth:`DriftTest._compute`. The public method
:meth:`DriftTest.test` owns input validation (one place, one message style) and builds
the frozen :class:`DriftResult`. Modelled on alibi-detect's ``cd/base.py``.

Input validation is chosen by the class attribute ``input_type`` (see
:mod:`driftline.drift.inputs`); parameter validation by :meth:`DriftTest._param_checks`.
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np

from driftline.errors import ConfigError, fail

Kind = Literal["numeric", "categorical", "multivariate", "label", "concept"]


def _freeze(value: Any) -> Any:
    """Deep-freeze ``value`` into JSON-ready immutable builtins (mappings become read-only)."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, np.ndarray):
        return tuple(_freeze(v) for v in value.tolist())
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return value


def _thaw(value: Any) -> Any:
    """Inverse of :func:`_freeze`: plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class DriftResult:
    """Outcome of one drift test on one column (or on the whole data set).

    ``is_drift`` is the *uncorrected* single-test decision: ``p_value < alpha`` (when a
    p-value is defined) and ``effect_size >= threshold``. The dataset-level decision
    applies multiple-testing correction on top (see ``driftline.drift.decision``).
    ``details`` is deep-frozen (read-only mappings, tuples) so a result cannot change after
    it is built; :meth:`to_dict` returns plain, JSON-ready builtins.
    """

    method: str
    column: str | None
    statistic: float
    p_value: float | None
    effect_size: float
    effect_size_name: str
    threshold: float
    alpha: float
    is_drift: bool
    reference: str
    n_reference: int
    n_current: int
    details: Mapping[str, Any] = field(default_factory=dict)
    kind: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", _freeze(dict(self.details)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["details"] = _thaw(self.details)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftResult:
        """Rebuild a result from :meth:`to_dict` output (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class _Computed:
    statistic: float
    p_value: float | None
    effect_size: float
    details: Mapping[str, Any] = field(default_factory=dict)


class DriftTest(ABC):
    """Base of every drift test. Subclasses set the class attributes and ``_compute``.

    Parameters
    ----------
    alpha : float
        Significance level for the single-test decision.
    threshold : float or None
        Effect-size floor; ``None`` uses the class default ``default_threshold``.
    """

    kind: ClassVar[Kind]
    method: ClassVar[str]
    effect_size_name: ClassVar[str]
    default_threshold: ClassVar[float]
    reference: ClassVar[str]
    #: Name of the input validator in :data:`driftline.drift.inputs.COERCERS`.
    input_type: ClassVar[str]

    def __init__(self, alpha: float = 0.05, threshold: float | None = None) -> None:
        self.alpha = alpha
        self.threshold = threshold

    # -- public -----------------------------------------------------------------------

    @property
    def effective_threshold(self) -> float:
        """The effect-size floor in use (``threshold`` or the class default)."""
        return float(self.default_threshold if self.threshold is None else self.threshold)

    def test(self, reference: Any, current: Any, *, column: str | None = None) -> DriftResult:
        """Test whether ``current`` has drifted from ``reference``.

        Parameters
        ----------
        reference, current : array-like
            The two samples; their accepted form depends on ``input_type``.
        column : str, optional
            Name used in error messages and in the result.

        Raises
        ------
        ConfigError
            A parameter of the test is invalid.
        DataError
            An input is empty, has the wrong shape or holds invalid values.
        """
        from driftline.drift.inputs import coerce_pair

        self.check_params()
        ref, cur = coerce_pair(self.input_type, reference, current, column)
        computed = self._compute(ref, cur)
        return self._result(computed, column, _length(ref), _length(cur))

    def check_params(self) -> None:
        """Raise :class:`ConfigError` for the first invalid parameter."""
        name = type(self).__name__
        checks: list[tuple[str, bool, str]] = [
            ("alpha", _is_real(self.alpha) and 0.0 < self.alpha < 1.0, "a number in (0, 1)"),
            (
                "threshold",
                self.threshold is None or (_is_real(self.threshold) and self.threshold >= 0),
                "None or a finite number >= 0",
            ),
        ]
        for group in (lambda: checks, self._param_checks):  # subclass checks see valid base
            for param, ok, requirement in group():
                if not ok:
                    raise ConfigError(
                        fail(
                            f"{name}: parameter {param}={getattr(self, param, None)!r} is invalid",
                            f"pass {requirement}",
                        )
                    )

    def __repr__(self) -> str:
        params = inspect.signature(type(self).__init__).parameters
        shown = [f"{p}={getattr(self, p)!r}" for p in params if p != "self" and hasattr(self, p)]
        return f"{type(self).__name__}({', '.join(shown)})"

    # -- hooks ------------------------------------------------------------------------

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        """Extra ``(parameter, is_valid, requirement)`` checks of a subclass."""
        return ()

    @abstractmethod
    def _compute(self, reference: Any, current: Any) -> _Computed:
        """Compute statistic, p-value and effect size on validated inputs."""

    # -- helpers ----------------------------------------------------------------------

    def _result(
        self, computed: _Computed, column: str | None, n_reference: int, n_current: int
    ) -> DriftResult:
        threshold = self.effective_threshold
        p_value = None if computed.p_value is None else float(computed.p_value)
        effect = float(computed.effect_size)
        significant = True if p_value is None else p_value < self.alpha
        return DriftResult(
            method=self.method,
            column=column,
            statistic=float(computed.statistic),
            p_value=p_value,
            effect_size=effect,
            effect_size_name=self.effect_size_name,
            threshold=threshold,
            alpha=float(self.alpha),
            is_drift=bool(significant and effect >= threshold),
            reference=self.reference,
            n_reference=int(n_reference),
            n_current=int(n_current),
            details=computed.details,
            kind=self.kind,
        )


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and math.isfinite(value)


def _is_int(value: Any, low: int = 1) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and int(value) >= low


def _length(x: Any) -> int:
    return len(x[0]) if isinstance(x, tuple) else len(x)  # tuple: (y_true, y_pred) pairs
