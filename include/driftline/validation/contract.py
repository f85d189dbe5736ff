"""The data contract: what a batch must look like before Driftline learns from it.

A :class:`DataContract` lists the expected columns (:class:`ColumnSpec`) with their kind,
role, null-rate limit, value range or category set, plus row-count bounds. It is inferred
once from a reference frame (:meth:`DataContract.infer`), saved as a readable YAML (or
JSON) file the user may edit, and compiled into a Great Expectations suite by
:mod:`driftline.validation.gx_suite`.

Inference rules (chosen so that ordinary new data from the reference distribution
passes; every knob is a parameter of :meth:`DataContract.infer`):

* numeric / integer ranges: the observed ``[min, max]`` widened on each side by
  ``margin`` (default 10%) of the observed range; integer bounds are rounded outwards.
  ``id`` and ``timestamp`` columns get no range (they grow over time). Set
  ``range_mostly`` below 1 to tolerate a few outliers in heavy-tailed columns.
  Known domains passed as ``bounds`` (e.g. ``(0, 1)`` for normalised features) replace
  the inferred range: use them for non-stationary streams such as Elec2, where a range
  seen in a few reference weeks rejects most later weeks.
* null-rate limit: ``0`` when the reference has no nulls, else the observed rate ``r``
  plus ``max(r, null_margin)`` (default ``null_margin=0.05``), capped at ``1``.
* categories: the values seen, when there are at most ``max_categories``; unseen values
  fail unless they are at most a ``1 - categories_mostly`` fraction of the batch.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, fail

Kind = Literal["numeric", "integer", "categorical", "boolean", "datetime"]
Role = Literal["feature", "target", "timestamp", "id"]

KINDS: tuple[str, ...] = get_args(Kind)
ROLES: tuple[str, ...] = get_args(Role)
SCHEMA_VERSION = 1

_HEADER = """\
# Driftline data contract (schema_version {schema}).
# Every batch is validated against this file; edit it when the data legitimately changes
# and bump 'version'. Per column:
#   kind: numeric | integer | categorical | boolean | datetime
#   role: feature | target | timestamp | id
#   max_null_rate: largest allowed fraction of nulls (0 = no nulls, 1 = anything)
#   min / max: allowed value range (numeric, integer; null = unbounded)
#   range_mostly: fraction of non-null values that must lie in [min, max]
#   categories: allowed values (categorical; null = any value)
#   categories_mostly: fraction of non-null values that must be known categories
"""


@dataclass(frozen=True)
class ColumnSpec:
    """What one column of a batch must look like.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"numeric", "integer", "categorical", "boolean", "datetime"}
        Value type after parsing.
    role : {"feature", "target", "timestamp", "id"}
        What the column is used for.
    max_null_rate : float
        Largest allowed fraction of nulls, in ``[0, 1]``.
    min, max : float or None
        Allowed range (numeric and integer kinds); ``None`` is unbounded.
    range_mostly : float
        Fraction of non-null values that must lie in ``[min, max]``.
    categories : tuple or None
        Allowed values (categorical kind; all ``str`` or all ``int``); ``None`` allows any.
    categories_mostly : float
        Fraction of non-null values that must be in ``categories``.
    """

    name: str
    kind: Kind
    role: Role = "feature"
    max_null_rate: float = 0.0
    min: float | None = None
    max: float | None = None
    categories: tuple[str | int, ...] | None = None
    categories_mostly: float = 1.0
    range_mostly: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with only the fields that apply to this kind."""
        d: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "max_null_rate": self.max_null_rate,
        }
        if self.kind in ("numeric", "integer"):
            d["min"], d["max"] = self.min, self.max
            d["range_mostly"] = self.range_mostly
        if self.kind == "categorical":
            d["categories"] = None if self.categories is None else list(self.categories)
            d["categories_mostly"] = self.categories_mostly
        return d

    @classmethod
    def from_dict(cls, data: Any, where: str = "column") -> ColumnSpec:
        """Parse one column entry; raise :class:`ConfigError` naming ``where`` and the field."""
        if not isinstance(data, Mapping):
            raise ConfigError(
                fail(f"{where} is {data!r}", "write a mapping with 'name' and 'kind'")
            )
        _reject_unknown(data, {f.name for f in fields(cls)}, where)
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(fail(f"{where}.name is {name!r}", "write the column name as text"))
        where = f"{where} ({name!r})"
        kind = _choice(data.get("kind"), KINDS, f"{where}.kind")
        categories = data.get("categories")
        if categories is not None:
            if (
                not isinstance(categories, list | tuple)
                or not all(isinstance(c, str) for c in categories)
                and not all(isinstance(c, int) and not isinstance(c, bool) for c in categories)
            ):
                raise ConfigError(
                    fail(
                        f"{where}.categories is {categories!r}",
                        "write a list of text values (or a list of integers), or null for any",
                    )
                )
            categories = tuple(categories)
        return cls(
            name=name,
            kind=kind,
            role=_choice(data.get("role", "feature"), ROLES, f"{where}.role"),
            max_null_rate=_fraction(data.get("max_null_rate", 0.0), f"{where}.max_null_rate"),
            min=_number(data.get("min"), f"{where}.min"),
            max=_number(data.get("max"), f"{where}.max"),
            categories=categories,
            categories_mostly=_fraction(
                data.get("categories_mostly", 1.0), f"{where}.categories_mostly"
            ),
            range_mostly=_fraction(data.get("range_mostly", 1.0), f"{where}.range_mostly"),
        )


@dataclass(frozen=True)
class DataContract:
    """Schema and value rules every batch must satisfy.

    Build with :meth:`infer` from a reference frame, or load with :meth:`from_file`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"price": rng.uniform(0, 1, 500),
    ...                     "day": rng.choice(["Mon", "Tue"], 500),
    ...                     "label": rng.integers(0, 2, 500)})
    >>> c = DataContract.infer(ref, target="label", name="demo")
    >>> [(s.name, s.kind, s.role) for s in c.columns]
    [('price', 'numeric', 'feature'), ('day', 'categorical', 'feature'), ('label', 'categorical', 'target')]
    >>> c.column("day").categories
    ('Mon', 'Tue')
    >>> round(c.column("price").min, 2), round(c.column("price").max, 2)
    (-0.1, 1.1)
    """

    schema_version: ClassVar[int] = SCHEMA_VERSION

    name: str
    columns: tuple[ColumnSpec, ...]
    target: str
    timestamp: str | None = None
    min_rows: int = 1
    max_rows: int | None = None
    allow_extra_columns: bool = False
    version: int = 1
    path: str | None = field(default=None, compare=False, repr=False)

    # ------------------------------------------------------------------ inference
    @classmethod
    def infer(
        cls,
        df: pd.DataFrame,
        target: str,
        timestamp: str | None = None,
        *,
        name: str = "contract",
        id_columns: Sequence[str] = (),
        bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
        margin: float = 0.1,
        null_margin: float = 0.05,
        max_categories: int = 50,
        categories_mostly: float = 1.0,
        range_mostly: float = 1.0,
        max_target_classes: int = 20,
        min_rows: int = 1,
        max_rows: int | None = None,
        allow_extra_columns: bool = False,
    ) -> DataContract:
        """Infer a contract from a reference frame (rules in the module docstring).

        Parameters
        ----------
        df : DataFrame
            Reference data, e.g. the first training window.
        target, timestamp : str
            Target column and optional timestamp column.
        id_columns : sequence of str
            Identifier columns (no range or category check).
        bounds : mapping of column to (min, max), optional
            Known value domains (e.g. ``(0, 1)`` for normalised features); they replace
            the inferred range of those columns. Prefer them for non-stationary data,
            where a range seen in a short reference window rejects later batches.
        margin : float
            Fraction of the observed range added below the minimum and above the maximum.
        null_margin : float
            Minimum slack added to a non-zero observed null rate.
        max_categories : int
            Text columns with more distinct values get no category set.
        categories_mostly, range_mostly : float
            Fraction of non-null values that must be known categories / lie in the range.
        max_target_classes : int
            An integer target with at most this many distinct values is categorical.
        min_rows, max_rows, allow_extra_columns
            Copied to the contract.
        """
        if not isinstance(df, pd.DataFrame) or df.empty:
            raise ConfigError(
                fail("cannot infer a contract from an empty frame", "pass reference rows")
            )
        for label, col in (
            ("target", target),
            ("timestamp", timestamp),
            *(("id column", c) for c in id_columns),
        ):
            if col is not None and col not in df.columns:
                raise ConfigError(
                    fail(
                        f"{label} {col!r} is not a column of the frame",
                        f"use one of {list(df.columns)}",
                    )
                )
        if margin < 0:
            raise ConfigError(fail(f"margin={margin} is negative", "use 0 or more, e.g. 0.1"))
        for label, value in (
            ("null_margin", null_margin),
            ("categories_mostly", categories_mostly),
            ("range_mostly", range_mostly),
        ):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(fail(f"{label}={value} is not a fraction", "use 0..1"))
        bounds = dict(bounds or {})
        unknown = sorted(set(bounds) - {str(c) for c in df.columns})
        if unknown:
            raise ConfigError(fail(f"bounds name unknown columns {unknown}", "use frame columns"))
        roles: dict[str, Role] = {c: "id" for c in id_columns}
        if timestamp is not None:
            roles[timestamp] = "timestamp"
        roles[target] = "target"
        rules = _Rules(
            margin, null_margin, max_categories, categories_mostly, range_mostly, max_target_classes
        )
        contract = cls(
            name=name,
            columns=tuple(
                _with_bounds(
                    _infer_column(str(col), df[col], roles.get(col, "feature"), rules), bounds
                )
                for col in df.columns
            ),
            target=target,
            timestamp=timestamp,
            min_rows=min_rows,
            max_rows=max_rows,
            allow_extra_columns=allow_extra_columns,
        )
        contract.validate()
        return contract

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Check the contract as a whole; raise :class:`ConfigError` naming the bad field."""
        names = [c.name for c in self.columns]
        if not self.name:
            raise ConfigError(fail("name is empty", "give the contract a name"))
        if not names:
            raise ConfigError(fail("columns is empty", "list at least the target column"))
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(
                fail(f"columns lists {dupes} more than once", "keep one entry per column")
            )
        if self.target not in names:
            raise ConfigError(
                fail(f"target {self.target!r} is not in columns", f"use one of {names}")
            )
        if self.timestamp is not None and self.timestamp not in names:
            raise ConfigError(
                fail(
                    f"timestamp {self.timestamp!r} is not in columns", f"use one of {names} or null"
                )
            )
        if self.min_rows < 0 or (self.max_rows is not None and self.max_rows < self.min_rows):
            raise ConfigError(
                fail(
                    f"min_rows={self.min_rows}, max_rows={self.max_rows}",
                    "use 0 <= min_rows <= max_rows (or max_rows: null)",
                )
            )
        if self.version < 1:
            raise ConfigError(fail(f"version={self.version}", "use a positive integer"))
        for i, c in enumerate(self.columns):
            where = f"columns[{i}] ({c.name!r})"
            if c.kind not in KINDS:
                raise ConfigError(fail(f"{where}.kind is {c.kind!r}", f"use one of {list(KINDS)}"))
            if c.role not in ROLES:
                raise ConfigError(fail(f"{where}.role is {c.role!r}", f"use one of {list(ROLES)}"))
            if c.min is not None and c.max is not None and c.min > c.max:
                raise ConfigError(
                    fail(f"{where}.min={c.min} is above max={c.max}", "swap or fix them")
                )
            if (c.min is not None or c.max is not None) and c.kind not in ("numeric", "integer"):
                raise ConfigError(
                    fail(
                        f"{where} has min/max but kind {c.kind!r}", "remove them or make it numeric"
                    )
                )
            if c.categories is not None and c.kind != "categorical":
                raise ConfigError(
                    fail(
                        f"{where} has categories but kind {c.kind!r}",
                        "remove them or make it categorical",
                    )
                )
            if c.categories is not None and not c.categories:
                raise ConfigError(
                    fail(f"{where}.categories is empty", "list the allowed values or write null")
                )
            if c.role == "target" and c.name != self.target:
                raise ConfigError(
                    fail(
                        f"{where} has role 'target' but target is {self.target!r}",
                        "make them agree",
                    )
                )

    # ------------------------------------------------------------------ accessors
    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise ConfigError(
            fail(f"column {name!r} is not in contract {self.name!r}", "check the name")
        )

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the contract's columns, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Names of the columns with role ``feature``."""
        return tuple(c.name for c in self.columns if c.role == "feature")

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON form (the saved path is not part of it)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-ready dict, including ``schema_version``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "version": self.version,
            "target": self.target,
            "timestamp": self.timestamp,
            "min_rows": self.min_rows,
            "max_rows": self.max_rows,
            "allow_extra_columns": self.allow_extra_columns,
            "columns": [c.to_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Any) -> DataContract:
        """Parse and check a dict as written by :meth:`to_dict` (possibly hand-edited)."""
        if not isinstance(data, Mapping):
            raise ConfigError(
                fail(
                    f"the contract is {type(data).__name__}, not a mapping",
                    "start from a file written by DataContract.to_file",
                )
            )
        allowed = {f.name for f in fields(cls) if f.name != "path"} | {"schema_version"}
        _reject_unknown(data, allowed, "contract")
        schema = data.get("schema_version")
        if schema != SCHEMA_VERSION:
            raise ConfigError(
                fail(
                    f"schema_version is {schema!r}; this Driftline reads {SCHEMA_VERSION}",
                    f"set schema_version: {SCHEMA_VERSION} or re-infer the contract",
                )
            )
        for key in ("name", "target", "columns"):
            if key not in data:
                raise ConfigError(fail(f"contract has no {key!r}", f"add the '{key}' field"))
        columns = data["columns"]
        if not isinstance(columns, list):
            raise ConfigError(
                fail(f"columns is {type(columns).__name__}", "write a list of column entries")
            )
        specs = tuple(ColumnSpec.from_dict(c, f"columns[{i}]") for i, c in enumerate(columns))
        timestamp = data.get("timestamp")
        contract = cls(
            name=_text(data["name"], "name"),
            columns=specs,
            target=_text(data["target"], "target"),
            timestamp=None if timestamp is None else _text(timestamp, "timestamp"),
            min_rows=_integer(data.get("min_rows", 1), "min_rows"),
            max_rows=None
            if data.get("max_rows") is None
            else _integer(data["max_rows"], "max_rows"),
            allow_extra_columns=_boolean(
                data.get("allow_extra_columns", False), "allow_extra_columns"
            ),
            version=_integer(data.get("version", 1), "version"),
        )
        contract.validate()
        return contract

    def to_file(self, path: str | Path) -> Path:
        """Write the contract as YAML (``.yaml``/``.yml``) or JSON (``.json``); return the path."""
        path = Path(path)
        fmt = _format_of(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "yaml":
            yaml = _yaml()
            body = yaml.safe_dump(
                self.to_dict(), sort_keys=False, default_flow_style=None, width=100
            )
            path.write_text(_HEADER.format(schema=SCHEMA_VERSION) + body, encoding="utf-8")
        else:
            path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_file(cls, path: str | Path) -> DataContract:
        """Load a contract written by :meth:`to_file`; errors name the file and the field."""
        path = Path(path)
        fmt = _format_of(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                fail(f"cannot read contract {path} ({exc.strerror})", "check the path")
            ) from exc
        try:
            data = _yaml().safe_load(text) if fmt == "yaml" else json.loads(text)
        except ConfigError:
            raise
        except Exception as exc:  # yaml.YAMLError / json.JSONDecodeError
            raise ConfigError(
                fail(f"contract {path} is not valid {fmt.upper()} ({exc})", "fix the syntax")
            ) from exc
        try:
            contract = cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"contract {path}: {exc}") from None
        return replace(contract, path=str(path))


# ---------------------------------------------------------------------- inference helpers
@dataclass(frozen=True)
class _Rules:
    margin: float
    null_margin: float
    max_categories: int
    categories_mostly: float
    range_mostly: float
    max_target_classes: int


def _infer_column(name: str, s: pd.Series, role: Role, rules: _Rules) -> ColumnSpec:
    n = len(s)
    r = float(s.isna().sum()) / n if n else 0.0
    max_null = 0.0 if r == 0 else min(1.0, r + max(r, rules.null_margin))
    dtype = s.dtype
    kind: Kind
    if pd.api.types.is_bool_dtype(dtype):
        kind = "boolean"
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        kind = "datetime"
    elif pd.api.types.is_integer_dtype(dtype):
        kind = "integer"
    elif pd.api.types.is_numeric_dtype(dtype):
        kind = "numeric"
    elif role == "timestamp":
        kind = "datetime"
    else:
        kind = "categorical"
    values = s.dropna()
    spec = ColumnSpec(name=name, kind=kind, role=role, max_null_rate=round(max_null, 6))
    if kind == "integer" and role == "target" and values.nunique() <= rules.max_target_classes:
        cats = tuple(sorted(int(v) for v in values.unique()))
        return replace(
            spec, kind="categorical", categories=cats, categories_mostly=rules.categories_mostly
        )
    if role in ("id", "timestamp"):
        return spec
    if kind in ("numeric", "integer"):
        finite = values[np.isfinite(values.to_numpy(dtype=float))]
        if finite.empty:
            return spec
        lo, hi = float(finite.min()), float(finite.max())
        pad = rules.margin * (hi - lo if hi > lo else max(abs(lo), 1.0))
        lo, hi = lo - pad, hi + pad
        if kind == "integer":
            lo, hi = float(math.floor(lo)), float(math.ceil(hi))
        return replace(spec, min=_tidy(lo), max=_tidy(hi), range_mostly=rules.range_mostly)
    if kind == "categorical":
        uniques = values.astype(str).unique()
        if len(uniques) <= rules.max_categories:
            return replace(
                spec, categories=tuple(sorted(uniques)), categories_mostly=rules.categories_mostly
            )
    return spec


def _with_bounds(
    spec: ColumnSpec, bounds: Mapping[str, tuple[float | None, float | None]]
) -> ColumnSpec:
    if spec.name not in bounds:
        return spec
    lo, hi = bounds[spec.name]
    where = f"bounds[{spec.name!r}]"
    if spec.kind not in ("numeric", "integer"):
        raise ConfigError(
            fail(f"{where} given for a {spec.kind} column", "bound only numeric columns")
        )
    return replace(spec, min=_number(lo, f"{where} min"), max=_number(hi, f"{where} max"))


def _tidy(x: float) -> float:
    """Round to 12 significant digits so the saved file stays readable."""
    return float(f"{x:.12g}")


# ---------------------------------------------------------------------- parsing helpers
def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    allowed = set(allowed)
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ConfigError(
            fail(f"{where} has unknown field(s) {unknown}", f"use only {sorted(allowed)}")
        )


def _choice(value: Any, options: tuple[str, ...], where: str) -> Any:
    if value not in options:
        raise ConfigError(fail(f"{where} is {value!r}", f"use one of {list(options)}"))
    return value


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigError(fail(f"{where} is {value!r}, not a number", "write a number or null"))
    return float(value)


def _fraction(value: Any, where: str) -> float:
    number = _number(value, where)
    if number is None or not 0.0 <= number <= 1.0:
        raise ConfigError(fail(f"{where} is {value!r}", "write a fraction between 0 and 1"))
    return number


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(fail(f"{where} is {value!r}, not an integer", "write a whole number"))
    return value


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(fail(f"{where} is {value!r}", "write true or false"))
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(fail(f"{where} is {value!r}", "write a non-empty text value"))
    return value


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise ConfigError(
        fail(f"contract file {path} has suffix {suffix!r}", "use .yaml, .yml or .json")
    )


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with the lock
        raise ConfigError(
            fail("PyYAML is not installed", "install pyyaml or save the contract as .json")
        ) from None
    return yaml
