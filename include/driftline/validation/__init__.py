"""Data contracts and batch validation with Great Expectations 1.x.

Infer a :class:`DataContract` from reference data, save it as an editable YAML file, then
:func:`validate` every new batch (CSV, CSV.gz or Parquet; local or ``s3://``) against it
and get a typed :class:`ValidationReport` (plus Great Expectations Data Docs).
"""

from driftline.validation.contract import ColumnSpec, DataContract
from driftline.validation.gx_suite import build_suite, suite_name
from driftline.validation.problems import Problem
from driftline.validation.readers import (
    DEFAULT_MAX_BYTES,
    BatchReader,
    CsvReader,
    ParquetReader,
    ReadResult,
    conform,
    read_batch,
    reader_for,
)
from driftline.validation.report import Failure, ValidationReport
from driftline.validation.validator import Validator, validate

__all__ = [
    "DEFAULT_MAX_BYTES",
    "BatchReader",
    "ColumnSpec",
    "CsvReader",
    "DataContract",
    "Failure",
    "ParquetReader",
    "Problem",
    "ReadResult",
    "ValidationReport",
    "Validator",
    "build_suite",
    "conform",
    "read_batch",
    "reader_for",
    "suite_name",
    "validate",
]
