"""The pipeline steps the DAGs call, one function per task.

Every function takes and returns JSON-able dicts (they travel through XCom), reads its
settings from the environment, is idempotent for a batch id, and raises a Driftline error
whose message names the batch, the model version and the next step.
"""

from __future__ import annotations

import logging
from typing import Any

from driftline import batches
from driftline.settings import Settings, get_settings

log = logging.getLogger("driftline.flow")


def claim_next(settings: Settings | None = None) -> dict[str, Any]:
    """Claim the oldest object under the landing prefix (see :func:`driftline.batches.claim`)."""
    s = settings or get_settings()
    keys = batches.list_incoming(s)
    if not keys:
        return {"outcome": "empty", "batch": None, "message": f"nothing under {s.landing_prefix}"}
    result = batches.claim(keys[0], s)
    log.info("%s (%d more waiting)", result.message, len(keys) - 1)
    return {
        "outcome": result.outcome,
        "batch": result.batch.to_dict() if result.batch else None,
        "message": result.message,
        "waiting": len(keys) - 1,
    }
