"""Reading columns: tables from frames and parquet, numbers, level counts and roles.

Driftline reads every data set through pyarrow: :func:`as_table` takes a pandas DataFrame
or a pyarrow Table, :func:`parquet_chunks` reads a parquet file in bounded chunks, and a
column becomes float64 values (:func:`numeric_values`, nulls as NaN) or level counts
(:func:`category_counts`, levels as strings, nulls apart). :func:`assign_roles` decides
what each column of a profile is.

>>> import pandas as pd
>>> t = as_table(pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", "a"]}))
>>> numeric_values(t.column("x")).tolist(), category_counts(t.column("c"))
([1.0, nan, 3.0], ({'a': 2, 'b': 1}, 0))
>>> assign_roles(t, None, None, None, None, (), None)
{'x': 'numeric', 'c': 'categorical'}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.errors import DataError, fail

Role = Literal["numeric", "categorical", "target", "timestamp", "prediction"]


def as_table(data: Any) -> pa.Table:
    """A pyarrow Table from a pandas DataFrame, a pyarrow Table or a RecordBatch."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        try:
            return pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
            for name in data.columns:  # name the column that cannot be converted
                try:
                    pa.array(data[name], from_pandas=True)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    raise DataError(
                        fail(
                            f"column {name!r} cannot be read ({e})",
                            "give each column values of one type",
                        )
                    ) from e
            raise DataError(fail(f"cannot read the data set ({e})", "check its columns")) from e
    raise DataError(
        fail(
            f"cannot read a data set of type {type(data).__name__}",
            "pass a pandas DataFrame or a pyarrow Table",
        )
    )


def parquet_chunks(
    path: str | Path,
    chunk_rows: int,
    columns: Sequence[str] | None = None,
    read_dictionary: Sequence[str] | None = None,
) -> Iterator[pa.Table]:
    """Read a parquet file as tables of about ``chunk_rows`` rows (whole row groups
    grouped up to ``chunk_rows``; larger row groups split), so memory stays bounded."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(str(path), read_dictionary=read_dictionary)
    group: list[int] = []
    rows = 0
    for i in range(pf.num_row_groups):
        n = pf.metadata.row_group(i).num_rows
        if group and rows + n > chunk_rows:
            yield pf.read_row_groups(group, columns=columns)
            group, rows = [], 0
        if n > chunk_rows:
            for b in pf.iter_batches(batch_size=chunk_rows, row_groups=[i], columns=columns):
                yield pa.Table.from_batches([b])
            continue
        group.append(i)
        rows += n
    if group:
        yield pf.read_row_groups(group, columns=columns)


def read_schema(path: str | Path) -> pa.Schema:
    """Schema of a parquet file; :class:`DataError` when it cannot be read."""
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(str(path))
    except (OSError, pa.ArrowException) as e:
        raise DataError(fail(f"cannot read parquet file {path} ({e})", "check the path")) from e


def string_columns(schema: pa.Schema, names: Iterable[str] | None = None) -> list[str]:
    """Columns of ``schema`` (among ``names``) holding strings: read them as dictionaries."""
    wanted = None if names is None else set(names)
    return [
        f.name
        for f in schema
        if (wanted is None or f.name in wanted)
        and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]


def numeric_values(col: pa.ChunkedArray | pa.Array, name: str | None = None) -> np.ndarray:
    """Float64 numpy values of a numeric/bool column, nulls as NaN (zero-copy if possible).

    Raises :class:`DataError` naming ``name`` when the column cannot be read as numbers.
    """
    if isinstance(col, pa.ChunkedArray) and col.num_chunks == 1:
        col = col.chunk(0)
    if col.type != pa.float64():
        try:
            col = pc.cast(col, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise DataError(
                fail(
                    f"column {name!r} of type {col.type} is not numeric ({e})",
                    "pass numbers in that column, or profile it as categorical",
                )
            ) from e
    if col.null_count:
        col = pc.fill_null(col, math.nan)
    if isinstance(col, pa.ChunkedArray):
        return col.to_numpy()
    return col.to_numpy(zero_copy_only=False)


def category_counts(col: pa.ChunkedArray | pa.Array) -> tuple[dict[str, int], int]:
    """``({level: count}, nulls)`` of a column; levels are converted to strings."""
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, col.type.value_type) if col.null_count else col
    vc = pc.value_counts(col)
    values = vc.field("values")
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    counts = vc.field("counts").to_numpy()
    out: dict[str, int] = {}
    nulls = 0
    for v, c in zip(values.to_pylist(), counts.tolist(), strict=True):
        if v is None:
            nulls += c
        else:
            key = _level(v)
            out[key] = out.get(key, 0) + c
    return out, nulls


def _level(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def infer_role(typ: pa.DataType) -> Role | None:
    """Default role of an arrow type: numbers numeric, strings/bools categorical."""
    if pa.types.is_dictionary(typ):
        return "categorical"
    if pa.types.is_boolean(typ) or pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return "categorical"
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "numeric"
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        return "timestamp"
    return None


def is_continuous(typ: pa.DataType) -> bool:
    """Float or decimal type (a label of this type may be a regression target)."""
    return pa.types.is_floating(typ) or pa.types.is_decimal(typ)


def probability_values(predictions: Any, n_rows: int | None = None) -> np.ndarray:
    """Predicted probabilities as 1-D: column 1 of an (n, 2) array, row max of (n, k>2).

    Raises :class:`DataError` unless there is one prediction per row (when ``n_rows`` is
    given).
    """
    p = np.asarray(predictions, dtype=np.float64)
    if p.ndim == 2:
        p = p[:, 1] if p.shape[1] == 2 else p.max(axis=1)
    if p.ndim != 1:
        raise DataError(fail("predictions must be 1-D or 2-D", "pass probabilities per row"))
    if n_rows is not None and p.size != n_rows:
        raise DataError(
            fail(f"{p.size} predictions for {n_rows} rows", "pass one prediction per row")
        )
    return p


def assign_roles(
    table: pa.Table,
    target: str | None,
    timestamp: str | None,
    numeric: Sequence[str] | None,
    categorical: Sequence[str] | None,
    exclude: Iterable[str],
    predictions: Any,
) -> dict[str, Role]:
    """``{column: role}``: named roles first, then :func:`infer_role` (unless listed).

    Raises :class:`DataError` when a named column is not in ``table``.
    """
    names = table.column_names
    excluded = set(exclude)
    named = [c for c in (target, timestamp) if c is not None]
    named += list(numeric or ()) + list(categorical or ())
    if isinstance(predictions, str):
        named.append(predictions)
    missing = [c for c in named if c not in names]
    if missing:
        raise DataError(fail(f"column(s) {missing} not in the data", f"use columns among {names}"))
    roles: dict[str, Role] = {}
    forced = {c: "numeric" for c in numeric or ()} | {c: "categorical" for c in categorical or ()}
    for name in names:
        if name in excluded:
            continue
        if name == target:
            roles[name] = "target"
        elif name == timestamp:
            roles[name] = "timestamp"
        elif isinstance(predictions, str) and name == predictions:
            roles[name] = "prediction"
        elif name in forced:
            roles[name] = forced[name]  # type: ignore[assignment]
        elif numeric is None and categorical is None:
            role = infer_role(table.schema.field(name).type)
            if role is not None and role != "timestamp":
                roles[name] = role
    return roles
