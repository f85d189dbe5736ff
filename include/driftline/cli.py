"""The ``driftline`` command line.

``driftline stack up|down|status|logs|env|info`` manages the embedded local stack;
``driftline demo`` runs the demo through a running stack; ``driftline serve`` runs the
online prediction endpoint in the foreground; ``driftline reproduce --model-version N``
rebuilds a registered version from its records and checks its predictions.
"""

from __future__ import annotations

import argparse
import sys
import time

from driftline import __version__
from driftline.errors import DriftlineError
from driftline.settings import Settings


def _stack(settings: Settings, only: list[str] | None = None):
    from driftline.stack import SERVICES, Stack

    return Stack(settings, [s for s in SERVICES if s in only] if only else SERVICES)


def _info(settings: Settings) -> None:
    from driftline.stack import load_or_create_credentials

    creds = load_or_create_credentials(settings)
    print(
        "\nDriftline stack\n"
        f"  Airflow UI : http://127.0.0.1:{settings.airflow_port}  "
        f"(login: admin / {creds['DRIFTLINE_AIRFLOW_ADMIN_PASSWORD']})\n"
        f"  MLflow UI  : {settings.mlflow_tracking_uri}  "
        f"(login: admin / {creds['MLFLOW_TRACKING_PASSWORD']})\n"
        f"  Serving    : http://127.0.0.1:{settings.serve_port}/predict  "
        f"(models:/{settings.model_name}@champion; docs at /docs)\n"
        f"  S3 endpoint: {settings.s3_endpoint_url}  (keys in {settings.state_dir / 'credentials.env'})\n"
        f"  Logs       : {settings.state_dir / 'logs'}  ('make logs')\n"
    )


def cmd_stack(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    stack = _stack(settings, args.service)
    if args.action == "up":
        t0 = time.monotonic()
        print(f"Starting the Driftline stack (state in {settings.state_dir})")
        stack.up()
        print(f"All services healthy after {time.monotonic() - t0:.1f} s")
        _info(settings)
    elif args.action == "down":
        stack.down()
    elif args.action == "status":
        states = stack.status()
        for name, state in states.items():
            print(f"  {name:<8} {state:<10} {stack.urls()[name]}")
        return 0 if all(v == "healthy" for v in states.values()) else 1
    elif args.action == "logs":
        for name, text in stack.logs(args.lines).items():
            print(f"===== {name} ({settings.state_dir / 'logs' / (name + '.log')})\n{text}\n")
    elif args.action == "env":
        for key, value in stack.env().items():
            if key.startswith(("DRIFTLINE_", "AWS_", "MLFLOW_", "AIRFLOW", "GX_")):
                print(f"export {key}='{value}'")
    elif args.action == "info":
        _info(settings)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from driftline.demo import run_demo

    return run_demo(Settings.from_env())


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the online prediction endpoint until interrupted."""
    from driftline.serving import serve
    from driftline.stack import use_stack_login

    settings = Settings.from_env()
    use_stack_login(settings)  # a local stack's MLflow login, unless one is set
    serve(settings, host=args.host, port=args.port)
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Rebuild a registered version from its records; 0 when its predictions match."""
    import json

    from driftline.stack import use_stack_login
    from driftline.training.reproduce import reproduce

    settings = Settings.from_env()
    use_stack_login(settings)
    result = reproduce(str(args.model_version), settings, atol=args.atol)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.describe())
    return 0 if result.matches else 1


def cmd_model_spec(args: argparse.Namespace) -> int:
    """Show or set the configured model spec (a change makes the next run a model iteration)."""
    import json
    from pathlib import Path

    from driftline.training.iteration import (
        load_configured_spec,
        save_configured_spec,
        spec_fingerprint,
    )
    from driftline.training.spec import ModelSpec

    settings = Settings.from_env()
    if args.action == "set":
        if not args.file:
            print("driftline: error: model-spec set needs FILE (JSON)", file=sys.stderr)
            return 2
        spec = ModelSpec.from_dict(json.loads(Path(args.file).read_text()))
        uri = save_configured_spec(spec, settings)
        print(f"model spec {spec_fingerprint(spec)} saved to {uri}; the next run compares it")
        return 0
    spec = load_configured_spec(settings)
    if spec is None:
        print("no configured model spec: runs keep the champion's spec (data iterations)")
    else:
        print(json.dumps({"fingerprint": spec_fingerprint(spec), **spec.to_dict()}, indent=2))
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """Replay a labelled stream through the training policies (no services needed)."""
    import shutil
    from pathlib import Path

    from driftline.backtest import BacktestConfig, log_backtest, read_stream, run_backtest

    out = Path(args.out) if args.out else Settings.from_env().state_dir / "backtest"
    policies = args.policies or (
        "never,label_free" if args.label_free else "never,periodic,always,always_finetune,driftline"
    )
    config = BacktestConfig(
        target=args.target,
        batch_size=args.batch_size,
        label_delay=args.label_delay,
        policies=tuple(p.strip() for p in policies.split(",") if p.strip()),
        bootstrap_batches=args.bootstrap_batches,
        window=args.window,
        period=args.period,
        seed=args.seed,
        estimator=args.estimator,
        time_column=args.time_column,
        alpha=args.alpha,
        concept=args.concept,
        rolling=args.rolling,
        validate=not args.no_validate,
        match_periodic=not args.no_match_periodic,
        threads=args.threads or None,
        progress_every=args.progress_every,
        label_free=args.label_free,
        label_fraction=args.label_fraction,
    )
    config.check()
    t0 = time.monotonic()
    frame = read_stream(args.data)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = run_backtest(frame, config, progress=progress, source=str(args.data))
    paths = result.save(out)
    if args.chart:
        Path(args.chart).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths["chart"], args.chart)
    print(f"\n{result.to_markdown()}\n\n{result.describe()}")
    if args.mlflow_uri:
        run_id = log_backtest(result, args.mlflow_uri, artifacts=paths)
        print(f"Logged to MLflow at {args.mlflow_uri} (run {run_id})")
    print(f"Files in {out}: " + ", ".join(p.name for p in paths.values()))
    if args.chart:
        print(f"Chart also copied to {args.chart}")
    print(f"Done in {time.monotonic() - t0:.0f} s")
    return 0


def cmd_bench_policies(args: argparse.Namespace) -> int:
    """Every policy on every stream of the suite and label regime; table, targets, chart."""
    from pathlib import Path

    from driftline.backtest import REGIMES, STREAMS, run_suite

    if args.list:
        for name, spec in STREAMS.items():
            print(f"{name:<12} {spec.drift:<26} {spec.task:<15} batches of {spec.batch_size}")
        print("regimes: " + ", ".join(REGIMES))
        return 0
    out = Path(args.out) if args.out else Settings.from_env().state_dir / "bench-policies"
    streams = [s.strip() for s in args.streams.split(",")] if args.streams else None
    regimes = [r.strip() for r in args.regimes.split(",")] if args.regimes else None
    t0 = time.monotonic()

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    suite = run_suite(
        streams,
        regimes,
        seed=args.seed,
        validate=not args.no_validate,
        estimator=args.estimator,
        progress=progress,
        max_batches=args.max_batches,
    )
    paths = suite.save(out)
    print(f"\n{suite.to_markdown()}\n")
    print(f"Files in {out}: " + ", ".join(p.name for p in paths.values()))
    print(f"Done in {time.monotonic() - t0:.0f} s")
    return 0 if all(ok for _, _, ok in suite.targets()) or not args.check else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="driftline", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"driftline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("stack", help="manage the embedded local stack")
    p.add_argument("action", choices=["up", "down", "status", "logs", "env", "info"])
    p.add_argument(
        "--service",
        choices=["s3", "mlflow", "airflow", "serve"],
        action="append",
        help="only this service (repeatable)",
    )
    p.add_argument("--lines", type=int, default=40, help="log lines per service (logs)")
    p.set_defaults(func=cmd_stack)

    p = sub.add_parser("demo", help="run the demo through the running stack")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "serve",
        help="run the online prediction endpoint (follows models:/<name>@champion)",
        description="Serve predictions of the champion over HTTP: POST /predict with "
        "{'dataframe_records': [...]}; the served version follows the champion alias without "
        "a restart; a sample of requests and predictions is logged to S3 (DRIFTLINE_SERVE_*).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, help="default: DRIFTLINE_SERVE_PORT (5050)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "reproduce",
        help="rebuild a registered model version and check its predictions",
        description="Refit model version N from its logged records (code version, full "
        "configuration, data batches by URI and digest) and compare the predictions with the "
        "registered model's on its logged hold-out. Exit 0 when they match, 1 when not.",
    )
    p.add_argument("--model-version", required=True, help="registered version number")
    p.add_argument("--atol", type=float, default=1e-9, help="tolerance on probabilities")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser(
        "model-spec",
        help="show or set the configured model spec (model iteration)",
        description="A configured spec that differs from the champion's makes the next "
        "training run a model-iteration full retrain, gated against the champion.",
    )
    p.add_argument("action", choices=["show", "set"])
    p.add_argument("file", nargs="?", help="JSON file with a ModelSpec (set)")
    p.set_defaults(func=cmd_model_spec)

    p = sub.add_parser(
        "backtest",
        help="replay a labelled CSV/Parquet stream through the training policies",
        description="Replay a labelled stream in time order as batches: score each batch with "
        "every policy's model, then learn from its labels (test-then-train), with the same "
        "validation, drift, policy, training and gate code as the DAGs. No services needed.",
    )
    p.add_argument("--data", required=True, help="CSV, CSV.gz or Parquet file, rows in time order")
    p.add_argument("--target", required=True, help="label column")
    p.add_argument("--batch-size", type=int, required=True, help="rows per batch")
    p.add_argument(
        "--label-delay",
        type=int,
        default=1,
        help="labels of batch t arrive after batch t+K-1 is scored (default 1: before t+1)",
    )
    p.add_argument(
        "--policies",
        default=None,
        help="comma-separated; periodic:M sets a period (default: all five; with "
        "--label-free: never,label_free)",
    )
    p.add_argument(
        "--label-free",
        action="store_true",
        help="no labels after the bootstrap: compare never with label-free adaptation "
        "(prior recalibration / importance-weighted retraining; docs/adapt.md)",
    )
    p.add_argument("--bootstrap-batches", type=int, default=4, help="batches of the first model")
    p.add_argument("--window", type=int, default=8, help="batches a full retrain learns from")
    p.add_argument("--period", type=int, default=4, help="batches between periodic retrains")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--estimator", choices=["mlp", "sgd", "hgb"], help="default: the ModelSpec's")
    p.add_argument("--time-column", help="sort by this column (not used as a feature)")
    p.add_argument(
        "--alpha", type=float, help="level of the driftline drift tests (default: the policy's)"
    )
    p.add_argument(
        "--concept",
        choices=["performance_drop", "adwin", "ddm"],
        help="concept-drift test of the driftline policy (default: the policy's)",
    )
    p.add_argument(
        "--label-fraction",
        type=float,
        default=1.0,
        help="share of each batch's rows that ever get a label (default 1)",
    )
    p.add_argument("--rolling", type=int, default=4, help="batches of the rolling mean")
    p.add_argument("--no-validate", action="store_true", help="skip data-contract validation")
    p.add_argument(
        "--no-match-periodic",
        action="store_true",
        help="do not add periodic at driftline's number of full retrains",
    )
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (0: unchanged)")
    p.add_argument("--progress-every", type=int, default=10, help="batches per progress line")
    p.add_argument("--out", help="output folder (default: <state dir>/backtest)")
    p.add_argument("--chart", help="also copy the chart PNG to this path")
    p.add_argument("--mlflow-uri", help="also log to this MLflow store, e.g. sqlite:///bt.db")
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser(
        "bench-policies",
        help="the policy suite: every policy on Elec2 and synthetic drifting streams",
        description="Replay each stream of the suite (Elec2; river's SEA, Agrawal, rotating "
        "hyperplane and RBF with moving centroids; a pure covariate and a pure label-prior "
        "shift; Friedman regression with abrupt drift; a stationary stream) under label delays "
        "1 and 4 and with labels for 20%% of the rows, with the same code as the DAGs; print one "
        "table per case, the summary and the targets, and draw a chart. No services needed.",
    )
    p.add_argument("--streams", help="comma-separated (default: all; see --list)")
    p.add_argument(
        "--regimes", help="comma-separated of: " + ", ".join(["delay 1", "delay 4", "20%% labels"])
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--estimator", choices=["mlp", "sgd", "hgb"], help="default: the ModelSpec's")
    p.add_argument("--max-batches", type=int, help="cut every stream to its first N batches")
    p.add_argument("--no-validate", action="store_true", help="skip data-contract validation")
    p.add_argument("--out", help="output folder (default: <state dir>/bench-policies)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--list", action="store_true", help="list the streams and regimes")
    p.set_defaults(func=cmd_bench_policies)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DriftlineError as exc:
        print(f"driftline: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
