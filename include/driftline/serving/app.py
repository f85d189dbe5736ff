"""The online prediction endpoint: a FastAPI app over the champion's pyfunc model.

=====================  ==================================================================
route                  answer
=====================  ==================================================================
``POST /predict``      predictions of the served version for a body in one of MLflow's
                       shapes (:mod:`driftline.serving.payload`); also ``/invocations``
``GET /model``         the served version, its run and its input schema
``GET /health``        always 200 while the process runs (``version`` may be ``null``)
``GET /ready``         200 once a champion is loaded, else 503
=====================  ==================================================================

A prediction answer is ``{"model_name", "model_version", "predictions": [...],
"classes": [...], "probabilities": [[...], ...], "request_id", "ignored_columns"}``
(``classes``/``probabilities`` for classifiers) with the header
``X-Driftline-Model-Version``. A body that does not fit the signature gets HTTP 422
``{"error": ..., "column": ...}`` naming the column (also a repeated column or key, a
number that is not finite or beyond the float32 range); a body that is not JSON, or
nests too deeply to read, 400; before the first champion exists 503. Only a failure of
the model itself on valid input is a 500. The served version follows ``models:/<name>@champion``
(:class:`~driftline.serving.resolver.ChampionResolver`) and a sample of the scored rows
goes to S3 (:class:`~driftline.serving.sampler.LiveSampler`).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from starlette.requests import Request

from driftline.errors import ConfigError, fail
from driftline.serving.payload import PayloadError, conform_to, parse_json, parse_payload
from driftline.serving.resolver import ChampionResolver, ServedModel
from driftline.serving.sampler import LiveSampler
from driftline.settings import Settings

log = logging.getLogger("driftline.serving")
VERSION_HEADER = "X-Driftline-Model-Version"
#: What scikit-learn's input check says about values it cannot compute with.
_BAD_NUMBERS = "infinity or a value too large"


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(fail(f"{name}={raw!r} is not a number", "set it to a number")) from None


@dataclass(frozen=True)
class ServingConfig:
    """Knobs of the endpoint, from ``DRIFTLINE_SERVE_*`` variables.

    Parameters
    ----------
    refresh_seconds : float
        Seconds between look-ups of the champion alias (``DRIFTLINE_SERVE_REFRESH_SECONDS``, 5).
    sample_fraction : float
        Share of scored rows logged to S3 (``DRIFTLINE_SERVE_SAMPLE_FRACTION``, 0.1).
    flush_rows, flush_seconds : int, float
        Write the live sample after this many rows or seconds
        (``DRIFTLINE_SERVE_FLUSH_ROWS`` 5000, ``DRIFTLINE_SERVE_FLUSH_SECONDS`` 60).
    max_rows : int
        Largest request accepted, in rows (``DRIFTLINE_SERVE_MAX_ROWS``, 100000).
    threads : int
        BLAS/OpenMP threads per prediction (``DRIFTLINE_SERVE_THREADS``, 1): requests run
        in parallel on the server's thread pool, and on a small shared machine BLAS threads
        spin-waiting for a core made 1,000-row predictions several times slower.
    """

    refresh_seconds: float = 5.0
    sample_fraction: float = 0.1
    flush_rows: int = 5000
    flush_seconds: float = 60.0
    max_rows: int = 100_000
    threads: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServingConfig:
        env = os.environ if env is None else env
        cfg = cls(
            refresh_seconds=_float(env, "DRIFTLINE_SERVE_REFRESH_SECONDS", 5.0),
            sample_fraction=_float(env, "DRIFTLINE_SERVE_SAMPLE_FRACTION", 0.1),
            flush_rows=int(_float(env, "DRIFTLINE_SERVE_FLUSH_ROWS", 5000)),
            flush_seconds=_float(env, "DRIFTLINE_SERVE_FLUSH_SECONDS", 60.0),
            max_rows=int(_float(env, "DRIFTLINE_SERVE_MAX_ROWS", 100_000)),
            threads=int(_float(env, "DRIFTLINE_SERVE_THREADS", 1)),
        )
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if not self.refresh_seconds > 0:
            raise ConfigError(fail("DRIFTLINE_SERVE_REFRESH_SECONDS must be > 0", "fix it"))
        if not 0.0 <= self.sample_fraction <= 1.0:
            raise ConfigError(
                fail("DRIFTLINE_SERVE_SAMPLE_FRACTION must be in [0, 1]", "0 turns logging off")
            )
        if self.threads < 1:
            raise ConfigError(fail("DRIFTLINE_SERVE_THREADS must be >= 1", "fix it"))
        if self.flush_rows < 1 or not self.flush_seconds > 0 or self.max_rows < 1:
            raise ConfigError(fail("flush rows/seconds and max rows must be positive", "fix them"))


def score(model: ServedModel, frame: pd.DataFrame, *, proba: bool = True) -> pd.DataFrame:
    """``prediction`` (from the pyfunc model) and ``proba_<class>`` columns for ``frame``."""
    out = pd.DataFrame({"prediction": np.asarray(model.pyfunc.predict(frame))})
    if proba and model.raw is not None and hasattr(model.raw, "predict_proba"):
        p = model.raw.predict_proba(frame)
        for i, cls in enumerate(model.raw.classes_):
            out[f"proba_{cls}"] = p[:, i]
    return out


def _error(status: int, message: str, column: str | None = None, **extra: Any) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": message, "column": column, **extra}, status_code=status)


def create_app(
    resolver: ChampionResolver,
    sampler: LiveSampler | None = None,
    config: ServingConfig | None = None,
    *,
    manage: bool = True,
) -> Any:
    """The FastAPI app (module docstring).

    With ``manage`` the app starts the resolver's and the sampler's threads on start-up
    and stops them (flushing the sample) on shutdown.
    """
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    cfg = config or ServingConfig()

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if manage:
            await run_in_threadpool(resolver.start)
            if sampler is not None:
                sampler.start()
        try:
            yield
        finally:
            if manage:
                resolver.stop()
                if sampler is not None:
                    await run_in_threadpool(sampler.stop)

    app = FastAPI(
        title="Driftline serving",
        description=f"Online predictions of models:/{resolver.name}@{resolver.alias}",
        lifespan=lifespan,
    )

    @app.get("/health")
    def health() -> dict[str, Any]:
        cur = resolver.current
        return {
            "status": "ok",
            "model_name": resolver.name,
            "alias": resolver.alias,
            "model_version": None if cur is None else cur.version,
            "last_error": resolver.last_error,
            "sampler": None if sampler is None else sampler.stats(),
        }

    @app.get("/ready")
    def ready() -> Any:
        cur = resolver.current
        if cur is None:
            return _error(503, _no_model(resolver))
        return {"ready": True, "model_version": cur.version}

    @app.get("/model")
    def model_info() -> Any:
        cur = resolver.current
        return _error(503, _no_model(resolver)) if cur is None else cur.describe()

    def _predict(body: Any, proba: bool) -> Any:
        model = resolver.current  # one reference for the whole request
        if model is None:
            return _error(503, _no_model(resolver))
        try:
            raw = parse_payload(body)
            if len(raw) > cfg.max_rows:
                return _error(
                    413,
                    fail(f"{len(raw)} rows in one request", f"send at most {cfg.max_rows}"),
                )
            frame = conform_to(raw, model.schema) if model.schema else raw
        except PayloadError as exc:
            return JSONResponse(exc.to_dict(), status_code=exc.status)
        except RecursionError:  # nested values too deep for pandas
            return _error(400, fail("the body nests too deeply", "send flat rows"))
        try:
            out = score(model, frame, proba=proba)
        except Exception as exc:  # noqa: BLE001 - MLflow's schema enforcement and the model
            from mlflow.exceptions import MlflowException

            if isinstance(exc, MlflowException):
                return _error(422, fail(f"the input does not fit the model ({exc})", "fix it"))
            if isinstance(exc, ValueError) and _BAD_NUMBERS in str(exc):
                # the model's own input check (scikit-learn): the values, not the model
                return _error(
                    422,
                    fail(
                        f"the input has values the model cannot compute with ({exc})",
                        "send finite numbers in the range the model was trained on",
                    ),
                )
            log.exception("version %s failed to predict", model.version)
            return _error(
                500,
                fail(
                    f"model {model.name} version {model.version} failed to predict ({exc})",
                    "report it; roll back if every request fails",
                ),
            )
        request_id = uuid.uuid4().hex
        if sampler is not None and cfg.sample_fraction > 0:
            sampler.add(frame, out, model.version, request_id)
        proba_cols = [c for c in out.columns if c.startswith("proba_")]
        answer: dict[str, Any] = {
            "model_name": model.name,
            "model_version": model.version,
            "predictions": out["prediction"].tolist(),
            "request_id": request_id,
            "ignored_columns": [c for c in raw.columns if c not in frame.columns],
        }
        if proba_cols:
            answer["classes"] = [c[len("proba_") :] for c in proba_cols]
            answer["probabilities"] = out[proba_cols].to_numpy().round(6).tolist()
        return JSONResponse(answer, headers={VERSION_HEADER: model.version})

    async def predict(request: Request) -> Any:
        body = await request.body()
        try:
            payload = parse_json(body)
        except PayloadError as exc:
            return JSONResponse(exc.to_dict(), status_code=exc.status)
        proba = request.query_params.get("proba", "true").lower() not in ("0", "false", "no")
        return await run_in_threadpool(_predict, payload, proba)

    app.add_api_route("/predict", predict, methods=["POST"])
    app.add_api_route("/invocations", predict, methods=["POST"])
    return app


def _no_model(resolver: ChampionResolver) -> str:
    why = resolver.last_error or "nothing loaded yet"
    return fail(
        f"no model to serve for models:/{resolver.name}@{resolver.alias} ({why})",
        "run the driftline_bootstrap DAG (or make demo); the endpoint picks the champion up",
    )


def build(settings: Settings, config: ServingConfig | None = None) -> Any:
    """The app for ``settings``: resolver on the champion, sampler on the reports bucket."""
    cfg = config or ServingConfig.from_env()
    resolver = ChampionResolver(
        settings.model_name, settings.mlflow_tracking_uri, refresh_seconds=cfg.refresh_seconds
    )
    sampler = None
    if cfg.sample_fraction > 0:
        sampler = LiveSampler(
            settings,
            settings.model_name,
            fraction=cfg.sample_fraction,
            max_rows=cfg.flush_rows,
            max_seconds=cfg.flush_seconds,
        )
    return create_app(resolver, sampler, cfg)


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> None:
    """Run the endpoint with uvicorn until interrupted (``driftline serve``)."""
    import uvicorn
    from threadpoolctl import threadpool_limits

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    cfg = ServingConfig.from_env()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(cfg.threads))  # read by runtimes not yet started
    threadpool_limits(limits=cfg.threads)  # and for the ones already loaded
    app = build(settings, cfg)
    uvicorn.run(app, host=host, port=port or settings.serve_port, access_log=False)
