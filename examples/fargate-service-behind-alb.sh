#!/usr/bin/env bash
# The flow of ../shared/seeds/001 (a Fargate service behind an Application Load Balancer) with
# the aws CLI against a running wharf (`make run` leaves one on 127.0.0.1:4566):
#   cluster -> task definition (an image answering /alive on 5050, pushed to wharf's ECR) ->
#   load balancer, target group (ip targets, port 5050, health check /alive), listener ->
#   service with 2 tasks (rolling update 100/200, grace period 30) -> curl http://<DNSName>/alive
# Then a rolling update to a new revision. Needs root (the node runs the tasks).
#   ENDPOINT=http://127.0.0.1:4566 LISTENER_PORT=80 examples/fargate-service-behind-alb.sh
set -euo pipefail
ENDPOINT=${ENDPOINT:-http://127.0.0.1:4566}
LISTENER_PORT=${LISTENER_PORT:-80}
DATA_DIR=${WHARF_DATA_DIR:-./wharf-data}
export AWS_SHARED_CREDENTIALS_FILE=${AWS_SHARED_CREDENTIALS_FILE:-$(realpath "$DATA_DIR")/credentials}
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
aws_() { aws --endpoint-url "$ENDPOINT" --region us-east-1 "$@"; }
cd "$(dirname "$0")/.."
set -x
image=$(scripts/demo-image.sh "$ENDPOINT" alba-digi v1 5050)
aws_ ecs create-cluster --cluster-name alba-digi-cluster --tags key=Name,value=alba-digi-cluster \
  --query 'cluster.status' --output text
aws_ ecs register-task-definition --family alba-digi-task --requires-compatibilities FARGATE \
  --network-mode awsvpc --cpu 256 --memory 512 \
  --container-definitions "[{\"name\":\"app\",\"image\":\"$image\",\"essential\":true,\"stopTimeout\":2,
    \"portMappings\":[{\"containerPort\":5050,\"protocol\":\"tcp\"}]}]" \
  --query 'taskDefinition.taskDefinitionArn' --output text
vpc=$(aws_ ec2 describe-vpcs --query 'Vpcs[0].VpcId' --output text)
subnets=$(aws_ ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" --query 'Subnets[0:2].SubnetId' --output text | tr '\t' ' ')
sg=$(aws_ ec2 describe-security-groups --filters "Name=group-name,Values=default" --query 'SecurityGroups[0].GroupId' --output text)
lb=$(aws_ elbv2 create-load-balancer --name alba-digi-alb --type application --scheme internet-facing \
  --subnets $subnets --security-groups "$sg" --query 'LoadBalancers[0].LoadBalancerArn' --output text)
tg=$(aws_ elbv2 create-target-group --name alba-digi-tg --protocol HTTP --port 5050 --vpc-id "$vpc" \
  --target-type ip --health-check-path /alive --health-check-interval-seconds 5 \
  --health-check-timeout-seconds 4 --healthy-threshold-count 2 \
  --query 'TargetGroups[0].TargetGroupArn' --output text)
aws_ elbv2 modify-target-group-attributes --target-group-arn "$tg" \
  --attributes Key=deregistration_delay.timeout_seconds,Value=5 >/dev/null
aws_ elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port "$LISTENER_PORT" \
  --default-actions "Type=forward,TargetGroupArn=$tg" --query 'Listeners[0].ListenerArn' --output text
aws_ elbv2 wait load-balancer-available --load-balancer-arns "$lb"
aws_ ecs create-service --cluster alba-digi-cluster --service-name alba-digi-service \
  --task-definition alba-digi-task --desired-count 2 --launch-type FARGATE \
  --network-configuration "awsvpcConfiguration={subnets=[${subnets// /,}],securityGroups=[$sg],assignPublicIp=ENABLED}" \
  --load-balancers "targetGroupArn=$tg,containerName=app,containerPort=5050" \
  --deployment-configuration "maximumPercent=200,minimumHealthyPercent=100" \
  --health-check-grace-period-seconds 30 --query 'service.status' --output text
aws_ ecs wait services-stable --cluster alba-digi-cluster --services alba-digi-service
for _ in $(seq 60); do
  healthy=$(aws_ elbv2 describe-target-health --target-group-arn "$tg" \
    --query "length(TargetHealthDescriptions[?TargetHealth.State=='healthy'])" --output text)
  [ "$healthy" -ge 2 ] && break
  sleep 1
done
dns=$(aws_ elbv2 describe-load-balancers --load-balancer-arns "$lb" --query 'LoadBalancers[0].DNSName' --output text)
curl -fsS "http://$dns:$LISTENER_PORT/alive"
aws_ ecs describe-services --cluster alba-digi-cluster --services alba-digi-service \
  --query 'services[0].events[0:3].message' --output text
