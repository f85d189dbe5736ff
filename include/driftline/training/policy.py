"""The training policy: from a drift report to a training action.

Actions: ``none``, ``fine_tune``, ``full_retrain`` (need labels) and the label-free
``recalibrate_priors``, ``reweight_retrain`` (:mod:`driftline.adapt`).

**Batch with labels** — rules checked in this order; every rule that matches adds a
reason, and the strongest action wins (``full_retrain`` > ``fine_tune`` > ``none``):

====  =====================================================  ===========================
rule  condition on the drift report                          default action (parameter)
====  =====================================================  ===========================
0     ``override`` is not ``"auto"``                         the override, nothing else
1     no report, or ``is_drift`` is false                    ``none`` (``stable``)
2     ``"concept"`` in ``kinds``                             ``full_retrain`` (``concept``)
3     ``"label"`` in ``kinds`` and the batch has labels      ``full_retrain`` (``label``)
4     ``severity == "severe"``, or ``max_effect`` >=         ``full_retrain`` (``severe``)
      ``severe_effect`` (when set)
5     ``"covariate"`` in ``kinds`` (moderate)                ``fine_tune`` (``covariate``)
6     drift of no known kind                                 ``fine_tune`` (``unknown``)
====  =====================================================  ===========================

**Batch without labels** (``has_labels=False``): nothing can be trained on the batch
itself, and a concept drift cannot be seen. Rules 0 and 1 as above, then:

====  =====================================================  ===========================
rule  condition on the drift report                          default action (parameter)
====  =====================================================  ===========================
L1    ``"label"`` in ``kinds`` (BBSD on the predictions, or  ``recalibrate_priors``
      the label counts)                                      (``label_free_label``)
L2    ``"covariate"`` in ``kinds``, no ``"label"``           ``reweight_retrain``
                                                             (``label_free_covariate``)
L3    anything else                                          ``none``
====  =====================================================  ===========================

Why L1 before L2: under a pure label shift the feature distribution moves too
(``p(x) = sum_y p(x|y) pi(y)``), so covariate tests fire alongside; the predictions'
distribution moving (BBSD, Lipton et al., 2018) is the symptom a prior correction
addresses, and the correction is cheap and checked on the re-weighted hold-out before any
promotion. A covariate shift that leaves the predictions' distribution alone cannot be
fixed by new priors, so it is reweighted (importance-weighted retraining of the labelled
reference rows, refused when the effective sample size is too small).

The rationale follows the continual-learning literature (Gama et al., 2014; Lu et al.,
2019): a moderate covariate shift keeps P(y|x), so adapting the current model
incrementally suffices; a changed concept P(y|x) or prior P(y), or a large shift, makes
the old model's knowledge misleading, so a new model is trained on recent data.

>>> from types import SimpleNamespace as R
>>> p = Policy()
>>> p.decide(R(is_drift=True, kinds=("covariate",), severity="moderate", max_effect=0.1)).action
'fine_tune'
>>> p.decide(R(is_drift=True, kinds=("concept",), severity="moderate", max_effect=0.1)).action
'full_retrain'
>>> p.decide(R(is_drift=True, kinds=("covariate", "label"), severity="moderate", max_effect=0.1),
...          has_labels=False).action
'recalibrate_priors'
>>> p.decide(None, override="fine_tune")
Decision(action='fine_tune', reasons=('manual override: fine_tune',), override_used=True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args, runtime_checkable

from driftline.errors import ConfigError, fail

Action = Literal["none", "fine_tune", "full_retrain", "recalibrate_priors", "reweight_retrain"]
ACTIONS: tuple[str, ...] = get_args(Action)
#: Actions that need no labels on the batch (see :mod:`driftline.adapt`).
LABEL_FREE_ACTIONS: tuple[str, ...] = ("recalibrate_priors", "reweight_retrain")
LABELLED_ACTIONS: tuple[str, ...] = ("none", "fine_tune", "full_retrain")
OVERRIDES: tuple[str, ...] = ("auto", *ACTIONS)
_RANK = {"none": 0, "fine_tune": 1, "full_retrain": 2}


@runtime_checkable
class DriftSummary(Protocol):
    """What the policy reads from a drift report (``driftline.drift.DriftReport`` fits)."""

    is_drift: bool
    kinds: tuple[str, ...]
    severity: str
    max_effect: float


@dataclass(frozen=True)
class Decision:
    """The policy's choice and why."""

    action: Action
    reasons: tuple[str, ...]
    override_used: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reasons": list(self.reasons),
            "override_used": self.override_used,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Decision:
        return cls(d["action"], tuple(d.get("reasons", ())), bool(d.get("override_used", False)))


class Policy:
    """Configurable mapping from a drift report to a training action (module docstring).

    Parameters
    ----------
    covariate, concept, label, severe, unknown : {"none", "fine_tune", "full_retrain"}
        Action of rules 5, 2, 3, 4 and 6.
    stable : {"none", "fine_tune"}
        Action of rule 1 for a labelled batch with a drift report but no drift (new
        labels are new information even when nothing moved).
    severe_effect : float or None
        Also treat ``max_effect >= severe_effect`` as severe (``None``: severity only).
    label_free_label, label_free_covariate : {"none", "recalibrate_priors", "reweight_retrain"}
        Action of rules L1 and L2 for a batch without labels.
    """

    def __init__(
        self,
        *,
        covariate: Action = "fine_tune",
        concept: Action = "full_retrain",
        label: Action = "full_retrain",
        severe: Action = "full_retrain",
        unknown: Action = "fine_tune",
        severe_effect: float | None = None,
        label_free_label: Action = "recalibrate_priors",
        label_free_covariate: Action = "reweight_retrain",
        stable: Action = "none",
    ) -> None:
        self.stable = stable
        self.covariate = covariate
        self.concept = concept
        self.label = label
        self.severe = severe
        self.unknown = unknown
        self.severe_effect = severe_effect
        self.label_free_label = label_free_label
        self.label_free_covariate = label_free_covariate

    def validate(self) -> None:
        for name in ("covariate", "concept", "label", "severe", "unknown"):
            if getattr(self, name) not in LABELLED_ACTIONS:
                raise ConfigError(
                    fail(
                        f"policy {name}={getattr(self, name)!r}",
                        f"use one of {list(LABELLED_ACTIONS)}",
                    )
                )
        if self.stable not in ("none", "fine_tune"):
            raise ConfigError(
                fail(f"policy stable={self.stable!r}", "use one of ['none', 'fine_tune']")
            )
        for name in ("label_free_label", "label_free_covariate"):
            allowed = ("none", *LABEL_FREE_ACTIONS)
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    fail(f"policy {name}={getattr(self, name)!r}", f"use one of {list(allowed)}")
                )
        if self.severe_effect is not None and not self.severe_effect > 0:
            raise ConfigError(
                fail(f"severe_effect={self.severe_effect!r}", "use a positive number or None")
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "covariate": self.covariate,
            "concept": self.concept,
            "label": self.label,
            "severe": self.severe,
            "unknown": self.unknown,
            "severe_effect": self.severe_effect,
            "label_free_label": self.label_free_label,
            "label_free_covariate": self.label_free_covariate,
            "stable": self.stable,
        }

    def decide(self, report: Any, *, override: str = "auto", has_labels: bool = True) -> Decision:
        """Apply the rules to ``report`` (a ``DriftReport``, its dict, or ``None``)."""
        self.validate()
        if override not in OVERRIDES:
            raise ConfigError(fail(f"override={override!r}", f"use one of {list(OVERRIDES)}"))
        if override != "auto":
            return Decision(override, (f"manual override: {override}",), True)  # type: ignore[arg-type]
        if report is None:
            return Decision("none", ("no drift report",), False)
        is_drift, kinds, severity, max_effect = _read(report)
        if not has_labels:
            if not is_drift:
                return Decision("none", ("no drift detected",), False)
            return self._decide_label_free(kinds, severity)
        if not is_drift:
            if self.stable == "none":
                return Decision("none", ("no drift detected",), False)
            return Decision(
                self.stable, (f"no drift detected, new labels -> {self.stable}",), False
            )  # type: ignore[arg-type]
        matched: list[tuple[str, str]] = []
        if "concept" in kinds:
            matched.append((self.concept, "concept drift"))
        if "label" in kinds:
            matched.append((self.label, "label shift"))
        if severity == "severe":
            matched.append((self.severe, "severe shift"))
        elif self.severe_effect is not None and max_effect >= self.severe_effect:
            matched.append((self.severe, f"max effect {max_effect:.3g} >= {self.severe_effect:g}"))
        if "covariate" in kinds:
            matched.append((self.covariate, f"{severity} covariate shift"))
        if not matched:
            matched.append((self.unknown, f"drift of unknown kind {tuple(kinds)}"))
        action = max((a for a, _ in matched), key=_RANK.__getitem__)
        reasons = tuple(f"{why} -> {a}" for a, why in matched)
        return Decision(action, reasons, False)  # type: ignore[arg-type]

    def _decide_label_free(self, kinds: tuple[str, ...], severity: str) -> Decision:
        """Rules L1-L3 (module docstring) for a batch without labels."""
        if "label" in kinds:
            action, why = self.label_free_label, "no labels, label shift (predictions moved)"
        elif "covariate" in kinds:
            action, why = self.label_free_covariate, f"no labels, {severity} covariate shift"
        else:
            action, why = "none", f"no labels: drift of kind {tuple(kinds)} cannot be adapted to"
        return Decision(action, (f"{why} -> {action}",), False)  # type: ignore[arg-type]


def _read(report: Any) -> tuple[bool, tuple[str, ...], str, float]:
    """``(is_drift, kinds, severity, max_effect)`` of a report object or dict."""
    get = report.get if isinstance(report, Mapping) else lambda k, d=None: getattr(report, k, d)
    try:
        return (
            bool(get("is_drift")),
            tuple(get("kinds", ()) or ()),
            str(get("severity", "none") or "none"),
            float(get("max_effect", 0.0) or 0.0),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            fail(f"cannot read the drift report ({exc})", "pass a DriftReport or its to_dict()")
        ) from None


# --------------------------------------------------------------------------------------
# The Driftline policy for labelled batches (the training DAG and the backtest run it).

#: ``(y_true, y_pred)`` of one batch's labelled rows.
Outcomes = tuple[Any, Any]
CONCEPT_TESTS: tuple[str, ...] = ("performance_drop", "adwin", "ddm")
CONCEPT_WINDOWS: tuple[str, ...] = ("auto", "window", "since_drift")
GATE_TESTS: tuple[str, ...] = ("superiority", "non_inferiority", "not_worse")


def labelled_policy() -> Policy:
    """The rules when labels come with the batch: retrain on concept drift, else fine-tune.

    With labels at hand the concept check measures whether the model still works, so
    only a performance drop (concept drift) pays for a full retrain, and any distribution
    shift (covariate or label, moderate or severe) is met by a cheap fine-tune (Gama et
    al., 2014; Lu et al., 2019).

    >>> labelled_policy().to_dict()["severe"]
    'fine_tune'
    """
    return Policy(
        covariate="fine_tune",
        concept="full_retrain",
        label="fine_tune",
        severe="fine_tune",
        unknown="fine_tune",
        stable="fine_tune",
    )


def worse_than_uninformed(current: Outcomes, y_train: Any, classification: bool) -> bool:
    """Whether the model does worse on the batch than a predictor that ignores the features.

    The uninformed predictor always answers the majority class (classification) or the
    median (regression, absolute error) of the model's own training labels: a model
    below it has learnt a relation between features and label that now misleads.

    >>> import numpy as np
    >>> y, y_train = np.array([0, 0, 1, 1]), np.array([0, 0, 1])
    >>> worse_than_uninformed((y, np.array([1, 1, 0, 1])), y_train, True)
    True
    >>> worse_than_uninformed((y, np.array([0, 0, 1, 0])), y_train, True)
    False
    """
    import numpy as np

    y, y_pred = (np.asarray(v) for v in current)
    y_train = np.asarray(y_train)
    if len(y) == 0 or len(y_train) == 0:
        return False
    if classification:
        values, counts = np.unique(y_train, return_counts=True)
        return float(np.mean(y_pred == y)) < float(np.mean(y == values[np.argmax(counts)]))
    y = y.astype(float)
    mae = float(np.mean(np.abs(y_pred.astype(float) - y)))
    return mae > float(np.mean(np.abs(y - np.median(y_train.astype(float)))))


@dataclass(frozen=True)
class Episode:
    """A drift episode: the trailing run of concept alarms (:meth:`LabelledPolicy.episode`)."""

    start: str | None
    length: int
    change_point: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "length": self.length, "change_point": self.change_point}


@dataclass(frozen=True)
class LabelledPolicy:
    """The Driftline policy for a batch with labels: concept check, rules, training, gate.

    One object carries every default the training DAG and the backtest share, so that
    production (``driftline.flow``) and the policy suite (``driftline bench-policies``)
    run the same code. The defaults were chosen on the suite (nine streams x three label
    regimes, ``benchmarks/policy_variants.py``; ``docs/backtest.md``):

    1. **concept check** (:meth:`concept_check`): the champion's per-row outcomes on the
       newly labelled rows against its *reference performance*, its outcomes on labelled
       batches it scored since it was trained (its gate hold-out only until there is
       one; a model promoted because it did well on its hold-out scores too well there).
       ``performance_drop``: :class:`~driftline.drift.PerformanceDrop` (one-sided
       two-proportion z-test, floor ``concept_floor`` accuracy points; for regression a
       bootstrap of the MAE drop with the floor as a fraction of the reference MAE);
       ``adwin`` / ``ddm`` stream the reference errors then the new ones through
       :class:`~driftline.drift.ADWIN` (Bifet & Gavaldà, 2007) / :class:`~driftline.drift.DDM`
       (Gama et al., 2004) and count only a rise of the error. A run of alarms is a
       drift episode (:meth:`episode`);
    2. **rules** (:attr:`rules`, default :func:`labelled_policy`): new labels are new
       information, so every labelled batch updates the model (``fine_tune``, also when
       nothing drifted); a concept alarm proposes a ``full_retrain``;
    3. **training** (:mod:`driftline.training.selection`): labelled rows only, and every
       run leaves out the hold-out slices of the newest ``gate_batches`` batches
       (:func:`driftline.training.evidence.gate_split`). A fine-tune continues the
       champion on the newest batches holding ``fine_tune_rows`` labelled rows
       (:meth:`fine_tune_batches`), weighted by recency with a half-life of
       ``fine_tune_half_life`` batches (experience replay that still follows the newest
       data; Klinkenberg, 2004). A full retrain learns from the newest ``window`` batches
       (after an alarm on which the champion did worse than an uninformed predictor: the
       batches since the alarm, ``concept_window="auto"``, as DDM rebuilds from the
       examples since the change); with ``retrain_alternative`` it is trained beside the
       fine-tune and kept only when it is significantly better on the pooled hold-out
       (``retrain_test``), otherwise the fine-tuned lineage goes on;
    4. **gate** (:meth:`gate`): champion and challenger on the pooled hold-out slices since
       the episode's change point; a challenger trained on fresher data is promoted
       unless it is significantly worse (``gate_test="not_worse"``, paired bootstrap at
       ``gate_alpha``); a model iteration (new spec, same data) or a label-free
       correction must be significantly better (``superiority``).

    Parameters
    ----------
    rules : Policy or None
        Drift report -> action (``None``: :func:`labelled_policy`).
    concept : {"performance_drop", "adwin", "ddm"}
        Concept test of step 1.
    concept_floor : float
        Smallest drop flagged: accuracy points, or a fraction of the reference MAE.
    alpha : float
        Level of the concept test.
    window : int
        Batches a full retrain learns from.
    concept_window : {"auto", "window", "since_drift"}
        Window of a concept-triggered retrain (step 3; ``window``: always ``window``
        batches; ``since_drift``: always the batches since the alarm).
    fine_tune_window, fine_tune_epochs : int
        Fewest batches a fine-tune learns from, and its ``partial_fit`` passes.
    holdout_fraction : float
        Newest fraction of each batch's labelled rows kept for the gate.
    gate_batches : int
        Batches whose hold-out slices are pooled for the gate.
    gate_test : {"superiority", "non_inferiority", "not_worse"}
        Gate test for data iterations (:mod:`driftline.training.gate`).
    gate_margin, gate_alpha : float
        Margin (accuracy points; regression: fraction of the champion's MAE) and level.
    gate_min_rows : int
        Smallest pooled hold-out on which the gate tests (below it, each test keeps its
        burden of proof: not-worse promotes, the others do not).
    seed : int
        Seed of the bootstrap in the concept test, the selection and the gate.
    fine_tune_rows : int or None
        Labelled rows a fine-tune replays at least (older batches are added, up to
        ``window``; ``None``: ``fine_tune_window`` batches).
    fine_tune_half_life : float or None
        Recency half-life (batches) of a fine-tune over several batches (``None``: equal).
    retrain_alternative : bool
        Train the fine-tune beside a full retrain and keep the better (step 3).
    retrain_test : {"superiority", "mean"}
        When the full retrain wins: significantly better, or any higher mean score.
    """

    rules: Policy | None = None
    concept: str = "performance_drop"
    concept_floor: float = 0.02
    alpha: float = 0.05
    window: int = 8
    concept_window: str = "auto"
    fine_tune_window: int = 1
    fine_tune_epochs: int = 10
    holdout_fraction: float = 0.1
    gate_batches: int = 6
    gate_test: str = "not_worse"
    gate_margin: float = 0.0
    gate_alpha: float = 0.05
    gate_min_rows: int = 30
    seed: int = 0
    fine_tune_rows: int | None = 600
    fine_tune_half_life: float | None = 0.5
    retrain_alternative: bool = True
    retrain_test: str = "superiority"

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid parameter."""
        (self.rules or labelled_policy()).validate()
        if self.fine_tune_rows is not None and (
            not isinstance(self.fine_tune_rows, int) or self.fine_tune_rows < 1
        ):
            raise ConfigError(
                fail(f"fine_tune_rows={self.fine_tune_rows!r}", "use None or a positive integer")
            )
        for name, allowed in (
            ("retrain_test", ("mean", "superiority")),
            ("concept", CONCEPT_TESTS),
            ("concept_window", CONCEPT_WINDOWS),
            ("gate_test", GATE_TESTS),
        ):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    fail(f"{name}={getattr(self, name)!r}", f"use one of {list(allowed)}")
                )
        for name in ("window", "fine_tune_window", "fine_tune_epochs", "gate_batches"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(fail(f"{name}={value!r}", "use an integer >= 1"))
        if not isinstance(self.gate_min_rows, int) or self.gate_min_rows < 1:
            raise ConfigError(fail(f"gate_min_rows={self.gate_min_rows!r}", "use an integer >= 1"))
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ConfigError(
                fail(f"holdout_fraction={self.holdout_fraction!r}", "use a fraction in (0, 1)")
            )
        for name in ("alpha", "gate_alpha"):
            if not 0 < getattr(self, name) < 0.5:
                raise ConfigError(
                    fail(f"{name}={getattr(self, name)!r}", "use a level in (0, 0.5), e.g. 0.05")
                )
        for name in ("concept_floor", "gate_margin"):
            if not getattr(self, name) >= 0:
                raise ConfigError(fail(f"{name}={getattr(self, name)!r}", "use 0 or more"))

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "rules"}
        return {"rules": (self.rules or labelled_policy()).to_dict(), **out}

    # -- 1. concept check -------------------------------------------------------------

    def concept_check(
        self, reference: Any, current: Outcomes, task: str, column: str | None = None
    ) -> Any:
        """:class:`~driftline.drift.DriftResult` of the champion's outcomes (step 1).

        ``reference`` is a sequence of :data:`Outcomes` (may be empty: then the batch is
        compared with itself, which flags nothing); ``column`` names the target in the
        result.
        """
        import numpy as np

        from driftline.drift import ADWIN, DDM, PerformanceDrop

        reference = list(reference) or [current]
        y_ref = np.concatenate([np.asarray(p[0]) for p in reference])
        p_ref = np.concatenate([np.asarray(p[1]) for p in reference])
        y, y_pred = (np.asarray(v) for v in current)
        classification = task == "classification"
        if self.concept == "performance_drop":
            if classification:
                test = PerformanceDrop(
                    alpha=self.alpha, threshold=self.concept_floor, seed=self.seed
                )
                return test.test(
                    (y_ref == p_ref).astype(float), (y == y_pred).astype(float), column=column
                )
            scale = float(np.mean(np.abs(y_ref.astype(float) - p_ref.astype(float)))) or 1.0
            test = PerformanceDrop(
                alpha=self.alpha,
                threshold=max(self.concept_floor * scale, 1e-12),
                seed=self.seed,
                metric=neg_mae,
            )
            return test.test((y_ref.astype(float), p_ref), (y.astype(float), y_pred), column=column)
        if self.concept == "ddm" and not classification:
            raise ConfigError(fail("DDM needs a 0/1 error stream", "use performance_drop or adwin"))
        err_ref, err_cur = _errors(y_ref, p_ref, classification), _errors(y, y_pred, classification)
        detector = ADWIN() if self.concept == "adwin" else DDM()
        result = detector.test(err_ref, err_cur, column=column)
        if result.is_drift and float(err_cur.mean()) <= float(err_ref.mean()):
            # the error fell: a change, but not one that calls for a new model
            from dataclasses import replace as _replace

            return _replace(result, is_drift=False)
        return result

    # -- 2. rules ---------------------------------------------------------------------

    def decide(self, report: Any, *, override: str = "auto") -> Decision:
        """The action for the labelled batch's drift report (step 2)."""
        return (self.rules or labelled_policy()).decide(report, override=override, has_labels=True)

    # -- 3. training data -------------------------------------------------------------

    def episode(self, alarms: Any) -> Episode:
        """The drift episode at the newest batch, from ``(batch_id, concept alarm)`` pairs.

        ``alarms`` covers the newest batches, oldest first, ending with the new one. The
        episode is the trailing run of alarms; its first batch is the change point of a
        retrain's window, and the newest run start among the last ``gate_batches``
        batches is where the gate's pool begins.

        >>> p = LabelledPolicy(gate_batches=3)
        >>> e = p.episode([("a", False), ("b", True), ("c", True)])
        >>> e.start, e.length, e.change_point
        ('b', 2, 'b')
        >>> p.episode([("a", True), ("b", False), ("c", False), ("d", False)]).change_point
        >>> p.episode([("a", True), ("b", False), ("c", False)]).change_point
        'a'
        """
        pairs = [(str(b), bool(a)) for b, a in alarms]
        length = 0
        for _, alarmed in reversed(pairs):
            if not alarmed:
                break
            length += 1
        start = pairs[-length][0] if length else None
        change_point = None
        first = max(0, len(pairs) - self.gate_batches)
        for i in range(len(pairs) - 1, first - 1, -1):
            if pairs[i][1] and (i == 0 or not pairs[i - 1][1]):
                change_point = pairs[i][0]
                break
        return Episode(start, length, change_point)

    def retrain_window(self, episode: Episode, uninformed: bool) -> int:
        """Batches a full retrain learns from (step 3)."""
        if episode.start is None or self.concept_window == "window":
            return self.window
        if self.concept_window == "auto" and not uninformed:
            return self.window
        return max(1, min(episode.length, self.window))

    def fine_tune_batches(self, train: Any) -> int:
        """Newest batches a fine-tune learns from, given the training batches (oldest first).

        ``fine_tune_window`` batches, and with ``fine_tune_rows`` more of the newest ones
        until they hold that many labelled rows (at most ``window``): a sparsely labelled
        stream replays enough rows for an update to move the model.

        >>> from types import SimpleNamespace as B
        >>> LabelledPolicy(fine_tune_rows=250).fine_tune_batches([B(n_rows=100)] * 5)
        3
        """
        batches = list(train)
        n = min(self.fine_tune_window, max(1, len(batches)))
        if self.fine_tune_rows is None:
            return n
        rows = sum(b.n_rows for b in batches[-n:])
        while rows < self.fine_tune_rows and n < min(self.window, len(batches)):
            n += 1
            rows += batches[-n].n_rows
        return n

    def split(
        self, history: Any, target: str, time_column: str | None = None, since: str | None = None
    ) -> Any:
        """:class:`~driftline.training.evidence.GateSplit` of the labelled history (step 3)."""
        from driftline.training.evidence import gate_split

        return gate_split(
            history,
            target=target,
            fraction=self.holdout_fraction,
            batches=self.gate_batches,
            time_column=time_column,
            since=since,
        )

    # -- 4. gate ----------------------------------------------------------------------

    def gate(self, task: str, *, iteration: str = "data") -> Any:
        """The promotion gate (step 4): ``gate_test`` for data iterations, else superiority."""
        from driftline.training.gate import BootstrapGate

        classification = task == "classification"
        return BootstrapGate(
            metric="accuracy" if classification else "mae",
            margin=self.gate_margin,
            alpha=self.gate_alpha,
            min_rows=self.gate_min_rows,
            seed=self.seed,
            test=self.gate_test if iteration == "data" else "superiority",
            relative_margin=not classification,
        )


def neg_mae(y_true: Any, y_pred: Any) -> float:
    """Minus the mean absolute error (higher is better, as PerformanceDrop expects)."""
    import numpy as np

    return -float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))))


def _errors(y: Any, y_pred: Any, classification: bool) -> Any:
    import numpy as np

    if classification:
        return (np.asarray(y) != np.asarray(y_pred)).astype(float)
    return np.abs(np.asarray(y, float) - np.asarray(y_pred, float))
