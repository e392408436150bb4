#!/usr/bin/python3
"""Load balancers and tasks in the VPC, through the control plane (issue 13, parts 2, 5, 6).

A VPC 10.0.0.0/16 with public subnets (routed to an internet gateway) and private ones in two
zones. A load balancer's subnets must exist, be in one VPC and in two zones, its groups in
that VPC; it has a network interface in each subnet, shown by DescribeNetworkInterfaces as
ELB shows them (what Terraform's aws_lb polls for on destroy), which keeps the subnet, the
VPC and the group from being deleted until the load balancer goes; SetSubnets moves them,
SetIpAddressType takes ipv4 only. An internet-facing load balancer has a public address per
subnet (the interface's Association) and the host, playing the internet, reaches its listeners
there once its groups admit the port (before: the client times out; SetSecurityGroups to a group
that does not admit it drops it again, within a second); they go with it. One is refused
(InvalidSubnet) while the VPC has no internet gateway. An internal load balancer answers a task of
its VPC at its interfaces' addresses once its group admits the port (within a second of the
Authorize, dropped again within a second of the Revoke) and never the host (its interface
addresses, the bind address, the bridge address its VPC's connections are redirected to). A task
whose group the load balancer's group names is admitted within a second of RunTask (the time is
printed), and reaches the internet-facing load balancer at its interfaces' private addresses
too, as on AWS, and at its public addresses through its way out (its public address, which the
load balancer's groups see; a task without one times out there), through its own egress rules: with none admitting the load balancer it times out;
a rule naming the load balancer's group or its address admits it. RunTask refuses subnets of two VPCs, groups of another VPC
and assignPublicIp ENABLED in a private subnet. A real awsvpc task's interface is listed
while it lives (an elastic IP associated with it too) and gone once it stopped.
DescribeInstances shows the node, DescribeRegions the served regions (every AWS region by default).
The test stops its tasks and deletes what it made, even when a check fails.
"""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import (Checks, WharfServer, default_subnets, expect_client_error, free_port,  # noqa: E402
                            wait_for)
from task_fixtures import prepare, push_to_wharf, task_netns, wait_clean, wait_task  # noqa: E402

checks = Checks()
before, layout = prepare("v1")


def tag(name):
    return [{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": name}]}]


with WharfServer(agent=True) as server:
    ec2 = server.boto3("ec2")
    elb = server.boto3("elbv2")
    ecs = server.boto3("ecs")
    net, made = {}, {"tasks": [], "lbs": [], "eips": []}

    @checks.run
    def a_vpc_with_public_and_private_subnets():
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        net["vpc"] = vpc
        for name, cidr, zone in (("public-a", "10.0.1.0/24", "us-east-1a"), ("public-b", "10.0.2.0/24", "us-east-1b"),
                                 ("private-a", "10.0.3.0/24", "us-east-1a"), ("private-b", "10.0.4.0/24", "us-east-1b"),
                                 ("public-a2", "10.0.5.0/24", "us-east-1a")):
            net[name] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone,
                                          TagSpecifications=tag(name))["Subnet"]["SubnetId"]
        # An internet-facing load balancer needs its VPC's internet gateway (AWS's words).
        expect_client_error(lambda: elb.create_load_balancer(Name="no-igw", Subnets=[net["public-a"], net["public-b"]]),
                            "InvalidSubnet", f"VPC {vpc} has no internet gateway")
        net["igw"] = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=net["igw"], VpcId=vpc)
        net["rtb"] = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=net["rtb"], DestinationCidrBlock="0.0.0.0/0", GatewayId=net["igw"])
        net["assoc"] = [ec2.associate_route_table(RouteTableId=net["rtb"], SubnetId=net[s])["AssociationId"]
                        for s in ("public-a", "public-b")]
        net["lb_sg"] = ec2.create_security_group(GroupName="lb_sg", Description="lb", VpcId=vpc)["GroupId"]
        default_vpc = [v for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]][0]["VpcId"]
        net["default_vpc"] = default_vpc
        net["other_sg"] = ec2.create_security_group(GroupName="elsewhere", Description="in the default VPC",
                                                    VpcId=default_vpc)["GroupId"]
        net["default_a"] = default_subnets(ec2)[0]["SubnetId"]

    @checks.run
    def create_load_balancer_checks_its_subnets_and_groups():
        def create(**kwargs):
            return lambda: elb.create_load_balancer(Name="web", **kwargs)
        expect_client_error(create(Subnets=[net["public-a"], "subnet-0123456789abcdef0"]), "SubnetNotFound",
                            "subnet-0123456789abcdef0")
        expect_client_error(create(Subnets=[net["public-a"]]), "InvalidConfigurationRequest",
                            "At least two subnets in two different Availability Zones must be specified")
        expect_client_error(create(Subnets=[net["public-a"], net["public-a2"]]), "InvalidConfigurationRequest",
                            "multiple subnets in the same Availability Zone")
        expect_client_error(create(Subnets=[net["public-a"], net["default_a"]]), "InvalidConfigurationRequest")
        expect_client_error(create(Subnets=[net["public-a"], net["public-b"]], SecurityGroups=[net["other_sg"]]),
                            "InvalidConfigurationRequest", f"does not belong to VPC '{net['vpc']}'")
        expect_client_error(create(Subnets=[net["public-a"], net["public-b"]], SecurityGroups=["sg-0123456789abcdef0"]),
                            "InvalidSecurityGroup")
        expect_client_error(create(Subnets=[net["public-a"], net["public-b"]], IpAddressType="dualstack"),
                            "InvalidConfigurationRequest", "IPv6")
        assert ec2.describe_network_interfaces(Filters=[{"Name": "requester-id", "Values": ["amazon-elb"]}])[
            "NetworkInterfaces"] == []

    def lb_interfaces(lb):
        """As terraform's aws_lb waits for them to go: by description and owner."""
        name_id = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
        return ec2.describe_network_interfaces(Filters=[
            {"Name": "attachment.instance-owner-id", "Values": ["amazon-elb"]},
            {"Name": "description", "Values": [f"ELB {name_id}"]}])["NetworkInterfaces"]

    @checks.run
    def a_load_balancer_has_an_interface_in_each_subnet():
        lb = elb.create_load_balancer(Name="web", Subnets=[net["public-b"], net["public-a"]],
                                      SecurityGroups=[net["lb_sg"]], Scheme="internal")["LoadBalancers"][0]
        made["lbs"].append(lb["LoadBalancerArn"])
        net["lb"] = lb
        assert lb["VpcId"] == net["vpc"] and lb["Scheme"] == "internal", lb
        assert [(z["ZoneName"], z["SubnetId"]) for z in lb["AvailabilityZones"]] == [
            ("us-east-1a", net["public-a"]), ("us-east-1b", net["public-b"])], lb
        enis = lb_interfaces(lb)
        assert sorted((e["SubnetId"], e["PrivateIpAddress"]) for e in enis) == sorted(
            [(net["public-a"], "10.0.1.4"), (net["public-b"], "10.0.2.4")]), enis
        for e in enis:
            assert e["InterfaceType"] == "interface" and e["RequesterId"] == "amazon-elb", e
            assert e["RequesterManaged"] is True and e["Status"] == "in-use" and e["VpcId"] == net["vpc"], e
            assert e["Attachment"]["InstanceOwnerId"] == "amazon-elb", e
            assert [g["GroupId"] for g in e["Groups"]] == [net["lb_sg"]] and e["Groups"][0]["GroupName"] == "lb_sg", e
        assert ec2.describe_subnets(SubnetIds=[net["public-a"]])["Subnets"][0]["AvailableIpAddressCount"] == 250
        p = server.aws("ec2", "describe-network-interfaces", "--filters", "Name=requester-id,Values=amazon-elb",
                       "--query", "NetworkInterfaces[].Description")
        assert sorted(p) == ["ELB " + lb["LoadBalancerArn"].split(":loadbalancer/")[1]] * 2, p
        # No subnets: the default VPC's, as before; its default group.
        default = elb.create_load_balancer(Name="in-default-vpc")["LoadBalancers"][0]
        made["lbs"].append(default["LoadBalancerArn"])
        assert default["VpcId"] == net["default_vpc"] and len(default["AvailabilityZones"]) >= 2, default
        assert len(lb_interfaces(default)) == len(default["AvailabilityZones"])

    def public_get(ip, port, timeout=3):
        """A request from the host, which plays the internet: the body, or the error."""
        try:
            with urllib.request.urlopen(f"http://{ip}:{port}/", timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return None, str(e)

    def lb_nft_tables():
        return server.lb_tables()

    def until_answer(probe, timeout=5.0):
        """Seconds until probe() is true (a rule change reaching the load balancer's table)."""
        start = time.time()
        while not probe():
            assert time.time() - start < timeout, "no change within %.1f s" % timeout
            time.sleep(0.05)
        return time.time() - start

    @checks.run
    def an_internet_facing_load_balancer_is_reached_at_its_public_addresses():
        lb = elb.create_load_balancer(Name="public-web", Subnets=[net["public-a"], net["public-b"]],
                                      SecurityGroups=[net["lb_sg"]])["LoadBalancers"][0]
        made["lbs"].append(lb["LoadBalancerArn"])
        assert lb["Scheme"] == "internet-facing", lb
        enis = lb_interfaces(lb)
        publics = sorted(e["Association"]["PublicIp"] for e in enis if "Association" in e)
        assert len(publics) == 2 and len(set(publics)) == 2, enis
        for e in enis:
            assert e["Association"]["IpOwnerId"] == "amazon", e
            # EC2's public DNS name for the address: us-east-1 keeps its first domain, compute-1.
            dashed = e["Association"]["PublicIp"].replace(".", "-")
            assert e["Association"]["PublicDnsName"] == f"ec2-{dashed}.compute-1.amazonaws.com", e
            assert e["PrivateIpAddresses"][0]["Association"]["PublicIp"] == e["Association"]["PublicIp"], e
        # An internal load balancer's interfaces have none.
        assert all("Association" not in e for e in lb_interfaces(net["lb"])), lb_interfaces(net["lb"])
        by_ip = ec2.describe_network_interfaces(Filters=[{"Name": "association.public-ip", "Values": [publics[0]]}])
        assert [e["NetworkInterfaceId"] for e in by_ip["NetworkInterfaces"]] == [
            e["NetworkInterfaceId"] for e in enis if e["Association"]["PublicIp"] == publics[0]], by_ip
        # The pool knows them: an elastic IP never gets one.
        eip = ec2.allocate_address(Domain="vpc")
        ec2.release_address(AllocationId=eip["AllocationId"])
        assert eip["PublicIp"] not in publics, (eip, publics)
        port = free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=[{
            "Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain",
                                                              "MessageBody": "hello from the internet"}}])
        # lb_sg admits nothing yet: the SYN is dropped, the client times out.
        refused = public_get(publics[0], port, timeout=1)
        assert refused[0] is None and "timed out" in refused[1], refused
        ec2.authorize_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        assert until_answer(lambda: public_get(publics[0], port, timeout=0.3)[0] == 200) < 1.0
        for ip in publics:
            assert public_get(ip, port) == (200, "hello from the internet"), (ip, public_get(ip, port))
        # Its groups replaced by one that does not admit the port (the VPC's default group): dropped.
        default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]},
                                                           {"Name": "group-name", "Values": ["default"]}])
        default_sg = default_sg["SecurityGroups"][0]["GroupId"]
        elb.set_security_groups(LoadBalancerArn=lb["LoadBalancerArn"], SecurityGroups=[default_sg])
        assert until_answer(lambda: public_get(publics[0], port, timeout=0.3)[0] is None) < 1.0
        elb.set_security_groups(LoadBalancerArn=lb["LoadBalancerArn"], SecurityGroups=[net["lb_sg"]])
        assert until_answer(lambda: public_get(publics[0], port, timeout=0.3)[0] == 200) < 1.0
        # Only its listeners' ports: another port at the same address is nobody's.
        assert public_get(publics[0], free_port())[0] is None
        # From outside its VPC, its private addresses answer nothing (only the public ones do).
        assert public_get(enis[0]["PrivateIpAddress"], port)[0] is None
        assert [t[:len("wharf_lb_us_east_1_")] for t in lb_nft_tables()] == ["wharf_lb_us_east_1_"], lb_nft_tables()
        # Its table applied, the listener listens at every address, and the table refuses
        # every host address but the bind address (127.0.0.2 is the host's, on lo).
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        assert f"0.0.0.0:{port}" in listening, listening
        other = public_get("127.0.0.2", port, timeout=1)
        assert other[0] is None and "refused" in other[1], other
        net["public_lb"] = (lb, publics, port)

    @checks.run
    def the_load_balancers_table_comes_back_at_once_when_someone_else_deletes_it():
        # As `nft flush ruleset` would; but only this server's own table.
        lb, publics, port = net["public_lb"]
        [table] = lb_nft_tables()
        subprocess.run(["nft", "delete", "table", "ip", table], check=True, capture_output=True)
        took = until_answer(lambda: table in lb_nft_tables())
        print(f"  the load balancers' table written again {took * 1000:.0f} ms after its deletion")
        assert took < 3.0, took  # within a second when quiet; room for a busy machine
        assert public_get(publics[0], port) == (200, "hello from the internet")
        other = public_get("127.0.0.2", port, timeout=1)
        assert other[0] is None and "refused" in other[1], other

    @checks.run
    def what_a_load_balancer_uses_cannot_be_deleted():
        expect_client_error(lambda: ec2.delete_subnet(SubnetId=net["public-a"]), "DependencyViolation",
                            f"The subnet '{net['public-a']}' has dependencies and cannot be deleted.")
        expect_client_error(lambda: ec2.delete_vpc(VpcId=net["vpc"]), "DependencyViolation")
        expect_client_error(lambda: ec2.delete_security_group(GroupId=net["lb_sg"]), "DependencyViolation")
        expect_client_error(lambda: elb.set_security_groups(LoadBalancerArn=net["lb"]["LoadBalancerArn"],
                                                            SecurityGroups=[net["other_sg"]]),
                            "InvalidConfigurationRequest")

    @checks.run
    def set_subnets_moves_the_interfaces_and_ipv4_is_the_only_type():
        arn = net["lb"]["LoadBalancerArn"]
        out = elb.set_subnets(LoadBalancerArn=arn, Subnets=[net["public-a"], net["private-b"]])
        assert sorted(z["SubnetId"] for z in out["AvailabilityZones"]) == sorted([net["public-a"], net["private-b"]])
        enis = lb_interfaces(net["lb"])
        assert sorted((e["SubnetId"], e["PrivateIpAddress"]) for e in enis) == sorted(
            [(net["public-a"], "10.0.1.4"), (net["private-b"], "10.0.4.4")]), enis
        ec2.delete_subnet(SubnetId=net["public-a2"])  # never used: goes
        expect_client_error(lambda: elb.set_subnets(LoadBalancerArn=arn, Subnets=[net["public-a"], net["default_a"]]),
                            "InvalidConfigurationRequest")
        expect_client_error(lambda: elb.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="dualstack"),
                            "InvalidConfigurationRequest")
        assert elb.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="ipv4")["IpAddressType"] == "ipv4"
        got = elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]
        assert sorted(z["SubnetId"] for z in got["AvailabilityZones"]) == sorted([net["public-a"], net["private-b"]])

    @checks.run
    def an_internal_load_balancer_answers_only_inside_its_vpc():
        # "web" is internal, now in public-a and private-b (10.0.1.4, 10.0.4.4). A task in
        # public-a (a public IP, so that it pulls) reaches it on its own subnet (the host answers
        # ARP for 10.0.1.4 there, by a local route in the VPC's table) and through its gateway.
        lb_arn, enis = net["lb"]["LoadBalancerArn"], ["10.0.1.4", "10.0.4.4"]
        port = net["internal_port"] = free_port()
        elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=port, DefaultActions=[{
            "Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain",
                                                              "MessageBody": "hello from inside"}}])
        image = net["image"] = push_to_wharf(server, layout, "v1", "app")
        td = ecs.register_task_definition(
            family="vpc-client", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 600"]}]
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_cluster(clusterName="default")
        arn = ecs.run_task(launchType="FARGATE", taskDefinition=td, networkConfiguration={"awsvpcConfiguration": {
            "subnets": [net["public-a"]], "assignPublicIp": "ENABLED"}})["tasks"][0]["taskArn"]
        made["tasks"].append(arn)
        assert wait_task(server, "default", arn, "RUNNING")["lastStatus"] == "RUNNING"
        netns = task_netns(arn.rsplit("/", 1)[1])

        def inside(ip, max_time=1.0):
            """curl from the task's network namespace: (exit code, body); 28 is a timeout."""
            p = subprocess.run(["ip", "netns", "exec", netns, "curl", "-s", "--max-time", str(max_time),
                                f"http://{ip}:{port}/"], capture_output=True, text=True, timeout=10)
            return p.returncode, p.stdout

        # lb_sg does not admit the port: dropped, the client times out.
        assert inside(enis[0]) == (28, ""), inside(enis[0])
        rule = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]
        ec2.authorize_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=rule)
        took = until_answer(lambda: inside(enis[1], 0.3)[0] == 0)
        print(f"figures: internal ALB admitted {took * 1000:.0f} ms after AuthorizeSecurityGroupIngress")
        assert took < 1.0, took
        for ip in enis:
            assert inside(ip) == (0, "hello from inside"), (ip, inside(ip))
        # From the host (the internet): neither its interface addresses, nor the bind address,
        # nor the address of the bridge the task's connections are redirected to.
        for ip in enis + ["127.0.0.1", "10.0.1.1"]:
            assert public_get(ip, port, timeout=1)[0] is None, (ip, public_get(ip, port, timeout=1))
        ec2.revoke_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=rule)
        took = until_answer(lambda: inside(enis[1], 0.3)[0] == 28)
        print(f"figures: internal ALB dropped {took * 1000:.0f} ms after RevokeSecurityGroupIngress")
        assert took < 1.0, took
        ecs.stop_task(task=arn)
        wait_task(server, "default", arn, "STOPPED")
        made["tasks"].remove(arn)

    def task_in(sg, family, public_ip="ENABLED"):
        """A task in public-a (a public IP, so that it pulls) in group sg: (arn, netns, RunTask's return time)."""
        image = net.get("image") or push_to_wharf(server, layout, "v1", "app")
        td = ecs.register_task_definition(
            family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 600"]}]
        )["taskDefinition"]["taskDefinitionArn"]
        ecs.create_cluster(clusterName="default")
        task = ecs.run_task(launchType="FARGATE", taskDefinition=td, networkConfiguration={"awsvpcConfiguration": {
            "subnets": [net["public-a"]], "securityGroups": [sg], "assignPublicIp": public_ip}})["tasks"][0]
        ran = time.time()
        made["tasks"].append(task["taskArn"])
        return task["taskArn"], task_netns(task["taskArn"].rsplit("/", 1)[1]), ran

    def task_ip(arn):
        task = ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0]
        details = {d["name"]: d["value"] for a in task.get("attachments", []) for d in a["details"]}
        return details.get("privateIPv4Address")

    def curl_in(netns, ip, port, max_time=1.0):
        """curl from a task's network namespace: (exit code, body); 28 is a timeout."""
        p = subprocess.run(["ip", "netns", "exec", netns, "curl", "-s", "--max-time", str(max_time),
                            f"http://{ip}:{port}/"], capture_output=True, text=True, timeout=10)
        return p.returncode, p.stdout

    @checks.run
    def a_task_reaches_load_balancers_in_its_vpc_through_its_egress_rules():
        # Three things AWS does (issue 13): a new member of a group the load balancer's group
        # names is admitted at once; an internet-facing load balancer answers its VPC at its
        # interfaces' private addresses; the client's own egress rules are checked on the way.
        assert "public_lb" in net and "internal_port" in net, "the checks before did not run"
        public_lb, publics, public_port = net["public_lb"]
        internal_port = net["internal_port"]
        publics_private = sorted(e["PrivateIpAddress"] for e in lb_interfaces(public_lb))
        sg = net["client_sg"] = ec2.create_security_group(GroupName="client_sg", Description="clients",
                                                          VpcId=net["vpc"])["GroupId"]
        from_clients = [{"IpProtocol": "tcp", "FromPort": internal_port, "ToPort": internal_port,
                         "UserIdGroupPairs": [{"GroupId": sg}]}]
        ec2.authorize_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=from_clients)
        net["from_clients"] = from_clients
        arn, netns, ran = task_in(sg, "vpc-lb-client")
        # Its address joins the internal load balancer's admitted sources as its ENI goes live,
        # not at the publisher's next resync (10 s).
        table = lb_nft_tables()[0]

        def admitted(ip):
            listed = subprocess.run(["nft", "list", "set", "ip", table, "admitted"], capture_output=True,
                                    text=True).stdout
            return f"{internal_port} . {ip}" in listed
        ip = wait_for(lambda: task_ip(arn), "the task's address", timeout=5, interval=0.01)
        wait_for(lambda: admitted(ip), "the new member admitted", timeout=5, interval=0.01)
        took = time.time() - ran
        print(f"figures: a new member of a group the ALB's group names admitted {took * 1000:.0f} ms after RunTask")
        assert took < 1.0, took
        assert wait_task(server, "default", arn, "RUNNING")["lastStatus"] == "RUNNING"
        assert curl_in(netns, "10.0.1.4", internal_port) == (0, "hello from inside"), curl_in(netns, "10.0.1.4",
                                                                                                internal_port)
        # The internet-facing one at its interfaces' private addresses (lb_sg admits 0.0.0.0/0 on its
        # port), on the task's own subnet and another.
        for private in publics_private:
            assert curl_in(netns, private, public_port) == (0, "hello from the internet"), (
                private, curl_in(netns, private, public_port))
        # Its public addresses (what its DNS name answers) through the task's way out, its public
        # address behind the internet gateway, which the load balancer's groups then see.
        for public in publics:
            assert curl_in(netns, public, public_port) == (0, "hello from the internet"), (
                public, curl_in(netns, public, public_port))
        eni_id = {d["name"]: d["value"] for a in ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0][
            "attachments"] for d in a["details"]}["networkInterfaceId"]
        task_public = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0][
            "Association"]["PublicIp"]
        anywhere = [{"IpProtocol": "tcp", "FromPort": public_port, "ToPort": public_port,
                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        vpc_only = [{"IpProtocol": "tcp", "FromPort": public_port, "ToPort": public_port,
                     "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]
        ec2.authorize_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=vpc_only)
        ec2.revoke_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=anywhere)
        until_answer(lambda: curl_in(netns, publics[0], public_port, 0.3)[0] == 28)  # from its public address
        assert curl_in(netns, publics_private[0], public_port)[0] == 0  # from its private one
        just_it = [{"IpProtocol": "tcp", "FromPort": public_port, "ToPort": public_port,
                    "IpRanges": [{"CidrIp": f"{task_public}/32"}]}]
        ec2.authorize_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=just_it)
        until_answer(lambda: curl_in(netns, publics[0], public_port, 0.3)[0] == 0)
        ec2.authorize_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=anywhere)
        ec2.revoke_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=just_it + vpc_only)
        # A task without a way out (no public address) reaches the interfaces, never the public addresses.
        closed_arn, closed_netns, _ = task_in(sg, "vpc-lb-client-private", public_ip="DISABLED")
        assert wait_task(server, "default", closed_arn, "RUNNING")["lastStatus"] == "RUNNING"
        assert curl_in(closed_netns, publics_private[0], public_port) == (0, "hello from the internet")
        assert curl_in(closed_netns, publics[0], public_port) == (28, "")
        ecs.stop_task(task=closed_arn)
        wait_task(server, "default", closed_arn, "STOPPED")
        made["tasks"].remove(closed_arn)
        # The client's egress rules: without one admitting the load balancer, it times out.
        everything = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=everything)
        took = until_answer(lambda: curl_in(netns, publics_private[0], public_port, 0.3)[0] == 28)
        print(f"figures: a client's egress revoked, the ALB timed out {took * 1000:.0f} ms later")
        assert curl_in(netns, "10.0.1.4", internal_port)[0] == 28
        # An egress rule naming the load balancer's group admits its interfaces, on that port only.
        to_lb = [{"IpProtocol": "tcp", "FromPort": public_port, "ToPort": public_port,
                  "UserIdGroupPairs": [{"GroupId": net["lb_sg"]}]}]
        ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=to_lb)
        until_answer(lambda: curl_in(netns, publics_private[0], public_port, 0.3)[0] == 0)
        assert curl_in(netns, publics_private[1], public_port) == (0, "hello from the internet")
        assert curl_in(netns, "10.0.1.4", internal_port)[0] == 28
        # And one naming its address by CIDR.
        to_internal = [{"IpProtocol": "tcp", "FromPort": internal_port, "ToPort": internal_port,
                        "IpRanges": [{"CidrIp": "10.0.1.4/32"}]}]
        ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=to_internal)
        until_answer(lambda: curl_in(netns, "10.0.1.4", internal_port, 0.3)[0] == 0)
        assert curl_in(netns, "10.0.4.4", internal_port)[0] == 28  # not that address
        ecs.stop_task(task=arn)
        wait_task(server, "default", arn, "STOPPED")
        made["tasks"].remove(arn)
        # Its ENI gone, its address leaves the admitted sources.
        wait_for(lambda: not admitted(ip), "the member gone", timeout=5, interval=0.05)
        ec2.revoke_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=from_clients)
        del net["from_clients"]

    @checks.run
    def a_listener_cannot_take_a_port_the_node_serves():
        # The task metadata endpoint listens on each VPC bridge (bound to it) at the port it took
        # on loopback; the VPC resolver at 53 likewise. Its port, found as the kernel shows it.
        listening = [line.split()[3] for line in subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True)
                     .stdout.splitlines() if f"pid={server.proc.pid}," in line]
        on_bridges = {int(a.rsplit(":", 1)[1]) for a in listening if "%wh-" in a}
        ports = on_bridges & {int(a.rsplit(":", 1)[1]) for a in listening if a.startswith("127.0.0.1:")}
        assert len(ports) == 1, listening
        lb = net["public_lb"][0]
        fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
        for port, holder in ((ports.pop(), "the task metadata endpoint"), (server.port, "its API and registry")):
            expect_client_error(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP",
                                                            Port=port, DefaultActions=fixed),
                                "InvalidConfigurationRequest",
                                f"Port {port} is used by wharf itself ({holder}): a listener cannot take it")

    @checks.run
    def run_task_checks_its_network():
        ecs.create_cluster(clusterName="default")  # made already by the check before, unless it failed
        td = ecs.register_task_definition(
            family="vpc-checks", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=[{"name": "app", "image": "busybox", "essential": True}]
        )["taskDefinition"]["taskDefinitionArn"]

        def run(**vpc):
            return lambda: ecs.run_task(launchType="FARGATE", taskDefinition=td,
                                        networkConfiguration={"awsvpcConfiguration": vpc})
        expect_client_error(run(subnets=[net["private-a"]], assignPublicIp="ENABLED"), "InvalidParameterException",
                            net["private-a"])
        expect_client_error(run(subnets=[net["private-a"], net["default_a"]]), "InvalidParameterException",
                            "one VPC")
        expect_client_error(run(subnets=[net["private-a"]], securityGroups=[net["other_sg"]]),
                            "InvalidParameterException", "belong to different networks")
        assert ecs.list_tasks(cluster="default")["taskArns"] == []

    @checks.run
    def a_task_interface_lives_with_the_task():
        image = net.get("image") or push_to_wharf(server, layout, "v1", "app")
        td = ecs.register_task_definition(
            family="vpc-eni", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": image, "essential": True, "stopTimeout": 2,
                                   "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 600"]}]
        )["taskDefinition"]["taskDefinitionArn"]
        # A public subnet of the default VPC (its main table routes to its internet gateway).
        arn = ecs.run_task(launchType="FARGATE", taskDefinition=td, networkConfiguration={"awsvpcConfiguration": {
            "subnets": [net["default_a"]], "assignPublicIp": "ENABLED"}})["tasks"][0]["taskArn"]
        made["tasks"].append(arn)
        task = wait_task(server, "default", arn, "RUNNING")
        assert task["lastStatus"] == "RUNNING", task
        attachment = task["attachments"][0]
        details = {d["name"]: d["value"] for d in attachment["details"]}
        eni_id, ip = details["networkInterfaceId"], details["privateIPv4Address"]
        eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
        assert eni["Description"] == f"arn:aws:ecs:us-east-1:000000000000:attachment/{attachment['id']}", eni
        assert (eni["InterfaceType"], eni["Status"], eni["PrivateIpAddress"], eni["SubnetId"]) == (
            "interface", "in-use", ip, net["default_a"]), eni
        assert eni["RequesterManaged"] is True and eni["Groups"], eni
        # An elastic IP onto it; a second association of the same address needs AllowReassociation.
        eip = ec2.allocate_address(Domain="vpc")
        made["eips"].append(eip["AllocationId"])
        association = ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni_id)["AssociationId"]
        got = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
        assert (got["AssociationId"], got["NetworkInterfaceId"], got["PrivateIpAddress"]) == (association, eni_id, ip), got
        shown = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
        assert shown["Association"]["PublicIp"] == eip["PublicIp"], shown
        expect_client_error(lambda: ec2.associate_address(AllocationId="eipalloc-0123456789abcdef0",
                                                          NetworkInterfaceId=eni_id), "InvalidAllocationID.NotFound")
        expect_client_error(lambda: ec2.associate_address(AllocationId=eip["AllocationId"],
                                                          NetworkInterfaceId="eni-0123456789abcdef0"),
                            "InvalidNetworkInterfaceID.NotFound")
        lb_eni = lb_interfaces(net["lb"])[0]["NetworkInterfaceId"]
        expect_client_error(lambda: ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=lb_eni),
                            "InvalidParameterValue")
        ec2.disassociate_address(AssociationId=association)
        assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
        ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni_id)
        ecs.stop_task(task=arn)
        wait_task(server, "default", arn, "STOPPED")
        made["tasks"].remove(arn)
        expect_client_error(lambda: ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id]),
                            "InvalidNetworkInterfaceID.NotFound")
        # The interface went, and its association with it: the address can be released.
        assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
        ec2.release_address(AllocationId=eip["AllocationId"])
        made["eips"].remove(eip["AllocationId"])

    @checks.run
    def describe_instances_shows_the_node_and_regions_the_server():
        node = ecs.describe_container_instances(cluster="default", containerInstances=ecs.list_container_instances(
            cluster="default")["containerInstanceArns"])["containerInstances"][0]["ec2InstanceId"]
        reservations = ec2.describe_instances()["Reservations"]
        instances = [i for r in reservations for i in r["Instances"]]
        assert [i["InstanceId"] for i in instances] == [node], reservations
        i = instances[0]
        assert i["State"]["Name"] == "running" and i["Placement"]["AvailabilityZone"] == "us-east-1a", i
        assert i["VpcId"] == net["default_vpc"] and i["SubnetId"] == net["default_a"], i
        assert ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}])[
            "Reservations"] == []
        assert ec2.describe_instances(InstanceIds=[node])["Reservations"][0]["Instances"][0]["InstanceId"] == node
        expect_client_error(lambda: ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"]),
                            "InvalidInstanceID.NotFound")
        paged = ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5})
        assert [i["InstanceId"] for page in paged for r in page["Reservations"] for i in r["Instances"]] == [node]
        regions = server.aws("ec2", "describe-regions")["Regions"]
        names = [r["RegionName"] for r in regions]
        assert "us-east-1" in names and "eu-west-1" in names and len(names) == len(set(names)) >= 30, names
        assert {r["OptInStatus"] for r in regions} == {"opt-in-not-required"}, regions
        one = ec2.describe_regions(RegionNames=["eu-west-1"])["Regions"]
        assert [(r["RegionName"], r["Endpoint"]) for r in one] == [("eu-west-1", "ec2.eu-west-1.amazonaws.com")], one
        expect_client_error(lambda: ec2.describe_regions(RegionNames=["eu-west-9"]), "InvalidParameterValue")

    @checks.run
    def deleting_the_load_balancer_frees_its_subnets():
        for arn in list(made["lbs"]):
            elb.delete_load_balancer(LoadBalancerArn=arn)
            made["lbs"].remove(arn)
        assert lb_interfaces(net["lb"]) == []
        assert ec2.describe_network_interfaces(Filters=[{"Name": "requester-id", "Values": ["amazon-elb"]}])[
            "NetworkInterfaces"] == []
        assert ec2.describe_subnets(SubnetIds=[net["public-a"]])["Subnets"][0]["AvailableIpAddressCount"] == 251
        # The public addresses went with it: released to the pool, no longer answered.
        if "public_lb" in net:
            _, publics, port = net["public_lb"]
            assert lb_nft_tables() == [], lb_nft_tables()
            assert public_get(publics[0], port)[0] is None
            assert ec2.describe_network_interfaces(Filters=[{"Name": "association.public-ip", "Values": publics}])[
                "NetworkInterfaces"] == []

    @checks.run
    def cleanup_removes_what_it_made():
        for arn in made["tasks"]:
            ecs.stop_task(task=arn)
        for arn in made["tasks"]:
            wait_task(server, "default", arn, "STOPPED")
        for arn in made["lbs"]:
            elb.delete_load_balancer(LoadBalancerArn=arn)
        for eip in made["eips"]:
            for a in ec2.describe_addresses(AllocationIds=[eip])["Addresses"]:
                if "AssociationId" in a:
                    ec2.disassociate_address(AssociationId=a["AssociationId"])
            ec2.release_address(AllocationId=eip)
        for assoc in net.get("assoc", []):
            ec2.disassociate_route_table(AssociationId=assoc)
        if "rtb" in net:
            ec2.delete_route_table(RouteTableId=net["rtb"])
        for s in ("public-a", "public-b", "private-a", "private-b", "public-a2"):
            if s in net and ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [net[s]]}])["Subnets"]:
                ec2.delete_subnet(SubnetId=net[s])
        if "from_clients" in net:  # a rule naming client_sg keeps it from being deleted
            ec2.revoke_security_group_ingress(GroupId=net["lb_sg"], IpPermissions=net["from_clients"])
        for g in ("client_sg", "lb_sg", "other_sg"):
            if g in net:
                ec2.delete_security_group(GroupId=net[g])
        if "igw" in net:
            ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
            ec2.delete_internet_gateway(InternetGatewayId=net["igw"])
        if "vpc" in net:
            ec2.delete_vpc(VpcId=net["vpc"])

    @checks.run
    def host_left_clean():
        server.stop()
        leftovers = wait_clean(before)
        assert not leftovers, leftovers

checks.finish()
