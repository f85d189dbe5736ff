"""The ``driftline`` command line.

``driftline stack up|down|status|logs|env|info`` manages the embedded local stack;
``driftline demo`` runs the demo through a running stack.
"""

from __future__ import annotations

import argparse
import sys
import time

from driftline import __version__
from driftline.errors import DriftlineError
from driftline.settings import Settings


def _stack(settings: Settings, only: str | None = None):
    from driftline.stack import SERVICES, Stack

    return Stack(settings, [only] if only else SERVICES)


def _info(settings: Settings) -> None:
    from driftline.stack import load_or_create_credentials

    creds = load_or_create_credentials(settings)
    print(
        "\nDriftline stack\n"
        f"  Airflow UI : http://127.0.0.1:{settings.airflow_port}  "
        f"(login: admin / {creds['DRIFTLINE_AIRFLOW_ADMIN_PASSWORD']})\n"
        f"  MLflow UI  : {settings.mlflow_tracking_uri}\n"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="driftline", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"driftline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("stack", help="manage the embedded local stack")
    p.add_argument("action", choices=["up", "down", "status", "logs", "env", "info"])
    p.add_argument("--service", choices=["s3", "mlflow", "airflow"], help="only this service")
    p.add_argument("--lines", type=int, default=40, help="log lines per service (logs)")
    p.set_defaults(func=cmd_stack)

    p = sub.add_parser("demo", help="run the demo through the running stack")
    p.set_defaults(func=cmd_demo)

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
