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


def test_the_local_stack_runs_mlflow_with_basic_auth(tmp_path):
    """The embedded MLflow is started as in compose: basic-auth app behind its entrypoint,
    admin password and Flask secret from the generated credentials, user store in the
    (git-ignored) state folder; clients get the login, never the Flask secret."""
    from driftline.stack import MLFLOW_ENTRYPOINT, Stack, load_or_create_credentials

    settings = Settings.from_env({"DRIFTLINE_STATE_DIR": str(tmp_path)})
    stack = Stack(settings, ["mlflow"])
    svc = stack.services()["mlflow"]
    creds = load_or_create_credentials(settings)
    assert svc.command[:2] == ["bash", str(MLFLOW_ENTRYPOINT)]
    assert svc.command[svc.command.index("--app-name") + 1] == "basic-auth"
    assert svc.env["MLFLOW_AUTH_ADMIN_PASSWORD"] == creds["MLFLOW_TRACKING_PASSWORD"]
    assert svc.env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == creds["MLFLOW_FLASK_SERVER_SECRET_KEY"]
    assert svc.env["MLFLOW_AUTH_DATABASE_URI"] == f"sqlite:///{tmp_path}/mlflow/basic_auth.db"
    env = stack.env()
    assert env["MLFLOW_TRACKING_USERNAME"] == "admin"
    assert env["MLFLOW_TRACKING_PASSWORD"] == creds["MLFLOW_TRACKING_PASSWORD"]
    assert "MLFLOW_FLASK_SERVER_SECRET_KEY" not in env  # the server's only
    assert not any(creds["MLFLOW_TRACKING_PASSWORD"] in part for part in svc.command)
    done = subprocess.run(["git", "check-ignore", "-q", ".state/mlflow/basic_auth.db"], cwd=ROOT)
    assert done.returncode == 0, "the MLflow user store is not git-ignored"


def _mlflow_call(base: str, method: str, path: str, auth=None, **kwargs) -> int:
    import httpx

    return httpx.request(method, base + path, auth=auth, timeout=30, **kwargs).status_code


@pytest.mark.integration
def test_the_embedded_mlflow_refuses_anonymous_writes(services):
    """Anonymous (and wrong-password) requests to a real embedded MLflow get 401: moving an
    alias, creating and deleting a registered model, tagging a version, writing and deleting
    an artifact through the proxy. Nothing changes; the same calls logged in succeed."""
    import uuid

    from driftline.stack import load_or_create_credentials

    base = services.mlflow_tracking_uri
    admin = ("admin", load_or_create_credentials(services)["MLFLOW_TRACKING_PASSWORD"])
    name = f"auth-probe-{uuid.uuid4().hex[:8]}"
    api = "/api/2.0/mlflow"
    art = f"/api/2.0/mlflow-artifacts/artifacts/auth-probe/{name}/model.txt"

    def ok(method, path, **kw):
        code = _mlflow_call(base, method, path, admin, **kw)
        assert code == 200, (method, path, code)

    ok("POST", f"{api}/registered-models/create", json={"name": name})
    run = httpx_post_json(base + f"{api}/runs/create", admin, json={"experiment_id": "0"})["run"]
    for _ in range(2):
        ok(
            "POST",
            f"{api}/model-versions/create",
            json={
                "name": name,
                "source": run["info"]["artifact_uri"] + "/model",
                "run_id": run["info"]["run_id"],
            },
        )
    ok(
        "POST",
        f"{api}/registered-models/alias",
        json={"name": name, "alias": "champion", "version": "2"},
    )
    ok("PUT", art, content=b"the champion")

    writes = {
        "move alias": (
            "POST",
            f"{api}/registered-models/alias",
            {"json": {"name": name, "alias": "champion", "version": "1"}},
        ),
        "create model": (
            "POST",
            f"{api}/registered-models/create",
            {"json": {"name": name + "-x"}},
        ),
        "delete model": ("DELETE", f"{api}/registered-models/delete", {"json": {"name": name}}),
        "set version tag": (
            "POST",
            f"{api}/model-versions/set-tag",
            {"json": {"name": name, "version": "2", "key": "k", "value": "v"}},
        ),
        "write artifact": ("PUT", art, {"content": b"replaced"}),
        "delete artifact": ("DELETE", art, {}),
    }
    seen = {}
    for what, (method, path, kw) in writes.items():
        for who, auth in (("anonymous", None), ("wrong password", ("admin", "not-the-password"))):
            seen[f"{what} ({who})"] = _mlflow_call(base, method, path, auth, **kw)
    print(seen)
    assert set(seen.values()) == {401}, seen

    got = httpx_get_json(base + f"{api}/registered-models/get", admin, params={"name": name})
    model = got["registered_model"]
    assert {a["alias"]: a["version"] for a in model["aliases"]} == {"champion": "2"}
    tags = httpx_get_json(
        base + f"{api}/model-versions/get", admin, params={"name": name, "version": "2"}
    )
    assert "tags" not in tags["model_version"]
    assert httpx_get(base + art, admin).content == b"the champion"
    assert (
        _mlflow_call(base, "POST", f"{api}/registered-models/search", None, json={}) == 401
    )  # reads too

    # logged in, the same writes go through
    ok(
        "POST",
        f"{api}/registered-models/alias",
        json={"name": name, "alias": "champion", "version": "1"},
    )
    ok(
        "POST",
        f"{api}/model-versions/set-tag",
        json={"name": name, "version": "2", "key": "k", "value": "v"},
    )
    ok("DELETE", art)
    ok("DELETE", f"{api}/registered-models/delete", json={"name": name})


def httpx_get(url: str, auth, **kwargs):
    import httpx

    resp = httpx.get(url, auth=auth, timeout=30, **kwargs)
    assert resp.status_code == 200, (url, resp.status_code, resp.text[:200])
    return resp


def httpx_post_json(url: str, auth, **kwargs) -> dict:
    import httpx

    resp = httpx.post(url, auth=auth, timeout=30, **kwargs)
    assert resp.status_code == 200, (url, resp.status_code, resp.text[:200])
    return resp.json()


def httpx_get_json(url: str, auth, **kwargs) -> dict:
    return httpx_get(url, auth, **kwargs).json()


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
