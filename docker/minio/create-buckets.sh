#!/bin/sh
# One-shot job of the compose `minio-init` service (image minio/mc).
#
# Creates Driftline's buckets and Driftline's own access key, limited by a policy to
# those buckets, so the Airflow workers and MLflow never hold the MinIO root
# credentials. Safe to run again: every step creates only what is missing or updates it.
set -eu

fail() {
    echo "minio-init: $1: $2" >&2
    exit 1
}

value=""
for name in MINIO_ROOT_USER MINIO_ROOT_PASSWORD DRIFTLINE_S3_ACCESS_KEY DRIFTLINE_S3_SECRET_KEY; do
    eval "value=\${$name:-}"
    case "$value" in
        "") fail "$name is not set" "set it in .env (see .env.example)" ;;
        change-me*) fail "$name still holds the .env.example placeholder" "set a real value in .env" ;;
    esac
done

buckets="$DRIFTLINE_BUCKET_LANDING $DRIFTLINE_BUCKET_QUARANTINE $DRIFTLINE_BUCKET_MLFLOW $DRIFTLINE_BUCKET_REPORTS"

# The alias comes from the environment, so the root password never appears in argv.
MC_HOST_local="http://${MINIO_ROOT_USER}:${MINIO_ROOT_PASSWORD}@${MINIO_HOST:-minio:9000}"
export MC_HOST_local

for bucket in $buckets; do
    mc mb --ignore-existing "local/$bucket"
done

resources=""
for bucket in $buckets; do
    resources="$resources\"arn:aws:s3:::$bucket\", \"arn:aws:s3:::$bucket/*\", "
done
policy=/tmp/driftline-policy.json
cat >"$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
     "Resource": ["arn:aws:s3:::*"]},
    {"Effect": "Allow", "Action": ["s3:*"], "Resource": [${resources%, }]}
  ]
}
JSON
mc admin policy create local driftline "$policy"
rm -f "$policy"

mc admin user add local "$DRIFTLINE_S3_ACCESS_KEY" "$DRIFTLINE_S3_SECRET_KEY"
if ! out="$(mc admin policy attach local driftline --user "$DRIFTLINE_S3_ACCESS_KEY" 2>&1)"; then
    case "$out" in
        *already*) ;;
        *) fail "cannot attach the driftline policy" "$out" ;;
    esac
fi
echo "minio-init: buckets ready: $buckets; access key $DRIFTLINE_S3_ACCESS_KEY limited to them"
