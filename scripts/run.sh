#!/usr/bin/env bash
# `make run`: starts wharf with its embedded defaults (SQLite in ./wharf-data, API on
# 127.0.0.1:4566), shows it answering the real aws CLI, and keeps it running until Ctrl-C.
set -euo pipefail
WHARF=${1:-build/wharf}
DATA_DIR=${WHARF_DATA_DIR:-./wharf-data}
LISTEN=${WHARF_LISTEN:-127.0.0.1:4566}
ENDPOINT="http://${LISTEN}"

"$WHARF" server --data-dir "$DATA_DIR" --listen "$LISTEN" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 100); do
  curl -fsS "$ENDPOINT/_wharf/health" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "wharf exited; see the log above" >&2; exit 1; }
  sleep 0.05
done

export AWS_SHARED_CREDENTIALS_FILE="$(realpath "$DATA_DIR")/credentials"
aws_() { aws --endpoint-url "$ENDPOINT" --region us-east-1 "$@"; }

cat <<MSG

wharf is running on $ENDPOINT (state in $DATA_DIR).
Point the aws CLI or any SDK at it:

  export AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE
  export AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url $ENDPOINT ecs list-clusters

A first look:
MSG
set -x
aws_ sts get-caller-identity --output text
aws_ ecs create-cluster --cluster-name demo --query 'cluster.[clusterName,status]' --output text
aws_ ecs register-task-definition --family demo-web --requires-compatibilities FARGATE \
  --network-mode awsvpc --cpu 256 --memory 512 \
  --container-definitions '[{"name":"web","image":"busybox","portMappings":[{"containerPort":8080}]}]' \
  --query 'taskDefinition.[taskDefinitionArn,status]' --output text
aws_ ecs list-clusters --output text
set +x
echo
echo "Press Ctrl-C to stop wharf."
wait $pid
