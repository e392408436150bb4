#!/usr/bin/env python3
"""Regenerates src/api/iam/managed_policies.json: the AWS managed policies wharf's IAM serves.

The documents are AWS's own, as published by the Managed AWS IAM Policies tracker
(https://github.com/zoph-io/MAMIP: policies-list.json and policies/<name>, each the
GetPolicyVersion answer of the default version). Run with a checkout of it:
    python3 scripts/gen-managed-policies.py PATH/TO/MAMIP
Each entry keeps the Policy shape's fields (name, id, ARN, path, default version, dates) and the
default version's document as compact JSON text.
"""
import json
import os
import sys

NAMES = [
    "AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess",
    "AmazonECSTaskExecutionRolePolicy", "AmazonECS_FullAccess", "AmazonECSServiceRolePolicy",
    "AmazonEC2ContainerServiceforEC2Role", "AmazonEC2ContainerServiceRole",
    "AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPowerUser",
    "AmazonEC2ContainerRegistryFullAccess", "CloudWatchLogsFullAccess", "SecretsManagerReadWrite",
    "ElasticLoadBalancingFullAccess", "AWSElasticLoadBalancingServiceRolePolicy",
    "AmazonVPCFullAccess",
]


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "policies-list.json")) as f:
        listed = {p["PolicyName"]: p for p in json.load(f)["Policies"]}
    out = []
    for name in NAMES:
        meta = listed[name]
        with open(os.path.join(root, "policies", name)) as f:
            version = json.load(f)["PolicyVersion"]
        out.append({
            "PolicyName": name, "PolicyId": meta["PolicyId"], "Arn": meta["Arn"], "Path": meta["Path"],
            "DefaultVersionId": meta["DefaultVersionId"], "CreateDate": meta["CreateDate"],
            "UpdateDate": meta["UpdateDate"],
            "Document": json.dumps(version["Document"], separators=(",", ":")),
        })
    dest = os.path.join(os.path.dirname(__file__), "..", "src", "api", "iam", "managed_policies.json")
    with open(dest, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{len(out)} policies, {os.path.getsize(dest)} bytes")


if __name__ == "__main__":
    sys.exit(main())
