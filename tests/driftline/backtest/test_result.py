import json

import numpy as np
import pandas as pd
import pytest

from driftline.backtest import rolling_mean, run_backtest


@pytest.fixture(scope="module")
def result(stream, small_config):
    cfg = small_config(["never", "always", "always_finetune"], rolling=2)
    return run_backtest(stream(7, 200, flip_at=4, seed=1), cfg)


def test_rolling_mean():
    np.testing.assert_allclose(rolling_mean([1, 2, 3, 4], 3), [2, 3])
    np.testing.assert_allclose(rolling_mean([1, 2], 5), [1.5])


def test_table_columns_and_counts(result):
    table = result.table().set_index("policy")
    assert list(table.columns) == [
        "accuracy",
        "worst 2-batch accuracy",
        "fine-tunes",
        "full retrains",
        "promoted",
        "training CPU s",
        "CPU % of always",
        "rows trained",
        "worse promotions %",
    ]
    assert table.loc["always", "full retrains"] == 4 and table.loc["always", "fine-tunes"] == 0
    assert table.loc["always_finetune", "fine-tunes"] == 4
    assert table.loc["always", "CPU % of always"] == pytest.approx(100.0)
    assert table.loc["always_finetune", "rows trained"] == 4 * 200
    for policy in ("never", "always"):
        scores = result.run(policy).scores
        assert table.loc[policy, "accuracy"] == pytest.approx(scores.mean())  # equal batch sizes
        assert table.loc[policy, "worst 2-batch accuracy"] == pytest.approx(
            min((scores[i] + scores[i + 1]) / 2 for i in range(len(scores) - 1))
        )
    assert np.isnan(table.loc["previous label (row-level labels)", "fine-tunes"])
    # every promotion but the last is checked on the next labelled batch
    always = result.run("always")
    assert always.checked_promotions == 3 and 0 <= always.worse_promotions <= 3
    assert table.loc["always", "worse promotions %"] == pytest.approx(100 * always.worse_rate)
    assert np.isnan(table.loc["never", "worse promotions %"])


def test_markdown(result):
    lines = result.to_markdown().splitlines()
    assert lines[0].startswith("| policy | accuracy |") and lines[1].startswith("|---|---:|")
    assert len(lines) == 2 + 4
    assert lines[2].split(" | ")[3:6] == ["0", "0", "0"]  # never: no training
    assert "bootstrap on 2 batches" in result.describe()


def test_save_writes_tables_steps_and_chart(result, tmp_path):
    paths = result.save(tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == [
        "backtest.png",
        "per_batch.csv",
        "steps.jsonl",
        "summary.csv",
        "summary.md",
    ]
    assert pd.read_csv(paths["summary_csv"])["policy"].tolist()[:3] == [
        "never",
        "always",
        "always_finetune",
    ]
    per_batch = pd.read_csv(paths["per_batch"])
    assert len(per_batch) == 5 and "previous label" in per_batch
    steps = [json.loads(line) for line in paths["steps"].read_text().splitlines()]
    assert len(steps) == 3 * 4 and {s["policy"] for s in steps} == {
        "never",
        "always",
        "always_finetune",
    }
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
