"""Checks and conversions of the values the monitoring store writes and reads.

Ids are non-empty strings of bounded length, choices come from a fixed list, numbers
are finite or ``None``, JSON is strict (no NaN), datetimes are timezone-aware UTC.

>>> json_safe({"a": float("nan"), "b": (1, 2)})
{'a': None, 'b': [1, 2]}
>>> finite_or_none("0.5"), finite_or_none(float("inf"))
(0.5, None)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from driftline.errors import ConfigError, fail

#: Longest id (batch id, model version, run id, ...) the store accepts.
MAX_ID = 250


def check_id(what: str, value: Any, limit: int = MAX_ID) -> str:
    """``value`` when it is a non-empty string of at most ``limit`` characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ConfigError(
            fail(
                f"{what} {value!r} is not a non-empty string",
                f"pass an id of at most {limit} characters",
            )
        )
    return value


def check_choice(what: str, value: Any, allowed: Sequence[str]) -> str:
    """``value`` when it is one of ``allowed``."""
    if value not in allowed:
        raise ConfigError(fail(f"{what} {value!r} is unknown", f"use one of {', '.join(allowed)}"))
    return value


def opt_id(what: str, value: Any) -> str | None:
    """``None``, or ``value`` as a checked id string."""
    return None if value is None else check_id(what, str(value))


def finite_or_none(value: Any) -> float | None:
    """A finite float or ``None`` (NaN, inf, missing and non-numbers become ``None``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def json_safe(value: Any) -> Any:
    """Strict-JSON-safe copy: non-finite floats become ``None``, tuples lists."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return json_safe(value.item())
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def report_dict(obj: Any) -> dict[str, Any]:
    """A report given as a mapping or an object with ``to_dict()``, as a ``dict``."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict())
    raise ConfigError(fail(f"cannot read a {type(obj).__name__} as a report", "pass a dict"))


def string_list(value: Any) -> list[str]:
    """One string or an iterable of values as a list of strings (``None``: empty)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def plain_row(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A result row as a ``dict`` with aware datetimes."""
    return {k: utc(v) if isinstance(v, datetime) else v for k, v in mapping.items()}
