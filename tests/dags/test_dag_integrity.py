"""Every DAG file imports cleanly under Airflow 3.3, with tags and retries, and makes no
connection lookup and no DB query at parse time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted(p for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def dagbag_and_probes(monkeypatch_module):
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import BaseHook
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    queries: list[str] = []
    lookups: list[str] = []

    def record_query(conn, cursor, statement, *args):
        queries.append(statement)

    def record_lookup(cls, conn_id, *args, **kwargs):
        lookups.append(conn_id)
        raise AssertionError(f"connection {conn_id!r} looked up at parse time")

    monkeypatch_module.setattr(BaseHook, "get_connection", classmethod(record_lookup))
    event.listen(Engine, "before_cursor_execute", record_query)
    try:
        bag = DagBag(dag_folder=str(ROOT / "dags"))
    finally:
        event.remove(Engine, "before_cursor_execute", record_query)
    return bag, queries, lookups


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_there_are_dag_files():
    assert DAG_FILES, "no DAG files under dags/"


def test_no_import_errors(dagbag_and_probes):
    bag, _, _ = dagbag_and_probes
    assert bag.import_errors == {}
    assert bag.dags, "no DAGs were collected"


def test_no_connection_or_db_access_at_parse_time(dagbag_and_probes):
    _, queries, lookups = dagbag_and_probes
    assert lookups == []
    assert queries == []


def test_tags_retries_and_owner(dagbag_and_probes):
    bag, _, _ = dagbag_and_probes
    for dag_id, dag in bag.dags.items():
        assert dag.tags and "driftline" in dag.tags, f"{dag_id} needs the 'driftline' tag"
        for t in dag.tasks:
            assert t.retries >= 1, f"{dag_id}.{t.task_id} has no retries"


def test_each_file_parses_alone_quickly_in_a_fresh_process():
    """Import each DAG file in a clean interpreter (catches import-order dependencies)."""
    import os

    # Airflow puts the dags and plugins folders on sys.path; do the same, nothing more
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "dags"), str(ROOT / "plugins")])}
    for path in DAG_FILES:
        out = subprocess.run(
            [sys.executable, "-c", f"import runpy; runpy.run_path({str(path)!r})"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert out.returncode == 0, f"{path.name}: {out.stderr[-1500:]}"


def test_ruff_finds_no_airflow2_idioms():
    ruff = Path(sys.executable).parent / "ruff"
    out = subprocess.run(
        [str(ruff), "check", "--select", "AIR", "--preview", "dags", "plugins", "include"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
