"""The embedded stack: clear failures, and real services through the fixture."""

import socket

import pytest

from driftline.errors import PortInUseError
from driftline.settings import Settings
from driftline.stack import Stack
from driftline.supervise import check_ports_free, port_in_use
from tests.conftest import test_settings


@pytest.fixture
def busy_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_port_in_use_message_names_service_port_owner_and_log(tmp_path, busy_port):
    assert port_in_use(busy_port)
    with pytest.raises(PortInUseError) as info:
        check_ports_free("mlflow", [busy_port], tmp_path / "mlflow.log")
    msg = str(info.value)
    assert f"cannot start mlflow: port {busy_port} is in use" in msg
    assert "pid " in msg  # the owner (this test process) is named
    assert str(tmp_path / "mlflow.log") in msg


def test_stack_up_refuses_a_taken_port(tmp_path, busy_port):
    settings = test_settings(tmp_path, DRIFTLINE_MLFLOW_PORT=str(busy_port))
    stack = Stack(settings, ["mlflow"])
    with pytest.raises(PortInUseError, match=f"port {busy_port} is in use"):
        stack.up(progress=lambda m: None)
    assert stack.status() == {"mlflow": "stopped"}


def test_credentials_are_generated_once_and_private(tmp_path):
    from driftline.stack import credentials_path, load_or_create_credentials

    settings = Settings.from_env({"DRIFTLINE_STATE_DIR": str(tmp_path)})
    first = load_or_create_credentials(settings)
    second = load_or_create_credentials(settings)
    assert first == second
    assert len(first["AWS_SECRET_ACCESS_KEY"]) >= 30
    # MLflow's basic-auth admin password (MLflow refuses < 12 characters) and Flask secret
    assert len(first["MLFLOW_TRACKING_PASSWORD"]) >= 12
    assert len(first["MLFLOW_FLASK_SERVER_SECRET_KEY"]) >= 32
    assert len(set(first.values())) == len(first)  # every secret is its own
    other = load_or_create_credentials(
        Settings.from_env({"DRIFTLINE_STATE_DIR": str(tmp_path / "b")})
    )
    assert not set(first.values()) & set(other.values())  # random, not defaulted
    assert oct(credentials_path(settings).stat().st_mode & 0o777) == "0o600"


@pytest.mark.integration
def test_services_are_healthy_and_up_is_idempotent(services):
    stack = Stack(services, ["s3", "mlflow"])
    assert stack.status() == {"s3": "healthy", "mlflow": "healthy"}
    timings = stack.up(progress=lambda m: None)  # second start is a no-op
    assert timings == {"s3": 0.0, "mlflow": 0.0}


@pytest.mark.integration
def test_s3_rejects_wrong_credentials(services):
    import boto3
    from botocore.exceptions import ClientError

    bad = boto3.client(
        "s3",
        endpoint_url=services.s3_endpoint_url,
        aws_access_key_id=services.aws_access_key_id,
        aws_secret_access_key="not-the-secret",
        region_name="us-east-1",
    )
    with pytest.raises(ClientError):
        bad.list_buckets()
