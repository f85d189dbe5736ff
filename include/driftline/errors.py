"""The one exception hierarchy of Driftline.

Every error raised on purpose by ``driftline`` derives from :class:`DriftlineError`
and also from the closest builtin (``ValueError``, ``RuntimeError``, ...), so callers
may catch either. Messages follow one style: *what is wrong* ``:`` *what to do*.
Airflow exceptions are raised only in ``dags/``.
"""

from __future__ import annotations


class DriftlineError(Exception):
    """Root of every Driftline error."""


class ConfigError(DriftlineError, ValueError):
    """A setting or parameter is invalid."""


class DataError(DriftlineError, ValueError):
    """Input data is malformed (unreadable, wrong schema, bad values)."""


class ServiceError(DriftlineError, RuntimeError):
    """An external service (S3, MLflow, Airflow) is unreachable or misbehaves."""


class PortInUseError(ServiceError):
    """A port the embedded stack needs is taken by another process."""


class ModelError(DriftlineError, RuntimeError):
    """Training, registration or promotion of a model failed."""


def fail(what: str, todo: str) -> str:
    """Format an error message in Driftline's one style.

    >>> fail("column 'x' is missing", "add it to the batch or edit the contract")
    "column 'x' is missing: add it to the batch or edit the contract"
    """
    return f"{what}: {todo}"
