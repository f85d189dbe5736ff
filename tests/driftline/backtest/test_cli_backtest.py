"""``driftline backtest`` end to end on a small CSV (the subcommand of driftline.cli)."""

from driftline.cli import main


def test_backtest_command(stream, tmp_path, capsys):
    data = tmp_path / "stream.csv"
    stream(8, 200, flip_at=5, seed=1).to_csv(data, index=False)
    out, chart = tmp_path / "out", tmp_path / "docs" / "chart.png"
    code = main(
        [
            "backtest",
            "--data",
            str(data),
            "--target",
            "y",
            "--batch-size",
            "200",
            "--bootstrap-batches",
            "2",
            "--policies",
            "never,periodic:2,driftline",
            "--estimator",
            "sgd",
            "--no-validate",
            "--out",
            str(out),
            "--chart",
            str(chart),
            "--progress-every",
            "2",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "| policy | accuracy |" in captured.out and "| periodic (every 2) |" in captured.out
    assert "[backtest] batch 4/8" in captured.err  # progress goes to stderr
    assert (out / "summary.md").is_file() and (out / "backtest.png").is_file()
    assert chart.read_bytes() == (out / "backtest.png").read_bytes()


def test_backtest_command_reports_errors(tmp_path, capsys):
    code = main(
        ["backtest", "--data", str(tmp_path / "nope.csv"), "--target", "y", "--batch-size", "5"]
    )
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
