"""Load: small batches landing within a minute are each processed exactly once.

``DRIFTLINE_LOAD_BATCHES`` sets how many (default 5, to keep the test within about ten
minutes on a small machine); ``benchmarks/load_50_batches.py`` runs it with 50 and prints
the table. Runs on the private PostgreSQL-backed stack of the reliability tests, whose
training DAG defaults to ``strategy=none`` (``DRIFTLINE_TRAINING_STRATEGY``), so a batch
costs validation, drift tests and publishing but no training.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.reliability.load import run_load, table

pytestmark = pytest.mark.integration


def test_batches_landing_within_a_minute_are_each_processed_once(pg_stack):
    n = int(os.environ.get("DRIFTLINE_LOAD_BATCHES", "5"))
    result = run_load(
        pg_stack.settings, pg_stack.api, n, progress=lambda m: print(m, file=sys.stderr)
    )
    print("\n" + table(result), file=sys.stderr)
    report = os.environ.get("DRIFTLINE_LOAD_REPORT")
    if report:
        Path(report).write_text(json.dumps(result.to_dict(), indent=2))

    assert result.lost == []
    assert result.claimed_once == n  # one index entry per content, naming its batch
    assert result.processed_once + result.quarantined == n
    assert result.published == result.processed_once
    # each batch resolved by exactly one training run
    assert len(result.run_batches) == n
    assert all(count == 1 for count in result.run_batches.values()), result.run_batches
    assert result.max_active_runs == 1
    assert 1 <= result.max_running_training <= result.max_active_runs
    assert result.max_running_sensor <= 1
