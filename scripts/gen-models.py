#!/usr/bin/env python3
"""Regenerates src/api/models/<service>.json from the newest botocore service models.

wharf validates requests and shapes responses from the AWS service models. Only the
machine-readable parts are kept (operations, shapes, types, constraints); the prose
documentation is dropped. Run with the Python whose botocore is newest:
    python3 scripts/gen-models.py
"""
import glob
import gzip
import json
import os
import sys

import botocore

SERVICES = ["ecs", "elbv2", "ecr", "logs", "sts", "ec2", "iam", "kms", "secretsmanager", "ssm", "servicediscovery",
            "cloudformation", "cloudwatch", "application-autoscaling"]
DROPPED = {"documentation", "documentationUrl", "examples", "deprecatedMessage"}
# Services whose full model is far larger than what wharf answers: only these operations and
# the shapes reachable from them are kept (the whole EC2 model is megabytes, compiled into the
# binary by tools/model_compiler.cc).
ONLY_OPERATIONS = {
    "ec2": [
        "DescribeVpcs", "DescribeSubnets", "DescribeAvailabilityZones",
        "DescribeSecurityGroups", "CreateSecurityGroup", "DeleteSecurityGroup",
        "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress",
        # issue 13 part 2: what terraform's VPC resources call
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "DescribeVpcAttribute",
        "CreateSubnet", "DeleteSubnet", "ModifySubnetAttribute",
        "CreateInternetGateway", "AttachInternetGateway", "DetachInternetGateway",
        "DeleteInternetGateway", "DescribeInternetGateways",
        "AllocateAddress", "ReleaseAddress", "DescribeAddresses", "AssociateAddress",
        "DisassociateAddress", "DescribeAddressesAttribute",
        "CreateNatGateway", "DeleteNatGateway", "DescribeNatGateways",
        "CreateRouteTable", "DeleteRouteTable", "DescribeRouteTables", "CreateRoute",
        "ReplaceRoute", "DeleteRoute", "AssociateRouteTable", "DisassociateRouteTable",
        "ReplaceRouteTableAssociation",
        "DescribeSecurityGroupRules", "ModifySecurityGroupRules",
        "CreateTags", "DeleteTags", "DescribeTags", "DescribeAccountAttributes",
        "DescribePrefixLists", "DescribeNetworkAcls", "DescribeNetworkInterfaces",
        "CreateVpcEndpoint", "DescribeVpcEndpoints", "DeleteVpcEndpoints", "ModifyVpcEndpoint",
        "DescribeVpcEndpointServices",
        "DescribeInstances", "DescribeRegions",
    ],
    # Parameter Store only (issue 15 part 3): the rest of SSM is refused.
    "ssm": [
        "PutParameter", "GetParameter", "GetParameters", "GetParametersByPath", "DeleteParameter",
        "DeleteParameters", "DescribeParameters", "GetParameterHistory", "LabelParameterVersion",
        "UnlabelParameterVersion", "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource",
    ],
    # Stacks and the change sets `aws cloudformation deploy` makes (issue 18 part 2).
    "cloudformation": [
        "CreateStack", "UpdateStack", "DeleteStack", "DescribeStacks", "ListStacks",
        "DescribeStackEvents", "DescribeStackResource", "DescribeStackResources", "ListStackResources",
        "GetTemplate", "GetTemplateSummary", "ValidateTemplate", "ListExports",
        "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DeleteChangeSet", "ListChangeSets",
        "UpdateTerminationProtection", "SetStackPolicy", "GetStackPolicy", "ListImports",
    ],
    # CloudWatch metrics and alarms (issue 16 part 4).
    "cloudwatch": [
        "PutMetricData", "ListMetrics", "GetMetricStatistics", "GetMetricData",
        "PutMetricAlarm", "DescribeAlarms", "DescribeAlarmsForMetric", "DeleteAlarms", "SetAlarmState",
        "DescribeAlarmHistory", "EnableAlarmActions", "DisableAlarmActions", "PutCompositeAlarm",
        "PutDashboard", "GetDashboard", "ListDashboards", "DeleteDashboards",
    ],
}
# The protocol wharf serves a model with, where the model lists several: botocore 1.43 takes
# the first of `protocols` it supports in its own order (json before smithy-rpc-v2-cbor and
# query), so CloudWatch's clients send JSON 1.0; older ones (Debian's awscli 2.9) send Query,
# which the front door also serves for awsQueryCompatible models, and SDKs that rank CBOR first
# send smithy-rpc-v2-cbor, which it serves too (ServiceEndpoint::rpc_v2_cbor).
PROTOCOL = {"cloudwatch": "json"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROPPED}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def prune(model, operations):
    """Keeps `operations` and the shapes they reach, in the model's order."""
    reached = set()

    def walk(name):
        if name in reached:
            return
        reached.add(name)
        shape = model["shapes"][name]
        for ref in [shape.get(k) for k in ("member", "key", "value")] + list(shape.get("members", {}).values()):
            if ref:
                walk(ref["shape"])

    for op in operations:
        definition = model["operations"][op]
        for ref in [definition.get("input"), definition.get("output")] + definition.get("errors", []):
            if ref:
                walk(ref["shape"])
    model["operations"] = {k: v for k, v in model["operations"].items() if k in operations}
    model["shapes"] = {k: v for k, v in model["shapes"].items() if k in reached}
    return model


def main():
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    out_dir = os.path.join(os.path.dirname(__file__), "..", "src", "api", "models")
    for service in SERVICES:
        path = sorted(glob.glob(os.path.join(data, service, "*", "service-2.json*")))[-1]
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            model = strip(json.load(f))
        if service in ONLY_OPERATIONS:
            model = prune(model, ONLY_OPERATIONS[service])
        if service in PROTOCOL:
            model["metadata"]["protocol"] = PROTOCOL[service]
        with open(os.path.join(out_dir, service + ".json"), "w") as f:
            json.dump(model, f, separators=(",", ":"))  # keeps the model's member order
        print(f"{service}: {len(model['operations'])} operations from botocore {botocore.__version__}")


if __name__ == "__main__":
    sys.exit(main())
