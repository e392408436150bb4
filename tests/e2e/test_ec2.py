#!/usr/bin/python3
"""The EC2 networking API with the real aws CLI and boto3.

A new server has a default VPC (AWS's 172.31.0.0/16 unless --vpc-cidr says otherwise, or the
host already uses part of it: then 10.213.0.0/16, src/server/default_vpc.h) with one default
subnet per availability zone and a `default` security group; describe-subnets gives the ids an
ECS awsvpcConfiguration takes. Security groups are created, given rules, described, deleted;
duplicates and unknown ids fail with AWS's codes. The ids survive a restart.
"""
import urllib.request

import botocore.exceptions

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()


def cli_error(p):
    assert p.returncode != 0, p.stdout
    return p.stderr


def host_uses_172_31():
    """Whether this host has an address, route or router in 172.31.0.0/16 (not wharf's own bridges)."""
    import ipaddress
    import subprocess
    aws = ipaddress.ip_network("172.31.0.0/16")
    lines = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout.splitlines()
    lines += subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout.splitlines()
    for line in lines:
        if " dev wh-" in line or " dev wharf0" in line or " wh-" in line.split("inet")[0] or " lo " in line:
            continue
        for word in line.replace("inet ", "").split():
            try:
                net = ipaddress.ip_network(word, strict=False)
            except ValueError:
                continue
            if net.prefixlen > 0 and net.overlaps(aws):
                return True
    return False


DEFAULT_CIDR = "10.213.0.0/16" if host_uses_172_31() else "172.31.0.0/16"

with WharfServer() as server:
    ec2 = server.boto3("ec2")
    seen = {}

    @checks.run
    def default_vpc_and_subnets_with_the_cli():
        vpcs = server.aws("ec2", "describe-vpcs", cli=NEWEST_AWS)["Vpcs"]
        assert len(vpcs) == 1, vpcs
        vpc = vpcs[0]
        assert vpc["VpcId"].startswith("vpc-") and len(vpc["VpcId"]) == 21, vpc
        assert vpc["CidrBlock"] == DEFAULT_CIDR and vpc["IsDefault"] is True, (vpc, DEFAULT_CIDR)
        assert vpc["State"] == "available" and vpc["OwnerId"] == "000000000000", vpc
        assert vpc["CidrBlockAssociationSet"][0]["CidrBlockState"]["State"] == "associated", vpc
        subnets = server.aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc['VpcId']}",
                             cli=NEWEST_AWS)["Subnets"]
        by_zone = {s["AvailabilityZone"]: s for s in subnets}
        assert sorted(by_zone) == ["us-east-1a", "us-east-1b", "us-east-1c"], subnets
        base = DEFAULT_CIDR.rsplit(".", 2)[0]  # "172.31"
        assert [by_zone[z]["CidrBlock"] for z in sorted(by_zone)] == [
            f"{base}.0.0/20", f"{base}.16.0/20", f"{base}.32.0/20"], subnets
        for s in subnets:
            assert s["SubnetId"].startswith("subnet-") and len(s["SubnetId"]) == 24, s
            assert s["VpcId"] == vpc["VpcId"] and s["State"] == "available", s
            assert s["DefaultForAz"] is True and s["MapPublicIpOnLaunch"] is True, s
            assert s["AvailableIpAddressCount"] == 4091, s
            assert s["SubnetArn"] == f"arn:aws:ec2:us-east-1:000000000000:subnet/{s['SubnetId']}", s
        assert by_zone["us-east-1a"]["AvailabilityZoneId"] == "use1-az1"
        seen.update(vpc=vpc["VpcId"], subnets={z: s["SubnetId"] for z, s in by_zone.items()})
        # The Debian CLI (awscli v2) reads them alike.
        ids = server.aws("ec2", "describe-subnets", "--query", "Subnets[].SubnetId")
        assert sorted(ids) == sorted(seen["subnets"].values()), ids

    @checks.run
    def subnet_filters_and_ids():
        a = seen["subnets"]["us-east-1a"]
        got = ec2.describe_subnets(SubnetIds=[a])["Subnets"]
        assert [s["SubnetId"] for s in got] == [a], got
        got = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": ["us-east-1b", "us-east-1c"]}])
        assert sorted(s["AvailabilityZone"] for s in got["Subnets"]) == ["us-east-1b", "us-east-1c"], got
        got = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]},
                                            {"Name": "subnet-id", "Values": [a]}])["Subnets"]
        assert [s["SubnetId"] for s in got] == [a], got
        assert ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["false"]}])["Subnets"] == []
        got = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": ["us-east-1*"]}])["Subnets"]
        assert len(got) == 3, got
        assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": ["vpc-00000000000000000"]}])["Subnets"] == []
        assert ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["x"]}])["Subnets"] == []
        expect_client_error(lambda: ec2.describe_subnets(SubnetIds=["subnet-0123456789abcdef0"]),
                            "InvalidSubnetID.NotFound", "subnet-0123456789abcdef0")
        expect_client_error(lambda: ec2.describe_subnets(Filters=[{"Name": "bogus", "Values": ["1"]}]),
                            "InvalidParameterValue", "bogus")
        p = server.aws("ec2", "describe-subnets", "--subnet-ids", "subnet-0123456789abcdef0",
                       cli=NEWEST_AWS, check=False)
        assert "InvalidSubnetID.NotFound" in cli_error(p), p.stderr

    @checks.run
    def vpcs_and_zones():
        got = ec2.describe_vpcs(VpcIds=[seen["vpc"]])["Vpcs"]
        assert [v["VpcId"] for v in got] == [seen["vpc"]]
        got = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        assert [v["VpcId"] for v in got] == [seen["vpc"]]
        expect_client_error(lambda: ec2.describe_vpcs(VpcIds=["vpc-0123456789abcdef0"]), "InvalidVpcID.NotFound")
        zones = ec2.describe_availability_zones()["AvailabilityZones"]
        assert [(z["ZoneName"], z["ZoneId"], z["State"]) for z in zones] == [
            ("us-east-1a", "use1-az1", "available"), ("us-east-1b", "use1-az2", "available"),
            ("us-east-1c", "use1-az3", "available")], zones
        zones = server.aws("ec2", "describe-availability-zones", "--zone-names", "us-east-1b",
                           cli=NEWEST_AWS)["AvailabilityZones"]
        assert [z["ZoneName"] for z in zones] == ["us-east-1b"], zones

    @checks.run
    def default_security_group():
        groups = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
        assert len(groups) == 1, groups
        g = groups[0]
        assert g["GroupId"].startswith("sg-") and len(g["GroupId"]) == 20, g
        assert g["VpcId"] == seen["vpc"] and g["Description"] == "default VPC security group", g
        assert g["IpPermissions"][0]["IpProtocol"] == "-1", g
        assert g["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == g["GroupId"], g
        assert g["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}], g
        seen["default_sg"] = g["GroupId"]
        expect_client_error(lambda: ec2.delete_security_group(GroupId=g["GroupId"]), "CannotDelete")

    @checks.run
    def create_authorize_describe_with_the_cli():
        created = server.aws("ec2", "create-security-group", "--group-name", "alba-digi-sg",
                             "--description", "web tasks", "--vpc-id", seen["vpc"],
                             "--tag-specifications",
                             "ResourceType=security-group,Tags=[{Key=team,Value=blue}]", cli=NEWEST_AWS)
        sg = created["GroupId"]
        assert sg.startswith("sg-") and len(sg) == 20, created
        assert created["Tags"] == [{"Key": "team", "Value": "blue"}], created
        seen["sg"] = sg
        out = server.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
                         "--port", "5050", "--cidr", "0.0.0.0/0", cli=NEWEST_AWS)
        assert out["Return"] is True, out
        rule = out["SecurityGroupRules"][0]
        assert rule["SecurityGroupRuleId"].startswith("sgr-") and rule["CidrIpv4"] == "0.0.0.0/0", rule
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"], rule["IsEgress"]) == ("tcp", 5050, 5050, False)
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5050, "ToPort": 5050,
             "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "inside"}],
             "UserIdGroupPairs": [{"GroupId": seen["default_sg"]}]},
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        g = server.aws("ec2", "describe-security-groups", "--group-ids", sg, cli=NEWEST_AWS)["SecurityGroups"][0]
        assert g["GroupName"] == "alba-digi-sg" and g["Description"] == "web tasks", g
        assert g["Tags"] == [{"Key": "team", "Value": "blue"}], g
        tcp, udp = g["IpPermissions"]
        assert (tcp["IpProtocol"], tcp["FromPort"], tcp["ToPort"]) == ("tcp", 5050, 5050), g
        assert tcp["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8", "Description": "inside"}], g
        assert tcp["UserIdGroupPairs"] == [{"GroupId": seen["default_sg"], "UserId": "000000000000"}], g
        assert udp["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}] and udp["FromPort"] == 53, g
        assert g["IpPermissionsEgress"][0]["IpProtocol"] == "-1", g

    @checks.run
    def security_group_filters():
        by_name = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["alba-*"]}])
        assert [g["GroupId"] for g in by_name["SecurityGroups"]] == [seen["sg"]], by_name
        by_tag = ec2.describe_security_groups(Filters=[{"Name": "tag:team", "Values": ["blue"]}])
        assert [g["GroupId"] for g in by_tag["SecurityGroups"]] == [seen["sg"]], by_tag
        by_vpc = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [seen["vpc"]]},
                                                       {"Name": "group-id", "Values": [seen["default_sg"]]}])
        assert [g["GroupName"] for g in by_vpc["SecurityGroups"]] == ["default"], by_vpc
        assert len(ec2.describe_security_groups()["SecurityGroups"]) == 2

    @checks.run
    def duplicates_are_refused():
        e = expect_client_error(lambda: ec2.create_security_group(GroupName="alba-digi-sg", Description="again"),
                                "InvalidGroup.Duplicate", "alba-digi-sg")
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        expect_client_error(lambda: ec2.authorize_security_group_ingress(
            GroupId=seen["sg"], IpProtocol="tcp", FromPort=5050, ToPort=5050, CidrIp="0.0.0.0/0"),
            "InvalidPermission.Duplicate")
        p = server.aws("ec2", "authorize-security-group-ingress", "--group-id", seen["sg"], "--protocol", "tcp",
                       "--port", "5050", "--cidr", "0.0.0.0/0", cli=NEWEST_AWS, check=False)
        assert "InvalidPermission.Duplicate" in cli_error(p), p.stderr

    @checks.run
    def not_found_and_bad_requests():
        expect_client_error(lambda: ec2.describe_security_groups(GroupIds=["sg-0123456789abcdef0"]),
                            "InvalidGroup.NotFound", "sg-0123456789abcdef0")
        expect_client_error(lambda: ec2.describe_security_groups(GroupNames=["nope"]), "InvalidGroup.NotFound")
        expect_client_error(lambda: ec2.authorize_security_group_ingress(
            GroupId="sg-0123456789abcdef0", IpProtocol="tcp", FromPort=1, ToPort=1, CidrIp="0.0.0.0/0"),
            "InvalidGroup.NotFound")
        expect_client_error(lambda: ec2.create_security_group(GroupName="x", Description="y",
                                                              VpcId="vpc-0123456789abcdef0"),
                            "InvalidVpcID.NotFound")
        expect_client_error(lambda: ec2.authorize_security_group_ingress(
            GroupId=seen["sg"], IpProtocol="tcp", FromPort=1, ToPort=1, CidrIp="10.0.0/8"),
            "InvalidParameterValue", "malformed")
        # A required parameter given empty is missing, as EC2 says.
        p = server.aws("ec2", "create-security-group", "--group-name", "x", "--description", "",
                       cli=NEWEST_AWS, check=False)
        assert "MissingParameter" in cli_error(p), p.stderr
        e = expect_client_error(lambda: ec2.describe_vpcs(DryRun=True), "DryRunOperation")
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 412

    @checks.run
    def error_xml_is_ec2s():
        # botocore's EC2 parser reads <Response><Errors><Error>..</Error></Errors><RequestID>.
        try:
            ec2.describe_subnets(SubnetIds=["subnet-0123456789abcdef0"])
        except botocore.exceptions.ClientError as e:
            assert e.response["ResponseMetadata"]["RequestId"], e.response
            assert e.response["Error"]["Message"] == "The subnet ID 'subnet-0123456789abcdef0' does not exist"
        else:
            raise AssertionError("no error")
        meta = ec2.describe_vpcs()["ResponseMetadata"]
        assert meta["RequestId"] and meta["HTTPStatusCode"] == 200, meta

    @checks.run
    def revoke_and_delete():
        ec2.revoke_security_group_ingress(GroupId=seen["sg"], IpProtocol="tcp", FromPort=5050, ToPort=5050,
                                          CidrIp="0.0.0.0/0")
        out = ec2.revoke_security_group_ingress(GroupId=seen["sg"], IpPermissions=[
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            {"IpProtocol": "udp", "FromPort": 54, "ToPort": 54, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        assert out["UnknownIpPermissions"][0]["FromPort"] == 54, out
        expect_client_error(lambda: ec2.revoke_security_group_ingress(
            GroupId=seen["sg"], IpProtocol="udp", FromPort=53, ToPort=53, CidrIp="0.0.0.0/0"),
            "InvalidPermission.NotFound")
        g = ec2.describe_security_groups(GroupIds=[seen["sg"]])["SecurityGroups"][0]
        assert [r["CidrIp"] for r in g["IpPermissions"][0]["IpRanges"]] == ["10.0.0.0/8"], g
        # Egress: terraform revokes the default allow-all rule and adds its own.
        ec2.revoke_security_group_egress(GroupId=seen["sg"], IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.authorize_security_group_egress(GroupId=seen["sg"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        g = ec2.describe_security_groups(GroupIds=[seen["sg"]])["SecurityGroups"][0]
        assert [(p["IpProtocol"], p["FromPort"]) for p in g["IpPermissionsEgress"]] == [("tcp", 443)], g
        # A group another group's rules name cannot go.
        other = ec2.create_security_group(GroupName="db", Description="db")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": seen["sg"]}]}])
        expect_client_error(lambda: ec2.delete_security_group(GroupId=seen["sg"]), "DependencyViolation")
        ec2.delete_security_group(GroupName="db")
        # Newer models return Return and GroupId (Debian's boto3 does not know them yet).
        out = server.aws("ec2", "delete-security-group", "--group-id", seen["sg"], cli=NEWEST_AWS)
        assert out == {"Return": True, "GroupId": seen["sg"]}, out
        expect_client_error(lambda: ec2.delete_security_group(GroupId=seen["sg"]), "InvalidGroup.NotFound")
        # The name is free again.
        again = ec2.create_security_group(GroupName="alba-digi-sg", Description="web tasks")["GroupId"]
        assert again != seen["sg"]
        seen["sg_again"] = again

    @checks.run
    def ids_survive_a_restart():
        server.stop()
        server.start()
        again = server.boto3("ec2")
        subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in again.describe_subnets()["Subnets"]}
        assert subnets == seen["subnets"], subnets
        assert [v["VpcId"] for v in again.describe_vpcs()["Vpcs"]] == [seen["vpc"]]
        names = sorted(g["GroupName"] for g in again.describe_security_groups()["SecurityGroups"])
        assert names == ["alba-digi-sg", "default"], names


# The CIDR is a setting; the dev-mode reset brings the same default VPC back.
with WharfServer("--vpc-cidr", "10.99.0.0/16", "--dev") as server:
    ec2 = server.boto3("ec2")

    @checks.run
    def vpc_cidr_setting_and_reset():
        vpc = ec2.describe_vpcs()["Vpcs"][0]
        assert vpc["CidrBlock"] == "10.99.0.0/16", vpc
        cidrs = sorted(s["CidrBlock"] for s in ec2.describe_subnets()["Subnets"])
        assert cidrs == ["10.99.0.0/20", "10.99.16.0/20", "10.99.32.0/20"], cidrs
        ec2.create_security_group(GroupName="gone", Description="after reset")
        req = urllib.request.Request(server.endpoint + "/_wharf/reset", method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200
        after = ec2.describe_vpcs()["Vpcs"]
        assert [v["VpcId"] for v in after] == [vpc["VpcId"]], after
        names = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
        assert names == ["default"], names

checks.finish()
