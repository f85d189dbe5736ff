#!/usr/bin/env bash
# Entrypoint of the compose `mlflow` service: write the basic-auth config, then run the command.
#
# MLflow's basic-auth app reads its user store location from an ini file
# (MLFLOW_AUTH_CONFIG_PATH). The store's URL holds a password, so the file is written
# here, at start-up, from the environment, into a private temporary folder, and never
# baked into the image. The admin user is created on first start from
# MLFLOW_AUTH_ADMIN_USERNAME / MLFLOW_AUTH_ADMIN_PASSWORD (MLflow reads them directly).
set -euo pipefail

fail() {
    echo "mlflow-entrypoint: $1: $2" >&2
    exit 1
}

for name in MLFLOW_AUTH_DATABASE_URI MLFLOW_AUTH_ADMIN_PASSWORD MLFLOW_FLASK_SERVER_SECRET_KEY; do
    case "${!name:-}" in
        "") fail "$name is not set" "set it in the service environment (see docker-compose.yaml)" ;;
        *change-me*) fail "$name still holds the .env.example placeholder" "set a real secret in .env" ;;
    esac
done
if [ "${#MLFLOW_AUTH_ADMIN_PASSWORD}" -lt 12 ]; then
    fail "MLFLOW_ADMIN_PASSWORD is shorter than 12 characters" "MLflow refuses it; set a longer one in .env"
fi

config_dir="$(mktemp -d)"
chmod 700 "$config_dir"
export MLFLOW_AUTH_CONFIG_PATH="$config_dir/basic_auth.ini"
# configparser interpolates '%', so a URL-encoded password needs it doubled.
database_uri="${MLFLOW_AUTH_DATABASE_URI//%/%%}"
umask 077
cat >"$MLFLOW_AUTH_CONFIG_PATH" <<INI
[mlflow]
default_permission = ${MLFLOW_AUTH_DEFAULT_PERMISSION:-READ}
database_uri = ${database_uri}
admin_username = ${MLFLOW_AUTH_ADMIN_USERNAME:-admin}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
unset database_uri

exec "$@"
