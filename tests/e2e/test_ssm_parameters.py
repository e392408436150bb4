#!/usr/bin/python3
"""SSM Parameter Store with boto3 and the aws CLI.

String, StringList and SecureString parameters (the CLI's put-parameter/get-parameter
--with-decryption), versions and history, Overwrite, selectors (name:version, name:label),
labels, GetParametersByPath (recursive or one level, paging), DescribeParameters filters,
AllowedPattern, tiers, tags, DeleteParameters, AWS's errors; a SecureString under a customer
key that is disabled; the rest of SSM refused by name. The data directory never holds a
SecureString's value.
"""
import subprocess
import tempfile

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()
ACCOUNT = "000000000000"
SECURE = "secure-string-value-that-must-not-leak-5b1d"

with WharfServer() as server:
    ssm = server.boto3("ssm")
    kms = server.boto3("kms")

    @checks.run
    def put_and_get_with_the_cli():
        out = server.aws("ssm", "put-parameter", "--name", "/app/prod/db/password", "--type", "SecureString",
                         "--value", SECURE)
        assert out["Version"] == 1 and out["Tier"] == "Standard", out
        got = server.aws("ssm", "get-parameter", "--name", "/app/prod/db/password", "--with-decryption")["Parameter"]
        assert got["Value"] == SECURE and got["Type"] == "SecureString", got
        assert got["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/prod/db/password", got
        sealed = server.aws("ssm", "get-parameter", "--name", "/app/prod/db/password")["Parameter"]
        assert sealed["Value"] != SECURE, sealed
        server.aws("ssm", "put-parameter", "--name", "/app/prod/db/host", "--type", "String", "--value", "db.local",
                   cli=NEWEST_AWS)
        got = ssm.get_parameter(Name="/app/prod/db/host")["Parameter"]
        assert got["Value"] == "db.local" and got["DataType"] == "text", got
        ssm.put_parameter(Name="hosts", Type="StringList", Value="a,b,c")
        assert ssm.get_parameter(Name="hosts")["Parameter"]["Value"] == "a,b,c"
        managed = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
        assert managed["KeyManager"] == "AWS", managed

    @checks.run
    def versions_labels_and_history():
        expect_client_error(lambda: ssm.put_parameter(Name="/app/prod/db/host", Type="String", Value="x"),
                            "ParameterAlreadyExists")
        out = ssm.put_parameter(Name="/app/prod/db/host", Type="String", Value="db2.local", Overwrite=True)
        assert out["Version"] == 2, out
        assert ssm.get_parameter(Name="/app/prod/db/host:1")["Parameter"]["Value"] == "db.local"
        labeled = ssm.label_parameter_version(Name="/app/prod/db/host", ParameterVersion=1, Labels=["stable", "aws-x"])
        assert labeled["InvalidLabels"] == ["aws-x"] and labeled["ParameterVersion"] == 1, labeled
        got = ssm.get_parameter(Name="/app/prod/db/host:stable")["Parameter"]
        assert got["Value"] == "db.local" and got["Selector"] == ":stable" and got["Version"] == 1, got
        expect_client_error(lambda: ssm.get_parameter(Name="/app/prod/db/host:9"), "ParameterVersionNotFound")
        history = ssm.get_parameter_history(Name="/app/prod/db/host")["Parameters"]
        assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [
            (1, "db.local", ["stable"]), (2, "db2.local", [])], history
        ssm.unlabel_parameter_version(Name="/app/prod/db/host", ParameterVersion=1, Labels=["stable"])
        expect_client_error(lambda: ssm.get_parameter(Name="/app/prod/db/host:stable"), "ParameterVersionNotFound")
        expect_client_error(lambda: ssm.get_parameter(Name="/nope"), "ParameterNotFound")

    @checks.run
    def paths_and_describe():
        for i in range(12):
            ssm.put_parameter(Name=f"/tree/level1/p{i:02d}", Type="String", Value=str(i))
        ssm.put_parameter(Name="/tree/top", Type="String", Value="t", Tags=[{"Key": "team", "Value": "blue"}])
        one = ssm.get_parameters_by_path(Path="/tree")["Parameters"]
        assert [p["Name"] for p in one] == ["/tree/top"], one
        names, token = [], None
        while True:
            page = ssm.get_parameters_by_path(Path="/tree", Recursive=True, MaxResults=5,
                                              **({"NextToken": token} if token else {}))
            names += [p["Name"] for p in page["Parameters"]]
            token = page.get("NextToken")
            if not token:
                break
        assert len(names) == 13 and names[-1] == "/tree/top", names
        secure = ssm.get_parameters_by_path(Path="/app", Recursive=True, WithDecryption=True,
                                            ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
        assert [p["Value"] for p in secure["Parameters"]] == [SECURE], secure
        described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith",
                                                               "Values": ["/tree/level1/p1"]}])["Parameters"]
        assert [p["Name"] for p in described] == ["/tree/level1/p10", "/tree/level1/p11"], described
        tagged = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:team", "Values": ["blue"]}])["Parameters"]
        assert [p["Name"] for p in tagged] == ["/tree/top"], tagged
        got = ssm.get_parameters(Names=["/tree/top", "/missing", "/tree/level1/p03"])
        assert sorted(p["Name"] for p in got["Parameters"]) == ["/tree/level1/p03", "/tree/top"], got
        assert got["InvalidParameters"] == ["/missing"], got

    @checks.run
    def rules_and_errors():
        expect_client_error(lambda: ssm.put_parameter(Name="/aws/x", Type="String", Value="v"), "ValidationException")
        expect_client_error(lambda: ssm.put_parameter(Name="a/b", Type="String", Value="v"), "ValidationException",
                            "fully qualified")
        expect_client_error(lambda: ssm.put_parameter(Name="num", Type="String", Value="abc", AllowedPattern="^\\d+$"),
                            "ParameterPatternMismatchException")
        ssm.put_parameter(Name="num", Type="String", Value="123", AllowedPattern="^\\d+$")
        expect_client_error(lambda: ssm.put_parameter(Name="big", Type="String", Value="x" * 5000), "ValidationException")
        assert ssm.put_parameter(Name="big", Type="String", Value="x" * 5000, Tier="Advanced")["Tier"] == "Advanced"
        expect_client_error(lambda: ssm.put_parameter(Name="t", Type="String", Value="v", Overwrite=True,
                                                      Tags=[{"Key": "a", "Value": "b"}]), "ValidationException")
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="num", Tags=[{"Key": "k", "Value": "v"}])
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="num")["TagList"] == [
            {"Key": "k", "Value": "v"}]
        ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="num", TagKeys=["k"])
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="num")["TagList"] == []
        deleted = ssm.delete_parameters(Names=["num", "big", "none"])
        assert deleted["DeletedParameters"] == ["num", "big"] and deleted["InvalidParameters"] == ["none"], deleted
        ssm.delete_parameter(Name="hosts")
        expect_client_error(lambda: ssm.delete_parameter(Name="hosts"), "ParameterNotFound")
        e = expect_client_error(lambda: ssm.describe_instance_information(), "UnknownOperationException")
        assert "Parameter Store" in e.response["Error"]["Message"], e.response

    @checks.run
    def secure_string_under_a_disabled_key():
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        ssm.put_parameter(Name="/keyed", Type="SecureString", Value="keyed-secure-value", KeyId=key)
        kms.disable_key(KeyId=key)
        expect_client_error(lambda: ssm.get_parameter(Name="/keyed", WithDecryption=True), "InvalidKeyId",
                            "DisabledException")
        assert ssm.get_parameter(Name="/keyed")["Parameter"]["Type"] == "SecureString"
        kms.enable_key(KeyId=key)
        assert ssm.get_parameter(Name="/keyed", WithDecryption=True)["Parameter"]["Value"] == "keyed-secure-value"

    @checks.run
    def no_secure_value_in_the_data_directory():
        server.kill()
        for value in (SECURE, "keyed-secure-value"):
            p = subprocess.run(["grep", "-r", "-a", "-l", value, server.data_dir], capture_output=True, text=True)
            assert p.returncode == 1 and not p.stdout, f"{value} found in {p.stdout}"

checks.finish()
