"""docs/scaling.md: its examples parse, and its compose override really works."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import yaml

from driftline.topology import TOPOLOGY

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "scaling.md").read_text()
BLOCKS = [
    (lang, textwrap.dedent(body))
    for lang, body in re.findall(r"^[ \t]*```(\w+)\n(.*?)^[ \t]*```", DOC, re.M | re.S)
]


def yaml_blocks() -> list[str]:
    return [body for lang, body in BLOCKS if lang == "yaml"]


def test_every_yaml_example_parses():
    blocks = yaml_blocks()
    assert len(blocks) >= 4
    for body in blocks:
        assert yaml.safe_load(body) is not None


def test_the_override_example_adds_a_queue(compose, sentinel_env, tmp_path):
    [override] = [b for b in yaml_blocks() if b.startswith("# docker-compose.override.yaml")]
    path = tmp_path / "docker-compose.override.yaml"
    path.write_text(override)
    out = compose.run(sentinel_env, "-f", str(path), "config", "--format", "json")
    assert out.returncode == 0, out.stderr
    services = json.loads(out.stdout)["services"]
    reports = services["airflow-worker-reports"]
    assert reports["command"][reports["command"].index("--queues") + 1] == "reports"
    assert reports["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "mlflow" in reports["depends_on"]
    assert services["airflow-worker-training"]["deploy"]["resources"]["limits"]["cpus"] == 4


def test_the_helm_values_match_the_topology():
    [values] = [yaml.safe_load(b) for b in yaml_blocks() if "executor: CeleryExecutor" in b]
    assert values["executor"] == TOPOLOGY.airflow_settings["AIRFLOW__CORE__EXECUTOR"]
    assert (
        values["config"]["operators"]["default_queue"]
        == (TOPOLOGY.airflow_settings["AIRFLOW__OPERATORS__DEFAULT_QUEUE"])
    )
    queues = [s["queue"] for s in values["workers"]["celery"]["sets"]]
    assert queues == [
        q for q in TOPOLOGY.queues if q != values["config"]["operators"]["default_queue"]
    ]
    assert values["airflowVersion"] in (ROOT / "Dockerfile").read_text()


def test_the_doc_names_every_service():
    for service in TOPOLOGY.services:
        assert f"`{service}`" in DOC, service
