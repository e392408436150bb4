#!/usr/bin/python3
"""IAM policies enforced on every request, and STS's temporary credentials, with boto3 and
the aws CLI.

A user whose policy allows listing and describing one cluster does that and is refused the
rest with AWS's AccessDeniedException message; an explicit Deny beats AdministratorAccess (on
the user and through a group); EC2 and ELBv2 refuse in their own words (UnauthorizedOperation,
AccessDenied). AssumeRole into a role whose trust policy names the user and asks for an
ExternalId: a wrong one is refused, the role's permissions apply to the session (and nothing
more), GetCallerIdentity answers the assumed-role ARN, session policies narrow it; the root
cannot assume roles; GetSessionToken credentials sign as the user; a temporary key without its
session token is refused; a presigned GetCallerIdentity URL works without any header; a policy
change is seen by the next request. A second user may `docker pull` from a repository only
once its repository policy names them, and still may not push. aws:ResourceTag/<key> (and
secretsmanager:ResourceTag/<key>) conditions read the tags of ECS clusters, secrets, SSM
parameters, log groups, security groups, IAM roles and managed policies and Cloud Map
namespaces. KMS refuses a key policy that would lock its
caller out of PutKeyPolicy unless BypassPolicyLockoutSafetyCheck; a key policy binds the root.
"""
import base64
import json
import os
import tempfile
import urllib.request

import registry_fixtures as rf
from wharf_harness import Checks, WharfServer, expect_client_error

checks = Checks()
ACCOUNT = "000000000000"
REGION = "us-east-1"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def cluster_arn(name):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}"


def status(e):
    return e.response["ResponseMetadata"]["HTTPStatusCode"]


with WharfServer() as server:
    iam = server.boto3("iam")
    root_ecs = server.boto3("ecs")
    root_ecs.create_cluster(clusterName="prod")
    root_ecs.create_cluster(clusterName="dev")

    def user_with_key(name, *policies):
        iam.create_user(UserName=name)
        for i, p in enumerate(policies):
            iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=p)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    ci_key = user_with_key("ci", doc(
        {"Effect": "Allow", "Action": ["ecs:List*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["ecs:Describe*"], "Resource": cluster_arn("prod")}))

    def as_ci(service):
        return server.boto3(service, aws_access_key_id=ci_key[0], aws_secret_access_key=ci_key[1])

    @checks.run
    def user_policy_scopes_one_cluster():
        ecs = as_ci("ecs")
        assert sorted(ecs.list_clusters()["clusterArns"]) == [cluster_arn("dev"), cluster_arn("prod")]
        got = ecs.describe_clusters(clusters=["prod"])["clusters"]
        assert [c["clusterName"] for c in got] == ["prod"], got
        e = expect_client_error(
            lambda: ecs.describe_clusters(clusters=["dev"]), "AccessDeniedException",
            f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: ecs:DescribeClusters on "
            f"resource: {cluster_arn('dev')} because no identity-based policy allows the ecs:DescribeClusters action")
        assert status(e) == 400
        expect_client_error(lambda: ecs.create_cluster(clusterName="x"), "AccessDeniedException",
                            "is not authorized to perform: ecs:CreateCluster on resource: "
                            f"{cluster_arn('x')} because no identity-based policy allows")
        assert "x" not in [a.rsplit("/", 1)[1] for a in root_ecs.list_clusters()["clusterArns"]]
        # The aws CLI prints the same refusal.
        env = server.env(AWS_ACCESS_KEY_ID=ci_key[0], AWS_SECRET_ACCESS_KEY=ci_key[1],
                         AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        p = server.aws("ecs", "create-cluster", "--cluster-name", "y", env=env, check=False)
        assert p.returncode != 0 and "AccessDeniedException" in p.stderr, p.stderr

    @checks.run
    def other_protocols_refuse_in_their_words():
        e = expect_client_error(lambda: as_ci("ec2").describe_vpcs(), "UnauthorizedOperation",
                                "You are not authorized to perform this operation.")
        assert status(e) == 403 and "ec2:DescribeVpcs" in e.response["Error"]["Message"]
        e = expect_client_error(lambda: as_ci("elbv2").describe_load_balancers(), "AccessDenied",
                                "elasticloadbalancing:DescribeLoadBalancers")
        assert status(e) == 403
        e = expect_client_error(lambda: as_ci("iam").list_users(), "AccessDenied", "iam:ListUsers")
        assert status(e) == 403
        expect_client_error(lambda: as_ci("logs").describe_log_groups(), "AccessDeniedException",
                            "logs:DescribeLogGroups")
        # GetCallerIdentity needs no permission.
        assert as_ci("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci"

    @checks.run
    def explicit_deny_beats_administrator_access():
        key = user_with_key("admin2", doc({"Effect": "Deny", "Action": "ecs:DeleteCluster", "Resource": "*"}))
        iam.attach_user_policy(UserName="admin2", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        ecs = server.boto3("ecs", aws_access_key_id=key[0], aws_secret_access_key=key[1])
        ecs.create_cluster(clusterName="admin2-made")
        expect_client_error(lambda: ecs.delete_cluster(cluster="admin2-made"), "AccessDeniedException",
                            "with an explicit deny in an identity-based policy")
        # The same through a group, and the change is seen by the very next request.
        iam.delete_user_policy(UserName="admin2", PolicyName="p0")
        iam.create_group(GroupName="no-deletes")
        iam.put_group_policy(GroupName="no-deletes", PolicyName="deny",
                             PolicyDocument=doc({"Effect": "Deny", "Action": "ecs:Delete*", "Resource": "*"}))
        iam.add_user_to_group(GroupName="no-deletes", UserName="admin2")
        expect_client_error(lambda: ecs.delete_cluster(cluster="admin2-made"), "AccessDeniedException",
                            "with an explicit deny in an identity-based policy")
        iam.remove_user_from_group(GroupName="no-deletes", UserName="admin2")
        ecs.delete_cluster(cluster="admin2-made")

    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ci"},
                 "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "ext-42"}}})
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="deployer", PolicyName="clusters", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["ecs:CreateCluster", "ecs:DescribeClusters", "ecs:ListClusters"],
         "Resource": "*"}))

    @checks.run
    def assume_role_with_external_id():
        sts = as_ci("sts")
        expect_client_error(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="wrong"),
                            "AccessDenied",
                            f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: sts:AssumeRole "
                            f"on resource: {role['Arn']}")
        expect_client_error(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1"), "AccessDenied")
        out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="ext-42", DurationSeconds=900)
        creds = out["Credentials"]
        assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"], out
        assumed = f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/s1"
        assert out["AssumedRoleUser"] == {"AssumedRoleId": role["RoleId"] + ":s1", "Arn": assumed}, out
        session = dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
        who = server.boto3("sts", **session).get_caller_identity()
        assert who["Arn"] == assumed and who["UserId"] == role["RoleId"] + ":s1", who
        # The role's permissions, not the user's: it may create clusters, not list services.
        ecs = server.boto3("ecs", **session)
        ecs.create_cluster(clusterName="made-by-role")
        expect_client_error(lambda: ecs.list_services(cluster="prod"), "AccessDeniedException",
                            f"User: {assumed} is not authorized to perform: ecs:ListServices")
        # The aws CLI with the three variables.
        env = server.env(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                         AWS_SESSION_TOKEN=creds["SessionToken"], AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        assert server.aws("sts", "get-caller-identity", env=env)["Arn"] == assumed
        # Without its session token the key is nobody's.
        bare = server.boto3("sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"])
        expect_client_error(bare.get_caller_identity, "InvalidClientTokenId",
                            "The security token included in the request is invalid")
        # Longer than the role allows.
        expect_client_error(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s2", ExternalId="ext-42",
                                                    DurationSeconds=7200), "ValidationError",
                            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")

    @checks.run
    def session_policy_narrows_the_role():
        out = as_ci("sts").assume_role(
            RoleArn=role["Arn"], RoleSessionName="narrow", ExternalId="ext-42",
            Policy=doc({"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}))
        assert out["PackedPolicySize"] >= 1, out
        creds = out["Credentials"]
        ecs = server.boto3("ecs", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        ecs.list_clusters()
        expect_client_error(lambda: ecs.create_cluster(clusterName="not-allowed"), "AccessDeniedException",
                            "because no session policy allows the ecs:CreateCluster action")
        expect_client_error(lambda: as_ci("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="bad",
                                                              ExternalId="ext-42", Policy="{"),
                            "MalformedPolicyDocument")

    @checks.run
    def root_cannot_assume_roles():
        expect_client_error(lambda: server.boto3("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="rs"),
                            "AccessDenied", "Roles may not be assumed by root accounts.")

    @checks.run
    def session_token_signs_as_the_user():
        out = as_ci("sts").get_session_token(DurationSeconds=900)["Credentials"]
        assert out["AccessKeyId"].startswith("ASIA"), out
        sts = server.boto3("sts", aws_access_key_id=out["AccessKeyId"], aws_secret_access_key=out["SecretAccessKey"],
                           aws_session_token=out["SessionToken"])
        assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci"
        expect_client_error(lambda: sts.get_session_token(), "AccessDenied",
                            "Cannot call GetSessionToken with session credentials")
        ecs = server.boto3("ecs", aws_access_key_id=out["AccessKeyId"], aws_secret_access_key=out["SecretAccessKey"],
                           aws_session_token=out["SessionToken"])
        assert ecs.list_clusters()["clusterArns"]
        expect_client_error(lambda: ecs.create_cluster(clusterName="z"), "AccessDeniedException")

    @checks.run
    def presigned_get_caller_identity():
        # As `aws eks get-token` makes it: a GET whose query carries the operation and signature.
        url = as_ci("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
        assert "X-Amz-Signature=" in url and "Action=GetCallerIdentity" in url, url
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read().decode()
        assert f"<Arn>arn:aws:iam::{ACCOUNT}:user/ci</Arn>" in body, body
        # Altered, it no longer matches its signature.
        try:
            urllib.request.urlopen(url.replace("GetCallerIdentity", "GetSessionToken"), timeout=10)
            raise AssertionError("an altered presigned URL was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 403 and "SignatureDoesNotMatch" in e.read().decode()

    def registry_password(ecr):
        token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        return base64.b64decode(token).decode().split(":", 1)[1]

    @checks.run
    def repository_policy_lets_a_second_user_docker_pull():
        ecr = server.boto3("ecr")
        uri = ecr.create_repository(repositoryName="shared/app")["repository"]["repositoryUri"]
        host = uri.split("/")[0]
        layout = os.path.join(tempfile.mkdtemp(prefix="wharf-authz-"), "img")
        rf.build_busybox_image(layout)
        rf.push_oci(layout, "latest", host, "shared/app", "v1", creds=f"AWS:{registry_password(ecr)}")
        key = user_with_key("puller", doc({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}))
        password = registry_password(server.boto3("ecr", aws_access_key_id=key[0], aws_secret_access_key=key[1]))
        d = rf.Dockerd()
        try:
            d.start()
            d.docker("login", "--username", "AWS", "--password-stdin", host, input=password + "\n")
            p = d.docker("pull", f"{uri}:v1", check=False)
            assert p.returncode != 0 and "denied" in p.stderr and "ecr:BatchGetImage" in p.stderr, p.stderr
            ecr.set_repository_policy(repositoryName="shared/app", policyText=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Sid": "pull", "Effect": "Allow",
                               "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/puller"},
                               "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                          "ecr:BatchCheckLayerAvailability"]}]}))
            d.docker("pull", f"{uri}:v1")
            d.docker("tag", f"{uri}:v1", f"{uri}:v2")
            p = d.docker("push", f"{uri}:v2", check=False)
            assert p.returncode != 0 and "denied" in p.stdout + p.stderr, p.stdout + p.stderr
        finally:
            d.stop()

    @checks.run
    def secret_resource_policy_grants_and_denies():
        import botocore.exceptions
        sm = server.boto3("secretsmanager")
        sm.create_secret(Name="shared/db", SecretString='{"password":"s3cret"}')
        reader = user_with_key("reader", doc({"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}))
        admin = user_with_key("sm-admin", doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
        as_reader = server.boto3("secretsmanager", aws_access_key_id=reader[0], aws_secret_access_key=reader[1])
        as_admin = server.boto3("secretsmanager", aws_access_key_id=admin[0], aws_secret_access_key=admin[1])

        def denied(call):
            try:
                call()
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
                return e.response["Error"]["Message"]
            raise AssertionError("allowed")

        message = denied(lambda: as_reader.get_secret_value(SecretId="shared/db"))
        assert "secretsmanager:GetSecretValue" in message, message
        assert as_admin.get_secret_value(SecretId="shared/db")["SecretString"] == '{"password":"s3cret"}'
        sm.put_resource_policy(SecretId="shared/db", ResourcePolicy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/reader"},
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/sm-admin"},
                 "Action": "secretsmanager:*", "Resource": "*"}]}))
        # The policy grants the reader what its own policies do not; by name and by ARN.
        assert as_reader.get_secret_value(SecretId="shared/db")["SecretString"] == '{"password":"s3cret"}'
        arn = sm.describe_secret(SecretId="shared/db")["ARN"]
        assert as_reader.get_secret_value(SecretId=arn)["Name"] == "shared/db"
        denied(lambda: as_reader.put_secret_value(SecretId="shared/db", SecretString="x"))
        # Its Deny wins over the administrator's Allow; the account root, which it does not name, is not bound.
        denied(lambda: as_admin.get_secret_value(SecretId="shared/db"))
        denied(lambda: as_admin.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True))
        sm.delete_resource_policy(SecretId="shared/db")
        denied(lambda: as_reader.get_secret_value(SecretId="shared/db"))
        assert as_admin.get_secret_value(SecretId="shared/db")["Name"] == "shared/db"

    @checks.run
    def kms_key_policy_and_grants_decide():
        import botocore.exceptions
        kms = server.boto3("kms")
        iam_allowed = user_with_key("kms-user", doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}))
        nobody = user_with_key("kms-grantee", doc({"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}))
        as_user = server.boto3("kms", aws_access_key_id=iam_allowed[0], aws_secret_access_key=iam_allowed[1])
        as_grantee = server.boto3("kms", aws_access_key_id=nobody[0], aws_secret_access_key=nobody[1])

        def denied(call, action):
            try:
                call()
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
                assert action in e.response["Error"]["Message"], e.response
                return
            raise AssertionError(f"{action} allowed")

        # The default key policy names the account: the user's IAM policy decides, by key id
        # and through an alias; a blob decrypts without naming its key.
        delegated = kms.create_key(Description="delegated")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/delegated", TargetKeyId=delegated)
        blob = as_user.encrypt(KeyId="alias/delegated", Plaintext=b"hi")["CiphertextBlob"]
        assert as_user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hi"
        denied(lambda: as_grantee.encrypt(KeyId=delegated, Plaintext=b"hi"), "kms:Encrypt")
        denied(lambda: as_grantee.decrypt(CiphertextBlob=blob), "kms:Decrypt")
        # A key whose policy names only the grantee: IAM's kms:* no longer reaches it.
        own = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/kms-grantee"},
            "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"}]}),
            BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["KeyId"]
        assert as_grantee.encrypt(KeyId=own, Plaintext=b"x")["KeyId"].endswith(own)
        denied(lambda: as_user.encrypt(KeyId=own, Plaintext=b"x"), "kms:Encrypt")
        denied(lambda: as_user.describe_key(KeyId=own), "kms:DescribeKey")
        # A grant lets the grantee decrypt under its encryption context constraint, until revoked.
        sealed = kms.encrypt(KeyId=delegated, Plaintext=b"ctx", EncryptionContext={"app": "web"})["CiphertextBlob"]
        grant = kms.create_grant(KeyId=delegated, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:user/kms-grantee",
                                 Operations=["Decrypt"], Constraints={"EncryptionContextSubset": {"app": "web"}})
        assert as_grantee.decrypt(CiphertextBlob=sealed, EncryptionContext={"app": "web"})["Plaintext"] == b"ctx"
        denied(lambda: as_grantee.decrypt(CiphertextBlob=blob), "kms:Decrypt")  # no context: outside the grant
        kms.revoke_grant(KeyId=delegated, GrantId=grant["GrantId"])
        denied(lambda: as_grantee.decrypt(CiphertextBlob=sealed, EncryptionContext={"app": "web"}), "kms:Decrypt")
        # An explicit Deny in the key policy beats the IAM allow.
        kms.put_key_policy(KeyId=delegated, PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/kms-user"},
             "Action": "kms:Decrypt", "Resource": "*"}]}))
        denied(lambda: as_user.decrypt(CiphertextBlob=blob), "kms:Decrypt")
        assert as_user.encrypt(KeyId="alias/delegated", Plaintext=b"still")["KeyId"].endswith(delegated)

    @checks.run
    def resource_tags_decide():
        # aws:ResourceTag/<key> is read from the resource's own tags, in each service that
        # keeps them: an Allow under StringEquals aws:ResourceTag/team=a reaches the tagged
        # resources only, and follows a change of tags at once (decisions are cached with them).
        root_ecs.create_cluster(clusterName="team-a", tags=[{"key": "team", "value": "a"}])
        root_ecs.create_cluster(clusterName="team-b", tags=[{"key": "team", "value": "b"}])
        sm, ssm, logs, ec2 = (server.boto3(s) for s in ("secretsmanager", "ssm", "logs", "ec2"))
        secret_a = sm.create_secret(Name="abac-a", SecretString="a", Tags=[{"Key": "team", "Value": "a"}])["ARN"]
        secret_b = sm.create_secret(Name="abac-b", SecretString="b", Tags=[{"Key": "team", "Value": "b"}])["ARN"]
        ssm.put_parameter(Name="/abac/a", Value="a", Type="String", Tags=[{"Key": "team", "Value": "a"}])
        ssm.put_parameter(Name="/abac/b", Value="b", Type="String", Tags=[{"Key": "team", "Value": "b"}])
        logs.create_log_group(logGroupName="abac-a", tags={"team": "a"})
        logs.create_log_group(logGroupName="abac-b", tags={"team": "b"})
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        sg_a = ec2.create_security_group(GroupName="abac-a", Description="a", VpcId=vpc, TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": "a"}]}])["GroupId"]
        sg_b = ec2.create_security_group(GroupName="abac-b", Description="b", VpcId=vpc, TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": "b"}]}])["GroupId"]
        team_a = {"StringEquals": {"aws:ResourceTag/team": "a"}}
        key = user_with_key("abac", doc(
            {"Effect": "Allow", "Action": ["ecs:DescribeClusters", "secretsmanager:DescribeSecret", "ssm:GetParameter",
                                           "logs:PutRetentionPolicy", "ec2:DeleteSecurityGroup", "iam:GetRole",
                                           "iam:GetPolicy", "servicediscovery:GetNamespace"],
             "Resource": "*", "Condition": team_a},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringEquals": {"secretsmanager:ResourceTag/team": "a"}}},
            {"Effect": "Deny", "Action": "ecs:*", "Resource": "*", "Condition": {"StringEquals": {"ecs:ResourceTag/frozen": "yes"}}}))
        as_abac = {s: server.boto3(s, aws_access_key_id=key[0], aws_secret_access_key=key[1])
                   for s in ("ecs", "secretsmanager", "ssm", "logs", "ec2", "iam", "servicediscovery")}

        def refused(fn, action, resource):
            code = {"ec2": "UnauthorizedOperation", "iam": "AccessDenied"}.get(action.split(":")[0], "AccessDeniedException")
            expect_client_error(fn, code, f"not authorized to perform: {action} on resource: {resource}")

        ecs = as_abac["ecs"]
        assert ecs.describe_clusters(clusters=["team-a"])["clusters"][0]["clusterName"] == "team-a"
        refused(lambda: ecs.describe_clusters(clusters=["team-b"]), "ecs:DescribeClusters", cluster_arn("team-b"))
        refused(lambda: ecs.describe_clusters(clusters=["prod"]), "ecs:DescribeClusters", cluster_arn("prod"))
        root_ecs.tag_resource(resourceArn=cluster_arn("team-b"), tags=[{"key": "team", "value": "a"}])
        assert ecs.describe_clusters(clusters=["team-b"])["clusters"][0]["clusterName"] == "team-b"
        root_ecs.tag_resource(resourceArn=cluster_arn("team-b"), tags=[{"key": "frozen", "value": "yes"}])
        expect_client_error(lambda: ecs.describe_clusters(clusters=["team-b"]), "AccessDeniedException",
                            "with an explicit deny in an identity-based policy")
        root_ecs.untag_resource(resourceArn=cluster_arn("team-b"), tagKeys=["frozen"])
        assert ecs.describe_clusters(clusters=["team-b"])["clusters"]

        sm_abac = as_abac["secretsmanager"]
        assert sm_abac.describe_secret(SecretId="abac-a")["Name"] == "abac-a"
        assert sm_abac.get_secret_value(SecretId=secret_a)["SecretString"] == "a"
        refused(lambda: sm_abac.describe_secret(SecretId=secret_b), "secretsmanager:DescribeSecret", secret_b)
        refused(lambda: sm_abac.get_secret_value(SecretId=secret_b), "secretsmanager:GetSecretValue", secret_b)

        assert as_abac["ssm"].get_parameter(Name="/abac/a")["Parameter"]["Value"] == "a"
        refused(lambda: as_abac["ssm"].get_parameter(Name="/abac/b"), "ssm:GetParameter",
                f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/abac/b")

        as_abac["logs"].put_retention_policy(logGroupName="abac-a", retentionInDays=7)
        refused(lambda: as_abac["logs"].put_retention_policy(logGroupName="abac-b", retentionInDays=7),
                "logs:PutRetentionPolicy", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:abac-b")

        refused(lambda: as_abac["ec2"].delete_security_group(GroupId=sg_b), "ec2:DeleteSecurityGroup",
                f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{sg_b}")
        as_abac["ec2"].delete_security_group(GroupId=sg_a)

        trust = doc({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"})
        iam.create_role(RoleName="abac-a", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "a"}])
        iam.create_role(RoleName="abac-b", AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "b"}])
        assert as_abac["iam"].get_role(RoleName="abac-a")["Role"]["RoleName"] == "abac-a"
        refused(lambda: as_abac["iam"].get_role(RoleName="abac-b"), "iam:GetRole",
                f"arn:aws:iam::{ACCOUNT}:role/abac-b")

        # Customer managed policies and Cloud Map namespaces by their tags too.
        allow_nothing = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"})
        policies = {t: iam.create_policy(PolicyName=f"abac-{t}", PolicyDocument=allow_nothing,
                                         Tags=[{"Key": "team", "Value": t}])["Policy"]["Arn"] for t in ("a", "b")}
        assert as_abac["iam"].get_policy(PolicyArn=policies["a"])["Policy"]["PolicyName"] == "abac-a"
        refused(lambda: as_abac["iam"].get_policy(PolicyArn=policies["b"]), "iam:GetPolicy", policies["b"])
        sd = server.boto3("servicediscovery")
        namespaces = {}
        for t in ("a", "b"):
            op = sd.create_http_namespace(Name=f"abac-{t}", Tags=[{"Key": "team", "Value": t}])["OperationId"]
            namespaces[t] = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        sd_abac = as_abac["servicediscovery"]
        assert sd_abac.get_namespace(Id=namespaces["a"])["Namespace"]["Name"] == "abac-a"
        refused(lambda: sd_abac.get_namespace(Id=namespaces["b"]), "servicediscovery:GetNamespace",
                f"arn:aws:servicediscovery:{REGION}:{ACCOUNT}:namespace/{namespaces['b']}")
        for t in ("a", "b"):
            sd.delete_namespace(Id=namespaces[t])
            iam.delete_policy(PolicyArn=policies[t])

        ec2.delete_security_group(GroupId=sg_b)
        for name in ("team-a", "team-b"):
            root_ecs.delete_cluster(cluster=name)

    @checks.run
    def key_policy_lockout_safety_check():
        # A key policy that would stop its caller from changing it again is refused, unless
        # BypassPolicyLockoutSafetyCheck says the caller means it (KMS's own check).
        kms = server.boto3("kms")
        lockout = "The new key policy will not allow you to update the key policy in the future."
        only_user = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ci"}, "Action": "kms:*", "Resource": "*"}]})
        expect_client_error(lambda: kms.create_key(Policy=only_user), "MalformedPolicyDocumentException", lockout)
        key_id = kms.create_key(Description="lockout")["KeyMetadata"]["KeyId"]
        expect_client_error(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=only_user),
                            "MalformedPolicyDocumentException", lockout)
        # A user allowed kms:* by IAM under a policy delegating to the account keeps PutKeyPolicy;
        # one that names only another principal locks it out.
        iam.create_user(UserName="key-admin")
        iam.put_user_policy(UserName="key-admin", PolicyName="kms", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}))
        k = iam.create_access_key(UserName="key-admin")["AccessKey"]
        admin_kms = server.boto3("kms", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
        delegating = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}]})
        admin_kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=delegating)
        expect_client_error(lambda: admin_kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=only_user),
                            "MalformedPolicyDocumentException", lockout)
        deny_put = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/key-admin"},
             "Action": "kms:PutKeyPolicy", "Resource": "*"}]})
        expect_client_error(lambda: admin_kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=deny_put),
                            "MalformedPolicyDocumentException", lockout)
        admin_kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=deny_put, BypassPolicyLockoutSafetyCheck=True)
        assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == json.loads(deny_put)
        # A key policy binds the root too: one that does not name it keeps it out.
        locked = kms.create_key(Policy=only_user, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["Arn"]
        expect_client_error(lambda: kms.describe_key(KeyId=locked), "AccessDeniedException",
                            f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: kms:DescribeKey on "
                            f"resource: {locked} because no resource-based policy allows the kms:DescribeKey action")
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id

    checks.finish()
