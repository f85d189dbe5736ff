"""Report keys: one typed place (driftline.reports)."""

from __future__ import annotations

import pytest

from driftline.errors import ConfigError
from driftline.reports import ReportKeys, contract_key


def test_every_key_names_the_batch_and_its_prefix() -> None:
    keys = ReportKeys("b-01")
    assert {
        keys.validation,
        keys.datadocs,
        keys.drift,
        keys.drift_html,
        keys.decision,
        keys.adaptation,
        keys.run_summary,
        keys.predictions,
    } == {
        "validation/b-01.json",
        "datadocs/b-01/",
        "drift/b-01.json",
        "drift/b-01.html",
        "decisions/b-01.json",
        "adapt/b-01.json",
        "runs/b-01.json",
        "predictions/b-01.parquet",
    }
    assert contract_key("m") == "contracts/m.yaml"


@pytest.mark.parametrize("bad", ["", "a/b", "../x"])
def test_a_batch_id_that_cannot_name_a_report_is_refused(bad) -> None:
    with pytest.raises(ConfigError, match="cannot name a report"):
        ReportKeys(bad)
