"""Read a batch (CSV, gzipped CSV or Parquet; local path or ``s3://`` URI) without raising.

:class:`BatchReader` owns the public :meth:`~BatchReader.read`: it fetches the bytes with
a size guard, calls the subclass hook :meth:`~BatchReader._parse`, and conforms the frame
to the contract (:func:`conform`). Malformed input never raises: an unparseable or empty
file, missing or extra columns, text in a numeric column, an all-null column, inf values
and unseen categories all become :class:`~driftline.validation.problems.Problem` s, which
the validator reports as failed checks. Only a source that does not exist raises
(:class:`~driftline.errors.DataError`), and an unreachable S3 server
(:class:`~driftline.errors.ServiceError`).

Beyond the contract, each format checks what only it can see: a CSV header naming a
column twice (pandas would rename the second ``x.1``) is reported as that column
appearing more than once, and a CSV whose header splits into the contract's columns on
``;``, tab or ``|`` gets a ``wrong_delimiter`` hint; a Parquet column stored as text where
the contract expects numbers, integers or booleans is a ``wrong_type`` naming the stored
type (a CSV is all text, so there numbers are parsed). Integer columns (and integer
categories, e.g. a 0/1 label) refuse booleans; integers written as decimals (``1.0``)
are read as integers and reported as a ``coerced`` note.
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
        """True when the batch was read and conformed without any problem (notes aside)."""
        return self.frame is not None and not any(not p.note for p in self.problems)

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

    def _format_problems(
        self, frame: pd.DataFrame, data: bytes, contract: DataContract | None
    ) -> list[Problem]:
        """Problems only this format can see, on the parsed frame before it is conformed."""
        return []

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
        found = self._format_problems(frame, data, contract)
        frame, problems = conform(frame, contract)
        return ReadResult(name, self.format, frame, (*found, *problems), n_bytes)


class CsvReader(BatchReader):
    """UTF-8 CSV with a header row, optionally gzipped (``.csv.gz``)."""

    format = "csv"
    suffixes = (".csv", ".csv.gz")

    def _parse(self, data: bytes, contract: DataContract | None) -> pd.DataFrame:
        text_columns = {}
        if contract is not None:
            # text categories stay text; integer columns are parsed by the reader, so
            # "1.0" and "True" can be told from "1"
            text_columns = {
                c.name: str for c in contract.columns if c.kind in ("categorical", "integer")
            }
        frame = pd.read_csv(
            io.BytesIO(data), dtype=text_columns or None, encoding="utf-8", low_memory=False
        )
        header = _header(data)
        if len(header) == len(frame.columns) and len(set(header)) < len(header):
            frame.columns = header  # pandas renamed the repeats 'x.1': report them as repeats
        return frame

    def _format_problems(
        self, frame: pd.DataFrame, data: bytes, contract: DataContract | None
    ) -> list[Problem]:
        hint = _delimiter_hint(frame, data, contract)
        return [] if hint is None else [hint]


class ParquetReader(BatchReader):
    """Apache Parquet file."""

    format = "parquet"
    suffixes = (".parquet", ".pq")

    def _parse(self, data: bytes, contract: DataContract | None) -> pd.DataFrame:
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(data)).to_pandas()

    def _format_problems(
        self, frame: pd.DataFrame, data: bytes, contract: DataContract | None
    ) -> list[Problem]:
        """A column stored as text where the contract expects numbers is a type error."""
        if contract is None:
            return []
        problems = []
        for spec in contract.columns:
            if spec.name not in frame.columns or not _wants_numbers(spec):
                continue
            column = frame[spec.name]
            if isinstance(column, pd.DataFrame) or not pd.api.types.is_string_dtype(column):
                continue  # repeated names are reported by conform
            sample = tuple(column.dropna().unique()[:N_SAMPLES].tolist())
            detail = (
                f"is stored as text (Parquet type string, e.g. {list(sample)[:3]}), "
                f"the contract expects {_expected(spec)}: write the column with a numeric type"
            )
            problems.append(
                Problem("wrong_type", spec.name, detail, int(column.notna().sum()), sample)
            )
        return problems


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
    if pd.api.types.is_bool_dtype(raw.dtype):  # True/False where the contract has integers
        return _booleans_refused(raw, spec, raw.notna().to_numpy())
    values, bad = _to_float(raw)
    booleans = bad & raw.map(
        lambda v: str(v).strip().lower() in ("true", "false"), na_action="ignore"
    ).fillna(False).to_numpy(dtype=bool)
    if booleans.any() and booleans.sum() == bad.sum():
        return _booleans_refused(raw, spec, booleans)
    inf = np.isinf(values)
    problems = _inf_problem(spec.name, values, raw, nulled=True)
    with np.errstate(invalid="ignore"):
        fractional = np.isfinite(values) & ((values != np.round(values)) | (np.abs(values) > 2**62))
    bad = bad | fractional
    problems = _wrong_type(spec.name, raw, bad, "an integer", nulled=True) + problems
    problems += _decimals_note(spec.name, raw, values, bad | inf)
    values = np.where(inf | fractional, np.nan, values)
    out = pd.Series(values, index=raw.index, name=raw.name)
    return out.astype("Int64" if np.isnan(values).any() else np.int64), problems


def _booleans_refused(
    raw: pd.Series, spec: ColumnSpec, mask: np.ndarray
) -> tuple[pd.Series, list[Problem]]:
    """True/False in an integer column: refused (the mapping to 0/1 is the producer's call)."""
    count = int(mask.sum())
    values = tuple(_plain(v) for v in pd.unique(raw[mask])[:N_SAMPLES])
    detail = (
        f"has {_plural(count, 'boolean value')} (e.g. {list(values)[:2]}), the contract expects "
        f"{_expected(spec)}: write the column as integers"
    )
    nulled = int(raw.notna().sum())
    problem = Problem("wrong_type", spec.name, detail, count, values, _rows(mask), nulled)
    nulls = pd.Series(pd.array([None] * len(raw), dtype="Int64"), index=raw.index, name=raw.name)
    return nulls, [problem]


def _decimals_note(name: str, raw: pd.Series, values: np.ndarray, bad: np.ndarray) -> list[Problem]:
    """A note when whole numbers were written as decimals (``1.0``) and read as integers.

    Only for a column without failures (a failing column is reported as such).
    """
    ok = raw.notna().to_numpy() & ~bad
    if bad.any() or not ok.any():
        return []
    if pd.api.types.is_float_dtype(raw.dtype):
        decimals = ok
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        return []
    else:
        text = raw.map(lambda v: str(v).strip().lower(), na_action="ignore")
        decimals = ok & text.str.contains(r"[.e]", regex=True, na=False).to_numpy(dtype=bool)
    count = int(decimals.sum())
    if not count:
        return []
    examples = tuple(_plain(v) for v in pd.unique(raw[decimals])[:3])
    detail = (
        f"has {_plural(count, 'whole number')} written as decimals (e.g. {list(examples)}), "
        "read as the integers the contract expects"
    )
    return [Problem("coerced", name, detail, count, examples, _rows(decimals), note=True)]


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
_DELIMITERS = (";", "\t", "|")


def _header(data: bytes) -> list[str]:
    """The CSV header row as written (no renaming of repeated names); [] if unreadable."""
    try:
        row = pd.read_csv(io.BytesIO(data), header=None, nrows=1, dtype=str, encoding="utf-8")
    except Exception:  # noqa: BLE001 - the full parse reports it
        return []
    return [str(v) for v in row.iloc[0].tolist()] if len(row) else []


def _delimiter_hint(
    frame: pd.DataFrame, data: bytes, contract: DataContract | None
) -> Problem | None:
    """A ``wrong_delimiter`` problem when the header splits into columns on ``;``, tab or ``|``."""
    first = data[:65536].split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    found = {str(c) for c in frame.columns}
    wanted = set(contract.column_names) if contract is not None else set()
    for sep in _DELIMITERS:
        names = {n.strip().strip('"') for n in first.split(sep)}
        if len(names) < 2:
            continue
        better = len(names & wanted) > len(found & wanted) if wanted else len(frame.columns) == 1
        if better:
            shown = "tab" if sep == "\t" else repr(sep)
            detail = (
                f"the file looks {shown}-delimited; Driftline reads comma-separated CSV "
                f"(re-export it with ',' as the delimiter)"
            )
            return Problem("wrong_delimiter", None, detail)
    return None


def _wants_numbers(spec: ColumnSpec) -> bool:
    return spec.kind in ("numeric", "integer", "boolean") or _integer_categories(spec)


def _expected(spec: ColumnSpec) -> str:
    if spec.kind == "categorical":
        return f"integer categories {list(spec.categories or ())}"
    return {"numeric": "numbers", "integer": "integers", "boolean": "booleans"}.get(
        spec.kind, spec.kind
    )


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
