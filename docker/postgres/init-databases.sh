#!/usr/bin/env bash
# Create Driftline's roles and databases in the compose PostgreSQL server.
#
# The postgres image runs this once, on the first start with an empty data volume
# (/docker-entrypoint-initdb.d). One role per component, each owning its own databases:
#
#   airflow    -> airflow              Airflow metadata and the Celery result backend
#   mlflow     -> mlflow, mlflow_auth  MLflow tracking/registry store, MLflow basic-auth users
#   driftline  -> driftline            Driftline monitoring store
#
# Passwords come from the environment (.env); changing them later needs
# `ALTER ROLE ... PASSWORD ...` because this script does not run again.
set -euo pipefail

require_secret() {
    local name="$1" value="${!1:-}"
    case "$value" in
        "" | change-me*)
            echo "init-databases: $name is empty or still the .env.example placeholder: set it in .env" >&2
            exit 1
            ;;
    esac
}

# create ROLE PASSWORD_VARIABLE DATABASE...
create() {
    local role="$1" password_var="$2"
    shift 2
    require_secret "$password_var"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v role="$role" -v password="${!password_var}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')\gexec
SQL
    local db
    for db in "$@"; do
        psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
            -v role="$role" -v db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
        echo "init-databases: database $db owned by $role"
    done
}

create airflow AIRFLOW_DB_PASSWORD airflow
create mlflow MLFLOW_DB_PASSWORD mlflow mlflow_auth
create driftline DRIFTLINE_DB_PASSWORD driftline
