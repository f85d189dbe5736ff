"""The typed outcome of validating one batch: :class:`ValidationReport` of :class:`Failure` s.

Every value is JSON-safe after :meth:`ValidationReport.to_dict` (numpy scalars become
Python numbers, non-finite floats the strings ``"inf"``, ``"-inf"``, ``"nan"``, dates ISO
text), so reports can be stored next to the batch and read back with
:meth:`ValidationReport.from_dict`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Failure:
    """One failed check.

    Parameters
    ----------
    check : str
        Great Expectations expectation type, or ``driftline_<kind>`` for reader problems
        no expectation covers (unreadable file, too large, ...).
    kind : str
        What went wrong: a reader problem kind or the expectation's ``driftline_check``.
    column : str or None
        Column concerned (``None`` for table- or file-level checks).
    message : str
        Human-readable sentence naming the column and the problem.
    observed : object
        Observed value reported by the check, if any.
    unexpected_count : int or None
        Number of offending values.
    unexpected_values : tuple
        A few offending values.
    unexpected_rows : tuple of int
        Positions (0-based data rows) of a few offending rows.
    source : {"gx", "reader"}
        Which stage found it.
    """

    check: str
    kind: str
    column: str | None
    message: str
    observed: Any = None
    unexpected_count: int | None = None
    unexpected_values: tuple[Any, ...] = ()
    unexpected_rows: tuple[int, ...] = ()
    source: Literal["gx", "reader"] = "gx"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return json_safe(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Failure:
        """Inverse of :meth:`to_dict` (non-finite floats stay strings)."""
        d = dict(data)
        d["unexpected_values"] = tuple(d.get("unexpected_values", ()))
        d["unexpected_rows"] = tuple(d.get("unexpected_rows", ()))
        return cls(**d)


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of validating one batch against a data contract.

    ``notes`` lists lossless conversions the reader made (e.g. labels written as ``1.0``
    read as ``1``); they fail nothing and appear in :meth:`summary`.

    Examples
    --------
    >>> f = Failure("expect_column_values_to_not_be_in_set", "inf_values", "price",
    ...             "column 'price' has 3 inf values", unexpected_count=3)
    >>> r = ValidationReport("week-07", False, 100, (f,), 20, "week-07.csv", "elec2", 1,
    ...                      "contracts/elec2.yaml")
    >>> print(r.summary())
    batch week-07 failed 1 check: column 'price' has 3 inf values: fix the producer or update the contract at contracts/elec2.yaml
    >>> ValidationReport.from_dict(r.to_dict()) == r
    True
    """

    batch_id: str
    passed: bool
    n_rows: int
    failures: tuple[Failure, ...]
    n_checks: int
    source: str
    contract_name: str
    contract_version: int
    contract_path: str | None = None
    data_docs: str | None = None
    validated_at: str = ""
    n_duplicate_rows: int = 0
    notes: tuple[str, ...] = ()

    @property
    def failed_columns(self) -> tuple[str, ...]:
        """Sorted names of the columns with at least one failure."""
        return tuple(sorted({f.column for f in self.failures if f.column is not None}))

    def summary(self) -> str:
        """One line: what passed, or which checks failed and what to do."""
        if self.passed:
            dup = (
                f"; {self.n_duplicate_rows} exact duplicate rows kept as observations "
                "(deduplicate at the producer if they are not)"
                if self.n_duplicate_rows
                else ""
            )
            notes = "".join(f"; note: {n}" for n in self.notes)
            return (
                f"batch {self.batch_id} passed all {self.n_checks} checks "
                f"({self.n_rows} rows{dup}){notes}"
            )
        n = len(self.failures)
        what = "; ".join(f.message for f in self.failures)
        where = (
            f"at {self.contract_path}"
            if self.contract_path
            else f"'{self.contract_name}' v{self.contract_version}"
        )
        text = f"batch {self.batch_id} failed {n} check{'s' if n != 1 else ''}: {what}"
        text += f": fix the producer or update the contract {where}"
        if self.data_docs:
            text += f" (Data Docs: {self.data_docs})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "failures"}
        d["failures"] = [f.to_dict() for f in self.failures]
        return json_safe(d)

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON text (no NaN/Infinity literals)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValidationReport:
        """Inverse of :meth:`to_dict`."""
        d = dict(data)
        d["failures"] = tuple(Failure.from_dict(f) for f in d.get("failures", ()))
        d["notes"] = tuple(d.get("notes", ()))
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> ValidationReport:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))


def json_safe(value: Any) -> Any:
    """Recursively convert ``value`` to JSON-safe Python objects.

    >>> json_safe({"a": (np.int64(3), float("inf"), pd.Timestamp("2024-01-01"), pd.NA)})
    {'a': [3, 'inf', '2024-01-01T00:00:00', None]}
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, _dt.datetime | _dt.date | pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
