from driftline.backtest import plot_backtest, run_backtest


def test_chart_marks_driftline_training(stream, small_config, tmp_path):
    df = stream(10, 300, flip_at=6, seed=3)
    result = run_backtest(df, small_config(["never", "driftline"], batch_size=300))
    assert any(s.trained for s in result.run("driftline").steps)
    path = plot_backtest(result, tmp_path / "img" / "chart.png", title="flip")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
