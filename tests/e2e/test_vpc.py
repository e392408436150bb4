#!/usr/bin/python3
"""Seed 000's network, built through the EC2 API in the order Terraform makes it.

A VPC 10.0.0.0/16 with two public and two private subnets in two zones, an internet gateway,
an elastic IP and a NAT gateway (waited to available) in a public subnet, route tables (public
to the gateway, private to the NAT gateway) and their associations, the load balancer's
security group (80 from anywhere) and the service's (its port only from the load balancer's
group). Deleting in the wrong order fails with AWS's DependencyViolation and friends; in
Terraform's destroy order everything goes. Filters, paging, tags and a restart in between.
"""
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
from botocore.config import Config

from wharf_harness import NEWEST_AWS, Checks, WharfServer, expect_client_error

checks = Checks()
SERVICE_PORT = 8080


def fast_wait(client, name, **kwargs):
    client.get_waiter(name).wait(WaiterConfig={"Delay": 1, "MaxAttempts": 30}, **kwargs)


def tag(name, **more):
    return [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in more.items()]


with WharfServer() as server:
    ec2 = server.boto3("ec2")

    def ec2_query(action, params):
        """A signed EC2 Query request's XML answer, for parameters botocore 1.29 does not know."""
        key, secret = server.credentials()
        body = urllib.parse.urlencode({"Action": action, "Version": "2016-11-15", **params})
        request = botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "ec2", "us-east-1").add_auth(request)
        prepared = request.prepare()
        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body.encode()
                                    if isinstance(prepared.body, str) else prepared.body,
                                    headers=dict(prepared.headers), method="POST")) as r:
            return r.read().decode()
    net = {}

    @checks.run
    def vpc_as_terraform_makes_it():
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy="default", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": tag("seed000")}])["Vpc"]
        vpc_id = vpc["VpcId"]
        assert vpc_id.startswith("vpc-") and vpc["CidrBlock"] == "10.0.0.0/16", vpc
        assert vpc["IsDefault"] is False and vpc["Tags"] == tag("seed000"), vpc
        net["vpc"] = vpc_id
        fast_wait(ec2, "vpc_available", VpcIds=[vpc_id])
        # terraform's aws_vpc: enable_dns_hostnames, then it reads every attribute back.
        attr = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
        assert attr["EnableDnsHostnames"] == {"Value": False}, attr
        server.aws("ec2", "modify-vpc-attribute", "--vpc-id", vpc_id, "--enable-dns-hostnames", '{"Value":true}')
        assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"] == {"Value": True}
        assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"] == {"Value": True}
        got = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableNetworkAddressUsageMetrics")
        assert got["EnableNetworkAddressUsageMetrics"] == {"Value": False}, got
        # Made with it: the main route table (local route only), `default` group, default ACL.
        main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                  {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
        assert len(main) == 1, main
        assert [(r["DestinationCidrBlock"], r["GatewayId"]) for r in main[0]["Routes"]] == [("10.0.0.0/16", "local")], main
        net["main_rtb"] = main[0]["RouteTableId"]
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                       {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
        assert len(groups) == 1, groups
        acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                  {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
        assert len(acls) == 1 and acls[0]["IsDefault"] is True, acls
        assert {(e["RuleNumber"], e["RuleAction"]) for e in acls[0]["Entries"]} == {(100, "allow"), (32767, "deny")}
        expect_client_error(lambda: ec2.create_vpc(CidrBlock="10.0.0.0/8"), "InvalidVpc.Range", "10.0.0.0/8")
        expect_client_error(lambda: ec2.create_vpc(CidrBlock="10.0.0/16"), "InvalidParameterValue")

    @checks.run
    def four_subnets_in_two_zones():
        layout = [("public-a", "10.0.1.0/24", "us-east-1a", "public"),
                  ("public-b", "10.0.2.0/24", "us-east-1b", "public"),
                  ("private-a", "10.0.3.0/24", "us-east-1a", "private"),
                  ("private-b", "10.0.4.0/24", "us-east-1b", "private")]
        for name, cidr, zone, tier in layout:
            s = ec2.create_subnet(VpcId=net["vpc"], CidrBlock=cidr, AvailabilityZone=zone, TagSpecifications=[
                {"ResourceType": "subnet", "Tags": tag(name, Tier=tier)}])["Subnet"]
            assert s["AvailableIpAddressCount"] == 251 and s["AvailabilityZone"] == zone, s
            assert s["MapPublicIpOnLaunch"] is False and s["DefaultForAz"] is False, s
            net[name] = s["SubnetId"]
        fast_wait(ec2, "subnet_available", SubnetIds=[net[n] for n, *_ in layout])
        for name in ("public-a", "public-b"):
            ec2.modify_subnet_attribute(SubnetId=net[name], MapPublicIpOnLaunch={"Value": True})
        public = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                               {"Name": "map-public-ip-on-launch", "Values": ["true"]}])["Subnets"]
        assert sorted(s["SubnetId"] for s in public) == sorted([net["public-a"], net["public-b"]]), public
        # Inside the VPC, not overlapping a sibling; zones by id work too.
        expect_client_error(lambda: ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.1.128/25"),
                            "InvalidSubnet.Conflict", "10.0.1.128/25")
        expect_client_error(lambda: ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.1.0.0/24"),
                            "InvalidSubnet.Range", "10.1.0.0/24")
        expect_client_error(lambda: ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.9.0/29"), "InvalidSubnet.Range")
        expect_client_error(lambda: ec2.create_subnet(VpcId="vpc-0123456789abcdef0", CidrBlock="10.0.9.0/24"),
                            "InvalidVpcID.NotFound")
        by_zone_id = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.5.0/28", AvailabilityZoneId="use1-az2")["Subnet"]
        assert by_zone_id["AvailabilityZone"] == "us-east-1b" and by_zone_id["AvailableIpAddressCount"] == 11, by_zone_id
        ec2.delete_subnet(SubnetId=by_zone_id["SubnetId"])

    @checks.run
    def a_nat_gateway_before_the_internet_gateway_fails():
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=net["public-a"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
        try:
            fast_wait(ec2, "nat_gateway_available", NatGatewayIds=[nat])
        except botocore.exceptions.WaiterError as e:
            assert "failed" in str(e), e
        else:
            raise AssertionError("a NAT gateway without an internet gateway became available")
        got = ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]
        assert (got["State"], got["FailureCode"]) == ("failed", "Gateway.NotAttached"), got
        assert got["FailureMessage"] == f"Network {net['vpc']} has no Internet gateway attached", got
        # It held nothing: the elastic IP is free and the subnet has all its addresses.
        assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0]
        assert ec2.describe_subnets(SubnetIds=[net["public-a"]])["Subnets"][0]["AvailableIpAddressCount"] == 251
        ec2.delete_nat_gateway(NatGatewayId=nat)
        ec2.release_address(AllocationId=eip)

    @checks.run
    def internet_gateway_with_the_cli():
        igw = server.aws("ec2", "create-internet-gateway", "--tag-specifications",
                         "ResourceType=internet-gateway,Tags=[{Key=Name,Value=seed000}]")["InternetGateway"]
        assert igw["InternetGatewayId"].startswith("igw-") and igw["Attachments"] == [], igw
        net["igw"] = igw["InternetGatewayId"]
        server.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", net["igw"], "--vpc-id", net["vpc"])
        got = server.aws("ec2", "describe-internet-gateways", "--filters",
                         f"Name=attachment.vpc-id,Values={net['vpc']}", cli=NEWEST_AWS)["InternetGateways"]
        assert [(g["InternetGatewayId"], g["Attachments"]) for g in got] == [
            (net["igw"], [{"State": "available", "VpcId": net["vpc"]}])], got
        p = server.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", net["igw"], "--vpc-id", net["vpc"],
                       check=False)
        assert p.returncode != 0 and "Resource.AlreadyAssociated" in p.stderr, p.stderr

    @checks.run
    def elastic_ip_and_nat_gateway():
        eip = ec2.allocate_address(Domain="vpc", TagSpecifications=[
            {"ResourceType": "elastic-ip", "Tags": tag("nat")}])
        assert eip["AllocationId"].startswith("eipalloc-") and eip["PublicIp"].startswith("198.51.100."), eip
        net["eip"], net["eip_ip"] = eip["AllocationId"], eip["PublicIp"]
        nat = ec2.create_nat_gateway(SubnetId=net["public-a"], AllocationId=net["eip"], TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": tag("seed000")}])["NatGateway"]
        assert nat["State"] == "pending" and nat["VpcId"] == net["vpc"], nat
        net["nat"] = nat["NatGatewayId"]
        fast_wait(ec2, "nat_gateway_available", NatGatewayIds=[net["nat"]])
        nat = ec2.describe_nat_gateways(NatGatewayIds=[net["nat"]])["NatGateways"][0]
        assert nat["State"] == "available" and nat["SubnetId"] == net["public-a"], nat
        address = nat["NatGatewayAddresses"][0]
        assert address["PublicIp"] == net["eip_ip"] and address["AllocationId"] == net["eip"], nat
        assert address["PrivateIp"] == "10.0.1.4", nat  # the first address after the reserved four
        # Its interface, as AWS shows a NAT gateway's; the subnet has one address fewer.
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "interface-type", "Values": ["nat_gateway"]}])
        eni = enis["NetworkInterfaces"]
        assert [e["NetworkInterfaceId"] for e in eni] == [address["NetworkInterfaceId"]], eni
        assert eni[0]["PrivateIpAddress"] == "10.0.1.4" and eni[0]["SubnetId"] == net["public-a"], eni
        assert eni[0]["Association"]["PublicIp"] == net["eip_ip"], eni
        subnet = ec2.describe_subnets(SubnetIds=[net["public-a"]])["Subnets"][0]
        assert subnet["AvailableIpAddressCount"] == 250, subnet
        got = ec2.describe_addresses(AllocationIds=[net["eip"]])["Addresses"][0]
        assert got["NetworkInterfaceId"] == address["NetworkInterfaceId"] and got["PrivateIpAddress"] == "10.0.1.4", got
        assert got["AssociationId"].startswith("eipassoc-"), got
        net["eip_assoc"] = got["AssociationId"]
        assert ec2.describe_nat_gateways(Filter=[{"Name": "state", "Values": ["pending"]}])["NatGateways"] == []
        # An elastic IP in use: as on AWS the second gateway is made, then fails, and says why.
        second = ec2.create_nat_gateway(SubnetId=net["public-b"], AllocationId=net["eip"])["NatGateway"]
        try:
            fast_wait(ec2, "nat_gateway_available", NatGatewayIds=[second["NatGatewayId"]])
        except botocore.exceptions.WaiterError:
            pass
        else:
            raise AssertionError("a NAT gateway with a taken elastic IP became available")
        failed = ec2.describe_nat_gateways(NatGatewayIds=[second["NatGatewayId"]])["NatGateways"][0]
        assert failed["State"] == "failed" and failed["FailureCode"] == "Resource.AlreadyAssociated", failed
        assert net["eip"] in failed["FailureMessage"], failed
        ec2.delete_nat_gateway(NatGatewayId=second["NatGatewayId"])
        expect_client_error(lambda: ec2.describe_nat_gateways(NatGatewayIds=["nat-0123456789abcdef0"]),
                            "NatGatewayNotFound")

    @checks.run
    def route_tables_and_associations():
        public = ec2.create_route_table(VpcId=net["vpc"], TagSpecifications=[
            {"ResourceType": "route-table", "Tags": tag("public")}])["RouteTable"]
        private = ec2.create_route_table(VpcId=net["vpc"], TagSpecifications=[
            {"ResourceType": "route-table", "Tags": tag("private")}])["RouteTable"]
        net["public_rtb"], net["private_rtb"] = public["RouteTableId"], private["RouteTableId"]
        server.aws("ec2", "create-route", "--route-table-id", net["public_rtb"], "--destination-cidr-block",
                   "0.0.0.0/0", "--gateway-id", net["igw"], cli=NEWEST_AWS)
        assert ec2.create_route(RouteTableId=net["private_rtb"], DestinationCidrBlock="0.0.0.0/0",
                                NatGatewayId=net["nat"])["Return"] is True
        expect_client_error(lambda: ec2.create_route(RouteTableId=net["private_rtb"], DestinationCidrBlock="0.0.0.0/0",
                                                     NatGatewayId=net["nat"]), "RouteAlreadyExists")
        net["assoc"] = {}
        for name, rtb in (("public-a", "public_rtb"), ("public-b", "public_rtb"),
                          ("private-a", "private_rtb"), ("private-b", "private_rtb")):
            out = ec2.associate_route_table(RouteTableId=net[rtb], SubnetId=net[name])
            assert out["AssociationState"]["State"] == "associated", out
            net["assoc"][name] = out["AssociationId"]
        expect_client_error(lambda: ec2.associate_route_table(RouteTableId=net["private_rtb"], SubnetId=net["public-a"]),
                            "Resource.AlreadyAssociated")
        got = server.aws("ec2", "describe-route-tables", "--filters",
                         f"Name=route.nat-gateway-id,Values={net['nat']}")["RouteTables"]
        assert [t["RouteTableId"] for t in got] == [net["private_rtb"]], got
        routes = {r["DestinationCidrBlock"]: r for r in got[0]["Routes"]}
        assert routes["0.0.0.0/0"]["NatGatewayId"] == net["nat"] and routes["0.0.0.0/0"]["State"] == "active", routes
        assert routes["10.0.0.0/16"]["GatewayId"] == "local", routes
        got = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [net["public-b"]]}])
        table = got["RouteTables"][0]
        assert table["RouteTableId"] == net["public_rtb"], got
        assert sorted(a["SubnetId"] for a in table["Associations"]) == sorted([net["public-a"], net["public-b"]])
        # A route's target can be replaced (terraform's aws_route update), the local one cannot go.
        ec2.replace_route(RouteTableId=net["public_rtb"], DestinationCidrBlock="0.0.0.0/0", GatewayId=net["igw"])
        expect_client_error(lambda: ec2.delete_route(RouteTableId=net["public_rtb"], DestinationCidrBlock="10.0.0.0/16"),
                            "InvalidParameterValue", "local route")
        expect_client_error(lambda: ec2.create_route(RouteTableId=net["public_rtb"], DestinationCidrBlock="0.0.0.0/0",
                                                     GatewayId="igw-0123456789abcdef0"), "InvalidGatewayID.NotFound")
        # Moving a subnet between tables and back, as terraform does when an association changes.
        moved = ec2.replace_route_table_association(AssociationId=net["assoc"]["private-b"],
                                                    RouteTableId=net["public_rtb"])["NewAssociationId"]
        back = ec2.replace_route_table_association(AssociationId=moved, RouteTableId=net["private_rtb"])
        net["assoc"]["private-b"] = back["NewAssociationId"]
        expect_client_error(lambda: ec2.disassociate_route_table(AssociationId=moved), "InvalidAssociationID.NotFound")

    @checks.run
    def gateway_endpoint_for_s3():
        s3 = "com.amazonaws.us-east-1.s3"
        [prefix_list] = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [s3]}])["PrefixLists"]
        endpoint = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName=s3, VpcEndpointType="Gateway",
                                           RouteTableIds=[net["private_rtb"]])["VpcEndpoint"]
        assert endpoint["State"] == "available" and endpoint["RouteTableIds"] == [net["private_rtb"]], endpoint
        net["vpce"] = endpoint["VpcEndpointId"]
        table = ec2.describe_route_tables(RouteTableIds=[net["private_rtb"]])["RouteTables"][0]
        routes = [r for r in table["Routes"] if r.get("GatewayId") == net["vpce"]]
        assert [r["DestinationPrefixListId"] for r in routes] == [prefix_list["PrefixListId"]], table
        got = ec2.describe_vpc_endpoints(Filters=[{"Name": "service-name", "Values": [s3]}])["VpcEndpoints"]
        assert [e["VpcEndpointId"] for e in got] == [net["vpce"]], got
        ec2.modify_vpc_endpoint(VpcEndpointId=net["vpce"], AddRouteTableIds=[net["public_rtb"]])
        got = ec2.describe_vpc_endpoints(VpcEndpointIds=[net["vpce"]])["VpcEndpoints"][0]
        assert sorted(got["RouteTableIds"]) == sorted([net["private_rtb"], net["public_rtb"]]), got
        expect_client_error(lambda: ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.example.nothing"),
                            "InvalidServiceName")
        expect_client_error(lambda: ec2.create_vpc_endpoint(VpcId=net["vpc"], VpcEndpointType="Gateway",
                                                            ServiceName="com.amazonaws.us-east-1.secretsmanager"),
                            "InvalidParameter", "Endpoint type (Gateway) does not match available service types ([Interface])")

    @checks.run
    def interface_endpoint_takes_addresses():
        default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                                           {"Name": "group-name", "Values": ["default"]}])
        net["endpoint_sg"] = ec2.create_security_group(GroupName="endpoint_sg", Description="e2e",
                                                       VpcId=net["vpc"])["GroupId"]
        sg = default_sg["SecurityGroups"][0]["GroupId"]
        api = "com.amazonaws.us-east-1.ecr.api"
        create = lambda **kw: ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName=api, VpcEndpointType="Interface",
                                                      **kw)["VpcEndpoint"]
        # Private DNS (on unless told otherwise) needs the VPC's DNS hostnames, as on AWS.
        hostnames = ec2.describe_vpc_attribute(VpcId=net["vpc"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]
        ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames={"Value": False})
        expect_client_error(lambda: create(SubnetIds=[net["private-a"]]), "InvalidParameter",
                            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
                            f"attributes set to true for {net['vpc']}")
        without_dns = create(SubnetIds=[net["private-a"]], PrivateDnsEnabled=False)
        expect_client_error(lambda: ec2.modify_vpc_endpoint(VpcEndpointId=without_dns["VpcEndpointId"],
                                                            PrivateDnsEnabled=True), "InvalidParameter", "enableDnsHostnames")
        ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames={"Value": True})
        # A group of another VPC is refused; one given twice is listed once.
        other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        try:
            other_sg = ec2.create_security_group(GroupName="elsewhere", Description="e2e", VpcId=other_vpc)["GroupId"]
            expect_client_error(lambda: create(SubnetIds=[net["private-a"]], SecurityGroupIds=[other_sg]),
                                "InvalidParameter", "belong to different networks")
            expect_client_error(lambda: ec2.modify_vpc_endpoint(VpcEndpointId=without_dns["VpcEndpointId"],
                                                                AddSecurityGroupIds=[other_sg]),
                                "InvalidParameter", "belong to different networks")
            ec2.delete_security_group(GroupId=other_sg)
        finally:
            ec2.delete_vpc(VpcId=other_vpc)
        endpoint = create(SubnetIds=[net["private-a"], net["private-b"]], SecurityGroupIds=[sg, sg])
        vpce = endpoint["VpcEndpointId"]
        assert len(endpoint["NetworkInterfaceIds"]) == 2 and [g["GroupId"] for g in endpoint["Groups"]] == [sg], endpoint
        # IPv4 with A records, as AWS makes one in subnets without IPv6 CIDR blocks.
        assert endpoint["IpAddressType"] == "ipv4" and endpoint["DnsOptions"]["DnsRecordIpType"] == "ipv4", endpoint
        expect_client_error(lambda: create(SubnetIds=[net["private-a"]], PrivateDnsEnabled=False,
                                           IpAddressType="dualstack"), "InvalidParameter", "IPv6")
        expect_client_error(lambda: ec2.modify_vpc_endpoint(VpcEndpointId=vpce, DnsOptions={"DnsRecordIpType": "ipv6"}),
                            "InvalidParameter", "DnsRecordIpType ipv6")
        # DnsEntries: its own regional name, a zonal one per zone of its subnets, then the
        # service's private DNS name.
        zones = sorted({s["AvailabilityZone"] for s in ec2.describe_subnets(
            SubnetIds=[net["private-a"], net["private-b"]])["Subnets"]})
        names = [d["DnsName"] for d in endpoint["DnsEntries"]]
        suffix = names[0].split(".", 1)[0][len(vpce) + 1:]
        assert names[0] == f"{vpce}-{suffix}.api.ecr.us-east-1.vpce.amazonaws.com" and len(suffix) == 8, names
        assert names[1:-1] == [f"{vpce}-{suffix}-{z}.api.ecr.us-east-1.vpce.amazonaws.com" for z in zones], names
        assert names[-1] == "api.ecr.us-east-1.amazonaws.com", names
        # The region's vpce zone is AWS's own (us-east-1's); the private name's is the VPC's.
        assert endpoint["DnsEntries"][0]["HostedZoneId"] == "Z7HUB22UULQXV", endpoint
        assert endpoint["DnsEntries"][-1]["HostedZoneId"] != "Z7HUB22UULQXV", endpoint
        # The service as DescribeVpcEndpointServices shows it (Terraform's aws_vpc_endpoint_service):
        # the same private name, and the base of the endpoint's own names.
        [service] = ec2.describe_vpc_endpoint_services(ServiceNames=[api])["ServiceDetails"]
        assert service["PrivateDnsName"] == names[-1] and service["ServiceType"] == [{"ServiceType": "Interface"}], service
        assert service["BaseEndpointDnsNames"] == [names[0].split(".", 1)[1]], service
        gateways = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-type", "Values": ["Gateway"]}])
        assert gateways["ServiceNames"] == ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"], gateways
        dkr = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-name", "Values": ["*.ecr.dkr"]}])
        assert [d["PrivateDnsName"] for d in dkr["ServiceDetails"]] == ["*.dkr.ecr.us-east-1.amazonaws.com"], dkr
        expect_client_error(lambda: ec2.describe_vpc_endpoint_services(ServiceNames=["com.amazonaws.us-east-1.nothing"]),
                            "InvalidServiceName", "does not exist")
        # ServiceRegions (newer than Debian's botocore: a signed query of our own): the request's
        # region's services, none of another's.
        here = ec2_query("DescribeVpcEndpointServices", {"ServiceRegion.1": "us-east-1"})
        assert f"<item>{api}</item>" in here, here
        there = ec2_query("DescribeVpcEndpointServices", {"ServiceRegion.1": "eu-west-1"})
        assert "<DescribeVpcEndpointServicesResponse" in there and "com.amazonaws." not in there, there
        # CreateVpcEndpoint takes only a service DescribeVpcEndpointServices lists.
        expect_client_error(lambda: ec2.create_vpc_endpoint(
            VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.nothing", VpcEndpointType="Interface",
            SubnetIds=[net["private-a"]]), "InvalidServiceName",
            "The Vpc Endpoint Service 'com.amazonaws.us-east-1.nothing' does not exist")
        expect_client_error(lambda: ec2.create_vpc_endpoint(
            VpcId=net["vpc"], ServiceName="com.amazonaws.eu-west-1.ssm", VpcEndpointType="Interface",
            SubnetIds=[net["private-a"]]), "InvalidServiceName", "does not exist")
        # One private DNS name per VPC: a second endpoint of the service with private DNS is refused.
        expect_client_error(lambda: ec2.modify_vpc_endpoint(VpcEndpointId=without_dns["VpcEndpointId"],
                                                            PrivateDnsEnabled=True), "InvalidParameter",
                            "private-dns-enabled cannot be set because there is already a conflicting DNS domain for "
                            f"api.ecr.us-east-1.amazonaws.com in the VPC {net['vpc']}")
        ec2.delete_vpc_endpoints(VpcEndpointIds=[without_dns["VpcEndpointId"]])
        expect_client_error(lambda: create(SubnetIds=[net["private-a"]]), "InvalidParameter", "conflicting DNS domain")
        # Its group is in use by its interfaces.
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddSecurityGroupIds=[net["endpoint_sg"]])
        expect_client_error(lambda: ec2.delete_security_group(GroupId=net["endpoint_sg"]), "DependencyViolation",
                            "has a dependent object")
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, RemoveSecurityGroupIds=[net["endpoint_sg"]])
        ec2.delete_security_group(GroupId=net["endpoint_sg"])
        ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames=hostnames)
        count = lambda name: ec2.describe_subnets(SubnetIds=[net[name]])["Subnets"][0]["AvailableIpAddressCount"]
        assert (count("private-a"), count("private-b")) == (250, 250)
        expect_client_error(lambda: ec2.delete_subnet(SubnetId=net["private-a"]), "DependencyViolation")
        ec2.modify_vpc_endpoint(VpcEndpointId=vpce, RemoveSubnetIds=[net["private-b"]])
        got = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
        assert got["SubnetIds"] == [net["private-a"]] and len(got["NetworkInterfaceIds"]) == 1, got
        zone_a = ec2.describe_subnets(SubnetIds=[net["private-a"]])["Subnets"][0]["AvailabilityZone"]
        assert [d["DnsName"] for d in got["DnsEntries"]][1:-1] == [
            f"{vpce}-{suffix}-{zone_a}.api.ecr.us-east-1.vpce.amazonaws.com"], got
        assert count("private-b") == 251
        assert ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce, "vpce-0123456789abcdef0"])["Unsuccessful"] == [
            {"ResourceId": "vpce-0123456789abcdef0",
             "Error": {"Code": "InvalidVpcEndpointId.NotFound",
                       "Message": "The Vpc Endpoint ID 'vpce-0123456789abcdef0' does not exist"}}]
        assert count("private-a") == 251

    @checks.run
    def security_groups_by_rule_id():
        lb = ec2.create_security_group(GroupName="lb_sg", Description="load balancer", VpcId=net["vpc"])["GroupId"]
        svc = ec2.create_security_group(GroupName="service_sg", Description="service tasks", VpcId=net["vpc"])["GroupId"]
        net["lb_sg"], net["svc_sg"] = lb, svc
        out = ec2.authorize_security_group_ingress(GroupId=lb, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        lb_rule = out["SecurityGroupRules"][0]
        out = ec2.authorize_security_group_ingress(GroupId=svc, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": SERVICE_PORT, "ToPort": SERVICE_PORT,
             "UserIdGroupPairs": [{"GroupId": lb, "Description": "from the load balancer"}]}])
        svc_rule = out["SecurityGroupRules"][0]
        assert svc_rule["ReferencedGroupInfo"]["GroupId"] == lb and svc_rule["IsEgress"] is False, svc_rule
        net["svc_rule"] = svc_rule["SecurityGroupRuleId"]
        # The rules carry the ids Authorize answered with.
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [svc]}])["SecurityGroupRules"]
        by_id = {r["SecurityGroupRuleId"]: r for r in rules}
        assert svc_rule["SecurityGroupRuleId"] in by_id and len(rules) == 2, rules  # with the default egress rule
        egress = [r for r in rules if r["IsEgress"]]
        assert egress[0]["CidrIpv4"] == "0.0.0.0/0" and egress[0]["IpProtocol"] == "-1", egress
        got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[lb_rule["SecurityGroupRuleId"]])["SecurityGroupRules"]
        assert [(r["GroupId"], r["FromPort"], r["CidrIpv4"]) for r in got] == [(lb, 80, "0.0.0.0/0")], got
        # IpPermissions show the same rules as DescribeSecurityGroups always did.
        g = ec2.describe_security_groups(GroupIds=[svc])["SecurityGroups"][0]
        [p] = g["IpPermissions"]
        assert (p["IpProtocol"], p["FromPort"], p["ToPort"]) == ("tcp", SERVICE_PORT, SERVICE_PORT), g
        assert p["UserIdGroupPairs"] == [{"GroupId": lb, "UserId": "000000000000",
                                          "Description": "from the load balancer"}], g
        assert not p.get("IpRanges"), g
        # terraform's aws_vpc_security_group_ingress_rule changes a rule in place, keeping its id.
        ec2.modify_security_group_rules(GroupId=svc, SecurityGroupRules=[{
            "SecurityGroupRuleId": net["svc_rule"],
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": SERVICE_PORT, "ToPort": SERVICE_PORT,
                                  "ReferencedGroupId": lb, "Description": "ALB only"}}])
        got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[net["svc_rule"]])["SecurityGroupRules"][0]
        assert got["Description"] == "ALB only" and got["ReferencedGroupInfo"]["GroupId"] == lb, got
        # A rule has tags of its own: at Authorize, and by CreateTags on its id.
        tagged = ec2.authorize_security_group_ingress(GroupId=lb, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": tag("https")}])
        assert tagged["SecurityGroupRules"][0]["Tags"] == tag("https"), tagged
        ec2.create_tags(Resources=[net["svc_rule"], svc], Tags=[{"Key": "tier", "Value": "app"}])
        got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[net["svc_rule"]])["SecurityGroupRules"][0]
        assert got["Tags"] == [{"Key": "tier", "Value": "app"}] and got["Description"] == "ALB only", got
        got = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["tier"]}])["Tags"]
        assert sorted((t["ResourceType"], t["ResourceId"]) for t in got) == [
            ("security-group", svc), ("security-group-rule", net["svc_rule"])], got
        ec2.delete_tags(Resources=[net["svc_rule"]], Tags=[{"Key": "tier"}])
        assert ec2.describe_security_group_rules(SecurityGroupRuleIds=[net["svc_rule"]])["SecurityGroupRules"][0]["Tags"] == []
        # An egress rule revoked by id (terraform drops the default allow-all this way).
        ec2.revoke_security_group_egress(GroupId=svc, SecurityGroupRuleIds=[egress[0]["SecurityGroupRuleId"]])
        assert ec2.describe_security_groups(GroupIds=[svc])["SecurityGroups"][0]["IpPermissionsEgress"] == []
        expect_client_error(lambda: ec2.revoke_security_group_ingress(
            GroupId=svc, SecurityGroupRuleIds=["sgr-0123456789abcdef0"]), "InvalidSecurityGroupRuleId.NotFound")
        ec2.authorize_security_group_egress(GroupId=svc, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    @checks.run
    def tags_everywhere_and_a_failed_request_changes_nothing():
        ec2.create_tags(Resources=[net["vpc"], net["nat"], net["igw"], net["public_rtb"], net["eip"]],
                        Tags=[{"Key": "env", "Value": "seed"}])
        got = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["env"]}])["Tags"]
        assert sorted(t["ResourceType"] for t in got) == sorted(
            ["vpc", "natgateway", "internet-gateway", "route-table", "elastic-ip"]), got
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:env", "Values": ["se*"]}])["Vpcs"]
        assert [v["VpcId"] for v in vpcs] == [net["vpc"]], vpcs
        # One missing resource: nothing is tagged.
        expect_client_error(lambda: ec2.create_tags(Resources=[net["private-a"], "subnet-0123456789abcdef0"],
                                                    Tags=[{"Key": "half", "Value": "done"}]), "InvalidSubnetID.NotFound")
        subnet = ec2.describe_subnets(SubnetIds=[net["private-a"]])["Subnets"][0]
        assert "half" not in {t["Key"] for t in subnet.get("Tags", [])}, subnet
        ec2.delete_tags(Resources=[net["eip"]], Tags=[{"Key": "env"}])
        got = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [net["eip"]]}])["Tags"]
        assert [t["Key"] for t in got] == ["Name"], got
        attrs = ec2.describe_account_attributes(AttributeNames=["supported-platforms"])["AccountAttributes"]
        assert attrs == [{"AttributeName": "supported-platforms", "AttributeValues": [{"AttributeValue": "VPC"}]}]
        lists = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}])
        assert [p["PrefixListName"] for p in lists["PrefixLists"]] == ["com.amazonaws.us-east-1.s3"], lists

    @checks.run
    def filters_and_paging():
        # 7 subnets: the default VPC's three and ours.
        first = ec2.describe_subnets(MaxResults=5)
        assert len(first["Subnets"]) == 5 and first["NextToken"], first
        second = ec2.describe_subnets(MaxResults=5, NextToken=first["NextToken"])
        assert len(second["Subnets"]) == 2 and "NextToken" not in second, second
        ids = [s["SubnetId"] for s in first["Subnets"] + second["Subnets"]]
        assert len(set(ids)) == 7, ids
        pages = ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5})
        assert sorted(s["SubnetId"] for p in pages for s in p["Subnets"]) == sorted(ids)
        # botocore checks MaxResults' range itself; unchecked, the server refuses it too.
        loose = server.boto3("ec2", config=Config(parameter_validation=False))
        expect_client_error(lambda: loose.describe_subnets(MaxResults=4), "InvalidParameterValue", "5")
        expect_client_error(lambda: ec2.describe_subnets(MaxResults=5, SubnetIds=[net["public-a"]]),
                            "InvalidParameterCombination")
        private = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                                {"Name": "tag:Tier", "Values": ["private"]}])["Subnets"]
        assert sorted(s["CidrBlock"] for s in private) == ["10.0.3.0/24", "10.0.4.0/24"], private
        wild = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["public-?"]}])["Subnets"]
        assert len(wild) == 2, wild
        cidr = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.0.*.0/24"]}])["Subnets"]
        assert len(cidr) == 4, cidr
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["10.0.0.0/16"]}])
        assert [v["VpcId"] for v in vpcs["Vpcs"]] == [net["vpc"]], vpcs
        tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}], MaxResults=5)
        assert len(tables["RouteTables"]) == 3 and "NextToken" not in tables, tables
        expect_client_error(lambda: loose.describe_route_tables(MaxResults=101), "InvalidParameterValue", "100")
        # The CLI pages through by itself.
        got = server.aws("ec2", "describe-subnets", "--page-size", "5", "--query", "Subnets[].SubnetId",
                         cli=NEWEST_AWS)
        assert sorted(got) == sorted(ids), got

    @checks.run
    def wrong_order_deletes_are_refused():
        vpc, nat = net["vpc"], net["nat"]
        expect_client_error(lambda: ec2.delete_vpc(VpcId=vpc), "DependencyViolation",
                            f"The vpc '{vpc}' has dependencies and cannot be deleted.")
        expect_client_error(lambda: ec2.delete_subnet(SubnetId=net["public-a"]), "DependencyViolation",
                            f"The subnet '{net['public-a']}' has dependencies and cannot be deleted.")
        expect_client_error(lambda: ec2.delete_internet_gateway(InternetGatewayId=net["igw"]), "DependencyViolation")
        expect_client_error(lambda: ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=vpc),
                            "DependencyViolation", "mapped public address")
        expect_client_error(lambda: ec2.release_address(AllocationId=net["eip"]), "InvalidIPAddress.InUse")
        expect_client_error(lambda: ec2.disassociate_address(AssociationId=net["eip_assoc"]), "InvalidIPAddress.InUse")
        expect_client_error(lambda: ec2.delete_route_table(RouteTableId=net["private_rtb"]), "DependencyViolation")
        assert net.get("vpce"), "the endpoint check did not run"
        expect_client_error(lambda: ec2.delete_route_table(RouteTableId=net["main_rtb"]), "DependencyViolation")
        expect_client_error(lambda: ec2.delete_security_group(GroupId=net["lb_sg"]), "DependencyViolation")
        expect_client_error(lambda: ec2.disassociate_route_table(
            AssociationId=ec2.describe_route_tables(RouteTableIds=[net["main_rtb"]])["RouteTables"][0]
            ["Associations"][0]["RouteTableAssociationId"]), "InvalidParameterValue", "main route table")
        # All of it still there.
        assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "available"
        assert len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]) == 4

    @checks.run
    def everything_survives_a_restart():
        before = {
            "subnets": ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["Subnets"],
            "tables": ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["RouteTables"],
            "rules": ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [net["svc_sg"]]}]),
            "nat": ec2.describe_nat_gateways(NatGatewayIds=[net["nat"]])["NatGateways"],
            "attr": ec2.describe_vpc_attribute(VpcId=net["vpc"], Attribute="enableDnsHostnames")["EnableDnsHostnames"],
        }
        server.stop()
        server.start()
        again = server.boto3("ec2")
        after = {
            "subnets": again.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["Subnets"],
            "tables": again.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["RouteTables"],
            "rules": again.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [net["svc_sg"]]}]),
            "nat": again.describe_nat_gateways(NatGatewayIds=[net["nat"]])["NatGateways"],
            "attr": again.describe_vpc_attribute(VpcId=net["vpc"], Attribute="enableDnsHostnames")["EnableDnsHostnames"],
        }
        for k in before:
            if isinstance(before[k], dict):
                before[k].pop("ResponseMetadata", None)
                after[k].pop("ResponseMetadata", None)
            assert before[k] == after[k], (k, before[k], after[k])
        assert len(after["tables"]) == 3 and after["nat"][0]["State"] == "available", after

    @checks.run
    def terraform_destroy_order_succeeds():
        ec2 = server.boto3("ec2")
        ec2.revoke_security_group_ingress(GroupId=net["svc_sg"], SecurityGroupRuleIds=[net["svc_rule"]])
        ec2.delete_security_group(GroupId=net["svc_sg"])
        ec2.delete_security_group(GroupId=net["lb_sg"])
        assert ec2.delete_vpc_endpoints(VpcEndpointIds=[net["vpce"]])["Unsuccessful"] == []
        table = ec2.describe_route_tables(RouteTableIds=[net["public_rtb"]])["RouteTables"][0]
        assert [r["GatewayId"] for r in table["Routes"]] == ["local", net["igw"]], table  # its route went with it
        expect_client_error(lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[net["vpce"]]),
                            "InvalidVpcEndpointId.NotFound")
        for name, assoc in net["assoc"].items():
            ec2.disassociate_route_table(AssociationId=assoc)
        ec2.delete_route(RouteTableId=net["private_rtb"], DestinationCidrBlock="0.0.0.0/0")
        ec2.delete_route_table(RouteTableId=net["private_rtb"])
        ec2.delete_route_table(RouteTableId=net["public_rtb"])
        assert ec2.delete_nat_gateway(NatGatewayId=net["nat"])["NatGatewayId"] == net["nat"]
        fast_wait(ec2, "nat_gateway_deleted", NatGatewayIds=[net["nat"]])
        got = ec2.describe_nat_gateways(NatGatewayIds=[net["nat"]])["NatGateways"][0]
        assert got["State"] == "deleted", got
        assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[net["eip"]])["Addresses"][0]
        # What terraform's aws_eip asks on destroy: the association went with the gateway.
        expect_client_error(lambda: ec2.disassociate_address(AssociationId=net["eip_assoc"]),
                            "InvalidAssociationID.NotFound")
        ec2.release_address(AllocationId=net["eip"])
        expect_client_error(lambda: ec2.describe_addresses(AllocationIds=[net["eip"]]), "InvalidAllocationID.NotFound")
        server.aws("ec2", "detach-internet-gateway", "--internet-gateway-id", net["igw"], "--vpc-id", net["vpc"])
        server.aws("ec2", "delete-internet-gateway", "--internet-gateway-id", net["igw"])
        for name in ("public-a", "public-b", "private-a", "private-b"):
            ec2.delete_subnet(SubnetId=net[name])
        ec2.delete_vpc(VpcId=net["vpc"])
        expect_client_error(lambda: ec2.describe_vpcs(VpcIds=[net["vpc"]]), "InvalidVpcID.NotFound")
        # What went with it: its main route table, default group and ACL.
        assert ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["RouteTables"] == []
        assert ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["SecurityGroups"] == []
        assert ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["NetworkAcls"] == []
        # The default VPC is untouched.
        assert [v["IsDefault"] for v in ec2.describe_vpcs()["Vpcs"]] == [True]


# Elastic IPs come from a pool that is a setting; its first and last addresses are never handed out.
with WharfServer("--public-ip-pool", "203.0.113.8/30") as server:
    ec2 = server.boto3("ec2")

    @checks.run
    def public_ip_pool_setting():
        ips = [ec2.allocate_address(Domain="vpc")["PublicIp"] for _ in range(2)]
        assert ips == ["203.0.113.9", "203.0.113.10"], ips
        expect_client_error(lambda: ec2.allocate_address(Domain="vpc"), "AddressLimitExceeded")
        first = ec2.describe_addresses(PublicIps=["203.0.113.9"])["Addresses"][0]["AllocationId"]
        ec2.release_address(AllocationId=first)
        assert ec2.allocate_address(Domain="vpc")["PublicIp"] == "203.0.113.9"

checks.finish()
