"""Driftline: continual learning for tabular models, orchestrated by Apache Airflow 3."""

from driftline.errors import (
    ConfigError,
    DataError,
    DriftlineError,
    ModelError,
    PortInUseError,
    ServiceError,
)
from driftline.settings import Settings, get_settings

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "DriftlineError",
    "ModelError",
    "PortInUseError",
    "ServiceError",
    "Settings",
    "get_settings",
    "__version__",
]
