"""Problems found while reading and conforming a batch, before Great Expectations runs.

A :class:`Problem` is one malformed aspect of a batch (unreadable file, missing column,
text in a numeric column, ...). Problems never raise: the validator turns each into a
failed check of the :class:`~driftline.validation.report.ValidationReport`. A problem
with ``note=True`` (kind ``coerced``: a lossless conversion the reader made, e.g. labels
written as ``1.0`` read as the integer ``1``) fails nothing; it is listed in the report's
``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ProblemKind = Literal[
    "unreadable",
    "too_large",
    "empty_file",
    "no_rows",
    "missing_column",
    "extra_column",
    "wrong_type",
    "all_null",
    "inf_values",
    "unseen_categories",
    "wrong_delimiter",
    "too_few_rows",
    "coerced",
]

#: The Great Expectations check that also catches each problem kind (if any). A failed
#: expectation of this type on the same column is reported once, as the reader's problem.
COVERED_BY: dict[str, str] = {
    "no_rows": "expect_table_row_count_to_be_between",
    "missing_column": "expect_table_columns_to_match_set",
    "extra_column": "expect_table_columns_to_match_set",
    "wrong_type": "expect_column_values_to_be_in_type_list",
    "all_null": "expect_column_values_to_not_be_null",
    "inf_values": "expect_column_values_to_not_be_in_set",
    "unseen_categories": "expect_column_values_to_be_in_set",
}


@dataclass(frozen=True)
class Problem:
    """One malformed aspect of a batch.

    Parameters
    ----------
    kind : str
        One of :data:`ProblemKind`.
    column : str or None
        The column concerned, ``None`` for file- or table-level problems.
    detail : str
        Human-readable description, starting with what is wrong.
    count : int
        Number of offending values (0 when not applicable).
    values : tuple
        A few offending values.
    rows : tuple of int
        Positions (0-based, data rows only) of a few offending rows.
    n_nulled : int
        Number of cells the reader turned into nulls while coercing the column.
    note : bool
        A lossless conversion to report, not a failure.

    Examples
    --------
    >>> Problem("inf_values", "price", "has 3 inf values", count=3).message
    "column 'price' has 3 inf values"
    >>> Problem("empty_file", None, "file is empty (0 bytes)").message
    'file is empty (0 bytes)'
    """

    kind: ProblemKind
    column: str | None
    detail: str
    count: int = 0
    values: tuple[Any, ...] = ()
    rows: tuple[int, ...] = ()
    n_nulled: int = 0
    note: bool = False

    @property
    def message(self) -> str:
        """The detail, prefixed with the column when there is one."""
        return self.detail if self.column is None else f"column {self.column!r} {self.detail}"

    @property
    def check(self) -> str:
        """Name of the check this problem fails (the covering GX expectation type if any)."""
        return COVERED_BY.get(self.kind, f"driftline_{self.kind}")
