"""S3 access for Driftline: one client factory and small, explicit helpers.

Works with any S3-compatible server (SeaweedFS locally, MinIO in compose, AWS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline.errors import ConfigError, ServiceError, fail
from driftline.settings import Settings, get_settings

if TYPE_CHECKING:  # pragma: no cover
    from mypy_boto3_s3 import S3Client


def client(settings: Settings | None = None) -> S3Client:
    """A boto3 S3 client for the configured endpoint and credentials."""
    import boto3
    from botocore.config import Config

    s = settings or get_settings()
    if not s.aws_access_key_id or not s.aws_secret_access_key:
        raise ConfigError(
            fail(
                "S3 credentials are not set (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
                f"run 'make up' and source {s.state_dir / 'credentials.env'}, or export them",
            )
        )
    return boto3.client(
        "s3",
        endpoint_url=s.s3_endpoint_url,
        aws_access_key_id=s.aws_access_key_id,
        aws_secret_access_key=s.aws_secret_access_key,
        region_name=s.aws_region,
        config=Config(
            retries={"max_attempts": 5, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            s3={"addressing_style": "path"},
        ),
    )


def parse_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into ``(bucket, key)``.

    >>> parse_uri("s3://driftline-landing/incoming/week-01.csv")
    ('driftline-landing', 'incoming/week-01.csv')
    """
    if not uri.startswith("s3://"):
        raise ConfigError(fail(f"{uri!r} is not an s3:// URI", "use s3://bucket/key"))
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ConfigError(fail(f"{uri!r} has no bucket", "use s3://bucket/key"))
    return bucket, key


def ensure_buckets(settings: Settings | None = None, s3: Any = None) -> list[str]:
    """Create every configured bucket that does not exist yet; return the created ones."""
    s = settings or get_settings()
    s3 = s3 or client(s)
    try:
        existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    except Exception as exc:  # botocore raises many types; name the service
        raise ServiceError(
            fail(f"S3 at {s.s3_endpoint_url} did not answer ({exc})", "check 'make status'")
        ) from exc
    created = []
    for bucket in s.buckets:
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
            created.append(bucket)
    return created
