"""Model specification: which columns, which task, which estimator; and its Pipeline.

A :class:`ModelSpec` is a frozen, JSON round-trippable description of a model. It is
logged with every training run (``spec.json``) so a later fine-tune or retrain rebuilds
the same model. :func:`build_pipeline` turns it into an unfitted scikit-learn
:class:`~sklearn.pipeline.Pipeline` with two steps:

``preprocess``
    a :class:`~sklearn.compose.ColumnTransformer`: numeric columns are median-imputed
    and standardised (``hgb``: passed through, the trees handle missing values);
    categorical columns are one-hot encoded with ``handle_unknown="ignore"`` (``hgb``:
    ordinal-encoded, unknown and missing values become NaN and are native categories).
``model``
    the estimator (regression targets of ``mlp``/``sgd`` are standardised through a
    :class:`~sklearn.compose.TransformedTargetRegressor`).

Estimators (``ModelSpec.estimator``):

=======  ========================================  ==========  ===============================
name     classes                                   fine-tune   notes
=======  ========================================  ==========  ===============================
``mlp``  ``MLPClassifier`` / ``MLPRegressor``      yes         default; Adam state is kept, so
                                                               ``partial_fit`` continues the
                                                               optimisation (Kingma & Ba, 2015)
``sgd``  ``SGDClassifier`` (log loss) /            yes         linear; fastest
         ``SGDRegressor``
``hgb``  ``HistGradientBoosting*``                  no          full retrain only (see below)
=======  ========================================  ==========  ===============================

Why not ``HistGradientBoosting`` with ``warm_start`` for the fine-tune: in scikit-learn
1.9 a warm-started ``fit`` on *new* data refits the feature bins on that data
(``_bin_mapper`` is rebuilt in ``fit``) while the existing trees keep split thresholds
expressed as bin indices of the *old* bins; the raw predictions the new trees are fitted
against are therefore computed with mismatched bins. On Elec2 (four-week batches,
test-then-train, ``benchmarks/training_benchmark.py``) warm-starting HGB with 20 more trees
per batch scored 0.637, worse than never updating it (0.713); fine-tuning the MLP with
``partial_fit`` scored 0.781, above full retraining of either family (0.750-0.757).

>>> spec = ModelSpec(task="classification", target="y", numeric=("x",), categorical=("c",))
>>> pipe = build_pipeline(spec)
>>> [name for name, _ in pipe.steps]
['preprocess', 'model']
>>> ModelSpec.from_dict(spec.to_dict()) == spec
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from driftline.errors import ConfigError, fail

Task = Literal["classification", "regression"]
TASKS: tuple[str, ...] = get_args(Task)
ESTIMATORS: tuple[str, ...] = ("mlp", "sgd", "hgb")
FINE_TUNABLE: tuple[str, ...] = ("mlp", "sgd")

#: Default estimator parameters per (estimator, task); ``ModelSpec.params`` overrides them.
DEFAULT_PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("mlp", "classification"): {
        "hidden_layer_sizes": [64, 32],
        "alpha": 1e-4,
        "learning_rate_init": 1e-3,
        "max_iter": 200,
        "early_stopping": True,
        "n_iter_no_change": 10,
    },
    ("mlp", "regression"): {
        "hidden_layer_sizes": [64, 32],
        "alpha": 1e-4,
        "learning_rate_init": 1e-3,
        "max_iter": 200,
        "early_stopping": True,
        "n_iter_no_change": 10,
    },
    ("sgd", "classification"): {"loss": "log_loss", "alpha": 1e-4, "max_iter": 1000},
    ("sgd", "regression"): {"alpha": 1e-4, "max_iter": 1000},
    ("hgb", "classification"): {"max_iter": 200, "learning_rate": 0.1},
    ("hgb", "regression"): {"max_iter": 200, "learning_rate": 0.1},
}


@dataclass(frozen=True)
class ModelSpec:
    """What to learn and with which estimator.

    Parameters
    ----------
    task : {"classification", "regression"}
        Learning task.
    target : str
        Target column.
    numeric, categorical : tuple of str
        Feature columns by kind (at least one feature in total).
    estimator : {"mlp", "sgd", "hgb"}
        Estimator family (see the module docstring).
    params : mapping
        Estimator parameters overriding :data:`DEFAULT_PARAMS` (JSON-able values).
    seed : int
        ``random_state`` of the estimator.
    timestamp : str or None
        Optional timestamp column (used by time windows and the reference profile).
    """

    task: Task
    target: str
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    estimator: str = "mlp"
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    timestamp: str | None = None

    def __post_init__(self) -> None:
        # normalise sequences so equality and JSON round trips are stable
        object.__setattr__(self, "numeric", tuple(self.numeric))
        object.__setattr__(self, "categorical", tuple(self.categorical))
        object.__setattr__(self, "params", dict(self.params))

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    @property
    def features(self) -> tuple[str, ...]:
        """Numeric then categorical feature columns (the model's input order)."""
        return self.numeric + self.categorical

    @property
    def supports_fine_tune(self) -> bool:
        """Whether the estimator can continue training on new data (``partial_fit``)."""
        return self.estimator in FINE_TUNABLE

    @property
    def estimator_params(self) -> dict[str, Any]:
        """Defaults merged with :attr:`params` (what the estimator is built with)."""
        return {**DEFAULT_PARAMS[(self.estimator, self.task)], **self.params}

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid field."""
        if self.task not in TASKS:
            raise ConfigError(fail(f"task={self.task!r}", f"use one of {list(TASKS)}"))
        if self.estimator not in ESTIMATORS:
            raise ConfigError(
                fail(f"estimator={self.estimator!r}", f"use one of {list(ESTIMATORS)}")
            )
        if not self.target:
            raise ConfigError(fail("target is empty", "name the target column"))
        if not self.features:
            raise ConfigError(
                fail("the spec has no feature columns", "list numeric or categorical")
            )
        names = [*self.features, self.target]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(
                fail(f"column(s) {dupes} listed twice", "give each column one role in the spec")
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ConfigError(fail(f"seed={self.seed!r}", "use an integer"))
        try:
            json.dumps(self.params)
        except TypeError as exc:
            raise ConfigError(
                fail(f"params are not JSON-able ({exc})", "use plain values")
            ) from None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_contract(
        cls,
        contract: Any,
        *,
        estimator: str = "mlp",
        params: Mapping[str, Any] | None = None,
        seed: int = 0,
        task: Task | None = None,
    ) -> ModelSpec:
        """Default spec from a data contract (``driftline.validation.DataContract``).

        Feature columns (role ``feature``) of kind numeric/integer are numeric, those of
        kind categorical/boolean categorical; datetime features are left out. The task is
        classification when the target's kind is categorical or boolean, else
        regression (override with ``task``).

        >>> from types import SimpleNamespace as C
        >>> contract = C(target="y", timestamp=None, columns=(
        ...     C(name="x", kind="numeric", role="feature"),
        ...     C(name="c", kind="categorical", role="feature"),
        ...     C(name="y", kind="categorical", role="target")))
        >>> s = ModelSpec.from_contract(contract)
        >>> s.task, s.numeric, s.categorical
        ('classification', ('x',), ('c',))
        """
        columns = list(getattr(contract, "columns", ()))
        target = getattr(contract, "target", None)
        if not target or not columns:
            raise ConfigError(
                fail("the contract has no target or no columns", "pass a DataContract")
            )
        kinds = {c.name: c.kind for c in columns}
        numeric = tuple(
            c.name for c in columns if c.role == "feature" and c.kind in ("numeric", "integer")
        )
        categorical = tuple(
            c.name for c in columns if c.role == "feature" and c.kind in ("categorical", "boolean")
        )
        if task is None:
            task = (
                "classification"
                if kinds.get(target) in ("categorical", "boolean")
                else "regression"
            )
        spec = cls(
            task=task,
            target=target,
            numeric=numeric,
            categorical=categorical,
            estimator=estimator,
            params=dict(params or {}),
            seed=seed,
            timestamp=getattr(contract, "timestamp", None),
        )
        spec.validate()
        return spec

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "task": self.task,
            "target": self.target,
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "estimator": self.estimator,
            "params": dict(self.params),
            "seed": self.seed,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`."""
        try:
            spec = cls(
                task=d["task"],
                target=d["target"],
                numeric=tuple(d.get("numeric", ())),
                categorical=tuple(d.get("categorical", ())),
                estimator=d.get("estimator", "mlp"),
                params=dict(d.get("params") or {}),
                seed=int(d.get("seed", 0)),
                timestamp=d.get("timestamp"),
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(
                fail(f"malformed model spec ({exc!r})", "pass ModelSpec.to_dict()")
            ) from None
        spec.validate()
        return spec


def build_pipeline(spec: ModelSpec) -> Any:
    """An unfitted scikit-learn Pipeline ``preprocess -> model`` for ``spec``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    spec.validate()
    params = spec.estimator_params
    transformers: list[tuple[str, Any, list[str]]] = []
    if spec.estimator == "hgb":
        if spec.numeric:
            transformers.append(("numeric", "passthrough", list(spec.numeric)))
        if spec.categorical:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                encoded_missing_value=np.nan,
            )
            transformers.append(("categorical", encoder, list(spec.categorical)))
    else:
        if spec.numeric:
            numeric = Pipeline(
                [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
            )
            transformers.append(("numeric", numeric, list(spec.numeric)))
        if spec.categorical:
            encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            transformers.append(("categorical", encoder, list(spec.categorical)))
    preprocess = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    return Pipeline([("preprocess", preprocess), ("model", _estimator(spec, params))])


def _estimator(spec: ModelSpec, params: dict[str, Any]) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import SGDClassifier, SGDRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler

    params = dict(params)
    if "hidden_layer_sizes" in params:
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    classes = {
        ("mlp", "classification"): MLPClassifier,
        ("mlp", "regression"): MLPRegressor,
        ("sgd", "classification"): SGDClassifier,
        ("sgd", "regression"): SGDRegressor,
        ("hgb", "classification"): HistGradientBoostingClassifier,
        ("hgb", "regression"): HistGradientBoostingRegressor,
    }
    cls = classes[(spec.estimator, spec.task)]
    if spec.estimator == "hgb" and spec.categorical:
        n_num = len(spec.numeric)
        mask = [False] * n_num + [True] * len(spec.categorical)
        params.setdefault("categorical_features", mask)
    try:
        est = cls(random_state=spec.seed, **params)
    except TypeError as exc:
        raise ConfigError(
            fail(f"bad parameter for {cls.__name__} ({exc})", "fix ModelSpec.params")
        ) from None
    if spec.task == "regression" and spec.estimator in ("mlp", "sgd"):
        return TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
    return est
