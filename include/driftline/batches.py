"""Batches in the object store: safe keys, claiming exactly once, quarantine, history.

Layout of the landing bucket (``Settings.bucket_landing``)::

    incoming/<name>.csv|.parquet          producers drop new batches here (the sensor watches it)
    claimed/<batch_id>/<name>             claimed by the sensor, being processed
    processed/<batch_id>/<name>           processed; kept: it is the training history
    duplicates/<batch_id>/<stamp>-<name>  the same content delivered again (kept, never lost)
    index/<sha256>.json                   content digest -> first batch id (duplicate detection)

and of the quarantine bucket: ``<batch_id>/<name>`` with ``<batch_id>/validation.json``
(failed validation), ``failed/<batch_id>/<name>`` with ``failed/<batch_id>/error.json``
(processing failed on every retry: :func:`set_aside`) and ``rejected-keys/<stamp>-<name>``
with ``.reason.json`` (refused key).

A batch id is ``<stem>-<digest8>`` where the digest is the object's content hash, so the
same content delivered twice gets the same id and is processed once.

A file name (the key after the landing prefix) may be at most :data:`MAX_NAME` (200)
characters: the batch id is then at most 205 characters, within the 250 of Airflow and
the monitoring store's ids, and every key and file name derived from it (reports
``drift/<batch_id>.html``, ``duplicates/<batch_id>/<stamp>-<name>``, Data Docs pages,
local files) stays within 255 bytes a name and 1024 bytes a key. A longer name is
refused at claim time and moved to ``rejected-keys/`` with its reason, like any bad key.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

from driftline import s3 as s3mod
from driftline.errors import DataError, fail
from driftline.settings import Settings, get_settings

SUFFIXES = (".csv", ".csv.gz", ".parquet")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*$")
#: Longest file name accepted under the landing prefix (see the module docstring).
MAX_NAME = 200
#: Longest key S3 accepts (bytes).
MAX_KEY_BYTES = 1024
CLAIMED, PROCESSED, DUPLICATES, INDEX = "claimed/", "processed/", "duplicates/", "index/"
#: Prefix in the quarantine bucket of batches whose processing failed (see set_aside).
FAILED = "failed/"


@dataclass(frozen=True)
class BatchRef:
    """A claimed batch: where it is now and where it came from."""

    batch_id: str
    bucket: str
    key: str
    source_key: str
    digest: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BatchRef:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


def check_key(key: str, settings: Settings | None = None, prefix: str | None = None) -> str:
    """Validate a landing key: under the landing prefix, a plain file name, a known format.

    >>> check_key("incoming/week-01.csv", Settings.from_env({}))
    'incoming/week-01.csv'
    >>> check_key("incoming/../etc/passwd.csv", Settings.from_env({}))
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: batch key 'incoming/../etc/passwd.csv' contains '..': use a plain file name under 'incoming/'
    """
    s = settings or get_settings()
    prefix = s.landing_prefix if prefix is None else prefix
    if ".." in key.split("/"):
        raise DataError(
            fail(f"batch key {key!r} contains '..'", f"use a plain file name under {prefix!r}")
        )
    if not key.startswith(prefix):
        raise DataError(
            fail(f"batch key {key!r} is outside {prefix!r}", f"put batches under {prefix!r}")
        )
    name = key[len(prefix) :]
    if "/" in name or not _SAFE.match(name):
        raise DataError(
            fail(
                f"batch key {key!r} has a name with odd characters or sub-folders",
                "use letters, digits, '.', '_', '-' or '=' only",
            )
        )
    if not name.lower().endswith(SUFFIXES):
        raise DataError(fail(f"batch key {key!r} is not CSV or Parquet", f"use one of {SUFFIXES}"))
    if len(name) > MAX_NAME:
        raise DataError(
            fail(
                f"batch key {_shown(key)} has a file name of {len(name)} characters, more than "
                f"the {MAX_NAME} Driftline accepts (its batch id, reports and alerts would "
                "exceed the 250-character id and 255-byte file name limits)",
                f"rename the file to at most {MAX_NAME} characters and deliver it again",
            )
        )
    return key


def _shown(key: str, limit: int = 80) -> str:
    """``key`` quoted, its middle elided when longer than ``limit`` (for messages)."""
    if len(key) <= limit:
        return repr(key)
    return repr(f"{key[: limit // 2]}…{key[-limit // 2 :]}")


def check_ref(ref: BatchRef, settings: Settings | None = None) -> BatchRef:
    """Check a batch reference (e.g. from XCom) points into the landing bucket's own prefixes.

    Only ``s3://<landing>/claimed/<batch_id>/<name>`` and ``.../processed/<batch_id>/<name>``
    with plain names are accepted, so a forged reference cannot make a task read, move or
    train on an object elsewhere.

    >>> s = Settings.from_env({})
    >>> ok = BatchRef("w-1a2b3c4d", "driftline-landing", "claimed/w-1a2b3c4d/w.csv", "incoming/w.csv", "", 1)
    >>> check_ref(ok, s).batch_id
    'w-1a2b3c4d'
    >>> check_ref(BatchRef("w", "other", "claimed/w/w.csv", "", "", 1), s)
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: batch w is in bucket 'other', not the landing bucket 'driftline-landing': pass a batch claimed by Driftline (its id or a key under 'incoming/')
    """
    s = settings or get_settings()
    todo = f"pass a batch claimed by Driftline (its id or a key under {s.landing_prefix!r})"
    if ref.bucket != s.bucket_landing:
        raise DataError(
            fail(
                f"batch {ref.batch_id} is in bucket {ref.bucket!r}, not the landing bucket "
                f"{s.bucket_landing!r}",
                todo,
            )
        )
    parts = ref.key.split("/")
    if (
        len(parts) != 3
        or f"{parts[0]}/" not in (CLAIMED, PROCESSED)
        or parts[1] != ref.batch_id
        or not _SAFE.match(ref.batch_id)
        or not _SAFE.match(parts[2])
    ):
        raise DataError(
            fail(
                f"batch {ref.batch_id!r} has key {ref.key!r} outside claimed/ and processed/", todo
            )
        )
    return ref


def load_ref(batch: dict[str, Any], settings: Settings | None = None) -> BatchRef:
    """:meth:`BatchRef.from_dict` followed by :func:`check_ref`."""
    return check_ref(BatchRef.from_dict(batch), settings)


def _stem(name: str) -> str:
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def batch_id_for(name: str, digest: str) -> str:
    """``<stem>-<digest8>``.

    >>> batch_id_for("week-0005.csv", "3fa2c1d0e9")
    'week-0005-3fa2c1d0'
    """
    return f"{_stem(name)}-{digest[:8]}"


def _digest(client: Any, bucket: str, key: str) -> tuple[str, int]:
    """SHA-256 and size of an object, streamed in 1 MiB chunks (never held in memory whole)."""
    sha, size = hashlib.sha256(), 0
    for chunk in client.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(2**20):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def _missing(exc: Exception) -> bool:
    """True when ``exc`` is S3's answer for an object that is not there (any longer)."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    return str(exc.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey", "NotFound")


def _exists(client: Any, bucket: str, prefix: str) -> bool:
    return client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0) > 0


def _move(client: Any, src_bucket: str, src: str, dst_bucket: str, dst: str) -> None:
    """Copy then delete (the copy is verified before the source goes)."""
    client.copy_object(Bucket=dst_bucket, Key=dst, CopySource={"Bucket": src_bucket, "Key": src})
    client.head_object(Bucket=dst_bucket, Key=dst)
    client.delete_object(Bucket=src_bucket, Key=src)


def list_incoming(settings: Settings | None = None) -> list[str]:
    """Keys under the landing prefix, oldest first."""
    s = settings or get_settings()
    client = s3mod.client(s)
    objs: list[dict[str, Any]] = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=s.bucket_landing, Prefix=s.landing_prefix
    ):
        objs.extend(page.get("Contents", []))
    objs.sort(key=lambda o: (o["LastModified"], o["Key"]))
    return [o["Key"] for o in objs if not o["Key"].endswith("/")]


@dataclass(frozen=True)
class ClaimResult:
    """What claiming a landing key did: ``claimed``, ``duplicate``, ``rejected`` or ``gone``.

    ``moved_to`` is the ``s3://`` URI a rejected or duplicate object was moved to.
    """

    outcome: str
    batch: BatchRef | None
    message: str
    moved_to: str | None = None


def claim(key: str, settings: Settings | None = None, *, listed: bool = False) -> ClaimResult:
    """Claim one landing object exactly once.

    A key with a bad name is moved to quarantine (``rejected``); content seen before is
    moved to ``duplicates/`` (``duplicate``); otherwise the object moves to
    ``claimed/<batch_id>/`` (``claimed``). Nothing is deleted before its copy exists.
    When two claimers race for the same object, the loser gets ``gone`` (the winner holds
    the batch). A missing object is ``gone`` too when ``listed`` (the key came from a
    listing, so another claimer took it); otherwise it raises
    :class:`~driftline.errors.DataError`.
    """
    s = settings or get_settings()
    client = s3mod.client(s)
    try:
        check_key(key, s)
        bad = None
    except DataError as exc:
        bad = exc
    try:
        client.head_object(Bucket=s.bucket_landing, Key=key)
    except Exception as exc:
        if bad is not None:  # nothing there to quarantine (S3 may refuse '..' keys outright)
            raise bad from exc
        if not _missing(exc):
            raise
        if listed:
            return ClaimResult("gone", None, f"{key} was claimed by another worker")
        raise DataError(
            fail(
                f"no object at s3://{s.bucket_landing}/{key}",
                f"check the key; new batches go under {s.landing_prefix!r}",
            )
        ) from exc
    try:
        return _claim(key, s)
    except Exception as exc:
        if not _missing(exc):
            raise
        return ClaimResult(
            "gone", None, f"{key} was claimed by another worker while this one read it"
        )


def rejected_key(key: str, stamp: str | None = None) -> str:
    """Where a refused landing key goes: ``rejected-keys/<stamp>-<safe name>``.

    The name keeps letters, digits, ``.``, ``_``, ``=`` and ``-`` (others become ``_``);
    a name longer than 100 characters is cut and ends with a hash of the whole key, so
    the key stays short and two long names never collide. The original key is in the
    ``.reason.json`` next to it.

    >>> rejected_key("incoming/we ek.csv", "20260101T000000")
    'rejected-keys/20260101T000000-we_ek.csv'
    >>> len(rejected_key("incoming/" + "w" * 300 + ".csv", "20260101T000000"))
    123
    """
    stamp = stamp or time.strftime("%Y%m%dT%H%M%S")
    name = key.rsplit("/", 1)[-1]
    safe = re.sub(r"[^A-Za-z0-9._=-]", "_", name) or "unnamed"
    if len(safe) > 100:
        safe = f"{safe[:80]}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    return f"rejected-keys/{stamp}-{safe}"


def _claim(key: str, s: Settings) -> ClaimResult:
    client = s3mod.client(s)
    name = PurePosixPath(key).name
    try:
        check_key(key, s)
    except DataError as exc:
        dst = rejected_key(key)
        _move(client, s.bucket_landing, key, s.bucket_quarantine, dst)
        client.put_object(
            Bucket=s.bucket_quarantine,
            Key=dst + ".reason.json",
            Body=json.dumps({"source_key": key, "reason": str(exc)}).encode(),
        )
        uri = f"s3://{s.bucket_quarantine}/{dst}"
        return ClaimResult("rejected", None, f"{exc}; moved to {uri}", uri)
    digest, size = _digest(client, s.bucket_landing, key)
    batch_id = batch_id_for(name, digest)
    index_key = f"{INDEX}{digest}.json"
    seen = _exists(client, s.bucket_landing, index_key)
    if seen:
        first = json.loads(client.get_object(Bucket=s.bucket_landing, Key=index_key)["Body"].read())
        dst = f"{DUPLICATES}{first['batch_id']}/{time.strftime('%Y%m%dT%H%M%S')}-{name}"
        _move(client, s.bucket_landing, key, s.bucket_landing, dst)
        return ClaimResult(
            "duplicate",
            None,
            f"{key} repeats batch {first['batch_id']} (same content); kept at {dst}",
            f"s3://{s.bucket_landing}/{dst}",
        )
    dst = f"{CLAIMED}{batch_id}/{name}"
    # move first, index second: a racing claimer copies the same content to the same key
    # (harmless) or finds the source gone; it can never sideline the batch as a duplicate
    _move(client, s.bucket_landing, key, s.bucket_landing, dst)
    client.put_object(
        Bucket=s.bucket_landing,
        Key=index_key,
        Body=json.dumps({"batch_id": batch_id, "source_key": key, "at": time.time()}).encode(),
    )
    ref = BatchRef(batch_id, s.bucket_landing, dst, key, digest, size)
    return ClaimResult("claimed", ref, f"claimed batch {batch_id} at {ref.uri}")


def find_batch(batch_id_or_key: str, settings: Settings | None = None) -> BatchRef:
    """Locate a batch by id (claimed or processed) or by a landing key (claims it)."""
    s = settings or get_settings()
    client = s3mod.client(s)
    if batch_id_or_key.startswith(s.landing_prefix):
        result = claim(batch_id_or_key, s)
        if result.batch is None:
            raise DataError(fail(result.message, "deliver a new batch or pass its batch id"))
        return result.batch
    if not _SAFE.match(batch_id_or_key):
        raise DataError(
            fail(
                f"batch id {batch_id_or_key!r} has odd characters",
                f"pass a batch id like 'week-01-3fa2c1d0' or a key under {s.landing_prefix!r}",
            )
        )
    for prefix in (CLAIMED, PROCESSED):
        listed = client.list_objects_v2(
            Bucket=s.bucket_landing, Prefix=f"{prefix}{batch_id_or_key}/"
        )
        for obj in listed.get("Contents", []):
            key = obj["Key"]
            digest, size = _digest(client, s.bucket_landing, key)
            return BatchRef(batch_id_or_key, s.bucket_landing, key, key, digest, size)
    raise DataError(
        fail(
            f"no batch {batch_id_or_key!r} under {CLAIMED} or {PROCESSED} in {s.bucket_landing}",
            f"pass a batch id or a key under {s.landing_prefix!r}",
        )
    )


def list_claimed(settings: Settings | None = None) -> list[str]:
    """Batch ids claimed but not yet processed or quarantined (oldest first)."""
    s = settings or get_settings()
    client = s3mod.client(s)
    objs = client.list_objects_v2(Bucket=s.bucket_landing, Prefix=CLAIMED).get("Contents", [])
    objs.sort(key=lambda o: (o["LastModified"], o["Key"]))
    seen: list[str] = []
    for o in objs:
        batch_id = o["Key"][len(CLAIMED) :].split("/", 1)[0]
        if batch_id not in seen:
            seen.append(batch_id)
    return seen


def mark_processed(ref: BatchRef, settings: Settings | None = None) -> BatchRef:
    """Move a claimed batch to ``processed/`` (idempotent)."""
    s = settings or get_settings()
    if ref.key.startswith(PROCESSED):
        return ref
    client = s3mod.client(s)
    dst = f"{PROCESSED}{ref.batch_id}/{ref.name}"
    if _exists(client, s.bucket_landing, dst):
        if _exists(client, s.bucket_landing, ref.key):
            client.delete_object(Bucket=s.bucket_landing, Key=ref.key)
    else:
        _move(client, ref.bucket, ref.key, s.bucket_landing, dst)
    return BatchRef(ref.batch_id, s.bucket_landing, dst, ref.source_key, ref.digest, ref.size)


def quarantine(ref: BatchRef, report: dict[str, Any], settings: Settings | None = None) -> str:
    """Move a batch to the quarantine bucket with its validation report; return its URI.

    The batch's content digest leaves the duplicate index, so delivering the same file
    again (after the contract was edited) is claimed and validated anew, not sidelined.
    """
    s = settings or get_settings()
    client = s3mod.client(s)
    if ref.digest:
        client.delete_object(Bucket=s.bucket_landing, Key=f"{INDEX}{ref.digest}.json")
    dst = f"{ref.batch_id}/{ref.name}"
    client.put_object(
        Bucket=s.bucket_quarantine,
        Key=f"{ref.batch_id}/validation.json",
        Body=json.dumps(report, indent=2, default=str).encode(),
    )
    if _exists(client, ref.bucket, ref.key):
        _move(client, ref.bucket, ref.key, s.bucket_quarantine, dst)
    return f"s3://{s.bucket_quarantine}/{dst}"


def set_aside(
    ref: BatchRef, reason: dict[str, Any], settings: Settings | None = None
) -> str | None:
    """Move a claimed batch whose processing failed for good out of the queue; return its URI.

    The batch goes to ``s3://<quarantine>/failed/<batch_id>/<name>`` with ``reason`` (the
    failed step and its error) in ``failed/<batch_id>/error.json``, so the batches claimed
    after it are processed. Its content digest leaves the duplicate index: delivering the
    file again after the cause is fixed processes it anew. A batch no longer under
    ``claimed/`` (processed or quarantined before the failure) stays where it is
    (``None``).
    """
    s = settings or get_settings()
    client = s3mod.client(s)
    if not ref.key.startswith(CLAIMED) or not _exists(client, ref.bucket, ref.key):
        return None
    folder = f"{FAILED}{ref.batch_id}/"
    body = {"batch_id": ref.batch_id, "source_key": ref.source_key, "at": time.time(), **reason}
    client.put_object(
        Bucket=s.bucket_quarantine,
        Key=folder + "error.json",
        Body=json.dumps(body, indent=2, default=str).encode(),
    )
    if ref.digest:
        client.delete_object(Bucket=s.bucket_landing, Key=f"{INDEX}{ref.digest}.json")
    _move(client, ref.bucket, ref.key, s.bucket_quarantine, folder + ref.name)
    return f"s3://{s.bucket_quarantine}/{folder}{ref.name}"


def backlog_after(batch_id: str | None, settings: Settings | None = None) -> int:
    """Claimed batches waiting for a run after the one that processed ``batch_id``.

    0 while ``batch_id`` itself is still claimed (its run failed and it could not be set
    aside): starting the next run would only pick it again.
    """
    waiting = list_claimed(settings or get_settings())
    return 0 if batch_id in waiting else len(waiting)


def history(settings: Settings | None = None, last: int | None = None) -> list[BatchRef]:
    """Processed batches in processing order (oldest first), optionally the last ``last``."""
    s = settings or get_settings()
    client = s3mod.client(s)
    objs: list[dict[str, Any]] = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=s.bucket_landing, Prefix=PROCESSED
    ):
        objs.extend(page.get("Contents", []))
    objs.sort(key=lambda o: (o["LastModified"], o["Key"]))
    if last is not None:
        objs = objs[-last:]
    refs = []
    for o in objs:
        batch_id = o["Key"][len(PROCESSED) :].split("/", 1)[0]
        refs.append(
            BatchRef(
                batch_id,
                s.bucket_landing,
                o["Key"],
                o["Key"],
                o.get("ETag", "").strip('"'),
                o["Size"],
            )
        )
    return refs
