"""Request payloads of the prediction endpoint, checked against the model signature.

A request body is one of MLflow's scoring-server shapes::

    {"dataframe_records": [{"col": value, ...}, ...]}
    {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
    {"instances": [{"col": value, ...}, ...]}

:func:`parse_payload` turns it into a :class:`pandas.DataFrame` and :func:`conform_to`
checks it against the model's input schema (``ColumnSchema``, read from the MLflow
signature): every input column must be present, non-null where the signature says it is
required, and convertible to its type. The first problem raises :class:`PayloadError`,
which names the column; the app answers it with HTTP 422
``{"error": ..., "column": ...}``. Columns the model does not use are ignored (and
reported in the response).

>>> schema = (ColumnSchema("x", "double"), ColumnSchema("c", "string"))
>>> frame = parse_payload({"dataframe_records": [{"x": 1, "c": "a"}]})
>>> conform_to(frame, schema).dtypes.astype(str).tolist()
['float64', 'object']
>>> try:
...     conform_to(parse_payload({"dataframe_records": [{"x": "abc", "c": "a"}]}), schema)
... except PayloadError as exc:
...     print(exc.column, "|", exc)
x | column 'x' has a value that is not a double, e.g. 'abc': send numbers for 'x'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import DataError, fail

#: Request body keys accepted by :func:`parse_payload`.
PAYLOAD_KEYS = ("dataframe_records", "dataframe_split", "instances")
_NUMERIC = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32"}


class PayloadError(DataError):
    """A request body that does not fit the model's input schema.

    Parameters
    ----------
    message : str
        What is wrong and what to do.
    column : str or None
        The offending column (``None`` when the problem is the body's shape).
    """

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the 422 answer."""
        return {"error": str(self), "column": self.column}


@dataclass(frozen=True)
class ColumnSchema:
    """One input column of a model signature.

    Parameters
    ----------
    name : str
        Column name.
    type : str
        MLflow data type name (``double``, ``long``, ``string``, ``boolean``, ...).
    required : bool
        Whether nulls are refused.
    """

    name: str
    type: str
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "required": self.required}


def schema_of(pyfunc_model: Any) -> tuple[ColumnSchema, ...]:
    """The input columns of a loaded pyfunc model's signature (empty without a signature)."""
    schema = pyfunc_model.metadata.get_input_schema()
    if schema is None or not schema.has_input_names():
        return ()
    out = []
    for spec in schema.inputs:
        kind = getattr(spec.type, "name", str(spec.type))
        out.append(ColumnSchema(spec.name, str(kind), bool(getattr(spec, "required", True))))
    return tuple(out)


def parse_payload(body: Any) -> pd.DataFrame:
    """A frame from a request body in one of the shapes of :data:`PAYLOAD_KEYS`."""
    if not isinstance(body, Mapping):
        raise PayloadError(fail("the body is not a JSON object", f"send one of {PAYLOAD_KEYS}"))
    keys = [k for k in PAYLOAD_KEYS if k in body]
    if len(keys) != 1:
        raise PayloadError(
            fail(
                f"the body has {len(keys)} of the keys {list(PAYLOAD_KEYS)}",
                "send exactly one, e.g. {'dataframe_records': [{...}, ...]}",
            )
        )
    key, value = keys[0], body[keys[0]]
    if key == "dataframe_split":
        if not isinstance(value, Mapping) or not isinstance(value.get("columns"), list):
            raise PayloadError(
                fail("dataframe_split needs 'columns' and 'data'", "send both as lists")
            )
        data = value.get("data")
        if not isinstance(data, list) or any(
            not isinstance(r, list) or len(r) != len(value["columns"]) for r in data
        ):
            raise PayloadError(
                fail(
                    "dataframe_split 'data' must be rows with one value per column",
                    f"send lists of {len(value['columns'])} values",
                )
            )
        frame = pd.DataFrame(data, columns=[str(c) for c in value["columns"]])
    else:
        if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
            raise PayloadError(fail(f"{key} must be a list of objects", "send one object per row"))
        frame = pd.DataFrame.from_records(value)
    if len(frame) == 0:
        raise PayloadError(fail("the request has no rows", "send at least one row"))
    return frame


def conform_to(frame: pd.DataFrame, schema: Sequence[ColumnSchema]) -> pd.DataFrame:
    """The model's input columns of ``frame``, in signature order, cast to their types.

    Raises :class:`PayloadError` naming the first missing, null or mistyped column.
    """
    out: dict[str, Any] = {}
    for col in schema:
        if col.name not in frame.columns:
            raise PayloadError(
                fail(
                    f"column {col.name!r} is missing",
                    f"send every input column: {[c.name for c in schema]}",
                ),
                col.name,
            )
        values = frame[col.name]
        nulls = values.isna()
        if col.required and nulls.any():
            raise PayloadError(
                fail(
                    f"column {col.name!r} has {int(nulls.sum())} null value(s)",
                    f"send a {col.type} for every row",
                ),
                col.name,
            )
        out[col.name] = _cast(values, col)
    return pd.DataFrame(out, index=frame.index)


def _cast(values: pd.Series, col: ColumnSchema) -> Any:
    if col.type in _NUMERIC:
        fast = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        bad = (
            pd.Series(False, index=values.index)
            if fast
            else values.map(
                lambda v: (
                    v is not None
                    and not (isinstance(v, int | float | np.number) and not isinstance(v, bool))
                    and not (isinstance(v, float) and np.isnan(v))
                )
            )
        )
        if bad.any():
            example = values[bad].iloc[0]
            raise PayloadError(
                fail(
                    f"column {col.name!r} has a value that is not a {col.type}, e.g. {example!r}",
                    f"send numbers for {col.name!r}",
                ),
                col.name,
            )
        numbers = values.astype("float64")
        if col.type in ("long", "integer"):
            finite = numbers.dropna()
            if (finite != np.round(finite)).any():
                raise PayloadError(
                    fail(f"column {col.name!r} has non-integer values", "send whole numbers"),
                    col.name,
                )
            return numbers.astype(_NUMERIC[col.type]) if not numbers.isna().any() else numbers
        return numbers.astype(_NUMERIC[col.type])
    if col.type == "string":
        bad = values.map(lambda v: v is not None and not isinstance(v, str) and v == v)
        if bad.any():
            raise PayloadError(
                fail(
                    f"column {col.name!r} has a value that is not a string, "
                    f"e.g. {values[bad].iloc[0]!r}",
                    f"send text for {col.name!r}",
                ),
                col.name,
            )
        return values.astype(object)
    if col.type == "boolean":
        bad = values.map(lambda v: v is not None and not isinstance(v, bool | np.bool_) and v == v)
        if bad.any():
            raise PayloadError(
                fail(f"column {col.name!r} has a non-boolean value", "send true or false"),
                col.name,
            )
        return values.astype(bool) if not values.isna().any() else values
    return values  # other types: left to MLflow's own schema enforcement
