"""Sampled live traffic: request rows and their predictions, written to S3 as Parquet.

:class:`LiveSampler` keeps a Bernoulli sample (``fraction``) of the rows the endpoint
scored, with their prediction, class probabilities, model version, request id and arrival
time. The buffer is written as one Parquet object per model version,

``s3://<reports bucket>/live/<model>/date=YYYY-MM-DD/part-<HHMMSS>-<id>.parquet``,

when it holds ``max_rows`` rows or its oldest row is ``max_seconds`` old, by a background
thread: the request path only appends to a list. Each object written is recorded in the
monitoring store (:meth:`~driftline.monitoring.MonitoringStore.record_live_traffic`) with
the rows seen and sampled and the prediction statistics, so live traffic shows next to the
batches; :mod:`driftline.serving.live` reads the objects back for the drift check. When S3
is unreachable the buffer keeps at most ``10 * max_rows`` rows and counts what it drops.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, fail
from driftline.settings import Settings

log = logging.getLogger("driftline.serving")

#: Columns the sampler adds next to the model's input columns.
META_COLUMNS = ("request_id", "received_at", "model_version", "prediction")


def live_prefix(model_name: str) -> str:
    """Key prefix of a model's live-traffic objects in the reports bucket."""
    return f"live/{model_name}/"


@dataclass
class _Pending:
    frames: list[pd.DataFrame] = field(default_factory=list)
    rows: int = 0
    rows_seen: int = 0
    requests: int = 0
    started: float = field(default_factory=time.time)


class LiveSampler:
    """Buffer a sample of scored rows and flush it to S3 (module docstring).

    Parameters
    ----------
    settings : Settings
        S3 endpoint, credentials and the reports bucket.
    model_name : str
        Registered model name (part of the key prefix).
    fraction : float
        Probability that a scored row is kept, in (0, 1].
    max_rows, max_seconds : int, float
        Flush when this many rows are buffered, or the oldest is this old.
    seed : int or None
        Seed of the row sampling.
    monitor : bool
        Also record each written object in the monitoring store.
    """

    def __init__(
        self,
        settings: Settings,
        model_name: str,
        *,
        fraction: float = 1.0,
        max_rows: int = 5000,
        max_seconds: float = 30.0,
        seed: int | None = None,
        monitor: bool = True,
    ) -> None:
        self.settings = settings
        self.model_name = model_name
        self.fraction = fraction
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.monitor = monitor
        self.validate()
        self._rng = np.random.default_rng(seed)
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written: list[str] = []
        self.dropped = 0

    def validate(self) -> None:
        if not 0.0 < self.fraction <= 1.0:
            raise ConfigError(fail(f"sample fraction={self.fraction!r}", "use a number in (0, 1]"))
        if self.max_rows < 1 or not self.max_seconds > 0:
            raise ConfigError(
                fail("max_rows and max_seconds must be positive", "fix the sampler settings")
            )

    # ------------------------------------------------------------------ request path
    def add(
        self, inputs: pd.DataFrame, outputs: pd.DataFrame, version: str, request_id: str
    ) -> int:
        """Sample rows of one scored request; return how many were kept."""
        n = len(inputs)
        keep = (
            np.ones(n, dtype=bool) if self.fraction >= 1.0 else self._rng.random(n) < self.fraction
        )
        k = int(keep.sum())
        with self._lock:
            pending = self._pending.setdefault(version, _Pending())
            pending.rows_seen += n
            pending.requests += 1
            if k:
                part = inputs.loc[keep].reset_index(drop=True)
                out = outputs.loc[keep].reset_index(drop=True)
                for col in out.columns:
                    part[col] = out[col].to_numpy()
                part["model_version"] = version
                part["request_id"] = request_id
                part["received_at"] = pd.Timestamp.now(tz="UTC")
                pending.frames.append(part)
                pending.rows += k
                if pending.rows > 10 * self.max_rows:  # S3 is failing: bound the memory
                    dropped = pending.frames.pop(0)
                    pending.rows -= len(dropped)
                    self.dropped += len(dropped)
            full = pending.rows >= self.max_rows
        if full:
            self._wake.set()
        return k

    # ------------------------------------------------------------------ flushing
    def _due(self) -> list[str]:
        now = time.time()
        with self._lock:
            return [
                v
                for v, p in self._pending.items()
                if p.requests and (p.rows >= self.max_rows or now - p.started >= self.max_seconds)
            ]

    def flush(self, versions: list[str] | None = None) -> list[str]:
        """Write the buffered rows (of ``versions``, default all) to S3; return the URIs."""
        with self._flush_lock:
            with self._lock:
                names = list(self._pending) if versions is None else versions
                taken = {v: self._pending.pop(v) for v in names if v in self._pending}
            uris = []
            for version, pending in taken.items():
                try:
                    uri = self._write(version, pending)
                except Exception as exc:  # noqa: BLE001 - put the rows back, retry later
                    log.warning(
                        "live sample of %s version %s (%d rows) not written: %s; retrying later",
                        self.model_name,
                        version,
                        pending.rows,
                        exc,
                    )
                    with self._lock:
                        cur = self._pending.setdefault(version, _Pending(started=pending.started))
                        cur.frames[:0] = pending.frames
                        cur.rows += pending.rows
                        cur.rows_seen += pending.rows_seen
                        cur.requests += pending.requests
                    continue
                if uri is not None:
                    uris.append(uri)
            return uris

    def _write(self, version: str, pending: _Pending) -> str | None:
        from driftline import s3 as s3mod

        ended = datetime.now(UTC)
        started = datetime.fromtimestamp(pending.started, UTC)
        uri = None
        frame = pd.concat(pending.frames, ignore_index=True) if pending.frames else None
        if frame is not None and len(frame):
            key = (
                f"{live_prefix(self.model_name)}date={ended:%Y-%m-%d}/"
                f"part-{ended:%H%M%S}-{uuid.uuid4().hex[:8]}.parquet"
            )
            buf = io.BytesIO()
            frame.to_parquet(buf, index=False)
            s3mod.client(self.settings).put_object(
                Bucket=self.settings.bucket_reports,
                Key=key,
                Body=buf.getvalue(),
                Metadata={"model-name": self.model_name, "model-version": version},
            )
            uri = f"s3://{self.settings.bucket_reports}/{key}"
            self.written.append(uri)
            log.info("live sample: %d rows of version %s -> %s", len(frame), version, uri)
        if self.monitor:
            self._record(version, pending, frame, uri, started, ended)
        return uri

    def _record(
        self,
        version: str,
        pending: _Pending,
        frame: pd.DataFrame | None,
        uri: str | None,
        started: datetime,
        ended: datetime,
    ) -> None:
        try:
            from driftline.monitoring import prediction_summary, record

            stats = prediction_summary(frame) if frame is not None and len(frame) else {}
            record(
                "record_live_traffic",
                version,
                uri=uri or f"unsampled:{self.model_name}:{version}:{ended.isoformat()}",
                rows_seen=pending.rows_seen,
                rows_sampled=pending.rows,
                requests=pending.requests,
                started_at=started,
                ended_at=ended,
                stats=stats,
            )
        except Exception as exc:  # noqa: BLE001 - monitoring never fails serving
            log.warning("live traffic of version %s not recorded in monitoring: %s", version, exc)

    # ------------------------------------------------------------------ background
    def start(self) -> None:
        """Flush in a daemon thread whenever the buffer is full or old enough."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="driftline-live-sampler", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        tick = min(1.0, self.max_seconds)
        while not self._stop.is_set():
            self._wake.wait(tick)
            self._wake.clear()
            due = self._due()
            if due:
                self.flush(due)

    def stop(self) -> list[str]:
        """Stop the thread and write what is left; return the URIs written now."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        return self.flush()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            buffered = sum(p.rows for p in self._pending.values())
        return {
            "fraction": self.fraction,
            "buffered_rows": buffered,
            "objects_written": len(self.written),
            "rows_dropped": self.dropped,
        }
