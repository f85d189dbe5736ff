"""Where each step's report lives in the reports bucket: one typed place for every key.

======================  ===============================================================
key                     written by
======================  ===============================================================
``validation``          ``flow.validate_batch`` (the Great Expectations verdict)
``datadocs``            ``flow.validate_batch`` (the batch's Data Docs site, a prefix)
``drift``, ``drift_html``  ``flow.check_drift`` (:class:`~driftline.drift.DriftReport`)
``decision``            ``flow.decide`` (the policy's decision)
``adaptation``          ``flow.adapt`` (a label-free adaptation's outcome)
``run_summary``         ``flow.publish`` (what the run did, for the Driftline view)
``predictions``         :func:`driftline.training.inference.write_predictions`
======================  ===============================================================

>>> keys = ReportKeys("week-07")
>>> keys.drift, keys.decision, keys.datadocs
('drift/week-07.json', 'decisions/week-07.json', 'datadocs/week-07/')
>>> contract_key("elec2")
'contracts/elec2.yaml'
"""

from __future__ import annotations

from dataclasses import dataclass

from driftline.errors import ConfigError, fail


@dataclass(frozen=True)
class ReportKeys:
    """Keys of one batch's reports in the reports bucket (module docstring)."""

    batch_id: str

    def __post_init__(self) -> None:
        if not self.batch_id or "/" in self.batch_id:
            raise ConfigError(
                fail(
                    f"batch id {self.batch_id!r} cannot name a report",
                    "use the batch id the claim step returned (no '/', not empty)",
                )
            )

    @property
    def validation(self) -> str:
        return f"validation/{self.batch_id}.json"

    @property
    def datadocs(self) -> str:
        return f"datadocs/{self.batch_id}/"

    @property
    def drift(self) -> str:
        return f"drift/{self.batch_id}.json"

    @property
    def drift_html(self) -> str:
        return f"drift/{self.batch_id}.html"

    @property
    def decision(self) -> str:
        return f"decisions/{self.batch_id}.json"

    @property
    def adaptation(self) -> str:
        return f"adapt/{self.batch_id}.json"

    @property
    def run_summary(self) -> str:
        return f"runs/{self.batch_id}.json"

    @property
    def predictions(self) -> str:
        return f"predictions/{self.batch_id}.parquet"


def contract_key(model_name: str) -> str:
    """Key of a model's active data contract (editable YAML) in the reports bucket."""
    return f"contracts/{model_name}.yaml"
