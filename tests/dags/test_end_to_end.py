"""End to end with the real Airflow components (standalone: api-server, scheduler,
dag-processor, triggerer), the embedded S3 and the MLflow server.

A batch put into the landing prefix with boto3 is claimed by the deferrable sensor, the
training run completes and a new model version exists; a run triggered through the REST API
with a Params conf completes. Every wait polls with a deadline.
"""

from __future__ import annotations

import json
import time

import pytest

from driftline import s3
from driftline.stack import load_or_create_credentials

pytestmark = pytest.mark.integration


def _poll(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def live(full_stack, bootstrap_airflow):
    settings, _ = full_stack
    return settings, bootstrap_airflow(settings, dag_timeout=300, run_timeout=600)


def _versions(settings):
    from driftline.training.registry import Registry

    return Registry(settings.model_name, settings.mlflow_tracking_uri).versions()


def test_landing_sensor_to_new_model_version(live):
    from driftline.datasets import load_elec2

    settings, api = live
    before = len(_versions(settings))
    week = load_elec2().iloc[20 * 336 : 21 * 336]  # a week far from the reference: drifted
    client = s3.client(settings)
    t0 = time.monotonic()
    client.put_object(
        Bucket=settings.bucket_landing,
        Key="incoming/week-0021.csv",
        Body=week.to_csv(index=False).encode(),
    )

    def published():
        listed = client.list_objects_v2(Bucket=settings.bucket_reports, Prefix="runs/week-0021-")
        return listed.get("Contents")

    objs = _poll(published, 900, "the training run of week-0021 to publish its result")
    result = json.loads(
        client.get_object(Bucket=settings.bucket_reports, Key=objs[0]["Key"])["Body"].read()
    )
    print(f"landing -> published: {time.monotonic() - t0:.1f} s, result {result}")
    assert result["action"] in ("fine_tune", "full_retrain")
    assert len(_versions(settings)) == before + 1

    def asset_run_succeeded():
        path = "/api/v2/dags/driftline_continual_training/dagRuns?order_by=-start_date&limit=20"
        runs = api.get(path)["dag_runs"]
        return [r for r in runs if r["state"] == "success" and r["run_type"] == "asset_triggered"]

    _poll(asset_run_succeeded, 300, "the asset-triggered training run to succeed")


def test_rest_trigger_with_params_completes(live):
    from driftline.datasets import load_elec2

    settings, api = live
    client = s3.client(settings)
    week = load_elec2().iloc[30 * 336 : 31 * 336]
    # put it straight into claimed/ through the library, so the sensor does not race the API run
    key = "incoming-api/week-0031.csv"
    client.put_object(
        Bucket=settings.bucket_landing, Key=key, Body=week.to_csv(index=False).encode()
    )
    from driftline import batches

    ref = batches.claim(key, settings.with_(landing_prefix="incoming-api/")).batch
    run = api.trigger(
        "driftline_continual_training",
        {"batch": ref.batch_id, "strategy": "none", "alpha": 0.01, "dry_run": False},
    )
    assert api.wait_for_run("driftline_continual_training", run, timeout=900) == "success"
    states = api.task_states("driftline_continual_training", run)
    assert states["no_training"] == "success"
    assert states["fine_tune"] == states["full_retrain"] == "skipped"
    conf = api.get(f"/api/v2/dags/driftline_continual_training/dagRuns/{run}")["conf"]
    assert conf["strategy"] == "none" and conf["alpha"] == 0.01


def test_auth_is_on_and_logs_hold_no_secret(live, capsys):
    """Security: Airflow, the Driftline plugin and MLflow refuse anonymous requests (the
    runs above logged and registered models through the authenticated MLflow); after the
    runs (bootstrap, a sensor-triggered training run, a REST run), no log file of the stack
    and no captured output contains any secret the stack used."""
    import urllib.error
    import urllib.request

    from driftline.stack import credentials_path

    settings, api = live
    base = f"http://127.0.0.1:{settings.airflow_port}"
    mlflow = settings.mlflow_tracking_uri
    for url in (
        base + "/api/v2/dags",
        base + "/driftline/api/batches",
        mlflow + "/api/2.0/mlflow/registered-models/search",
    ):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(
                urllib.request.Request(url, headers={"accept": "application/json"}),
                timeout=30,
            )
        assert info.value.code == 401, url
    assert api.get("/api/v2/dags?limit=1")["total_entries"] >= 1  # the admin login works

    creds = load_or_create_credentials(settings)
    secrets = {
        name: value
        for name, value in creds.items()
        if name
        in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "DRIFTLINE_AIRFLOW_ADMIN_PASSWORD",
            "AIRFLOW__API_AUTH__JWT_SECRET",
            "AIRFLOW__API__SECRET_KEY",
            "AIRFLOW__CORE__FERNET_KEY",
            "MLFLOW_TRACKING_PASSWORD",
            "MLFLOW_FLASK_SERVER_SECRET_KEY",
        )
    }
    assert len(secrets) == 8 and all(len(v) >= 12 for v in secrets.values())
    assert credentials_path(settings).stat().st_mode & 0o077 == 0  # the store is private
    state = settings.state_dir
    logs = [
        p
        for p in state.rglob("*")
        if p.is_file() and ("logs" in p.relative_to(state).parts or p.suffix in (".log", ".out"))
    ]
    task_logs = [p for p in logs if "dag_id=driftline_continual_training" in str(p)]
    assert len(logs) >= 5 and task_logs, [str(p) for p in logs][:20]
    leaks = [
        f"{p.relative_to(state)}: {name}"
        for p in logs
        for name, value in secrets.items()
        if value.encode() in p.read_bytes()
    ]
    captured = capsys.readouterr()
    leaks += [
        f"captured output: {name}"
        for name, value in secrets.items()
        if value in captured.out + captured.err
    ]
    assert not leaks, leaks
    print(f"scanned {len(logs)} log files ({len(task_logs)} task logs) for {len(secrets)} secrets")


def _tcp_listeners() -> list[tuple[str, int, str]]:
    """``(address, port, socket inode)`` of every listening TCP socket (Linux /proc)."""
    import ipaddress
    import struct
    from pathlib import Path

    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] != "0A":  # LISTEN
                continue
            hex_addr, hex_port = parts[1].split(":")
            raw = bytes.fromhex(hex_addr)
            # the kernel prints each 32-bit word in host (little-endian) order
            words = b"".join(
                struct.pack(">I", struct.unpack("<I", raw[i : i + 4])[0])
                for i in range(0, len(raw), 4)
            )
            out.append((str(ipaddress.ip_address(words)), int(hex_port, 16), parts[9]))
    return out


def _stack_sockets(stack) -> dict[str, tuple[int, str]]:
    """Socket inode -> ``(pid, command)`` for every process of the stack's services."""
    import os
    from pathlib import Path

    groups = {pid for svc in stack.services().values() if (pid := stack.pid(svc)) is not None}
    owned: dict[str, tuple[int, str]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            pgrp = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
            if pgrp not in groups:
                continue
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    owned[target[8:-1]] = (int(proc.name), cmd)
        except OSError:
            continue
    return owned


def test_every_listener_of_the_stack_is_on_loopback(full_stack):
    """Issue 19: nothing of the embedded stack listens on 0.0.0.0. The Airflow log servers
    (8793 scheduler, 8794 triggerer) bound every interface and are not started; the
    scheduler health check (8974) is bound to 127.0.0.1."""
    settings, stack = full_stack
    owned = _stack_sockets(stack)
    mine = sorted(
        (port, addr, owned[inode][1][:60])
        for addr, port, inode in _tcp_listeners()
        if inode in owned
    )
    print("\n".join(f"{addr}:{port}  {cmd}" for port, addr, cmd in mine))
    ports = {port for port, _, _ in mine}
    service_ports = {
        settings.s3_port,
        settings.mlflow_port,
        settings.airflow_port,
        settings.serve_port,
    }
    assert service_ports <= ports, (service_ports - ports, mine)
    exposed = [
        (port, addr, cmd)
        for port, addr, cmd in mine
        if addr not in ("127.0.0.1", "::1", "::ffff:127.0.0.1")
    ]
    assert exposed == [], exposed
    assert not ports & {8793, 8794}, mine  # the log servers are not started
