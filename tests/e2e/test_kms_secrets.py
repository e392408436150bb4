#!/usr/bin/python3
"""KMS and Secrets Manager with boto3 and the aws CLI.

KMS: keys, aliases, Encrypt/Decrypt with encryption context (the CLI's fileb:// form), a
disabled key refusing Decrypt with DisabledException, the deletion window and
CancelKeyDeletion, data keys, key policies and grants, AWS's error codes. Secrets Manager:
create and read a secret with the CLI and boto3, versions and staging labels, the recovery
window and RestoreSecret, ForceDeleteWithoutRecovery, filters and pagination, a secret under a
customer key that is disabled. Then the data directory is searched for the secret values (they
must be sealed), and the server is restarted on the same directory: the secrets still read.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()
ACCOUNT = "000000000000"
SECRET = "p4ss-w0rd-that-must-never-leak-7f3a9"
JSON_SECRET = json.dumps({"username": "admin", "password": "json-secret-value-c81e2"})
data_dir = tempfile.mkdtemp(prefix="wharf-e2e-kms-")

with WharfServer(data_dir=data_dir) as server:
    kms = server.boto3("kms")
    sm = server.boto3("secretsmanager")

    @checks.run
    def kms_encrypt_decrypt_with_the_cli():
        key = server.aws("kms", "create-key", "--description", "app key")["KeyMetadata"]
        assert key["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key['KeyId']}", key
        assert key["KeyState"] == "Enabled" and key["KeySpec"] == "SYMMETRIC_DEFAULT", key
        server.aws("kms", "create-alias", "--alias-name", "alias/app", "--target-key-id", key["KeyId"])
        with tempfile.NamedTemporaryFile("wb", delete=False) as f:
            f.write(b"plain bytes")
        out = server.aws("kms", "encrypt", "--key-id", "alias/app", "--plaintext", f"fileb://{f.name}",
                         "--encryption-context", "purpose=test")
        blob = base64.b64decode(out["CiphertextBlob"])
        with open(f.name, "wb") as g:
            g.write(blob)
        dec = server.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{f.name}",
                         "--encryption-context", "purpose=test")
        assert base64.b64decode(dec["Plaintext"]) == b"plain bytes", dec
        assert dec["KeyId"] == key["Arn"], dec
        p = server.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{f.name}", check=False)
        assert p.returncode != 0 and "InvalidCiphertextException" in p.stderr, p.stderr
        os.unlink(f.name)
        # The same with the newest CLI.
        out = server.aws("kms", "encrypt", "--key-id", key["KeyId"], "--plaintext", "aGVsbG8=", cli=NEWEST_AWS)
        assert out["KeyId"] == key["Arn"], out

    @checks.run
    def kms_key_states_and_errors():
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}"
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"a": "b"})["CiphertextBlob"]
        kms.disable_key(KeyId=key_id)
        expect_client_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"}),
                            "DisabledException", f"{arn} is disabled.")
        kms.enable_key(KeyId=key_id)
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"x"
        expect_client_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "c"}),
                            "InvalidCiphertextException")
        expect_client_error(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=5),
                            "ValidationException")
        deletion = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        assert deletion["KeyState"] == "PendingDeletion" and deletion["PendingWindowInDays"] == 7, deletion
        expect_client_error(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), "KMSInvalidStateException",
                            f"{arn} is pending deletion.")
        kms.cancel_key_deletion(KeyId=key_id)
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
        expect_client_error(lambda: kms.describe_key(KeyId="alias/none"), "NotFoundException",
                            f"Alias arn:aws:kms:us-east-1:{ACCOUNT}:alias/none is not found.")
        missing = "11111111-2222-3333-4444-555555555555"
        expect_client_error(lambda: kms.describe_key(KeyId=missing), "NotFoundException",
                            f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist")
        expect_client_error(lambda: kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT"),
                            "UnsupportedOperationException")
        expect_client_error(lambda: kms.create_key(KeySpec="HMAC_256", KeyUsage="ENCRYPT_DECRYPT"),
                            "ValidationException")
        expect_client_error(lambda: kms.create_alias(AliasName="alias/app", TargetKeyId=key_id), "AlreadyExistsException")

    @checks.run
    def kms_data_keys_policies_grants_tags():
        key_id = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "blue"}])["KeyMetadata"]["KeyId"]
        dk = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
        assert len(dk["Plaintext"]) == 32
        assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
        wp = kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=16)
        assert "Plaintext" not in wp and len(kms.decrypt(CiphertextBlob=wp["CiphertextBlob"])["Plaintext"]) == 16
        other = kms.create_key()["KeyMetadata"]["KeyId"]
        re = kms.re_encrypt(CiphertextBlob=dk["CiphertextBlob"], DestinationKeyId=other)
        assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
        assert len(kms.generate_random(NumberOfBytes=24)["Plaintext"]) == 24
        policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, policy
        expect_client_error(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy='{"Statement":1}'),
                            "MalformedPolicyDocumentException")
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                    "Action": "kms:*", "Resource": "*"}]}))
        assert kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
        # The lockout safety check: a policy that would shut the caller out is refused unless bypassed.
        role_only = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"}, "Action": "kms:*", "Resource": "*"}]})
        expect_client_error(lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=role_only),
                            "MalformedPolicyDocumentException", "will not allow you to update the key policy")
        expect_client_error(lambda: kms.create_key(Policy=role_only), "MalformedPolicyDocumentException")
        grant = kms.create_grant(KeyId=key_id, GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/app",
                                 Operations=["Decrypt", "Encrypt"])
        grants = kms.list_grants(KeyId=key_id)["Grants"]
        assert [g["GrantId"] for g in grants] == [grant["GrantId"]], grants
        kms.retire_grant(GrantToken=grant["GrantToken"])
        assert kms.list_grants(KeyId=key_id)["Grants"] == []
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "prod"}])
        kms.untag_resource(KeyId=key_id, TagKeys=["team"])
        assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "env", "TagValue": "prod"}]
        kms.enable_key_rotation(KeyId=key_id)
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
        # On-demand rotation (the newest CLI: Debian's boto3 predates it): old ciphertexts still decrypt.
        old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"before rotation")["CiphertextBlob"]
        server.aws("kms", "rotate-key-on-demand", "--key-id", key_id, cli=NEWEST_AWS)
        rotations = server.aws("kms", "list-key-rotations", "--key-id", key_id, cli=NEWEST_AWS)["Rotations"]
        assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"], rotations
        assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before rotation"
        new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
        assert new_blob[:41] == old_blob[:41] and new_blob[41:45] != old_blob[41:45]  # same key, next version
        # Automatic rotation's period (the schedule itself is unit tested on a simulated clock),
        # and the key materials as the newest model lists them.
        server.aws("kms", "enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "90", cli=NEWEST_AWS)
        status = server.aws("kms", "get-key-rotation-status", "--key-id", key_id, cli=NEWEST_AWS)
        assert status["RotationPeriodInDays"] == 90, status
        described = server.aws("kms", "describe-key", "--key-id", key_id, cli=NEWEST_AWS)["KeyMetadata"]
        every = server.aws("kms", "list-key-rotations", "--key-id", key_id, "--include-key-material",
                           "ALL_KEY_MATERIAL", cli=NEWEST_AWS)["Rotations"]
        assert [r["KeyMaterialState"] for r in every] == ["NON_CURRENT", "CURRENT"], every
        assert every[1]["KeyMaterialId"] == described["CurrentKeyMaterialId"], (every, described)
        assert len(kms.list_keys()["Keys"]) >= 4

    @checks.run
    def kms_signing_and_mac_keys():
        key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        assert key["SigningAlgorithms"] == ["ECDSA_SHA_256"] and "EncryptionAlgorithms" not in key, key
        sig = kms.sign(KeyId=key["KeyId"], Message=b"release 1.0", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        assert kms.verify(KeyId=key["KeyId"], Message=b"release 1.0", Signature=sig,
                          SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
        expect_client_error(lambda: kms.verify(KeyId=key["KeyId"], Message=b"release 2.0", Signature=sig,
                                               SigningAlgorithm="ECDSA_SHA_256"), "KMSInvalidSignatureException")
        expect_client_error(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"), "InvalidKeyUsageException")
        # OpenSSL verifies the signature with the public key GetPublicKey hands out.
        public = kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
        with tempfile.TemporaryDirectory() as d:
            for name, data in (("pub.der", public), ("sig", sig), ("msg", b"release 1.0")):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", f"{d}/pub.der", "-out",
                            f"{d}/pub.pem"], check=True, capture_output=True)
            p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", f"{d}/pub.pem", "-signature", f"{d}/sig",
                                f"{d}/msg"], capture_output=True, text=True)
            assert p.returncode == 0 and "Verified OK" in p.stdout, p.stdout + p.stderr
        rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        for algorithm in ("RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384"):
            sig = kms.sign(KeyId=rsa, Message=b"m", SigningAlgorithm=algorithm)["Signature"]
            assert kms.verify(KeyId=rsa, Message=b"m", Signature=sig, SigningAlgorithm=algorithm)["SignatureValid"]
        hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        mac = kms.generate_mac(KeyId=hmac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
        assert len(mac) == 32
        assert kms.verify_mac(KeyId=hmac_key, Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")["MacValid"] is True
        expect_client_error(lambda: kms.verify_mac(KeyId=hmac_key, Message=b"n", Mac=mac, MacAlgorithm="HMAC_SHA_256"),
                            "KMSInvalidMacException")

    @checks.run
    def secrets_with_the_cli_and_boto3():
        made = server.aws("secretsmanager", "create-secret", "--name", "prod/db", "--secret-string", SECRET)
        arn = made["ARN"]
        prefix = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db-"
        assert arn.startswith(prefix) and len(arn) == len(prefix) + 6, arn
        got = server.aws("secretsmanager", "get-secret-value", "--secret-id", "prod/db")
        assert got["SecretString"] == SECRET and got["VersionStages"] == ["AWSCURRENT"], got
        assert sm.get_secret_value(SecretId=arn)["SecretString"] == SECRET
        put = sm.put_secret_value(SecretId="prod/db", SecretString=JSON_SECRET)
        assert sm.get_secret_value(SecretId="prod/db")["SecretString"] == JSON_SECRET
        prev = sm.get_secret_value(SecretId="prod/db", VersionStage="AWSPREVIOUS")
        assert prev["SecretString"] == SECRET and prev["VersionId"] == made["VersionId"], prev
        assert sm.get_secret_value(SecretId="prod/db", VersionId=put["VersionId"])["SecretString"] == JSON_SECRET
        described = sm.describe_secret(SecretId="prod/db")
        assert described["VersionIdsToStages"] == {made["VersionId"]: ["AWSPREVIOUS"],
                                                   put["VersionId"]: ["AWSCURRENT"]}, described
        sm.update_secret_version_stage(SecretId="prod/db", VersionStage="AWSCURRENT",
                                       MoveToVersionId=made["VersionId"], RemoveFromVersionId=put["VersionId"])
        assert sm.get_secret_value(SecretId="prod/db")["SecretString"] == SECRET
        versions = sm.list_secret_version_ids(SecretId="prod/db")["Versions"]
        assert len(versions) == 2, versions
        expect_client_error(lambda: sm.get_secret_value(SecretId="nope"), "ResourceNotFoundException",
                            "Secrets Manager can't find the specified secret.")
        expect_client_error(lambda: sm.create_secret(Name="prod/db", SecretString="x"), "ResourceExistsException")
        # Debian's boto3 predates BatchGetSecretValue: the newest CLI sends it.
        batch = server.aws("secretsmanager", "batch-get-secret-value", "--secret-id-list", "prod/db", "nope",
                           cli=NEWEST_AWS)
        assert [v["Name"] for v in batch["SecretValues"]] == ["prod/db"], batch
        assert batch["Errors"][0]["ErrorCode"] == "ResourceNotFoundException", batch
        pw = sm.get_random_password(PasswordLength=20, ExcludePunctuation=True)["RandomPassword"]
        assert len(pw) == 20 and pw.isalnum(), pw
        expect_client_error(lambda: sm.rotate_secret(SecretId="prod/db"), "InvalidRequestException")

    @checks.run
    def secret_deletion_window_and_restore():
        sm.create_secret(Name="tmp", SecretString="t", Tags=[{"Key": "team", "Value": "blue"}])
        expect_client_error(lambda: sm.delete_secret(SecretId="tmp", RecoveryWindowInDays=3),
                            "InvalidParameterException")
        deleted = sm.delete_secret(SecretId="tmp", RecoveryWindowInDays=7)
        assert "DeletionDate" in deleted, deleted
        expect_client_error(lambda: sm.get_secret_value(SecretId="tmp"), "InvalidRequestException",
                            "marked for deletion")
        assert "DeletedDate" in sm.describe_secret(SecretId="tmp")
        names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
        assert "tmp" not in names, names
        listed = server.aws("secretsmanager", "list-secrets", "--include-planned-deletion", cli=NEWEST_AWS)
        assert "tmp" in [s["Name"] for s in listed["SecretList"]], listed
        sm.restore_secret(SecretId="tmp")
        assert sm.get_secret_value(SecretId="tmp")["SecretString"] == "t"
        sm.delete_secret(SecretId="tmp", ForceDeleteWithoutRecovery=True)
        expect_client_error(lambda: sm.describe_secret(SecretId="tmp"), "ResourceNotFoundException")

    @checks.run
    def list_filters_and_pages():
        for i in range(5):
            sm.create_secret(Name=f"page/s{i}", SecretString="v", Description=f"number {i}",
                             Tags=[{"Key": "group", "Value": "paged"}])
        listed = sm.list_secrets(Filters=[{"Key": "name", "Values": ["page/"]}], MaxResults=2)
        names = [s["Name"] for s in listed["SecretList"]]
        while "NextToken" in listed:
            listed = sm.list_secrets(Filters=[{"Key": "name", "Values": ["page/"]}], MaxResults=2,
                                     NextToken=listed["NextToken"])
            names += [s["Name"] for s in listed["SecretList"]]
        assert names == [f"page/s{i}" for i in range(5)], names
        by_tag = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["paged"]},
                                          {"Key": "description", "Values": ["!number 3"]}])["SecretList"]
        assert len(by_tag) == 4, by_tag

    @checks.run
    def resource_policy_and_tags():
        doc = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
        assert sm.validate_resource_policy(ResourcePolicy=doc)["PolicyValidationPassed"] is True
        assert sm.validate_resource_policy(ResourcePolicy='{"x":1}')["PolicyValidationPassed"] is False
        sm.put_resource_policy(SecretId="prod/db", ResourcePolicy=doc)
        assert json.loads(sm.get_resource_policy(SecretId="prod/db")["ResourcePolicy"]) == json.loads(doc)
        sm.delete_resource_policy(SecretId="prod/db")
        assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="prod/db")
        sm.tag_resource(SecretId="prod/db", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        sm.untag_resource(SecretId="prod/db", TagKeys=["a"])
        assert sm.describe_secret(SecretId="prod/db")["Tags"] == [{"Key": "b", "Value": "2"}]

    @checks.run
    def secret_under_a_disabled_customer_key():
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        sm.create_secret(Name="keyed", SecretString="keyed-value", KmsKeyId=key_id)
        assert sm.describe_secret(SecretId="keyed")["KmsKeyId"] == key_id
        kms.disable_key(KeyId=key_id)
        expect_client_error(lambda: sm.get_secret_value(SecretId="keyed"), "DecryptionFailure")
        kms.enable_key(KeyId=key_id)
        assert sm.get_secret_value(SecretId="keyed")["SecretString"] == "keyed-value"
        managed = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
        assert managed["KeyManager"] == "AWS", managed

    @checks.run
    def no_plaintext_in_the_data_directory():
        server.kill()  # SQLite's WAL and the logs as they are on disk
        for value in (SECRET, "json-secret-value-c81e2", "keyed-value"):
            p = subprocess.run(["grep", "-r", "-a", "-l", value, data_dir], capture_output=True, text=True)
            assert p.returncode == 1 and not p.stdout, f"{value} found in {p.stdout}"
        mode = os.stat(os.path.join(data_dir, "kms-root-key")).st_mode & 0o777
        assert mode == 0o600, oct(mode)

with WharfServer(data_dir=data_dir) as server:
    @checks.run
    def secrets_survive_a_restart():
        sm = server.boto3("secretsmanager")
        assert sm.get_secret_value(SecretId="prod/db")["SecretString"] == SECRET
        assert sm.get_secret_value(SecretId="prod/db", VersionStage="AWSPREVIOUS")["SecretString"] == JSON_SECRET
        assert server.aws("secretsmanager", "get-secret-value", "--secret-id", "keyed")["SecretString"] == "keyed-value"

shutil.rmtree(data_dir, ignore_errors=True)
checks.finish()
