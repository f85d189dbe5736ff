"""Seeded, realistic monitoring data for the view tests (and for looking at the view).

Twelve weekly batches of an electricity-price classifier: stable at first, a quarantined
batch, covariate drift growing from week 6, a fine-tune, a full retrain promoted to champion,
a refused candidate and a rollback.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from driftline.monitoring import MonitoringStore

FEATURES = (
    ("nswprice", "numeric", "ks_d", "ks_2samp"),
    ("nswdemand", "numeric", "ks_d", "ks_2samp"),
    ("vicprice", "numeric", "ks_d", "ks_2samp"),
    ("vicdemand", "numeric", "ks_d", "ks_2samp"),
    ("transfer", "numeric", "ks_d", "ks_2samp"),
    ("period", "numeric", "ks_d", "ks_2samp"),
    ("day", "categorical", "js_distance", "chi2"),
    ("class", "target", "total_variation", "chi2"),
)
DAG_ID = "driftline_continual_training"


def drift_report(batch_id: str, week: int, rng: np.random.Generator) -> dict:
    """A ``DriftReport.to_dict()``-shaped report whose drift grows after week 5."""
    strength = max(0, week - 5) * 0.07
    columns = []
    for name, role, eff_name, method in FEATURES:
        weight = {"nswprice": 1.0, "vicprice": 0.8, "nswdemand": 0.5, "transfer": 0.6}.get(
            name, 0.15
        )
        effect = float(min(0.95, abs(rng.normal(0.03, 0.015)) + strength * weight))
        p = float(np.exp(-60 * effect) * 0.9)
        drifted = effect >= 0.1 and p < 0.05
        columns.append(
            {
                "column": name,
                "role": role,
                "effect_size": effect,
                "effect_size_name": eff_name,
                "floor": 0.1,
                "p_value": p,
                "p_value_corrected": min(1.0, p * len(FEATURES)),
                "drifted": drifted,
                "severity": "severe"
                if effect >= 0.3 and drifted
                else "moderate"
                if drifted
                else "none",
                "rank": 0,
                "results": [
                    {
                        "method": method,
                        "column": name,
                        "statistic": effect,
                        "p_value": p,
                        "effect_size": effect,
                        "effect_size_name": eff_name,
                        "threshold": 0.1,
                        "alpha": 0.05,
                        "is_drift": drifted,
                        "reference": "reference window",
                        "n_reference": 8000,
                        "n_current": 1344,
                        "details": {},
                    }
                ],
            }
        )
    columns.sort(key=lambda c: -c["effect_size"])
    for rank, c in enumerate(columns, start=1):
        c["rank"] = rank
    drifted = [c for c in columns if c["drifted"]]
    severity = (
        "none"
        if not drifted
        else "severe"
        if any(c["severity"] == "severe" for c in drifted)
        else "moderate"
    )
    return {
        "schema_version": 1,
        "batch_id": batch_id,
        "created_at": "2026-01-01T00:00:00+00:00",
        "alpha": 0.05,
        "correction": "holm",
        "is_drift": bool(drifted),
        "kinds": (
            ["covariate"] + (["label"] if any(c["role"] == "target" for c in drifted) else [])
        )
        if drifted
        else [],
        "severity": severity,
        "max_effect": max((c["effect_size"] for c in drifted), default=0.0),
        "drifted_columns": [c["column"] for c in drifted],
        "n_reference": 8000,
        "n_current": 1344,
        "columns": columns,
        "unseen_categories": {},
        "vanished_categories": {},
        "extra_results": [],
        "windows": {},
        "notes": [],
    }


def seed_store(store: MonitoringStore, n_batches: int = 12, seed: int = 7) -> list[str]:
    """Fill ``store`` with ``n_batches`` weeks; return the batch ids, oldest first."""
    rng = np.random.default_rng(seed)
    start = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    ids = []
    champion = "1"
    store.record_model_event(
        "registered", "1", mlflow_run_id="run0001", at=start - timedelta(days=1)
    )
    store.record_model_event(
        "promotion", "1", mlflow_run_id="run0001", at=start - timedelta(days=1)
    )
    next_version = 2
    for week in range(1, n_batches + 1):
        batch_id = f"week-{week:02d}"
        ids.append(batch_id)
        run_id = f"scheduled__2026-03-{week:02d}T06:00:00+00:00"
        received = start + timedelta(days=7 * (week - 1))
        store.record_batch(batch_id, "received", received_at=received, dag_id=DAG_ID, run_id=run_id)
        docs = f"/nonexistent/docs/{batch_id}/index.html"
        if week == 4:
            store.record_validation(
                batch_id,
                {
                    "passed": False,
                    "n_rows": 1344,
                    "source": f"s3://driftline-landing/incoming/{batch_id}.csv",
                    "data_docs": docs,
                    "failures": [{"message": "column 'nswprice' has 12 values above 1.0"}],
                },
                dag_id=DAG_ID,
                run_id=run_id,
            )
            store.record_decision(batch_id, "none", reasons=["batch quarantined"], severity="none")
            continue
        store.record_validation(
            batch_id,
            {
                "passed": True,
                "n_rows": 1344,
                "source": f"s3://driftline-landing/incoming/{batch_id}.csv",
                "data_docs": docs,
            },
            dag_id=DAG_ID,
            run_id=run_id,
        )
        report = drift_report(batch_id, week, rng)
        store.record_drift(batch_id, report)
        store.record_predictions(
            batch_id, champion, values=rng.uniform(0, 1, 1344) ** (1 + 0.05 * week)
        )
        base = 0.84 - 0.35 * report["max_effect"]
        if week in (9, 10) and champion != "1":
            base -= 0.06  # the retrained model is worse: it will be rolled back
        acc = float(np.clip(base + rng.normal(0, 0.008), 0, 1))
        store.record_performance(
            batch_id,
            champion,
            {"accuracy": acc, "f1": acc - 0.04, "roc_auc": min(0.99, acc + 0.07)},
            n_labels=1344,
        )
        action, reasons, mlflow_run, version = "none", ["no drift"], None, None
        if report["is_drift"]:
            reasons = [f"{c} drifted" for c in report["drifted_columns"][:3]]
            action = "full_retrain" if report["severity"] == "severe" else "fine_tune"
        if week == 6:
            action = "fine_tune"
        if action != "none":
            version = str(next_version)
            next_version += 1
            mlflow_run = f"run{week:04d}"
            store.record_model_event(action, version, batch_id=batch_id, mlflow_run_id=mlflow_run)
            if week in (6, 8):
                store.record_model_event(
                    "promotion",
                    version,
                    batch_id=batch_id,
                    mlflow_run_id=mlflow_run,
                    previous_version=champion,
                )
                champion = version
            elif week == 11:
                store.record_model_event(
                    "refused",
                    version,
                    batch_id=batch_id,
                    mlflow_run_id=mlflow_run,
                    reason="worse than champion on holdout",
                )
        if week == 10:
            store.record_model_event(
                "rollback",
                "2",
                batch_id=batch_id,
                previous_version=champion,
                reason="accuracy dropped",
            )
            champion = "2"
        store.record_decision(
            batch_id,
            action,
            reasons=reasons,
            kinds=report["kinds"],
            severity=report["severity"],
            mlflow_run_id=mlflow_run,
            model_version=version,
        )
        status = "failed" if week == n_batches and n_batches >= 12 else "processed"
        store.record_batch(
            batch_id,
            status,
            champion_version=champion,
            message="train task failed" if status == "failed" else None,
        )
        for step, seconds in (
            ("validate", 4.2),
            ("drift", 2.9),
            ("decide", 0.3),
            ("train", 35.0 if action != "none" else 0.0),
            ("evaluate", 6.1),
        ):
            store.record_step(batch_id, step, seconds + float(rng.uniform(0, 1)))
    return ids


def seed_estimates(store: MonitoringStore, batch_ids: list[str], seed: int = 11) -> None:
    """CBPE estimates for batches that were scored before their labels arrived: each near
    its realized accuracy (the labels came later, so the store pairs the two)."""
    rng = np.random.default_rng(seed)
    realized = {r["batch_id"]: r for r in store.performance(metric="accuracy", role="champion")}
    for batch_id in batch_ids:
        row = realized.get(batch_id)
        if row is None:
            continue
        value = float(row["value"] + rng.normal(0.0, 0.015))
        store.record_estimated_performance(
            batch_id,
            row["model_version"],
            [
                {"metric": "accuracy", "value": value, "low": value - 0.035,
                 "high": value + 0.035, "n": 1344, "method": "cbpe", "reference_value": 0.84,
                 "n_reference": 1075, "confidence": 0.95},
                {"metric": "f1", "value": value - 0.04, "low": value - 0.08,
                 "high": value, "n": 1344, "method": "cbpe", "reference_value": 0.8,
                 "n_reference": 1075, "confidence": 0.95},
            ],
        )  # fmt: skip
