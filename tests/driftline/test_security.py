"""Reliability catalogue, security: credentials, local auth, model loading (``docs/reliability.md``).

The log scan of a real run is ``tests/dags/test_end_to_end.py``; the compose checks
(MLflow ``basic-auth``, secrets only from ``.env``) are in ``tests/compose``.
"""

from __future__ import annotations

import ast
import re
import subprocess

import pandas as pd
import pytest

from driftline.errors import ModelError
from driftline.settings import Settings
from tests.conftest import ROOT

#: High-confidence credential shapes (any file) and literal secret assignments (non-test files).
CREDENTIAL_SHAPES = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Slack webhook": re.compile(r"hooks\.slack\.com/services/T[A-Za-z0-9]+/"),
}
URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]+)@")
SECRET_ASSIGNMENT = re.compile(
    r"(?i)(?<![${\w])[A-Z_]*(?:PASSWORD|SECRET_ACCESS_KEY|SECRET_KEY|FERNET_KEY|JWT_SECRET|TOKEN)\b"
    r"[\"']?\s*[:=]\s*[\"']?([^\s\"',)}]+)"
)
PY_SECRET_LITERAL = re.compile(
    r"(?i)(?:password|secret|token)\w*[\"']?\s*[:=]\s*[\"']([^\"'\s]{6,})[\"']"
)
#: Values that are visibly not secrets: placeholders, references, elisions.
PLACEHOLDER = re.compile(r"^(?:\$.*|\{.*|<.*>|change-me|\.\.\.|PASSWORD|None|\"\"|''|\*+)$")


def tracked_text_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    paths = [p for p in out.decode().split("\0") if p]
    texts = []
    for path in paths:
        data = (ROOT / path).read_bytes() if (ROOT / path).is_file() else b""
        if b"\0" not in data[:4096]:
            texts.append(path)
    return texts


def test_no_credentials_in_tracked_files():
    paths = tracked_text_files()
    assert len(paths) > 100  # the scan really ran over the repository
    found = []
    for path in paths:
        text = (ROOT / path).read_text(errors="replace")
        for what, pattern in CREDENTIAL_SHAPES.items():
            found += [f"{path}: {what}" for _ in pattern.finditer(text)]
        if path.startswith("tests/"):
            continue  # tests use visibly fake values (sentinels, 'pw') on purpose
        for m in URL_PASSWORD.finditer(text):
            if not PLACEHOLDER.match(m.group(1)):
                found.append(f"{path}: password in URL {m.group(0)!r}")
        assignment = PY_SECRET_LITERAL if path.endswith(".py") else SECRET_ASSIGNMENT
        for m in assignment.finditer(text):
            value = m.group(1)
            if not PLACEHOLDER.match(value) and not re.fullmatch(r"[A-Za-z_][\w.]*\(?", value):
                found.append(f"{path}: literal {m.group(0)!r}")
    assert not found, found


def test_the_scan_catches_a_planted_credential():
    # guards the scan above against matching nothing
    planted = "url = 'postgresql://airflow:hunter22@db/airflow'\nAWS_SECRET_ACCESS_KEY=wJalrXUtnF\n"
    assert URL_PASSWORD.search(planted).group(1) == "hunter22"
    assert SECRET_ASSIGNMENT.search(planted).group(1) == "wJalrXUtnF"
    assert CREDENTIAL_SHAPES["AWS access key id"].search("key " + "AKIA" + "IOSFODNN7EXAMPLE here")
    assert PY_SECRET_LITERAL.search('admin_password = "hunter2222"').group(1) == "hunter2222"
    assert not PY_SECRET_LITERAL.search("password = creds['AIRFLOW_PASSWORD']")


@pytest.mark.parametrize("path", [".env", ".state/credentials.env", ".state/logs/s3.log"])
def test_credential_stores_and_state_are_git_ignored(path):
    done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
    assert done.returncode == 0, f"{path} is not git-ignored"


def test_settings_never_default_or_show_credentials():
    s = Settings.from_env({})
    assert (s.aws_access_key_id, s.aws_secret_access_key) == ("", "")
    secret = Settings.from_env({"AWS_SECRET_ACCESS_KEY": "s3cr3t-value", "AWS_ACCESS_KEY_ID": "k"})
    assert "s3cr3t-value" not in str(secret.as_dict())


def test_the_local_stack_runs_airflow_with_simple_auth_and_no_anonymous_admin(tmp_path):
    from driftline.stack import Stack

    env = Stack(Settings.from_env({"DRIFTLINE_STATE_DIR": str(tmp_path)})).env()
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert len(env["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"]) >= 12  # generated, not a default


# ------------------------------------------------------------------ model loading
@pytest.mark.parametrize(
    "uri",
    [
        "/tmp/model.pkl",
        "model.pkl",
        "file:///tmp/model.pkl",
        "runs:/0123abcd/model",
        "s3://driftline-mlflow/evil/model.pkl",
        "models:/driftline/../../tmp/x",
    ],
)
def test_scoring_loads_models_from_the_registry_only(uri):
    from driftline.training.inference import score_batch

    with pytest.raises(ModelError) as info:
        score_batch(pd.DataFrame({"x": [1.0]}), batch_id="b1", model_uri=uri)
    assert "models:/<name>" in str(info.value)


@pytest.mark.parametrize("version", ["../../tmp/model.pkl", "/tmp/m.pkl", "1 ", "champion", ""])
def test_the_registry_loads_version_numbers_only(version):
    from driftline.training.registry import Registry

    with pytest.raises(ModelError) as info:
        Registry("driftline", "http://127.0.0.1:9").load(version)
    assert "not a registry version number" in str(info.value)


def _python_files():
    for folder in ("include/driftline", "dags", "plugins"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_code_unpickles_or_loads_a_model_from_a_path():
    """Every model load goes through ``models:/`` URIs; nothing imports pickle-style loaders."""
    banned = {"pickle", "cloudpickle", "joblib", "dill"}  # skops (allow-listed types) is fine
    loads = []
    for path in _python_files():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                hit = {n.split(".")[0] for n in names} & banned
                assert not hit, f"{path}:{node.lineno} imports {hit}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("read_pickle", "load_model", "load"):
                    loads.append((path, node))
    model_loads = [(p, n) for p, n in loads if n.func.attr in ("load_model", "read_pickle")]
    assert model_loads, "the scan found no model load at all"
    for path, node in model_loads:
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        assert node.func.attr == "load_model", f"{where} reads a pickle"
        arg = node.args[0]
        from_registry = (
            isinstance(arg, ast.JoinedStr)
            and isinstance(arg.values[0], ast.Constant)
            and str(arg.values[0].value).startswith("models:/")
        ) or (isinstance(arg, ast.Name) and arg.id == "concrete")  # from inference._resolve
        # registry.load_model refuses anything but models:/ (tested below); the label-free
        # pyfunc loads the champion that MLflow packaged inside its own registered version
        from_registry = from_registry or (
            path.name == "registry.py" and ast.unparse(arg) == "model_uri"
        )
        from_registry = from_registry or (
            path.name == "pyfunc.py" and ast.unparse(arg).startswith("context.artifacts[")
        )
        assert from_registry, f"{where} loads a model from {ast.unparse(arg)}"


@pytest.mark.parametrize("uri", ["/tmp/model", "runs:/abc/model", "file:///tmp/m.pkl", "s3://b/m"])
def test_load_model_accepts_registry_uris_only(uri):
    from driftline.training.registry import load_model

    with pytest.raises(ModelError) as info:
        load_model(uri)
    assert "not a registry URI" in str(info.value)
