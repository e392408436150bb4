#!/usr/bin/python3
"""The IAM API with boto3 and the aws CLI.

Seed 000's IAM as Terraform sends it: aws_iam_role with the ecs-tasks trust policy,
aws_iam_role_policy_attachment of AmazonECSTaskExecutionRolePolicy, and the reads Terraform
makes after each (GetRole, ListRolePolicies, ListAttachedRolePolicies, GetPolicy,
GetPolicyVersion, ListInstanceProfilesForRole); destroy in Terraform's order, and DeleteConflict
in the wrong one. Customer policies and their versions, users with access keys that sign
(get-caller-identity answers the user; an Inactive or deleted key is refused at once), groups,
inline policies, instance profiles, login profiles, the account's password policy, ChangePassword
and the account alias (with the console's sign-in), service-linked roles, paging, and AWS's
error codes, messages and HTTP statuses.
"""
import json
import urllib.error
import urllib.request

from botocore.config import Config

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()
ACCOUNT = "000000000000"
TRUST_ECS_TASKS = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}]})
EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:List*", "Resource": "*"}]}


def status(e):
    return e.response["ResponseMetadata"]["HTTPStatusCode"]


with WharfServer() as server:
    iam = server.boto3("iam")

    @checks.run
    def seed000_role_as_terraform_makes_it():
        role = iam.create_role(RoleName="ecsTaskExecutionRole", Path="/", AssumeRolePolicyDocument=TRUST_ECS_TASKS,
                               MaxSessionDuration=3600, Description="seed 000",
                               Tags=[{"Key": "Name", "Value": "exec"}])["Role"]
        assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole", role
        assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21, role
        # boto3 decodes the percent-encoded document as AWS sends it.
        assert role["AssumeRolePolicyDocument"] == json.loads(TRUST_ECS_TASKS), role
        # The attachment, then every read Terraform makes to refresh both resources.
        iam.attach_role_policy(RoleName="ecsTaskExecutionRole", PolicyArn=EXEC_POLICY)
        got = iam.get_role(RoleName="ecsTaskExecutionRole")["Role"]
        assert got["MaxSessionDuration"] == 3600 and got["Description"] == "seed 000", got
        assert got["Tags"] == [{"Key": "Name", "Value": "exec"}] and "RoleLastUsed" in got, got
        assert iam.list_role_policies(RoleName="ecsTaskExecutionRole")["PolicyNames"] == []
        attached = iam.list_attached_role_policies(RoleName="ecsTaskExecutionRole")["AttachedPolicies"]
        assert attached == [{"PolicyName": "AmazonECSTaskExecutionRolePolicy", "PolicyArn": EXEC_POLICY}], attached
        policy = iam.get_policy(PolicyArn=EXEC_POLICY)["Policy"]
        assert policy["Path"] == "/service-role/" and policy["AttachmentCount"] == 1, policy
        assert policy["PolicyId"].startswith("ANPA") and policy["DefaultVersionId"] == "v1", policy
        version = iam.get_policy_version(PolicyArn=EXEC_POLICY, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        actions = version["Document"]["Statement"][0]["Action"]
        assert "ecr:GetAuthorizationToken" in actions and "logs:PutLogEvents" in actions, version
        assert iam.list_instance_profiles_for_role(RoleName="ecsTaskExecutionRole")["InstanceProfiles"] == []
        # The aws CLI sees the same role, its document decoded.
        cli = server.aws("iam", "get-role", "--role-name", "ecsTaskExecutionRole")["Role"]
        assert cli["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}, cli
        entities = iam.list_entities_for_policy(PolicyArn=EXEC_POLICY)
        assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["ecsTaskExecutionRole"], entities

    @checks.run
    def seed000_destroy_order():
        e = expect_client_error(lambda: iam.delete_role(RoleName="ecsTaskExecutionRole"), "DeleteConflict",
                                "Cannot delete entity, must detach all policies first.")
        assert status(e) == 409
        iam.detach_role_policy(RoleName="ecsTaskExecutionRole", PolicyArn=EXEC_POLICY)
        e = expect_client_error(lambda: iam.detach_role_policy(RoleName="ecsTaskExecutionRole", PolicyArn=EXEC_POLICY),
                                "NoSuchEntity", f"Policy {EXEC_POLICY} was not found.")
        assert status(e) == 404
        assert iam.get_policy(PolicyArn=EXEC_POLICY)["Policy"]["AttachmentCount"] == 0
        iam.delete_role(RoleName="ecsTaskExecutionRole")
        e = expect_client_error(lambda: iam.get_role(RoleName="ecsTaskExecutionRole"), "NoSuchEntity",
                                "The role with name ecsTaskExecutionRole cannot be found.")
        assert status(e) == 404

    @checks.run
    def role_errors():
        iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
        e = expect_client_error(lambda: iam.create_role(RoleName="APP", AssumeRolePolicyDocument=TRUST_ECS_TASKS),
                                "EntityAlreadyExists", "Role with name APP already exists.")
        assert status(e) == 409
        expect_client_error(lambda: iam.create_role(RoleName="bad", AssumeRolePolicyDocument="{not json"),
                            "MalformedPolicyDocument", "Syntax errors in policy.")
        no_principal = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
        expect_client_error(lambda: iam.create_role(RoleName="bad", AssumeRolePolicyDocument=no_principal),
                            "MalformedPolicyDocument", "statement with no principals")
        # botocore checks the range itself; unchecked, the server answers as IAM does.
        raw = server.boto3("iam", config=Config(parameter_validation=False))
        e = expect_client_error(lambda: raw.create_role(RoleName="bad", AssumeRolePolicyDocument=TRUST_ECS_TASKS,
                                                        MaxSessionDuration=60), "ValidationError")
        assert status(e) == 400
        expect_client_error(lambda: iam.attach_role_policy(RoleName="app", PolicyArn="arn:aws:iam::aws:policy/Nope"),
                            "NoSuchEntity", "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
        iam.update_role(RoleName="app", MaxSessionDuration=7200, Description="d")
        assert iam.get_role(RoleName="app")["Role"]["MaxSessionDuration"] == 7200
        iam.update_assume_role_policy(RoleName="app", PolicyDocument=TRUST_ECS_TASKS)
        iam.tag_role(RoleName="app", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        iam.untag_role(RoleName="app", TagKeys=["a"])
        assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "b", "Value": "2"}]
        iam.put_role_permissions_boundary(RoleName="app", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
        b = iam.get_role(RoleName="app")["Role"]["PermissionsBoundary"]
        assert b == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                     "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, b
        iam.delete_role_permissions_boundary(RoleName="app")
        assert "PermissionsBoundary" not in iam.get_role(RoleName="app")["Role"]
        # Inline policies.
        iam.put_role_policy(RoleName="app", PolicyName="inline", PolicyDocument=json.dumps(DOC))
        assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["inline"]
        assert iam.get_role_policy(RoleName="app", PolicyName="inline")["PolicyDocument"] == DOC
        expect_client_error(lambda: iam.delete_role(RoleName="app"), "DeleteConflict",
                            "Cannot delete entity, must delete policies first.")
        with_principal = dict(DOC, Statement=[dict(DOC["Statement"][0], Principal="*")])
        expect_client_error(lambda: iam.put_role_policy(RoleName="app", PolicyName="p",
                                                        PolicyDocument=json.dumps(with_principal)),
                            "MalformedPolicyDocument", "Policy document should not specify a principal.")
        iam.delete_role_policy(RoleName="app", PolicyName="inline")
        expect_client_error(lambda: iam.get_role_policy(RoleName="app", PolicyName="inline"), "NoSuchEntity",
                            "The role policy with name inline cannot be found.")
        # Instance profiles hold a role until it is removed.
        profile = iam.create_instance_profile(InstanceProfileName="ecsInstance")["InstanceProfile"]
        assert profile["InstanceProfileId"].startswith("AIPA") and profile["Roles"] == [], profile
        iam.add_role_to_instance_profile(InstanceProfileName="ecsInstance", RoleName="app")
        expect_client_error(lambda: iam.add_role_to_instance_profile(InstanceProfileName="ecsInstance", RoleName="app"),
                            "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
        profiles = iam.list_instance_profiles_for_role(RoleName="app")["InstanceProfiles"]
        assert [p["Roles"][0]["RoleName"] for p in profiles] == ["app"], profiles
        expect_client_error(lambda: iam.delete_role(RoleName="app"), "DeleteConflict",
                            "Cannot delete entity, must remove roles from instance profile first.")
        expect_client_error(lambda: iam.delete_instance_profile(InstanceProfileName="ecsInstance"), "DeleteConflict")
        iam.remove_role_from_instance_profile(InstanceProfileName="ecsInstance", RoleName="app")
        iam.delete_instance_profile(InstanceProfileName="ecsInstance")
        iam.delete_role(RoleName="app")

    @checks.run
    def customer_policy_versions():
        arn = iam.create_policy(PolicyName="ecs-list", Path="/team/", PolicyDocument=json.dumps(DOC),
                                Description="lists")["Policy"]["Arn"]
        assert arn == f"arn:aws:iam::{ACCOUNT}:policy/team/ecs-list", arn
        expect_client_error(lambda: iam.create_policy(PolicyName="ecs-list", PolicyDocument=json.dumps(DOC)),
                            "EntityAlreadyExists", "A policy called ecs-list already exists. Duplicate names are not allowed.")
        no_resource = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:*"}]}
        expect_client_error(lambda: iam.create_policy(PolicyName="x", PolicyDocument=json.dumps(no_resource)),
                            "MalformedPolicyDocument", "Policy statement must contain resources.")
        for i in range(4):
            v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC), SetAsDefault=(i == 3))
            assert v["PolicyVersion"]["VersionId"] == f"v{i + 2}", v
        e = expect_client_error(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC)),
                                "LimitExceeded", "A managed policy can have up to 5 versions.")
        assert status(e) == 409
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"], versions
        assert [v["IsDefaultVersion"] for v in versions] == [True, False, False, False, False], versions
        expect_client_error(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v5"), "DeleteConflict",
                            "Cannot delete the default version of a policy.")
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
        assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "team", "Value": "a"}])
        assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
        local = iam.list_policies(Scope="Local")["Policies"]
        assert [p["Arn"] for p in local] == [arn], local
        assert iam.list_policies(Scope="Local", PathPrefix="/other/")["Policies"] == []
        aws = [p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]]
        for name in ("AdministratorAccess", "ReadOnlyAccess", "AmazonECS_FullAccess", "AmazonEC2ContainerRegistryReadOnly"):
            assert name in aws, aws
        iam.create_user(UserName="ci")
        iam.attach_user_policy(UserName="ci", PolicyArn=arn)
        assert [p["Arn"] for p in iam.list_policies(OnlyAttached=True)["Policies"]] == [arn]
        expect_client_error(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict",
                            "Cannot delete a policy attached to entities.")
        iam.detach_user_policy(UserName="ci", PolicyArn=arn)
        expect_client_error(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict",
                            "This policy has more than one version.")
        for v in ("v2", "v3", "v4", "v5"):
            iam.delete_policy_version(PolicyArn=arn, VersionId=v)
        iam.delete_policy(PolicyArn=arn)
        expect_client_error(lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity", f"Policy {arn} was not found.")
        iam.delete_user(UserName="ci")

    @checks.run
    def paging_with_marker():
        for i in range(5):
            iam.create_user(UserName=f"page{i}", Path="/paging/")
        first = iam.list_users(PathPrefix="/paging/", MaxItems=2)
        assert first["IsTruncated"] is True and len(first["Users"]) == 2, first
        names = [u["UserName"] for u in first["Users"]]
        marker = first["Marker"]
        while marker:
            page = iam.list_users(PathPrefix="/paging/", MaxItems=2, Marker=marker)
            names += [u["UserName"] for u in page["Users"]]
            marker = page.get("Marker")
        assert names == [f"page{i}" for i in range(5)], names
        everyone = [u["UserName"] for u in iam.get_paginator("list_users").paginate(
            PathPrefix="/paging/", PaginationConfig={"PageSize": 3}).build_full_result()["Users"]]
        assert everyone == names, everyone
        for i in range(5):
            iam.delete_user(UserName=f"page{i}")

    @checks.run
    def user_access_key_signs_as_the_user():
        user = iam.create_user(UserName="deployer", Path="/ci/", Tags=[{"Key": "k", "Value": "v"}])["User"]
        assert user["UserId"].startswith("AIDA") and user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci/deployer", user
        key = iam.create_access_key(UserName="deployer")["AccessKey"]
        assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20, key
        assert key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40 and key["UserName"] == "deployer", key
        sts = server.boto3("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        who = sts.get_caller_identity()
        assert who["Arn"] == user["Arn"] and who["UserId"] == user["UserId"] and who["Account"] == ACCOUNT, who
        # The aws CLI with the user's key, and GetUser with no name answers the caller.
        env = server.env(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
                         AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        assert server.aws("sts", "get-caller-identity", env=env)["Arn"] == user["Arn"]
        # GetUser needs iam:GetUser, as on AWS: refused until a policy allows it.
        refused = server.aws("iam", "get-user", env=env, check=False)
        assert refused.returncode != 0 and "AccessDenied" in refused.stderr, refused.stderr
        assert "because no identity-based policy allows the iam:GetUser action" in refused.stderr, refused.stderr
        iam.put_user_policy(UserName="deployer", PolicyName="self", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser",
                                                     "Resource": "*"}]}))
        assert server.aws("iam", "get-user", env=env)["User"]["UserName"] == "deployer"
        iam.delete_user_policy(UserName="deployer", PolicyName="self")
        root = iam.get_user()["User"]
        assert root["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and root["UserId"] == ACCOUNT, root
        assert server.boto3("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        assert used["UserName"] == "deployer" and used["AccessKeyLastUsed"]["ServiceName"] in ("sts", "iam"), used
        assert "LastUsedDate" in used["AccessKeyLastUsed"], used
        # At most two keys.
        second = iam.create_access_key(UserName="deployer")["AccessKey"]
        e = expect_client_error(lambda: iam.create_access_key(UserName="deployer"), "LimitExceeded",
                                "Cannot exceed quota for AccessKeysPerUser: 2")
        assert status(e) == 409
        listed = iam.list_access_keys(UserName="deployer")["AccessKeyMetadata"]
        assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]]), listed
        # Inactive: refused at once, as AWS refuses an unknown key; Active again: works.
        iam.update_access_key(UserName="deployer", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        e = expect_client_error(sts.get_caller_identity, "InvalidClientTokenId",
                                "The security token included in the request is invalid.")
        assert status(e) == 403
        ecs = server.boto3("ecs", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        expect_client_error(ecs.list_clusters, "UnrecognizedClientException")
        iam.update_access_key(UserName="deployer", AccessKeyId=key["AccessKeyId"], Status="Active")
        assert sts.get_caller_identity()["Arn"] == user["Arn"]
        # Deleting the user first is refused while keys remain; a deleted key stops at once.
        expect_client_error(lambda: iam.delete_user(UserName="deployer"), "DeleteConflict",
                            "Cannot delete entity, must delete access keys first.")
        iam.delete_access_key(UserName="deployer", AccessKeyId=key["AccessKeyId"])
        expect_client_error(sts.get_caller_identity, "InvalidClientTokenId")
        expect_client_error(lambda: iam.delete_access_key(UserName="deployer", AccessKeyId=key["AccessKeyId"]),
                            "NoSuchEntity", f"The Access Key with id {key['AccessKeyId']} cannot be found.")
        iam.delete_access_key(UserName="deployer", AccessKeyId=second["AccessKeyId"])
        iam.delete_user(UserName="deployer")

    @checks.run
    def groups_and_login_profiles():
        iam.create_user(UserName="alice")
        group = iam.create_group(GroupName="devs")["Group"]
        assert group["GroupId"].startswith("AGPA"), group
        iam.add_user_to_group(GroupName="devs", UserName="alice")
        got = iam.get_group(GroupName="devs")
        assert [u["UserName"] for u in got["Users"]] == ["alice"], got
        assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["devs"]
        iam.attach_group_policy(GroupName="devs", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        iam.put_group_policy(GroupName="devs", PolicyName="g", PolicyDocument=json.dumps(DOC))
        expect_client_error(lambda: iam.delete_group(GroupName="devs"), "DeleteConflict",
                            "Cannot delete entity, must remove users from group first.")
        expect_client_error(lambda: iam.delete_user(UserName="alice"), "DeleteConflict")
        profile = iam.create_login_profile(UserName="alice", Password="correct-horse-1", PasswordResetRequired=True)
        assert profile["LoginProfile"]["UserName"] == "alice", profile
        expect_client_error(lambda: iam.create_login_profile(UserName="alice", Password="another-pass-2"),
                            "EntityAlreadyExists")
        iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
        assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
        iam.delete_login_profile(UserName="alice")
        expect_client_error(lambda: iam.get_login_profile(UserName="alice"), "NoSuchEntity",
                            "Login Profile for User alice cannot be found.")
        details = iam.get_account_authorization_details()
        devs = [g for g in details["GroupDetailList"] if g["GroupName"] == "devs"][0]
        assert devs["AttachedManagedPolicies"][0]["PolicyName"] == "ReadOnlyAccess", devs
        assert devs["GroupPolicyList"][0]["PolicyDocument"] == DOC, devs
        assert any(p["PolicyName"] == "ReadOnlyAccess" for p in details["Policies"]), details["Policies"]
        summary = iam.get_account_summary()["SummaryMap"]
        assert summary["Users"] == 1 and summary["Groups"] == 1 and summary["AccessKeysPerUserQuota"] == 2, summary
        iam.remove_user_from_group(GroupName="devs", UserName="alice")
        iam.detach_group_policy(GroupName="devs", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        iam.delete_group_policy(GroupName="devs", PolicyName="g")
        iam.delete_group(GroupName="devs")
        iam.delete_user(UserName="alice")

    @checks.run
    def service_linked_roles():
        role = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
        assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", role
        attached = iam.list_attached_role_policies(RoleName="AWSServiceRoleForECS")["AttachedPolicies"]
        assert attached[0]["PolicyArn"] == "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy", attached
        expect_client_error(lambda: iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com"), "InvalidInput",
                            "has been taken in this account")
        expect_client_error(lambda: iam.delete_role(RoleName="AWSServiceRoleForECS"), "UnmodifiableEntity")
        elb = iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]
        assert elb["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/", elb
        task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForECS")["DeletionTaskId"]
        assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
        expect_client_error(lambda: iam.get_role(RoleName="AWSServiceRoleForECS"), "NoSuchEntity")

    @checks.run
    def cli_round_trip():
        for cli in ("/usr/bin/aws", NEWEST_AWS):
            server.aws("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document",
                       TRUST_ECS_TASKS, cli=cli)
            server.aws("iam", "attach-role-policy", "--role-name", "cli-role", "--policy-arn", EXEC_POLICY, cli=cli)
            p = server.aws("iam", "delete-role", "--role-name", "cli-role", cli=cli, check=False)
            assert p.returncode != 0 and "DeleteConflict" in p.stderr, p.stderr
            server.aws("iam", "detach-role-policy", "--role-name", "cli-role", "--policy-arn", EXEC_POLICY, cli=cli)
            server.aws("iam", "delete-role", "--role-name", "cli-role", cli=cli)
            p = server.aws("iam", "get-role", "--role-name", "cli-role", cli=cli, check=False)
            assert p.returncode != 0 and "NoSuchEntity" in p.stderr, p.stderr

    @checks.run
    def policy_simulator():
        doc = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ecs:DeleteCluster", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
        out = iam.simulate_custom_policy(
            PolicyInputList=[doc], ActionNames=["ecs:CreateCluster", "ecs:DeleteCluster", "logs:PutLogEvents"])
        decisions = {r["EvalActionName"]: r["EvalDecision"] for r in out["EvaluationResults"]}
        assert decisions == {"ecs:CreateCluster": "allowed", "ecs:DeleteCluster": "explicitDeny",
                             "logs:PutLogEvents": "implicitDeny"}, out
        assert out["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1", out
        # Context entries feed the conditions.
        for ip, wanted in (("10.1.2.3", "allowed"), ("192.0.2.1", "implicitDeny")):
            r = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["s3:GetObject"], ContextEntries=[
                {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [ip], "ContextKeyType": "ip"}])
            assert r["EvaluationResults"][0]["EvalDecision"] == wanted, (ip, r)
        # A user's own and its group's policies, and a permissions boundary given.
        iam.create_user(UserName="sim")
        iam.create_group(GroupName="sim-readers")
        iam.add_user_to_group(GroupName="sim-readers", UserName="sim")
        iam.put_group_policy(GroupName="sim-readers", PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"}]}))
        iam.attach_user_policy(UserName="sim", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
        user = iam.get_user(UserName="sim")["User"]["Arn"]
        out = iam.simulate_principal_policy(
            PolicySourceArn=user, ActionNames=["ecs:DescribeClusters", "ecr:BatchGetImage", "ecr:PutImage"])
        results = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
        assert results["ecs:DescribeClusters"]["EvalDecision"] == "allowed", out
        assert results["ecs:DescribeClusters"]["MatchedStatements"] == [
            {"SourcePolicyId": "read", "SourcePolicyType": "group"}], out
        assert results["ecr:BatchGetImage"]["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed", out
        assert results["ecr:PutImage"]["EvalDecision"] == "implicitDeny", out
        boundary = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]})
        out = iam.simulate_principal_policy(PolicySourceArn=user, ActionNames=["ecs:DescribeClusters"],
                                            PermissionsBoundaryPolicyInputList=[boundary])
        r = out["EvaluationResults"][0]
        assert r["EvalDecision"] == "implicitDeny", r
        assert r["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}, r
        page = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["ecs:A", "ecs:B", "ecs:C"], MaxItems=2)
        assert page["IsTruncated"] and len(page["EvaluationResults"]) == 2, page
        rest = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["ecs:A", "ecs:B", "ecs:C"],
                                          Marker=page["Marker"])
        assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["ecs:C"], rest
        expect_client_error(lambda: iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::000000000000:user/nobody", ActionNames=["ecs:ListClusters"]),
            "NoSuchEntity")
        expect_client_error(lambda: iam.simulate_custom_policy(PolicyInputList=["{not json"],
                                                               ActionNames=["ecs:ListClusters"]), "InvalidInput")
        # The CLI.
        cli = server.aws("iam", "simulate-custom-policy", "--policy-input-list", doc,
                         "--action-names", "ecs:DeleteCluster", cli=NEWEST_AWS)
        assert cli["EvaluationResults"][0]["EvalDecision"] == "explicitDeny", cli
        iam.remove_user_from_group(GroupName="sim-readers", UserName="sim")
        iam.delete_group_policy(GroupName="sim-readers", PolicyName="read")
        iam.delete_group(GroupName="sim-readers")
        iam.detach_user_policy(UserName="sim", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
        iam.delete_user(UserName="sim")

    @checks.run
    def password_policy_change_password_alias_and_the_console_sign_in():
        def signin(account, user, password):
            req = urllib.request.Request(server.endpoint + "/_wharf/signin", method="POST",
                                         data=json.dumps({"account": account, "userName": user,
                                                          "password": password}).encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        def as_session(creds, service="iam"):
            return server.boto3(service, aws_access_key_id=creds["AccessKeyId"],
                                aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"])

        # IAM's default policy: 8 characters, three kinds of the four.
        expect_client_error(lambda: iam.get_account_password_policy(), "NoSuchEntity",
                            f"The Password Policy with domain name {ACCOUNT} cannot be found.")
        iam.create_user(UserName="pat")
        expect_client_error(lambda: iam.create_login_profile(UserName="pat", Password="alllowercase"),
                            "PasswordPolicyViolation")
        iam.create_login_profile(UserName="pat", Password="First-pass-1", PasswordResetRequired=True)
        iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, RequireSymbols=True,
                                           PasswordReusePrevention=2, MaxPasswordAge=90)
        policy = iam.get_account_password_policy()["PasswordPolicy"]
        assert policy == {"MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
                          "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
                          "AllowUsersToChangePassword": False, "ExpirePasswords": True, "MaxPasswordAge": 90,
                          "PasswordReusePrevention": 2, "HardExpiry": False}, policy
        raw = server.boto3("iam", config=Config(parameter_validation=False))
        e = expect_client_error(lambda: raw.update_account_password_policy(MinimumPasswordLength=5), "ValidationError")
        assert status(e) == 400
        # Reset required: the sign-in hands out a session that may only change the password.
        code, body = signin(ACCOUNT, "pat", "First-pass-1")
        assert (code, body["code"]) == (403, "PasswordResetRequired"), body
        limited = body["credentials"]
        expect_client_error(lambda: as_session(limited, "ecs").list_clusters(), "AccessDeniedException")
        # Without a policy allowing iam:ChangePassword, and without AllowUsersToChangePassword: refused.
        expect_client_error(lambda: as_session(limited).change_password(OldPassword="First-pass-1",
                                                                        NewPassword="Second-pass-22!"),
                            "AccessDenied")
        iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True, RequireSymbols=True,
                                           PasswordReusePrevention=2, MaxPasswordAge=90,
                                           AllowUsersToChangePassword=True)
        user_iam = as_session(limited)
        expect_client_error(lambda: user_iam.change_password(OldPassword="wrong", NewPassword="Second-pass-22!"),
                            "AccessDenied", "The old password is incorrect.")
        expect_client_error(lambda: user_iam.change_password(OldPassword="First-pass-1", NewPassword="short-1!"),
                            "PasswordPolicyViolation", "Password does not conform to the account password policy.")
        expect_client_error(lambda: user_iam.change_password(OldPassword="First-pass-1", NewPassword="First-pass-1"),
                            "PasswordPolicyViolation")
        user_iam.change_password(OldPassword="First-pass-1", NewPassword="Second-pass-22!")
        assert iam.get_login_profile(UserName="pat")["LoginProfile"]["PasswordResetRequired"] is False
        assert signin(ACCOUNT, "pat", "First-pass-1")[0] == 401
        # The account alias names the account at sign-in.
        assert iam.list_account_aliases()["AccountAliases"] == []
        expect_client_error(lambda: iam.create_account_alias(AccountAlias="-bad"), "ValidationError")
        iam.create_account_alias(AccountAlias="wharf-team")
        assert iam.list_account_aliases()["AccountAliases"] == ["wharf-team"]
        code, body = signin("wharf-team", "pat", "Second-pass-22!")
        assert code == 200 and body["accountId"] == ACCOUNT, body
        # The previous passwords, as many as PasswordReusePrevention, may not come back.
        as_session(body["credentials"]).change_password(OldPassword="Second-pass-22!", NewPassword="Third-pass-333!")
        expect_client_error(lambda: iam.update_login_profile(UserName="pat", Password="Second-pass-22!"),
                            "PasswordPolicyViolation")
        # The root key is not an IAM user: ChangePassword is not its.
        expect_client_error(lambda: iam.change_password(OldPassword="x", NewPassword="y"), "InvalidUserType")
        # Five wrong passwords in five minutes: the user's sign-ins wait, even with the right one.
        for _ in range(5):
            assert signin(ACCOUNT, "pat", "not-it")[0] == 401
        code, body = signin(ACCOUNT, "pat", "Third-pass-333!")
        assert code == 429 and body["code"] == "Throttling", body
        iam.delete_account_alias(AccountAlias="wharf-team")
        expect_client_error(lambda: iam.delete_account_alias(AccountAlias="wharf-team"), "NoSuchEntity")
        iam.delete_account_password_policy()
        expect_client_error(lambda: iam.delete_account_password_policy(), "NoSuchEntity")
        iam.delete_login_profile(UserName="pat")
        iam.delete_user(UserName="pat")

# IAM is global: a server in another region still answers requests signed for us-east-1.
with WharfServer("--region", "eu-west-1") as server:
    @checks.run
    def global_service_in_another_region():
        iam = server.boto3("iam")
        iam.create_user(UserName="u")
        assert [u["UserName"] for u in iam.list_users()["Users"]] == ["u"]

checks.finish()
