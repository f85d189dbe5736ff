"""Reliability catalogue, bad input: every malformed batch through the real pipeline steps.

Each case lands a file in the landing prefix of a real S3 server and runs the calls the
DAGs make, in order: :func:`driftline.flow.claim_next` (landing sensor), then
:func:`~driftline.flow.resolve_batch`, :func:`~driftline.flow.validate_batch` and
:func:`~driftline.flow.quarantine_batch` or :func:`driftline.batches.mark_processed`
(continual training). Each test checks the message names the problem and the next step, the
batch ends quarantined (with its report) or processed exactly once, and no object is lost:
every delivered file is still in exactly one place. Listed in ``docs/reliability.md``.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from driftline import batches, flow, s3
from driftline.errors import ConfigError, DataError
from driftline.settings import Settings
from driftline.validation import DataContract
from tests.conftest import environ

pytestmark = pytest.mark.integration

COLOURS = ["red", "green", "blue"]


def make_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Two bounded numeric features, a colour and a binary label."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x1": rng.uniform(0, 1, n),
            "x2": rng.uniform(0, 1, n),
            "colour": rng.choice(COLOURS, n),
            "label": rng.integers(0, 2, n),
        }
    )


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def put_contract(settings: Settings, tmp_path, **options) -> DataContract:
    """Store the contract of ``make_frame`` data as the settings' active contract."""
    contract = DataContract.infer(
        make_frame(1000, seed=1),
        "label",
        name=settings.model_name,
        bounds={"x1": (0.0, 1.0), "x2": (0.0, 1.0)},
        **options,
    )
    path = tmp_path / f"contract-{uuid.uuid4().hex[:6]}.yaml"
    contract.to_file(path)
    s3.client(settings).upload_file(str(path), settings.bucket_reports, flow.contract_key(settings))
    return contract


@pytest.fixture(scope="module")
def base(services, tmp_path_factory):
    """Own buckets, model name, monitoring DB and state dir for this module."""
    tag = uuid.uuid4().hex[:6]
    env = {
        "DRIFTLINE_MONITORING_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('mon') / 'm.db'}",
        "DRIFTLINE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
    }
    with environ(env):
        settings = services.with_(
            bucket_landing=f"rel-{tag}-landing",
            bucket_quarantine=f"rel-{tag}-quarantine",
            bucket_reports=f"rel-{tag}-reports",
            model_name=f"rel-{tag}",
        )
        s3.ensure_buckets(settings)
        put_contract(settings, tmp_path_factory.mktemp("contract"))
        yield settings


@pytest.fixture
def env(base):
    """A fresh landing prefix per test (the contract and buckets are shared)."""
    return base.with_(landing_prefix=f"in-{uuid.uuid4().hex[:6]}/")


def land(settings: Settings, name: str, body: bytes) -> str:
    key = settings.landing_prefix + name
    s3.client(settings).put_object(Bucket=settings.bucket_landing, Key=key, Body=body)
    return key


def keys(settings: Settings, bucket: str, prefix: str) -> list[str]:
    client = s3.client(settings)
    out: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


def body_of(settings: Settings, bucket: str, key: str) -> bytes:
    return s3.client(settings).get_object(Bucket=bucket, Key=key)["Body"].read()


@dataclass
class Outcome:
    claim: dict
    batch: dict | None = None
    validation: dict | None = None
    quarantine: dict | None = None
    processed: batches.BatchRef | None = None


def run_batch(settings: Settings) -> Outcome:
    """The DAG calls for the oldest landed file: claim, resolve, validate, route."""
    claimed = flow.claim_next(settings)
    out = Outcome(claimed)
    if claimed["outcome"] != "claimed":
        return out
    out.batch = flow.resolve_batch(claimed["batch"]["batch_id"], settings=settings)
    out.validation = flow.validate_batch(out.batch, settings=settings)
    if out.validation["passed"]:
        out.processed = batches.mark_processed(batches.load_ref(out.batch, settings), settings)
    else:
        out.quarantine = flow.quarantine_batch(out.batch, out.validation, settings=settings)
    return out


def where(settings: Settings, body: bytes, batch_id: str | None = None) -> list[str]:
    """Every place (bucket/key) holding exactly ``body``: a batch must be in one place."""
    found = []
    for bucket, prefix in (
        (settings.bucket_landing, settings.landing_prefix),
        (settings.bucket_landing, batches.CLAIMED),
        (settings.bucket_landing, batches.PROCESSED),
        (settings.bucket_landing, batches.DUPLICATES),
        (settings.bucket_quarantine, batch_id + "/" if batch_id else ""),
    ):
        for key in keys(settings, bucket, prefix):
            if not key.endswith(".json") and body_of(settings, bucket, key) == body:
                found.append(f"{bucket}/{key}")
    return found


# ------------------------------------------------------------------ quarantined inputs
def _frame(change: Callable[[pd.DataFrame], pd.DataFrame], seed: int) -> Callable[[], bytes]:
    return lambda: csv(change(make_frame(seed=seed)))


def _with(column: str, values: Callable[[pd.DataFrame], object]):
    def change(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df[column] = values(df)
        return df

    return change


def _text_in_x1(df):
    out = df["x1"].astype(object)
    out.iloc[:25] = "n/a-text"
    return out


def _nan_in_x1(df):
    out = df["x1"].copy()
    out.iloc[::4] = np.nan
    return out


def _inf_in_x2(df):
    out = df["x2"].copy()
    out.iloc[[3, 7]] = [np.inf, -np.inf]
    return out


def _unseen_colour(df):
    out = df["colour"].copy()
    out.iloc[::3] = "purple"
    return out


BAD = {
    # case id: (file name, body, failure kind, words the message must contain)
    "unparseable_csv": (
        "garbage.csv",
        lambda: b"\xff\xfe\x00\x01binary\x00\x9c" * 50,
        "unreadable",
        ["could not be parsed as csv"],
    ),
    "unparseable_parquet": (
        "garbage.parquet",
        lambda: b"PAR1 this is not a parquet file" * 20,
        "unreadable",
        ["could not be parsed as parquet"],
    ),
    "empty_file": ("empty.csv", lambda: b"", "empty_file", ["file is empty"]),
    "zero_rows": (
        "header-only.csv",
        lambda: csv(make_frame().iloc[:0]),
        "no_rows",
        ["header but no rows"],
    ),
    "missing_column": (
        "no-x2.csv",
        _frame(lambda df: df.drop(columns=["x2"]), 2),
        "missing_column",
        ["'x2'", "missing"],
    ),
    "extra_column": (
        "extra.csv",
        _frame(_with("x9", lambda df: 1.0), 3),
        "extra_column",
        ["'x9'", "not in the contract"],
    ),
    "renamed_column": (
        "renamed.parquet",
        lambda: parquet(make_frame(seed=4).rename(columns={"x1": "X1"})),
        "missing_column",
        ["'x1'", "missing"],
    ),
    "wrong_dtype": (
        "text-in-x1.csv",
        _frame(_with("x1", _text_in_x1), 5),
        "wrong_type",
        ["'x1'", "not a number", "n/a-text"],
    ),
    "nan_values": (
        "nan.csv",
        _frame(_with("x1", _nan_in_x1), 6),
        "too_many_nulls",
        ["'x1'", "100 nulls"],
    ),
    "inf_values": (
        "inf.parquet",
        lambda: parquet(_with("x2", _inf_in_x2)(make_frame(seed=7))),
        "inf_values",
        ["'x2'", "2 inf values"],
    ),
    "unseen_categories": (
        "purple.csv",
        _frame(_with("colour", _unseen_colour), 8),
        "unseen_categories",
        ["'colour'", "purple"],
    ),
    "missing_label": (
        "no-label.csv",
        _frame(lambda df: df.drop(columns=["label"]), 9),
        "missing_column",
        ["'label'", "missing"],
    ),
    "repeated_header": (
        "repeated.csv",
        lambda: (
            make_frame(seed=30).to_csv(index=False, header=["x1", "x1", "colour", "label"]).encode()
        ),
        "extra_column",
        ["column 'x1' appears more than once"],
    ),
    "semicolon_delimited": (
        "semicolons.csv",
        lambda: make_frame(seed=31).to_csv(index=False, sep=";").encode(),
        "wrong_delimiter",
        ["the file looks ';'-delimited; Driftline reads comma-separated CSV"],
    ),
    "tab_delimited": (
        "tabs.csv",
        lambda: make_frame(seed=32).to_csv(index=False, sep="\t").encode(),
        "wrong_delimiter",
        ["the file looks tab-delimited"],
    ),
    "parquet_text_columns": (
        "text.parquet",
        lambda: parquet(make_frame(seed=33).astype(str)),
        "wrong_type",
        ["column 'x1' is stored as text (Parquet type string", "the contract expects numbers"],
    ),
    "boolean_labels": (
        "bool-labels.csv",
        _frame(_with("label", lambda df: df["label"].astype(bool)), 34),
        "wrong_type",
        ["column 'label' has", "boolean values", "the contract expects integer categories [0, 1]"],
    ),
    "two_rows": (
        "two-rows.csv",
        lambda: csv(make_frame(2, seed=35)),
        "too_few_rows",
        ["batch has 2 rows, fewer than the 10", "DRIFTLINE_MIN_BATCH_ROWS"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_batch_is_quarantined_with_a_clear_report(env, case):
    name, make_body, kind, words = BAD[case]
    body = make_body()
    land(env, name, body)
    out = run_batch(env)
    assert out.claim["outcome"] == "claimed", out.claim
    batch_id = out.batch["batch_id"]
    validation = out.validation
    assert validation["passed"] is False
    failure = next((f for f in validation["failures"] if f["kind"] == kind), None)
    assert failure is not None, validation["failures"]
    for word in words:
        assert word in failure["message"], failure["message"]
    # the message says what to do; the quarantine message names the batch and the next step
    stored = json.loads(body_of(env, env.bucket_quarantine, f"{batch_id}/validation.json").decode())
    assert stored["failures"] == validation["failures"]
    assert batch_id in out.quarantine["message"] and "Next step" in out.quarantine["message"]
    # exactly one copy, in quarantine, byte for byte; nothing claimed or processed
    assert where(env, body, batch_id) == [f"{env.bucket_quarantine}/{batch_id}/{name}"]
    assert batches.list_claimed(env).count(batch_id) == 0
    assert batch_id not in [h.batch_id for h in batches.history(env)]
    assert flow.claim_next(env)["outcome"] == "empty"


def test_batch_larger_than_the_limit_is_refused_without_loading_it(env):
    small = env.with_(max_batch_bytes=4096)  # the limit set low: no big allocation needed
    body = csv(make_frame(400, seed=10))
    assert len(body) > 4096
    land(small, "big.csv", body)
    out = run_batch(small)
    assert out.claim["outcome"] == "claimed" and out.claim["batch"]["size"] == len(body)
    (failure,) = out.validation["failures"]
    assert failure["kind"] == "too_large"
    assert "4096 bytes" in failure["message"] and "DRIFTLINE_MAX_BATCH_BYTES" in failure["message"]
    assert "split the batch" in failure["message"]
    batch_id = out.batch["batch_id"]
    assert where(small, body, batch_id) == [f"{small.bucket_quarantine}/{batch_id}/big.csv"]


def test_the_batch_size_limit_is_a_setting():
    assert Settings.from_env({}).max_batch_bytes == 256 * 2**20
    assert Settings.from_env({"DRIFTLINE_MAX_BATCH_BYTES": "1000"}).max_batch_bytes == 1000
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"DRIFTLINE_MAX_BATCH_BYTES": "0"})
    assert "DRIFTLINE_MAX_BATCH_BYTES" in str(info.value)


# ------------------------------------------------------------------ processed inputs
def test_duplicate_rows_are_counted_and_processed_once(env):
    frame = make_frame(300, seed=11)
    body = csv(pd.concat([frame, frame.iloc[:40]], ignore_index=True))
    land(env, "dup-rows.csv", body)
    out = run_batch(env)
    assert out.validation["passed"] is True, out.validation["failures"]
    assert out.validation["n_duplicate_rows"] == 40
    batch_id = out.batch["batch_id"]
    assert where(env, body) == [f"{env.bucket_landing}/processed/{batch_id}/dup-rows.csv"]


def test_labels_written_as_decimals_are_processed_and_noted(env):
    body = csv(_with("label", lambda df: df["label"].astype(float))(make_frame(300, seed=36)))
    land(env, "decimal-labels.csv", body)
    out = run_batch(env)
    assert out.validation["passed"] is True, out.validation["failures"]
    (note,) = out.validation["notes"]
    assert note.startswith("column 'label' has 300 whole numbers written as decimals")
    assert out.processed is not None


def test_the_minimum_batch_rows_is_a_setting():
    assert Settings.from_env({}).min_batch_rows == 10
    assert Settings.from_env({"DRIFTLINE_MIN_BATCH_ROWS": "1"}).min_batch_rows == 1
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"DRIFTLINE_MIN_BATCH_ROWS": "0"})
    assert "DRIFTLINE_MIN_BATCH_ROWS" in str(info.value)


def test_the_same_batch_delivered_twice_is_processed_once(env):
    body = csv(make_frame(300, seed=12))
    land(env, "week-01.csv", body)
    first = run_batch(env)
    assert first.processed is not None
    batch_id = first.batch["batch_id"]
    land(env, "week-01-resent.csv", body)  # same content, another name
    second = run_batch(env)
    assert second.claim["outcome"] == "duplicate"
    assert batch_id in second.claim["message"] and "kept at" in second.claim["message"]
    places = where(env, body)
    assert places[0] == f"{env.bucket_landing}/processed/{batch_id}/week-01.csv"
    assert len(places) == 2 and places[1].startswith(f"{env.bucket_landing}/duplicates/{batch_id}/")
    assert [h.batch_id for h in batches.history(env)].count(batch_id) == 1
    assert batches.list_claimed(env) == []


def test_a_quarantined_batch_delivered_again_after_a_fix_is_processed(env, tmp_path):
    fixed = env.with_(model_name=f"{env.model_name}-fix")
    put_contract(fixed, tmp_path)
    body = csv(_with("x9", lambda df: 0.5)(make_frame(300, seed=13)))
    land(fixed, "extra.csv", body)
    first = run_batch(fixed)
    assert first.quarantine is not None
    # the owner allows extra columns in the contract, then delivers the same file again
    put_contract(fixed, tmp_path, allow_extra_columns=True)
    land(fixed, "extra.csv", body)
    second = run_batch(fixed)
    assert second.claim["outcome"] == "claimed", second.claim  # not sidelined as a duplicate
    assert second.validation["passed"] is True
    batch_id = second.batch["batch_id"]
    assert batch_id == first.batch["batch_id"]
    assert f"{env.bucket_landing}/processed/{batch_id}/extra.csv" in where(fixed, body, batch_id)


def test_two_batches_landing_at_once_are_each_claimed_once(env):
    env = env.with_(bucket_landing=f"{env.bucket_landing[:40]}-burst")  # its own history
    s3.ensure_buckets(env)
    bodies = {f"burst-{i}.csv": csv(make_frame(200, seed=20 + i)) for i in range(3)}
    for name, body in bodies.items():
        land(env, name, body)
    outcomes: list[dict] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker():
        start.wait()
        try:
            while (result := flow.claim_next(env))["outcome"] != "empty":
                outcomes.append(result)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert {o["outcome"] for o in outcomes} <= {"claimed", "gone"}, outcomes
    claimed_ids = {o["batch"]["batch_id"] for o in outcomes if o["outcome"] == "claimed"}
    assert sorted(batches.list_claimed(env)) == sorted(claimed_ids)
    assert len(claimed_ids) == 3
    for name, body in bodies.items():  # each file in exactly one place: claimed/<id>/<name>
        (place,) = where(env, body)
        assert place.startswith(f"{env.bucket_landing}/claimed/") and place.endswith(name)
    # then each claimed batch runs once through the training DAG's steps
    for _ in range(3):
        batch = flow.resolve_batch(settings=env)
        assert flow.validate_batch(batch, settings=env)["passed"]
        batches.mark_processed(batches.load_ref(batch, env), env)
    assert flow.resolve_batch(settings=env) is None
    assert sorted(h.batch_id for h in batches.history(env)) == sorted(claimed_ids)


# ------------------------------------------------------------------ keys
@pytest.mark.parametrize("name", ["we ek.csv", "semi;colon.csv", "quote'.csv", "week.exe"])
def test_a_key_with_odd_characters_is_quarantined_with_its_reason(env, name):
    body = csv(make_frame(50, seed=sum(map(ord, name))))  # one body per case
    land(env, name, body)
    out = run_batch(env)
    assert out.claim["outcome"] == "rejected"
    assert repr(env.landing_prefix + name) in out.claim["message"]
    (place,) = where(env, body)
    assert place.startswith(f"{env.bucket_quarantine}/rejected-keys/")
    reason = json.loads(
        body_of(env, env.bucket_quarantine, place.split("/", 1)[1] + ".reason.json")
    )
    assert reason["source_key"] == env.landing_prefix + name
    assert flow.claim_next(env)["outcome"] == "empty"


def _alerts() -> list[dict]:
    from driftline.monitoring import MonitoringStore

    store = MonitoringStore.from_env()
    try:
        return store.alerts()
    finally:
        store.dispose()


def test_a_file_name_over_the_limit_is_rejected_and_alerted_and_the_queue_goes_on(env):
    """The 255-character name of the issue: refused at claim time (its batch id would be 260
    characters), moved to rejected-keys/ with its reason, alerted; the next file is processed."""
    name = "w" * 251 + ".csv"
    body = csv(make_frame(50, seed=40))
    key = land(env, name, body)
    land(env, "zz-after-the-long-one.csv", csv(make_frame(50, seed=41)))
    out = run_batch(env)
    assert out.claim["outcome"] == "rejected"
    message = out.claim["message"]
    assert "has a file name of 255 characters, more than the 200 Driftline accepts" in message
    assert "rename the file to at most 200 characters" in message
    (place,) = where(env, body)
    moved = place.split("/", 1)[1]
    assert moved.startswith("rejected-keys/") and len(moved) < 150
    reason = json.loads(body_of(env, env.bucket_quarantine, moved + ".reason.json"))
    assert reason["source_key"] == key and "200" in reason["reason"]
    alert = next(a for a in _alerts() if a["batch_id"] == "rejected-" + moved.rsplit("/", 1)[1])
    assert alert["rule"] == "quarantined_batch" and "255 characters" in alert["message"]
    nxt = run_batch(env)  # the queue goes on
    assert nxt.claim["outcome"] == "claimed" and nxt.processed is not None
    assert flow.claim_next(env)["outcome"] == "empty"


def test_a_file_name_at_the_limit_goes_through_every_step(env):
    """200 characters: a 205-character batch id; validation (Data Docs, report), publishing
    (run summary) and quarantine (report, alert) all write their keys and files."""
    ok_name = "a" * 196 + ".csv"
    body = csv(make_frame(50, seed=42))
    land(env, ok_name, body)
    out = run_batch(env)
    assert out.claim["outcome"] == "claimed" and len(out.batch["batch_id"]) == 205
    assert out.validation["passed"] and out.processed is not None
    summary = flow.publish(out.batch, settings=env)
    assert summary["processed_uri"].endswith(ok_name)
    bad_name = "b" * 196 + ".csv"
    land(env, bad_name, csv(_with("x9", lambda df: 1.0)(make_frame(50, seed=43))))
    bad = run_batch(env)
    assert bad.quarantine is not None
    batch_id = bad.batch["batch_id"]
    assert any(a["batch_id"] == batch_id and a["rule"] == "quarantined_batch" for a in _alerts())


def test_a_batch_failing_for_good_is_set_aside_and_the_next_is_processed(env, monkeypatch):
    """What the training DAG's failure callback does once a step failed on its last retry
    (the 2-row batch of the issue failed gate_and_promote on every try): the batch leaves
    claimed/ for failed/ with its error, the failure is alerted, the next batch is resolved,
    and the same file delivered again is claimed anew."""
    from types import SimpleNamespace

    from driftline_common import _alert_failure

    from driftline.errors import ModelError

    for var, value in {
        "DRIFTLINE_BUCKET_LANDING": env.bucket_landing,
        "DRIFTLINE_BUCKET_QUARANTINE": env.bucket_quarantine,
        "DRIFTLINE_BUCKET_REPORTS": env.bucket_reports,
        "DRIFTLINE_LANDING_PREFIX": env.landing_prefix,
        "DRIFTLINE_MODEL_NAME": env.model_name,
    }.items():
        monkeypatch.setenv(var, value)
    stuck, after = csv(make_frame(50, seed=44)), csv(make_frame(50, seed=45))
    land(env, "a-stuck.csv", stuck)
    land(env, "b-after.csv", after)
    assert flow.claim_next(env)["outcome"] == flow.claim_next(env)["outcome"] == "claimed"
    batch = flow.resolve_batch(settings=env)
    assert batch["key"].endswith("a-stuck.csv")
    error = ModelError("batch x: gating: Found array with 0 sample(s) (shape=(0, 3))")
    ti = SimpleNamespace(
        dag_id="driftline_continual_training",
        task_id="gate_and_promote",
        run_id="manual__stuck",
        try_number=4,
        xcom_pull=lambda task_ids: batch,
    )
    run = SimpleNamespace(dag_id=ti.dag_id, run_id=ti.run_id)
    _alert_failure({"ti": ti, "exception": error, "dag_run": run})

    batch_id = batch["batch_id"]
    assert where(env, stuck, f"failed/{batch_id}") == [
        f"{env.bucket_quarantine}/failed/{batch_id}/a-stuck.csv"
    ]
    report = json.loads(body_of(env, env.bucket_quarantine, f"failed/{batch_id}/error.json"))
    assert report["task_id"] == "gate_and_promote" and "0 sample(s)" in report["error"]
    alert = next(a for a in _alerts() if a["batch_id"] == batch_id)
    assert alert["rule"] == "failed_run"
    assert "gate_and_promote failed (try 4)" in alert["message"]
    assert (
        f"was set aside to s3://{env.bucket_quarantine}/failed/{batch_id}/a-stuck.csv"
        in (alert["message"])
    )
    assert batches.backlog_after(batch_id, env) == 1  # the next run is started
    nxt = flow.resolve_batch(settings=env)
    assert nxt["key"].endswith("b-after.csv")
    assert flow.validate_batch(nxt, settings=env)["passed"]
    batches.mark_processed(batches.load_ref(nxt, env), env)
    # once the cause is fixed, the same file delivered again is claimed, not a duplicate
    land(env, "a-stuck.csv", stuck)
    again = flow.claim_next(env)
    assert again["outcome"] == "claimed" and again["batch"]["batch_id"] == batch_id


@pytest.mark.parametrize(
    "requested, words",
    [
        ("{prefix}../secrets.csv", ["contains '..'"]),
        ("{prefix}sub/../../x.csv", ["contains '..'"]),
        ("../../etc/passwd", ["odd characters"]),
        ("week-01/../../other", ["odd characters"]),
        ("{prefix}never-delivered.csv", ["no object at"]),
    ],
)
def test_a_requested_batch_key_is_checked_before_use(env, requested, words):
    with pytest.raises(DataError) as info:
        flow.resolve_batch(requested.format(prefix=env.landing_prefix), settings=env)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"bucket": "driftline-mlflow"}, ["not the landing bucket"]),
        ({"key": "incoming/x.csv"}, ["outside claimed/ and processed/"]),
        ({"key": "claimed/w-1/../../x.csv"}, ["outside claimed/ and processed/"]),
        ({"batch_id": "other"}, ["outside claimed/ and processed/"]),
    ],
)
def test_a_forged_batch_reference_is_refused_by_every_step(env, change, words):
    good = {
        "batch_id": "w-1",
        "bucket": env.bucket_landing,
        "key": "claimed/w-1/w.csv",
        "source_key": "incoming/w.csv",
        "digest": "",
        "size": 1,
    }
    assert batches.load_ref(good, env).batch_id == "w-1"
    forged = {**good, **change}
    for step in (flow.validate_batch, flow.check_drift, flow.publish, flow.score):
        with pytest.raises(DataError) as info:
            step(forged, settings=env)
        for word in words:
            assert word in str(info.value), step
