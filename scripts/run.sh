#!/usr/bin/env bash
# `make run`: starts wharf with its embedded defaults (SQLite in ./wharf-data, API and web
# console on 127.0.0.1:4566), starts a demo task and seed 001's service behind a load
# balancer, prints a short summary (the console's URL and how to sign in, the endpoint for
# the CLI, what Ctrl-C cleans up) and keeps wharf running until Ctrl-C. What the steps and
# wharf itself print goes to DATA_DIR/make-run.log and DATA_DIR/wharf.log.
set -euo pipefail
WHARF=${1:-build/wharf}
DATA_DIR=${WHARF_DATA_DIR:-./wharf-data}
LISTEN=${WHARF_LISTEN:-127.0.0.1:4566}
ENDPOINT="http://${LISTEN}"
LB_PORT="${WHARF_DEMO_LB_PORT:-8088}"
mkdir -p "$DATA_DIR"
LOG="$(realpath "$DATA_DIR")/make-run.log"
SERVER_LOG="$(realpath "$DATA_DIR")/wharf.log"
: >"$LOG"

# wharf runs in its own session: a Ctrl-C at the terminal reaches this script (whose cleanup
# still needs the API) but not wharf, which the cleanup stops last.
setsid "$WHARF" server --data-dir "$DATA_DIR" --listen "$LISTEN" >>"$SERVER_LOG" 2>&1 &
pid=$!
task=""
# On Ctrl-C (or an error) the demo service and task are stopped first (a stopped wharf would
# leave their containers running, to be adopted by the next start), then wharf.
cleanup() {
  local status=$?
  trap - INT TERM EXIT
  set +e
  kill -0 $pid 2>/dev/null || { wait $pid 2>/dev/null; exit "$status"; }
  echo
  if [ -n "${service_made:-}" ]; then
    echo "Deleting the demo service alba-digi-service..."
    aws_ ecs delete-service --cluster alba-digi-cluster --service alba-digi-service --force >/dev/null 2>&1 || true
    for _ in $(seq 60); do
      [ "$(aws_ ecs list-tasks --cluster alba-digi-cluster --query 'length(taskArns)' --output text 2>/dev/null)" = 0 ] && break
      sleep 0.5
    done
  fi
  if [ -n "$task" ]; then
    echo "Stopping the demo task..."
    aws_ ecs stop-task --cluster demo --task "$task" >/dev/null 2>&1 || true
    for _ in $(seq 40); do
      [ "$(aws_ ecs describe-tasks --cluster demo --tasks "$task" --query 'tasks[0].lastStatus' --output text 2>/dev/null)" = STOPPED ] && break
      sleep 0.25
    done
  fi
  echo "Stopping wharf (its state stays in $DATA_DIR)."
  kill -TERM $pid 2>/dev/null
  wait $pid 2>/dev/null
  exit "$status"
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

# One line per step; what the step prints goes to the log, shown only when it fails.
step() {
  local what=$1
  shift
  printf '  %-58s' "$what"
  if out=$("$@" 2>>"$LOG"); then
    echo "done"
    printf '%s\n' "$out" >>"$LOG"
    result=$out
  else
    echo "FAILED"
    echo "--- the end of $LOG:" >&2
    tail -n 20 "$LOG" >&2
    return 1
  fi
}

echo "Starting wharf on $ENDPOINT (state in $DATA_DIR, its log in $SERVER_LOG)"
for _ in $(seq 100); do
  curl -fsS "$ENDPOINT/_wharf/health" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "wharf exited:" >&2; tail -n 20 "$SERVER_LOG" >&2; exit 1; }
  sleep 0.05
done

export AWS_SHARED_CREDENTIALS_FILE="$(realpath "$DATA_DIR")/credentials"
export AWS_PAGER=""
aws_() { aws --endpoint-url "$ENDPOINT" --region us-east-1 "$@"; }
key_id=$(sed -n 's/^aws_access_key_id = //p' "$AWS_SHARED_CREDENTIALS_FILE")
secret=$(sed -n 's/^aws_secret_access_key = //p' "$AWS_SHARED_CREDENTIALS_FILE")

step "Checking the aws CLI against it (sts get-caller-identity)" \
  aws_ sts get-caller-identity --query Arn --output text
step "Creating cluster demo" \
  aws_ ecs create-cluster --cluster-name demo --query 'cluster.status' --output text
step "Pushing a demo image to wharf's ECR (demo-web:v1)" scripts/demo-image.sh "$ENDPOINT" demo-web v1
image=$result
step "Registering task definition demo-web" \
  aws_ ecs register-task-definition --family demo-web --requires-compatibilities FARGATE \
  --network-mode awsvpc --cpu 256 --memory 512 \
  --container-definitions "[{\"name\":\"web\",\"image\":\"$image\",\"stopTimeout\":2,\"portMappings\":[{\"containerPort\":8080}]}]" \
  --query 'taskDefinition.taskDefinitionArn' --output text
subnet=$(aws_ ec2 describe-subnets --filters Name=default-for-az,Values=true --query 'Subnets[0].SubnetId' --output text)
# Security groups are enforced: the task's group admits port 8080 from anywhere (this
# machine plays the internet), as a web task's group would on AWS.
vpc=$(aws_ ec2 describe-subnets --subnet-ids "$subnet" --query 'Subnets[0].VpcId' --output text)
web_sg=$(aws_ ec2 describe-security-groups --filters Name=group-name,Values=demo-web "Name=vpc-id,Values=$vpc" \
  --query 'SecurityGroups[0].GroupId' --output text)
if [ "$web_sg" = None ]; then
  step "Creating security group demo-web (port 8080 open)" \
    aws_ ec2 create-security-group --group-name demo-web --description "make run's demo task" \
    --vpc-id "$vpc" --query GroupId --output text
  web_sg=$result
  aws_ ec2 authorize-security-group-ingress --group-id "$web_sg" --protocol tcp --port 8080 \
    --cidr 0.0.0.0/0 --query 'Return' --output text >>"$LOG" 2>&1
fi
step "Running a Fargate task of demo-web in cluster demo" \
  aws_ ecs run-task --cluster demo --launch-type FARGATE --task-definition demo-web \
  --network-configuration "awsvpcConfiguration={subnets=[$subnet],securityGroups=[$web_sg]}" \
  --query 'tasks[0].taskArn' --output text
task=$result
task_line="(not root: no local node runs tasks; see README)"
lb_line=""
if [ "$(id -u)" -eq 0 ]; then
  for _ in $(seq 100); do
    status=$(aws_ ecs describe-tasks --cluster demo --tasks "$task" --query 'tasks[0].lastStatus' --output text)
    [ "$status" = RUNNING ] || [ "$status" = STOPPED ] && break
    sleep 0.2
  done
  ip=$(aws_ ecs describe-tasks --cluster demo --tasks "$task" \
    --query "tasks[0].attachments[0].details[?name=='privateIPv4Address'].value" --output text)
  task_line="task ${task##*/} is $status: curl http://$ip:8080/"
  service_made=1  # before it runs: a Ctrl-C in the middle must still delete what it made
  step "Seed 001: a service of 2 tasks behind a load balancer" \
    env ENDPOINT="$ENDPOINT" WHARF_DATA_DIR="$DATA_DIR" LISTENER_PORT="$LB_PORT" \
    examples/fargate-service-behind-alb.sh
  dns=$(aws_ elbv2 describe-load-balancers --names alba-digi-alb --query 'LoadBalancers[0].DNSName' --output text)
  lb_line="service alba-digi-service in cluster alba-digi-cluster: curl http://$dns:$LB_PORT/alive"
fi

cat <<MSG

wharf is running.

  Web console   $ENDPOINT/console/
                sign in ("Access key") with access key ID $key_id
                and secret access key      $secret
                (the account's admin key, also in $AWS_SHARED_CREDENTIALS_FILE),
                or ("IAM user") as an IAM user with the password of its login profile:
                aws --endpoint-url $ENDPOINT iam create-login-profile --user-name NAME --password PASSWORD

  aws CLI       export AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE
                aws --endpoint-url $ENDPOINT --region us-east-1 ecs list-clusters
  Registry      $LISTEN (aws ecr get-login-password | docker login --username AWS --password-stdin $LISTEN)

  Started       cluster demo, $task_line
MSG
[ -n "$lb_line" ] && echo "                $lb_line"
cat <<MSG

  Ctrl-C stops the demo service and task, then wharf; the state stays in $DATA_DIR.
  Logs: $SERVER_LOG (wharf), $LOG (the steps above).
MSG
wait $pid
