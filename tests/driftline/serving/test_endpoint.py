"""The serving endpoint as the stack runs it, against real S3 + MLflow.

One ``serve`` process (started by :class:`driftline.stack.Stack`, as ``make serve`` does)
answers every test of the module; the champion is moved under it to check that it follows
the alias without a restart.
"""

from __future__ import annotations

import os
import time
import uuid

import httpx
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

from driftline.monitoring import MonitoringStore
from driftline.serving import check_live_drift, read_live
from driftline.stack import Stack
from driftline.training import Batch, ModelSpec, Registry, bootstrap, train_and_log

pytestmark = pytest.mark.integration

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), categorical=("c",))
FEATURES = list(SPEC.features)
SERVE_ENV = {
    "DRIFTLINE_SERVE_REFRESH_SECONDS": "1",
    "DRIFTLINE_SERVE_SAMPLE_FRACTION": "1",
    "DRIFTLINE_SERVE_FLUSH_SECONDS": "2",
}
DEADLINE = 120.0  # seconds for the endpoint to pick a new champion up (generous, loaded CI)


def make_frame(n: int, seed: int, flip: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.normal(0, 1, n),
            "x2": rng.normal(0, 1, n),
            "c": rng.choice(["a", "b", "c"], n),
        }
    )
    logit = 2.0 * df["x1"] - 1.5 * df["x2"] + np.where(df["c"] == "a", 1.0, -0.5)
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-(-logit if flip else logit)))).astype(int)
    return df


def wait_for(check, deadline: float = DEADLINE, what: str = "condition"):
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} not reached within {deadline} s (last: {last!r})")


@pytest.fixture(scope="module")
def served(services):
    s = services.with_(model_name=f"serve-{uuid.uuid4().hex[:8]}")
    bootstrap(Batch("b0", make_frame(800, 0), "s3://driftline-landing/b0.csv"), SPEC, s)
    saved = dict(os.environ)
    os.environ.update(SERVE_ENV)
    stack = Stack(s, ["serve"])
    try:
        stack.up(progress=lambda m: None)
        url = stack.urls()["serve"]
        client = httpx.Client(base_url=url, timeout=60)
        wait_for(lambda: client.get("/ready").status_code == 200, what="first champion loaded")
        yield {"settings": s, "stack": stack, "client": client, "url": url}
        client.close()
    finally:
        stack.down(progress=lambda m: None)
        os.environ.clear()
        os.environ.update(saved)


def records(frame: pd.DataFrame) -> dict:
    return {"dataframe_records": frame[FEATURES].to_dict(orient="records")}


def test_health_names_the_model_and_version(served):
    body = served["client"].get("/health").json()
    assert body["status"] == "ok" and body["model_name"] == served["settings"].model_name
    assert body["model_version"] == "1"
    info = served["client"].get("/model").json()
    assert [c["name"] for c in info["inputs"]] == FEATURES


def test_predictions_equal_the_champion_pyfunc(served):
    s = served["settings"]
    probe = make_frame(300, 5)
    resp = served["client"].post("/predict", json=records(probe))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    champion = mlflow.pyfunc.load_model(f"models:/{s.model_name}@champion")
    expected = champion.predict(probe[FEATURES])
    assert body["model_version"] == resp.headers["X-Driftline-Model-Version"] == "1"
    assert body["predictions"] == np.asarray(expected).tolist()
    proba = champion.get_raw_model().predict_proba(probe[FEATURES])
    np.testing.assert_allclose(body["probabilities"], proba, atol=1e-6)
    # the MLflow scoring-server route and the split shape give the same answer
    split = probe[FEATURES].to_dict(orient="split", index=False)
    again = served["client"].post("/invocations", json={"dataframe_split": split}).json()
    assert again["predictions"] == body["predictions"]


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda f: f.drop(columns=["x2"]), "x2"),
        (lambda f: f.assign(x1=["abc"] * len(f)), "x1"),
        (lambda f: f.assign(c=[1] * len(f)), "c"),
    ],
)
def test_a_bad_payload_gets_422_naming_the_column(served, change, column):
    frame = change(make_frame(5, 1)[FEATURES])
    resp = served["client"].post("/predict", json={"dataframe_records": frame.to_dict("records")})
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["column"] == column and repr(column) in body["error"]


def test_a_body_that_is_not_json_gets_400(served):
    resp = served["client"].post(
        "/predict", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400 and "not JSON" in resp.json()["error"]


def _row(x1: str = "0.5", x2: str = "0.1", c: str = '"a"') -> bytes:
    return f'{{"x1": {x1}, "x2": {x2}, "c": {c}}}'.encode()


#: Bad client input (raw JSON bodies): the answer and the words naming the problem.
BAD_INPUT = {
    "Infinity literal": (
        b'{"dataframe_records": [' + _row(x1="Infinity") + b"]}",
        422,
        "x1",
        "not a finite number",
    ),
    "-Infinity literal": (
        b'{"dataframe_records": [' + _row(x2="-Infinity") + b"]}",
        422,
        "x2",
        "not a finite number",
    ),
    "NaN literal": (b'{"dataframe_records": [' + _row(x1="NaN") + b"]}", 422, "x1", "null"),
    "1e308": (b'{"dataframe_records": [' + _row(x1="1e308") + b"]}", 422, "x1", "too large"),
    "1e400": (
        b'{"dataframe_records": [' + _row(x2="1e400") + b"]}",
        422,
        "x2",
        "not a finite number",
    ),
    "a 400-digit integer": (
        b'{"dataframe_records": [' + _row(x1="9" * 400) + b"]}",
        422,
        "x1",
        "not a finite number",
    ),
    "dataframe_split with a repeated column": (
        b'{"dataframe_split": {"columns": ["x1", "x1", "x2", "c"], "data": [[0.1, 0.2, 0.3, "a"]]}}',
        422,
        "x1",
        "appears more than once",
    ),
    "a key repeated in one record": (
        b'{"dataframe_records": [{"x1": 0.1, "x1": 0.2, "x2": 0.3, "c": "a"}]}',
        422,
        "x1",
        "appears more than once",
    ),
    "JSON nested 5,000 deep": (
        b'{"dataframe_records": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        400,
        None,
        "nests too deeply",
    ),
    "a value nested 5,000 deep": (
        b'{"dataframe_records": [' + _row(x1="[" * 5000 + "]" * 5000) + b"]}",
        400,
        None,
        "nests too deeply",
    ),
    "a value nested 500 deep": (
        b'{"dataframe_records": [' + _row(x1="[" * 500 + "]" * 500) + b"]}",
        422,
        "x1",
        "not a double",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_client_input_gets_4xx_naming_the_problem(served, case):
    """Non-finite or overflowing numbers, repeated columns and deep nesting are the
    client's problem: 400/422 with the column, never a 500 telling operators to roll back."""
    body, status, column, words = BAD_INPUT[case]
    resp = served["client"].post(
        "/predict", content=body, headers={"content-type": "application/json"}
    )
    print(case, resp.status_code, resp.text[:200])
    assert resp.status_code == status, resp.text
    answer = resp.json()
    assert answer["column"] == column and words in answer["error"], answer
    assert "roll back" not in answer["error"]
    if column is not None:
        assert repr(column) in answer["error"]
    # the endpoint still serves the next good request
    good = served["client"].post("/predict", content=b'{"dataframe_records": [' + _row() + b"]}")
    assert good.status_code == 200, good.text


def test_sampled_requests_reach_s3_and_the_monitoring_store(served):
    s = served["settings"]
    served["client"].post("/predict", json=records(make_frame(200, 7)))
    (live,) = wait_for(
        lambda: len(frame := read_live(s, version="1")) >= 200 and [frame],
        what="live sample in S3",
    )
    assert {"prediction", "model_version", "request_id", "received_at", *FEATURES} <= set(
        live.columns
    )
    store = MonitoringStore(f"sqlite:///{s.state_dir / 'monitoring.db'}")
    rows = wait_for(lambda: store.live_traffic(model_version="1"), what="live traffic recorded")
    assert sum(r["rows_sampled"] for r in rows) >= 200
    assert all(r["uri"].startswith(f"s3://{s.bucket_reports}/live/{s.model_name}/") for r in rows)
    # the drift check runs on the logged live traffic
    drift = check_live_drift(s)
    assert drift["model_version"] == "1" and drift["rows"] >= 200
    assert drift["report_uri"].startswith(f"s3://{s.bucket_reports}/drift/live/")


def test_a_promotion_is_served_without_a_restart(served):
    s = served["settings"]
    pid_before = served["stack"].pid(served["stack"].services()["serve"])
    history = [
        Batch("b0", make_frame(800, 0), "s3://driftline-landing/b0.csv"),
        Batch("b1", make_frame(800, 1, flip=True), "s3://driftline-landing/b1.csv"),
    ]
    trained = train_and_log("b1", "full_retrain", s, history=history)
    Registry(s.model_name, s.mlflow_tracking_uri).promote(trained.version)
    t0 = time.monotonic()
    probe = make_frame(100, 9)
    body = wait_for(
        lambda: (
            (b := served["client"].post("/predict", json=records(probe)).json())["model_version"]
            == trained.version
            and b
        ),
        what=f"version {trained.version} served",
    )
    print(f"new champion served after {time.monotonic() - t0:.1f} s")
    new = mlflow.pyfunc.load_model(f"models:/{s.model_name}/{trained.version}")
    assert body["predictions"] == np.asarray(new.predict(probe[FEATURES])).tolist()
    assert served["stack"].pid(served["stack"].services()["serve"]) == pid_before
