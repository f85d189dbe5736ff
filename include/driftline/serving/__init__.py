"""Online serving of the champion: a FastAPI endpoint that follows the registry alias.

=============  ===================================================================
module         concept
=============  ===================================================================
``payload``    request bodies checked against the model signature (:class:`PayloadError`)
``resolver``   :class:`ChampionResolver`: ``models:/<name>@champion``, hot-swapped
``sampler``    :class:`LiveSampler`: sampled requests + predictions to S3 as Parquet
``app``        :func:`create_app` / :func:`serve`: the HTTP endpoint
``live``       :func:`read_live`, :func:`check_live_drift`: drift checks on live traffic
=============  ===================================================================

``driftline serve`` runs it in the foreground; ``driftline stack up`` starts it as the
``serve`` service (``make serve``, ``make demo``).
"""

from driftline.serving.app import ServingConfig, create_app, score, serve
from driftline.serving.live import check_live_drift, read_live
from driftline.serving.payload import (
    ColumnSchema,
    PayloadError,
    conform_to,
    parse_json,
    parse_payload,
)
from driftline.serving.resolver import ChampionResolver, ServedModel
from driftline.serving.sampler import LiveSampler, live_prefix

__all__ = [
    "ChampionResolver",
    "ColumnSchema",
    "LiveSampler",
    "PayloadError",
    "ServedModel",
    "ServingConfig",
    "check_live_drift",
    "conform_to",
    "create_app",
    "live_prefix",
    "parse_json",
    "parse_payload",
    "read_live",
    "score",
    "serve",
]
