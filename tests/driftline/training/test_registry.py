import uuid

import pytest

from driftline.errors import ModelError
from driftline.training import Registry, full_retrain, log_training
from driftline.training.registry import _quote


def test_ids_with_quotes_are_refused():
    assert _quote("week-0005-3fa2c1d0") == "week-0005-3fa2c1d0"
    with pytest.raises(ModelError, match="quote"):
        _quote("b' or name='x")


@pytest.mark.integration
def test_register_is_idempotent_and_promotion_verifies(services, frames, spec):
    name = f"t-{uuid.uuid4().hex[:10]}"
    registry = Registry(name, services.mlflow_tracking_uri)
    assert registry.find("b0") is None and registry.aliases() == {} and registry.versions() == []
    df = frames(200, 0)
    result = full_retrain(spec, df)
    logged = log_training(
        result,
        batch_id="b0",
        experiment=name,
        holdout=df.tail(40),
        tracking_uri=services.mlflow_tracking_uri,
    )
    kwargs = dict(
        run_id=logged.run_id,
        batch_id="b0",
        strategy="full_retrain",
        trigger="test",
        parent_version=None,
        model_id=logged.model_id,
    )
    first = registry.register(logged.model_uri, **kwargs)
    second = registry.register(logged.model_uri, **kwargs)
    assert first.version == second.version == "1" and len(registry.versions()) == 1
    assert registry.find("b0").tags["parent_version"] == "none"
    assert registry.set_challenger("1") and not registry.set_challenger("1")
    with pytest.raises(ModelError, match="does not load"):
        registry.promote("7")
    assert registry.aliases() == {"challenger": "1"}
    move = registry.promote("1", example=df[list(spec.features)].head(3))
    assert move.moved and move.champion == "1" and move.previous is None
    assert registry.aliases() == {"champion": "1"}  # the promoted challenger alias is cleared
    assert not registry.promote("1").moved
    with pytest.raises(ModelError, match="no previous_champion"):
        registry.rollback()
