#!/usr/bin/env bash
# `make run`: starts wharf with its embedded defaults (SQLite in ./wharf-data, API on
# 127.0.0.1:4566), shows it answering the real aws CLI, and keeps it running until Ctrl-C.
set -euo pipefail
WHARF=${1:-build/wharf}
DATA_DIR=${WHARF_DATA_DIR:-./wharf-data}
LISTEN=${WHARF_LISTEN:-127.0.0.1:4566}
ENDPOINT="http://${LISTEN}"

# wharf runs in its own session: a Ctrl-C at the terminal reaches this script (whose cleanup
# still needs the API) but not wharf, which the cleanup stops last.
setsid "$WHARF" server --data-dir "$DATA_DIR" --listen "$LISTEN" &
pid=$!
task=""
# On Ctrl-C (or an error) the demo service and task are stopped first (a stopped wharf would
# leave their containers running, to be adopted by the next start), then wharf.
cleanup() {
  local status=$?
  trap - INT TERM EXIT
  set +e
  kill -0 $pid 2>/dev/null || { wait $pid 2>/dev/null; exit "$status"; }
  if [ -n "${service_made:-}" ]; then
    aws_ ecs delete-service --cluster alba-digi-cluster --service alba-digi-service --force >/dev/null 2>&1 || true
    for _ in $(seq 60); do
      [ "$(aws_ ecs list-tasks --cluster alba-digi-cluster --query 'length(taskArns)' --output text 2>/dev/null)" = 0 ] && break
      sleep 0.5
    done
  fi
  if [ -n "$task" ]; then
    aws_ ecs stop-task --cluster demo --task "$task" >/dev/null 2>&1 || true
    for _ in $(seq 40); do
      [ "$(aws_ ecs describe-tasks --cluster demo --tasks "$task" --query 'tasks[0].lastStatus' --output text 2>/dev/null)" = STOPPED ] && break
      sleep 0.25
    done
  fi
  kill -TERM $pid 2>/dev/null
  wait $pid 2>/dev/null
  exit "$status"
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

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
image=$(scripts/demo-image.sh "$ENDPOINT" demo-web v1)
aws_ ecs register-task-definition --family demo-web --requires-compatibilities FARGATE \
  --network-mode awsvpc --cpu 256 --memory 512 \
  --container-definitions "[{\"name\":\"web\",\"image\":\"$image\",\"stopTimeout\":2,\"portMappings\":[{\"containerPort\":8080}]}]" \
  --query 'taskDefinition.[taskDefinitionArn,status]' --output text
subnet=$(aws_ ec2 describe-subnets --filters Name=default-for-az,Values=true --query 'Subnets[0].SubnetId' --output text)
# Security groups are enforced: the task's group admits port 8080 from anywhere (this
# machine plays the internet), as a web task's group would on AWS.
vpc=$(aws_ ec2 describe-subnets --subnet-ids "$subnet" --query 'Subnets[0].VpcId' --output text)
web_sg=$(aws_ ec2 describe-security-groups --filters Name=group-name,Values=demo-web "Name=vpc-id,Values=$vpc" \
  --query 'SecurityGroups[0].GroupId' --output text)
if [ "$web_sg" = None ]; then
  web_sg=$(aws_ ec2 create-security-group --group-name demo-web --description "make run's demo task" \
    --vpc-id "$vpc" --query GroupId --output text)
  aws_ ec2 authorize-security-group-ingress --group-id "$web_sg" --protocol tcp --port 8080 \
    --cidr 0.0.0.0/0 --query 'Return' --output text
fi
task=$(aws_ ecs run-task --cluster demo --launch-type FARGATE --task-definition demo-web \
  --network-configuration "awsvpcConfiguration={subnets=[$subnet],securityGroups=[$web_sg]}" \
  --query 'tasks[0].taskArn' --output text)
set +x
if [ "$(id -u)" -eq 0 ]; then
  for _ in $(seq 100); do
    status=$(aws_ ecs describe-tasks --cluster demo --tasks "$task" --query 'tasks[0].lastStatus' --output text)
    [ "$status" = RUNNING ] || [ "$status" = STOPPED ] && break
    sleep 0.2
  done
  ip=$(aws_ ecs describe-tasks --cluster demo --tasks "$task" \
    --query "tasks[0].attachments[0].details[?name=='privateIPv4Address'].value" --output text)
  echo "task $task is $status at $ip:"
  set -x
  curl -fsS --max-time 5 "http://$ip:8080/"
  set +x
  echo
  echo "Now seed 001's flow: a service of 2 tasks behind a load balancer (examples/fargate-service-behind-alb.sh):"
  service_made=1  # before it runs: a Ctrl-C in the middle must still delete what it made
  ENDPOINT="$ENDPOINT" WHARF_DATA_DIR="$DATA_DIR" LISTENER_PORT="${WHARF_DEMO_LB_PORT:-8088}" \
    examples/fargate-service-behind-alb.sh
else
  echo "(not root: no local node runs the task; see README)"
fi
echo
echo "Press Ctrl-C to stop the demo task, the demo service and wharf."
wait $pid
