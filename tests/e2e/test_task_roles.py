#!/usr/bin/python3
"""Task roles as ECS gives them: a FARGATE task whose task definition names a role trusting
ecs-tasks.amazonaws.com gets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; its container fetches the
role's credentials with busybox wget from http://169.254.170.2 (a DNAT rule in the task's own
namespace sends that to the node's metadata endpoint) and prints them; boto3 on the host signs
with them as arn:aws:sts::<account>:assumed-role/<role>/<task id>: ListClusters, which the role's
policy allows, works; CreateCluster is refused with AccessDeniedException. Another task's
container asking for that id is refused (400), and so is the host. A bridge mode task's
container gets its credentials the same way. RunTask with a role that
does not trust ecs-tasks.amazonaws.com answers ClientException with ECS's message and starts
nothing; a service of such a task definition says so in its events and launches nothing.

Execution roles: the node pulls a task's ECR image with a registry password got with its
execution role's credentials. With AmazonECSTaskExecutionRolePolicy the task runs (the tasks
above); an execution role allowed ecr:GetAuthorizationToken but not ecr:BatchGetImage stops the
task with CannotPullContainerError ... not authorized to perform: ecr:BatchGetImage. A FARGATE
task's awslogs streams and events are its execution role's: AmazonECSTaskExecutionRolePolicy
ships them, a role without logs:CreateLogStream stops the task with Fargate's
ResourceInitializationError. A host mode task gets its credentials at
AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback.

Task scale-in protection from inside a container: a service task PUTs and GETs
$ECS_AGENT_URI/task-protection/v1/state (busybox nc and wget); ECS's GetTaskProtection shows the
same state, a scale-in leaves the task running until it is unprotected; a task whose role lacks
ecs:GetTaskProtection is answered AccessDeniedException in the ECS agent's form.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error  # noqa: E402
from task_fixtures import prepare, push_to_wharf, wait_clean, wait_task  # noqa: E402

ACCOUNT = "000000000000"
checks = Checks()
before, layout = prepare("v1")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service):
    return doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def container_log(server, task_arn, name):
    path = os.path.join(server.data_dir, "node", "tasks", task_arn.rsplit("/", 1)[1], "containers", name,
                        "container.log")
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def wait_log(server, task_arn, name, pattern, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, container_log(server, task_arn, name))
        if m:
            return m
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} never in the log: {container_log(server, task_arn, name)!r}")


with WharfServer(agent=True) as server:
    image = push_to_wharf(server, layout, "v1", "app")
    iam = server.boto3("iam")
    ecs = server.boto3("ecs")
    role = iam.create_role(RoleName="app-task", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))["Role"]
    iam.put_role_policy(RoleName="app-task", PolicyName="list",
                        PolicyDocument=doc({"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}))
    execution = iam.create_role(RoleName="exec-ok", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))["Role"]
    iam.attach_role_policy(RoleName="exec-ok",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    token_only = iam.create_role(RoleName="exec-token-only",
                                 AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))["Role"]
    iam.put_role_policy(RoleName="exec-token-only", PolicyName="token",
                        PolicyDocument=doc({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}))
    untrusting = iam.create_role(RoleName="not-for-ecs", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))["Role"]

    subnets = server.aws("ec2", "describe-subnets", cli=NEWEST_AWS)["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]["SubnetId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}
    # Prints its metadata endpoint and its credentials, then waits to be stopped.
    fetch = ('echo "META=$ECS_CONTAINER_METADATA_URI_V4 URI=$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"; '
             'wget -q -O- "http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"; echo; sleep 120')
    td = ecs.register_task_definition(
        family="with-role", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        taskRoleArn=role["Arn"], executionRoleArn=execution["Arn"],
        containerDefinitions=[{"name": "app", "image": image, "entryPoint": ["/bin/sh", "-c"], "command": [fetch],
                               "stopTimeout": 1}])["taskDefinition"]["taskDefinitionArn"]

    def run(overrides=None):
        task = ecs.run_task(launchType="FARGATE", taskDefinition=td, networkConfiguration=network,
                            overrides=overrides or {})["tasks"][0]
        return wait_task(server, "default", task["taskArn"], "RUNNING")

    first = run()
    task_id = first["taskArn"].rsplit("/", 1)[1]

    @checks.run
    def container_fetches_its_role_credentials():
        assert first["lastStatus"] == "RUNNING", first
        found = wait_log(server, first["taskArn"], "app", r'\{"RoleArn".*?\}')
        creds = json.loads(found.group(0))
        assert creds["RoleArn"] == role["Arn"], creds
        assert creds["AccessKeyId"].startswith("ASIA") and creds["SecretAccessKey"] and creds["Token"], creds
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", creds["Expiration"]), creds
        uri = wait_log(server, first["taskArn"], "app", r"URI=(/v2/credentials/[0-9a-f-]{36})").group(1)
        global CREDS, URI, META
        CREDS, URI = creds, uri
        META = wait_log(server, first["taskArn"], "app", r"META=(http://[0-9.]+:\d+)/v4/").group(1)

    @checks.run
    def the_credentials_sign_as_the_role_session():
        as_task = dict(aws_access_key_id=CREDS["AccessKeyId"], aws_secret_access_key=CREDS["SecretAccessKey"],
                       aws_session_token=CREDS["Token"])
        who = server.boto3("sts", **as_task).get_caller_identity()
        assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-task/{task_id}", who
        task_ecs = server.boto3("ecs", **as_task)
        assert "clusterArns" in task_ecs.list_clusters()
        e = expect_client_error(lambda: task_ecs.create_cluster(clusterName="nope"), "AccessDeniedException")
        message = e.response["Error"]["Message"]
        assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/app-task/{task_id} is not authorized "
                                  "to perform: ecs:CreateCluster"), message

    @checks.run
    def another_task_and_the_host_are_refused_the_id():
        # The host asks from its own address on the bridge: not the task's.
        try:
            urllib.request.urlopen(META + URI, timeout=5)
            raise AssertionError("the host got the task's credentials")
        except urllib.error.HTTPError as e:
            assert e.code == 400, e.code
            body = json.loads(e.read())
            assert body == {"code": "InvalidIdInRequest", "message": "CredentialsV2Request: Credentials not found",
                            "HTTPErrorCode": 400}, body
        # Another task (with a role of its own) asks for the first one's id.
        steal = f'wget -q -O- "http://169.254.170.2{URI}" || echo "REFUSED"; echo; sleep 120'
        second = run({"containerOverrides": [{"name": "app", "command": [steal]}]})
        wait_log(server, second["taskArn"], "app", r"REFUSED")
        assert '"AccessKeyId"' not in container_log(server, second["taskArn"], "app")
        ecs.stop_task(cluster="default", task=second["taskArn"])
        wait_task(server, "default", second["taskArn"], "STOPPED")

    @checks.run
    def bridge_mode_containers_get_their_credentials_too():
        bridge_td = ecs.register_task_definition(
            family="bridge-role", taskRoleArn=role["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "memory": 32, "entryPoint": ["/bin/sh", "-c"],
                                   "command": [fetch], "stopTimeout": 1}])["taskDefinition"]["taskDefinitionArn"]
        task = ecs.run_task(launchType="EC2", taskDefinition=bridge_td)["tasks"][0]
        task = wait_task(server, "default", task["taskArn"], "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        creds = json.loads(wait_log(server, task["taskArn"], "app", r'\{"RoleArn".*?\}').group(0))
        assert creds["RoleArn"] == role["Arn"] and creds["AccessKeyId"].startswith("ASIA"), creds
        ecs.stop_task(cluster="default", task=task["taskArn"])
        wait_task(server, "default", task["taskArn"], "STOPPED")

    @checks.run
    def a_role_ecs_cannot_assume_is_refused_by_run_task():
        before_tasks = ecs.list_tasks(cluster="default")["taskArns"]
        expect_client_error(
            lambda: ecs.run_task(launchType="FARGATE", taskDefinition=td, networkConfiguration=network,
                                 overrides={"taskRoleArn": untrusting["Arn"]}),
            "ClientException",
            f"ECS was unable to assume the role '{untrusting['Arn']}' that was provided for this task. Please verify "
            "that the role being passed has the proper trust relationship and permissions and that your IAM user "
            "has permissions to pass this role.")
        # StartTask (EC2, on the local node's container instance) refuses it too.
        instance = ecs.list_container_instances(cluster="default")["containerInstanceArns"][0]
        bridge_td = ecs.register_task_definition(
            family="bridge-role", taskRoleArn=role["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "memory": 32}])["taskDefinition"]["taskDefinitionArn"]
        expect_client_error(
            lambda: ecs.start_task(taskDefinition=bridge_td, containerInstances=[instance],
                                   overrides={"executionRoleArn": untrusting["Arn"]}),
            "ClientException", f"ECS was unable to assume the role '{untrusting['Arn']}'")
        assert ecs.list_tasks(cluster="default")["taskArns"] == before_tasks

    @checks.run
    def a_service_with_a_role_ecs_cannot_assume_says_so_in_its_events():
        untrusted_td = ecs.register_task_definition(
            family="untrusted-role", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", taskRoleArn=untrusting["Arn"],
            containerDefinitions=[{"name": "app", "image": image}])["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="default", serviceName="no-role", taskDefinition=untrusted_td, desiredCount=1,
                           launchType="FARGATE", networkConfiguration=network)
        want = (f"(service no-role) failed to launch a task with (error ECS was unable to assume the role "
                f"'{untrusting['Arn']}' that was provided for this task. Please verify that the role being passed has "
                "the proper trust relationship and permissions and that your IAM user has permissions to pass this "
                "role.).")
        deadline, events = time.time() + 10, []
        while time.time() < deadline and want not in events:
            events = [e["message"] for e in ecs.describe_services(cluster="default", services=["no-role"])
                      ["services"][0]["events"]]
            time.sleep(0.2)
        assert want in events, events
        assert ecs.list_tasks(cluster="default", serviceName="no-role")["taskArns"] == []
        ecs.delete_service(cluster="default", service="no-role", force=True)

    @checks.run
    def an_execution_role_without_batch_get_image_cannot_pull():
        task = ecs.run_task(launchType="FARGATE", taskDefinition=td, networkConfiguration=network,
                            overrides={"executionRoleArn": token_only["Arn"]})["tasks"][0]
        task = wait_task(server, "default", task["taskArn"], "STOPPED")
        reason = task.get("stoppedReason", "")
        print(f"     stoppedReason: {reason}")
        assert reason.startswith("CannotPullContainerError:"), task
        assert (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/exec-token-only/{task['taskArn'].rsplit('/', 1)[1]} "
                "is not authorized to perform: ecr:BatchGetImage on resource: "
                f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app") in reason, reason
        assert task["stopCode"] == "TaskFailedToStart", task
        assert task["containers"][0]["reason"].startswith("CannotPullContainerError:"), task["containers"]

    @checks.run
    def host_mode_containers_get_their_credentials_too():
        # No 169.254.170.2 in the node's own namespace: the full loopback URI, as SDKs take it.
        host_fetch = ('echo "FULL=$AWS_CONTAINER_CREDENTIALS_FULL_URI"; '
                      'wget -q -O- "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; echo; sleep 120')
        host_td = ecs.register_task_definition(
            family="host-role", networkMode="host", taskRoleArn=role["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "memory": 32, "entryPoint": ["/bin/sh", "-c"],
                                   "command": [host_fetch], "stopTimeout": 1}])["taskDefinition"]["taskDefinitionArn"]
        task = wait_task(server, "default", ecs.run_task(launchType="EC2", taskDefinition=host_td)["tasks"][0]["taskArn"],
                         "RUNNING")
        try:
            creds = json.loads(wait_log(server, task["taskArn"], "app", r'\{"RoleArn".*?\}').group(0))
            assert creds["RoleArn"] == role["Arn"] and creds["AccessKeyId"].startswith("ASIA"), creds
            full = wait_log(server, task["taskArn"], "app", r"FULL=(http://127\.0\.0\.1:\d+/v2/credentials/[0-9a-f-]{36})")
            who = server.boto3("sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=creds["Token"]).get_caller_identity()
            assert who["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/app-task/"), who
            assert full
        finally:
            ecs.stop_task(cluster="default", task=task["taskArn"])
            wait_task(server, "default", task["taskArn"], "STOPPED")

    # $ECS_AGENT_URI/task-protection/v1/state from inside the container: PUT with busybox nc
    # (its wget sends no PUT), GET with wget; the answers are printed between markers.
    protect = (
        'u=${ECS_AGENT_URI#http://}; hp=${u%%/*}; path=/${u#*/}/task-protection/v1/state; '
        'body=\'{"ProtectionEnabled":true,"ExpiresInMinutes":60}\'; '
        'printf "PUT %s HTTP/1.0\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\n\\r\\n%s" '
        '"$path" "${#body}" "$body" | nc "${hp%:*}" "${hp#*:}" | tail -n 1 | sed "s/^/PUT=/"; echo; '
        'echo "GET=$(wget -q -O- "$ECS_AGENT_URI/task-protection/v1/state" 2>/dev/null || '
        'printf "GET %s HTTP/1.0\\r\\n\\r\\n" "$path" | nc "${hp%:*}" "${hp#*:}" | tail -n 1)"; sleep 120')

    @checks.run
    def a_container_protects_its_own_task():
        iam.create_role(RoleName="protector", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))
        iam.put_role_policy(RoleName="protector", PolicyName="protect", PolicyDocument=doc({
            "Effect": "Allow", "Action": ["ecs:GetTaskProtection", "ecs:UpdateTaskProtection"],
            "Resource": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/default/*"}))
        protected_td = ecs.register_task_definition(
            family="protected", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/protector", executionRoleArn=execution["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "entryPoint": ["/bin/sh", "-c"], "command": [protect],
                                   "stopTimeout": 1}])["taskDefinition"]["taskDefinitionArn"]
        ecs.create_service(cluster="default", serviceName="protected", taskDefinition=protected_td, desiredCount=1,
                           launchType="FARGATE", networkConfiguration=network)
        try:
            deadline, arns = time.time() + 30, []
            while time.time() < deadline and not arns:
                arns = ecs.list_tasks(cluster="default", serviceName="protected")["taskArns"]
                time.sleep(0.2)
            assert arns, "the service started no task"
            arn = arns[0]
            put = json.loads(wait_log(server, arn, "app", r"PUT=(\{.*\})").group(1))
            assert put["protection"]["ProtectionEnabled"] is True and put["protection"]["TaskArn"] == arn, put
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", put["protection"]["ExpirationDate"]), put
            got = json.loads(wait_log(server, arn, "app", r"GET=(\{.*\})").group(1))
            assert got["protection"] == put["protection"], (got, put)
            # The same state as ECS's API shows.
            shown = ecs.get_task_protection(cluster="default", tasks=[arn])["protectedTasks"][0]
            assert shown["protectionEnabled"] is True, shown
            left = shown["expirationDate"].timestamp() - time.time()
            assert 58 * 60 < left <= 60 * 60 + 5, left
            # Scale-in leaves the protected task running; once unprotected, it goes.
            ecs.update_service(cluster="default", service="protected", desiredCount=0)
            time.sleep(3)
            assert ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0]["lastStatus"] == "RUNNING"
            ecs.update_task_protection(cluster="default", tasks=[arn], protectionEnabled=False)
            wait_task(server, "default", arn, "STOPPED")
        finally:
            ecs.delete_service(cluster="default", service="protected", force=True)

    @checks.run
    def the_task_protection_endpoint_is_the_task_roles():
        # app-task may not call ecs:GetTaskProtection: the container is told so in ECS's words.
        task = run({"containerOverrides": [{"name": "app", "command": [protect]}]})
        try:
            got = json.loads(wait_log(server, task["taskArn"], "app", r"GET=(\{.*\})").group(1))
            assert got["error"]["Code"] == "AccessDeniedException", got
            assert got["error"]["Arn"] == task["taskArn"], got
            assert (f"assumed-role/app-task/{task['taskArn'].rsplit('/', 1)[1]} is not authorized to perform: "
                    "ecs:GetTaskProtection") in got["error"]["Message"], got
        finally:
            ecs.stop_task(cluster="default", task=task["taskArn"])
            wait_task(server, "default", task["taskArn"], "STOPPED")

    @checks.run
    def fargate_awslogs_ship_as_the_execution_role():
        logs = server.boto3("logs")
        logs.create_log_group(logGroupName="/ecs/exec-logs")
        iam.create_role(RoleName="exec-no-logs", AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"))
        iam.attach_role_policy(RoleName="exec-no-logs",
                               PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
        logged_td = ecs.register_task_definition(
            family="exec-logs", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            executionRoleArn=execution["Arn"],
            containerDefinitions=[{"name": "app", "image": image, "entryPoint": ["/bin/sh", "-c"],
                                   "command": ["echo shipped-as-role; sleep 120"], "stopTimeout": 1,
                                   "logConfiguration": {"logDriver": "awslogs", "options": {
                                       "awslogs-group": "/ecs/exec-logs", "awslogs-region": "us-east-1",
                                       "awslogs-stream-prefix": "ecs"}}}])["taskDefinition"]["taskDefinitionArn"]
        # AmazonECSTaskExecutionRolePolicy allows the stream and the events.
        ok = wait_task(server, "default", ecs.run_task(launchType="FARGATE", taskDefinition=logged_td,
                                                       networkConfiguration=network)["tasks"][0]["taskArn"], "RUNNING")
        try:
            stream = f"ecs/app/{ok['taskArn'].rsplit('/', 1)[1]}"
            deadline, messages = time.time() + 20, []
            while time.time() < deadline and "shipped-as-role" not in messages:
                try:
                    messages = [e["message"] for e in logs.get_log_events(logGroupName="/ecs/exec-logs",
                                                                          logStreamName=stream)["events"]]
                except Exception:  # noqa: BLE001 - the stream is made as the task starts
                    pass
                time.sleep(0.3)
            assert "shipped-as-role" in messages, messages
        finally:
            ecs.stop_task(cluster="default", task=ok["taskArn"])
            wait_task(server, "default", ok["taskArn"], "STOPPED")
        # A role that may pull but not write logs: the task stops before anything runs, as Fargate's does.
        task = ecs.run_task(launchType="FARGATE", taskDefinition=logged_td, networkConfiguration=network,
                            overrides={"executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/exec-no-logs"})["tasks"][0]
        task = wait_task(server, "default", task["taskArn"], "STOPPED")
        reason = task.get("stoppedReason", "")
        print(f"     stoppedReason: {reason}")
        assert reason.startswith("ResourceInitializationError: failed to validate logger args: create stream has been "
                                 "retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: "
                                 f"User: arn:aws:sts::{ACCOUNT}:assumed-role/exec-no-logs/"), reason
        assert "is not authorized to perform: logs:CreateLogStream" in reason, reason
        assert task["stopCode"] == "TaskFailedToStart", task

    ecs.stop_task(cluster="default", task=first["taskArn"])
    wait_task(server, "default", first["taskArn"], "STOPPED")

    @checks.run
    def host_left_clean():
        server.stop()  # a node with no task left takes its bridges and rules down
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
