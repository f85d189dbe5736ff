"""Base class and result type shared by every drift test.

Each drift test is a small class that stores its parameters in ``__init__`` and
implements one hook, :meth:`DriftTest._compute`. The public method
:meth:`DriftTest.test` owns input validation (one place, one message style) and builds
the frozen :class:`DriftResult`. Modelled on alibi-detect's ``cd/base.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

Kind = Literal["numeric", "categorical", "multivariate", "label", "concept"]


@dataclass(frozen=True)
class DriftResult:
    """Outcome of one drift test on one column (or on the whole data set).

    ``is_drift`` is the *uncorrected* single-test decision: ``p_value < alpha`` (when a
    p-value is defined) and ``effect_size >= threshold``. The dataset-level decision
    applies multiple-testing correction on top (see ``driftline.drift.decision``).
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["details"] = dict(self.details)
        return d


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

    def __init__(self, alpha: float = 0.05, threshold: float | None = None) -> None:
        self.alpha = alpha
        self.threshold = threshold

    @abstractmethod
    def _compute(self, reference: Any, current: Any) -> _Computed:
        """Compute statistic, p-value and effect size on validated inputs."""
