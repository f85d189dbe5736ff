"""Validate a batch against a data contract with Great Expectations 1.x.

:func:`validate` reads the batch (:func:`~driftline.validation.readers.read_batch`), runs
the contract's expectation suite through a GX ``Checkpoint`` / ``ValidationDefinition``
on an in-memory (ephemeral) GX context, optionally builds Data Docs into a local folder,
and returns a :class:`~driftline.validation.report.ValidationReport` in which the reader's
problems and the failed expectations are merged (one failure per cause).

The GX context, the suite, the validation definition and the checkpoint are built once
per contract and process, then reused (:meth:`Validator.for_contract`), because building
them costs far more than validating a batch.

Data Docs: each ``docs_dir`` gets its own GX site; its ``index.html`` lists the contract's
suite and the validations of this process still held in memory (the last
:data:`KEEP_RESULTS`). GX prunes pages of results it no longer holds, so give each batch
its own ``docs_dir`` (e.g. ``reports/validation/<batch_id>/``) when pages must persist.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import threading
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from driftline.errors import ConfigError, fail
from driftline.settings import Settings
from driftline.validation.contract import DataContract
from driftline.validation.gx_suite import META_KEY, build_suite, import_gx
from driftline.validation.problems import Problem
from driftline.validation.readers import DEFAULT_MAX_BYTES, N_SAMPLES, conform, read_batch
from driftline.validation.report import Failure, ValidationReport, json_safe

#: Validation results kept in the in-memory GX store (older ones drop out of Data Docs).
KEEP_RESULTS = 100
#: Data Docs sites (one per ``docs_dir``) kept configured in the GX context.
KEEP_SITES = 50

_LOCK = threading.RLock()
_CONTEXT: Any = None


def _context() -> Any:
    """The process-wide ephemeral GX context (in-memory stores, no analytics, no progress bars)."""
    global _CONTEXT
    if _CONTEXT is None:
        gx = import_gx()
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        _CONTEXT = gx.get_context(mode="ephemeral", project_config=config)
        _CONTEXT.data_sources.add_pandas("driftline")
    return _CONTEXT


def _activate(context: Any) -> None:
    """Make ``context`` GX's current project (GX resolves data sources through it)."""
    from great_expectations.data_context.data_context.context_factory import project_manager

    project_manager.set_project(context)


class Validator:
    """Runs one contract's GX suite; build with :meth:`for_contract` (cached).

    Parameters
    ----------
    contract : DataContract
        The contract to enforce.
    """

    _cache: ClassVar[dict[str, Validator]] = {}

    def __init__(self, contract: DataContract) -> None:
        self.contract = contract
        self._checkpoint: Any = None
        self._suite: Any = None
        self._sites: dict[str, str] = {}

    @classmethod
    def for_contract(cls, contract: DataContract) -> Validator:
        """The cached validator of ``contract`` (keyed by its fingerprint)."""
        key = contract.fingerprint()
        with _LOCK:
            if key not in cls._cache:
                cls._cache[key] = cls(contract)
            return cls._cache[key]

    # ------------------------------------------------------------------ GX objects
    def _compile(self) -> None:
        if self._checkpoint is not None:
            return
        gx = import_gx()
        context = _context()
        suite = build_suite(self.contract)
        name = suite.name
        try:
            context.suites.delete(name)
        except Exception:  # not there yet
            pass
        suite = context.suites.add(suite)
        asset = context.data_sources.get("driftline").add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe("whole")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        self._checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=name,
                validation_definitions=[definition],
                actions=[],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": N_SAMPLES},
            )
        )
        self._suite = suite

    @property
    def n_checks(self) -> int:
        """Number of expectations in the compiled suite."""
        self._compile()
        return len(self._suite.expectations)

    def run(self, frame: pd.DataFrame, batch_id: str) -> tuple[Any, list[Failure]]:
        """Run the checkpoint on ``frame``; return the GX result key and the failures."""
        gx = import_gx()
        with _LOCK:
            self._compile()
            context = _context()
            _activate(context)
            run_id = gx.RunIdentifier(run_name=re.sub(r"[^A-Za-z0-9._-]+", "_", batch_id))
            try:
                result = self._checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
            except Exception as exc:  # GX crashed on this data: report, do not raise
                message = (
                    f"Great Expectations could not validate the batch ({type(exc).__name__}: {exc})"
                )
                return None, [Failure("driftline_gx_error", "check_error", None, message)]
            key, suite_result = next(iter(result.run_results.items()))
            _prune_results(context)
        failures = [_to_failure(r) for r in suite_result.results if not r.success]
        return key, failures

    def build_docs(self, docs_dir: str | os.PathLike[str], result_key: Any = None) -> str:
        """Build Data Docs (suite and, if given, this validation) into ``docs_dir``."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        root = Path(docs_dir).resolve()
        root.mkdir(parents=True, exist_ok=True)
        with _LOCK:
            self._compile()
            context = _context()
            _activate(context)
            site = "driftline_" + hashlib.sha1(str(root).encode()).hexdigest()[:12]
            sites = context.list_data_docs_sites()
            if site not in sites:
                for old in list(sites)[: max(0, len(sites) - KEEP_SITES + 1)]:
                    context.delete_data_docs_site(old)
                context.add_data_docs_site(
                    site,
                    {
                        "class_name": "SiteBuilder",
                        "show_how_to_buttons": False,
                        "store_backend": {
                            "class_name": "TupleFilesystemStoreBackend",
                            "base_directory": str(root),
                        },
                        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    },
                )
            ids = [ExpectationSuiteIdentifier(name=self._suite.name)]
            if result_key is not None:
                ids.append(result_key)
            context.build_data_docs(site_names=[site], resource_identifiers=ids)
        index = root / "index.html"
        if not index.is_file():  # pragma: no cover - GX logs rendering errors instead of raising
            raise ConfigError(
                fail(f"Great Expectations wrote no {index}", "check the GX log output")
            )
        return str(index)


def validate(
    source_or_df: str | os.PathLike[str] | pd.DataFrame,
    contract: DataContract | str | os.PathLike[str],
    *,
    batch_id: str,
    docs_dir: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_rows: int = 0,
) -> ValidationReport:
    """Validate one batch against a data contract.

    Parameters
    ----------
    source_or_df : path, ``s3://`` URI or DataFrame
        The batch (CSV, CSV.gz or Parquet when a path/URI).
    contract : DataContract or path
        The contract, or the path of its YAML/JSON file.
    batch_id : str
        Name of the batch in the report and in Data Docs.
    docs_dir : path, optional
        Folder to build Data Docs into (``index.html`` at its root).
    settings : Settings, optional
        For ``s3://`` sources (default: from the environment).
    max_bytes : int
        Refuse larger files (a ``too_large`` failure).
    min_rows : int
        Refuse a batch with rows but fewer than this (a ``too_few_rows`` failure naming
        ``DRIFTLINE_MIN_BATCH_ROWS``, the pipeline's minimum; the contract's own
        ``min_rows`` is checked by its suite).

    Returns
    -------
    ValidationReport
        ``passed`` is False when the reader found a problem or an expectation failed.
    """
    if not batch_id:
        raise ConfigError(fail("batch_id is empty", "name the batch, e.g. after its file"))
    if not isinstance(contract, DataContract):
        contract = DataContract.from_file(contract)
    if isinstance(source_or_df, pd.DataFrame):
        source = "<DataFrame>"
        frame, problems = conform(source_or_df, contract)
    else:
        read = read_batch(source_or_df, contract, settings, max_bytes=max_bytes)
        source, frame, problems = read.source, read.frame, read.problems
    validator = Validator.for_contract(contract)
    key, gx_failures = (None, []) if frame is None else validator.run(frame, batch_id)
    docs = None if docs_dir is None else validator.build_docs(docs_dir, key)
    n_rows = 0 if frame is None else len(frame)
    if frame is not None and 0 < n_rows < min_rows:
        problems = (*problems, too_few_rows(n_rows, min_rows))
    notes = tuple(p.message for p in problems if p.note)
    failures = merge_failures([p for p in problems if not p.note], gx_failures, contract, n_rows)
    return ValidationReport(
        batch_id=batch_id,
        passed=not failures,
        n_rows=n_rows,
        failures=tuple(failures),
        n_checks=validator.n_checks,
        source=source,
        contract_name=contract.name,
        contract_version=contract.version,
        contract_path=contract.path,
        data_docs=docs,
        validated_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        n_duplicate_rows=_duplicates(frame),
        notes=notes,
    )


def too_few_rows(n_rows: int, min_rows: int) -> Problem:
    """The ``too_few_rows`` problem of a batch below the pipeline's minimum.

    >>> print(too_few_rows(2, 10).message)
    batch has 2 rows, fewer than the 10 Driftline needs to test drift and to train and gate a model (DRIFTLINE_MIN_BATCH_ROWS=10): deliver it together with the next rows, or lower DRIFTLINE_MIN_BATCH_ROWS
    """
    detail = fail(
        f"batch has {n_rows} rows, fewer than the {min_rows} Driftline needs to test drift "
        f"and to train and gate a model (DRIFTLINE_MIN_BATCH_ROWS={min_rows})",
        "deliver it together with the next rows, or lower DRIFTLINE_MIN_BATCH_ROWS",
    )
    return Problem("too_few_rows", None, detail, count=n_rows)


def _duplicate_count(frame: pd.DataFrame) -> int:
    """Rows identical to an earlier row of the batch (0 when the frame is unhashable)."""
    try:
        return int(frame.duplicated().sum())
    except TypeError:  # unhashable cells (lists from Parquet): not countable, not an error
        return 0


def _duplicates(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None or frame.empty else _duplicate_count(frame)


# ---------------------------------------------------------------------- merging
def problem_failure(problem: Problem) -> Failure:
    """The :class:`Failure` reporting a reader problem."""
    return Failure(
        check=problem.check,
        kind=problem.kind,
        column=problem.column,
        message=problem.message,
        unexpected_count=problem.count or None,
        unexpected_values=tuple(json_safe(list(problem.values))),
        unexpected_rows=problem.rows,
        source="reader",
    )


def merge_failures(
    problems: tuple[Problem, ...] | list[Problem],
    gx_failures: list[Failure],
    contract: DataContract,
    n_rows: int,
) -> list[Failure]:
    """Reader problems first, then the failed expectations they do not already explain.

    A failed expectation is dropped when a reader problem covers the same check and
    column (see :data:`~driftline.validation.problems.COVERED_BY`), when its column is
    missing, when it is a null-rate failure that only the reader's coercions (text or inf
    turned into nulls) caused, or a range failure that only inf values caused.
    """
    failures = [problem_failure(p) for p in problems]
    covered = {(p.check, p.column) for p in problems}
    covered |= {(p.check, None) for p in problems if p.column is None or p.kind.endswith("_column")}
    missing = {p.column for p in problems if p.kind == "missing_column"}
    nulled: Counter[str] = Counter()
    infs: Counter[str] = Counter()
    for p in problems:
        if p.column is not None:
            nulled[p.column] += p.n_nulled
            if p.kind == "inf_values":
                infs[p.column] += p.count
    for f in gx_failures:
        col = f.column
        if col in missing or (f.check, col) in covered:
            continue
        if f.kind == "too_many_nulls" and col is not None and nulled[col]:
            allowed = contract.column(col).max_null_rate * n_rows
            if (f.unexpected_count or 0) - nulled[col] <= allowed:
                continue
        if f.kind == "out_of_range" and col is not None and infs[col]:
            if (f.unexpected_count or 0) <= infs[col]:
                continue
        failures.append(f)
    return failures


def _to_failure(result: Any) -> Failure:
    """Turn one failed GX ``ExpectationValidationResult`` into a :class:`Failure`."""
    config = result.expectation_config
    kwargs = config.kwargs
    check, col = config.type, kwargs.get("column")
    kind = (config.meta or {}).get(META_KEY, "expectation")
    res: Mapping[str, Any] = result.result or {}
    count = res.get("unexpected_count")
    values = tuple(json_safe(list(res.get("partial_unexpected_list") or [])))
    rows = tuple(int(i) for i in (res.get("partial_unexpected_index_list") or []) if _is_int(i))
    observed = json_safe(res.get("observed_value"))
    error = _exception_message(result.exception_info)
    where = "table" if col is None else f"column {col!r}"
    if error:
        kind, message = "check_error", f"check {check} on {where} could not run: {error}"
    elif kind == "columns":
        mismatch = (res.get("details") or {}).get("mismatched") or {}
        parts = [f"{k} {sorted(v)}" for k, v in sorted(mismatch.items()) if v]
        message = "columns do not match the contract: " + (
            ", ".join(parts) or f"observed {observed}"
        )
    elif kind == "row_count":
        hi = "any" if kwargs.get("max_value") is None else kwargs.get("max_value")
        message = (
            f"batch has {observed} rows, the contract requires {kwargs.get('min_value')}..{hi}"
        )
    elif kind == "wrong_type":
        message = (
            f"{where} has type {observed}, the contract expects one of {kwargs.get('type_list')}"
        )
    elif kind == "too_many_nulls":
        values = ()  # all null: nothing to show but the rows
        limit = 1.0 - float(kwargs.get("mostly", 1.0))
        pct = res.get("unexpected_percent") or 0.0
        message = (
            f"{where} has {_plural(count, 'null')} ({pct:.1f}%), "
            f"the contract allows at most {limit:.1%}"
        )
    elif kind == "out_of_range":
        lo, hi = (_fmt(kwargs.get(k)) for k in ("min_value", "max_value"))
        sample = ", ".join(_fmt(v) for v in values[:3])
        message = f"{where} has {_plural(count, 'value')} outside [{lo}, {hi}], e.g. [{sample}]"
    elif kind == "inf_values":
        message = f"{where} has {_plural(count, 'inf value')}"
    elif kind == "unseen_categories":
        unseen = sorted(set(values), key=str)
        message = f"{where} has unseen categories {unseen} ({_plural(count, 'value')})"
    else:
        message = f"{where} failed {check} (observed {observed})"
    return Failure(check, kind, col, message, observed, count, values, rows, "gx")


def _exception_message(info: Any) -> str | None:
    if not isinstance(info, Mapping):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, Mapping) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fmt(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _is_int(value: Any) -> bool:
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return True


def _prune_results(context: Any) -> None:
    store = context.validation_results_store
    keys = store.list_keys()
    if len(keys) > KEEP_RESULTS:
        keys = sorted(keys, key=lambda k: str(k.run_id.run_time))
        for key in keys[: len(keys) - KEEP_RESULTS]:
            store.remove_key(key)
