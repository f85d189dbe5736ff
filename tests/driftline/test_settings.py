import pytest

from driftline.errors import ConfigError, DriftlineError
from driftline.settings import Settings


def test_defaults_and_overrides():
    s = Settings.from_env(
        {"DRIFTLINE_MLFLOW_PORT": "5123", "DRIFTLINE_BUCKET_LANDING": "my-landing"}
    )
    assert s.mlflow_tracking_uri == "http://127.0.0.1:5123"
    assert s.bucket_landing == "my-landing"
    assert s.s3_endpoint_url == "http://127.0.0.1:8333"
    assert "aws_secret_access_key" not in s.as_dict()


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"DRIFTLINE_S3_PORT": "eighty"}, "DRIFTLINE_S3_PORT='eighty' is not an integer"),
        ({"DRIFTLINE_AIRFLOW_PORT": "70000"}, "airflow_port=70000 is not a TCP port"),
        ({"DRIFTLINE_LANDING_PREFIX": "incoming"}, "end it with '/'"),
        (
            {"DRIFTLINE_BUCKET_REPORTS": "Bad_Bucket"},
            "bucket_reports='Bad_Bucket' is not a valid bucket name",
        ),
    ],
)
def test_bad_settings_are_named(env, needle):
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert needle in str(info.value)
    assert isinstance(info.value, (DriftlineError, ValueError))
