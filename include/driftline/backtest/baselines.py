"""Baseline replay policies: fixed schedules that ignore drift.

=====================  ==============================================================
policy                 when labels arrive
=====================  ==============================================================
:class:`Never`         nothing: the bootstrap model serves the whole stream
:class:`Periodic`      full retrain on the last ``window`` batches every ``period``-th
                       labelled batch (the usual "retrain every M weeks" schedule)
:class:`Always`        full retrain on the last ``window`` batches every time
                       (``Periodic`` with ``period=1``; Widmer & Kubat, 1996)
:class:`AlwaysFineTune` fine-tune the champion on the new batch every time
                       (incremental learning, Gama et al., 2014)
=====================  ==============================================================

None of them holds data out or gates: every challenger replaces the champion.

>>> p = Periodic(period=3)
>>> [p._plan(i, []).action for i in range(6)]
['none', 'none', 'full_retrain', 'none', 'none', 'full_retrain']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftline.backtest.base import Champion, Plan, ReplayPolicy
from driftline.errors import ConfigError, fail
from driftline.training import Batch, ModelSpec


class Never(ReplayPolicy):
    """A static model: never trains after the bootstrap."""

    name = "never"

    def _plan(self, index: int, history: Sequence[Batch]) -> Plan:
        return Plan("none", ("static model",))


class Periodic(ReplayPolicy):
    """Full retrain every ``period``-th labelled batch (see the module docstring).

    Parameters
    ----------
    period : int
        Labelled batches between two retrains.
    **kwargs
        See :class:`~driftline.backtest.base.ReplayPolicy`.
    """

    name = "periodic"

    def __init__(self, period: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.period = period
        self._seen = 0

    @property
    def label(self) -> str:
        return f"{self.name} (every {self.period})"

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.period, int) or isinstance(self.period, bool) or self.period < 1:
            raise ConfigError(fail(f"{self.name}: period={self.period!r}", "use an integer >= 1"))

    def start(self, spec: ModelSpec, champion: Champion) -> None:
        self._seen = 0
        super().start(spec, champion)

    def _plan(self, index: int, history: Sequence[Batch]) -> Plan:
        self._seen += 1
        if self._seen % self.period:
            return Plan("none", (f"{self._seen % self.period} of {self.period} batches",))
        return Plan("full_retrain", (f"scheduled: every {self.period} batches",))


class Always(Periodic):
    """Full retrain after every labelled batch."""

    name = "always"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(period=1, **kwargs)

    @property
    def label(self) -> str:
        return self.name


class AlwaysFineTune(ReplayPolicy):
    """Fine-tune the champion after every labelled batch."""

    name = "always_finetune"

    def _plan(self, index: int, history: Sequence[Batch]) -> Plan:
        return Plan("fine_tune", ("scheduled: every batch",))
