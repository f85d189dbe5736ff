"""Read a batch (CSV, gzipped CSV or Parquet; local path or ``s3://`` URI) without raising.

:class:`BatchReader` owns the public :meth:`~BatchReader.read`: it fetches the bytes with
a size guard, calls the subclass hook :meth:`~BatchReader._parse`, and conforms the frame
to the contract (:func:`conform`). Malformed input never raises: an unparseable or empty
file, missing or extra columns, text in a numeric column, an all-null column, inf values
and unseen categories all become :class:`~driftline.validation.problems.Problem` s, which
the validator reports as failed checks. Only a source that does not exist raises
(:class:`~driftline.errors.DataError`), and an unreachable S3 server
(:class:`~driftline.errors.ServiceError`).
"""

from __future__ import annotations

import gzip
import io
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from driftline.errors import DataError, ServiceError, fail
from driftline.settings import Settings
from driftline.validation.contract import ColumnSpec, DataContract
from driftline.validation.problems import Problem

#: Default size limit of one batch file (compressed and decompressed): 256 MiB.
DEFAULT_MAX_BYTES = 256 * 2**20
#: How many offending values / rows a problem keeps.
N_SAMPLES = 10

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


@dataclass(frozen=True, eq=False)
class ReadResult:
    """Outcome of reading one batch.

    ``frame`` is ``None`` when the file could not be read at all; otherwise its contract
    columns are converted to their kinds (numeric: float64, integer: int64/Int64,
    categorical: object text or integers, boolean: bool/boolean, datetime: naive UTC
    datetime64) and its index is ``0..n-1``.
    """

    source: str
    format: str
    frame: pd.DataFrame | None
    problems: tuple[Problem, ...]
    n_bytes: int

    @property
    def ok(self) -> bool:
        """True when the batch was read and conformed without any problem."""
        return self.frame is not None and not self.problems

    @property
    def n_rows(self) -> int:
        """Number of data rows (0 when unreadable)."""
        return 0 if self.frame is None else len(self.frame)


class BatchReader(ABC):
    """Base of the batch readers; subclasses implement :meth:`_parse`.

    Parameters
    ----------
    max_bytes : int
        Refuse files (and decompressed ``.gz`` content) larger than this.
    """

    format: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    @abstractmethod
    def _parse(self, data: bytes, contract: DataContract | None) -> pd.DataFrame:
        """Parse the (decompressed) bytes into a frame; may raise anything."""

    def read(
        self,
        source: str | os.PathLike[str],
        contract: DataContract | None = None,
        settings: Settings | None = None,
    ) -> ReadResult:
        """Read ``source`` and conform it to ``contract``; problems never raise."""
        name = str(source)
        data, n_bytes, problem = _fetch(name, settings, self.max_bytes)
        if problem is None and name.lower().endswith(".gz"):
            data, problem = _gunzip(data, self.max_bytes)
        if problem is None and not data.strip():
            detail = "file is empty" if n_bytes == 0 else f"file has no content ({n_bytes} bytes)"
            problem = Problem("empty_file", None, detail)
        if problem is not None:
            return ReadResult(name, self.format, None, (problem,), n_bytes)
        try:
            frame = self._parse(data, contract)
        except pd.errors.EmptyDataError:
            problem = Problem("empty_file", None, "file has no header and no rows")
            return ReadResult(name, self.format, None, (problem,), n_bytes)
        except Exception as exc:  # parsers raise many types; all mean "malformed"
            detail = f"file could not be parsed as {self.format}: {_short(exc)}"
            return ReadResult(
                name, self.format, None, (Problem("unreadable", None, detail),), n_bytes
            )
        frame, problems = conform(frame, contract)
        return ReadResult(name, self.format, frame, problems, n_bytes)


class CsvReader(BatchReader):
    """UTF-8 CSV with a header row, optionally gzipped (``.csv.gz``)."""

    format = "csv"
    suffixes = (".csv", ".csv.gz")

    def _parse(self, data: bytes, contract: DataContract | None) -> pd.DataFrame:
        text_columns = {}
        if contract is not None:
            text_columns = {
                c.name: str
                for c in contract.columns
                if c.kind == "categorical" and not _integer_categories(c)
            }
        return pd.read_csv(
            io.BytesIO(data), dtype=text_columns or None, encoding="utf-8", low_memory=False
        )


class ParquetReader(BatchReader):
    """Apache Parquet file."""

    format = "parquet"
    suffixes = (".parquet", ".pq")

    def _parse(self, data: bytes, contract: DataContract | None) -> pd.DataFrame:
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(data)).to_pandas()


READERS: tuple[type[BatchReader], ...] = (CsvReader, ParquetReader)


def reader_for(
    source: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> BatchReader | None:
    """The reader for ``source``'s extension, or ``None`` when no reader handles it.

    >>> type(reader_for("s3://landing/incoming/week-01.csv.gz")).__name__
    'CsvReader'
    >>> reader_for("notes.txt") is None
    True
    """
    name = str(source).lower()
    for cls in READERS:
        if name.endswith(cls.suffixes):
            return cls(max_bytes=max_bytes)
    return None


def read_batch(
    source: str | os.PathLike[str],
    contract: DataContract | None = None,
    settings: Settings | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ReadResult:
    """Read a CSV / CSV.gz / Parquet batch from a path or ``s3://bucket/key``.

    The format comes from the extension; an unknown extension is an ``unreadable``
    problem. See :class:`BatchReader` for what becomes a problem.
    """
    reader = reader_for(source, max_bytes)
    if reader is None:
        suffixes = sorted(s for cls in READERS for s in cls.suffixes)
        detail = (
            f"file type of {Path(str(source)).name!r} is not supported (use {', '.join(suffixes)})"
        )
        return ReadResult(str(source), "unknown", None, (Problem("unreadable", None, detail),), 0)
    return reader.read(source, contract, settings)


# ---------------------------------------------------------------------- conforming
def conform(
    df: pd.DataFrame, contract: DataContract | None = None
) -> tuple[pd.DataFrame, tuple[Problem, ...]]:
    """Check a frame against ``contract`` and convert its columns to their kinds.

    Returns the converted frame (index reset, extra columns untouched) and the problems.
    Without a contract only the no-rows, all-null and inf checks run.

    >>> df = pd.DataFrame({"price": ["1.5", "abc", "inf"], "day": ["Mon", "Tue", "Funday"]})
    >>> spec = [ColumnSpec("price", "numeric"), ColumnSpec("day", "categorical", categories=("Mon", "Tue")),
    ...         ColumnSpec("y", "integer", role="target")]
    >>> frame, problems = conform(df, DataContract("demo", tuple(spec), target="y"))
    >>> for p in problems:
    ...     print(p.kind, "|", p.message)
    missing_column | column 'y' is missing
    wrong_type | column 'price' has 1 value that is not a number, e.g. ['abc']
    inf_values | column 'price' has 1 inf value
    unseen_categories | column 'day' has unseen categories ['Funday'] (1 value, 33.3% of non-null)
    >>> frame["price"].tolist()
    [1.5, nan, inf]
    """
    frame = df.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    problems: list[Problem] = []
    if frame.columns.duplicated().any():
        for name in sorted(set(frame.columns[frame.columns.duplicated()])):
            problems.append(
                Problem("extra_column", name, "appears more than once; only the first is used")
            )
        frame = frame.loc[:, ~frame.columns.duplicated()]
    if len(frame) == 0:
        problems.append(Problem("no_rows", None, "batch has a header but no rows"))
    if contract is None:
        for name in frame.columns:
            problems += _generic_checks(name, frame[name])
        return frame, tuple(problems)
    present = set(frame.columns)
    for name in contract.column_names:
        if name not in present:
            problems.append(Problem("missing_column", name, "is missing"))
    if not contract.allow_extra_columns:
        for name in frame.columns:
            if name not in contract.column_names:
                problems.append(Problem("extra_column", name, "is not in the contract"))
    for spec in contract.columns:
        if spec.name not in present:
            continue
        raw = frame[spec.name]
        if len(raw) and raw.isna().all() and spec.max_null_rate < 1.0:
            problems.append(Problem("all_null", spec.name, "is entirely null", count=len(raw)))
        try:
            converted, found = _CONVERTERS[spec.kind](raw, spec)
        except Exception as exc:  # a converter bug must not crash validation
            converted = raw
            found = [
                Problem(
                    "wrong_type", spec.name, f"could not be converted to {spec.kind}: {_short(exc)}"
                )
            ]
        frame[spec.name] = converted
        problems += found
    return frame, tuple(problems)


def _generic_checks(name: str, s: pd.Series) -> list[Problem]:
    problems = []
    if len(s) and s.isna().all():
        problems.append(Problem("all_null", name, "is entirely null", count=len(s)))
    if pd.api.types.is_float_dtype(s.dtype):
        problems += _inf_problem(name, s.to_numpy(dtype=float, na_value=np.nan), s)
    return problems


def _to_float(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 and the mask of non-null values that are not numbers."""
    if pd.api.types.is_bool_dtype(raw.dtype) or pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        return values, np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype) or isinstance(raw.dtype, pd.PeriodDtype):
        return np.full(len(raw), np.nan), raw.notna().to_numpy()
    numbers = pd.to_numeric(raw, errors="coerce")
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    bad = raw.notna().to_numpy() & np.isnan(values)
    return values, bad


def _numeric(raw: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, list[Problem]]:
    values, bad = _to_float(raw)
    problems = _wrong_type(spec.name, raw, bad, "a number", nulled=True)
    problems += _inf_problem(spec.name, values, raw)
    return pd.Series(values, index=raw.index, name=raw.name), problems


def _as_integers(raw: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, list[Problem]]:
    values, bad = _to_float(raw)
    inf = np.isinf(values)
    problems = _inf_problem(spec.name, values, raw, nulled=True)
    with np.errstate(invalid="ignore"):
        fractional = np.isfinite(values) & ((values != np.round(values)) | (np.abs(values) > 2**62))
    bad = bad | fractional
    problems = _wrong_type(spec.name, raw, bad, "an integer", nulled=True) + problems
    values = np.where(inf | fractional, np.nan, values)
    out = pd.Series(values, index=raw.index, name=raw.name)
    return out.astype("Int64" if np.isnan(values).any() else np.int64), problems


def _categorical(raw: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, list[Problem]]:
    if _integer_categories(spec):
        out, problems = _as_integers(raw, spec)
    else:
        out, problems = raw.map(_as_text, na_action="ignore").astype(object), []
    if spec.categories is not None:
        nonnull = out.notna().to_numpy()
        unseen = nonnull & ~out.isin(spec.categories).to_numpy()
        count, total = int(unseen.sum()), int(nonnull.sum())
        if count and count / total > 1.0 - spec.categories_mostly + 1e-12:
            values = sorted(pd.unique(out[unseen]).tolist(), key=str)[:N_SAMPLES]
            detail = f"has unseen categories {values} ({_plural(count, 'value')}, {count / total:.1%} of non-null)"
            problems.append(
                Problem("unseen_categories", spec.name, detail, count, tuple(values), _rows(unseen))
            )
    return out, problems


def _boolean(raw: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, list[Problem]]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw, []
    text = raw.map(lambda v: str(v).strip().lower(), na_action="ignore")
    out = pd.Series(pd.array([None] * len(raw), dtype="boolean"), index=raw.index, name=raw.name)
    out[text.isin(_TRUE).to_numpy()] = True
    out[text.isin(_FALSE).to_numpy()] = False
    bad = raw.notna().to_numpy() & out.isna().to_numpy()
    problems = _wrong_type(spec.name, raw, bad, "true or false", nulled=True)
    return (out.astype(bool) if not out.isna().any() else out), problems


def _datetime(raw: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, list[Problem]]:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        out = raw
    else:
        out = pd.to_datetime(raw, errors="coerce", utc=True)
        retry = raw.notna() & out.isna()
        if retry.any():  # mixed formats: slower per-element parsing, only where needed
            out[retry] = pd.to_datetime(raw[retry], errors="coerce", utc=True, format="mixed")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = raw.notna().to_numpy() & out.isna().to_numpy()
    return out, _wrong_type(spec.name, raw, bad, "a date/time", nulled=True)


_CONVERTERS: dict[str, Callable[[pd.Series, ColumnSpec], tuple[pd.Series, list[Problem]]]] = {
    "numeric": _numeric,
    "integer": _as_integers,
    "categorical": _categorical,
    "boolean": _boolean,
    "datetime": _datetime,
}


# ---------------------------------------------------------------------- helpers
def _integer_categories(spec: ColumnSpec) -> bool:
    return bool(spec.categories) and all(isinstance(c, int) for c in spec.categories or ())


def _as_text(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _wrong_type(
    name: str, raw: pd.Series, bad: np.ndarray, what: str, nulled: bool = False
) -> list[Problem]:
    count = int(bad.sum())
    if not count:
        return []
    values = tuple(_plain(v) for v in pd.unique(raw[bad])[:N_SAMPLES])
    verb = "value that is" if count == 1 else "values that are"
    detail = f"has {count} {verb} not {what}, e.g. {list(values)[:3]}"
    return [Problem("wrong_type", name, detail, count, values, _rows(bad), count if nulled else 0)]


def _inf_problem(
    name: str, values: np.ndarray, raw: pd.Series, nulled: bool = False
) -> list[Problem]:
    inf = np.isinf(values)
    count = int(inf.sum())
    if not count:
        return []
    detail = f"has {_plural(count, 'inf value')}"
    signs = tuple(sorted({float(v) for v in values[inf]}))
    return [Problem("inf_values", name, detail, count, signs, _rows(inf), count if nulled else 0)]


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask)[:N_SAMPLES])


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(exc: BaseException, limit: int = 200) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def _too_large(size: int | None, limit: int) -> Problem:
    what = "decompressed file is larger than" if size is None else f"file is {_mib(size)}, over"
    loaded = "" if size is None else "; nothing was loaded into memory"
    detail = (
        f"{what} the {_mib(limit)} limit{loaded} (split the batch into smaller files, "
        f"or raise DRIFTLINE_MAX_BATCH_BYTES, now {limit} bytes)"
    )
    return Problem("too_large", None, detail)


def _fetch(
    name: str, settings: Settings | None, max_bytes: int
) -> tuple[bytes, int, Problem | None]:
    """The file's bytes and size, or a ``too_large`` problem; raise if it does not exist."""
    if name.startswith("s3://"):
        return _fetch_s3(name, settings, max_bytes)
    path = Path(name)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(fail(f"batch file {name} does not exist", "check the path")) from None
    if not path.is_file():
        raise DataError(fail(f"batch source {name} is not a file", "pass a file path"))
    if size > max_bytes:
        return b"", size, _too_large(size, max_bytes)
    return path.read_bytes(), size, None


def _fetch_s3(
    uri: str, settings: Settings | None, max_bytes: int
) -> tuple[bytes, int, Problem | None]:
    from botocore.exceptions import BotoCoreError, ClientError

    from driftline import s3

    bucket, key = s3.parse_uri(uri)
    client = s3.client(settings)
    try:
        size = int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        if size > max_bytes:
            return b"", size, _too_large(size, max_bytes)
        data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
            raise DataError(
                fail(f"batch {uri} does not exist", "check the bucket and key")
            ) from exc
        raise ServiceError(
            fail(
                f"S3 refused to read {uri} ({code}: {exc})",
                "check the credentials and bucket policy",
            )
        ) from exc
    except BotoCoreError as exc:
        raise ServiceError(
            fail(f"S3 did not answer while reading {uri} ({exc})", "check 'make status'")
        ) from exc
    return data, size, None


def _gunzip(data: bytes, max_bytes: int) -> tuple[bytes, Problem | None]:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        return b"", Problem("unreadable", None, f"file is not valid gzip: {_short(exc)}")
    if len(out) > max_bytes:
        return b"", _too_large(None, max_bytes)
    return out, None
