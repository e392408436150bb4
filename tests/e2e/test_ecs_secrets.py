#!/usr/bin/python3
"""Container secrets as ECS gives them. A task definition's `secrets` name a plain Secrets
Manager secret, a key of a JSON secret (`:password::`, `:port::`), a SecureString parameter by
name and one by ARN; `logConfiguration.secretOptions` sets the awslogs stream prefix from a
parameter. The node fetches them with the task's execution role (whose policy names each secret
and parameter by ARN) through wharf's own GetSecretValue and GetParameters, and the busybox
container prints a SHA-256 of each variable to its awslogs stream, read back with
FilterLogEvents: each matches its value. Its health check sees them too (runc's exec reads the
spec, which lives 0600 under /run/wharf/specs/<node id>, config.json a link to it, removed with the task).
While it runs, `grep -r` of the server's data directory (task files, runc's state, the logs, the
store) finds none of the values.

An execution role without those permissions stops the task with ECS's
"ResourceInitializationError: unable to pull secrets or registry auth: ..." reason naming the
denied action (ssm:GetParameters, secretsmanager:GetSecretValue) and stopCode TaskFailedToStart;
so does a JSON key the secret lacks. RegisterTaskDefinition refuses secrets without an execution
role, a secret named like an environment variable, and environmentFiles (no S3 yet).

repositoryCredentials: an image in a private registry (the reference docker-registry with
htpasswd, on loopback) runs when the secret holds its username and password; a wrong password
stops the task with CannotPullContainerError, a secret that does not exist with
ResourceInitializationError ... unable to get registry auth from asm.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, expect_client_error  # noqa: E402
from registry_fixtures import ReferenceRegistry, push_oci  # noqa: E402
from task_fixtures import prepare, push_to_wharf, wait_clean, wait_task  # noqa: E402

ACCOUNT = "000000000000"
REGION = "us-east-1"
REASON = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
checks = Checks()
before, layout = prepare("v1")

# Unique values, so that a grep can only find them where wharf put them.
PLAIN = "plain-" + uuid.uuid4().hex
PASSWORD = "pw-" + uuid.uuid4().hex
API_KEY = "key-" + uuid.uuid4().hex
BY_ARN = "arn-" + uuid.uuid4().hex
VALUES = {"PLAIN": PLAIN, "DB_PASSWORD": PASSWORD, "DB_PORT": "5432", "API_KEY": API_KEY, "BY_ARN": BY_ARN}


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust():
    return doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"})


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def log_messages(logs, group, stream, want, timeout=30):
    deadline, messages = time.time() + timeout, []
    while time.time() < deadline:
        try:
            messages = [e["message"] for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, logStreamNames=[stream]) for e in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            messages = []
        if len(messages) >= want:
            return messages
        time.sleep(0.2)
    raise AssertionError(f"only {messages} in {group}/{stream}")


def stopped_reason(server, ecs, td, **kwargs):
    task = ecs.run_task(launchType="EC2", taskDefinition=td, **kwargs)["tasks"][0]
    task = wait_task(server, "default", task["taskArn"], "STOPPED")
    reason = task.get("stoppedReason", "")
    print(f"     stoppedReason: {reason}")
    assert task["lastStatus"] == "STOPPED" and task.get("stopCode") == "TaskFailedToStart", task
    return reason


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    iam, ecs = server.boto3("iam"), server.boto3("ecs")
    sm, ssm, logs = server.boto3("secretsmanager"), server.boto3("ssm"), server.boto3("logs")

    plain = sm.create_secret(Name="app/plain", SecretString=PLAIN)["ARN"]
    db = sm.create_secret(Name="app/db", SecretString=json.dumps(
        {"username": "app", "password": PASSWORD, "port": 5432}))["ARN"]
    ssm.put_parameter(Name="/app/api-key", Value=API_KEY, Type="SecureString")
    ssm.put_parameter(Name="by-arn", Value=BY_ARN, Type="SecureString")
    ssm.put_parameter(Name="/app/log-prefix", Value="sec", Type="String")
    by_arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/by-arn"
    parameter_arns = [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/api-key", by_arn,
                      f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/log-prefix"]

    execution_policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    allowed = iam.create_role(RoleName="exec-secrets", AssumeRolePolicyDocument=trust())["Role"]
    iam.attach_role_policy(RoleName="exec-secrets", PolicyArn=execution_policy)
    iam.put_role_policy(RoleName="exec-secrets", PolicyName="secrets", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [plain, db]},
        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameter_arns}))
    bare = iam.create_role(RoleName="exec-bare", AssumeRolePolicyDocument=trust())["Role"]
    iam.attach_role_policy(RoleName="exec-bare", PolicyArn=execution_policy)

    secrets = [{"name": "PLAIN", "valueFrom": plain},
               {"name": "DB_PASSWORD", "valueFrom": db + ":password::"},
               {"name": "DB_PORT", "valueFrom": db + ":port::"},
               {"name": "API_KEY", "valueFrom": "/app/api-key"},
               {"name": "BY_ARN", "valueFrom": by_arn}]
    # Prints a hash of each variable (never the value: the output is kept in the data
    # directory as the awslogs driver's file), then waits to be stopped.
    printer = ("for v in PLAIN DB_PASSWORD DB_PORT API_KEY BY_ARN; do eval x=\\$$v; "
               "echo \"$v=$(printf %s \"$x\" | sha256sum | cut -d' ' -f1)\"; done; sleep 120")
    log_configuration = {"logDriver": "awslogs",
                         "options": {"awslogs-group": "/ecs/secrets", "awslogs-region": REGION,
                                     "awslogs-create-group": "true"},
                         "secretOptions": [{"name": "awslogs-stream-prefix", "valueFrom": "/app/log-prefix"}]}
    td = ecs.register_task_definition(
        family="with-secrets", executionRoleArn=allowed["Arn"],
        containerDefinitions=[{"name": "app", "image": image, "memory": 32, "stopTimeout": 1,
                               "entryPoint": ["/bin/sh", "-c"], "command": [printer],
                               "environment": [{"name": "NOT_SECRET", "value": "x"}],
                               "secrets": secrets, "logConfiguration": log_configuration,
                               # A health check sees the secrets, as a docker exec does.
                               "healthCheck": {"command": ["CMD-SHELL", "[ \"$(printf %s \"$API_KEY\" | sha256sum | "
                                                           f"cut -d' ' -f1)\" = {sha(API_KEY)} ]"],
                                               "interval": 5, "retries": 1}}])["taskDefinition"]

    @checks.run
    def the_task_definition_shows_its_secrets_and_requires_the_capabilities():
        assert td["containerDefinitions"][0]["secrets"] == secrets, td
        names = {a["name"] for a in td["requiresAttributes"]}
        for want in ("ecs.capability.secrets.asm.environment-variables",
                     "ecs.capability.secrets.ssm.environment-variables",
                     "ecs.capability.secrets.ssm.bootstrap.log-driver", "ecs.capability.execution-role-awslogs"):
            assert want in names, names

    running = ecs.run_task(launchType="EC2", taskDefinition=td["taskDefinitionArn"])["tasks"][0]
    running = wait_task(server, "default", running["taskArn"], "RUNNING")
    task_id = running["taskArn"].rsplit("/", 1)[1]

    @checks.run
    def the_container_gets_each_secret_as_an_environment_variable():
        assert running["lastStatus"] == "RUNNING", running
        # The stream prefix came from a secretOptions parameter: sec/<container>/<task id>.
        printed = dict(m.split("=", 1) for m in log_messages(logs, "/ecs/secrets", f"sec/app/{task_id}", 5))
        assert printed == {name: sha(value) for name, value in VALUES.items()}, printed

    @checks.run
    def the_health_check_sees_the_secrets():
        deadline, task = time.time() + 30, running
        while time.time() < deadline and task.get("healthStatus") != "HEALTHY":
            time.sleep(0.2)
            task = ecs.describe_tasks(cluster="default", tasks=[running["taskArn"]])["tasks"][0]
        assert task.get("healthStatus") == "HEALTHY", task

    @checks.run
    def the_spec_with_the_secrets_is_outside_the_data_directory():
        config = os.path.join(server.data_dir, "node", "tasks", task_id, "containers", "app", "config.json")
        assert os.path.islink(config), config
        target = os.readlink(config)
        assert re.fullmatch(rf"/run/wharf/specs/i-[0-9a-f]{{17}}/{task_id}-app\.json", target), target
        global SPEC
        SPEC = target
        assert os.stat(target).st_mode & 0o777 == 0o600, oct(os.stat(target).st_mode)

    @checks.run
    def no_secret_value_is_in_the_data_directory():
        for name, value in VALUES.items():
            if name == "DB_PORT":
                continue  # "5432" is no secret: it is everywhere
            found = subprocess.run(["grep", "-r", "-l", "-a", "-F", value, server.data_dir],
                                   capture_output=True, text=True).stdout.split()
            assert not found, f"{name}'s value is in {found}"

    ecs.stop_task(cluster="default", task=running["taskArn"])
    wait_task(server, "default", running["taskArn"], "STOPPED")

    @checks.run
    def the_spec_goes_with_the_task():
        deadline = time.time() + 10
        while time.time() < deadline and os.path.exists(SPEC):
            time.sleep(0.2)
        assert not os.path.exists(SPEC), SPEC

    @checks.run
    def a_fargate_task_gets_its_secrets_too():
        subnets = server.boto3("ec2").describe_subnets()["Subnets"]
        subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
        fargate = ecs.register_task_definition(
            family="fargate-secrets", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", executionRoleArn=allowed["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "stopTimeout": 1, "entryPoint": ["/bin/sh", "-c"],
                                   "command": ["echo \"DB_PASSWORD=$(printf %s \"$DB_PASSWORD\" | sha256sum | "
                                               "cut -d' ' -f1)\"; sleep 120"],
                                   "secrets": [{"name": "DB_PASSWORD", "valueFrom": db + ":password::"}],
                                   "logConfiguration": {"logDriver": "awslogs", "options": {
                                       "awslogs-group": "/ecs/secrets", "awslogs-region": REGION,
                                       "awslogs-stream-prefix": "fg"}}}]
        )["taskDefinition"]["taskDefinitionArn"]
        task = ecs.run_task(launchType="FARGATE", taskDefinition=fargate, networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet]}})["tasks"][0]
        task = wait_task(server, "default", task["taskArn"], "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        stream = f"fg/app/{task['taskArn'].rsplit('/', 1)[1]}"
        assert log_messages(logs, "/ecs/secrets", stream, 1) == [f"DB_PASSWORD={sha(PASSWORD)}"]
        ecs.stop_task(cluster="default", task=task["taskArn"])
        wait_task(server, "default", task["taskArn"], "STOPPED")

    @checks.run
    def an_execution_role_that_may_not_read_the_parameters_stops_the_task():
        reason = stopped_reason(server, ecs, td["taskDefinitionArn"], overrides={"executionRoleArn": bare["Arn"]})
        assert reason.startswith(REASON + "unable to retrieve secrets from ssm: service call has been retried 1 "
                                 "time(s): operation error SSM: GetParameters, https response error StatusCode: "
                                 "400, api error AccessDeniedException: User: "
                                 f"arn:aws:sts::{ACCOUNT}:assumed-role/exec-bare/"), reason
        assert f"is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:{REGION}:{ACCOUNT}:" \
               "parameter/" in reason, reason

    @checks.run
    def an_execution_role_that_may_not_read_the_secret_stops_the_task():
        only_asm = ecs.register_task_definition(
            family="asm-only", executionRoleArn=bare["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "memory": 32,
                                   "secrets": [{"name": "PLAIN", "valueFrom": plain}]}])["taskDefinition"]
        reason = stopped_reason(server, ecs, only_asm["taskDefinitionArn"])
        assert reason.startswith(REASON + "unable to retrieve secret from asm: service call has been retried 1 "
                                 f"time(s): failed to fetch secret {plain} from secrets manager: operation error "
                                 "Secrets Manager: GetSecretValue, https response error StatusCode: 400, api error "
                                 "AccessDeniedException: User: "), reason
        assert f"is not authorized to perform: secretsmanager:GetSecretValue on resource: {plain}" in reason, reason

    @checks.run
    def a_json_key_the_secret_lacks_stops_the_task():
        missing = ecs.register_task_definition(
            family="missing-key", executionRoleArn=allowed["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "memory": 32,
                                   "secrets": [{"name": "X", "valueFrom": db + ":connectionString::"}]}])
        reason = stopped_reason(server, ecs, missing["taskDefinition"]["taskDefinitionArn"])
        assert reason == REASON + ("unable to retrieve secret from asm: retrieved secret from Secrets Manager did not "
                                   "contain json key connectionString"), reason

    @checks.run
    def register_task_definition_checks_secrets_as_ecs_does():
        container = {"name": "app", "image": image, "memory": 32, "secrets": [{"name": "A", "valueFrom": plain}]}
        expect_client_error(lambda: ecs.register_task_definition(family="bad", containerDefinitions=[container]),
                            "ClientException", "When you are specifying container secrets, you must also specify a "
                            "value for 'executionRoleArn'.")
        clash = dict(container, environment=[{"name": "A", "value": "1"}])
        expect_client_error(lambda: ecs.register_task_definition(
            family="bad", executionRoleArn=allowed["Arn"], containerDefinitions=[clash]), "ClientException",
            "The secret name must be unique and not shared with any new or existing environment variables set on "
            "the container, such as 'A'.")
        files = {"name": "app", "image": image, "memory": 32,
                 "environmentFiles": [{"value": "arn:aws:s3:::bucket/app.env", "type": "s3"}]}
        expect_client_error(lambda: ecs.register_task_definition(
            family="bad", executionRoleArn=allowed["Arn"], containerDefinitions=[files]), "ClientException",
            "environmentFiles are not supported")
        ecr_creds = dict(container, secrets=[], repositoryCredentials={"credentialsParameter": plain})
        expect_client_error(lambda: ecs.register_task_definition(
            family="bad", executionRoleArn=allowed["Arn"], containerDefinitions=[ecr_creds]), "ClientException",
            "Private repository credentials are not a supported authentication method for ECR repositories.")

    registry = ReferenceRegistry(basic_user="puller").start()
    push_oci(layout, "v1", registry.host, "private/app", "v1", creds=f"puller:{registry._password}")
    private_image = f"{registry.host}/private/app:v1"
    good = sm.create_secret(Name="registry/good", SecretString=json.dumps(
        {"username": "puller", "password": registry._password}))["ARN"]
    wrong = sm.create_secret(Name="registry/wrong", SecretString=json.dumps(
        {"username": "puller", "password": "not-the-password"}))["ARN"]
    iam.put_role_policy(RoleName="exec-secrets", PolicyName="registry", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))

    def private_task_definition(secret):
        return ecs.register_task_definition(
            family="private", executionRoleArn=allowed["Arn"],
            containerDefinitions=[{"name": "app", "image": private_image, "memory": 32, "stopTimeout": 1,
                                   "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 120"],
                                   "repositoryCredentials": {"credentialsParameter": secret}}]
        )["taskDefinition"]["taskDefinitionArn"]

    @checks.run
    def a_private_registry_image_is_pulled_with_the_secrets_credentials():
        task = ecs.run_task(launchType="EC2", taskDefinition=private_task_definition(good))["tasks"][0]
        task = wait_task(server, "default", task["taskArn"], "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        ecs.stop_task(cluster="default", task=task["taskArn"])
        wait_task(server, "default", task["taskArn"], "STOPPED")

    @checks.run
    def a_wrong_registry_password_stops_the_task_with_cannot_pull():
        reason = stopped_reason(server, ecs, private_task_definition(wrong))
        assert reason.startswith("CannotPullContainerError:"), reason

    @checks.run
    def a_missing_credentials_secret_stops_the_task():
        missing = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:registry/none-AbCdEf"
        reason = stopped_reason(server, ecs, private_task_definition(missing))
        assert reason.startswith(REASON + "unable to get registry auth from asm: service call has been retried 1 "
                                 f"time(s): asm fetching secret from the service for {missing}: operation error "
                                 "Secrets Manager: GetSecretValue, https response error StatusCode: 400, api error "
                                 "ResourceNotFoundException: "), reason

    @checks.run
    def host_left_clean():
        server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers
        assert not os.path.exists(os.path.dirname(SPEC)), os.listdir(os.path.dirname(SPEC))

checks.finish()
