"""The calls terraform-provider-aws makes, replayed with boto3 (issue 18, part 3).

Terraform cannot be installed on these machines, so the provider's source is the specification:
each resource here has the Create, Read, Update and Delete of the provider (v6,
github.com/hashicorp/terraform-provider-aws), with its finders, retries and waiters, and the
file and function it follows written beside each step. Read returns the attributes the provider
would store in its state, so that a test can compare a refresh with what was applied (a plan
without diff). Waiters poll every POLL seconds instead of the provider's 10-30 s (its Delay and
MinTimeout), which changes nothing but the pace.

Every call goes through Provider.calls, in order, so that a test can check the sequences.
"""
import json
import time
from datetime import datetime, timezone

import botocore.exceptions

POLL = 0.2
PROPAGATION_TIMEOUT = 120  # internal/service/*/consts.go propagationTimeout (2 minutes)


class NotFound(Exception):
    """retry.NotFoundError: what the provider's finders return for a resource that is gone."""


class DeploymentFailed(Exception):
    """findDeploymentStatus's error: the service deployment ended STOPPED or ROLLBACK_*; its
    statusReason ("Deployment failed" without one) is what `terraform apply` prints."""


def code(err):
    return err.response["Error"]["Code"] if isinstance(err, botocore.exceptions.ClientError) else None


def message(err):
    return err.response["Error"].get("Message", "") if isinstance(err, botocore.exceptions.ClientError) else ""


def retry_when(fn, retryable, timeout=PROPAGATION_TIMEOUT):
    """internal/tfresource/retry.go RetryWhen: calls fn again while retryable(err) says so."""
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except botocore.exceptions.ClientError as e:
            if not retryable(e) or time.time() > deadline:
                raise
        time.sleep(POLL)


def retry_when_new_resource_not_found(fn, new, timeout=PROPAGATION_TIMEOUT):
    """internal/tfresource/retry.go RetryWhenNewResourceNotFound: a new resource's Read retries
    NotFound (eventual consistency); an existing one's does not."""
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except NotFound:
            if not new or time.time() > deadline:
                raise
        time.sleep(POLL)


def retry_until_not_found(fn, timeout=PROPAGATION_TIMEOUT):
    """internal/tfresource/retry.go RetryUntilNotFound."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            fn()
        except NotFound:
            return
        time.sleep(POLL)
    raise AssertionError("still found after the provider's timeout")


def wait_for_state(refresh, pending, target, timeout=300, what="resource"):
    """helper/retry StateChangeConf.WaitForStateContext: refresh() -> (object, state); a state
    in neither list is an error, as in the provider ("unexpected state")."""
    deadline = time.time() + timeout
    obj, state = None, None
    while time.time() < deadline:
        obj, state = refresh()
        if state in target:
            return obj
        if state not in pending:
            raise AssertionError(f"{what}: unexpected state {state!r}, wanted {target}: {obj}")
        time.sleep(POLL)
    raise AssertionError(f"{what}: timeout waiting for {target}, last state {state!r}: {obj}")


def tags_map(tags, key="Key", value="Value"):
    return {t[key]: t[value] for t in tags or []}


def tags_list(tags, key="Key", value="Value"):
    return [{key: k, value: v} for k, v in sorted((tags or {}).items())]


def tags_in(name, tags, key="Key", value="Value"):
    """getTagsIn: no tags, no Tags argument at all (the provider sends nil, never [])."""
    return {name: tags_list(tags, key, value)} if tags else {}


class Provider:
    """The provider's clients (one per service, as conns.AWSClient has) and the call log."""

    def __init__(self, server):
        self.server, self.clients, self.calls = server, {}, []

    def __call__(self, service):
        if service not in self.clients:
            client = self.server.boto3(service)
            client.meta.events.register("before-call.*.*", self._record)
            self.clients[service] = client
        return self.clients[service]

    def _record(self, model, **_):
        self.calls.append(f"{model.service_model.service_name}:{model.name}")

    def mark(self):
        return len(self.calls)

    def since(self, mark):
        return self.calls[mark:]


# --- ECR ------------------------------------------------------------------------------------

class EcrRepository:
    """aws_ecr_repository: internal/service/ecr/repository.go."""

    def __init__(self, p):
        self.p, self.ecr = p, p("ecr")

    def create(self, cfg):
        # resourceRepositoryCreate: CreateRepository with the tags (tags on create).
        out = self.ecr.create_repository(
            repositoryName=cfg["name"], imageTagMutability=cfg.get("image_tag_mutability", "MUTABLE"),
            imageScanningConfiguration={"scanOnPush": cfg.get("scan_on_push", False)},
            encryptionConfiguration={"encryptionType": "AES256"}, **tags_in("tags", cfg.get("tags"))
        )["repository"]
        state = {"id": out["repositoryName"], "force_delete": cfg.get("force_delete", False)}
        return self.read(state, new=True)

    def _find(self, name):
        # findRepositoryByName: DescribeRepositories(repositoryNames), RepositoryNotFoundException is NotFound.
        try:
            return self.ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        except botocore.exceptions.ClientError as e:
            if code(e) == "RepositoryNotFoundException":
                raise NotFound(name) from e
            raise

    def read(self, state, new=False):
        # resourceRepositoryRead: RetryWhenNewResourceNotFound(findRepositoryByName).
        repo = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        # tags_gen.go listTags (transparent tagging, identifierAttribute "arn"): ListTagsForResource.
        tags = self.ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
        enc = repo.get("encryptionConfiguration", {})
        return dict(state, arn=repo["repositoryArn"], name=repo["repositoryName"], registry_id=repo["registryId"],
                    repository_url=repo["repositoryUri"], image_tag_mutability=repo["imageTagMutability"],
                    scan_on_push=repo["imageScanningConfiguration"]["scanOnPush"],
                    encryption_type=enc.get("encryptionType"), kms_key=enc.get("kmsKey", ""), tags=tags_map(tags))

    def update(self, state, change):
        # resourceRepositoryUpdate: one call per changed argument, then Read.
        if "image_tag_mutability" in change:
            self.ecr.put_image_tag_mutability(registryId=state["registry_id"], repositoryName=state["id"],
                                              imageTagMutability=change["image_tag_mutability"])
        if "scan_on_push" in change:
            self.ecr.put_image_scanning_configuration(
                registryId=state["registry_id"], repositoryName=state["id"],
                imageScanningConfiguration={"scanOnPush": change["scan_on_push"]})
        if "tags" in change:
            update_tags_ecr(self.ecr, state["arn"], state["tags"], change["tags"])
        return self.read(state)

    def delete(self, state):
        # resourceRepositoryDelete: DeleteRepository(force), then RetryUntilNotFound(findRepositoryByName).
        try:
            self.ecr.delete_repository(registryId=state["registry_id"], repositoryName=state["id"],
                                       force=state["force_delete"])
        except botocore.exceptions.ClientError as e:
            if code(e) == "RepositoryNotFoundException":
                return
            raise
        retry_until_not_found(lambda: self._find(state["id"]))


def update_tags_ecr(ecr, arn, old, new):
    """internal/service/ecr/tags_gen.go updateTags: UntagResource of the removed keys, TagResource of the rest."""
    removed = [k for k in old if k not in new]
    if removed:
        ecr.untag_resource(resourceArn=arn, tagKeys=removed)
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if changed:
        ecr.tag_resource(resourceArn=arn, tags=tags_list(changed))


class EcrLifecyclePolicy:
    """aws_ecr_lifecycle_policy: internal/service/ecr/lifecycle_policy.go."""

    def __init__(self, p):
        self.p, self.ecr = p, p("ecr")

    def create(self, cfg):
        # resourceLifecyclePolicyCreate: PutLifecyclePolicy; the id is the repository's name.
        out = self.ecr.put_lifecycle_policy(repositoryName=cfg["repository"], lifecyclePolicyText=cfg["policy"])
        return self.read({"id": out["repositoryName"]}, new=True)

    def _find(self, name):
        # findLifecyclePolicyByRepositoryName: GetLifecyclePolicy; either NotFound exception is NotFound.
        try:
            return self.ecr.get_lifecycle_policy(repositoryName=name)
        except botocore.exceptions.ClientError as e:
            if code(e) in ("LifecyclePolicyNotFoundException", "RepositoryNotFoundException"):
                raise NotFound(name) from e
            raise

    def read(self, state, new=False):
        # resourceLifecyclePolicyRead: RetryWhenNewResourceNotFound; the policy is kept as JSON
        # (equivalent JSON is no diff: policyToSet/equivalentLifecyclePolicyJSON).
        out = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        return dict(state, repository=out["repositoryName"], registry_id=out["registryId"],
                    policy=json.loads(out["lifecyclePolicyText"]))

    def update(self, state, change):
        # resourceLifecyclePolicyUpdate: PutLifecyclePolicy again (only "policy" is updatable).
        self.ecr.put_lifecycle_policy(repositoryName=state["id"], lifecyclePolicyText=change["policy"])
        return self.read(state)

    def delete(self, state):
        # resourceLifecyclePolicyDelete: DeleteLifecyclePolicy; NotFound is success.
        try:
            self.ecr.delete_lifecycle_policy(repositoryName=state["id"])
        except botocore.exceptions.ClientError as e:
            if code(e) not in ("LifecyclePolicyNotFoundException", "RepositoryNotFoundException"):
                raise


# --- CloudWatch Logs ------------------------------------------------------------------------

class LogGroup:
    """aws_cloudwatch_log_group: internal/service/logs/group.go."""

    def __init__(self, p):
        self.p, self.logs = p, p("logs")

    def create(self, cfg):
        # resourceGroupCreate: CreateLogGroup(logGroupName, logGroupClass, tags when any), then
        # PutRetentionPolicy when retention_in_days is set, retried while an AccessDeniedException
        # says "no identity-based policy allows the logs:PutRetentionPolicy action" (propagation).
        self.logs.create_log_group(logGroupName=cfg["name"], logGroupClass=cfg.get("log_group_class", "STANDARD"),
                                   **({"tags": cfg["tags"]} if cfg.get("tags") else {}))
        if cfg.get("retention_in_days"):
            retry_when(lambda: self.logs.put_retention_policy(logGroupName=cfg["name"],
                                                              retentionInDays=cfg["retention_in_days"]),
                       lambda e: code(e) == "AccessDeniedException" and
                       "no identity-based policy allows the logs:PutRetentionPolicy action" in message(e))
        return self.read({"id": cfg["name"], "skip_destroy": False}, new=True)

    def _find(self, name):
        # findLogGroupByName: DescribeLogGroups(logGroupNamePrefix) pages, the exact name.
        for page in self.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
            for g in page["logGroups"]:
                if g["logGroupName"] == name:
                    return g
        raise NotFound(name)

    def read(self, state, new=False):
        # resourceGroupRead: the arn without its ":*" (TrimLogGroupARNWildcardSuffix); tags by
        # ListTagsForResource on that arn (tags_gen.go listTags).
        g = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        arn = g["arn"].removesuffix(":*")
        tags = self.logs.list_tags_for_resource(resourceArn=arn)["tags"]
        return dict(state, arn=arn, name=g["logGroupName"], kms_key_id=g.get("kmsKeyId", ""),
                    log_group_class=g.get("logGroupClass"), retention_in_days=g.get("retentionInDays", 0),
                    tags=tags)

    def update(self, state, change):
        # resourceGroupUpdate: PutRetentionPolicy, or DeleteRetentionPolicy for 0.
        if "retention_in_days" in change:
            if change["retention_in_days"]:
                self.logs.put_retention_policy(logGroupName=state["id"], retentionInDays=change["retention_in_days"])
            else:
                self.logs.delete_retention_policy(logGroupName=state["id"])
        if "tags" in change:
            removed = [k for k in state["tags"] if k not in change["tags"]]
            if removed:
                self.logs.untag_resource(resourceArn=state["arn"], tagKeys=removed)
            self.logs.tag_resource(resourceArn=state["arn"], tags=change["tags"])
        return self.read(state)

    def delete(self, state):
        # resourceGroupDelete: DeleteLogGroup, retried on OperationAbortedException; NotFound is success.
        try:
            retry_when(lambda: self.logs.delete_log_group(logGroupName=state["id"]),
                       lambda e: code(e) == "OperationAbortedException")
        except botocore.exceptions.ClientError as e:
            if code(e) != "ResourceNotFoundException":
                raise


# --- IAM ------------------------------------------------------------------------------------

class IamRole:
    """aws_iam_role: internal/service/iam/role.go."""

    def __init__(self, p):
        self.p, self.iam = p, p("iam")

    def create(self, cfg):
        # resourceRoleCreate -> retryCreateRole: CreateRole, retried on MalformedPolicyDocument
        # "Invalid principal in policy" (a new principal's propagation).
        out = retry_when(lambda: self.iam.create_role(
            RoleName=cfg["name"], AssumeRolePolicyDocument=json.dumps(cfg["assume_role_policy"]),
            Path=cfg.get("path", "/"), Description=cfg.get("description", ""),
            MaxSessionDuration=cfg.get("max_session_duration", 3600), **tags_in("Tags", cfg.get("tags"))),
            lambda e: code(e) == "MalformedPolicyDocument" and "Invalid principal in policy" in message(e))["Role"]
        return self.read({"id": out["RoleName"]}, new=True)

    def _find(self, name):
        # findRoleByName: GetRole; NoSuchEntity is NotFound.
        try:
            return self.iam.get_role(RoleName=name)["Role"]
        except botocore.exceptions.ClientError as e:
            if code(e) == "NoSuchEntity":
                raise NotFound(name) from e
            raise

    def read(self, state, new=False):
        # resourceRoleRead: GetRole (assume_role_policy URL-decoded and compared as JSON), then
        # the inline policies (ListRolePolicies, GetRolePolicy) and the attached ones
        # (ListAttachedRolePolicies) for inline_policy and managed_policy_arns.
        r = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        doc = r["AssumeRolePolicyDocument"]
        if isinstance(doc, str):
            from urllib.parse import unquote
            doc = json.loads(unquote(doc))
        inline = self.iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]
        for name in inline:
            self.iam.get_role_policy(RoleName=r["RoleName"], PolicyName=name)
        attached = self.iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"]
        return dict(state, arn=r["Arn"], name=r["RoleName"], path=r["Path"], unique_id=r["RoleId"],
                    description=r.get("Description", ""), max_session_duration=r["MaxSessionDuration"],
                    assume_role_policy=doc, tags=tags_map(r.get("Tags")), inline_policy=sorted(inline),
                    managed_policy_arns=sorted(a["PolicyArn"] for a in attached))

    def update(self, state, change):
        # resourceRoleUpdate: UpdateAssumeRolePolicy, UpdateRoleDescription, UpdateRole.
        if "assume_role_policy" in change:
            self.iam.update_assume_role_policy(RoleName=state["id"], PolicyDocument=json.dumps(change["assume_role_policy"]))
        if "description" in change:
            self.iam.update_role_description(RoleName=state["id"], Description=change["description"])
        if "max_session_duration" in change:
            self.iam.update_role(RoleName=state["id"], MaxSessionDuration=change["max_session_duration"])
        return self.read(state)

    def delete(self, state, force_detach=False):
        # resourceRoleDelete -> deleteRole: deleteRoleInstanceProfiles (ListInstanceProfilesForRole,
        # RemoveRoleFromInstanceProfile); attached and inline policies only with force_detach_policies
        # or when the role's own arguments manage them; then DeleteRole, retried on DeleteConflict
        # while policy detachments propagate.
        name = state["id"]
        for ip in self.iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
            self.iam.remove_role_from_instance_profile(RoleName=name, InstanceProfileName=ip["InstanceProfileName"])
        if force_detach:
            for a in self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                self.iam.detach_role_policy(RoleName=name, PolicyArn=a["PolicyArn"])
            for pn in self.iam.list_role_policies(RoleName=name)["PolicyNames"]:
                self.iam.delete_role_policy(RoleName=name, PolicyName=pn)
        try:
            retry_when(lambda: self.iam.delete_role(RoleName=name), lambda e: code(e) == "DeleteConflict")
        except botocore.exceptions.ClientError as e:
            if code(e) != "NoSuchEntity":
                raise


class IamRolePolicyAttachment:
    """aws_iam_role_policy_attachment: internal/service/iam/role_policy_attachment.go."""

    def __init__(self, p):
        self.p, self.iam = p, p("iam")

    def create(self, cfg):
        # resourceRolePolicyAttachmentCreate -> attachPolicyToRole: AttachRolePolicy, retried on
        # ConcurrentModification; the id is id.PrefixedUniqueId("<role>-").
        retry_when(lambda: self.iam.attach_role_policy(RoleName=cfg["role"], PolicyArn=cfg["policy_arn"]),
                   lambda e: code(e) == "ConcurrentModification")
        state = {"id": f"{cfg['role']}-{int(time.time() * 1e6)}", "role": cfg["role"], "policy_arn": cfg["policy_arn"]}
        return self.read(state, new=True)

    def _find(self, role, arn):
        # findAttachedRolePolicyByTwoPartKey: ListAttachedRolePolicies pages, the policy's arn.
        try:
            for page in self.iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
                for a in page["AttachedPolicies"]:
                    if a["PolicyArn"] == arn:
                        return a
        except botocore.exceptions.ClientError as e:
            if code(e) == "NoSuchEntity":
                raise NotFound(role) from e
            raise
        raise NotFound(arn)

    def read(self, state, new=False):
        # resourceRolePolicyAttachmentRead: RetryWhenNewResourceNotFound(findAttachedRolePolicyByTwoPartKey).
        retry_when_new_resource_not_found(lambda: self._find(state["role"], state["policy_arn"]), new)
        return dict(state)

    def delete(self, state):
        # resourceRolePolicyAttachmentDelete -> detachPolicyFromRole: DetachRolePolicy; NoSuchEntity is success.
        try:
            self.iam.detach_role_policy(RoleName=state["role"], PolicyArn=state["policy_arn"])
        except botocore.exceptions.ClientError as e:
            if code(e) != "NoSuchEntity":
                raise


class IamRolePolicy:
    """aws_iam_role_policy: internal/service/iam/role_policy.go (an inline policy)."""

    def __init__(self, p):
        self.p, self.iam = p, p("iam")

    def create(self, cfg):
        # resourceRolePolicyPut: PutRolePolicy; the id is "<role>:<policy name>".
        self.iam.put_role_policy(RoleName=cfg["role"], PolicyName=cfg["name"], PolicyDocument=json.dumps(cfg["policy"]))
        return self.read({"id": f"{cfg['role']}:{cfg['name']}"}, new=True)

    def _find(self, role, name):
        # findRolePolicyByTwoPartKey: GetRolePolicy; NoSuchEntity is NotFound.
        try:
            return self.iam.get_role_policy(RoleName=role, PolicyName=name)
        except botocore.exceptions.ClientError as e:
            if code(e) == "NoSuchEntity":
                raise NotFound(name) from e
            raise

    def read(self, state, new=False):
        # resourceRolePolicyRead: RetryWhenNewResourceNotFound; the document URL-decoded, kept as JSON.
        role, name = state["id"].split(":")
        out = retry_when_new_resource_not_found(lambda: self._find(role, name), new)
        doc = out["PolicyDocument"]
        if isinstance(doc, str):
            from urllib.parse import unquote
            doc = json.loads(unquote(doc))
        return dict(state, role=out["RoleName"], name=out["PolicyName"], policy=doc)

    def update(self, state, change):
        # resourceRolePolicyPut again.
        self.iam.put_role_policy(RoleName=state["role"], PolicyName=state["name"],
                                 PolicyDocument=json.dumps(change["policy"]))
        return self.read(state)

    def delete(self, state):
        # resourceRolePolicyDelete: DeleteRolePolicy; NoSuchEntity is success.
        try:
            self.iam.delete_role_policy(RoleName=state["role"], PolicyName=state["name"])
        except botocore.exceptions.ClientError as e:
            if code(e) != "NoSuchEntity":
                raise


# --- Secrets Manager ------------------------------------------------------------------------

class Secret:
    """aws_secretsmanager_secret: internal/service/secretsmanager/secret.go."""

    def __init__(self, p):
        self.p, self.sm = p, p("secretsmanager")

    def create(self, cfg):
        # resourceSecretCreate: CreateSecret, retried while a deleted secret of that name is
        # still scheduled for deletion ("already scheduled for deletion").
        kwargs = {"Name": cfg["name"], "Description": cfg.get("description", ""),
                  "ForceOverwriteReplicaSecret": False, **tags_in("Tags", cfg.get("tags"))}
        out = retry_when(lambda: self.sm.create_secret(**kwargs),
                         lambda e: code(e) == "InvalidRequestException" and "scheduled for deletion" in message(e))
        state = {"id": out["ARN"], "recovery_window_in_days": cfg.get("recovery_window_in_days", 30)}
        return self.read(state, new=True)

    def _find(self, secret_id):
        # findSecretByID: DescribeSecret; ResourceNotFoundException, or a DeletedDate, is NotFound.
        try:
            out = self.sm.describe_secret(SecretId=secret_id)
        except botocore.exceptions.ClientError as e:
            if code(e) == "ResourceNotFoundException":
                raise NotFound(secret_id) from e
            raise
        if out.get("DeletedDate"):
            raise NotFound(secret_id)
        return out

    def read(self, state, new=False):
        # resourceSecretRead: findSecretByID (new: RetryWhenNewResourceNotFound), then
        # findSecretPolicyByID: GetResourcePolicy (policy "" when none).
        s = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        policy = self.sm.get_resource_policy(SecretId=state["id"]).get("ResourcePolicy", "")
        return dict(state, arn=s["ARN"], name=s["Name"], description=s.get("Description", ""),
                    kms_key_id=s.get("KmsKeyId", ""), policy=policy, tags=tags_map(s.get("Tags")),
                    replica=s.get("ReplicationStatus", []))

    def update(self, state, change):
        # resourceSecretUpdate: UpdateSecret(Description, KmsKeyId) with a ClientRequestToken.
        if "description" in change:
            self.sm.update_secret(SecretId=state["id"], Description=change["description"])
        return self.read(state)

    def delete(self, state):
        # resourceSecretDelete: DeleteSecret (ForceDeleteWithoutRecovery for a recovery window of
        # 0), then RetryUntilNotFound(findSecretByID) ("waiting for Secrets Manager Secret delete").
        kwargs = {"SecretId": state["id"]}
        if state["recovery_window_in_days"] == 0:
            kwargs["ForceDeleteWithoutRecovery"] = True
        else:
            kwargs["RecoveryWindowInDays"] = state["recovery_window_in_days"]
        try:
            self.sm.delete_secret(**kwargs)
        except botocore.exceptions.ClientError as e:
            if code(e) == "ResourceNotFoundException":
                return
            raise
        retry_until_not_found(lambda: self._find(state["id"]))


class SecretVersion:
    """aws_secretsmanager_secret_version: internal/service/secretsmanager/secret_version.go."""

    def __init__(self, p):
        self.p, self.sm = p, p("secretsmanager")

    def create(self, cfg):
        # resourceSecretVersionCreate: PutSecretValue; the id is "<secret arn>|<version id>".
        out = self.sm.put_secret_value(SecretId=cfg["secret_id"], SecretString=cfg["secret_string"])
        state = {"id": f"{out['ARN']}|{out['VersionId']}", "secret_id": cfg["secret_id"]}
        return self.read(state, new=True)

    def _find(self, secret_id, version_id):
        # findSecretVersionByTwoPartKey: GetSecretValue(SecretId, VersionId); ResourceNotFound, or
        # an InvalidRequestException "because it was deleted"/"marked for deletion", is NotFound.
        try:
            return self.sm.get_secret_value(SecretId=secret_id, VersionId=version_id)
        except botocore.exceptions.ClientError as e:
            if code(e) == "ResourceNotFoundException" or (code(e) == "InvalidRequestException" and (
                    "because it was deleted" in message(e) or "because it was marked for deletion" in message(e))):
                raise NotFound(version_id) from e
            raise

    def read(self, state, new=False):
        secret_id, version_id = state["id"].split("|")
        v = retry_when_new_resource_not_found(lambda: self._find(secret_id, version_id), new)
        return dict(state, arn=v["ARN"], version_id=v["VersionId"], secret_string=v.get("SecretString"),
                    version_stages=sorted(v["VersionStages"]))

    def delete(self, state):
        # resourceSecretVersionDelete: every stage of the state but AWSCURRENT is removed with
        # UpdateSecretVersionStage(RemoveFromVersionId) (AWSCURRENT only moves to another version);
        # then RetryUntilNotFound: the version counts as gone once it has no stage, or only
        # AWSCURRENT or AWSPREVIOUS left.
        secret_id, version_id = state["id"].split("|")
        for stage in state["version_stages"]:
            if stage == "AWSCURRENT":
                continue
            self.sm.update_secret_version_stage(SecretId=secret_id, VersionStage=stage, RemoveFromVersionId=version_id)

        def find():
            stages = self._find(secret_id, version_id)["VersionStages"]
            if not stages or (len(stages) == 1 and stages[0] in ("AWSCURRENT", "AWSPREVIOUS")):
                raise NotFound(version_id)
        retry_until_not_found(find)


# --- ECS ------------------------------------------------------------------------------------

class EcsCluster:
    """aws_ecs_cluster: internal/service/ecs/cluster.go."""

    def __init__(self, p):
        self.p, self.ecs = p, p("ecs")

    def create(self, cfg):
        # resourceClusterCreate -> retryClusterCreate: CreateCluster, retried on
        # InvalidParameterException "Unable to assume the service linked role"; then
        # waitClusterAvailable (DescribeClusters until ACTIVE from PROVISIONING).
        settings = [{"name": "containerInsights", "value": cfg.get("container_insights", "disabled")}]
        out = retry_when(lambda: self.ecs.create_cluster(clusterName=cfg["name"], settings=settings,
                                                         **tags_in("tags", cfg.get("tags"), "key", "value")),
                         lambda e: code(e) == "InvalidParameterException"
                         and "Unable to assume the service linked role" in message(e))["cluster"]
        self._wait(out["clusterArn"], ["PROVISIONING"], ["ACTIVE"])
        return self.read({"id": out["clusterArn"]}, new=True)

    def _find(self, arn):
        # findClusterByNameOrARN: DescribeClusters(include CONFIGURATIONS, TAGS, SETTINGS), a
        # MISSING failure is NotFound.
        out = self.ecs.describe_clusters(clusters=[arn], include=["CONFIGURATIONS", "TAGS", "SETTINGS"])
        if any(f.get("reason") == "MISSING" for f in out.get("failures", [])) or not out["clusters"]:
            raise NotFound(arn)
        return out["clusters"][0]

    def _wait(self, arn, pending, target):
        # waitClusterAvailable / waitClusterDeleted: statusCluster is the cluster's status.
        def refresh():
            try:
                c = self._find(arn)
                return c, c["status"]
            except NotFound:
                return None, ""
        return wait_for_state(refresh, pending, target, what=f"cluster {arn}")

    def read(self, state, new=False):
        # resourceClusterRead: an INACTIVE cluster is gone (removed from state) unless new.
        c = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        if c["status"] == "INACTIVE" and not new:
            raise NotFound(state["id"])
        return dict(state, arn=c["clusterArn"], name=c["clusterName"],
                    setting={s["name"]: s["value"] for s in c.get("settings", [])},
                    configuration=c.get("configuration"), tags=tags_map(c.get("tags"), "key", "value"))

    def update(self, state, change):
        # resourceClusterUpdate: UpdateCluster(settings), then waitClusterAvailable.
        if "container_insights" in change:
            self.ecs.update_cluster(cluster=state["id"], settings=[
                {"name": "containerInsights", "value": change["container_insights"]}])
            self._wait(state["id"], ["PROVISIONING", "UPDATE_IN_PROGRESS"], ["ACTIVE"])
        return self.read(state)

    def delete(self, state):
        # resourceClusterDelete: DeleteCluster, retried while it still holds container instances,
        # services or tasks, or an update is in progress; then waitClusterDeleted (ACTIVE,
        # DEPROVISIONING -> INACTIVE).
        retry_when(lambda: self.ecs.delete_cluster(cluster=state["id"]),
                   lambda e: code(e) in ("ClusterContainsContainerInstancesException",
                                         "ClusterContainsServicesException", "ClusterContainsTasksException",
                                         "UpdateInProgressException"), timeout=600)
        self._wait(state["id"], ["ACTIVE", "DEPROVISIONING"], ["INACTIVE"])


class EcsTaskDefinition:
    """aws_ecs_task_definition: internal/service/ecs/task_definition.go. Every argument but
    tags forces a new revision: a change is delete (deregister) then create (register)."""

    def __init__(self, p):
        self.p, self.ecs = p, p("ecs")

    def create(self, cfg):
        # resourceTaskDefinitionCreate: RegisterTaskDefinition with the tags; the id is the family.
        kwargs = dict(family=cfg["family"], containerDefinitions=cfg["container_definitions"],
                      networkMode=cfg.get("network_mode", "awsvpc"),
                      requiresCompatibilities=cfg.get("requires_compatibilities", ["FARGATE"]),
                      cpu=cfg["cpu"], memory=cfg["memory"])
        for arg, key in (("execution_role_arn", "executionRoleArn"), ("task_role_arn", "taskRoleArn")):
            if cfg.get(arg):
                kwargs[key] = cfg[arg]
        if cfg.get("tags"):
            kwargs["tags"] = tags_list(cfg["tags"], "key", "value")
        td = self.ecs.register_task_definition(**kwargs)["taskDefinition"]
        return self.read({"id": td["family"], "arn": td["taskDefinitionArn"]}, new=True)

    def read(self, state, new=False):
        # resourceTaskDefinitionRead -> findTaskDefinitionByFamilyOrARN(arn): DescribeTaskDefinition
        # (include TAGS); an INACTIVE revision is gone (unless new or track_latest).
        def find():
            try:
                return self.ecs.describe_task_definition(taskDefinition=state["arn"], include=["TAGS"])
            except botocore.exceptions.ClientError as e:
                if code(e) == "ClientException" and "Unable to describe task definition" in message(e):
                    raise NotFound(state["arn"]) from e
                raise
        out = retry_when_new_resource_not_found(find, new)
        td = out["taskDefinition"]
        if td["status"] == "INACTIVE" and not new:
            raise NotFound(state["arn"])
        return dict(state, arn=td["taskDefinitionArn"], family=td["family"], revision=td["revision"],
                    arn_without_revision=td["taskDefinitionArn"].rsplit(":", 1)[0],
                    container_definitions=td["containerDefinitions"], cpu=td.get("cpu"), memory=td.get("memory"),
                    network_mode=td.get("networkMode"), requires_compatibilities=td.get("requiresCompatibilities"),
                    execution_role_arn=td.get("executionRoleArn", ""), task_role_arn=td.get("taskRoleArn", ""),
                    tags=tags_map(out.get("tags"), "key", "value"))

    def delete(self, state):
        # resourceTaskDefinitionDelete: DeregisterTaskDefinition (unless skip_destroy).
        self.ecs.deregister_task_definition(taskDefinition=state["arn"])


def service_steady_refresh(ecs, name, cluster, operation_time):
    """internal/service/ecs/service.go statusServiceWaitForStable: while the service is ACTIVE,
    a PRIMARY deployment created after the operation is followed through its service deployment
    (findPrimaryDeploymentARN: ListServiceDeployments createdAt.after, the target revision ARN
    containing the deployment id's digits; findDeploymentStatus: DescribeServiceDeployments),
    otherwise one deployment with runningCount == desiredCount is stable."""
    memo = {"primary": None, "new": False, "deployment_arn": None}

    def refresh():
        out = ecs.describe_services(cluster=cluster, services=[name])  # findServiceNoTagsByTwoPartKey
        if any(f.get("reason") == "MISSING" for f in out.get("failures", [])) or not out["services"]:
            return None, ""
        svc = out["services"][0]
        if svc["status"] != "ACTIVE":
            return svc, svc["status"]
        if memo["primary"] is None:
            memo["primary"] = next((d for d in svc["deployments"] if d["status"] == "PRIMARY"), None)
            if memo["primary"] and memo["primary"].get("createdAt"):
                memo["new"] = memo["primary"]["createdAt"] > operation_time
        if svc.get("deploymentController", {}).get("type") == "ECS" and memo["new"]:
            if memo["deployment_arn"] is None:
                task_set = memo["primary"]["id"].split("/")[1]
                briefs, kwargs = [], {"cluster": cluster, "service": svc["serviceArn"].split("/")[-1],
                                      "createdAt": {"after": operation_time}}
                while True:  # listServiceDeploymentsPages (list_pages_gen.go): nextToken pages
                    page = ecs.list_service_deployments(**kwargs)
                    briefs += page["serviceDeployments"]
                    if not page.get("nextToken"):
                        break
                    kwargs["nextToken"] = page["nextToken"]
                memo["deployment_arn"] = next((b["serviceDeploymentArn"] for b in briefs
                                               if task_set in b.get("targetServiceRevisionArn", "")), None)
                if memo["deployment_arn"] is None:
                    return svc, "tfPENDING"
            got = ecs.describe_service_deployments(serviceDeploymentArns=[memo["deployment_arn"]])["serviceDeployments"]
            if not got:
                return svc, "tfPENDING"
            status = got[0]["status"]
            if status == "SUCCESSFUL":
                return svc, "tfSTABLE"
            if status in ("STOPPED", "ROLLBACK_FAILED", "ROLLBACK_SUCCESSFUL"):
                raise DeploymentFailed(got[0].get("statusReason", "Deployment failed"))
            return svc, "tfPENDING"
        if len(svc["deployments"]) == 1 and svc["desiredCount"] == svc["runningCount"]:
            return svc, "tfSTABLE"
        return svc, "tfPENDING"
    return refresh


class EcsService:
    """aws_ecs_service: internal/service/ecs/service.go (wait_for_steady_state = true)."""

    def __init__(self, p):
        self.p, self.ecs = p, p("ecs")

    def create(self, cfg):
        # resourceServiceCreate: the input with the schema's defaults (deployment percents 200/100,
        # REPLICA, ECS controller, managed tags and execute command off); operationTime before
        # retryServiceCreate (CreateService retried on ClusterNotFoundException and IAM/ELB
        # propagation messages); then waitServiceStable.
        kwargs = dict(cluster=cfg["cluster"], serviceName=cfg["name"], taskDefinition=cfg["task_definition"],
                      desiredCount=cfg["desired_count"], launchType=cfg.get("launch_type", "FARGATE"),
                      schedulingStrategy="REPLICA", deploymentController={"type": "ECS"},
                      deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100},
                      enableECSManagedTags=False, enableExecuteCommand=False,
                      networkConfiguration={"awsvpcConfiguration": {
                          "subnets": cfg["subnets"], "securityGroups": cfg.get("security_groups", []),
                          "assignPublicIp": "ENABLED" if cfg.get("assign_public_ip") else "DISABLED"}})
        if cfg.get("deployment_circuit_breaker"):
            kwargs["deploymentConfiguration"]["deploymentCircuitBreaker"] = cfg["deployment_circuit_breaker"]
        if cfg.get("load_balancers"):
            kwargs["loadBalancers"] = cfg["load_balancers"]
        if cfg.get("health_check_grace_period_seconds") is not None:
            kwargs["healthCheckGracePeriodSeconds"] = cfg["health_check_grace_period_seconds"]
        if cfg.get("tags"):
            kwargs["tags"] = tags_list(cfg["tags"], "key", "value")
        operation_time = datetime.now(timezone.utc)
        retryable = ("verify that the ECS service role being passed has the proper permissions",
                     "does not have an associated load balancer", "Unable to assume the service linked role")
        svc = retry_when(lambda: self.ecs.create_service(**kwargs),
                         lambda e: code(e) == "ClusterNotFoundException" or (
                             code(e) == "InvalidParameterException" and any(m in message(e) for m in retryable))
                         )["service"]
        state = {"id": svc["serviceArn"], "cluster": cfg["cluster"], "task_definition": cfg["task_definition"]}
        # d.SetId before the wait: a service that never becomes stable is in the state (tainted),
        # and destroy deletes it.
        self.created = state
        self.wait_stable(state, operation_time)
        return self.read(state, new=True)

    def wait_stable(self, state, operation_time, timeout=300):
        # waitServiceStable: Pending INACTIVE, DRAINING, tfPENDING; Target tfSTABLE.
        refresh = service_steady_refresh(self.ecs, state["id"], state["cluster"], operation_time)
        return wait_for_state(refresh, ["INACTIVE", "DRAINING", "tfPENDING"], ["tfSTABLE"], timeout,
                              what=f"service {state['id']}")

    def _find(self, state):
        # findServiceByTwoPartKey: DescribeServices(include TAGS), MISSING is NotFound.
        out = self.ecs.describe_services(cluster=state["cluster"], services=[state["id"]], include=["TAGS"])
        if any(f.get("reason") == "MISSING" for f in out.get("failures", [])) or not out["services"]:
            raise NotFound(state["id"])
        return out["services"][0]

    def read(self, state, new=False):
        # resourceServiceRead -> findServiceByTwoPartKeyWaitForActive: retried (2 minutes) while
        # NotFound or not ACTIVE.
        deadline = time.time() + 120
        while True:
            try:
                svc = self._find(state)
                if svc["status"] == "ACTIVE":
                    break
            except NotFound:
                if not new:
                    raise
            if time.time() > deadline:
                raise NotFound(state["id"])
            time.sleep(POLL)
        dc = svc.get("deploymentConfiguration", {})
        net = svc.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        td = svc["taskDefinition"]
        if not state["task_definition"].startswith("arn:"):  # "Save task definition in the same format."
            td = td.split("/")[-1]
        return dict(state, arn=svc["serviceArn"], name=svc["serviceName"],
                    cluster=svc["clusterArn"] if state["cluster"].startswith("arn:") else svc["clusterArn"].split("/")[-1],
                    task_definition=td, desired_count=svc["desiredCount"], launch_type=svc.get("launchType"),
                    platform_version=svc.get("platformVersion"), scheduling_strategy=svc["schedulingStrategy"],
                    deployment_maximum_percent=dc.get("maximumPercent"),
                    deployment_minimum_healthy_percent=dc.get("minimumHealthyPercent"),
                    deployment_circuit_breaker=dc.get("deploymentCircuitBreaker"),
                    deployment_controller=svc.get("deploymentController", {}).get("type"),
                    enable_ecs_managed_tags=svc.get("enableECSManagedTags"),
                    enable_execute_command=svc.get("enableExecuteCommand"),
                    health_check_grace_period_seconds=svc.get("healthCheckGracePeriodSeconds"),
                    load_balancer=sorted((lb.get("targetGroupArn"), lb["containerName"], lb["containerPort"])
                                         for lb in svc.get("loadBalancers", [])),
                    network_configuration={"subnets": sorted(net.get("subnets", [])),
                                           "security_groups": sorted(net.get("securityGroups", [])),
                                           "assign_public_ip": net.get("assignPublicIp") == "ENABLED"},
                    propagate_tags=svc.get("propagateTags"), tags=tags_map(svc.get("tags"), "key", "value"))

    def update(self, state, change):
        # resourceServiceUpdate: UpdateService with the changed arguments (ForceNewDeployment
        # from force_new_deployment), operationTime before it, retried on IAM/ELB propagation;
        # then waitServiceStable and Read.
        kwargs = {"cluster": state["cluster"], "service": state["id"], "forceNewDeployment": False}
        if "desired_count" in change:
            kwargs["desiredCount"] = change["desired_count"]
        if "task_definition" in change:
            kwargs["taskDefinition"] = change["task_definition"]
        operation_time = datetime.now(timezone.utc)
        retry_when(lambda: self.ecs.update_service(**kwargs),
                   lambda e: code(e) == "InvalidParameterException" and (
                       "verify that the ECS service role being passed has the proper permissions" in message(e)
                       or "does not have an associated load balancer" in message(e)))
        state = dict(state, **{k: v for k, v in change.items() if k == "task_definition"})
        self.wait_stable(state, operation_time)
        return self.read(state)

    def delete(self, state):
        # resourceServiceDelete: findServiceNoTagsByTwoPartKey; unless INACTIVE, drain with
        # UpdateService(desiredCount 0) (not DRAINING, not DAEMON, no force_delete); DeleteService
        # retried on "The service cannot be stopped while deployments are active." and
        # DependencyViolation "has a dependent object"; then waitServiceInactive.
        out = self.ecs.describe_services(cluster=state["cluster"], services=[state["id"]])
        if not out["services"]:
            return
        svc = out["services"][0]
        if svc["status"] == "INACTIVE":
            return
        if svc["status"] != "DRAINING" and svc["schedulingStrategy"] != "DAEMON":
            self.ecs.update_service(cluster=state["cluster"], service=state["id"], desiredCount=0)
        retry_when(lambda: self.ecs.delete_service(cluster=state["cluster"], service=state["id"], force=False),
                   lambda e: (code(e) == "InvalidParameterException"
                              and "The service cannot be stopped while deployments are active." in message(e))
                   or (code(e) == "DependencyViolation" and "has a dependent object" in message(e)), timeout=600)

        # waitServiceInactive: Pending ACTIVE, DRAINING; Target INACTIVE (or gone).
        def refresh():
            got = self.ecs.describe_services(cluster=state["cluster"], services=[state["id"]])["services"]
            return (got[0], got[0]["status"]) if got else (None, "INACTIVE")
        wait_for_state(refresh, ["ACTIVE", "DRAINING"], ["INACTIVE"], timeout=600, what=f"service {state['id']}")


# --- Elastic Load Balancing v2 ---------------------------------------------------------------

# internal/service/elbv2/load_balancer.go loadBalancerAttributes: every ALB attribute of the
# schema, with its default, is sent on create (expand with update=false).
ALB_DEFAULT_ATTRIBUTES = {
    "access_logs.s3.enabled": "false",
    "connection_logs.s3.enabled": "false",
    "client_keep_alive.seconds": "3600",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "deletion_protection.enabled": "false",
    "routing.http2.enabled": "true",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "waf.fail_open.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "zonal_shift.config.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
}


def elb_tags(elb, arn):
    """internal/service/elbv2/tags_gen.go listTags: DescribeTags(ResourceArns)."""
    descs = elb.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return tags_map(descs[0]["Tags"]) if descs else {}


class LoadBalancer:
    """aws_lb: internal/service/elbv2/load_balancer.go (an application load balancer)."""

    def __init__(self, p):
        self.p, self.elb, self.ec2 = p, p("elbv2"), p("ec2")

    def create(self, cfg):
        # resourceLoadBalancerCreate: findLoadBalancer(Names) must be NotFound (an existing one of
        # another type is an error); CreateLoadBalancer; waitLoadBalancerActive; then the
        # attributes (modifyLoadBalancerAttributes drops keys AWS says are not recognized or
        # supported and tries again) and waitLoadBalancerActive; then Read.
        try:
            self.elb.describe_load_balancers(Names=[cfg["name"]])
            raise AssertionError(f"load balancer {cfg['name']} exists already")
        except botocore.exceptions.ClientError as e:
            if code(e) != "LoadBalancerNotFound":
                raise
        lb = self.elb.create_load_balancer(
            Name=cfg["name"], Type="application", Scheme="internal" if cfg.get("internal") else "internet-facing",
            IpAddressType="ipv4", SecurityGroups=cfg["security_groups"], Subnets=cfg["subnets"],
            **tags_in("Tags", cfg.get("tags")))["LoadBalancers"][0]
        state = {"id": lb["LoadBalancerArn"]}
        self._wait_active(state["id"])
        attributes = dict(ALB_DEFAULT_ATTRIBUTES)
        if "idle_timeout" in cfg:
            attributes["idle_timeout.timeout_seconds"] = str(cfg["idle_timeout"])
        self.modify_attributes(state["id"], attributes)
        self._wait_active(state["id"])
        return self.read(state, new=True)

    def modify_attributes(self, arn, attributes):
        import re
        pending = [{"Key": k, "Value": v} for k, v in attributes.items()]
        while pending:
            try:
                self.elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=pending)
                return
            except botocore.exceptions.ClientError as e:
                m = re.search(r"""attribute key ('|")?([^'" ]+)('|")? is not (recognized|supported)""", str(e))
                if not m:
                    raise
                pending = [a for a in pending if a["Key"] != m.group(2)]
                self.dropped_attributes = getattr(self, "dropped_attributes", []) + [m.group(2)]

    def _find(self, arn):
        # findLoadBalancerByARN: DescribeLoadBalancers(LoadBalancerArns); LoadBalancerNotFound is NotFound.
        try:
            return self.elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]
        except botocore.exceptions.ClientError as e:
            if code(e) == "LoadBalancerNotFound":
                raise NotFound(arn) from e
            raise

    def _wait_active(self, arn):
        # waitLoadBalancerActive: Pending provisioning, failed; Target active.
        def refresh():
            try:
                lb = self._find(arn)
                return lb, lb["State"]["Code"]
            except NotFound:
                return None, ""
        wait_for_state(refresh, ["provisioning", "failed"], ["active"], what=f"load balancer {arn}")

    def read(self, state, new=False):
        # resourceLoadBalancerRead: the load balancer, its attributes, its capacity reservation
        # (AccessDenied or InvalidAction leave minimum_load_balancer_capacity empty), its tags.
        lb = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        attrs = {a["Key"]: a["Value"] for a in
                 self.elb.describe_load_balancer_attributes(LoadBalancerArn=state["id"])["Attributes"]}
        try:
            capacity = self.elb.describe_capacity_reservation(LoadBalancerArn=state["id"]).get(
                "MinimumLoadBalancerCapacity")
        except botocore.exceptions.ClientError as e:
            if code(e) not in ("AccessDenied", "InvalidAction"):
                raise
            capacity = None
        return dict(state, arn=lb["LoadBalancerArn"], arn_suffix=lb["LoadBalancerArn"].split(":loadbalancer/")[1],
                    name=lb["LoadBalancerName"], dns_name=lb["DNSName"], internal=lb["Scheme"] == "internal",
                    ip_address_type=lb["IpAddressType"], load_balancer_type=lb["Type"],
                    security_groups=sorted(lb.get("SecurityGroups", [])),
                    subnets=sorted(z["SubnetId"] for z in lb["AvailabilityZones"]), vpc_id=lb["VpcId"],
                    zone_id=lb["CanonicalHostedZoneId"], minimum_load_balancer_capacity=capacity,
                    attributes={k: attrs.get(k) for k in ALB_DEFAULT_ATTRIBUTES},
                    tags=elb_tags(self.elb, state["id"]))

    def update(self, state, change):
        # resourceLoadBalancerUpdate: the changed attributes only; waitLoadBalancerActive; Read.
        if "idle_timeout" in change:
            self.modify_attributes(state["id"], {"idle_timeout.timeout_seconds": str(change["idle_timeout"])})
        self._wait_active(state["id"])
        return self.read(state)

    def delete(self, state):
        # resourceLoadBalancerDelete: DeleteLoadBalancer; then waitForALBNetworkInterfacesToDetach
        # and waitForNLBNetworkInterfacesToDetach: DescribeNetworkInterfaces by
        # attachment.instance-owner-id (amazon-elb, then amazon-aws) and description "ELB <name>"
        # until none are left (FindNetworkInterfacesByAttachmentInstanceOwnerIDAndDescription).
        self.elb.delete_load_balancer(LoadBalancerArn=state["id"])
        name = state["id"].split(":loadbalancer/")[1]
        for owner in ("amazon-elb", "amazon-aws"):
            deadline = time.time() + 300
            while self.ec2.describe_network_interfaces(Filters=[
                    {"Name": "attachment.instance-owner-id", "Values": [owner]},
                    {"Name": "description", "Values": [f"ELB {name}"]}])["NetworkInterfaces"]:
                assert time.time() < deadline, f"ELB {name} interfaces never went"
                time.sleep(POLL)


class TargetGroup:
    """aws_lb_target_group: internal/service/elbv2/target_group.go (target_type ip)."""

    def __init__(self, p):
        self.p, self.elb = p, p("elbv2")

    def create(self, cfg):
        # resourceTargetGroupCreate: findTargetGroupByName must be NotFound; CreateTargetGroup with
        # the health check's schema defaults; Read retried for the new resource; then
        # ModifyTargetGroupAttributes with the attributes of the schema (defaults included).
        try:
            self.elb.describe_target_groups(Names=[cfg["name"]])
            raise AssertionError(f"target group {cfg['name']} exists already")
        except botocore.exceptions.ClientError as e:
            if code(e) != "TargetGroupNotFound":
                raise
        hc = cfg.get("health_check", {})
        tg = self.elb.create_target_group(
            Name=cfg["name"], Port=cfg["port"], Protocol="HTTP", ProtocolVersion="HTTP1", VpcId=cfg["vpc_id"],
            TargetType="ip", HealthCheckEnabled=True, HealthCheckPath=hc.get("path", "/"),
            HealthCheckPort="traffic-port", HealthCheckProtocol="HTTP",
            HealthCheckIntervalSeconds=hc.get("interval", 30), HealthCheckTimeoutSeconds=hc.get("timeout", 5),
            HealthyThresholdCount=hc.get("healthy_threshold", 3), UnhealthyThresholdCount=hc.get("unhealthy_threshold", 3),
            Matcher={"HttpCode": hc.get("matcher", "200")}, **tags_in("Tags", cfg.get("tags")))["TargetGroups"][0]
        state = {"id": tg["TargetGroupArn"]}
        retry_when_new_resource_not_found(lambda: self._find(state["id"]), True)
        self.elb.modify_target_group_attributes(TargetGroupArn=state["id"], Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(cfg.get("deregistration_delay", 300))},
            {"Key": "slow_start.duration_seconds", "Value": "0"},
            {"Key": "load_balancing.algorithm.type", "Value": "round_robin"},
            {"Key": "load_balancing.cross_zone.enabled", "Value": "use_load_balancer_configuration"},
            {"Key": "stickiness.enabled", "Value": "false"},
            {"Key": "stickiness.type", "Value": "lb_cookie"}])
        return self.read(state, new=True)

    def _find(self, arn):
        # findTargetGroupByARN: DescribeTargetGroups(TargetGroupArns); TargetGroupNotFound is NotFound.
        try:
            return self.elb.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
        except botocore.exceptions.ClientError as e:
            if code(e) == "TargetGroupNotFound":
                raise NotFound(arn) from e
            raise

    def read(self, state, new=False):
        # resourceTargetGroupRead: the group, findTargetGroupAttributesByARN, the tags.
        tg = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        attrs = {a["Key"]: a["Value"] for a in
                 self.elb.describe_target_group_attributes(TargetGroupArn=state["id"])["Attributes"]}
        return dict(state, arn=tg["TargetGroupArn"], name=tg["TargetGroupName"], port=tg["Port"],
                    protocol=tg["Protocol"], protocol_version=tg.get("ProtocolVersion"), vpc_id=tg["VpcId"],
                    target_type=tg["TargetType"],
                    health_check={"enabled": tg["HealthCheckEnabled"], "path": tg["HealthCheckPath"],
                                  "port": tg["HealthCheckPort"], "protocol": tg["HealthCheckProtocol"],
                                  "interval": tg["HealthCheckIntervalSeconds"],
                                  "timeout": tg["HealthCheckTimeoutSeconds"],
                                  "healthy_threshold": tg["HealthyThresholdCount"],
                                  "unhealthy_threshold": tg["UnhealthyThresholdCount"],
                                  "matcher": tg["Matcher"]["HttpCode"]},
                    deregistration_delay=attrs.get("deregistration_delay.timeout_seconds"),
                    slow_start=attrs.get("slow_start.duration_seconds"),
                    load_balancing_algorithm_type=attrs.get("load_balancing.algorithm.type"),
                    load_balancing_cross_zone_enabled=attrs.get("load_balancing.cross_zone.enabled"),
                    stickiness=(attrs.get("stickiness.enabled"), attrs.get("stickiness.type")),
                    tags=elb_tags(self.elb, state["id"]))

    def update(self, state, change):
        # resourceTargetGroupUpdate: ModifyTargetGroup for the health check, then the attributes.
        if "health_check_path" in change:
            self.elb.modify_target_group(TargetGroupArn=state["id"], HealthCheckPath=change["health_check_path"])
        if "deregistration_delay" in change:
            self.elb.modify_target_group_attributes(TargetGroupArn=state["id"], Attributes=[
                {"Key": "deregistration_delay.timeout_seconds", "Value": str(change["deregistration_delay"])}])
        return self.read(state)

    def delete(self, state):
        # resourceTargetGroupDelete: DeleteTargetGroup retried on ResourceInUse ("is currently in
        # use by a listener or a rule") for 2 minutes.
        retry_when(lambda: self.elb.delete_target_group(TargetGroupArn=state["id"]),
                   lambda e: code(e) == "ResourceInUse" and "is currently in use by a listener or a rule" in message(e))


class Listener:
    """aws_lb_listener: internal/service/elbv2/listener.go (HTTP, forward or fixed-response)."""

    def __init__(self, p):
        self.p, self.elb = p, p("elbv2")

    def create(self, cfg):
        # resourceListenerCreate -> retryListenerCreate: CreateListener (with tags), retried on
        # CertificateNotFound; Read retried for the new resource.
        out = retry_when(lambda: self.elb.create_listener(
            LoadBalancerArn=cfg["load_balancer_arn"], Port=cfg["port"], Protocol="HTTP",
            DefaultActions=cfg["default_actions"], **tags_in("Tags", cfg.get("tags"))),
            lambda e: code(e) == "CertificateNotFound")["Listeners"][0]
        return self.read({"id": out["ListenerArn"]}, new=True)

    def _find(self, arn):
        # findListenerByARN: DescribeListeners(ListenerArns); ListenerNotFound is NotFound.
        try:
            return self.elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]
        except botocore.exceptions.ClientError as e:
            if code(e) == "ListenerNotFound":
                raise NotFound(arn) from e
            raise

    def read(self, state, new=False):
        ln = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        return dict(state, arn=ln["ListenerArn"], load_balancer_arn=ln["LoadBalancerArn"], port=ln["Port"],
                    protocol=ln["Protocol"], default_action=ln["DefaultActions"], tags=elb_tags(self.elb, state["id"]))

    def update(self, state, change):
        # resourceListenerUpdate -> ModifyListener, retried on CertificateNotFound.
        self.elb.modify_listener(ListenerArn=state["id"], DefaultActions=change["default_actions"])
        return self.read(state)

    def delete(self, state):
        # resourceListenerDelete: DeleteListener; ListenerNotFound is success.
        try:
            self.elb.delete_listener(ListenerArn=state["id"])
        except botocore.exceptions.ClientError as e:
            if code(e) != "ListenerNotFound":
                raise


class ListenerRule:
    """aws_lb_listener_rule: internal/service/elbv2/listener_rule.go."""

    def __init__(self, p):
        self.p, self.elb = p, p("elbv2")

    def create(self, cfg):
        # resourceListenerRuleCreate: with a priority, CreateRule; without one, retryListenerRuleCreate
        # finds the highest priority (highestListenerRulePriority: DescribeRules(ListenerArn) pages,
        # "default" excluded) and creates at +1, retried on PriorityInUse.
        kwargs = dict(ListenerArn=cfg["listener_arn"], Actions=cfg["actions"], Conditions=cfg["conditions"],
                      **tags_in("Tags", cfg.get("tags")))
        if cfg.get("priority"):
            out = self.elb.create_rule(Priority=cfg["priority"], **kwargs)
        else:
            def create_next():
                rules = [r for page in self.elb.get_paginator("describe_rules").paginate(
                    ListenerArn=cfg["listener_arn"]) for r in page["Rules"]]
                highest = max([int(r["Priority"]) for r in rules if r["Priority"] != "default"] or [0])
                return self.elb.create_rule(Priority=highest + 1, **kwargs)
            out = retry_when(create_next, lambda e: code(e) == "PriorityInUse")
        return self.read({"id": out["Rules"][0]["RuleArn"]}, new=True)

    def _find(self, arn):
        # findListenerRuleByARN: DescribeRules(RuleArns); RuleNotFound is NotFound.
        try:
            return self.elb.describe_rules(RuleArns=[arn])["Rules"][0]
        except botocore.exceptions.ClientError as e:
            if code(e) == "RuleNotFound":
                raise NotFound(arn) from e
            raise

    def read(self, state, new=False):
        r = retry_when_new_resource_not_found(lambda: self._find(state["id"]), new)
        conditions = sorted(json.dumps({k: v for k, v in c.items() if k != "Values"}, sort_keys=True)
                            for c in r["Conditions"])
        return dict(state, arn=r["RuleArn"], priority=int(r["Priority"]),
                    action=[{k: v for k, v in a.items() if k in ("Type", "TargetGroupArn", "Order")}
                            for a in r["Actions"]],
                    condition=conditions, tags=elb_tags(self.elb, state["id"]))

    def update(self, state, change):
        # resourceListenerRuleUpdate: SetRulePriorities for a new priority, ModifyRule for actions
        # and conditions; then Read.
        if "priority" in change:
            self.elb.set_rule_priorities(RulePriorities=[{"RuleArn": state["id"], "Priority": change["priority"]}])
        if "actions" in change or "conditions" in change:
            kwargs = {"RuleArn": state["id"]}
            if "actions" in change:
                kwargs["Actions"] = change["actions"]
            if "conditions" in change:
                kwargs["Conditions"] = change["conditions"]
            self.elb.modify_rule(**kwargs)
        return self.read(state)

    def delete(self, state):
        # resourceListenerRuleDelete: DeleteRule; RuleNotFound is success.
        try:
            self.elb.delete_rule(RuleArn=state["id"])
        except botocore.exceptions.ClientError as e:
            if code(e) != "RuleNotFound":
                raise


# Optional+Computed attributes that other resources change (aws_iam_role_policy_attachment
# attaches to the role): a refresh stores their new value without a planned change.
COMPUTED_ELSEWHERE = {"managed_policy_arns", "inline_policy"}


def refresh_diff(applied, refreshed):
    """What a plan after a refresh would show: the attributes whose read-back value differs."""
    return {k: (applied[k], refreshed.get(k)) for k in applied
            if k not in COMPUTED_ELSEWHERE and applied[k] != refreshed.get(k)}
