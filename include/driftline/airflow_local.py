"""``airflow standalone`` for the embedded stack, listening on the loopback interface only.

The stack binds every listener to 127.0.0.1. Airflow 3.3.2 lets it do so for the
api-server (``[api] host``) and the scheduler's health check
(``[scheduler] scheduler_health_check_server_host``, set by :mod:`driftline.stack`), but
not for the log servers of the scheduler (``[logging] worker_log_server_port``, 8793) and
the triggerer (``[logging] trigger_log_server_port``, 8794): ``airflow.utils.serve_logs``
starts them with ``uvicorn.run(host="")``, every interface, and no setting names a host.
On the embedded stack every component runs on one machine and the api-server reads task
logs from the shared ``$AIRFLOW_HOME/logs`` folder, so these log servers serve nothing:
this launcher runs ``airflow standalone`` with ``--skip-serve-logs`` for the scheduler and
the triggerer (standalone passes no options to its components).

Run as ``python -m driftline.airflow_local`` (what ``driftline stack up`` starts).

>>> component_args(["scheduler"])
['scheduler', '--skip-serve-logs']
>>> component_args(["dag-processor"])
['dag-processor']
"""

from __future__ import annotations

from collections.abc import Sequence

#: Components whose log server is not started (the option each takes for it).
SKIP_SERVE_LOGS = {"scheduler": "--skip-serve-logs", "triggerer": "--skip-serve-logs"}


def component_args(command: Sequence[str]) -> list[str]:
    """``command`` (``["scheduler"]``, ...) with the options the embedded stack adds."""
    args = list(command)
    flag = SKIP_SERVE_LOGS.get(args[0]) if args else None
    if flag and flag not in args:
        args.append(flag)
    return args


def main() -> None:
    """Run ``airflow standalone`` whose scheduler and triggerer serve no logs."""
    from airflow.cli.commands import standalone_command as standalone

    class SubCommand(standalone.SubCommand):
        def __init__(self, parent, name: str, command: list[str], env: dict[str, str]) -> None:
            super().__init__(parent, name, component_args(command), env)

    standalone.SubCommand = SubCommand  # StandaloneCommand.run builds its components with it
    standalone.StandaloneCommand().run()


if __name__ == "__main__":
    main()
