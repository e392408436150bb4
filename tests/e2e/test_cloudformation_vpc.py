#!/usr/bin/python3
"""CloudFormation builds a VPC (issue 18 part 2): the network seed 000 makes with Terraform, as
one template, and the account pieces around it.

The template (YAML, with the AWS::LanguageExtensions transform) makes a VPC with public and
private subnets in two zones (their blocks cut by Fn::Cidr, their zones from Fn::GetAZs), an
internet gateway and its attachment, an elastic IP and a NAT gateway, public and private route
tables with their default routes and associations, two security groups and a rule between
them, an S3 gateway endpoint, an ssm interface endpoint (its DnsOptions, its own DNS name first
in GetAtt DnsEntries), a Secrets Manager secret whose password GenerateSecretString makes,
SSM parameters (one a Fn::ToJsonString of what was made, with a Fn::Length), a KMS key and
alias, a managed policy, a role with an instance profile, a Cloud Map namespace and service, and
a CloudWatch alarm. Each is checked through its own service's describe calls; the outputs and
exports give what was made. A second stack imports the VPC (ListImports names it). Termination
protection refuses DeleteStack; a stack policy refuses an update of the VPC (UPDATE_FAILED,
rolled back) while letting a parameter change through; DescribeStackEvents pages. Deleting the
stacks leaves nothing: every describe shows it gone.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from wharf_harness import Checks, WharfServer, expect_client_error  # noqa: E402
from stack_fixtures import settled_stack, stack_resource_ids  # noqa: E402

checks = Checks()

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::LanguageExtensions
Description: seed 000's network - public and private subnets, NAT, endpoints and secrets
Parameters:
  Cidr:
    Type: String
    Default: 10.42.0.0/16
  Stage:
    Type: String
    Default: one
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Ref Cidr
      EnableDnsSupport: true
      EnableDnsHostnames: true
      Tags: [{Key: Name, Value: !Sub '${AWS::StackName}-vpc'}]
  PublicA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: !Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]]
      AvailabilityZone: !Select [0, !GetAZs '']
      MapPublicIpOnLaunch: true
  PublicB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: !Select [1, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]]
      AvailabilityZone: !Select [1, !GetAZs '']
      MapPublicIpOnLaunch: true
  PrivateA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: !Select [2, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]]
      AvailabilityZone: !Select [0, !GetAZs '']
  PrivateB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: !Select [3, !Cidr [!GetAtt Vpc.CidrBlock, 4, 8]]
      AvailabilityZone: !Select [1, !GetAZs {Ref: 'AWS::Region'}]
  Igw:
    Type: AWS::EC2::InternetGateway
    Properties:
      Tags: [{Key: Name, Value: igw}]
  IgwAttachment:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}
  NatAddress:
    Type: AWS::EC2::EIP
    DependsOn: IgwAttachment
    Properties: {Domain: vpc}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties:
      AllocationId: !GetAtt NatAddress.AllocationId
      SubnetId: !Ref PublicA
  PublicRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PublicDefault:
    Type: AWS::EC2::Route
    DependsOn: IgwAttachment
    Properties: {RouteTableId: !Ref PublicRoutes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
  PublicAssocA:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PublicA, RouteTableId: !Ref PublicRoutes}
  PublicAssocB:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PublicB, RouteTableId: !Ref PublicRoutes}
  PrivateRoutes:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  PrivateDefault:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref PrivateRoutes, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}
  PrivateAssocA:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PrivateA, RouteTableId: !Ref PrivateRoutes}
  PrivateAssocB:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {SubnetId: !Ref PrivateB, RouteTableId: !Ref PrivateRoutes}
  WebGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      VpcId: !Ref Vpc
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}]
  AppGroup:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: app, VpcId: !Ref Vpc}
  AppFromWeb:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt AppGroup.GroupId
      IpProtocol: tcp
      FromPort: 8080
      ToPort: 8080
      SourceSecurityGroupId: !Ref WebGroup
  S3Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub 'com.amazonaws.${AWS::Region}.s3'
      VpcEndpointType: Gateway
      RouteTableIds: [!Ref PrivateRoutes]
  SsmEndpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub 'com.amazonaws.${AWS::Region}.ssm'
      VpcEndpointType: Interface
      SubnetIds: [!Ref PrivateA]
      PrivateDnsEnabled: false
      IpAddressType: ipv4
      DnsOptions: {DnsRecordIpType: ipv4, PrivateDnsOnlyForInboundResolverEndpoint: NotSpecified}
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub '${AWS::StackName} secrets'
      EnableKeyRotation: true
      PendingWindowInDays: 7
  KeyAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: !Sub 'alias/${AWS::StackName}', TargetKeyId: !Ref Key}
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub '${AWS::StackName}/db'
      KmsKeyId: !Ref Key
      GenerateSecretString:
        SecretStringTemplate: '{"username": "app"}'
        GenerateStringKey: password
        PasswordLength: 24
        ExcludeCharacters: '"@/\\'
  SubnetsParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub '/${AWS::StackName}/private-subnets'
      Type: StringList
      Value: !Join [',', [!Ref PrivateA, !Ref PrivateB]]
  NetworkParameter:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub '/${AWS::StackName}/network'
      Type: String
      Description: !Ref Stage
      Value: !ToJsonString
        vpc: !Ref Vpc
        zones: !Length [!Ref PublicA, !Ref PublicB]
  ReadSecrets:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Action: 'secretsmanager:GetSecretValue', Resource: !Ref DbSecret}]
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: 'sts:AssumeRole'}]
      ManagedPolicyArns: [!Ref ReadSecrets]
  AppProfile:
    Type: AWS::IAM::InstanceProfile
    Properties: {Roles: [!Ref AppRole]}
  Namespace:
    Type: AWS::ServiceDiscovery::PrivateDnsNamespace
    Properties: {Name: !Sub '${AWS::StackName}.internal', Vpc: !Ref Vpc}
  Discovery:
    Type: AWS::ServiceDiscovery::Service
    Properties:
      Name: api
      NamespaceId: !Ref Namespace
      DnsConfig: {DnsRecords: [{Type: A, TTL: 10}]}
  NatAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/NATGateway
      MetricName: ErrorPortAllocation
      Dimensions: [{Name: NatGatewayId, Value: !Ref Nat}]
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
Outputs:
  VpcId:
    Value: !Ref Vpc
    Export: {Name: !Sub '${AWS::StackName}-vpc'}
  PrivateSubnets:
    Value: !Join [',', [!Ref PrivateA, !Ref PrivateB]]
    Export: {Name: !Sub '${AWS::StackName}-private-subnets'}
  NatAddress:
    Value: !Ref NatAddress
  SecretArn:
    Value: !Ref DbSecret
  NamespaceZone:
    Value: !GetAtt Namespace.HostedZoneId
  SsmEndpointName:
    Value: !Select [1, !Split [':', !Select [0, !GetAtt SsmEndpoint.DnsEntries]]]
"""

IMPORTER = """
Resources:
  Imported:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /cfn-importer/vpc
      Type: String
      Value: !ImportValue net-vpc
"""

CAPS = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]

# Refuses any update of the VPC, lets everything else change.
POLICY = json.dumps({"Statement": [
    {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "Update:*", "Principal": "*", "Resource": "LogicalResourceId/Vpc"}]})


LOOPS = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::LanguageExtensions
Parameters:
  Tiers: {Type: CommaDelimitedList, Default: 'web,db'}
Mappings:
  Index:
    web: {I: 0, Kind: public}
    db: {I: 1, Kind: private}
    app: {I: 2, Kind: private}
Conditions:
  'Fn::ForEach::Public':
    - Tier
    - !Ref Tiers
    - 'Is&{Tier}Public': !Equals [!Ref Tier, web]
Resources:
  'Fn::ForEach::TierParameters':
    - Tier
    - !Ref Tiers
    - '${Tier}Block':
        Type: AWS::SSM::Parameter
        Properties:
          Name: !Sub '/loops/${Tier}'
          Type: String
          Value: !Join
            - ' '
            - - !Select [!FindInMap [Index, !Ref Tier, I], !Cidr ['2600:1f14:abc:de00::/56', 3, 64]]
              - !FindInMap [Index, !Ref Tier, Kind]
Outputs:
  'Fn::ForEach::Names':
    - Tier
    - !Ref Tiers
    - '${Tier}Name': {Value: !Ref {'Fn::Sub': '${Tier}Block'}}
"""

# Issue 18's gaps: a collection of the region's zones and pseudo parameters, conditions a loop
# made named by a looped resource's Condition (!Sub) and by Fn::If, Fn::FindInMap's DefaultValue.
ZONES = """
Transform: AWS::LanguageExtensions
Parameters:
  Wanted: {Type: String, Default: B}
Mappings:
  Kinds:
    picked: {Kind: first}
Conditions:
  'Fn::ForEach::Picked':
    - Tier
    - [A, B]
    - 'Is${Tier}': !Equals [!Ref Tier, !Ref Wanted]
Resources:
  'Fn::ForEach::ZoneParameters':
    - Zone
    - !GetAZs ''
    - 'Zone&{Zone}':
        Type: AWS::SSM::Parameter
        Properties:
          Name: !Sub '/zones/${Zone}'
          Type: String
          Value: !Sub '${AWS::Region} ${AWS::AccountId}'
  'Fn::ForEach::Tiers':
    - Tier
    - [A, B]
    - 'Tier${Tier}':
        Type: AWS::SSM::Parameter
        Condition: !Sub 'Is${Tier}'
        Properties:
          Name: !Sub '/zones/tier-${Tier}'
          Type: String
          Value: !If [!Sub 'Is${Tier}', !FindInMap [Kinds, picked, Kind], !FindInMap [Kinds, x, Kind, {DefaultValue: other}]]
      'Both${Tier}':
        Type: AWS::SSM::Parameter
        Properties:
          Name: !Sub '/zones/both-${Tier}'
          Type: String
          Value: !If [!Sub 'Is${Tier}', !FindInMap [Kinds, picked, Kind], !FindInMap [Kinds, x, Kind, {DefaultValue: other}]]
"""

with WharfServer() as server:
    cfn = server.boto3("cloudformation")
    ec2 = server.boto3("ec2")
    ssm = server.boto3("ssm")
    secrets = server.boto3("secretsmanager")
    kms = server.boto3("kms")
    iam = server.boto3("iam")
    sd = server.boto3("servicediscovery")
    cw = server.boto3("cloudwatch")
    made = {}

    def stack(name):
        return cfn.describe_stacks(StackName=name)["Stacks"][0]


    def print_events():
        for name in ("net", "importer"):
            try:
                pages = cfn.get_paginator("describe_stack_events").paginate(StackName=made.get(name, name))
                events = [e for p in pages for e in p["StackEvents"]]
            except Exception:  # noqa: BLE001 - the stack may not exist
                continue
            for e in reversed(events):
                if "FAILED" in e["ResourceStatus"] or e["LogicalResourceId"] == name:
                    print(f"   | {name} {e['LogicalResourceId']} {e['ResourceStatus']} "
                          f"{e.get('ResourceStatusReason', '')}", flush=True)

    checks.diagnostics.append(print_events)

    @checks.run
    def the_stack_builds_the_network():
        expect_client_error(lambda: cfn.create_stack(StackName="net", TemplateBody=TEMPLATE,
                                                     Capabilities=["CAPABILITY_IAM"]),
                            "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
        started = time.time()
        cfn.create_stack(StackName="net", TemplateBody=TEMPLATE, Capabilities=CAPS,
                         EnableTerminationProtection=True, StackPolicyBody=POLICY)
        s = settled_stack(cfn, "net")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        made["net"] = s["StackId"]
        print(f"   VPC stack ({len(stack_resource_ids(cfn, 'net'))} resources): CREATE_COMPLETE in {time.time() - started:.1f} s",
              flush=True)
        assert s["EnableTerminationProtection"] is True, s
        ids = stack_resource_ids(cfn, "net")
        made.update(ids)
        out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
        assert out["VpcId"] == ids["Vpc"], out

        vpc = ec2.describe_vpcs(VpcIds=[ids["Vpc"]])["Vpcs"][0]
        assert vpc["CidrBlock"] == "10.42.0.0/16" and {"Key": "Name", "Value": "net-vpc"} in vpc["Tags"], vpc
        dns = ec2.describe_vpc_attribute(VpcId=ids["Vpc"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]
        assert dns == {"Value": True}, dns
        subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [ids["Vpc"]]}])["Subnets"]}
        cidrs = {name: subnets[ids[name]]["CidrBlock"] for name in ("PublicA", "PublicB", "PrivateA", "PrivateB")}
        assert cidrs == {"PublicA": "10.42.0.0/24", "PublicB": "10.42.1.0/24", "PrivateA": "10.42.2.0/24",
                         "PrivateB": "10.42.3.0/24"}, cidrs
        zones = [subnets[ids[n]]["AvailabilityZone"] for n in ("PublicA", "PublicB", "PrivateA", "PrivateB")]
        assert zones == ["us-east-1a", "us-east-1b", "us-east-1a", "us-east-1b"], zones
        assert subnets[ids["PublicA"]]["MapPublicIpOnLaunch"] is True
        assert subnets[ids["PrivateA"]]["MapPublicIpOnLaunch"] is False
        assert out["PrivateSubnets"] == f"{ids['PrivateA']},{ids['PrivateB']}", out

        igw = ec2.describe_internet_gateways(InternetGatewayIds=[ids["Igw"]])["InternetGateways"][0]
        assert igw["Attachments"] == [{"State": "available", "VpcId": ids["Vpc"]}], igw
        nat = ec2.describe_nat_gateways(NatGatewayIds=[ids["Nat"]])["NatGateways"][0]
        assert nat["State"] == "available" and nat["SubnetId"] == ids["PublicA"], nat
        assert nat["NatGatewayAddresses"][0]["PublicIp"] == out["NatAddress"] == ids["NatAddress"], nat
        tables = {t["RouteTableId"]: t for t in ec2.describe_route_tables(
            RouteTableIds=[ids["PublicRoutes"], ids["PrivateRoutes"]])["RouteTables"]}
        public_routes = {r["DestinationCidrBlock"]: r.get("GatewayId") for r in tables[ids["PublicRoutes"]]["Routes"]
                         if "DestinationCidrBlock" in r}
        assert public_routes == {"10.42.0.0/16": "local", "0.0.0.0/0": ids["Igw"]}, public_routes
        private_default = [r for r in tables[ids["PrivateRoutes"]]["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        assert private_default[0]["NatGatewayId"] == ids["Nat"], private_default
        associated = sorted(a["SubnetId"] for a in tables[ids["PrivateRoutes"]]["Associations"] if "SubnetId" in a)
        assert associated == sorted([ids["PrivateA"], ids["PrivateB"]]), associated
        assert ids["PublicDefault"] == f"{ids['PublicRoutes']}|0.0.0.0/0", ids

        groups = {g["GroupId"]: g for g in ec2.describe_security_groups(
            GroupIds=[ids["WebGroup"], ids["AppGroup"]])["SecurityGroups"]}
        web_in = groups[ids["WebGroup"]]["IpPermissions"]
        assert [(p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in web_in] == [(80, "0.0.0.0/0")], web_in
        app_in = groups[ids["AppGroup"]]["IpPermissions"]
        assert [(p["FromPort"], p["UserIdGroupPairs"][0]["GroupId"]) for p in app_in] == [(8080, ids["WebGroup"])], app_in
        assert ids["AppFromWeb"].startswith("sgr-"), ids
        endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[ids["S3Endpoint"]])["VpcEndpoints"][0]
        assert endpoint["RouteTableIds"] == [ids["PrivateRoutes"]], endpoint
        # An interface endpoint's DnsOptions and IpAddressType as the template says; its own
        # regional name first in GetAtt DnsEntries ("<HostedZoneId>:<DnsName>", as on AWS).
        vpce = ec2.describe_vpc_endpoints(VpcEndpointIds=[ids["SsmEndpoint"]])["VpcEndpoints"][0]
        assert vpce["IpAddressType"] == "ipv4" and vpce["DnsOptions"]["DnsRecordIpType"] == "ipv4", vpce
        assert out["SsmEndpointName"] == vpce["DnsEntries"][0]["DnsName"], (out, vpce)
        assert out["SsmEndpointName"].startswith(ids["SsmEndpoint"] + "-"), out

        value = json.loads(secrets.get_secret_value(SecretId=out["SecretArn"])["SecretString"])
        assert value["username"] == "app" and len(value["password"]) == 24, value
        assert not set('"@/\\') & set(value["password"]), value
        assert secrets.describe_secret(SecretId="net/db")["KmsKeyId"] in (ids["Key"], kms.describe_key(
            KeyId=ids["Key"])["KeyMetadata"]["Arn"])
        key = kms.describe_key(KeyId="alias/net")["KeyMetadata"]
        assert key["KeyId"] == ids["Key"] and key["Description"] == "net secrets", key
        assert kms.get_key_rotation_status(KeyId=ids["Key"])["KeyRotationEnabled"] is True
        listed = ssm.get_parameter(Name="/net/private-subnets")["Parameter"]
        assert listed["Type"] == "StringList" and listed["Value"] == out["PrivateSubnets"], listed
        network = ssm.get_parameter(Name="/net/network")["Parameter"]
        assert json.loads(network["Value"]) == {"vpc": ids["Vpc"], "zones": 2}, network

        attached = iam.list_attached_role_policies(RoleName=ids["AppRole"])["AttachedPolicies"]
        assert [a["PolicyArn"] for a in attached] == [ids["ReadSecrets"]], attached
        profile = iam.get_instance_profile(InstanceProfileName=ids["AppProfile"])["InstanceProfile"]
        assert [r["RoleName"] for r in profile["Roles"]] == [ids["AppRole"]], profile
        namespace = sd.get_namespace(Id=ids["Namespace"])["Namespace"]
        assert namespace["Name"] == "net.internal" and namespace["Type"] == "DNS_PRIVATE", namespace
        assert out["NamespaceZone"] == namespace["Properties"]["DnsProperties"]["HostedZoneId"], out
        assert sd.get_service(Id=ids["Discovery"])["Service"]["NamespaceId"] == ids["Namespace"]
        alarm = cw.describe_alarms(AlarmNames=[ids["NatAlarm"]])["MetricAlarms"][0]
        assert alarm["Dimensions"] == [{"Name": "NatGatewayId", "Value": ids["Nat"]}], alarm

    @checks.run
    def another_stack_imports_the_vpc():
        cfn.create_stack(StackName="importer", TemplateBody=IMPORTER)
        s = settled_stack(cfn, "importer")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        made["importer"] = s["StackId"]
        assert ssm.get_parameter(Name="/cfn-importer/vpc")["Parameter"]["Value"] == made["Vpc"]
        assert cfn.list_imports(ExportName="net-vpc")["Imports"] == ["importer"]
        expect_client_error(lambda: cfn.list_imports(ExportName="net-private-subnets"), "ValidationError",
                            "Export 'net-private-subnets' is not imported by any stack.")
        exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
        assert exports["net-vpc"] == made["Vpc"], exports
        cfn.update_termination_protection(StackName="net", EnableTerminationProtection=False)
        expect_client_error(lambda: cfn.delete_stack(StackName="net"), "ValidationError",
                            "Export net-vpc cannot be deleted as it is in use by importer")
        cfn.update_termination_protection(StackName="net", EnableTerminationProtection=True)

    @checks.run
    def the_stack_policy_refuses_an_update_of_the_vpc():
        assert json.loads(cfn.get_stack_policy(StackName="net")["StackPolicyBody"]) == json.loads(POLICY)
        changed = TEMPLATE.replace("Value: !Sub '${AWS::StackName}-vpc'}]", "Value: renamed}]")
        cfn.update_stack(StackName="net", TemplateBody=changed, Capabilities=CAPS)
        s = settled_stack(cfn, "net")
        assert s["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", s
        events = cfn.describe_stack_events(StackName="net")["StackEvents"]
        refused = [e for e in events if e["ResourceStatus"] == "UPDATE_FAILED"][0]
        assert refused["LogicalResourceId"] == "Vpc", refused
        assert refused["ResourceStatusReason"].startswith("Action denied by stack policy"), refused
        vpc = ec2.describe_vpcs(VpcIds=[made["Vpc"]])["Vpcs"][0]
        assert {"Key": "Name", "Value": "net-vpc"} in vpc["Tags"], vpc
        # What the policy lets through changes in place.
        cfn.update_stack(StackName="net", UsePreviousTemplate=True, Capabilities=CAPS,
                         Parameters=[{"ParameterKey": "Stage", "ParameterValue": "two"},
                                     {"ParameterKey": "Cidr", "UsePreviousValue": True}])
        s = settled_stack(cfn, "net")
        assert s["StackStatus"] == "UPDATE_COMPLETE", s
        described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/net/network"]}])
        assert described["Parameters"][0]["Description"] == "two", described
        assert stack_resource_ids(cfn, "net")["Vpc"] == made["Vpc"]

    @checks.run
    def termination_protection_refuses_delete():
        expect_client_error(lambda: cfn.delete_stack(StackName="net"), "ValidationError",
                            "Stack [net] cannot be deleted while TerminationProtection is enabled")
        assert stack("net")["StackStatus"] == "UPDATE_COMPLETE"
        cfn.update_termination_protection(StackName="net", EnableTerminationProtection=False)
        assert stack("net")["EnableTerminationProtection"] is False

    @checks.run
    def deleting_the_stacks_leaves_nothing():
        started = time.time()
        cfn.delete_stack(StackName="importer")
        cfn.get_waiter("stack_delete_complete").wait(StackName="importer", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        cfn.delete_stack(StackName="net")
        cfn.get_waiter("stack_delete_complete").wait(StackName="net", WaiterConfig={"Delay": 1, "MaxAttempts": 90})
        print(f"   VPC stack: DELETE_COMPLETE in {time.time() - started:.1f} s", flush=True)
        assert stack(made["net"])["StackStatus"] == "DELETE_COMPLETE"
        # The stack's own delete, from its events (the waiter polls once a second).
        events = [e for e in cfn.describe_stack_events(StackName=made["net"])["StackEvents"]
                  if e["LogicalResourceId"] == "net" and e["ResourceStatus"] in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE")]
        at = {e["ResourceStatus"]: e["Timestamp"] for e in events}
        print(f"   VPC stack: DELETE_IN_PROGRESS -> DELETE_COMPLETE in "
              f"{(at['DELETE_COMPLETE'] - at['DELETE_IN_PROGRESS']).total_seconds():.2f} s", flush=True)
        ids = made
        expect_client_error(lambda: ec2.describe_vpcs(VpcIds=[ids["Vpc"]]), "InvalidVpcID.NotFound")
        expect_client_error(lambda: ec2.describe_subnets(SubnetIds=[ids["PublicA"]]), "InvalidSubnetID.NotFound")
        expect_client_error(lambda: ec2.describe_internet_gateways(InternetGatewayIds=[ids["Igw"]]),
                            "InvalidInternetGatewayID.NotFound")
        expect_client_error(lambda: ec2.describe_route_tables(RouteTableIds=[ids["PublicRoutes"]]),
                            "InvalidRouteTableID.NotFound")
        expect_client_error(lambda: ec2.describe_security_groups(GroupIds=[ids["WebGroup"]]), "InvalidGroup.NotFound")
        nats = ec2.describe_nat_gateways(NatGatewayIds=[ids["Nat"]])["NatGateways"]
        assert all(n["State"] == "deleted" for n in nats), nats
        assert [a for a in ec2.describe_addresses()["Addresses"] if a["PublicIp"] == ids["NatAddress"]] == []
        assert ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [ids["Vpc"]]}])["VpcEndpoints"] == []
        assert [s for s in secrets.list_secrets()["SecretList"] if s["Name"] == "net/db"] == []
        expect_client_error(lambda: ssm.get_parameter(Name="/net/network"), "ParameterNotFound")
        expect_client_error(lambda: ssm.get_parameter(Name="/cfn-importer/vpc"), "ParameterNotFound")
        assert kms.describe_key(KeyId=ids["Key"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/net"] == []
        expect_client_error(lambda: iam.get_role(RoleName=ids["AppRole"]), "NoSuchEntity")
        expect_client_error(lambda: iam.get_policy(PolicyArn=ids["ReadSecrets"]), "NoSuchEntity")
        expect_client_error(lambda: iam.get_instance_profile(InstanceProfileName=ids["AppProfile"]), "NoSuchEntity")
        expect_client_error(lambda: sd.get_namespace(Id=ids["Namespace"]), "NamespaceNotFound")
        assert cw.describe_alarms(AlarmNames=[ids["NatAlarm"]])["MetricAlarms"] == []
        assert cfn.list_exports()["Exports"] == []

    @checks.run
    def events_page():
        pages = list(cfn.get_paginator("describe_stack_events").paginate(StackName=made["net"]))
        events = [e for p in pages for e in p["StackEvents"]]
        assert len(pages) >= 2 and all(len(p["StackEvents"]) <= 100 for p in pages), [len(p["StackEvents"]) for p in pages]
        assert len({e["EventId"] for e in events}) == len(events), "an event repeats across pages"
        assert events[0]["ResourceStatus"] == "DELETE_COMPLETE" and events[-1]["ResourceStatus"] == "CREATE_IN_PROGRESS"
        stamps = [e["Timestamp"] for e in events]
        assert stamps == sorted(stamps, reverse=True), "events are not newest first"
        listed = list(cfn.get_paginator("list_stacks").paginate())
        assert {s["StackName"] for p in listed for s in p["StackSummaries"]} == {"net", "importer"}
        expect_client_error(lambda: cfn.list_stacks(NextToken="bogus"), "ValidationError")

    @checks.run
    def for_each_loops_and_ipv6_cidr():
        # Fn::ForEach over a list parameter (the stack's values, not the default) in Conditions,
        # Resources and Outputs; the tiers' addresses cut from an IPv6 /56 by Fn::Cidr.
        cfn.create_stack(StackName="loops", TemplateBody=LOOPS, Capabilities=["CAPABILITY_AUTO_EXPAND"],
                         Parameters=[{"ParameterKey": "Tiers", "ParameterValue": "web,db,app"}])
        s = settled_stack(cfn, "loops")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        assert sorted(stack_resource_ids(cfn, "loops")) == ["appBlock", "dbBlock", "webBlock"], stack_resource_ids(cfn, "loops")
        blocks = {t: ssm.get_parameter(Name=f"/loops/{t}")["Parameter"]["Value"] for t in ("web", "db", "app")}
        assert blocks == {"web": "2600:1f14:abc:de00::/64 public", "db": "2600:1f14:abc:de01::/64 private",
                          "app": "2600:1f14:abc:de02::/64 private"}, blocks
        outputs = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
        assert outputs == {"webName": "/loops/web", "dbName": "/loops/db", "appName": "/loops/app"}, outputs
        assert "Fn::ForEach::TierParameters" in cfn.get_template(StackName="loops")["TemplateBody"]
        summary = cfn.get_template_summary(StackName="loops")
        assert summary["DeclaredTransforms"] == ["AWS::LanguageExtensions"], summary
        # Values whose loop makes one key twice: the change set fails with the transform's words.
        cs = cfn.create_change_set(StackName="loops", ChangeSetName="twice", UsePreviousTemplate=True,
                                   Capabilities=["CAPABILITY_AUTO_EXPAND"],
                                   Parameters=[{"ParameterKey": "Tiers", "ParameterValue": "web,web"}])
        described = cfn.describe_change_set(ChangeSetName=cs["Id"])
        assert described["Status"] == "FAILED" and described["ExecutionStatus"] == "UNAVAILABLE", described
        assert described["StatusReason"] == ("Transform AWS::LanguageExtensions failed with: Fn::ForEach produces "
                                             "IswebPublic, a key its parent object already has"), described
        cfn.delete_stack(StackName="loops")
        cfn.get_waiter("stack_delete_complete").wait(StackName="loops", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        expect_client_error(lambda: ssm.get_parameter(Name="/loops/db"), "ParameterNotFound")

    @checks.run
    def loops_over_zones_with_looped_conditions():
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
        cfn.create_stack(StackName="zones", TemplateBody=ZONES, Capabilities=["CAPABILITY_AUTO_EXPAND"])
        s = settled_stack(cfn, "zones")
        assert s["StackStatus"] == "CREATE_COMPLETE", s
        alnum = ["".join(c for c in z if c.isalnum()) for z in zones]
        assert sorted(stack_resource_ids(cfn, "zones")) == sorted([f"Zone{a}" for a in alnum] + ["TierB", "BothA", "BothB"]), \
            stack_resource_ids(cfn, "zones")
        identity = server.boto3("sts").get_caller_identity()
        values = {z: ssm.get_parameter(Name=f"/zones/{z}")["Parameter"]["Value"] for z in zones}
        assert set(values.values()) == {f"{cfn.meta.region_name} {identity['Account']}"}, values
        tiers = {n: ssm.get_parameter(Name=f"/zones/{n}")["Parameter"]["Value"] for n in ("tier-B", "both-A", "both-B")}
        assert tiers == {"tier-B": "first", "both-A": "other", "both-B": "first"}, tiers
        expect_client_error(lambda: ssm.get_parameter(Name="/zones/tier-A"), "ParameterNotFound")
        cfn.delete_stack(StackName="zones")
        cfn.get_waiter("stack_delete_complete").wait(StackName="zones", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        expect_client_error(lambda: ssm.get_parameter(Name=f"/zones/{zones[0]}"), "ParameterNotFound")
        # Fn::ImportValue may not name a resource; a Condition is a condition's name.
        expect_client_error(lambda: cfn.validate_template(TemplateBody=(
            "Resources:\n  Q: {Type: AWS::SSM::Parameter, Properties: {Type: String, Value: x}}\n"
            "  R: {Type: AWS::SSM::Parameter, Properties: {Type: String, Value: !ImportValue {'Fn::Sub': '${Q}-x'}}}\n")),
            "ValidationError", "Template error: the attribute in Fn::ImportValue must not depend on any resources")
        expect_client_error(lambda: cfn.validate_template(TemplateBody=(
            "Conditions:\n  C: !Equals [a, a]\n"
            "Resources:\n  R: {Type: AWS::SSM::Parameter, Condition: !Ref C, Properties: {Type: String, Value: x}}\n")),
            "ValidationError", "Every Condition member must be a string.")

checks.finish()
