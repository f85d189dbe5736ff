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

Bad client input never reaches the model: :func:`parse_json` refuses a body that is not
JSON or nests too deeply to read (400) and a key repeated in one object (422, naming it);
:func:`parse_payload` a column repeated in ``dataframe_split`` (422); :func:`conform_to`
a number that is not finite (JSON ``Infinity``/``NaN`` literals, ``1e400``, integers
beyond float range) or larger in magnitude than :data:`MAX_ABS` (422, naming the column).

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

import json
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import DataError, fail

#: Request body keys accepted by :func:`parse_payload`.
PAYLOAD_KEYS = ("dataframe_records", "dataframe_split", "instances")
_NUMERIC = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32"}
#: Largest magnitude accepted in a numeric column: the float32 range. Tree models of
#: scikit-learn compute in float32, and larger inputs overflow (inf, NaN) in most models.
MAX_ABS = float(np.finfo(np.float32).max)
_INT_RANGE = {"long": (-(2**63), 2**63 - 1), "integer": (-(2**31), 2**31 - 1)}


class PayloadError(DataError):
    """A request body that does not fit the model's input schema.

    Parameters
    ----------
    message : str
        What is wrong and what to do.
    column : str or None
        The offending column (``None`` when the problem is the body's shape).
    """

    def __init__(self, message: str, column: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.column = column
        self.status = status

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the answer (HTTP :attr:`status`: 400 or 422)."""
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


def parse_json(body: bytes | str) -> Any:
    """The request body as JSON; refuse nesting too deep to parse and keys repeated in one object.

    >>> parse_json(b'{"dataframe_records": [{"x": 1}]}')
    {'dataframe_records': [{'x': 1}]}
    >>> try:
    ...     parse_json('{"dataframe_records": [{"x": 1, "x": 2}]}')
    ... except PayloadError as exc:
    ...     print(exc.status, exc.column, "|", exc)
    422 x | key 'x' appears more than once in one JSON object: send each column once per row
    """
    try:
        return json.loads(body, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise PayloadError(_too_deep(), status=400) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(
            fail(f"the body is not JSON ({_short(exc)})", "send a JSON object"), status=400
        ) from None


def _too_deep() -> str:
    return fail(
        "the body nests too deeply to read (hundreds of levels of [ or {)",
        "send rows as flat objects or lists of values",
    )


def _example(value: Any) -> str:
    """A short repr of an offending value (nested values cut at a few levels)."""
    return _REPR.repr(value.item() if isinstance(value, np.generic) else value)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise PayloadError(
                    fail(
                        f"key {key!r} appears more than once in one JSON object",
                        "send each column once per row",
                    ),
                    key,
                )
            seen.add(key)
    return out


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
        columns = [str(c) for c in value["columns"]]
        repeated = [c for i, c in enumerate(columns) if c in columns[:i]]
        if repeated:
            raise PayloadError(
                fail(
                    f"column {repeated[0]!r} appears more than once in dataframe_split 'columns'",
                    "send each column once",
                ),
                repeated[0],
            )
        frame = pd.DataFrame(data, columns=columns)
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
                    f"column {col.name!r} has a value that is not a {col.type}, e.g. {_example(example)}",
                    f"send numbers for {col.name!r}",
                ),
                col.name,
            )
        numbers = _floats(values, col)
        _check_magnitude(values, numbers, col)
        if col.type in ("long", "integer"):
            finite = numbers.dropna()
            if (finite != np.round(finite)).any():
                raise PayloadError(
                    fail(f"column {col.name!r} has non-integer values", "send whole numbers"),
                    col.name,
                )
            lo, hi = _INT_RANGE[col.type]
            if not numbers.isna().any():
                ints = values.map(int) if values.dtype == object else values
                if ((ints < lo) | (ints > hi)).any():
                    raise PayloadError(
                        fail(
                            f"column {col.name!r} has a value outside the {col.type} range",
                            f"send whole numbers in [{lo}, {hi}]",
                        ),
                        col.name,
                    )
                return ints.astype(_NUMERIC[col.type])
            return numbers
        return numbers.astype(_NUMERIC[col.type])
    if col.type == "string":
        bad = values.map(lambda v: v is not None and not isinstance(v, str) and v == v)
        if bad.any():
            raise PayloadError(
                fail(
                    f"column {col.name!r} has a value that is not a string, "
                    f"e.g. {_example(values[bad].iloc[0])}",
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


def _floats(values: pd.Series, col: ColumnSchema) -> pd.Series:
    """``values`` as float64; an integer beyond the float range is a :class:`PayloadError`."""
    try:
        return values.astype("float64")
    except OverflowError:
        big = next(v for v in values if isinstance(v, int) and abs(v) > MAX_ABS)
        raise PayloadError(
            _not_finite(col, f"{str(big)[:12]}... ({len(str(big))} digits)"), col.name
        ) from None


def _check_magnitude(values: pd.Series, numbers: pd.Series, col: ColumnSchema) -> None:
    """Refuse non-finite numbers and numbers beyond :data:`MAX_ABS`, naming the column."""
    with np.errstate(invalid="ignore"):
        magnitude = numbers.abs()
    inf = np.isinf(magnitude.to_numpy())
    if inf.any():
        raise PayloadError(_not_finite(col, _example(values[inf].iloc[0])), col.name)
    large = (magnitude > MAX_ABS).to_numpy()
    if large.any():
        raise PayloadError(
            fail(
                f"column {col.name!r} has a value too large for the model, e.g. "
                f"{numbers[large].iloc[0]:.6g} (at most ±{MAX_ABS:.6g})",
                f"send {col.name!r} in the units the model was trained on",
            ),
            col.name,
        )


def _not_finite(col: ColumnSchema, example: str) -> str:
    return fail(
        f"column {col.name!r} has a value that is not a finite number, e.g. {example} "
        "(JSON Infinity/NaN literals and numbers beyond ±1.8e308 are refused)",
        f"send finite numbers for {col.name!r}",
    )
