import pytest

from driftline.backtest import REGIMES, run_suite
from driftline.cli import main
from driftline.errors import ConfigError


@pytest.fixture(scope="module")
def suite():
    return run_suite(
        ["label_shift", "friedman"],
        ["delay 1", "20% labels"],
        validate=False,
        max_batches=9,
        estimator="sgd",
    )


def test_every_case_has_every_policy_and_a_gap(suite):
    assert [(c.stream.name, c.regime) for c in suite.cases] == [
        ("label_shift", "delay 1"),
        ("label_shift", "20% labels"),
        ("friedman", "delay 1"),
        ("friedman", "20% labels"),
    ]
    table = suite.table()
    assert list(table["metric"]) == ["accuracy", "accuracy", "mae", "mae"]
    for case in suite.cases:
        best, value = case.best_baseline()
        assert case.gap(best) == pytest.approx(0.0)
        assert all(case.gap(b) <= 1e-9 for b in ("never", "periodic", "always", "always_finetune"))
        assert case.cpu_percent("always") == pytest.approx(100.0)
    # regression gaps are in percent of the best baseline's MAE
    fried = suite.cases[2]
    _, best = fried.best_baseline()
    d = fried.scores()["driftline"]
    assert fried.gap("driftline") == pytest.approx(100 * (best - d) / best)


def test_twenty_percent_labels_train_on_a_fifth_of_the_rows(suite):
    full, partial = suite.cases[0].result, suite.cases[1].result
    rows = lambda r: r.run("always_finetune").rows_trained  # noqa: E731
    assert rows(partial) == pytest.approx(0.2 * rows(full), rel=0.02)


def test_summary_targets_markdown_and_files(suite, tmp_path):
    summary = suite.summary().set_index("policy")
    assert list(summary.index) == ["never", "periodic", "always", "always_finetune", "driftline"]
    assert summary.loc["always", "mean CPU % of always"] == pytest.approx(100.0)
    targets = suite.targets()
    assert len(targets) == 4 and all(isinstance(ok, bool) for _, _, ok in targets)
    md = suite.to_markdown()
    assert "### Targets" in md and "| label_shift | pure label shift | delay 1 |" in md
    paths = suite.save(tmp_path)
    assert paths["chart"].read_bytes()[:4] == b"\x89PNG"
    assert "#### friedman" in paths["policies_md"].read_text()


def test_bad_regime_and_policies():
    with pytest.raises(ConfigError, match="unknown label regime"):
        run_suite(["sea"], ["delay 9"])
    with pytest.raises(ConfigError, match="driftline with always"):
        run_suite(["sea"], list(REGIMES), policies=("never",))


def test_cli_lists_and_runs(capsys, tmp_path):
    assert main(["bench-policies", "--list"]) == 0
    assert "label_shift" in capsys.readouterr().out
    code = main(
        [
            "bench-policies",
            "--streams",
            "stationary",
            "--regimes",
            "delay 1",
            "--max-batches",
            "8",
            "--no-validate",
            "--estimator",
            "sgd",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "### Summary over all cases" in out
    assert (tmp_path / "suite.md").exists() and (tmp_path / "suite.png").exists()
