"""DataContract: inference rules, file round trip, and messages for invalid edits."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ConfigError
from driftline.validation import ColumnSpec, DataContract

from .conftest import make_frame


def test_infer_kinds_and_roles(contract: DataContract) -> None:
    kinds = {c.name: (c.kind, c.role) for c in contract.columns}
    assert kinds == {
        "ts": ("datetime", "timestamp"),
        "price": ("numeric", "feature"),
        "demand": ("numeric", "feature"),
        "temp": ("numeric", "feature"),
        "qty": ("integer", "feature"),
        "day": ("categorical", "feature"),
        "promo": ("boolean", "feature"),
        "label": ("categorical", "target"),
    }
    assert contract.target == "label" and contract.timestamp == "ts"
    assert contract.feature_names == ("price", "demand", "temp", "qty", "day", "promo")


def test_numeric_range_is_widened_by_margin(reference: pd.DataFrame) -> None:
    for margin in (0.0, 0.1, 0.5):
        c = DataContract.infer(reference, target="label", margin=margin)
        lo, hi = reference["price"].min(), reference["price"].max()
        pad = margin * (hi - lo)
        assert c.column("price").min == pytest.approx(lo - pad)
        assert c.column("price").max == pytest.approx(hi + pad)


def test_integer_range_is_rounded_outwards(reference: pd.DataFrame) -> None:
    spec = DataContract.infer(reference, target="label").column("qty")
    lo, hi = reference["qty"].min(), reference["qty"].max()
    assert spec.min == math.floor(lo - 0.1 * (hi - lo))
    assert spec.max == math.ceil(hi + 0.1 * (hi - lo))


def test_null_limit_rule(reference: pd.DataFrame) -> None:
    c = DataContract.infer(reference, target="label", null_margin=0.05)
    rate = reference["temp"].isna().mean()
    assert c.column("temp").max_null_rate == pytest.approx(rate + max(rate, 0.05), abs=1e-6)
    assert c.column("price").max_null_rate == 0.0  # no nulls seen: none allowed


def test_categories_and_target_classes(contract: DataContract, reference: pd.DataFrame) -> None:
    assert contract.column("day").categories == tuple(sorted(reference["day"].unique()))
    assert contract.column("label").categories == (0, 1)
    assert contract.column("ts").min is None  # timestamps grow: no range


def test_high_cardinality_text_gets_no_category_set() -> None:
    df = pd.DataFrame({"name": [f"user{i}" for i in range(100)], "y": np.arange(100) % 2})
    c = DataContract.infer(df, target="y", max_categories=50)
    assert c.column("name").kind == "categorical"
    assert c.column("name").categories is None


def test_id_columns_have_no_range() -> None:
    df = pd.DataFrame({"order_id": np.arange(100), "x": np.linspace(0, 1, 100), "y": [0, 1] * 50})
    c = DataContract.infer(df, target="y", id_columns=["order_id"])
    assert c.column("order_id").role == "id"
    assert c.column("order_id").min is None and c.column("order_id").max is None


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"target": "nope"}, "target 'nope' is not a column"),
        ({"target": "label", "timestamp": "when"}, "timestamp 'when' is not a column"),
        ({"target": "label", "margin": -1}, "margin=-1 is negative"),
        ({"target": "label", "categories_mostly": 2.0}, "categories_mostly=2.0 is not a fraction"),
    ],
)
def test_infer_rejects_bad_arguments(reference: pd.DataFrame, kwargs: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        DataContract.infer(reference, **kwargs)


def test_infer_rejects_empty_frame() -> None:
    with pytest.raises(ConfigError, match="empty frame"):
        DataContract.infer(pd.DataFrame({"y": []}), target="y")


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_file_round_trip(contract: DataContract, tmp_path, suffix: str) -> None:
    path = contract.to_file(tmp_path / f"contract{suffix}")
    loaded = DataContract.from_file(path)
    assert loaded == contract
    assert loaded.path == str(path)
    assert loaded.fingerprint() == contract.fingerprint()


def test_yaml_file_is_readable_and_commented(contract: DataContract, tmp_path) -> None:
    text = contract.to_file(tmp_path / "c.yaml").read_text()
    assert text.startswith("# Driftline data contract")
    assert "schema_version: 1" in text
    assert "name: price" in text and "kind: numeric" in text


def test_user_edit_is_picked_up(contract: DataContract, tmp_path) -> None:
    path = contract.to_file(tmp_path / "c.json")
    data = json.loads(path.read_text())
    data["version"] = 2
    data["columns"][1]["max"] = 1000.0
    path.write_text(json.dumps(data))
    edited = DataContract.from_file(path)
    assert edited.version == 2 and edited.column("price").max == 1000.0
    assert edited.fingerprint() != contract.fingerprint()


def _edit(contract: DataContract, tmp_path, mutate) -> str:
    """Save, apply ``mutate`` to the dict, write it back; return the load error message."""
    path = contract.to_file(tmp_path / "c.yaml")
    import yaml

    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as info:
        DataContract.from_file(path)
    message = str(info.value)
    assert str(path) in message  # every message names the file
    return message


@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        (
            lambda d: d["columns"][1].update(kind="numerc"),
            ["columns[1] ('price').kind", "numerc", "numeric"],
        ),
        (
            lambda d: d["columns"][2].update(max_null_rate=1.5),
            ["columns[2] ('demand').max_null_rate", "between 0 and 1"],
        ),
        (lambda d: d["columns"][1].update(min="low"), ["columns[1] ('price').min", "not a number"]),
        (lambda d: d["columns"][1].update(maxx=3), ["columns[1]", "unknown field", "maxx"]),
        (
            lambda d: d["columns"][1].update(min=10.0, max=1.0),
            ["columns[1] ('price').min=10.0 is above max=1.0"],
        ),
        (
            lambda d: d["columns"][5].update(categories=["Mon", 3]),
            ["columns[5] ('day').categories"],
        ),
        (
            lambda d: d["columns"][5].update(categories=[]),
            ["columns[5] ('day').categories is empty"],
        ),
        (lambda d: d.update(target="price_label"), ["target 'price_label' is not in columns"]),
        (lambda d: d.update(schema_version=99), ["schema_version is 99"]),
        (lambda d: d.update(min_rows=-1), ["min_rows=-1"]),
        (
            lambda d: d.update(allow_extra_columns="yes"),
            ["allow_extra_columns is 'yes'", "true or false"],
        ),
        (lambda d: d.pop("columns"), ["has no 'columns'"]),
        (lambda d: d["columns"].append(dict(d["columns"][0])), ["['ts'] more than once"]),
    ],
)
def test_invalid_edit_names_the_field(contract: DataContract, tmp_path, mutate, fragments) -> None:
    message = _edit(contract, tmp_path, mutate)
    for fragment in fragments:
        assert fragment in message


def test_invalid_yaml_syntax(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        DataContract.from_file(path)


def test_bad_suffix_and_missing_file(contract: DataContract, tmp_path) -> None:
    with pytest.raises(ConfigError, match="use .yaml, .yml or .json"):
        contract.to_file(tmp_path / "c.txt")
    with pytest.raises(ConfigError, match="cannot read contract"):
        DataContract.from_file(tmp_path / "absent.yaml")


def test_column_lookup_and_spec_dict_round_trip(contract: DataContract) -> None:
    for spec in contract.columns:
        assert ColumnSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ConfigError, match="'nope' is not in contract"):
        contract.column("nope")


def test_fresh_batches_respect_inferred_limits(contract: DataContract) -> None:
    """Inferred ranges and null limits hold on new data from the same distribution."""
    for seed in range(1, 6):
        new = make_frame(1000, seed=seed)
        for spec in contract.columns:
            col = new[spec.name]
            assert col.isna().mean() <= spec.max_null_rate
            if spec.min is not None:
                assert col.min() >= spec.min and col.max() <= spec.max


def test_known_bounds_replace_the_inferred_range(reference: pd.DataFrame) -> None:
    c = DataContract.infer(
        reference, target="label", bounds={"demand": (0.0, 1.0), "qty": (0, None)}
    )
    assert (c.column("demand").min, c.column("demand").max) == (0.0, 1.0)
    assert (c.column("qty").min, c.column("qty").max) == (0.0, None)
    assert (
        c.column("price").max == DataContract.infer(reference, target="label").column("price").max
    )


@pytest.mark.parametrize(
    ("bounds", "fragment"),
    [
        ({"nope": (0, 1)}, "bounds name unknown columns ['nope']"),
        ({"day": (0, 1)}, "bounds['day'] given for a categorical column"),
        ({"demand": ("low", 1)}, "bounds['demand'] min is 'low', not a number"),
    ],
)
def test_bad_bounds(reference: pd.DataFrame, bounds, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        DataContract.infer(reference, target="label", bounds=bounds)
    assert fragment in str(info.value)
