"""Claiming batches exactly once, duplicates, bad keys, quarantine and history on real S3."""

import json
import uuid

import pytest

from driftline import batches, s3
from driftline.errors import DataError
from driftline.settings import Settings


@pytest.mark.parametrize(
    "key",
    [
        "incoming/../secrets.csv",
        "elsewhere/week.csv",
        "incoming/sub/week.csv",
        "incoming/we ek.csv",
        "incoming/week.exe",
        "incoming/.hidden.csv",
    ],
)
def test_bad_keys_are_refused_with_a_reason(key):
    with pytest.raises(DataError) as info:
        batches.check_key(key, Settings.from_env({}))
    assert repr(key) in str(info.value)


def test_batch_id_is_content_addressed():
    assert batches.batch_id_for("w.parquet", "abcdef0123") == "w-abcdef01"
    assert batches.batch_id_for("w.csv.gz", "abcdef0123") == "w-abcdef01"


@pytest.fixture
def landing(services):
    """A fresh landing prefix per test so tests do not see each other's batches."""
    prefix = f"incoming-{uuid.uuid4().hex[:6]}/"
    return services.with_(landing_prefix=prefix)


def _put(settings, name, body):
    key = settings.landing_prefix + name
    s3.client(settings).put_object(Bucket=settings.bucket_landing, Key=key, Body=body)
    return key


@pytest.mark.integration
def test_claim_once_then_duplicate_is_kept_not_lost(landing):
    body = f"a,b\n1,{uuid.uuid4().int}\n".encode()
    key = _put(landing, "week-01.csv", body)
    first = batches.claim(key, landing)
    assert first.outcome == "claimed"
    ref = first.batch
    assert ref.key == f"claimed/{ref.batch_id}/week-01.csv"
    client = s3.client(landing)
    assert client.get_object(Bucket=ref.bucket, Key=ref.key)["Body"].read() == body
    assert batches.list_incoming(landing) == []
    # the same content again, under another name: a duplicate, moved aside, not deleted
    key2 = _put(landing, "week-01-again.csv", body)
    second = batches.claim(key2, landing)
    assert second.outcome == "duplicate" and ref.batch_id in second.message
    dup = client.list_objects_v2(
        Bucket=landing.bucket_landing, Prefix=f"duplicates/{ref.batch_id}/"
    )
    assert dup["KeyCount"] == 1
    # processing moves it to history
    done = batches.mark_processed(ref, landing)
    assert done.key.startswith("processed/")
    assert batches.mark_processed(done, landing) == done  # idempotent
    assert ref.batch_id in [h.batch_id for h in batches.history(landing)]
    assert batches.find_batch(ref.batch_id, landing).key == done.key


@pytest.mark.integration
def test_bad_key_is_moved_to_quarantine_with_reason(landing):
    key = _put(landing, "we ek.csv", b"a\n1\n")
    result = batches.claim(key, landing)
    assert result.outcome == "rejected"
    client = s3.client(landing)
    listed = client.list_objects_v2(Bucket=landing.bucket_quarantine, Prefix="rejected-keys/")
    keys = [o["Key"] for o in listed["Contents"]]
    reason_key = next(k for k in keys if k.endswith("we_ek.csv.reason.json"))
    reason = json.loads(
        client.get_object(Bucket=landing.bucket_quarantine, Key=reason_key)["Body"].read()
    )
    assert "odd characters" in reason["reason"]


@pytest.mark.integration
def test_quarantine_keeps_the_batch_and_its_report(landing):
    key = _put(landing, f"bad-{uuid.uuid4().hex[:4]}.csv", b"x\nnot-a-number\n")
    ref = batches.claim(key, landing).batch
    uri = batches.quarantine(ref, {"passed": False, "failures": ["x: wrong type"]}, landing)
    bucket, qkey = s3.parse_uri(uri)
    client = s3.client(landing)
    assert client.get_object(Bucket=bucket, Key=qkey)["Body"].read() == b"x\nnot-a-number\n"
    report = json.loads(
        client.get_object(Bucket=bucket, Key=f"{ref.batch_id}/validation.json")["Body"].read()
    )
    assert report["passed"] is False
    assert batches.list_claimed(landing).count(ref.batch_id) == 0
