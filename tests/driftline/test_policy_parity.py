"""The DAG's steps and the backtest decide the same on the same stream (one policy, one code).

A labelled stream (an abrupt concept change half-way, one partly labelled batch) is run
batch by batch through the functions the training DAG's tasks call (``driftline.flow``:
claim, resolve, validate, drift check, decision, training, gate, publish) on real S3 and
MLflow, and replayed by ``driftline backtest``'s ``driftline`` policy with the same
bootstrap. For every batch the concept test's p-value, the action, the chosen candidate,
the gate's verdict and its paired difference must agree: production and the policy suite
run the same statistics and rules (:class:`driftline.training.LabelledPolicy`).
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from tests.conftest import environ

pytestmark = pytest.mark.integration

ROWS = 500
N_BATCHES = 7  # 1 bootstrap + 6 labelled
FLIP_AT = 4


def stream() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = ROWS * N_BATCHES
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "c": rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2]),
        }
    )
    logit = 2.0 * df["x1"] - 1.5 * df["x2"] + np.where(df["c"] == "a", 0.5, -0.5)
    logit = np.where(np.arange(n) >= FLIP_AT * ROWS, -logit, logit)
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def partly_labelled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    keep = np.random.default_rng(5).random(len(out)) < 0.3
    out["y"] = out["y"].where(keep)  # 30 % of the rows labelled
    return out


@pytest.fixture(scope="module")
def production(services, tmp_path_factory):
    """Run every batch through the flow functions; collect what each step decided."""
    from driftline import flow, s3
    from driftline.settings import Settings

    name = f"parity-{uuid.uuid4().hex[:6]}"
    env = {
        "DRIFTLINE_MODEL_NAME": name,
        "DRIFTLINE_BUCKET_LANDING": f"{name}-landing",
        "DRIFTLINE_BUCKET_QUARANTINE": f"{name}-quarantine",
        "DRIFTLINE_BUCKET_REPORTS": f"{name}-reports",
        "DRIFTLINE_MONITORING_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('mon') / 'm.db'}",
        "DRIFTLINE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
    }
    frame = stream()
    batches = [
        frame.iloc[i * ROWS : (i + 1) * ROWS].reset_index(drop=True) for i in range(N_BATCHES)
    ]
    batches[5] = partly_labelled(batches[5])
    out = []
    with environ(env):
        s = Settings.from_env()
        s3.ensure_buckets(s)
        ref = tmp_path_factory.mktemp("ref") / "reference.csv"
        batches[0].to_csv(ref, index=False)
        boot = flow.bootstrap(str(ref), target="y", settings=s)
        assert boot["promoted"], boot
        # the contract must let a partly labelled batch through (documented for such streams)
        contract = flow.load_contract(s)
        import dataclasses

        contract = dataclasses.replace(
            contract,
            columns=tuple(
                dataclasses.replace(c, max_null_rate=1.0) if c.name == "y" else c
                for c in contract.columns
            ),
        )
        local = tmp_path_factory.mktemp("contract") / "contract.yaml"
        contract.to_file(local)
        s3.client(s).upload_file(str(local), s.bucket_reports, flow.contract_key(s))
        for i in range(1, N_BATCHES):
            body = batches[i].to_csv(index=False).encode()
            key = f"{s.landing_prefix}week-{i:02d}.csv"
            s3.client(s).put_object(Bucket=s.bucket_landing, Key=key, Body=body)
            claimed = flow.claim_next(s)
            assert claimed["outcome"] == "claimed", claimed
            batch = flow.resolve_batch(settings=s)
            validation = flow.validate_batch(batch, settings=s)
            assert validation["passed"], validation
            drift = flow.check_drift(batch, settings=s)
            decision = flow.decide(batch, drift, settings=s)
            trained = gate = None
            if decision["action"] in ("fine_tune", "full_retrain"):
                trained = flow.train(batch, decision["action"], settings=s)
                gate = flow.gate_and_promote(batch, trained, settings=s)
            flow.publish(batch, settings=s)
            report = flow._get_json(s, f"drift/{batch['batch_id']}.json")
            concept = next(r for r in report["extra_results"] if r.get("kind") == "concept")
            out.append(
                {
                    "drift": drift,
                    "decision": decision,
                    "trained": trained,
                    "gate": gate,
                    "concept_p": concept["p_value"],
                }
            )
    return out


@pytest.fixture(scope="module")
def replay():
    from driftline.backtest import BacktestConfig, infer_contract, run_backtest

    frame = stream()
    contract = infer_contract(frame.iloc[:ROWS], "y")  # integer labels: classification
    learn = frame.astype({"y": "float64"})  # batch 5 is partly labelled, as in production
    part = partly_labelled(frame.iloc[5 * ROWS : 6 * ROWS].reset_index(drop=True))
    learn.loc[5 * ROWS : 6 * ROWS - 1, "y"] = part["y"].to_numpy()
    config = BacktestConfig(
        target="y",
        batch_size=ROWS,
        bootstrap_batches=1,
        policies=("driftline",),
        validate=False,
        match_periodic=False,
    )
    return run_backtest(learn, config, contract=contract)


def test_every_step_decides_as_the_backtest(production, replay):
    steps = replay.run("driftline").steps
    # labels of the last batch are not learnt from in the replay (nothing left to score)
    assert len(steps) == N_BATCHES - 2 and len(production) == N_BATCHES - 1
    compared = 0
    for i, (prod, step) in enumerate(zip(production, steps, strict=False), start=1):
        where = f"batch {i}: production {prod['decision']} vs replay {step.action} {step.reasons}"
        assert prod["concept_p"] == pytest.approx(step.details["concept_p_value"], abs=1e-9), where
        assert prod["decision"]["action"] == step.action, where
        assert prod["drift"]["episode"]["start"] is None or step.details["episode_since"], where
        if step.trained:
            gate = prod["gate"]["gate"]
            assert prod["gate"]["promoted"] == step.promoted, where
            assert gate["n"] == step.gate["n"], where
            assert gate["diff"] == pytest.approx(step.gate["diff"], abs=1e-12), where
            chosen = (step.details.get("selection") or {}).get("chosen")
            if chosen:
                assert prod["trained"]["action"] == chosen.split("[")[0], where
            compared += 1
    assert compared >= 4  # the comparison covered trained and gated batches


def test_the_concept_change_is_met_with_a_full_retrain(production):
    actions = [p["decision"]["action"] for p in production]
    assert "full_retrain" in actions[FLIP_AT - 1 : FLIP_AT + 1], actions
    assert all(a in ("fine_tune", "full_retrain") for a in actions)
